//! The database roles made as the README tells a DBA, and graceful shutdown of the server and the worker.

use super::*;

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
