//! Live events over SSE and WebSocket, within a process and across processes through Redis.

use super::*;

/// Reads SSE `data:` lines until one parses, or the timeout passes.
async fn next_sse_event(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
    timeout: Duration,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        while let Some(pos) = buffer.find("\n\n") {
            let block: String = buffer.drain(..pos + 2).collect();
            for line in block.lines() {
                if let Some(data) = line.strip_prefix("data:") {
                    if let Ok(v) = serde_json::from_str(data.trim()) {
                        return Some(v);
                    }
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .ok()??
            .ok()?;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn events_reach_the_tenants_sse_and_websocket_streams_only() {
    let (db, server) = demo_server(&[]).await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;

    let http = reqwest::Client::new();
    let sever_sse = http
        .get(server.url(&format!("/api/v1/events?token={}", sever.token)))
        .send()
        .await
        .unwrap();
    assert_eq!(sever_sse.status(), 200);
    assert!(sever_sse.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let garage_sse = http
        .get(server.url("/api/v1/events"))
        .bearer_auth(&garage.token)
        .send()
        .await
        .unwrap();
    assert_eq!(garage_sse.status(), 200);
    assert_eq!(
        http.get(server.url("/api/v1/events"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let ws_url =
        server.base.replace("http://", "ws://") + &format!("/api/v1/ws?token={}", sever.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (status, created) = sever
        .post(
            "/api/v1/clients",
            json!({"full_name": "Событийный", "phone": "+79990000111"}),
        )
        .await;
    assert_eq!(status, 201);

    let mut stream = Box::pin(sever_sse.bytes_stream());
    let mut buffer = String::new();
    let event = next_sse_event(&mut stream, &mut buffer, Duration::from_secs(3))
        .await
        .expect("SSE event");
    assert_eq!(event["type"], "client.created");
    assert_eq!(event["data"], created);

    let message = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                    return serde_json::from_str::<Value>(&t).unwrap()
                }
                Some(Ok(_)) => continue,
                other => panic!("websocket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("WebSocket event");
    assert_eq!(message["type"], "client.created");
    assert_eq!(message["data"]["id"], created["id"]);

    // The other company's stream stays silent.
    let mut other = Box::pin(garage_sse.bytes_stream());
    let mut other_buffer = String::new();
    assert!(
        next_sse_event(&mut other, &mut other_buffer, Duration::from_millis(800))
            .await
            .is_none()
    );
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn events_cross_processes_over_redis_and_the_app_survives_redis_going_away() {
    let redis = crate::common::redis::TestRedis::start().await;
    let redis_url = redis.url.clone();
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let a = TestServer::start(&db, &[("REDIS_URL", &redis.url)]).await;
    let b = TestServer::start(&db, &[("REDIS_URL", &redis.url)]).await;
    let health: Value = reqwest::get(a.url("/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["redis"], "ok");

    // Stream on process A, change through process B.
    let on_a = as_user(&a, "admin@sever.demo").await;
    let on_b = Api::new(&b, on_a.token.clone());
    let sse = reqwest::Client::new()
        .get(a.url("/api/v1/events"))
        .bearer_auth(&on_a.token)
        .send()
        .await
        .unwrap();
    let mut stream = Box::pin(sse.bytes_stream());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, created) = on_b
        .post(
            "/api/v1/clients",
            json!({"full_name": "Через Redis", "phone": "+79990000222"}),
        )
        .await;
    assert_eq!(status, 201);
    let mut buffer = String::new();
    let event = next_sse_event(&mut stream, &mut buffer, Duration::from_secs(3))
        .await
        .expect("event via Redis");
    assert_eq!(event["type"], "client.created");
    assert_eq!(event["data"]["id"], created["id"]);

    // Rate limits are shared: 5 attempts split over both processes, the 6th is refused anywhere.
    let http = reqwest::Client::new();
    for (i, server) in [&a, &b, &a, &b, &a].iter().enumerate() {
        let r = http
            .post(server.url("/api/v1/login/access-token"))
            .form(&[("username", "admin@garage24.demo"), ("password", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "attempt {i}");
    }
    let r = http
        .post(b.url("/api/v1/login/access-token"))
        .form(&[("username", "admin@garage24.demo"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);

    // Redis goes away: the app keeps serving, rate limiting falls back to the process.
    drop(redis);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _) = on_a.get("/api/v1/users/me").await;
    assert_eq!(status, 200);
    let (status, _) = on_a
        .post(
            "/api/v1/clients",
            json!({"full_name": "Без Redis", "phone": "+79990000333"}),
        )
        .await;
    assert_eq!(status, 201);
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..6 {
            let r = http
                .post(a.url("/api/v1/login/access-token"))
                .form(&[("username", "manager@sever.demo"), ("password", "wrong")])
                .send()
                .await
                .unwrap();
            v.push(r.status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [400, 400, 400, 400, 400, 429]);
    let health: Value = reqwest::get(a.url("/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["redis"], "unavailable");
    assert!(
        a.log().contains("rate limiting falls back to this process"),
        "{}",
        a.log()
    );

    // Redis comes back on its address: both processes reconnect, and events cross again on the
    // stream that stayed open.
    let port: u16 = redis_url.rsplit(':').next().unwrap().parse().unwrap();
    let _redis = crate::common::redis::TestRedis::start_on(port).await;
    let started = std::time::Instant::now();
    for n in 0.. {
        let name = format!("Снова через Redis {n}");
        let (status, _) = on_b
            .post(
                "/api/v1/clients",
                json!({"full_name": name, "phone": format!("+7999333{n:04}")}),
            )
            .await;
        assert_eq!(status, 201);
        if let Some(event) = next_sse_event(&mut stream, &mut buffer, Duration::from_secs(1)).await
        {
            if event["data"]["full_name"] == json!(name) {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "events did not cross again after Redis came back"
        );
    }
    drop(a);
    drop(b);
    db.drop().await;
}
