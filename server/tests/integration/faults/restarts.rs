//! Outside parts going away and coming back: Redis late, many bots, Telegram refusing, a killed worker, PostgreSQL restarting.

use super::*;

/// Redis is down when two processes start (a host reboot where Redis comes up last): they serve
/// with in-process fallbacks, connect when Redis appears, and from then on an event published
/// by one reaches the other's streams. (Before, a process that found no Redis at start never
/// used it.)
#[tokio::test]
async fn processes_started_before_redis_use_it_once_it_is_up() {
    use futures::StreamExt;

    let port = crate::common::server::free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let a = TestServer::start(&db, &[("REDIS_URL", &url)]).await;
    let b = TestServer::start(&db, &[("REDIS_URL", &url)]).await;
    let health = |server: &TestServer| {
        let url = server.url("/health");
        async move {
            reqwest::get(url)
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()["redis"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(health(&a).await, "unavailable");

    let _redis = crate::common::redis::TestRedis::start_on(port).await;
    let started = Instant::now();
    while health(&a).await != "ok" || health(&b).await != "ok" {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the processes did not connect to Redis"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let api_b = Api::new(&b, token(&b, "admin@sever.demo", "demo-password").await);
    let sse = reqwest::Client::new()
        .get(a.url("/api/v1/events"))
        .bearer_auth(&api_b.token)
        .send()
        .await
        .unwrap();
    let received = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        let mut stream = sse.bytes_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk));
        }
    });
    // The subscription may follow the connection by a moment: a change every second until one
    // made on B shows up on A's stream.
    let started = Instant::now();
    for n in 0.. {
        let name = format!("Через Redis {n}");
        let (status, _) = api_b
            .post(
                "/api/v1/clients/",
                json!({"full_name": name, "phone": format!("+7999111{n:04}")}),
            )
            .await;
        assert_eq!(status, 201);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if received.lock().unwrap().contains(&name) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no event crossed from B to A:\n{}",
            a.log()
        );
    }
    drop(a);
    drop(b);
    db.drop().await;
}

/// Database connections of the `application_name = 'auto-concierge'` processes.
async fn app_connections(db: &TestDb) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE application_name = 'auto-concierge' AND datname = current_database()",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap()
}

/// 50 companies with a bot and two `bot` processes: every bot is polled, and the processes hold
/// at most the README's bound of connections — a `bot` process's pool (5) and one connection for
/// all its bot locks — for a whole minute. (Before, each polled bot held a connection of its
/// own, and the standby process took a fresh one per bot every 3 seconds.)
#[tokio::test]
async fn fifty_bots_and_two_bot_processes_keep_connections_bounded() {
    const BOUND_PER_BOT_PROCESS: i64 = 5 + 1;
    let db = TestDb::new().await;
    let fake = FakeTelegram::start().await;
    let mut tokens = Vec::new();
    for i in 0..50 {
        let tenant: i64 =
            sqlx::query_scalar("INSERT INTO tenants (name, slug) VALUES ($1, $2) RETURNING id")
                .bind(format!("Сервис {i}"))
                .bind(format!("bots-{i}"))
                .fetch_one(&db.owner)
                .await
                .unwrap();
        let token = format!("{}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALD{i:03}", 500_000_000 + i);
        connect_bot(&db, app::domain::db::TenantId(tenant), &token).await;
        tokens.push(token);
    }
    let _first = RoleProcess::start(&db, &fake.url("b1"), "bot");
    let _second = RoleProcess::start(&db, &fake.url("b2"), "bot");

    let started = Instant::now();
    let mut peak = 0;
    let mut all_polled_at = None;
    while started.elapsed() < Duration::from_secs(60) {
        peak = peak.max(app_connections(&db).await);
        if all_polled_at.is_none() {
            let since = started;
            if tokens
                .iter()
                .all(|t| !fake.pollers_since(t, since).is_empty())
            {
                all_polled_at = Some(started.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(all_polled_at.is_some(), "not every bot was polled");
    assert!(
        peak <= 2 * BOUND_PER_BOT_PROCESS,
        "{peak} connections for two bot processes (bound {})",
        2 * BOUND_PER_BOT_PROCESS
    );
    // Each bot by one process only.
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for token in &tokens {
        assert_eq!(fake.pollers_since(token, since).len(), 1, "{token}");
    }
    db.drop().await;
}

/// Telegram answers 5xx and 429 (with `retry_after`) for a while: every message goes out once,
/// and each refused attempt is recorded.
#[tokio::test]
async fn telegram_refusing_for_a_while_gets_each_message_once() {
    use axum::http::StatusCode;
    let db = TestDb::new().await;
    let chat = 8_880_002_i64;
    queued_messages(&db, chat, 5).await;
    let fake = FakeTelegram::start().await;
    let too_many = json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
                          "parameters": {"retry_after": 1}});
    fake.fail_sends(
        SEVER_TOKEN,
        vec![
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"ok": false, "error_code": 500, "description": "Internal Server Error"}),
            ),
            (StatusCode::TOO_MANY_REQUESTS, too_many.clone()),
            (StatusCode::TOO_MANY_REQUESTS, too_many),
            (
                StatusCode::BAD_GATEWAY,
                json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
            ),
        ],
    );
    let _worker = RoleProcess::start(&db, &fake.url("w1"), "worker");
    let started = Instant::now();
    while unfinished(&db).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "messages still queued"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent: Vec<String> = fake
        .calls(SEVER_TOKEN, "sendmessage")
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = sent.clone();
    sorted.sort();
    let expected: Vec<String> = (0..5).map(|i| format!("Сообщение {i}")).collect();
    assert_eq!(sorted, expected, "each message exactly once");
    assert_eq!(fake.calls(SEVER_TOKEN, "sendmessage-refused").len(), 4);
    let attempts: i64 =
        sqlx::query_scalar("SELECT sum(attempts) FROM jobs WHERE dedupe_key LIKE 'fault:%'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(attempts, 5 + 4);
    db.drop().await;
}

/// The worker is SIGKILLed while Telegram holds its request: after a restart the job completes.
/// The one duplicate window left: Telegram may have delivered the message the dead worker sent
/// before its `done` was committed, and the restarted worker sends it again — at most once more,
/// since the claim of the dead worker's transaction is gone with it.
#[tokio::test]
async fn a_killed_worker_s_job_completes_after_a_restart() {
    let db = TestDb::new().await;
    let chat = 8_880_003_i64;
    queued_messages(&db, chat, 1).await;
    let fake = FakeTelegram::start().await;
    fake.delay_sends(Duration::from_secs(3));
    let mut worker = RoleProcess::start(&db, &fake.url("w1"), "worker");
    fake.wait_call(SEVER_TOKEN, "sendmessage-started", |_| true)
        .await;
    worker.stop();
    assert_eq!(unfinished(&db).await, 1);
    fake.delay_sends(Duration::ZERO);
    let _restarted = RoleProcess::start(&db, &fake.url("w2"), "worker");
    let started = Instant::now();
    while unfinished(&db).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the job did not complete"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (attempts,): (i32,) =
        sqlx::query_as("SELECT attempts FROM jobs WHERE dedupe_key = 'fault:0'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    // The killed attempt rolled back with its transaction: one attempt on record.
    assert_eq!(attempts, 1);
    let started_sends = fake.calls(SEVER_TOKEN, "sendmessage-started").len();
    assert!((1..=2).contains(&started_sends), "{started_sends}");
    assert_eq!(fake.calls(SEVER_TOKEN, "sendmessage").len(), 1);
    db.drop().await;
}

/// PostgreSQL restarted (`pg_ctl restart -m fast`) while bookings and reads run: the server
/// recovers by itself within 5 seconds, answers no 5xx after that, and every booking that was
/// answered 201 is in the database, whole (with its services).
#[tokio::test]
async fn the_server_recovers_from_a_postgresql_restart_mid_load() {
    use std::sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    };

    let cluster = PrivateCluster::start();
    let admin = sqlx::PgPool::connect(&cluster.superuser_url("postgres"))
        .await
        .unwrap();
    sqlx::query("CREATE DATABASE ac")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let owner_url = cluster.superuser_url("ac");
    let seeded = bare_command("seed-demo")
        .env("DATABASE_URL", &owner_url)
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let mut serve = bare_command("serve --web-only");
    serve.env("DATABASE_URL", &owner_url);
    let server = TestServer::launch(serve, "pg-restart", &[]).await;
    let api = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let shop = api.get("/api/v1/shops/").await.1[0]["id"].as_i64().unwrap();
    let service = api.get("/api/v1/services/").await.1[0]["id"]
        .as_i64()
        .unwrap();
    let mut slots = Vec::new();
    for ahead in 20..40 {
        let day = chrono::Utc::now().date_naive() + chrono::Duration::days(ahead);
        let (_, free) = api
            .get(&format!(
                "/api/v1/shops/{shop}/slots?date={day}&service_ids={service}"
            ))
            .await;
        for slot in free.as_array().into_iter().flatten() {
            slots.push(slot["start_time"].as_str().unwrap().to_string());
        }
    }
    assert!(slots.len() > 100);

    // (when, status, booked id) of every request.
    type Answer = (Instant, u16, Option<i64>);
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let slots = Arc::new(slots);
    let mut load = Vec::new();
    for worker in 0..4 {
        let (api, answers, stop, next, slots) = (
            api.clone(),
            answers.clone(),
            stop.clone(),
            next.clone(),
            slots.clone(),
        );
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let (status, body) = if worker % 2 == 0 {
                    api.post(
                        "/api/v1/appointments/",
                        json!({"shop_id": shop, "service_ids": [service],
                               "start_time": slots[n % slots.len()],
                               "client": {"full_name": format!("Нагрузка {n}"), "phone": format!("+7998{n:07}")}}),
                    )
                    .await
                } else {
                    api.get("/api/v1/appointments/?limit=20").await
                };
                let id = (status == 201).then(|| body["id"].as_i64().unwrap());
                answers.lock().unwrap().push((sent, status, id));
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.restart();
    let restarted = Instant::now();
    tokio::time::sleep(Duration::from_secs(8)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    let answers = answers.lock().unwrap().clone();
    let recovered = answers
        .iter()
        .filter(|(sent, status, _)| *sent >= restarted && *status < 500)
        .map(|(sent, _, _)| sent.duration_since(restarted))
        .min()
        .expect("no answer after the restart");
    assert!(
        recovered <= Duration::from_secs(5),
        "recovered after {recovered:?}"
    );
    let late_errors: Vec<_> = answers
        .iter()
        .filter(|(sent, status, _)| *sent >= restarted + Duration::from_secs(5) && *status >= 500)
        .collect();
    assert!(
        late_errors.is_empty(),
        "5xx after recovery: {}",
        late_errors.len()
    );
    let booked: Vec<i64> = answers.iter().filter_map(|(_, _, id)| *id).collect();
    assert!(booked.len() > 10, "too little load: {}", booked.len());
    let db = sqlx::PgPool::connect(&owner_url).await.unwrap();
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM appointments a WHERE a.id = ANY($1)
         AND EXISTS (SELECT 1 FROM appointment_services s WHERE s.appointment_id = a.id)",
    )
    .bind(&booked)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        found as usize,
        booked.len(),
        "a booking answered 201 is missing or partial"
    );
    let partial: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM appointments a
         WHERE NOT EXISTS (SELECT 1 FROM appointment_services s WHERE s.appointment_id = a.id)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(partial, 0);
    db.close().await;
}
