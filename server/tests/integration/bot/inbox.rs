//! The inbox: a customer who asks for a person is marked for staff, messages arrive live and
//! unread, and a staff member who takes the conversation over answers alone — the bot stays
//! silent until the conversation is handed back.

use super::*;

use crate::common::{server::Api, telegram::FAKE_FILE};

async fn api(server: &TestServer, email: &str) -> Api {
    Api::new(
        server,
        crate::common::server::token(server, email, "demo-password").await,
    )
}

/// The inbox row of this Telegram user's conversation.
async fn row(api: &Api, client: i64) -> Value {
    let (status, items) = api.get("/api/v1/inbox").await;
    assert_eq!(status, 200, "{items}");
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["client_id"] == json!(client))
        .cloned()
        .unwrap_or_else(|| panic!("no conversation of {client} in {items}"))
}

/// The client card of this Telegram user.
async fn client_of(db: &TestDb, user: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&db.owner)
        .await
        .unwrap()
}

/// The conversation's inbox row once its `field` is `value` (the bot writes after it answers).
async fn row_when(api: &Api, client: i64, field: &str, value: Value) -> Value {
    let started = Instant::now();
    loop {
        let item = row(api, client).await;
        if item[field] == value {
            return item;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{field} never became {value}: {item}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn staff_take_a_conversation_over_and_the_bot_stays_silent_until_handed_back() {
    let (db, fake, server) = sever_with_bot().await;
    let admin = api(&server, "admin@sever.demo").await;
    let garage = api(&server, "admin@garage24.demo").await;
    let events = staff_events(&server, "manager@sever.demo").await;
    let user = 8_880_101;

    // Asking for a person: the bot says it passed the question on; the inbox marks it.
    fake.write(SEVER_TOKEN, user, "Позовите, пожалуйста, менеджера");
    fake.wait_message(SEVER_TOKEN, user, "Передал ваш вопрос сотрудникам")
        .await;
    let client = client_of(&db, user).await;
    let item = row_when(
        &admin,
        client,
        "needs_human",
        json!("Клиент просит сотрудника"),
    )
    .await;
    assert_eq!(item["needs_human"], "Клиент просит сотрудника");
    assert_eq!(item["unread"], 1);
    assert!(item["taken_by"].is_null());
    // Live: the message reached the company's stream.
    let started = Instant::now();
    while !sse_events(&events.lock().unwrap())
        .iter()
        .any(|e| e["type"] == "message.received" && e["data"]["client_id"] == json!(client))
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no message.received"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Another company sees none of it.
    let (_, theirs) = garage.get("/api/v1/inbox").await;
    assert!(!theirs
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["client_id"] == json!(client)));
    let takeover = format!("/api/v1/inbox/{client}/takeover");
    assert_eq!(
        garage.call(reqwest::Method::PUT, &takeover, None).await.0,
        404
    );

    // Taken over: the customer is told a person answers; the mark goes.
    let (status, taken) = admin.call(reqwest::Method::PUT, &takeover, None).await;
    assert_eq!(status, 200, "{taken}");
    let (_, me) = admin.get("/api/v1/users/me").await;
    assert_eq!(taken["taken_by"], me["id"]);
    assert!(taken["needs_human"].is_null());
    assert!(taken["taken_until"].is_string());
    fake.wait_message(SEVER_TOKEN, user, "На связи").await;

    // The customer writes: no bot answer; staff answer through the bot.
    let mark = fake.mark(SEVER_TOKEN);
    fake.write(SEVER_TOKEN, user, "стучит спереди справа на кочках");
    row_when(&admin, client, "unread", json!(2)).await;
    let (status, reply) = admin
        .post(
            &format!("/api/v1/inbox/{client}/messages"),
            json!({"text": "Подъезжайте сегодня к 15:00, посмотрим."}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    fake.wait_message_after(SEVER_TOKEN, user, "Подъезжайте сегодня", mark)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent: Vec<String> = fake
        .calls(SEVER_TOKEN, "sendmessage")
        .iter()
        .skip(mark)
        .filter(|b| b["chat_id"] == json!(user))
        .map(|b| b["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        sent,
        vec!["Подъезжайте сегодня к 15:00, посмотрим."],
        "the bot stayed silent"
    );

    // Reading the transcript marks it read.
    let (status, messages) = admin.get(&format!("/api/v1/inbox/{client}/messages")).await;
    assert_eq!(status, 200);
    assert!(messages.as_array().unwrap().len() >= 4, "{messages}");
    assert_eq!(row(&admin, client).await["unread"], 0);

    // Handed back: the bot answers again.
    let (status, back) = admin.call(reqwest::Method::DELETE, &takeover, None).await;
    assert_eq!(status, 200, "{back}");
    assert!(back["taken_by"].is_null());
    let mark = fake.mark(SEVER_TOKEN);
    fake.write(SEVER_TOKEN, user, "стучит спереди справа на кочках");
    fake.wait_message_after(SEVER_TOKEN, user, "Подходящие работы", mark)
        .await;
}

#[tokio::test]
async fn a_takeover_lapses_after_two_hours_of_staff_silence() {
    let (db, fake, server) = sever_with_bot().await;
    let admin = api(&server, "admin@sever.demo").await;
    let user = 8_880_102;
    fake.write(SEVER_TOKEN, user, "Добрый день");
    fake.wait_call(SEVER_TOKEN, "sendmessage", |b| b["chat_id"] == json!(user))
        .await;
    let client = client_of(&db, user).await;
    let takeover = format!("/api/v1/inbox/{client}/takeover");
    assert_eq!(
        admin.call(reqwest::Method::PUT, &takeover, None).await.0,
        200
    );
    // Two hours and a minute of staff silence.
    sqlx::query("UPDATE bot_conversations SET last_staff_at = now() - interval '121 minutes' WHERE chat_id = $1")
        .bind(user)
        .execute(&db.owner)
        .await
        .unwrap();
    assert!(row(&admin, client).await["taken_by"].is_null());
    let mark = fake.mark(SEVER_TOKEN);
    fake.write(SEVER_TOKEN, user, "стучит спереди справа на кочках");
    fake.wait_message_after(SEVER_TOKEN, user, "Подходящие работы", mark)
        .await;
}

/// When the concierge has nothing to offer, the answer offers the catalogue and a person; the
/// latter's press marks the conversation for staff and tells the customer so.
#[tokio::test]
async fn nothing_to_offer_comes_with_a_call_for_a_manager() {
    let (db, fake, server) = sever_with_bot().await;
    let admin = api(&server, "admin@sever.demo").await;
    let user = 8_880_103;
    fake.write(SEVER_TOKEN, user, "Хочу перешить салон в красную кожу");
    let answer = fake
        .wait_message(
            SEVER_TOKEN,
            user,
            "Подходящей услуги в нашем каталоге я не нашёл",
        )
        .await;
    // Two ways on: the catalogue, and a person.
    let labels: Vec<String> = buttons(&answer).into_iter().map(|b| b.0).collect();
    assert_eq!(labels, ["Выбрать из каталога", "Позвать менеджера"]);
    let (_, catalogue) = buttons(&answer).into_iter().next().unwrap();
    fake.press(SEVER_TOKEN, user, &catalogue);
    let sections = fake
        .wait_message(SEVER_TOKEN, user, "Выберите раздел:")
        .await;
    assert!(buttons(&sections).len() >= 2, "{sections}");
    let (_, data) = buttons(&answer).into_iter().nth(1).unwrap();
    fake.press(SEVER_TOKEN, user, &data);
    fake.wait_message(SEVER_TOKEN, user, "Передал ваш вопрос сотрудникам")
        .await;
    let client = client_of(&db, user).await;
    row_when(
        &admin,
        client,
        "needs_human",
        json!("Клиент просит сотрудника"),
    )
    .await;
}

/// A photo without words is not «I understand only text»: kept for staff by what it is, marked
/// for them, and answered politely.
#[tokio::test]
async fn a_photo_is_kept_for_staff_and_answered_politely() {
    let (db, fake, server) = sever_with_bot().await;
    let admin = api(&server, "admin@sever.demo").await;
    let user = 8_880_104;
    fake.push(
        SEVER_TOKEN,
        json!({"message": {
            "message_id": 7, "date": 1_764_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Иван"},
            "from": FakeTelegram::user(user),
            "photo": [{"file_id": "AgAD-photo", "file_unique_id": "AQAD", "width": 90, "height": 60}],
        }}),
    );
    fake.wait_message(SEVER_TOKEN, user, "Это увидят сотрудники")
        .await;
    let client = client_of(&db, user).await;
    row_when(
        &admin,
        client,
        "needs_human",
        json!("Клиент прислал фото, голос или файл"),
    )
    .await;
    let (_, messages) = admin.get(&format!("/api/v1/inbox/{client}/messages")).await;
    assert_eq!(messages[0]["text"], "(фото)", "{messages}");
    assert_eq!(messages[0]["attachment"], "photo", "{messages}");

    // Staff open it: the server fetches it with the company's bot (getFile, then the file).
    let id = messages[0]["id"].as_i64().unwrap();
    let url = server.url(&format!("/api/v1/inbox/messages/{id}/attachment"));
    let token = crate::common::server::token(&server, "manager@sever.demo", "demo-password").await;
    let http = reqwest::Client::new();
    let opened = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    assert_eq!(opened.headers()["content-type"], "image/jpeg");
    assert_eq!(opened.headers()["x-content-type-options"], "nosniff");
    assert_eq!(&opened.bytes().await.unwrap()[..], FAKE_FILE);
    assert!(fake
        .calls(SEVER_TOKEN, "getfile")
        .iter()
        .any(|body| body["file_id"] == "AgAD-photo"));
    // Not without a login, not for another company, not for a message without a file.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let other = crate::common::server::token(&server, "admin@garage24.demo", "demo-password").await;
    assert_eq!(
        http.get(&url)
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let (_, all) = admin.get(&format!("/api/v1/inbox/{client}/messages")).await;
    let answer = all[1]["id"].as_i64().unwrap();
    let plain = server.url(&format!("/api/v1/inbox/messages/{answer}/attachment"));
    assert_eq!(
        http.get(&plain)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // One Telegram no longer keeps: 404 with a reason, the token in no answer.
    sqlx::query("UPDATE bot_messages SET attachment = '{\"kind\": \"photo\", \"file_id\": \"gone-1\"}' WHERE id = $1")
        .bind(id)
        .execute(&db.owner)
        .await
        .unwrap();
    let gone = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    assert!(!gone.text().await.unwrap().contains(SEVER_TOKEN));
}
