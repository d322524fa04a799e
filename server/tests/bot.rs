//! The companies' Telegram bots against a fake Bot API that speaks Telegram's wire format
//! (`POST /bot<token>/<method>` with JSON, `{"ok": true, "result": ...}` back), with the real
//! server binary on a real database.
//!
//! Each server process is given its own base URL (`<fake>/<tag>`), so the fake knows which
//! process polled a bot.

mod common;

use std::{
    collections::{HashMap, VecDeque},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::domain::{accounts, db::TenantId, telegram};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    routing::post,
    Json, Router,
};
use common::{server::TestServer, TestDb};
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Notify;

const SEVER_TOKEN: &str = "111111111:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const GARAGE_TOKEN: &str = "222222222:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsbb";
const NEW_SEVER_TOKEN: &str = "333333333:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDscc";

#[derive(Default)]
struct FakeState {
    next_update_id: i64,
    /// Updates not yet confirmed by an `offset`, per token.
    pending: HashMap<String, VecDeque<Value>>,
    /// `getUpdates` calls: (tag of the process, token, when).
    polls: Vec<(String, String, Instant)>,
    /// Other calls: (token, method, JSON body).
    calls: Vec<(String, String, Value)>,
    /// Answers to the next `getUpdates` of a token instead of updates (401, 429, 502...).
    failures: HashMap<String, VecDeque<(StatusCode, Value)>>,
}

#[derive(Clone, Default)]
struct FakeTelegram {
    state: Arc<Mutex<FakeState>>,
    arrived: Arc<Notify>,
    base: String,
}

impl FakeTelegram {
    async fn start() -> FakeTelegram {
        let mut fake = FakeTelegram::default();
        let app = Router::new()
            .route("/{tag}/{bot}/{method}", post(bot_method))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        fake.base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// The Bot API base URL for one server process.
    fn url(&self, tag: &str) -> String {
        format!("{}/{tag}", self.base)
    }

    /// The next `getUpdates` calls of `token` fail with these answers, in order.
    fn fail(&self, token: &str, answers: Vec<(StatusCode, Value)>) {
        self.state
            .lock()
            .unwrap()
            .failures
            .insert(token.to_string(), answers.into());
    }

    fn push(&self, token: &str, update: Value) {
        let mut state = self.state.lock().unwrap();
        state.next_update_id += 1;
        let mut update = update;
        update["update_id"] = json!(state.next_update_id);
        state
            .pending
            .entry(token.to_string())
            .or_default()
            .push_back(update);
        drop(state);
        self.arrived.notify_waiters();
    }

    fn user(id: i64) -> Value {
        json!({"id": id, "is_bot": false, "first_name": "Иван", "last_name": "Петров"})
    }

    fn write(&self, token: &str, user: i64, text: &str) {
        let mut message = json!({
            "message_id": rand::random::<u16>(),
            "date": 1_764_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Иван"},
            "from": Self::user(user),
            "text": text,
        });
        if text.starts_with('/') {
            message["entities"] =
                json!([{"type": "bot_command", "offset": 0, "length": text.chars().count()}]);
        }
        self.push(token, json!({ "message": message }));
    }

    fn press(&self, token: &str, user: i64, data: &str) -> String {
        let id = format!("cb{}", rand::random::<u32>());
        self.push(
            token,
            json!({"callback_query": {
                "id": id,
                "from": Self::user(user),
                "chat_instance": "1",
                "data": data,
                "message": {
                    "message_id": 1, "date": 1_764_000_000,
                    "chat": {"id": user, "type": "private", "first_name": "Иван"},
                    "from": {"id": 111111111, "is_bot": true, "first_name": "Бот"},
                    "text": "…",
                },
            }}),
        );
        id
    }

    fn calls(&self, token: &str, method: &str) -> Vec<Value> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|(t, m, _)| t == token && m == method)
            .map(|(_, _, body)| body.clone())
            .collect()
    }

    /// Waits for a call of `method` with `token` that satisfies `matches`.
    async fn wait_call(
        &self,
        token: &str,
        method: &str,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        let started = Instant::now();
        loop {
            if let Some(body) = self.calls(token, method).into_iter().find(|b| matches(b)) {
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no matching {method} for {token}; calls: {:?}",
                self.calls(token, method)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_message(&self, token: &str, chat: i64, contains: &str) -> Value {
        self.wait_call(token, "sendmessage", |b| {
            b["chat_id"] == json!(chat) && b["text"].as_str().is_some_and(|t| t.contains(contains))
        })
        .await
    }

    /// Tags of the processes that polled `token` since `since`.
    fn pollers_since(&self, token: &str, since: Instant) -> Vec<String> {
        let mut tags: Vec<String> = self
            .state
            .lock()
            .unwrap()
            .polls
            .iter()
            .filter(|(_, t, at)| t == token && *at >= since)
            .map(|(tag, _, _)| tag.clone())
            .collect();
        tags.sort();
        tags.dedup();
        tags
    }
}

async fn bot_method(
    State(fake): State<FakeTelegram>,
    Path((tag, bot, method)): Path<(String, String, String)>,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let token = bot.strip_prefix("bot").unwrap_or_default().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    // Method names are case-insensitive in the Bot API (teloxide sends `GetUpdates`).
    let method = method.to_ascii_lowercase();
    match method.as_str() {
        "getupdates" => {
            {
                let mut state = fake.state.lock().unwrap();
                state
                    .polls
                    .push((tag.clone(), token.clone(), Instant::now()));
                if let Some(failure) = state.failures.get_mut(&token).and_then(VecDeque::pop_front)
                {
                    return (failure.0, Json(failure.1));
                }
            }
            let offset = body["offset"].as_i64().unwrap_or(0);
            // Long polling, but brief: the test does not wait for the real 10 seconds.
            let deadline = Instant::now() + Duration::from_millis(500);
            loop {
                let arrived = fake.arrived.notified();
                {
                    let mut state = fake.state.lock().unwrap();
                    state
                        .polls
                        .push((tag.clone(), token.clone(), Instant::now()));
                    let queue = state.pending.entry(token.clone()).or_default();
                    // An offset confirms every update before it.
                    queue.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                    if !queue.is_empty() || Instant::now() >= deadline {
                        let updates: Vec<Value> = queue.iter().cloned().collect();
                        return (StatusCode::OK, Json(json!({"ok": true, "result": updates})));
                    }
                }
                let _ = tokio::time::timeout_at(deadline.into(), arrived).await;
            }
        }
        "sendmessage" => {
            let chat = body["chat_id"].clone();
            let text = body["text"].clone();
            fake.state.lock().unwrap().calls.push((token, method, body));
            (
                StatusCode::OK,
                Json(json!({"ok": true, "result": {
                    "message_id": rand::random::<u16>(),
                    "date": 1_764_000_000,
                    "chat": {"id": chat, "type": "private", "first_name": "Иван"},
                    "from": {"id": 111111111, "is_bot": true, "first_name": "Бот"},
                    "text": text,
                }})),
            )
        }
        "answercallbackquery" => {
            fake.state.lock().unwrap().calls.push((token, method, body));
            (StatusCode::OK, Json(json!({"ok": true, "result": true})))
        }
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"ok": false, "error_code": 404, "description": "Not Found"})),
        ),
    }
}

async fn tenant(db: &TestDb, slug: &str) -> TenantId {
    accounts::tenant_id_by_slug(&db.app, slug)
        .await
        .unwrap()
        .unwrap()
}

async fn connect_bot(db: &TestDb, tenant: TenantId, token: &str) {
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    telegram::connect(&mut tx, &db.config, token, "test_bot")
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn disconnect_bot(db: &TestDb, tenant: TenantId) {
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    telegram::disconnect(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// Everything the tenant's SSE stream (`/api/v1/events`) sends, as it arrives.
async fn staff_events(server: &TestServer, email: &str) -> Arc<Mutex<String>> {
    let token = common::server::token(server, email, "demo-password").await;
    let response = reqwest::Client::new()
        .get(server.url("/api/v1/events"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = Arc::new(Mutex::new(String::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        let mut stream = response.bytes_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk));
        }
    });
    received
}

/// The JSON events in an SSE text (`data: {...}` lines; keep-alives skipped).
fn sse_events(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .collect()
}

/// (text, callback data) of the inline buttons under a sent message.
fn buttons(message: &Value) -> Vec<(String, String)> {
    message["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .map(|b| {
            (
                b["text"].as_str().unwrap_or_default().to_string(),
                b["callback_data"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

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
    let confirm = fake
        .wait_message(SEVER_TOKEN, user, "Проверьте запись")
        .await;
    assert!(confirm["text"].as_str().unwrap().contains(&service_name));
    assert!(confirm["text"].as_str().unwrap().contains(&time));
    let ok = buttons(&confirm)
        .into_iter()
        .find(|(text, _)| text == "Подтвердить")
        .unwrap()
        .1;
    fake.press(SEVER_TOKEN, user, &ok);
    fake.wait_message(SEVER_TOKEN, user, "Готово, вы записаны")
        .await;
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
    let (label, cancel) = buttons(&mine).into_iter().next().unwrap();
    assert!(label.starts_with("Отменить"), "{label}");
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

/// `server bot`: the bots alone, as a separate production process. Killed when dropped.
struct BotProcess {
    child: Child,
}

impl BotProcess {
    fn start(db: &TestDb, telegram: &str) -> BotProcess {
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("bot")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.owner_url)
            .env("ENVIRONMENT", "production")
            .env("SECRET_KEY", db.config.secret_key.expose())
            .env("ENCRYPTION_KEY", db.config.encryption_key.expose())
            .env("TELEGRAM_API_URL", telegram)
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start `server bot`");
        BotProcess { child }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        self.stop();
    }
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
    let mut bot = BotProcess::start(&db, &fake.url("p2"));

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
