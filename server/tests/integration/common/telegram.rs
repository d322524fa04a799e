//! A fake Telegram Bot API that speaks Telegram's wire format (`POST /bot<token>/<method>` with
//! JSON, `{"ok": true, "result": ...}` back), and helpers for bot tests.
//!
//! Each server process is given its own base URL (`<fake>/<tag>`), so the fake knows which
//! process polled a bot.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::domain::{accounts, db::TenantId, telegram};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::{server::TestServer, TestDb};

pub const SEVER_TOKEN: &str = "111111111:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
pub const GARAGE_TOKEN: &str = "222222222:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsbb";
pub const NEW_SEVER_TOKEN: &str = "333333333:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDscc";

#[derive(Default)]
pub struct FakeState {
    next_update_id: i64,
    /// Updates not yet confirmed by an `offset`, per token.
    pending: HashMap<String, VecDeque<Value>>,
    /// `getUpdates` calls: (tag of the process, token, when).
    polls: Vec<(String, String, Instant)>,
    /// Other calls: (token, method, JSON body).
    calls: Vec<(String, String, Value)>,
    /// Answers to the next `getUpdates` of a token instead of updates (401, 429, 502...).
    failures: HashMap<String, VecDeque<(StatusCode, Value)>>,
    /// Answers to the next `sendMessage` calls of a token instead of accepting them.
    send_failures: HashMap<String, VecDeque<(StatusCode, Value)>>,
    /// How long `sendMessage` takes to answer (a slow Telegram).
    send_delay: Duration,
}

#[derive(Clone, Default)]
pub struct FakeTelegram {
    state: Arc<Mutex<FakeState>>,
    arrived: Arc<Notify>,
    pub base: String,
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let mut fake = FakeTelegram::default();
        let app = Router::new()
            .route("/{tag}/{bot}/{method}", post(bot_method).get(bot_method))
            .route("/{tag}/file/{bot}/{*path}", get(file))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        fake.base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// The Bot API base URL for one server process.
    pub fn url(&self, tag: &str) -> String {
        format!("{}/{tag}", self.base)
    }

    /// The next `getUpdates` calls of `token` fail with these answers, in order.
    pub fn fail(&self, token: &str, answers: Vec<(StatusCode, Value)>) {
        self.state
            .lock()
            .unwrap()
            .failures
            .insert(token.to_string(), answers.into());
    }

    /// The next `sendMessage` calls of `token` fail with these answers, in order.
    pub fn fail_sends(&self, token: &str, answers: Vec<(StatusCode, Value)>) {
        self.state
            .lock()
            .unwrap()
            .send_failures
            .insert(token.to_string(), answers.into());
    }

    /// Every `sendMessage` from now on answers after `delay` (it is recorded as
    /// `sendmessage-started` when it arrives).
    pub fn delay_sends(&self, delay: Duration) {
        self.state.lock().unwrap().send_delay = delay;
    }

    pub fn push(&self, token: &str, update: Value) {
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

    pub fn user(id: i64) -> Value {
        json!({"id": id, "is_bot": false, "first_name": "Иван", "last_name": "Петров"})
    }

    pub fn write(&self, token: &str, user: i64, text: &str) {
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

    /// The user shares their phone with the «request contact» button.
    pub fn share_contact(&self, token: &str, user: i64, phone: &str) {
        let message = json!({
            "message_id": rand::random::<u16>(),
            "date": 1_764_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Иван"},
            "from": Self::user(user),
            "contact": {"phone_number": phone, "first_name": "Иван", "user_id": user},
        });
        self.push(token, json!({ "message": message }));
    }

    /// An update as Telegram would POST it to a webhook.
    pub fn message_update(user: i64, text: &str) -> Value {
        json!({
            "update_id": rand::random::<u16>(),
            "message": {
                "message_id": rand::random::<u16>(),
                "date": 1_764_000_000,
                "chat": {"id": user, "type": "private", "first_name": "Иван"},
                "from": Self::user(user),
                "text": text,
            }
        })
    }

    pub fn press(&self, token: &str, user: i64, data: &str) -> String {
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

    pub fn calls(&self, token: &str, method: &str) -> Vec<Value> {
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
    pub async fn wait_call(
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

    pub async fn wait_message(&self, token: &str, chat: i64, contains: &str) -> Value {
        self.wait_call(token, "sendmessage", |b| {
            b["chat_id"] == json!(chat) && b["text"].as_str().is_some_and(|t| t.contains(contains))
        })
        .await
    }

    /// How many messages went out through `token` so far: a mark for [`Self::wait_message_after`].
    pub fn mark(&self, token: &str) -> usize {
        self.calls(token, "sendmessage").len()
    }

    /// Like [`Self::wait_message`], among the messages sent after `mark` only.
    pub async fn wait_message_after(
        &self,
        token: &str,
        chat: i64,
        contains: &str,
        mark: usize,
    ) -> Value {
        let started = Instant::now();
        loop {
            if let Some(body) = self
                .calls(token, "sendmessage")
                .into_iter()
                .skip(mark)
                .find(|b| {
                    b["chat_id"] == json!(chat)
                        && b["text"].as_str().is_some_and(|t| t.contains(contains))
                })
            {
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no new message with {contains:?}; sent: {:?}",
                self.calls(token, "sendmessage")
                    .iter()
                    .skip(mark)
                    .map(|b| b["text"].clone())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Tags of the processes that polled `token` since `since`.
    pub fn pollers_since(&self, token: &str, since: Instant) -> Vec<String> {
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

/// The bytes of every file the fake Bot API serves.
pub const FAKE_FILE: &[u8] = b"\xff\xd8\xff\xe0 fake jpeg from the fake Bot API";

/// `GET /file/bot<token>/<file_path>`: the file, for a path `getFile` gave.
async fn file(
    State(fake): State<FakeTelegram>,
    Path((_tag, bot, path)): Path<(String, String, String)>,
) -> (StatusCode, Vec<u8>) {
    let token = bot.strip_prefix("bot").unwrap_or_default().to_string();
    fake.state
        .lock()
        .unwrap()
        .calls
        .push((token, "file".into(), json!({ "path": path })));
    if path.starts_with("files/") {
        (StatusCode::OK, FAKE_FILE.to_vec())
    } else {
        (StatusCode::NOT_FOUND, Vec::new())
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
            let delay = {
                let mut state = fake.state.lock().unwrap();
                state
                    .calls
                    .push((token.clone(), "sendmessage-started".into(), body.clone()));
                state.send_delay
            };
            tokio::time::sleep(delay).await;
            let failure = fake
                .state
                .lock()
                .unwrap()
                .send_failures
                .get_mut(&token)
                .and_then(VecDeque::pop_front);
            if let Some((status, answer)) = failure {
                fake.state
                    .lock()
                    .unwrap()
                    .calls
                    .push((token, "sendmessage-refused".into(), body));
                return (status, Json(answer));
            }
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
        "getme" => {
            let id: i64 = token
                .split(':')
                .next()
                .and_then(|id| id.parse().ok())
                .unwrap_or(1);
            fake.state.lock().unwrap().calls.push((token, method, body));
            (
                StatusCode::OK,
                Json(
                    json!({"ok": true, "result": {"id": id, "is_bot": true, "first_name": "Бот",
                                                   "username": format!("bot{id}_bot")}}),
                ),
            )
        }
        // Every file the fake knows is a small JPEG at `files/<file_id>.jpg`; `gone-…` ids are
        // files Telegram no longer keeps.
        "getfile" => {
            let file_id = body["file_id"].as_str().unwrap_or_default().to_string();
            fake.state.lock().unwrap().calls.push((token, method, body));
            if file_id.starts_with("gone-") {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"ok": false, "error_code": 400,
                                "description": "Bad Request: invalid file_id"})),
                );
            }
            (
                StatusCode::OK,
                Json(json!({"ok": true, "result": {
                    "file_id": file_id, "file_unique_id": "AQAD", "file_size": FAKE_FILE.len(),
                    "file_path": format!("files/{file_id}.jpg"),
                }})),
            )
        }
        "answercallbackquery" | "setwebhook" | "deletewebhook" => {
            fake.state.lock().unwrap().calls.push((token, method, body));
            (StatusCode::OK, Json(json!({"ok": true, "result": true})))
        }
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"ok": false, "error_code": 404, "description": "Not Found"})),
        ),
    }
}

pub async fn tenant(db: &TestDb, slug: &str) -> TenantId {
    accounts::tenant_id_by_slug(&db.app, slug)
        .await
        .unwrap()
        .unwrap()
}

pub async fn connect_bot(db: &TestDb, tenant: TenantId, token: &str) {
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    telegram::connect(&mut tx, &db.config, token, "test_bot")
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub async fn disconnect_bot(db: &TestDb, tenant: TenantId) {
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    telegram::disconnect(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// Everything the tenant's SSE stream (`/api/v1/events`) sends, as it arrives.
pub async fn staff_events(server: &TestServer, email: &str) -> Arc<Mutex<String>> {
    let token = super::server::token(server, email, "demo-password").await;
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
pub fn sse_events(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .collect()
}

/// (text, callback data) of the inline buttons under a sent message.
pub fn buttons(message: &Value) -> Vec<(String, String)> {
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
