//! Limits under abuse: wrong-password storms, oversized lists, live streams, request ids and readiness.

use super::*;

/// `auto_concierge_password_checks_total` of the server.
async fn password_checks(server: &TestServer) -> u64 {
    let text = reqwest::Client::new()
        .get(server.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("auto_concierge_password_checks_total "))
        .expect("the password checks counter")
        .trim()
        .parse()
        .unwrap()
}

/// Peak and current resident memory of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// 200 wrong passwords at once for one user from one address: each attempt is counted before its
/// password is hashed, so at most 5 are hashed and the rest get 429. Then 200 at once with a
/// different username each: the per-address limit holds them too. Hashing runs at most one per
/// core, so memory stays flat. (Before: all 200 passed the check, each argon2 run took ~19 MiB.)
#[tokio::test]
async fn a_storm_of_wrong_passwords_is_refused_before_hashing() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(&db, &[("METRICS_TOKEN", METRICS_TOKEN)]).await;
    let (_, rss_before) = memory_kib(server.pid());
    let before = password_checks(&server).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let storm = |users: Vec<String>| {
        let client = client.clone();
        let url = server.url("/api/v1/login/access-token");
        async move {
            let attempts: Vec<_> = users
                .into_iter()
                .map(|user| {
                    let client = client.clone();
                    let url = url.clone();
                    tokio::spawn(async move {
                        client
                            .post(url)
                            .form(&[("username", user.as_str()), ("password", "wrong-password")])
                            .send()
                            .await
                            .unwrap()
                            .status()
                            .as_u16()
                    })
                })
                .collect();
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            for attempt in attempts {
                *statuses.entry(attempt.await.unwrap()).or_default() += 1;
            }
            statuses
        }
    };

    let one_user = storm(vec!["admin@sever.demo".to_string(); 200]).await;
    let checked = password_checks(&server).await - before;
    assert!(checked <= 5, "{checked} passwords hashed: {one_user:?}");
    assert!(
        one_user.get(&400).copied().unwrap_or(0) <= 5,
        "{one_user:?}"
    );
    assert!(
        one_user.get(&429).copied().unwrap_or(0) >= 195,
        "{one_user:?}"
    );
    assert_eq!(
        one_user.keys().filter(|s| ![400, 429].contains(s)).count(),
        0,
        "{one_user:?}"
    );

    let rotating = storm((0..200).map(|i| format!("user{i}@nowhere.ru")).collect()).await;
    let checked = password_checks(&server).await - before;
    let per_address = app::domain::LOGIN_FAILURES_PER_ADDRESS as u64;
    assert!(
        checked <= per_address,
        "{checked} passwords hashed: {rotating:?}"
    );
    assert!(
        rotating.get(&429).copied().unwrap_or(0) >= 200 - per_address as usize + 5,
        "{rotating:?}"
    );
    assert_eq!(
        rotating.keys().filter(|s| ![400, 429].contains(s)).count(),
        0,
        "{rotating:?}"
    );

    let (peak, _) = memory_kib(server.pid());
    assert!(
        peak.saturating_sub(rss_before) < 200 * 1024,
        "memory grew from {rss_before} KiB to a peak of {peak} KiB"
    );
    db.drop().await;
}

/// Lists in a request are refused by their length before anything is done with them. (Before,
/// 250,000 distinct service ids were deduplicated one by one — quadratic time — while the shop
/// row was locked, and any number of cars was inserted row by row.)
#[tokio::test]
async fn oversized_lists_are_refused_at_once() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(&db, &[]).await;
    let api = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let shop = api.get("/api/v1/shops/").await.1[0]["id"].as_i64().unwrap();
    let ids: Vec<i64> = (1..=250_000).collect();
    let started = Instant::now();
    let (status, body) = api
        .post(
            "/api/v1/appointments/",
            json!({"shop_id": shop, "service_ids": ids, "start_time": "2030-01-10T10:00:00+03:00",
                   "client": {"full_name": "Тест", "phone": "+79990001122"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    let many: Vec<String> = (1..=21).map(|i| i.to_string()).collect();
    let (status, body) = api
        .get(&format!(
            "/api/v1/shops/{shop}/slots?date=2030-01-10&service_ids={}",
            many.join(",")
        ))
        .await;
    assert_eq!(status, 422, "{body}");

    let cars: Vec<serde_json::Value> = (0..21)
        .map(|i| json!({"make": "Kia", "model": format!("Rio {i}")}))
        .collect();
    let (status, body) = api
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Много машин", "phone": "+79990003344", "vehicles": cars}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let written: i64 =
        sqlx::query_scalar("SELECT count(*) FROM clients WHERE phone = '+79990003344'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(written, 0);
    db.drop().await;
}

/// The live streams are watched while they live: a cookie from another site cannot open the
/// WebSocket (cross-site WebSocket hijacking), a deactivated user stops receiving within the
/// re-check interval, one user cannot open streams without end, and a client cannot send the
/// WebSocket large messages. The web login and logout refuse foreign origins (login CSRF).
#[tokio::test]
async fn live_streams_check_origin_sessions_and_limits() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(
        &db,
        &[("STREAM_RECHECK_SECONDS", "1"), ("STREAMS_PER_USER", "2")],
    )
    .await;
    let admin = token(&server, "admin@sever.demo", "demo-password").await;
    let manager = token(&server, "manager@sever.demo", "demo-password").await;
    let ws_url = format!("{}/api/v1/ws", server.base.replace("http://", "ws://"));

    // The session cookie with another site's Origin: refused; with the site's own: accepted.
    let mut foreign = ws_url.as_str().into_client_request().unwrap();
    foreign
        .headers_mut()
        .insert("cookie", format!("ac_session={admin}").parse().unwrap());
    foreign
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(foreign).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!(
            "a foreign origin opened the WebSocket: {:?}",
            other.map(|_| ())
        ),
    }
    let mut own = ws_url.as_str().into_client_request().unwrap();
    own.headers_mut()
        .insert("cookie", format!("ac_session={admin}").parse().unwrap());
    own.headers_mut()
        .insert("origin", server.base.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(own).await.unwrap();

    // A message far larger than a client ever needs to send ends the connection.
    ws.send(Message::Text("x".repeat(256 * 1024).into()))
        .await
        .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "an oversized message was accepted");

    // Two streams per user here; the third is refused.
    let open = |token: String| {
        let url = server.url(&format!("/api/v1/events?token={token}"));
        async move { reqwest::Client::new().get(url).send().await.unwrap() }
    };
    let first = open(manager.clone()).await;
    let second = open(manager.clone()).await;
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    assert_eq!(open(manager.clone()).await.status(), 429);
    drop(second);
    // A closed stream gives its place back.
    let started = Instant::now();
    loop {
        let again = open(manager.clone()).await;
        if again.status() == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the place was not given back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The manager is deactivated: their open stream ends within the re-check interval.
    sqlx::query("UPDATE users SET is_active = false WHERE email = 'manager@sever.demo'")
        .execute(&db.owner)
        .await
        .unwrap();
    let mut stream = first.bytes_stream();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "a deactivated user's stream kept running");

    // The web form's login and logout refuse another site's Origin.
    for endpoint in ["login", "logout"] {
        let response = reqwest::Client::new()
            .post(server.url(&format!("/api/{endpoint}")))
            .header("origin", "https://evil.example")
            .form(&[("email", "admin@sever.demo"), ("password", "demo-password")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{endpoint}");
        assert!(response.headers().get("set-cookie").is_none(), "{endpoint}");
    }
    db.drop().await;
}

/// Every answer carries an `X-Request-Id`: the proxy's when it sent a sane one, a new one
/// otherwise; `/ready` says the schema is current.
#[tokio::test]
async fn answers_carry_a_request_id_and_ready_reports_the_schema() {
    let db = TestDb::new().await;
    let server = TestServer::start(&db, &[]).await;
    let client = reqwest::Client::new();
    let given = client
        .get(server.url("/health"))
        .header("x-request-id", "proxy-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "proxy-abc-123");
    let made = client.get(server.url("/health")).send().await.unwrap();
    let made = made.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(made.len(), 36, "{made}");
    let insane = client
        .get(server.url("/health"))
        .header("x-request-id", "a".repeat(300))
        .send()
        .await
        .unwrap();
    assert_eq!(insane.headers()["x-request-id"].len(), 36);

    let ready = client.get(server.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["migrations"], "current");
    assert_eq!(body["redis"], "not_configured");
    db.drop().await;
}
