//! The contract around the routes: the OpenAPI document, connections of clients that hang up, metrics.

use super::*;

#[tokio::test]
async fn openapi_lists_every_route_of_the_contract() {
    let (db, server) = demo_server(&[]).await;
    let spec: Value = reqwest::get(server.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = spec["paths"].as_object().expect("paths");
    // The contract of ../shared/PRODUCT.md, "REST API", that is implemented so far.
    let expected = [
        ("post", "/api/v1/login/access-token"),
        ("get", "/api/v1/users/me"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("post", "/api/v1/users/{id}/password-reset"),
        ("post", "/api/v1/users/me/password"),
        ("get", "/api/v1/shops"),
        ("post", "/api/v1/shops"),
        ("get", "/api/v1/shops/{id}"),
        ("patch", "/api/v1/shops/{id}"),
        ("delete", "/api/v1/shops/{id}"),
        ("get", "/api/v1/shops/{id}/slots"),
        ("get", "/api/v1/appointments"),
        ("post", "/api/v1/appointments"),
        ("get", "/api/v1/appointments/{id}"),
        ("patch", "/api/v1/appointments/{id}"),
        ("get", "/api/v1/inbox"),
        ("get", "/api/v1/inbox/{client_id}/messages"),
        ("post", "/api/v1/inbox/{client_id}/messages"),
        ("put", "/api/v1/inbox/{client_id}/takeover"),
        ("delete", "/api/v1/inbox/{client_id}/takeover"),
        ("get", "/api/v1/services"),
        ("post", "/api/v1/services"),
        ("get", "/api/v1/services/{id}"),
        ("patch", "/api/v1/services/{id}"),
        ("delete", "/api/v1/services/{id}"),
        ("get", "/api/v1/clients"),
        ("post", "/api/v1/clients"),
        ("get", "/api/v1/clients/{id}"),
        ("patch", "/api/v1/clients/{id}"),
        ("get", "/api/v1/tenant"),
        ("patch", "/api/v1/tenant"),
        ("get", "/api/v1/tenant/telegram"),
        ("put", "/api/v1/tenant/telegram"),
        ("delete", "/api/v1/tenant/telegram"),
        ("get", "/api/v1/events"),
        ("get", "/api/v1/ws"),
        ("post", "/api/v1/concierge/analyze"),
    ];
    for (method, path) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from openapi.json"
        );
    }
    let docs = reqwest::get(server.url("/api/v1/docs")).await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("/api/v1/clients/{id}"));
    drop(server);
    db.drop().await;
}

/// Clients that hang up halfway: every request runs to its end on the server, so no pooled
/// connection is left inside a transaction (where the next request would run), and the server
/// keeps answering.
#[tokio::test]
async fn clients_hanging_up_leave_no_connection_inside_a_transaction() {
    let (db, server) = demo_server(&[]).await;
    let api = as_user(&server, "admin@sever.demo").await;
    let mut requests = Vec::new();
    for i in 0..200u64 {
        let url = server.url("/api/v1/appointments/?limit=50");
        let token = api.token.clone();
        requests.push(tokio::spawn(async move {
            // Given up at different points of the handling: 0.5 to 10 ms.
            let client = reqwest::Client::builder()
                .timeout(Duration::from_micros(500 + (i % 20) * 500))
                .build()
                .unwrap();
            let _ = client.get(url).bearer_auth(token).send().await;
        }));
    }
    for request in requests {
        request.await.unwrap();
    }
    // Whatever was still running finishes; then every connection is idle, none in a transaction.
    let mut stuck = i64::MAX;
    for _ in 0..50 {
        stuck = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = $1 AND state IN ('idle in transaction', 'idle in transaction (aborted)')",
        )
        .bind(&db.name)
        .fetch_one(&db.owner)
        .await
        .unwrap();
        if stuck == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stuck, 0, "connections left inside a transaction");
    let r = reqwest::Client::new()
        .get(server.url("/api/v1/appointments/?limit=50"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 50);
    drop(server);
    db.drop().await;
}

/// The value of one exposition line, `None` when the series is absent.
fn series(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_each_company_s_figures_only_for_the_token() {
    const METRICS_TOKEN: &str = "metrics-token-0123456789abcdef";
    let (db, server) = demo_server(&[("METRICS_TOKEN", METRICS_TOKEN)]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    for _ in 0..3 {
        assert_eq!(admin.get("/api/v1/appointments?limit=5").await.0, 200);
    }
    assert_eq!(admin.get("/api/v1/clients/999999999").await.0, 404);
    // A customer's message the concierge answered through the LLM's stand-in.
    let sever = app::domain::accounts::tenant_id_by_slug(&db.app, "sever")
        .await
        .unwrap()
        .unwrap();
    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    sqlx::query(
        "INSERT INTO bot_messages (tenant_id, chat_id, direction, author, text, analysis)
         VALUES ($1, 42, 'in', 'customer', 'Стучит подвеска', $2)",
    )
    .bind(sever.0)
    .bind(json!({"engine": "rules", "latency_ms": 12, "fallback": "timeout"}))
    .execute(&mut *tx)
    .await
    .unwrap();
    // The bot's answer 1.5 s later (now() is the transaction's start, the same for both rows).
    sqlx::query(
        "INSERT INTO bot_messages (tenant_id, chat_id, direction, author, text, created_at)
         VALUES ($1, 42, 'out', 'bot', 'Похоже на шаровую опору', now() + interval '1500 milliseconds')",
    )
    .bind(sever.0)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let client = reqwest::Client::new();
    let metrics = |bearer: Option<&str>| {
        let mut request = client.get(server.url("/metrics"));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send()
    };
    // Without the token, or with another one: nothing is there.
    assert_eq!(metrics(None).await.unwrap().status(), 404);
    assert_eq!(
        metrics(Some("metrics-token-0123456789abcdeX"))
            .await
            .unwrap()
            .status(),
        404
    );

    let response = metrics(Some(METRICS_TOKEN)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    // Routes by template, never by raw path or query.
    assert_eq!(
        series(
            &text,
            r#"http_requests_total{method="GET",route="/api/v1/appointments",status="200"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        series(
            &text,
            r#"http_requests_total{method="GET",route="/api/v1/clients/{id}",status="404"}"#
        ),
        Some(1.0)
    );
    assert!(!text.contains("/api/v1/clients/999999999"));
    assert_eq!(
        series(
            &text,
            r#"http_request_duration_seconds_count{route="/api/v1/appointments"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        series(
            &text,
            r#"http_request_duration_seconds_bucket{route="/api/v1/appointments",le="+Inf"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        series(&text, "auto_concierge_db_pool_max_connections"),
        Some(10.0)
    );
    // Each company's figures, labelled by slug.
    for tenant in ["sever", "garage24"] {
        for status in ["pending", "running", "failed"] {
            let line = format!(r#"auto_concierge_jobs{{tenant="{tenant}",status="{status}"}}"#);
            assert!(series(&text, &line).is_some(), "{line} missing:\n{text}");
        }
    }
    assert_eq!(
        series(
            &text,
            r#"auto_concierge_concierge_answers_24h{tenant="sever",engine="rules"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        series(
            &text,
            r#"auto_concierge_concierge_fallbacks_24h{tenant="sever"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        series(
            &text,
            r#"auto_concierge_concierge_latency_ms_24h{tenant="sever"}"#
        ),
        Some(12.0)
    );
    assert_eq!(
        series(
            &text,
            r#"auto_concierge_concierge_answers_24h{tenant="garage24",engine="rules"}"#
        ),
        None
    );
    assert_eq!(
        series(&text, r#"auto_concierge_bot_reply_ms_24h{tenant="sever"}"#),
        Some(1500.0)
    );

    // A production server without METRICS_TOKEN keeps /metrics closed, even to this machine.
    let closed = TestServer::start(&db, &[]).await;
    let response = client.get(closed.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    drop(closed);
    drop(server);
    db.drop().await;
}
