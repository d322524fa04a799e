//! A fake SMS.ru that speaks its HTTP API (`POST /sms/send`, form fields `api_id`, `to`, `msg`,
//! `from`, `json=1`; JSON answers with SMS.ru's status codes), and a fake JSON SMS gateway.
//!
//! Numbers ending in `0000` are invalid (per-number code 202); the `api_id` `no-money` has an
//! empty balance (201); [`FakeSms::fail_next`] answers 500 to the next requests.

use std::sync::{Arc, Mutex};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
    Form, Json, Router,
};
use serde_json::{json, Value};

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Sms {
    pub api_id: String,
    pub to: String,
    pub text: String,
    pub sender: Option<String>,
}

#[derive(Default)]
struct FakeState {
    sent: Vec<Sms>,
    fail_next: usize,
    /// Every request: (to, HTTP status, JSON answer).
    log: Vec<(String, u16, Value)>,
}

#[derive(Clone, Default)]
pub struct FakeSms {
    state: Arc<Mutex<FakeState>>,
    pub base: String,
}

impl FakeSms {
    pub async fn start() -> FakeSms {
        let mut fake = FakeSms::default();
        let app = Router::new()
            .route("/sms/send", post(smsru_send))
            .route("/gateway", post(gateway))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        fake.base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn sent(&self) -> Vec<Sms> {
        self.state.lock().unwrap().sent.clone()
    }

    /// Messages accepted for `phone` (E.164 or SMS.ru's digits).
    pub fn sent_to(&self, phone: &str) -> Vec<Sms> {
        let digits = phone.trim_start_matches('+');
        self.sent()
            .into_iter()
            .filter(|s| s.to.trim_start_matches('+') == digits)
            .collect()
    }

    /// Requests for `phone` that were refused (status code in the answer other than 100).
    pub fn refused_to(&self, phone: &str) -> usize {
        let digits = phone.trim_start_matches('+');
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|(to, status, answer)| {
                to.trim_start_matches('+') == digits
                    && (*status != 200 || answer.to_string().contains("\"ERROR\""))
            })
            .count()
    }

    /// The next `n` requests get HTTP 500.
    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail_next = n;
    }

    /// Waits (up to 15 s) for a message to `phone` containing `text`.
    pub async fn wait_for(&self, phone: &str, text: &str) -> Sms {
        for _ in 0..300 {
            if let Some(sms) = self
                .sent_to(phone)
                .into_iter()
                .find(|s| s.text.contains(text))
            {
                return sms;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no SMS to {phone} with {text:?}; sent: {:#?}", self.sent());
    }
}

async fn smsru_send(
    State(fake): State<FakeSms>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let mut state = fake.state.lock().unwrap();
    let to = form.get("to").cloned().unwrap_or_default();
    let answer = |state: &mut FakeState, status: StatusCode, body: Value| {
        state.log.push((to.clone(), status.as_u16(), body.clone()));
        (status, Json(body))
    };
    if state.fail_next > 0 {
        state.fail_next -= 1;
        return answer(
            &mut state,
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"status": "ERROR", "status_code": 500}),
        );
    }
    let api_id = form.get("api_id").cloned().unwrap_or_default();
    if form.get("json").map(String::as_str) != Some("1") || api_id.is_empty() {
        return answer(
            &mut state,
            StatusCode::OK,
            json!({"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}),
        );
    }
    if api_id == "no-money" {
        return answer(
            &mut state,
            StatusCode::OK,
            json!({"status": "ERROR", "status_code": 201, "status_text": "Не хватает средств на лицевом счету"}),
        );
    }
    if to.ends_with("0000") {
        return answer(
            &mut state,
            StatusCode::OK,
            json!({
                "status": "OK", "status_code": 100, "balance": 100.0,
                "sms": {to.clone(): {"status": "ERROR", "status_code": 202,
                        "status_text": "Неправильно указан номер телефона получателя, либо на него нет маршрута"}}
            }),
        );
    }
    state.sent.push(Sms {
        api_id,
        to: to.clone(),
        text: form.get("msg").cloned().unwrap_or_default(),
        sender: form.get("from").cloned(),
    });
    let n = state.sent.len();
    answer(
        &mut state,
        StatusCode::OK,
        json!({
            "status": "OK", "status_code": 100, "balance": 100.0,
            "sms": {to.clone(): {"status": "OK", "status_code": 100, "sms_id": format!("000000-{n}")}}
        }),
    )
}

/// The generic JSON gateway: `{"to", "text", "sender"}` with `Authorization: Bearer <key>`.
async fn gateway(
    State(fake): State<FakeSms>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> StatusCode {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let to = body["to"].as_str().unwrap_or_default().to_string();
    if to.ends_with("0000") {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    fake.state.lock().unwrap().sent.push(Sms {
        api_id: key,
        to,
        text: body["text"].as_str().unwrap_or_default().to_string(),
        sender: body["sender"].as_str().map(str::to_string),
    });
    StatusCode::OK
}
