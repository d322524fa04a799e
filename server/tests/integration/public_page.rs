//! The company's public page for car owners (issue 15, its first part): `/b/{slug}` read
//! without a login — the company, its shops with hours, its prices by section, how to book —
//! and nothing of another company; an unknown slug is a 404 page.

use crate::common::{
    server::TestServer,
    telegram::{connect_bot, tenant, SEVER_TOKEN},
    TestDb,
};

async fn page(server: &TestServer, path: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_public_page_shows_shops_prices_and_how_to_book_without_a_login() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    // One service withdrawn: not on the page.
    let (hidden, shown, price): (String, String, i64) = sqlx::query_as(
        "WITH s AS (SELECT id, name, price FROM services WHERE tenant_id = $1 ORDER BY id LIMIT 2)
         SELECT (SELECT name FROM s ORDER BY id LIMIT 1), (SELECT name FROM s ORDER BY id DESC LIMIT 1),
                (SELECT price::bigint FROM s ORDER BY id DESC LIMIT 1)",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    sqlx::query("UPDATE services SET is_active = false WHERE tenant_id = $1 AND name = $2")
        .bind(sever.0)
        .bind(&hidden)
        .execute(&db.owner)
        .await
        .unwrap();
    let server = TestServer::start(&db, &[]).await;

    let (status, html) = page(&server, "/b/sever").await;
    assert_eq!(status, 200);
    for expected in [
        "Автосервис Север",
        "Север на Ленинградке",
        "Москва, Ленинградское ш., 52",
        "tel:+74951234501",
        "09:00–20:00",
        "выходной",
        "Подвеска",
        &shown,
    ] {
        assert!(html.contains(expected), "{expected} not on the page");
    }
    let written = app::format::rubles(rust_decimal::Decimal::from(price));
    assert!(
        html.contains(&written),
        "the price of {shown} ({written}) not on the page"
    );
    assert!(!html.contains(&hidden), "a withdrawn service is shown");
    assert!(!html.contains("Гараж 24"), "another company is shown");
    assert!(
        !html.contains("Записаться в Telegram"),
        "no bot yet: the phones are the way"
    );

    // With the bot connected, the page leads to it.
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let (_, html) = page(&server, "/b/sever").await;
    assert!(html.contains("https://t.me/test_bot"), "the bot's link");

    let (status, html) = page(&server, "/b/no-such-company").await;
    assert_eq!(status, 404);
    assert!(html.contains("Такого автосервиса у нас нет"));
}
