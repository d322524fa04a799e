//! Issue 14, item 5: signed webhooks to a company's CRM. A receiver (the fake CRM, which checks
//! the signature with its own code) gets complete events from the API and the bot; a failing one
//! is retried and shows in the log; «Повторить» and the test event work; an endpoint failing for
//! days is switched off and its admins told; in production an address inside the network is
//! refused unless the operator allowed it.

use std::time::Duration;

use app::domain::webhooks::{self, NewEndpoint};
use chrono::Utc;
use serde_json::{json, Value};

use crate::common::{
    config_with,
    crm::FakeCrm,
    free_day,
    server::{token, Api, TestServer},
    smtp::SmtpSink,
    telegram::{connect_bot, tenant, FakeTelegram, SEVER_TOKEN},
    TestDb,
};

/// Lets the worker run a waiting event's next attempt now instead of after its pause.
async fn hurry(db: &TestDb) {
    sqlx::query(
        "UPDATE jobs SET run_at = now() WHERE kind = 'webhook.deliver' AND status = 'pending'",
    )
    .execute(&db.owner)
    .await
    .unwrap();
}

async fn log_of(api: &Api, endpoint: i64) -> Vec<Value> {
    let (code, log) = api
        .get(&format!("/api/v1/webhooks/{endpoint}/deliveries"))
        .await;
    assert_eq!(code, 200, "{log}");
    log.as_array().unwrap().clone()
}

async fn wait_log(api: &Api, endpoint: i64, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let log = log_of(api, endpoint).await;
        if log.len() >= n {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "endpoint {endpoint}: fewer than {n} attempts logged: {:?}",
        log_of(api, endpoint).await
    );
}

#[tokio::test]
async fn a_crm_gets_signed_complete_events_and_a_failing_one_is_retried() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let telegram = FakeTelegram::start().await;
    let smtp = SmtpSink::start();
    let crm = FakeCrm::start().await;
    let flaky = FakeCrm::start().await;
    let mut env: Vec<(&str, String)> = smtp.env();
    env.push(("TELEGRAM_API_URL", telegram.url("p1")));
    env.push(("PUBLIC_URL", "https://ac.example.ru".into()));
    env.push(("WEBHOOKS_ALLOW_INTERNAL", "true".into()));
    env.push((
        "METRICS_TOKEN",
        "metrics-token-for-the-webhooks-test".into(),
    ));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = TestServer::start(&db, &env).await;
    let api = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );

    // Managers cannot see or add endpoints.
    let manager = Api::new(
        &server,
        token(&server, "manager@sever.demo", "demo-password").await,
    );
    assert_eq!(manager.get("/api/v1/webhooks").await.0, 403);
    assert_eq!(
        manager
            .post("/api/v1/webhooks", json!({"url": crm.url}))
            .await
            .0,
        403
    );
    // Unknown events and non-URLs are refused in Russian.
    let (code, body) = api
        .post(
            "/api/v1/webhooks",
            json!({"url": crm.url, "events": ["visit.eaten"]}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(body.to_string().contains("Неизвестное событие"), "{body}");
    assert_eq!(
        api.post("/api/v1/webhooks", json!({"url": "crm.example.ru"}))
            .await
            .0,
        422
    );

    // One endpoint for new visits only, one for everything. The secret comes once.
    let (code, only_new) = api
        .post(
            "/api/v1/webhooks",
            json!({"url": crm.url, "events": ["appointment.created"], "description": "amoCRM"}),
        )
        .await;
    assert_eq!(code, 201, "{only_new}");
    let secret = only_new["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    crm.trust(&secret);
    let (_, all) = api
        .post("/api/v1/webhooks", json!({"url": flaky.url}))
        .await;
    flaky.trust(all["secret"].as_str().unwrap());
    let (all_id, new_id) = (
        all["id"].as_i64().unwrap(),
        only_new["id"].as_i64().unwrap(),
    );
    let (_, listed) = api.get("/api/v1/webhooks").await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains("whsec_"), "{listed}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT secret_enc FROM webhook_endpoints")
        .fetch_all(&db.owner)
        .await
        .unwrap();
    assert!(stored.iter().all(|s| !s.contains("whsec_")));

    // The flaky CRM is down for the first two attempts.
    flaky.fail_next(2);
    // A client with a car books through the API.
    let (code, client) = api
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Пётр Вебхуков", "phone": "+79990004455", "email": "petr@example.ru"}),
        )
        .await;
    assert_eq!(code, 201, "{client}");
    let client_id = client["id"].as_i64().unwrap();
    let (code, car) = api
        .post(
            &format!("/api/v1/clients/{client_id}/vehicles"),
            json!({"make": "Kia", "model": "Rio", "year": 2019, "plate": "А123ВС77"}),
        )
        .await;
    assert_eq!(code, 201, "{car}");
    let shop = api.get("/api/v1/shops/").await.1[0].clone();
    let service = api.get("/api/v1/services/").await.1[0]["id"]
        .as_i64()
        .unwrap();
    let day = free_day(3);
    let (_, slots) = api
        .get(&format!(
            "/api/v1/shops/{}/slots?date={day}&service_ids={service}",
            shop["id"]
        ))
        .await;
    let (code, visit) = api
        .post(
            "/api/v1/appointments/",
            json!({"shop_id": shop["id"], "client_id": client_id, "vehicle_id": car["id"],
                   "service_ids": [service], "start_time": slots[0]["start_time"]}),
        )
        .await;
    assert_eq!(code, 201, "{visit}");

    // The CRM gets the visit, signed, whole: client with phone and e-mail, car, services, shop.
    let got = crm.wait_for("appointment.created", 1).await;
    let event = &got[0];
    assert!(
        event.verified,
        "the signature must check out with the secret"
    );
    assert!((Utc::now().timestamp() - event.timestamp).abs() < 300);
    let data = &event.body["data"];
    assert_eq!(event.body["type"], "appointment.created");
    assert!(event.body["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(event.body["company"]["slug"], "sever");
    assert_eq!(data["id"], visit["id"]);
    assert_eq!(data["client"]["phone"], "+79990004455");
    assert_eq!(data["client"]["email"], "petr@example.ru");
    assert_eq!(data["vehicle"]["make"], "Kia");
    assert_eq!(data["vehicle"]["plate"], car["plate"]);
    assert_eq!(data["services"][0]["id"], json!(service));
    assert!(data["services"][0]["price"].is_number());
    assert_eq!(data["shop"]["name"], shop["name"]);
    assert_eq!(data["status"], "new");
    assert_eq!(data["source"], visit["source"]);

    // A status change is an update: only the endpoint for everything wants it.
    let visit_id = visit["id"].as_i64().unwrap();
    let (code, _) = api
        .patch(
            &format!("/api/v1/appointments/{visit_id}"),
            json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(code, 200);

    // The flaky CRM refused the first attempts; each is logged with its answer, then retried.
    let log = wait_log(&api, all_id, 2).await;
    let refused = log
        .iter()
        .find(|d| d["ok"] == false)
        .unwrap_or_else(|| panic!("no refusal logged: {log:?}"));
    assert_eq!(refused["status_code"], 500);
    assert_eq!(refused["response_excerpt"], "CRM временно недоступна");
    assert!(refused["duration_ms"].is_number());
    // The flaky CRM wants client.created, appointment.created and appointment.updated; the
    // refused ones come again (the pause is cut short here).
    for _ in 0..150 {
        hurry(&db).await;
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'webhook.deliver' AND status <> 'done'",
        )
        .fetch_one(&db.owner)
        .await
        .unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received = flaky.received();
    assert!(received.iter().all(|r| r.verified), "{received:?}");
    let types: Vec<&str> = received
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.event_type.as_str())
        .collect();
    for wanted in [
        "client.created",
        "appointment.created",
        "appointment.updated",
    ] {
        assert!(types.contains(&wanted), "{wanted} not delivered: {types:?}");
    }
    assert_eq!(received.iter().filter(|r| r.status == 500).count(), 2);
    // Retried events keep their id: the CRM can deduplicate.
    let first = &received[0];
    let again = received
        .iter()
        .skip(1)
        .find(|r| r.body["id"] == first.body["id"])
        .expect("the refused event came again");
    assert_eq!(again.body, first.body);
    let (_, endpoint) = api.get(&format!("/api/v1/webhooks/{all_id}")).await;
    assert!(endpoint["failing_since"].is_null(), "{endpoint}");
    // The endpoint for new visits got nothing else.
    assert_eq!(crm.received().len(), 1);

    // «Повторить» sends a logged event again now, as its next attempt.
    let log = log_of(&api, all_id).await;
    let refused = log.iter().find(|d| d["ok"] == false).unwrap();
    let (code, retried) = api
        .post(
            &format!(
                "/api/v1/webhooks/{all_id}/deliveries/{}/retry",
                refused["id"]
            ),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{retried}");
    assert_eq!(retried["ok"], true);
    assert_eq!(retried["event_id"], refused["event_id"]);
    assert!(retried["attempt"].as_i64().unwrap() > refused["attempt"].as_i64().unwrap());
    // Another endpoint's attempt is not this one's.
    assert_eq!(
        api.post(
            &format!(
                "/api/v1/webhooks/{new_id}/deliveries/{}/retry",
                refused["id"]
            ),
            json!({})
        )
        .await
        .0,
        404
    );

    // The test event.
    let (code, ping) = api
        .post(&format!("/api/v1/webhooks/{new_id}/test"), json!({}))
        .await;
    assert_eq!(code, 200, "{ping}");
    assert_eq!(ping["ok"], true);
    assert_eq!(ping["status_code"], 200);
    let pings = crm.wait_for("ping", 1).await;
    assert!(pings[0].verified);

    // A change through the bot reaches the CRM too: a new customer's card.
    telegram.write(SEVER_TOKEN, 770_001, "/start");
    let from_bot = |r: &crate::common::crm::Received| {
        r.event_type == "client.created" && r.body["data"]["telegram_id"] == json!(770_001)
    };
    for _ in 0..200 {
        if flaky.received().iter().any(from_bot) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bot_card = flaky.received().into_iter().find(|r| from_bot(r));
    assert!(
        bot_card.is_some_and(|r| r.verified),
        "{:?}",
        flaky.received()
    );

    // Down for good: after 3 days of failures the endpoint is switched off and the admin told.
    flaky.fail_all(true);
    sqlx::query(
        "UPDATE webhook_endpoints SET failing_since = now() - interval '4 days' WHERE id = $1",
    )
    .bind(all_id)
    .execute(&db.owner)
    .await
    .unwrap();
    let (code, _) = api
        .patch(
            &format!("/api/v1/appointments/{visit_id}"),
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(code, 200);
    // The worker switches it off at its next failure (a loaded machine may take a while); the
    // letter goes before that is committed.
    for _ in 0..300 {
        let (_, endpoint) = api.get(&format!("/api/v1/webhooks/{all_id}")).await;
        if endpoint["active"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let letter = smtp.wait_for("admin@sever.demo", 1).await;
    assert!(
        letter.subject.contains("Вебхук выключен"),
        "{}",
        letter.subject
    );
    assert!(letter.text.unwrap_or_default().contains(&flaky.url));
    let (_, endpoint) = api.get(&format!("/api/v1/webhooks/{all_id}")).await;
    assert_eq!(endpoint["active"], false);
    assert!(endpoint["disabled_at"].is_string());
    assert!(endpoint["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("3 дня"));
    // Switched off, it gets nothing; switched on, its failures are forgotten.
    let (code, body) = api
        .post(&format!("/api/v1/webhooks/{all_id}/test"), json!({}))
        .await;
    assert_eq!(code, 409, "{body}");
    let (code, endpoint) = api
        .patch(
            &format!("/api/v1/webhooks/{all_id}"),
            json!({"active": true}),
        )
        .await;
    assert_eq!(code, 200);
    assert!(endpoint["disabled_at"].is_null() && endpoint["failing_since"].is_null());

    // `/metrics` counts the attempts by result.
    let metrics =
        crate::common::server::metrics(&server, "metrics-token-for-the-webhooks-test").await;
    let value = |series: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{series} missing:\n{metrics}"))
    };
    assert!(value(r#"auto_concierge_webhook_deliveries_24h{tenant="sever",result="ok"}"#) >= 5.0);
    assert!(
        value(r#"auto_concierge_webhook_deliveries_24h{tenant="sever",result="failed"}"#) >= 3.0
    );
    assert_eq!(
        value(r#"auto_concierge_webhook_endpoints_disabled{tenant="sever"}"#),
        0.0
    );

    // Removing an endpoint drops it with its log.
    assert_eq!(
        api.delete(&format!("/api/v1/webhooks/{new_id}")).await.0,
        204
    );
    assert_eq!(api.get(&format!("/api/v1/webhooks/{new_id}")).await.0, 404);
    db.drop().await;
}

/// In production an endpoint inside the network is refused when it is saved and again when an
/// event is sent (a name may resolve elsewhere later); the operator can allow it on purpose.
#[tokio::test]
async fn an_address_inside_the_network_is_refused_in_production() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let crm = FakeCrm::start().await;
    let production = config_with(&[]);
    assert!(production.is_production());
    for url in [
        crm.url.as_str(),
        "http://localhost:8080/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ] {
        let refused = webhooks::create(
            &db.app,
            &production,
            sever,
            NewEndpoint {
                url: url.into(),
                ..NewEndpoint::default()
            },
            true,
        )
        .await;
        let error = refused.expect_err(url).to_string();
        assert!(error.contains("внутреннюю сеть"), "{url}: {error}");
    }
    // An address on the internet is taken (an IP: this machine resolves no names).
    webhooks::create(
        &db.app,
        &production,
        sever,
        NewEndpoint {
            url: "https://77.88.55.88/hook".into(),
            ..NewEndpoint::default()
        },
        true,
    )
    .await
    .unwrap();

    // Allowed by the operator, the local CRM is saved; but a production delivery still checks
    // the address it connects to, so nothing reaches the CRM without the permission.
    let on_premises = config_with(&[("WEBHOOKS_ALLOW_INTERNAL", "true")]);
    let endpoint = webhooks::create(
        &db.app,
        &on_premises,
        sever,
        NewEndpoint {
            url: crm.url.clone(),
            ..NewEndpoint::default()
        },
        true,
    )
    .await
    .unwrap();
    let job = webhooks::Job {
        endpoint_id: endpoint.id,
        event_id: "evt_test".into(),
        event_type: "ping".into(),
        body: json!({"id": "evt_test", "type": "ping"}),
    };
    let secret = endpoint.secret.unwrap();
    let outcome = webhooks::post(&production, &crm.url, &secret, &job).await;
    assert!(!outcome.ok);
    assert!(
        outcome
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("внутреннюю сеть"),
        "{outcome:?}"
    );
    assert!(crm.received().is_empty());
    let outcome = webhooks::post(&on_premises, &crm.url, &secret, &job).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(crm.received().len(), 1);
    db.drop().await;
}

/// A CRM that takes seconds to answer holds up no message to a car owner (webhooks run in a lane
/// of their own), and its endpoint can be removed while an event waits for the answer: the
/// removal does not wait for the delivery, and the delivery ends quietly.
#[tokio::test]
async fn a_slow_crm_holds_up_no_message_and_can_be_removed_mid_delivery() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let telegram = FakeTelegram::start().await;
    let crm = FakeCrm::start().await;
    crm.answer_after(Duration::from_secs(6));
    let url = telegram.url("p1");
    let server = TestServer::start(
        &db,
        &[
            ("TELEGRAM_API_URL", url.as_str()),
            ("WEBHOOKS_ALLOW_INTERNAL", "true"),
        ],
    )
    .await;
    let api = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let (code, endpoint) = api.post("/api/v1/webhooks", json!({"url": crm.url})).await;
    assert_eq!(code, 201, "{endpoint}");

    // A customer of the bot: the new card's event is held by the slow CRM...
    let user = 880_001;
    telegram.write(SEVER_TOKEN, user, "/start");
    telegram
        .wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    crm.wait_for("client.created", 1).await;
    // ...while staff confirm the customer's visit, and the message goes out at once.
    let client: i64 = sqlx::query_scalar("SELECT id FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    let shop = api.get("/api/v1/shops/").await.1[0]["id"].as_i64().unwrap();
    let service = api.get("/api/v1/services/").await.1[0]["id"]
        .as_i64()
        .unwrap();
    let (_, slots) = api
        .get(&format!(
            "/api/v1/shops/{shop}/slots?date={}&service_ids={service}",
            free_day(4)
        ))
        .await;
    let (code, visit) = api
        .post(
            "/api/v1/appointments/",
            json!({"shop_id": shop, "client_id": client, "service_ids": [service],
                   "start_time": slots[0]["start_time"]}),
        )
        .await;
    assert_eq!(code, 201, "{visit}");
    let started = std::time::Instant::now();
    let (code, _) = api
        .patch(
            &format!("/api/v1/appointments/{}", visit["id"]),
            json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(code, 200);
    telegram.wait_message(SEVER_TOKEN, user, "подтвержд").await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the message waited for the CRM: {:?}",
        started.elapsed()
    );
    assert_eq!(
        crm.received().len(),
        1,
        "the CRM is still answering the first event"
    );

    // Removed while the CRM holds the event: at once, not after the delivery.
    let removing = std::time::Instant::now();
    let (code, body) = api
        .delete(&format!("/api/v1/webhooks/{}", endpoint["id"]))
        .await;
    assert_eq!(code, 204, "{body}");
    assert!(
        removing.elapsed() < Duration::from_secs(3),
        "{:?}",
        removing.elapsed()
    );
    // The delivery in hand ends quietly: no job left waiting, none failed, no error logged.
    let mut left = i64::MAX;
    for _ in 0..200 {
        left = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'webhook.deliver' AND status <> 'done'",
        )
        .fetch_one(&db.owner)
        .await
        .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0);
    assert!(!server.log().contains("job failed"), "{}", server.log());
    db.drop().await;
}
