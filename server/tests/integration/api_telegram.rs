//! `/api/v1/tenant/telegram` against a fake Bot API that speaks Telegram's wire format.

use crate::common::{
    server::{token, Api, TestServer},
    TestDb,
};
use axum::{extract::Path, routing::get, Json, Router};
use serde_json::{json, Value};

const GOOD: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

/// `GET /bot<token>/getMe`: the good token is @sever_service_bot, any other is unauthorized.
async fn fake_bot_api() -> String {
    async fn get_me(Path(bot): Path<String>) -> (axum::http::StatusCode, Json<Value>) {
        if bot.strip_prefix("bot") == Some(GOOD) {
            (
                axum::http::StatusCode::OK,
                Json(
                    json!({"ok": true, "result": {"id": 123456789, "is_bot": true, "first_name": "Север",
                                                   "username": "sever_service_bot"}}),
                ),
            )
        } else {
            (
                axum::http::StatusCode::UNAUTHORIZED,
                Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
            )
        }
    }
    let app = Router::new().route("/{bot}/getMe", get(get_me));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn bot_token_is_checked_stored_encrypted_and_never_returned() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let telegram = fake_bot_api().await;
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &telegram)]).await;
    let admin = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let manager = Api::new(
        &server,
        token(&server, "manager@sever.demo", "demo-password").await,
    );
    let garage = Api::new(
        &server,
        token(&server, "admin@garage24.demo", "demo-password").await,
    );

    assert_eq!(
        admin.get("/api/v1/tenant/telegram").await,
        (200, json!({"connected": false, "bot_username": null}))
    );

    let (status, body) = admin
        .call(
            reqwest::Method::PUT,
            "/api/v1/tenant/telegram",
            Some(json!({"bot_token": "nonsense"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let wrong = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (status, body) = admin
        .call(
            reqwest::Method::PUT,
            "/api/v1/tenant/telegram",
            Some(json!({"bot_token": wrong})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("Unauthorized"));
    let (status, _) = manager
        .call(
            reqwest::Method::PUT,
            "/api/v1/tenant/telegram",
            Some(json!({"bot_token": GOOD})),
        )
        .await;
    assert_eq!(status, 403);

    let (status, body) = admin
        .call(
            reqwest::Method::PUT,
            "/api/v1/tenant/telegram",
            Some(json!({"bot_token": GOOD})),
        )
        .await;
    assert_eq!(
        (status, body.clone()),
        (
            200,
            json!({"connected": true, "bot_username": "sever_service_bot"})
        )
    );
    let (_, shown) = manager.get("/api/v1/tenant/telegram").await;
    assert_eq!(
        shown,
        json!({"connected": true, "bot_username": "sever_service_bot"})
    );
    assert!(!shown.to_string().contains("AAHdq"));

    // At rest: encrypted, decryptable with the key, and the plain token nowhere in the row.
    let row: Value = sqlx::query_scalar("SELECT to_jsonb(t) FROM tenants t WHERE slug = 'sever'")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert!(!row.to_string().contains(GOOD));
    let stored = row["telegram_bot_token_enc"].as_str().unwrap();
    assert_eq!(
        app::domain::crypto::decrypt(&db.config, stored).unwrap(),
        GOOD
    );
    assert!(row["telegram_webhook_secret"].as_str().unwrap().len() >= 32);

    // The other company is untouched.
    assert_eq!(
        garage.get("/api/v1/tenant/telegram").await.1["connected"],
        false
    );

    let (status, body) = admin.delete("/api/v1/tenant/telegram").await;
    assert_eq!(
        (status, body),
        (200, json!({"connected": false, "bot_username": null}))
    );
    let token_left: Option<String> =
        sqlx::query_scalar("SELECT telegram_bot_token_enc FROM tenants WHERE slug = 'sever'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert!(token_left.is_none());
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn an_unreachable_bot_api_is_a_502_not_a_crash() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let closed = format!("http://127.0.0.1:{}", crate::common::server::free_port());
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &closed)]).await;
    let admin = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let (status, body) = admin
        .call(
            reqwest::Method::PUT,
            "/api/v1/tenant/telegram",
            Some(json!({"bot_token": GOOD})),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert!(
        !body.to_string().contains("AAHdq"),
        "the token must not leak into errors: {body}"
    );
    assert!(!server.log().contains("AAHdq"), "nor into the log");
    drop(server);
    db.drop().await;
}
