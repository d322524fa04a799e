//! v1's configuration works as before (issue 14, item 6): its single `TELEGRAM_BOT_TOKEN`
//! connects that bot at start — to the only company, or to the one `TELEGRAM_BOT_TENANT` names.

use app::domain::accounts::{self, NewTenant};

use super::*;

#[tokio::test]
async fn v1_single_bot_token_starts_a_working_bot() {
    let db = TestDb::new().await;
    accounts::create_tenant(
        &db.app,
        &NewTenant {
            name: "Соло-Сервис",
            slug: "solo",
            timezone: "Europe/Moscow",
            admin_email: "admin@solo.ru",
            admin_password: "solo-password",
            admin_full_name: "Админ",
        },
    )
    .await
    .unwrap();
    let fake = FakeTelegram::start().await;
    let telegram = fake.url("p1");
    let mut server = TestServer::start(
        &db,
        &[
            ("TELEGRAM_API_URL", &telegram),
            ("TELEGRAM_BOT_TOKEN", SEVER_TOKEN),
        ],
    )
    .await;
    // The only company got the bot: it answers in that company's name.
    fake.write(SEVER_TOKEN, 7_100_001, "/start");
    fake.wait_message(SEVER_TOKEN, 7_100_001, "«Соло-Сервис»")
        .await;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT telegram_bot_token_enc FROM tenants WHERE slug = 'solo'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert!(
        stored.is_some_and(|enc| !enc.contains("AAHdqTcv")),
        "stored encrypted"
    );
    server.stop();

    // Two companies: the token goes where TELEGRAM_BOT_TENANT says; without it, nowhere.
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(
        &db,
        &[
            ("TELEGRAM_API_URL", &telegram),
            ("TELEGRAM_BOT_TOKEN", GARAGE_TOKEN),
            ("TELEGRAM_BOT_TENANT", "garage24"),
        ],
    )
    .await;
    fake.write(GARAGE_TOKEN, 7_100_002, "/start");
    fake.wait_message(GARAGE_TOKEN, 7_100_002, "«Гараж 24»")
        .await;
    drop(server);
    let ambiguous = TestServer::start(
        &db,
        &[
            ("TELEGRAM_API_URL", &telegram),
            ("TELEGRAM_BOT_TOKEN", NEW_SEVER_TOKEN),
        ],
    )
    .await;
    let log = ambiguous.log();
    assert!(log.contains("TELEGRAM_BOT_TENANT"), "{log}");
    drop(ambiguous);
    db.drop().await;
}
