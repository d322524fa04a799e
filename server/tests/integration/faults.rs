//! Production setup and faults, with real processes: the database roles made as the README tells
//! a DBA, PostgreSQL restarted under load, graceful shutdown, Redis coming up late.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use crate::common::{
    cluster::PrivateCluster,
    server::{bare_command, token, Api, RoleProcess, TestServer},
    telegram::{connect_bot, tenant, FakeTelegram, SEVER_TOKEN},
    TestDb,
};
use serde_json::json;

/// The SQL of the README's "Database roles" section, with the passwords filled in: the part a
/// superuser runs in the `postgres` database, and the part it runs in the new database.
fn readme_role_sql(owner_password: &str, app_password: &str) -> (String, String) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let section = &readme[readme
        .find("### Database roles")
        .expect("README: Database roles")..];
    let start = section.find("```sql").expect("an sql block") + "```sql".len();
    let block = &section[start..];
    let block = &block[..block.find("```").expect("end of the sql block")];
    let block = block
        .replacen("'...'", &format!("'{owner_password}'"), 1)
        .replacen("'...'", &format!("'{app_password}'"), 1);
    assert!(!block.contains("'...'"), "a password left unfilled");
    let (cluster_part, database_part) = block
        .split_once("-- as a superuser")
        .expect("README: the extensions part");
    (
        cluster_part.to_string(),
        database_part
            .split_once('\n')
            .map_or("", |(_, rest)| rest)
            .to_string(),
    )
}

/// Runs each statement on its own, as psql does (CREATE DATABASE refuses a transaction block).
async fn run_statements(pool: &sqlx::PgPool, sql: &str) {
    let without_comments: String = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for statement in without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        sqlx::raw_sql(statement)
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// The owner a DBA makes has no CREATEROLE, so the first migration cannot grant it the runtime
/// role; it must migrate anyway, and the app must serve as the runtime role. Before the fix the
/// migration stopped at `must have admin option on role "auto_concierge_app"`.
#[tokio::test]
async fn roles_made_as_the_readme_says_migrate_and_serve() {
    let cluster = PrivateCluster::start();
    let (cluster_sql, database_sql) = readme_role_sql("owner-pw-1", "app-pw-2");
    let superuser = sqlx::PgPool::connect(&cluster.superuser_url("postgres"))
        .await
        .unwrap();
    run_statements(&superuser, &cluster_sql).await;
    superuser.close().await;
    let superuser = sqlx::PgPool::connect(&cluster.superuser_url("auto_concierge"))
        .await
        .unwrap();
    run_statements(&superuser, &database_sql).await;

    let owner_url = cluster.url("auto_concierge_owner", "owner-pw-1", "auto_concierge");
    let app_url = cluster.url("auto_concierge_app", "app-pw-2", "auto_concierge");
    let migrated = bare_command("migrate")
        .env("DATABASE_URL", &owner_url)
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "migrate as the owner: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );

    // The first company, made by the operator's command.
    let mut create =
        bare_command("tenant create --name Автосервис --slug myshop --admin-email admin@myshop.ru")
            .env("DATABASE_URL", &owner_url)
            .env("APP_DATABASE_URL", &app_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    {
        use std::io::Write;
        let mut stdin = create.stdin.take().unwrap();
        writeln!(stdin, "a-long-admin-password").unwrap();
    }
    let created = create.wait_with_output().unwrap();
    assert!(
        created.status.success(),
        "tenant create: {}",
        String::from_utf8_lossy(&created.stderr)
    );

    let mut serve = bare_command("serve --web-only");
    serve
        .env("DATABASE_URL", &owner_url)
        .env("APP_DATABASE_URL", &app_url);
    let server = TestServer::launch(serve, "roles", &[]).await;
    let api = Api::new(
        &server,
        token(&server, "admin@myshop.ru", "a-long-admin-password").await,
    );
    let (status, shop) = api
        .post(
            "/api/v1/shops/",
            json!({"name": "Сервис на Ленина", "bays": 2,
                   "working_hours": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]]}}),
        )
        .await;
    assert_eq!(status, 201, "{shop}");
    let (status, shops) = api.get("/api/v1/shops/").await;
    assert_eq!(status, 200);
    assert_eq!(shops.as_array().unwrap().len(), 1);

    // The worker needs only the runtime role: no DATABASE_URL, no DDL rights.
    let worker_log = cluster.dir().join("worker.log");
    let mut worker = bare_command("worker");
    worker.env("APP_DATABASE_URL", &app_url);
    let mut worker = RoleProcess::spawn(worker, Some(&worker_log));

    // Everything the application holds open is the runtime role's.
    let started = Instant::now();
    let users: Vec<String> = loop {
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT usename::text FROM pg_stat_activity
             WHERE application_name = 'auto-concierge' ORDER BY 1",
        )
        .fetch_all(&superuser)
        .await
        .unwrap();
        let workers: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT client_port) FROM pg_stat_activity WHERE application_name = 'auto-concierge'",
        )
        .fetch_one(&superuser)
        .await
        .unwrap();
        if workers >= 2 || started.elapsed() > Duration::from_secs(10) {
            break users;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(users, vec!["auto_concierge_app".to_string()]);
    assert!(worker.wait_exit(Duration::from_millis(100)).await.is_none());
    worker.terminate();
    let status = worker
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("the worker stops on SIGTERM");
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&worker_log).unwrap_or_default()
    );
    superuser.close().await;
}

/// SIGTERM with live streams open: the SSE response ends, the WebSocket gets «going away», and
/// the process exits within its drain budget. (Before, an open stream held the graceful shutdown
/// until the orchestrator's SIGKILL.)
#[tokio::test]
async fn sigterm_ends_the_live_streams_and_the_server_exits() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::{protocol::frame::coding::CloseCode, Message};

    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let mut server = TestServer::start(&db, &[]).await;
    let token = token(&server, "admin@sever.demo", "demo-password").await;
    let sse = reqwest::Client::new()
        .get(server.url(&format!("/api/v1/events?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let mut sse = sse.bytes_stream();
    let ws_url = format!(
        "{}/api/v1/ws?token={token}",
        server.base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();

    let stopped = Instant::now();
    server.terminate();
    let sse_ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = sse.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(sse_ended.is_ok(), "the SSE stream was not ended");
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("no close frame");
    assert_eq!(close, Some(CloseCode::Away));
    let status = server
        .wait_exit(Duration::from_secs(12))
        .await
        .expect("the server did not exit after SIGTERM");
    assert!(status.success(), "{status}\n{}", server.log());
    assert!(stopped.elapsed() < Duration::from_secs(12));
    db.drop().await;
}

/// SIGTERM while the worker waits for Telegram to accept a message: it finishes that job (sent,
/// recorded as done) and exits; a worker started afterwards does not send it again. (Before, the
/// process dropped the job mid-send, its claim rolled back, and the next worker sent it twice.)
#[tokio::test]
async fn a_worker_stopped_mid_send_finishes_the_job_and_never_sends_it_twice() {
    let db = TestDb::new().await;
    queued_messages(&db, 8_880_001, 1).await;
    let fake = FakeTelegram::start().await;
    fake.delay_sends(Duration::from_secs(3));

    let log = std::env::temp_dir().join(format!("{}-worker.log", db.name));
    let mut worker = RoleProcess::start_logged(&db, &fake.url("w1"), "worker", &log);
    fake.wait_call(SEVER_TOKEN, "sendmessage-started", |_| true)
        .await;
    worker.terminate();
    let status = worker
        .wait_exit(Duration::from_secs(15))
        .await
        .expect("the worker did not stop");
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "{status}\n{output}");
    let job: (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM jobs WHERE dedupe_key = 'fault:0'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(job, ("done".into(), 1), "{output}");

    fake.delay_sends(Duration::ZERO);
    let _next = RoleProcess::start(&db, &fake.url("w2"), "worker");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fake.calls(SEVER_TOKEN, "sendmessage-started").len(), 1);
    assert_eq!(fake.calls(SEVER_TOKEN, "sendmessage").len(), 1);
    let _ = std::fs::remove_file(&log);
    db.drop().await;
}

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

const METRICS_TOKEN: &str = "faults-metrics-token-0123456789";

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

/// A company's client with a Telegram chat and `n` messages queued for them, due now.
async fn queued_messages(db: &TestDb, chat: i64, n: usize) -> app::domain::db::TenantId {
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(db, "sever").await;
    connect_bot(db, sever, SEVER_TOKEN).await;
    let client: i64 = sqlx::query_scalar(
        "INSERT INTO clients (tenant_id, full_name, telegram_id, telegram_chat_id)
         VALUES ($1, 'Пётр', $2, $2) RETURNING id",
    )
    .bind(sever.0)
    .bind(chat)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    for i in 0..n {
        sqlx::query(
            "INSERT INTO jobs (tenant_id, kind, payload, dedupe_key)
             VALUES ($1, 'telegram.message', $2, $3)",
        )
        .bind(sever.0)
        .bind(json!({"chat_id": chat, "client_id": client, "text": format!("Сообщение {i}")}))
        .bind(format!("fault:{i}"))
        .execute(&db.owner)
        .await
        .unwrap();
    }
    sever
}

/// Jobs of the `fault:` fixtures not finished yet.
async fn unfinished(db: &TestDb) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'fault:%' AND status <> 'done'",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap()
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

/// PostgreSQL cannot store NUL in text: a NUL in JSON, a query or a form is a clear 422, never
/// a 500 from the database (found by schemathesis, scripts/fuzz-api.sh).
#[tokio::test]
async fn nul_characters_are_refused_with_422() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(&db, &[]).await;
    let api = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let (status, body) = api
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Иван\u{0}", "phone": "+79990004455"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api.get("/api/v1/clients/?search=%00").await;
    assert_eq!(status, 422, "{body}");
    let login = reqwest::Client::new()
        .post(server.url("/api/v1/login/access-token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=admin%00%40sever.demo&password=x")
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 422);
    let raw = reqwest::Client::new()
        .post(server.url("/api/v1/login/access-token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"username=admin\0@sever.demo&password=x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 422);
    // A backslash followed by `u0000` is ordinary text.
    let (status, body) = api
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Путь \\u0000", "phone": "+79990004456"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    db.drop().await;
}

/// `serve` with ENVIRONMENT unset, pointed at an empty database of somebody else's: no demo
/// accounts (with their public password) appear by themselves; only `seed-demo` adds them.
#[tokio::test]
async fn development_mode_never_seeds_a_database_it_was_given() {
    let db = TestDb::new().await;
    let data_dir = std::env::temp_dir().join(format!("{}-data", db.name));
    let mut serve = bare_command("serve --web-only");
    serve
        .env_remove("ENVIRONMENT")
        .env("AC_DATA_DIR", &data_dir)
        .env("DATABASE_URL", &db.owner_url);
    let server = TestServer::launch(serve, &db.name, &[]).await;
    let tenants: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(tenants, 0, "{}", server.log());
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);
    db.drop().await;
}

/// Methods a client invents do not become metric labels: the scrape stays the same size however
/// many are sent.
#[tokio::test]
async fn invented_methods_do_not_grow_the_metrics() {
    let db = TestDb::new().await;
    let server = TestServer::start(&db, &[("METRICS_TOKEN", METRICS_TOKEN)]).await;
    let client = reqwest::Client::new();
    for i in 0..50 {
        let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
        let _ = client
            .request(method, server.url("/health"))
            .send()
            .await
            .unwrap();
    }
    let text = client
        .get(server.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("BREW"), "{text}");
    assert!(text.contains("method=\"OTHER\""), "{text}");
    db.drop().await;
}

/// SIGTERM while a `bot` process answers a customer (Telegram is slow to accept the answer): it
/// finishes that answer, tells Telegram the update was handled, and exits; the process that
/// takes over does not answer the same message again.
#[tokio::test]
async fn a_bot_stopped_mid_answer_finishes_it_and_never_answers_twice() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let log = std::env::temp_dir().join(format!("{}-bot.log", db.name));
    let mut bot = RoleProcess::start_logged(&db, &fake.url("b1"), "bot", &log);
    let user = 8_880_010;
    // Polled before the message arrives, so it is handled by this process.
    fake.wait_call(SEVER_TOKEN, "deletewebhook", |_| true).await;
    fake.delay_sends(Duration::from_secs(3));
    fake.write(SEVER_TOKEN, user, "/start");
    fake.wait_call(SEVER_TOKEN, "sendmessage-started", |_| true)
        .await;
    bot.terminate();
    let status = bot
        .wait_exit(Duration::from_secs(15))
        .await
        .expect("the bot process did not stop");
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "{status}\n{output}");
    assert_eq!(fake.calls(SEVER_TOKEN, "sendmessage").len(), 1, "{output}");

    fake.delay_sends(Duration::ZERO);
    let since = Instant::now();
    let _next = RoleProcess::start(&db, &fake.url("b2"), "bot");
    while fake.pollers_since(SEVER_TOKEN, since).is_empty() {
        assert!(
            since.elapsed() < Duration::from_secs(15),
            "no process took the bot over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.calls(SEVER_TOKEN, "sendmessage-started").len(), 1);
    let _ = std::fs::remove_file(&log);
    db.drop().await;
}
