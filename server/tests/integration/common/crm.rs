//! A fake CRM that receives the company's webhooks as a real receiver would: it checks
//! `X-Concierge-Signature` itself (HMAC-SHA256 of "t.body" with the endpoint's secret, computed
//! here with its own code, as the README's receiver example does) and keeps what it got. It can
//! be told to answer 500 to the next requests, or to every request.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

#[derive(Clone, Debug)]
pub struct Received {
    pub event_type: String,
    pub body: Value,
    /// `t` of the signature (unix seconds).
    pub timestamp: i64,
    /// Whether the signature checked out with the secret set by [`FakeCrm::trust`].
    pub verified: bool,
    /// The answer it got.
    pub status: u16,
}

#[derive(Default)]
struct CrmState {
    secret: String,
    fail_next: usize,
    fail_all: bool,
    /// How long it takes to answer (the request is kept on arrival).
    delay: Duration,
    received: Vec<Received>,
}

#[derive(Clone, Default)]
pub struct FakeCrm {
    state: Arc<Mutex<CrmState>>,
    pub url: String,
}

impl FakeCrm {
    pub async fn start() -> FakeCrm {
        let mut crm = FakeCrm::default();
        let app = Router::new()
            .route("/hooks/concierge", post(receive))
            .with_state(crm.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        crm.url = format!("http://{}/hooks/concierge", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        crm
    }

    /// The secret its signature checks use.
    pub fn trust(&self, secret: &str) {
        self.state.lock().unwrap().secret = secret.to_string();
    }

    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail_next = n;
    }

    pub fn fail_all(&self, on: bool) {
        self.state.lock().unwrap().fail_all = on;
    }

    pub fn answer_after(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Waits until `n` requests of `event_type` came (any answer).
    pub async fn wait_for(&self, event_type: &str, n: usize) -> Vec<Received> {
        for _ in 0..300 {
            let got: Vec<_> = self
                .received()
                .into_iter()
                .filter(|r| r.event_type == event_type)
                .collect();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the CRM got no {n} × {event_type}; it got {:?}",
            self.received()
                .iter()
                .map(|r| &r.event_type)
                .collect::<Vec<_>>()
        );
    }
}

/// The receiver's check, in a few lines: split the header, recompute, compare.
fn verify(secret: &str, header: &str, body: &[u8]) -> Option<i64> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value.to_string()),
            _ => {}
        }
    }
    let (t, v1) = (t?, v1?);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (expected == v1).then_some(t)
}

async fn receive(
    State(crm): State<FakeCrm>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let (answer, delay) = take(&crm, &headers, &body);
    tokio::time::sleep(delay).await;
    answer
}

fn take(crm: &FakeCrm, headers: &HeaderMap, body: &[u8]) -> ((StatusCode, String), Duration) {
    let mut state = crm.state.lock().unwrap();
    let header = headers
        .get("x-concierge-signature")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let verified = verify(&state.secret, header, body);
    let fail = state.fail_all || state.fail_next > 0;
    state.fail_next = state.fail_next.saturating_sub(1);
    let status = if fail { 500 } else { 200 };
    state.received.push(Received {
        event_type: headers
            .get("x-concierge-event")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
        timestamp: verified.unwrap_or_default(),
        verified: verified.is_some(),
        status,
    });
    let answer = if fail {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "CRM временно недоступна".into(),
        )
    } else {
        (StatusCode::OK, "{\"accepted\":true}".into())
    };
    (answer, state.delay)
}
