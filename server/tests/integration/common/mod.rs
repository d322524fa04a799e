//! Test support: a fresh database per test on the real PostgreSQL server, migrated by its owner,
//! and the application's pool working as the unprivileged runtime role.

pub mod cluster;
pub mod crm;
pub mod redis;
pub mod server;
pub mod sms;
pub mod smtp;
pub mod telegram;

use std::collections::HashMap;

use app::domain::{db, Config, Db};
use sqlx::{postgres::PgPoolOptions, PgPool};

/// The server the tests run against: `TEST_DATABASE_URL`, by default the machine's PostgreSQL.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

fn url_for(database: &str) -> String {
    let base = server_url();
    let (head, query) = base
        .split_once('?')
        .map_or((base.as_str(), ""), |(h, q)| (h, q));
    let root = head.rsplit_once('/').map_or(head, |(r, _)| r);
    if query.is_empty() {
        format!("{root}/{database}")
    } else {
        format!("{root}/{database}?{query}")
    }
}

/// A working day (Monday to Saturday: the demo shops' days) `ahead` days from today.
pub fn free_day(ahead: i64) -> chrono::NaiveDate {
    use chrono::Datelike;
    let mut day = chrono::Utc::now().date_naive() + chrono::Duration::days(ahead);
    while day.weekday() == chrono::Weekday::Sun {
        day += chrono::Duration::days(1);
    }
    day
}

pub fn test_config() -> Config {
    config_with(&[])
}

/// The tests' production configuration with `extra` variables added (or overriding).
pub fn config_with(extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("ENVIRONMENT", "production"),
        ("SECRET_KEY", "test-secret-key-test-secret-key-0123"),
        (
            "ENCRYPTION_KEY",
            "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_vars(&vars).expect("test config")
}

pub struct TestDb {
    pub name: String,
    /// Connection as the owner (here a superuser): for fixtures and for checking what RLS hid.
    pub owner: PgPool,
    /// The application's pool: the runtime role, subject to Row-Level Security.
    pub app: Db,
    pub config: Config,
    pub owner_url: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let name = format!("ac_test_{}_{}", std::process::id(), rand::random::<u32>());
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&server_url())
            .await
            .expect("connect to the test PostgreSQL server");
        // Migrations create a cluster-wide role: one test process at a time runs them.
        sqlx::query("SELECT pg_advisory_lock(727274)")
            .execute(&admin)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        let owner_url = url_for(&name);
        let owner = PgPoolOptions::new()
            .max_connections(4)
            .connect(&owner_url)
            .await
            .unwrap();
        let migrated = db::migrate(&owner).await;
        sqlx::query("SELECT pg_advisory_unlock(727274)")
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        migrated.expect("migrations apply");
        let config = test_config();
        let app = Db::connect_app(&config, &owner_url, 10)
            .await
            .expect("app pool");
        TestDb {
            name,
            owner,
            app,
            config,
            owner_url,
        }
    }

    pub async fn drop(self) {
        // `close` waits for every checked-out connection; a transaction a test still holds
        // must not hang it (the database is dropped WITH (FORCE) below anyway).
        let wait = std::time::Duration::from_secs(5);
        let _ = tokio::time::timeout(wait, self.app.pool().close()).await;
        let _ = tokio::time::timeout(wait, self.owner.close()).await;
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&server_url())
            .await
            .unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&admin)
        .await
        .unwrap();
        admin.close().await;
    }
}
