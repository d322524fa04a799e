//! The companies' Telegram bots against a fake Bot API (`crate::common::telegram`) that speaks
//! Telegram's wire format, with the real server binary on a real database.

mod dialogue;
mod inbox;
mod intents;
mod phones;
mod processes;
mod staff;
mod v1_config;

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

/// The demo data with "Север"'s bot connected, the fake Bot API, and the server talking to it.
async fn sever_with_bot() -> (TestDb, FakeTelegram, TestServer) {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    (db, fake, server)
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
