//! Staff reading the transcript and replying through the bot from the web admin.

use super::*;

/// Calls a server function of the web admin as a browser would (form body, session cookie).
async fn server_fn(
    server: &TestServer,
    session: &str,
    endpoint: &str,
    form: &[(&str, &str)],
    origin: Option<&str>,
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(server.url(&format!("/api/{endpoint}")))
        .header("cookie", format!("ac_session={session}"))
        .form(form);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Staff read the bot conversation in the web admin and answer through the company's bot.
#[tokio::test]
async fn staff_read_the_transcript_and_reply_through_the_bot() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let user = 8_880_001;
    fake.write(SEVER_TOKEN, user, "стучит спереди справа на кочках");
    fake.wait_message(SEVER_TOKEN, user, "Подходящие работы")
        .await;
    let client: i64 = sqlx::query_scalar("SELECT id FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    let client_text = client.to_string();
    // The web session is the API's JWT in a cookie.
    let admin = crate::common::server::token(&server, "admin@sever.demo", "demo-password").await;
    let other = crate::common::server::token(&server, "admin@garage24.demo", "demo-password").await;

    let (status, body) = server_fn(
        &server,
        &admin,
        "reply_to_client",
        &[
            ("client_id", &client_text),
            ("text", "Здравствуйте! Это мастер Олег, подъезжайте."),
        ],
        Some(&server.base),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    fake.wait_message(SEVER_TOKEN, user, "Это мастер Олег")
        .await;
    let (author, staff): (String, Option<i64>) = sqlx::query_as(
        "SELECT author, staff_user_id FROM bot_messages WHERE client_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(client)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(author, "staff");
    assert!(staff.is_some());

    let (status, body) = server_fn(
        &server,
        &admin,
        "client_chat",
        &[("client_id", &client_text)],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let lines: Value = serde_json::from_str(&body).unwrap();
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 3, "{body}");
    assert_eq!(lines[0]["who"], "Клиент");
    assert_eq!(lines[0]["text"], "стучит спереди справа на кочках");
    assert_eq!(lines[1]["who"], "Бот");
    assert_eq!(lines[2]["outgoing"], true);
    assert!(lines[2]["text"].as_str().unwrap().contains("мастер Олег"));

    // Another company's staff: not found, and nothing is sent.
    let sent_before = fake.calls(SEVER_TOKEN, "sendmessage").len();
    let (status, _) = server_fn(
        &server,
        &other,
        "reply_to_client",
        &[("client_id", &client_text), ("text", "чужой")],
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = server_fn(
        &server,
        &other,
        "client_chat",
        &[("client_id", &client_text)],
        None,
    )
    .await;
    assert_eq!(status, 404);
    // A foreign page, an empty text, a client who never wrote to the bot, no session.
    let (status, body) = server_fn(
        &server,
        &admin,
        "reply_to_client",
        &[("client_id", &client_text), ("text", "привет")],
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = server_fn(
        &server,
        &admin,
        "reply_to_client",
        &[("client_id", &client_text), ("text", "   ")],
        None,
    )
    .await;
    assert_eq!(status, 400);
    let walk_in: i64 = sqlx::query_scalar(
        "SELECT id FROM clients WHERE tenant_id = $1 AND telegram_chat_id IS NULL LIMIT 1",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let (status, body) = server_fn(
        &server,
        &admin,
        "reply_to_client",
        &[("client_id", &walk_in.to_string()), ("text", "привет")],
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("ещё не писал боту"), "{body}");
    let (status, _) = server_fn(
        &server,
        "not-a-session",
        "reply_to_client",
        &[("client_id", &client_text), ("text", "привет")],
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(fake.calls(SEVER_TOKEN, "sendmessage").len(), sent_before);
    db.drop().await;
}
