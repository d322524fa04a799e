//! The companies' Telegram bots against a fake Bot API (`crate::common::telegram`) that speaks
//! Telegram's wire format, with the real server binary on a real database.

use std::time::{Duration, Instant};

use crate::common::{
    server::{RoleProcess, TestServer},
    telegram::{
        buttons, connect_bot, disconnect_bot, sse_events, staff_events, tenant, FakeTelegram,
        GARAGE_TOKEN, NEW_SEVER_TOKEN, SEVER_TOKEN,
    },
    TestDb,
};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// `1500.00` → `1 500 ₽` as the bot writes prices.
fn rubles(price: i64) -> String {
    let digits = price.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(d);
    }
    format!("{out}\u{a0}₽")
}

#[tokio::test]
async fn dialogue_greets_answers_symptoms_and_keeps_the_transcript() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let user = 5_550_001;
    // Staff's live stream: the bot's new client and booking must show up there.
    let staff = staff_events(&server, "admin@sever.demo").await;

    fake.write(SEVER_TOKEN, user, "/start");
    let greeting = fake
        .wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    let menu = greeting["reply_markup"]["keyboard"].to_string();
    for button in ["Записаться", "Задать вопрос", "Мои записи"] {
        assert!(menu.contains(button), "menu {menu}");
    }

    let symptom = "стучит спереди справа на кочках";
    fake.write(SEVER_TOKEN, user, symptom);
    let answer = fake
        .wait_message(SEVER_TOKEN, user, "Подходящие работы")
        .await;
    let text = answer["text"].as_str().unwrap();
    let suspension: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, price::bigint FROM services WHERE tenant_id = $1 AND category = 'suspension'",
    )
    .bind(sever.0)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert!(
        suspension
            .iter()
            .any(|(name, price)| text.contains(&format!("{name} — {}", rubles(*price)))),
        "no suspension service with its price in {text:?}"
    );
    assert_eq!(
        answer["reply_markup"]["inline_keyboard"][0][0],
        json!({"text": "Записаться", "callback_data": "book:1:"})
    );

    // The transcript: the customer's words with the concierge's analysis, and the answer.
    let transcript: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT direction, text, analysis IS NOT NULL FROM bot_messages
         WHERE tenant_id = $1 AND chat_id = $2 ORDER BY id",
    )
    .bind(sever.0)
    .bind(user)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(transcript.len(), 4, "{transcript:?}");
    // Which engine answered and how long it took, per message (the AI fallback rate's source).
    let (engine, latency, fallback): (Option<String>, Option<i64>, Option<String>) =
        sqlx::query_as(
            "SELECT analysis ->> 'engine', (analysis ->> 'latency_ms')::bigint, analysis ->> 'fallback'
             FROM bot_messages WHERE tenant_id = $1 AND chat_id = $2 AND analysis IS NOT NULL",
        )
        .bind(sever.0)
        .bind(user)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(engine.as_deref(), Some("rules"));
    assert!(latency.is_some_and(|ms| ms >= 0));
    assert_eq!(fallback, None, "no LLM configured: not a fallback");
    assert_eq!(transcript[2], ("in".into(), symptom.into(), true));
    assert_eq!(transcript[3].0, "out");
    assert_eq!(transcript[3].1, text);

    // The client exists once, in this company, with the Telegram ids.
    let clients: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT tenant_id, full_name, telegram_chat_id FROM clients WHERE telegram_id = $1",
    )
    .bind(user)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(clients, vec![(sever.0, "Иван Петров".into(), Some(user))]);

    // «Записаться» under the answer: service → shop → day → time → confirmation.
    fake.press(SEVER_TOKEN, user, "book:1:");
    let services = fake
        .wait_message(SEVER_TOKEN, user, "Какую работу записать?")
        .await;
    let (service_name, data) = buttons(&services)
        .into_iter()
        .find(|(text, _)| suspension.iter().any(|(name, _)| name == text))
        .expect("a suspension service offered");
    let service_id: i64 = data.rsplit(':').next().unwrap().parse().unwrap();
    fake.press(SEVER_TOKEN, user, &data);
    let shops = fake
        .wait_message(SEVER_TOKEN, user, "В какой сервис удобнее приехать?")
        .await;
    let shop_buttons = buttons(&shops);
    assert_eq!(shop_buttons.len(), 2, "Север has two shops");
    fake.press(SEVER_TOKEN, user, &shop_buttons[0].1);
    let days = fake.wait_message(SEVER_TOKEN, user, "Выберите день").await;
    // Not today (it may be over) and not Sunday (closed).
    let (_, day) = buttons(&days)
        .into_iter()
        .skip(1)
        .find(|(text, _)| !text.starts_with("вс"))
        .unwrap();
    fake.press(SEVER_TOKEN, user, &day);
    let slots = fake
        .wait_message(SEVER_TOKEN, user, "Свободное время")
        .await;
    let (time, slot) = buttons(&slots).into_iter().next().unwrap();
    fake.press(SEVER_TOKEN, user, &slot);
    // The phone is unknown: a reply keyboard with Telegram's «share contact» button.
    let ask_phone = fake.wait_message(SEVER_TOKEN, user, "номер телефона").await;
    assert_eq!(
        ask_phone["reply_markup"]["keyboard"][0][0]["request_contact"],
        json!(true),
        "{ask_phone}"
    );
    fake.share_contact(SEVER_TOKEN, user, "79161112233");
    let ask_car = fake
        .wait_message(SEVER_TOKEN, user, "На какой машине")
        .await;
    assert!(buttons(&ask_car)
        .iter()
        .any(|(text, _)| text == "Пропустить"));
    fake.wait_message(SEVER_TOKEN, user, "+79161112233").await;
    fake.write(SEVER_TOKEN, user, "kia rio а123вс77");
    let confirm = fake
        .wait_message(SEVER_TOKEN, user, "Проверьте запись")
        .await;
    assert!(confirm["text"].as_str().unwrap().contains(&service_name));
    assert!(confirm["text"].as_str().unwrap().contains(&time));
    assert!(
        confirm["text"]
            .as_str()
            .unwrap()
            .contains("Kia rio А123ВС77"),
        "{confirm}"
    );
    let ok = buttons(&confirm)
        .into_iter()
        .find(|(text, _)| text == "Подтвердить")
        .unwrap()
        .1;
    fake.press(SEVER_TOKEN, user, &ok);
    fake.wait_message(SEVER_TOKEN, user, "Готово, вы записаны")
        .await;
    // The phone is on the client's card, the car among their cars and on the visit.
    let (phone, make, model, plate): (Option<String>, String, String, Option<String>) =
        sqlx::query_as(
            "SELECT c.phone, v.make, v.model, v.plate FROM appointments a
             JOIN clients c ON c.id = a.client_id
             JOIN vehicles v ON v.id = a.vehicle_id AND v.client_id = c.id
             WHERE c.telegram_id = $1 AND a.tenant_id = $2",
        )
        .bind(user)
        .bind(sever.0)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(phone.as_deref(), Some("+79161112233"));
    assert_eq!(
        (make.as_str(), model.as_str(), plate.as_deref()),
        ("Kia", "rio", Some("А123ВС77"))
    );
    let booked: Vec<(String, String, String, String, bool, Vec<i64>)> = sqlx::query_as(
        "SELECT a.status, a.source, a.customer_note, a.ai_summary, a.ai_analysis IS NOT NULL,
                array_agg(s.service_id)
         FROM appointments a JOIN clients c ON c.id = a.client_id
         JOIN appointment_services s ON s.appointment_id = a.id
         WHERE c.telegram_id = $1 AND a.tenant_id = $2 GROUP BY a.id",
    )
    .bind(user)
    .bind(sever.0)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(booked.len(), 1, "{booked:?}");
    let (status, source, note, summary, analysed, services) = &booked[0];
    assert_eq!((status.as_str(), source.as_str()), ("new", "telegram"));
    assert_eq!(note, symptom);
    assert!(!summary.is_empty() && *analysed);
    assert_eq!(services, &vec![service_id]);
    let started = Instant::now();
    let created = loop {
        let events = staff.lock().unwrap().clone();
        if let Some(event) = sse_events(&events)
            .into_iter()
            .find(|e| e["type"] == "appointment.created")
        {
            break event;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no event in {events}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(created["data"]["source"], "telegram");
    assert_eq!(created["data"]["service_ids"], json!([service_id]));
    assert!(sse_events(&staff.lock().unwrap())
        .iter()
        .any(|e| e["type"] == "client.created" && e["data"]["telegram_id"] == json!(user)));
    // Confirming again does not book twice.
    let again = fake.press(SEVER_TOKEN, user, &ok);
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(again)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));

    // A press under an older answer, and a button the bot never made: a polite toast.
    let stale = fake.press(SEVER_TOKEN, user, "book:0");
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(stale)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));
    let foreign = fake.press(SEVER_TOKEN, user, "something-else");
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(foreign)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("не действует"));

    fake.write(SEVER_TOKEN, user, "Мои записи");
    let mine = fake.wait_message(SEVER_TOKEN, user, "Ваши записи").await;
    let text = mine["text"].as_str().unwrap();
    assert!(
        text.contains(&service_name) && text.contains("ждёт подтверждения"),
        "{text}"
    );

    // Someone else's visit cannot be cancelled with a forged button.
    let (other, other_status): (i64, String) = sqlx::query_as(
        "SELECT a.id, a.status FROM appointments a JOIN clients c ON c.id = a.client_id
         WHERE a.tenant_id = $1 AND c.telegram_id IS DISTINCT FROM $2 AND a.status = 'new' LIMIT 1",
    )
    .bind(sever.0)
    .bind(user)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let forged = fake.press(SEVER_TOKEN, user, &format!("cancel:2:{other}"));
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(forged)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));
    let status: String = sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
        .bind(other)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(status, other_status);

    // The customer's own visit: cancelled from «Мои записи», and staff hear of it.
    let mine_buttons = buttons(&mine);
    assert!(
        mine_buttons
            .iter()
            .any(|(label, _)| label.starts_with("Перенести")),
        "{mine_buttons:?}"
    );
    let (label, cancel) = mine_buttons
        .into_iter()
        .find(|(label, _)| label.starts_with("Отменить"))
        .unwrap();
    assert!(label.contains(&time), "{label}");
    fake.press(SEVER_TOKEN, user, &cancel);
    fake.wait_message(SEVER_TOKEN, user, "отменена").await;
    let status: String = sqlx::query_scalar(
        "SELECT a.status FROM appointments a JOIN clients c ON c.id = a.client_id
         WHERE c.telegram_id = $1 AND a.tenant_id = $2",
    )
    .bind(user)
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(status, "cancelled");
    let started = Instant::now();
    while !sse_events(&staff.lock().unwrap())
        .iter()
        .any(|e| e["type"] == "appointment.updated" && e["data"]["status"] == "cancelled")
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no appointment.updated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Pressing it again: the visit is already cancelled.
    let again = fake.press(SEVER_TOKEN, user, &cancel);
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(again)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));

    // The conversation state survived in the database (a restart would find it).
    let state: Value = sqlx::query_scalar(
        "SELECT state FROM bot_conversations WHERE tenant_id = $1 AND chat_id = $2",
    )
    .bind(sever.0)
    .bind(user)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    // The booking moved the conversation on: its buttons are stale now.
    assert_eq!(state["request_no"], json!(2));
    assert_eq!(state["last_request"]["text"], json!(symptom));
    db.drop().await;
}

#[tokio::test]
async fn two_companies_bots_run_side_by_side_and_a_removed_bot_stops() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let garage = tenant(&db, "garage24").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    connect_bot(&db, garage, GARAGE_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let _server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;

    // The same Telegram user writes to both companies' bots.
    let user = 7_770_001;
    fake.write(SEVER_TOKEN, user, "/start");
    fake.write(GARAGE_TOKEN, user, "/start");
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    fake.wait_message(GARAGE_TOKEN, user, "«Гараж 24»").await;
    // No answer went out through the other company's bot.
    for (token, other) in [
        (SEVER_TOKEN, "Гараж 24"),
        (GARAGE_TOKEN, "Автосервис Север"),
    ] {
        assert!(fake
            .calls(token, "sendmessage")
            .iter()
            .all(|b| !b["text"].as_str().unwrap_or_default().contains(other)));
    }
    // Two client cards, one per company, each with its own transcript.
    let clients: Vec<(i64,)> =
        sqlx::query_as("SELECT tenant_id FROM clients WHERE telegram_id = $1 ORDER BY tenant_id")
            .bind(user)
            .fetch_all(&db.owner)
            .await
            .unwrap();
    let mut expected = vec![(sever.0,), (garage.0,)];
    expected.sort();
    assert_eq!(clients, expected);
    let per_company: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT m.tenant_id, count(*) FROM bot_messages m
         JOIN clients c ON c.id = m.client_id AND c.tenant_id = m.tenant_id
         WHERE m.chat_id = $1 GROUP BY m.tenant_id ORDER BY m.tenant_id",
    )
    .bind(user)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    let mut expected = vec![(sever.0, 2), (garage.0, 2)];
    expected.sort();
    assert_eq!(per_company, expected);

    // Removing Гараж 24's bot stops its polling within a supervisor round; Север's goes on.
    disconnect_bot(&db, garage).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(fake.pollers_since(GARAGE_TOKEN, since).is_empty());
    assert_eq!(fake.pollers_since(SEVER_TOKEN, since), vec!["p1"]);
    db.drop().await;
}

/// A `serve` process (p1) and a `bot` process (p2) on one database: one of them polls the bot;
/// when it is killed, the other takes over.
#[tokio::test]
async fn one_process_polls_a_bot_and_another_takes_over_when_it_dies() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let mut serve = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let mut bot = RoleProcess::start(&db, &fake.url("p2"), "bot");

    // Both supervisors have had rounds; only one of the processes polls.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let pollers = fake.pollers_since(SEVER_TOKEN, since);
    assert_eq!(pollers.len(), 1, "{pollers:?}");

    // The polling process dies: the other takes the bot over within ~10 s.
    let survivor = if pollers[0] == "p1" {
        serve.stop();
        "p2"
    } else {
        bot.stop();
        "p1"
    };
    let died = Instant::now();
    while fake.pollers_since(SEVER_TOKEN, died) != vec![survivor.to_string()] {
        assert!(
            died.elapsed() < Duration::from_secs(10),
            "no takeover by {survivor}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let user = 9_990_001;
    fake.write(SEVER_TOKEN, user, "/start");
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    db.drop().await;
}

#[tokio::test]
async fn a_failing_bot_is_retried_without_disturbing_others_and_a_new_token_replaces_the_old() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let garage = tenant(&db, "garage24").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    connect_bot(&db, garage, GARAGE_TOKEN).await;
    let fake = FakeTelegram::start().await;
    // Гараж 24's Bot API first refuses the token, then is rate-limited, then fails: the bot
    // waits and retries each time.
    fake.fail(
        GARAGE_TOKEN,
        vec![
            (
                StatusCode::UNAUTHORIZED,
                json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
            ),
            (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
                       "parameters": {"retry_after": 1}}),
            ),
            (
                StatusCode::BAD_GATEWAY,
                json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
            ),
        ],
    );
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;

    let user = 4_440_001;
    fake.write(SEVER_TOKEN, user, "/start");
    fake.write(GARAGE_TOKEN, user, "/start");
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    fake.wait_message(GARAGE_TOKEN, user, "«Гараж 24»").await;
    let log = server.log();
    assert!(log.contains("Bot API getUpdates failed"), "{log}");
    assert!(log.contains("too many requests"), "{log}");
    assert!(
        !log.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALD"),
        "a token in the log:\n{log}"
    );

    // A new token for Север: the poller is replaced without a restart.
    connect_bot(&db, sever, NEW_SEVER_TOKEN).await;
    let changed = Instant::now();
    while fake.pollers_since(NEW_SEVER_TOKEN, changed).is_empty() {
        assert!(
            changed.elapsed() < Duration::from_secs(10),
            "new token not polled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let since = Instant::now();
    fake.write(NEW_SEVER_TOKEN, user, "/start");
    fake.wait_message(NEW_SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(fake.pollers_since(SEVER_TOKEN, since).is_empty());
    db.drop().await;
}

/// The button whose text satisfies `pick` under a sent message: its callback data.
fn press_data(message: &Value, pick: impl Fn(&str) -> bool) -> String {
    buttons(message)
        .into_iter()
        .find(|(text, _)| pick(text))
        .unwrap_or_else(|| panic!("no such button in {message}"))
        .1
}

/// The bot restarts while it waits for the phone; the typed phone belongs to a card staff made
/// earlier, and typing it does not hand that card to the chat (a stranger who knows the number
/// would get the customer's cars, visits and messages): the two cards stay apart, marked as a
/// possible duplicate. Then the visit is moved from «Мои записи», once to a time taken
/// meanwhile (a polite answer) and once for real.
#[tokio::test]
async fn a_typed_phone_never_takes_over_staffs_card_and_the_visit_is_rescheduled() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let mut server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let api = crate::common::server::Api::new(
        &server,
        crate::common::server::token(&server, "admin@sever.demo", "demo-password").await,
    );
    // Staff know this customer by phone already.
    let (status, card) = api
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Анна Смирнова", "phone": "+7 999 555-66-77"}),
        )
        .await;
    assert_eq!(status, 201, "{card}");
    let card = card["id"].as_i64().unwrap();

    let user = 5_550_777;
    fake.write(SEVER_TOKEN, user, "нужно поменять масло в двигателе");
    let answer = fake
        .wait_message(SEVER_TOKEN, user, "Подходящие работы")
        .await;
    fake.press(
        SEVER_TOKEN,
        user,
        &press_data(&answer, |t| t == "Записаться"),
    );
    let services = fake
        .wait_message(SEVER_TOKEN, user, "Какую работу записать?")
        .await;
    fake.press(SEVER_TOKEN, user, &buttons(&services)[0].1);
    let shops = fake.wait_message(SEVER_TOKEN, user, "В какой сервис").await;
    fake.press(SEVER_TOKEN, user, &buttons(&shops)[0].1);
    let days = fake.wait_message(SEVER_TOKEN, user, "Выберите день").await;
    let day = buttons(&days)
        .into_iter()
        .skip(1)
        .find(|(text, _)| !text.starts_with("вс"))
        .unwrap()
        .1;
    fake.press(SEVER_TOKEN, user, &day);
    let slots = fake
        .wait_message(SEVER_TOKEN, user, "Свободное время")
        .await;
    fake.press(SEVER_TOKEN, user, &buttons(&slots)[0].1);
    fake.wait_message(SEVER_TOKEN, user, "номер телефона").await;

    // The bot process goes away mid-dialogue and another one starts.
    server.stop();
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let api = crate::common::server::Api::new(
        &server,
        crate::common::server::token(&server, "admin@sever.demo", "demo-password").await,
    );
    let mark = fake.mark(SEVER_TOKEN);
    fake.write(SEVER_TOKEN, user, "позвоните мне");
    fake.wait_message_after(SEVER_TOKEN, user, "Не похоже на номер", mark)
        .await;
    fake.write(SEVER_TOKEN, user, "8 (999) 555-66-77");
    let ask_car = fake
        .wait_message_after(SEVER_TOKEN, user, "На какой машине", mark)
        .await;
    fake.press(
        SEVER_TOKEN,
        user,
        &press_data(&ask_car, |t| t == "Пропустить"),
    );
    let confirm = fake
        .wait_message_after(SEVER_TOKEN, user, "Проверьте запись", mark)
        .await;
    assert!(!confirm["text"].as_str().unwrap().contains("Автомобиль"));
    fake.press(
        SEVER_TOKEN,
        user,
        &press_data(&confirm, |t| t == "Подтвердить"),
    );
    fake.wait_message_after(SEVER_TOKEN, user, "Готово, вы записаны", mark)
        .await;

    // Anybody can type anybody's number: the chat keeps its own card, staff's card stays as it
    // was (no Telegram, its visits out of this chat's reach), and the pair waits for staff.
    let (bot_card, bot_phone): (i64, Option<String>) =
        sqlx::query_as("SELECT id, phone FROM clients WHERE telegram_id = $1")
            .bind(user)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_ne!(bot_card, card);
    assert_eq!(bot_phone, None);
    let staff_card: (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT telegram_id, phone FROM clients WHERE id = $1")
            .bind(card)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(staff_card, (None, Some("+79995556677".into())));
    let pairs: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT client_id, other_id, reason FROM client_duplicates")
            .fetch_all(&db.owner)
            .await
            .unwrap();
    assert_eq!(
        pairs,
        vec![(card.min(bot_card), card.max(bot_card), "phone".into())]
    );
    // Staff see the pair on either card.
    for (this, other) in [(bot_card, card), (card, bot_card)] {
        let (status, detail) = api.get(&format!("/api/v1/clients/{this}")).await;
        assert_eq!(status, 200, "{detail}");
        let ids: Vec<i64> = detail["possible_duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![other]);
    }
    let (visit, start): (i64, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT id, start_time FROM appointments WHERE client_id = $1")
            .bind(bot_card)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    let staff_visits: i64 =
        sqlx::query_scalar("SELECT count(*) FROM appointments WHERE client_id = $1")
            .bind(card)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(staff_visits, 0);
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM bot_messages WHERE chat_id = $1 AND client_id IS DISTINCT FROM $2",
    )
    .bind(user)
    .bind(bot_card)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(orphans, 0);

    // «Мои записи» → Перенести → a day → a time that staff fill up meanwhile.
    let staff = staff_events(&server, "admin@sever.demo").await;
    let mark = fake.mark(SEVER_TOKEN);
    fake.write(SEVER_TOKEN, user, "Мои записи");
    let mine = fake
        .wait_message_after(SEVER_TOKEN, user, "Ваши записи", mark)
        .await;
    fake.press(
        SEVER_TOKEN,
        user,
        &press_data(&mine, |t| t.starts_with("Перенести")),
    );
    let days = fake
        .wait_message_after(SEVER_TOKEN, user, "Выберите новый день", mark)
        .await;
    let day = buttons(&days)
        .into_iter()
        .skip(2)
        .find(|(text, _)| !text.starts_with("вс"))
        .unwrap()
        .1;
    fake.press(SEVER_TOKEN, user, &day);
    let slots = fake
        .wait_message_after(SEVER_TOKEN, user, "Свободное время", mark)
        .await;
    let times = buttons(&slots);
    let (_, taken) = times[0].clone();
    let taken_at = chrono::DateTime::from_timestamp(
        taken.rsplit('/').next().unwrap().parse::<i64>().unwrap(),
        0,
    )
    .unwrap();
    let (shop, service): (i64, i64) = sqlx::query_as(
        "SELECT a.shop_id, s.service_id FROM appointments a
         JOIN appointment_services s ON s.appointment_id = a.id WHERE a.id = $1",
    )
    .bind(visit)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let bays: i64 = sqlx::query_scalar("SELECT bays::bigint FROM shops WHERE id = $1")
        .bind(shop)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    for n in 0..bays {
        let (status, body) = api
            .post(
                "/api/v1/appointments/",
                json!({"shop_id": shop, "service_ids": [service], "start_time": taken_at.to_rfc3339(),
                       "client": {"full_name": format!("Занято {n}"), "phone": format!("+7999000000{n}")}}),
            )
            .await;
        // Demo visits may hold some of the bays already.
        if status == 409 {
            break;
        }
        assert_eq!(status, 201, "{body}");
    }
    let mark = fake.mark(SEVER_TOKEN);
    fake.press(SEVER_TOKEN, user, &taken);
    let retry = fake
        .wait_message_after(SEVER_TOKEN, user, "только что заняли", mark)
        .await;
    let (time, free) = buttons(&retry)
        .into_iter()
        .find(|(_, data)| *data != taken)
        .unwrap();
    fake.press(SEVER_TOKEN, user, &free);
    let done = fake
        .wait_message_after(SEVER_TOKEN, user, "перенесена на", mark)
        .await;
    assert!(done["text"].as_str().unwrap().contains(&time), "{done}");
    let moved: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT start_time FROM appointments WHERE id = $1")
            .bind(visit)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_ne!(moved, start);
    assert_eq!(
        moved.timestamp().to_string(),
        free.rsplit('/').next().unwrap()
    );
    let started = Instant::now();
    while !sse_events(&staff.lock().unwrap())
        .iter()
        .any(|e| e["type"] == "appointment.updated" && e["data"]["id"] == json!(visit))
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no appointment.updated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The client moved it themselves: no «staff moved your visit» message is queued.
    let staff_moved: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'moved:%'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(staff_moved, 0);

    // Another customer's visit cannot be moved with a forged button.
    let other: i64 = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE tenant_id = $1 AND client_id <> $2 AND status = 'new' LIMIT 1",
    )
    .bind(sever.0)
    .bind(bot_card)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let forged = fake.press(SEVER_TOKEN, user, &format!("move:0:{other}"));
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(forged)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));
    db.drop().await;
}

/// Webhook mode: the supervisor registers each bot's webhook with its secret instead of polling,
/// and `POST /telegram/{tenant id}/webhook` answers only with the right secret.
#[tokio::test]
async fn webhook_mode_registers_the_webhook_and_checks_the_secret() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let garage = tenant(&db, "garage24").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    connect_bot(&db, garage, GARAGE_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let server = TestServer::start(
        &db,
        &[
            ("TELEGRAM_API_URL", &fake.url("p1")),
            ("TELEGRAM_MODE", "webhook"),
            (
                "TELEGRAM_WEBHOOK_BASE_URL",
                "https://bots.example.ru/concierge/",
            ),
        ],
    )
    .await;
    let secret = |tenant: i64| {
        let owner = db.owner.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT telegram_webhook_secret FROM tenants WHERE id = $1",
            )
            .bind(tenant)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let sever_secret = secret(sever.0).await;
    let garage_secret = secret(garage.0).await;
    let registered = fake.wait_call(SEVER_TOKEN, "setwebhook", |_| true).await;
    assert_eq!(
        registered["url"],
        json!(format!(
            "https://bots.example.ru/concierge/telegram/{}/webhook",
            sever.0
        ))
    );
    assert_eq!(registered["secret_token"], json!(sever_secret));
    fake.wait_call(GARAGE_TOKEN, "setwebhook", |_| true).await;
    // Nothing is polled in webhook mode.
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(fake.pollers_since(SEVER_TOKEN, since).is_empty());

    let http = reqwest::Client::new();
    let user = 3_330_001;
    let update = FakeTelegram::message_update(user, "/start");
    let url = server.url(&format!("/telegram/{}/webhook", sever.0));
    let post = |url: String, secret: Option<String>| {
        let http = http.clone();
        let update = update.clone();
        async move {
            let mut request = http.post(url).json(&update);
            if let Some(secret) = secret {
                request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
            }
            request.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(post(url.clone(), None).await, 401);
    assert_eq!(post(url.clone(), Some("wrong".into())).await, 401);
    assert_eq!(post(url.clone(), Some(garage_secret.clone())).await, 401);
    assert_eq!(
        post(
            server.url("/telegram/999999/webhook"),
            Some(sever_secret.clone())
        )
        .await,
        401
    );
    assert_eq!(
        post(
            server.url("/telegram/sever/webhook"),
            Some(sever_secret.clone())
        )
        .await,
        401
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(fake.calls(SEVER_TOKEN, "sendmessage").is_empty());
    let clients: i64 = sqlx::query_scalar("SELECT count(*) FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(clients, 0, "a refused update must not be read");

    assert_eq!(post(url, Some(sever_secret)).await, 200);
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    assert!(fake.calls(GARAGE_TOKEN, "sendmessage").is_empty());

    // A removed bot's webhook is removed.
    disconnect_bot(&db, garage).await;
    fake.wait_call(GARAGE_TOKEN, "deletewebhook", |_| true)
        .await;
    db.drop().await;
}

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

/// The other order of events: a stranger types a number nobody has yet, then staff book its real
/// owner by phone. The typed number stays the stranger's word (`unverified_phone`), so staff's
/// booking makes a card of its own — its visit and reminders never reach the stranger's chat —
/// and the two cards are marked for staff. Only the owner's own shared contact joins a chat to
/// staff's card.
#[tokio::test]
async fn a_typed_phone_nobody_has_yet_does_not_capture_its_owner_later() {
    use app::domain::clients::{self, PhoneAttached, PhoneSource};

    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let stranger = clients::create(
        &mut tx,
        sever,
        clients::NewClient {
            full_name: "Незнакомец".into(),
            phone: None,
            email: None,
            telegram_id: Some(7_000_001),
            notes: String::new(),
            vehicles: Vec::new(),
        },
    )
    .await
    .unwrap();
    let (card, attached) =
        clients::attach_phone(&mut tx, stranger.id, "+79995550001", PhoneSource::Typed)
            .await
            .unwrap();
    assert_eq!((card, attached), (stranger.id, PhoneAttached::Noted));
    assert!(!clients::needs_phone(&mut tx, stranger.id).await.unwrap());
    let noted = clients::get(&mut tx, stranger.id).await.unwrap();
    assert_eq!(
        (noted.phone, noted.unverified_phone.as_deref()),
        (None, Some("+79995550001"))
    );

    // Staff book the number's real owner by phone: a card of their own.
    let (owner, created) =
        clients::find_or_create_by_phone(&mut tx, sever, "Анна", "+7 999 555-00-01")
            .await
            .unwrap();
    assert!(created);
    assert_ne!(owner.id, stranger.id);
    let marked: Vec<i64> = clients::possible_duplicates(&mut tx, owner.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(marked, vec![stranger.id]);
    // Staff search by the number finds both.
    let found = clients::search(&mut tx, Some("555-00-01"), 0, 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 2);

    // The owner shares their own contact from their own chat: that chat joins staff's card.
    let owner_chat = clients::create(
        &mut tx,
        sever,
        clients::NewClient {
            full_name: String::new(),
            phone: None,
            email: None,
            telegram_id: Some(7_000_002),
            notes: String::new(),
            vehicles: Vec::new(),
        },
    )
    .await
    .unwrap();
    let (card, attached) = clients::attach_phone(
        &mut tx,
        owner_chat.id,
        "+79995550001",
        PhoneSource::OwnContact,
    )
    .await
    .unwrap();
    assert_eq!((card, attached), (owner.id, PhoneAttached::Merged));
    let merged = clients::get(&mut tx, owner.id).await.unwrap();
    assert_eq!(merged.telegram_id, Some(7_000_002));
    tx.rollback().await.unwrap();
    db.drop().await;
}
