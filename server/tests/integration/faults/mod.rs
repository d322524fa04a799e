//! Production setup and faults, with real processes: the database roles made as the README tells
//! a DBA, PostgreSQL restarted under load, graceful shutdown, Redis coming up late.

mod limits;
mod requests;
mod restarts;
mod roles_and_shutdown;

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use crate::common::{
    cluster::PrivateCluster,
    server::{bare_command, token, Api, RoleProcess, TestServer},
    telegram::{connect_bot, tenant, FakeTelegram, SEVER_TOKEN},
    TestDb,
};
use serde_json::json;

/// A company's client with a Telegram chat and `n` messages queued for them, due now.
async fn queued_messages(db: &TestDb, chat: i64, n: usize) -> app::domain::db::TenantId {
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(db, "sever").await;
    connect_bot(db, sever, SEVER_TOKEN).await;
    let client: i64 = sqlx::query_scalar(
        "INSERT INTO clients (tenant_id, full_name, telegram_id, telegram_chat_id)
         VALUES ($1, 'Пётр', $2, $2) RETURNING id",
    )
    .bind(sever.0)
    .bind(chat)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    for i in 0..n {
        sqlx::query(
            "INSERT INTO jobs (tenant_id, kind, payload, dedupe_key)
             VALUES ($1, 'telegram.message', $2, $3)",
        )
        .bind(sever.0)
        .bind(json!({"chat_id": chat, "client_id": client, "text": format!("Сообщение {i}")}))
        .bind(format!("fault:{i}"))
        .execute(&db.owner)
        .await
        .unwrap();
    }
    sever
}

/// Jobs of the `fault:` fixtures not finished yet.
async fn unfinished(db: &TestDb) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'fault:%' AND status <> 'done'",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap()
}

const METRICS_TOKEN: &str = "faults-metrics-token-0123456789";
