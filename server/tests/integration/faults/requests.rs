//! Odd requests and modes: NUL characters, development seeding, invented methods, a bot stopped mid-answer.

use super::*;

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

/// A request cancelled while its read transaction begins (a browser that reloads the page while a
/// server function starts) must not leave its pooled connection inside a READ ONLY transaction:
/// the next request on that connection would have every write refused («cannot execute … in a
/// read-only transaction»). sqlx queues no ROLLBACK for a transaction whose BEGIN had not
/// answered yet. Seen in the browser tests as a webhook that could not be removed.
#[tokio::test]
async fn a_read_cancelled_while_it_begins_leaves_no_read_only_connection() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let tenant = app::domain::accounts::tenant_id_by_slug(&db.app, "sever")
        .await
        .unwrap()
        .unwrap();
    // Cancel reads at every point of their start: after 1, 2, … polls.
    for polls in 0..300usize {
        let mut read = Box::pin(db.app.tenant_read_tx(tenant));
        for _ in 0..polls % 30 {
            let ready = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(std::future::Future::poll(read.as_mut(), cx).is_ready())
            })
            .await;
            if ready {
                break;
            }
            tokio::task::yield_now().await;
        }
        drop(read);
    }
    // Every connection of the pool now takes a write.
    let mut writes = Vec::new();
    for _ in 0..20 {
        let db = db.app.clone();
        writes.push(tokio::spawn(async move {
            let mut tx = db.tenant_tx(tenant).await?;
            sqlx::query("UPDATE tenants SET updated_at = now()")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, app::domain::Error>(())
        }));
    }
    for write in writes {
        write.await.unwrap().unwrap();
    }
    db.drop().await;
}
