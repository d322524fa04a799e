//! Bot processes: several companies side by side, failover between processes, failing bots, webhook mode.

use super::*;

#[tokio::test]
async fn two_companies_bots_run_side_by_side_and_a_removed_bot_stops() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let garage = tenant(&db, "garage24").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    connect_bot(&db, garage, GARAGE_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let _server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;

    // The same Telegram user writes to both companies' bots.
    let user = 7_770_001;
    fake.write(SEVER_TOKEN, user, "/start");
    fake.write(GARAGE_TOKEN, user, "/start");
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    fake.wait_message(GARAGE_TOKEN, user, "«Гараж 24»").await;
    // No answer went out through the other company's bot.
    for (token, other) in [
        (SEVER_TOKEN, "Гараж 24"),
        (GARAGE_TOKEN, "Автосервис Север"),
    ] {
        assert!(fake
            .calls(token, "sendmessage")
            .iter()
            .all(|b| !b["text"].as_str().unwrap_or_default().contains(other)));
    }
    // Two client cards, one per company, each with its own transcript.
    let clients: Vec<(i64,)> =
        sqlx::query_as("SELECT tenant_id FROM clients WHERE telegram_id = $1 ORDER BY tenant_id")
            .bind(user)
            .fetch_all(&db.owner)
            .await
            .unwrap();
    let mut expected = vec![(sever.0,), (garage.0,)];
    expected.sort();
    assert_eq!(clients, expected);
    let per_company: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT m.tenant_id, count(*) FROM bot_messages m
         JOIN clients c ON c.id = m.client_id AND c.tenant_id = m.tenant_id
         WHERE m.chat_id = $1 GROUP BY m.tenant_id ORDER BY m.tenant_id",
    )
    .bind(user)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    let mut expected = vec![(sever.0, 2), (garage.0, 2)];
    expected.sort();
    assert_eq!(per_company, expected);

    // Removing Гараж 24's bot stops its polling within a supervisor round; Север's goes on.
    disconnect_bot(&db, garage).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(fake.pollers_since(GARAGE_TOKEN, since).is_empty());
    assert_eq!(fake.pollers_since(SEVER_TOKEN, since), vec!["p1"]);
    db.drop().await;
}

/// A `serve` process (p1) and a `bot` process (p2) on one database: one of them polls the bot;
/// when it is killed, the other takes over.
#[tokio::test]
async fn one_process_polls_a_bot_and_another_takes_over_when_it_dies() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let mut serve = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let mut bot = RoleProcess::start(&db, &fake.url("p2"), "bot");

    // Both supervisors have had rounds; only one of the processes polls.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let pollers = fake.pollers_since(SEVER_TOKEN, since);
    assert_eq!(pollers.len(), 1, "{pollers:?}");

    // The polling process dies: the other takes the bot over within ~10 s.
    let survivor = if pollers[0] == "p1" {
        serve.stop();
        "p2"
    } else {
        bot.stop();
        "p1"
    };
    let died = Instant::now();
    while fake.pollers_since(SEVER_TOKEN, died) != vec![survivor.to_string()] {
        assert!(
            died.elapsed() < Duration::from_secs(10),
            "no takeover by {survivor}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let user = 9_990_001;
    fake.write(SEVER_TOKEN, user, "/start");
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    db.drop().await;
}

#[tokio::test]
async fn a_failing_bot_is_retried_without_disturbing_others_and_a_new_token_replaces_the_old() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let garage = tenant(&db, "garage24").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    connect_bot(&db, garage, GARAGE_TOKEN).await;
    let fake = FakeTelegram::start().await;
    // Гараж 24's Bot API first refuses the token, then is rate-limited, then fails: the bot
    // waits and retries each time.
    fake.fail(
        GARAGE_TOKEN,
        vec![
            (
                StatusCode::UNAUTHORIZED,
                json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
            ),
            (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
                       "parameters": {"retry_after": 1}}),
            ),
            (
                StatusCode::BAD_GATEWAY,
                json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
            ),
        ],
    );
    let server = TestServer::start(
        &db,
        &[
            ("TELEGRAM_API_URL", &fake.url("p1")),
            ("METRICS_TOKEN", "metrics-token-for-the-bot-errors-test"),
        ],
    )
    .await;

    // While it fails, the company's last error is kept for the Settings page, without the token.
    let started = Instant::now();
    let last_error = loop {
        let error: Option<String> =
            sqlx::query_scalar("SELECT telegram_last_error FROM tenants WHERE slug = 'garage24'")
                .fetch_one(&db.owner)
                .await
                .unwrap();
        if let Some(error) = error {
            break error;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no bot error recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!last_error.contains(GARAGE_TOKEN), "{last_error}");

    let user = 4_440_001;
    fake.write(SEVER_TOKEN, user, "/start");
    fake.write(GARAGE_TOKEN, user, "/start");
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    fake.wait_message(GARAGE_TOKEN, user, "«Гараж 24»").await;
    // Working again: the error is no longer shown; the three failed polls are counted per
    // company in `/metrics`, Север's bot has none.
    let shown: Option<String> =
        sqlx::query_scalar("SELECT telegram_last_error FROM tenants WHERE slug = 'garage24'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(shown, None);
    let metrics =
        crate::common::server::metrics(&server, "metrics-token-for-the-bot-errors-test").await;
    assert!(
        metrics.contains("# TYPE auto_concierge_bot_errors_total counter"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"auto_concierge_bot_errors_total{tenant="garage24",kind="poll"} 3"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"auto_concierge_bot_errors_total{tenant="sever",kind="poll"} 0"#),
        "{metrics}"
    );
    let log = server.log();
    assert!(log.contains("Bot API getUpdates failed"), "{log}");
    assert!(log.contains("too many requests"), "{log}");
    assert!(
        !log.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALD"),
        "a token in the log:\n{log}"
    );

    // A new token for Север: the poller is replaced without a restart.
    connect_bot(&db, sever, NEW_SEVER_TOKEN).await;
    let changed = Instant::now();
    while fake.pollers_since(NEW_SEVER_TOKEN, changed).is_empty() {
        assert!(
            changed.elapsed() < Duration::from_secs(10),
            "new token not polled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let since = Instant::now();
    fake.write(NEW_SEVER_TOKEN, user, "/start");
    fake.wait_message(NEW_SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(fake.pollers_since(SEVER_TOKEN, since).is_empty());
    db.drop().await;
}

/// Webhook mode: the supervisor registers each bot's webhook with its secret instead of polling,
/// and `POST /telegram/{tenant id}/webhook` answers only with the right secret.
#[tokio::test]
async fn webhook_mode_registers_the_webhook_and_checks_the_secret() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let garage = tenant(&db, "garage24").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    connect_bot(&db, garage, GARAGE_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let server = TestServer::start(
        &db,
        &[
            ("TELEGRAM_API_URL", &fake.url("p1")),
            ("TELEGRAM_MODE", "webhook"),
            (
                "TELEGRAM_WEBHOOK_BASE_URL",
                "https://bots.example.ru/concierge/",
            ),
        ],
    )
    .await;
    let secret = |tenant: i64| {
        let owner = db.owner.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT telegram_webhook_secret FROM tenants WHERE id = $1",
            )
            .bind(tenant)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let sever_secret = secret(sever.0).await;
    let garage_secret = secret(garage.0).await;
    let registered = fake.wait_call(SEVER_TOKEN, "setwebhook", |_| true).await;
    assert_eq!(
        registered["url"],
        json!(format!(
            "https://bots.example.ru/concierge/telegram/{}/webhook",
            sever.0
        ))
    );
    assert_eq!(registered["secret_token"], json!(sever_secret));
    fake.wait_call(GARAGE_TOKEN, "setwebhook", |_| true).await;
    // Nothing is polled in webhook mode.
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(fake.pollers_since(SEVER_TOKEN, since).is_empty());

    let http = reqwest::Client::new();
    let user = 3_330_001;
    let update = FakeTelegram::message_update(user, "/start");
    let url = server.url(&format!("/telegram/{}/webhook", sever.0));
    let post = |url: String, secret: Option<String>| {
        let http = http.clone();
        let update = update.clone();
        async move {
            let mut request = http.post(url).json(&update);
            if let Some(secret) = secret {
                request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
            }
            request.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(post(url.clone(), None).await, 401);
    assert_eq!(post(url.clone(), Some("wrong".into())).await, 401);
    assert_eq!(post(url.clone(), Some(garage_secret.clone())).await, 401);
    assert_eq!(
        post(
            server.url("/telegram/999999/webhook"),
            Some(sever_secret.clone())
        )
        .await,
        401
    );
    assert_eq!(
        post(
            server.url("/telegram/sever/webhook"),
            Some(sever_secret.clone())
        )
        .await,
        401
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(fake.calls(SEVER_TOKEN, "sendmessage").is_empty());
    let clients: i64 = sqlx::query_scalar("SELECT count(*) FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(clients, 0, "a refused update must not be read");

    assert_eq!(post(url, Some(sever_secret)).await, 200);
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    assert!(fake.calls(GARAGE_TOKEN, "sendmessage").is_empty());

    // A removed bot's webhook is removed.
    disconnect_bot(&db, garage).await;
    fake.wait_call(GARAGE_TOKEN, "deletewebhook", |_| true)
        .await;
    db.drop().await;
}
