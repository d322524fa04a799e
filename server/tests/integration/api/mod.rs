//! The REST API over HTTP against the running server binary, real PostgreSQL (demo data) and,
//! where a test says so, real Redis.

mod auth;
mod company;
mod contract;
mod events;
mod front_desk;
mod passwords;
mod resources;
mod visits;

use std::time::Duration;

use crate::common::{
    server::{token, Api, TestServer},
    TestDb,
};
use futures::StreamExt;
use serde_json::{json, Value};

const PASSWORD: &str = "demo-password";

async fn demo_server(extra: &[(&str, &str)]) -> (TestDb, TestServer) {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(&db, extra).await;
    (db, server)
}

async fn as_user(server: &TestServer, email: &str) -> Api {
    Api::new(server, token(server, email, PASSWORD).await)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
