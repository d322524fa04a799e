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
        !html.contains("нашему боту в Telegram"),
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

/// Posts a public page's form as a browser without JavaScript does; the answer is not followed.
async fn post(
    server: &TestServer,
    function: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url(&format!("/api/{function}")))
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// The value of the first `<attribute>="…"` after `after` in `html`.
fn first_after(html: &str, after: &str, attribute: &str) -> Option<String> {
    let from = html.find(after)? + after.len();
    let rest = &html[from..];
    let start = rest.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].replace("&amp;", "&"))
}

/// The booking page's link to the first day with free time: its `day=` value.
fn first_day(html: &str) -> String {
    let at = html.find("day=").expect("a day with free time") + 4;
    html[at..at + 10].to_string()
}

/// The shop of `tenant` the visit goes to, and its visits' client names on `day` (which the
/// page must never show).
async fn shop_offering(db: &TestDb, tenant: app::domain::db::TenantId, service: i64) -> i64 {
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    let shops = app::domain::shops::offering(&mut tx, &[service])
        .await
        .unwrap();
    shops[0].id
}

/// The visit as the page booked it: id, source, status, note, summary, the card's phone and
/// typed phone, its car.
type BookedRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[tokio::test]
async fn a_car_owner_books_on_the_public_page_and_manages_the_visit_by_its_link() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let server = TestServer::start(&db, &[]).await;
    let words = "стучит спереди справа на кочках";

    // The words: the concierge's causes and services with prices, the first one ticked.
    let (status, html) = page(
        &server,
        &format!("/b/sever/book?q={}", app::model::encode_query(words)),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Что это может быть") && html.contains("Подходящие работы"),
        "{html}"
    );
    assert!(html.contains("₽"), "prices");
    let service: i64 = first_after(&html, "Подходящие работы", "value")
        .and_then(|v| v.parse().ok())
        .expect("a suggested service");
    let shop = shop_offering(&db, sever, service).await;

    // The shop, then the days with free time, then that day's times: times only.
    let base = format!(
        "/b/sever/book?q={}&s={service}&shop={shop}",
        app::model::encode_query(words)
    );
    let (status, html) = page(&server, &base).await;
    assert_eq!(status, 200);
    let day = first_day(&html);
    let (_, html) = page(&server, &format!("{base}&day={day}")).await;
    let start = first_after(&html, "name=\"start\"", "value").expect("a free time");
    assert!(start.starts_with(&day), "{start} on {day}");
    let holders: Vec<String> = sqlx::query_scalar(
        "SELECT c.full_name FROM appointments a JOIN clients c ON c.id = a.client_id
         WHERE a.tenant_id = $1 AND a.shop_id = $2 AND a.status IN ('new', 'confirmed')",
    )
    .bind(sever.0)
    .bind(shop)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert!(!holders.is_empty(), "the demo has visits at the shop");
    for name in &holders {
        assert!(
            !html.contains(name.as_str()),
            "the page shows who holds a time: {name}"
        );
    }

    // Booked without JavaScript: the browser is sent to the visit's manage link.
    let service_text = service.to_string();
    let shop_text = shop.to_string();
    let form = |start: &str| {
        vec![
            ("slug", "sever".to_string()),
            ("q", words.to_string()),
            ("services", service_text.clone()),
            ("shop", shop_text.clone()),
            ("start", start.to_string()),
            ("name", "Ольга Веб".to_string()),
            ("phone", "8 (916) 555-12-34".to_string()),
            ("make", "Kia".to_string()),
            ("model", "Rio".to_string()),
            ("plate", "а123вс77".to_string()),
            ("email", "olga@example.ru".to_string()),
            ("website", String::new()),
        ]
    };
    let fields = form(&start);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, body) = post(&server, "public_book", &fields).await;
    assert!(
        (300..400).contains(&status) || status == 200,
        "{status} {body}"
    );
    let token = location
        .strip_prefix("/b/sever/v/")
        .and_then(|rest| rest.strip_suffix("?done=booked"))
        .unwrap_or_else(|| panic!("redirect to the manage link, got {location:?}"))
        .to_string();
    assert!(token.len() >= 40, "an unguessable token: {token}");

    let (id, source, status, note, summary, card_phone, typed, car): BookedRow = sqlx::query_as(
        "SELECT a.id, a.source, a.status, a.customer_note, a.ai_summary, c.phone, c.unverified_phone,
                (SELECT v.make || ' ' || v.model FROM vehicles v WHERE v.id = a.vehicle_id)
         FROM appointments a JOIN clients c ON c.id = a.client_id
         WHERE a.tenant_id = $1 AND c.full_name = 'Ольга Веб'",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!((source.as_str(), status.as_str()), ("web", "new"));
    assert_eq!(note, words, "the customer's words are kept");
    assert!(!summary.is_empty(), "the concierge's causes are kept");
    assert_eq!(
        card_phone, None,
        "a typed phone is the customer's word, not the card's phone"
    );
    assert_eq!(typed.as_deref(), Some("+79165551234"));
    assert_eq!(car.as_deref(), Some("Kia Rio"));
    let email: Option<String> = sqlx::query_scalar(
        "SELECT c.email FROM appointments a JOIN clients c ON c.id = a.client_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(
        email.as_deref(),
        Some("olga@example.ru"),
        "where the visit's link goes"
    );
    // «Вы записаны» with the manage link, queued for the client's channels (here the e-mail).
    let message: String = sqlx::query_scalar(
        "SELECT payload->>'text' FROM jobs WHERE tenant_id = $1 AND dedupe_key = 'booked:' || $2::text",
    )
    .bind(sever.0)
    .bind(id)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert!(
        message.contains(&format!("/b/sever/v/{token}")),
        "{message}"
    );
    // Only the token's hash is kept.
    let (hashes, plain): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE token_hash = sha256(convert_to($2, 'UTF8'))),
                count(*) FILTER (WHERE position(convert_to($2, 'UTF8') IN token_hash) > 0)
         FROM visit_links WHERE appointment_id = $1",
    )
    .bind(id)
    .bind(&token)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!((hashes, plain), (1, 0));

    // Someone else types Ольга's phone with their own e-mail: their visit gets a card of its
    // own. Ольга's card, its e-mail and so her visit's messages and link stay hers.
    let other_start = html
        .match_indices("name=\"start\" value=\"")
        .map(|(at, m)| {
            let rest = &html[at + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .find(|s| *s != start)
        .expect("another free time");
    let mut other = form(&other_start);
    for (key, value) in other.iter_mut() {
        match *key {
            "name" => *value = "Чужой Человек".into(),
            "email" => *value = "evil@example.ru".into(),
            _ => {}
        }
    }
    let other: Vec<(&str, &str)> = other.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = post(&server, "public_book", &other).await;
    assert!(status < 400, "{status} {body}");
    let cards: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT c.id, c.email FROM appointments a JOIN clients c ON c.id = a.client_id
         WHERE a.tenant_id = $1 AND c.unverified_phone = '+79165551234' ORDER BY a.id",
    )
    .bind(sever.0)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(cards.len(), 2, "{cards:?}");
    assert_ne!(
        cards[0].0, cards[1].0,
        "a typed phone reused another booking's card"
    );
    assert_eq!(cards[0].1.as_deref(), Some("olga@example.ru"));

    let link = format!("/b/sever/v/{token}");
    let (status, html) = page(&server, &format!("{link}?done=booked")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Вы записаны") && html.contains("Ждёт подтверждения"),
        "{html}"
    );

    // Moved to another free time through the link.
    let (_, html) = page(&server, &format!("{link}?day={day}")).await;
    let new_start = first_after(&html, "name=\"start\"", "value").expect("a time to move to");
    let (status, location, body) = post(
        &server,
        "public_move",
        &[("slug", "sever"), ("token", &token), ("start", &new_start)],
    )
    .await;
    assert!(status < 400, "{status} {body}");
    assert_eq!(location, format!("{link}?done=moved"));
    let moved: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT start_time FROM appointments WHERE id = $1")
            .bind(id)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(
        moved,
        chrono::DateTime::parse_from_rfc3339(&new_start).unwrap()
    );

    // The link is this company's only, and a made-up token shows nothing.
    assert_eq!(
        page(&server, &format!("/b/garage24/v/{token}")).await.0,
        404
    );
    assert_eq!(page(&server, "/b/sever/v/made-up-token").await.0, 404);

    // The work withdrawn by staff since: the visit still shows, with «Отменить» (moving is
    // the shop's phone then).
    sqlx::query("UPDATE services SET is_active = false WHERE id = $1")
        .bind(service)
        .execute(&db.owner)
        .await
        .unwrap();
    let (status, html) = page(&server, &format!("{link}?day={day}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Отменить запись") && !html.contains("name=\"start\""),
        "{html}"
    );

    // Cancelled through the link: the visit says so and offers nothing more.
    let (status, location, body) = post(
        &server,
        "public_cancel",
        &[("slug", "sever"), ("token", &token)],
    )
    .await;
    assert!(status < 400, "{status} {body}");
    assert_eq!(location, format!("{link}?done=cancelled"));
    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, cancel_reason FROM appointments WHERE id = $1")
            .bind(id)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(status, "cancelled");
    assert_eq!(reason.as_deref(), Some("Клиент отменил запись на сайте"));
    let (_, html) = page(&server, &link).await;
    assert!(
        html.contains("Отменена") && !html.contains("Отменить запись"),
        "{html}"
    );
    let (status, _, body) = post(
        &server,
        "public_cancel",
        &[("slug", "sever"), ("token", &token)],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    db.drop().await;
}

#[tokio::test]
async fn the_public_page_refuses_bots_caps_visits_per_phone_and_can_be_switched_off() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let server = TestServer::start(&db, &[]).await;
    let (service, shop): (i64, i64) = sqlx::query_as(
        "SELECT s.id, sh.id FROM services s JOIN shops sh ON sh.tenant_id = s.tenant_id
         WHERE s.tenant_id = $1 AND s.is_active AND s.shop_id IS NULL ORDER BY s.id, sh.id LIMIT 1",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let base = format!("/b/sever/book?s={service}&shop={shop}");
    let (_, html) = page(&server, &base).await;
    let day = first_day(&html);
    let (_, html) = page(&server, &format!("{base}&day={day}")).await;
    let times: Vec<String> = html
        .match_indices("name=\"start\" value=\"")
        .map(|(at, m)| {
            let rest = &html[at + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    assert!(times.len() >= 3, "{times:?}");
    // A staff card already holds this phone.
    let staff_card: (i64, String) = sqlx::query_as(
        "SELECT id, phone FROM clients WHERE tenant_id = $1 AND phone IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let book = |start: String, phone: String, website: &'static str| {
        let service = service.to_string();
        let shop = shop.to_string();
        let server = &server;
        async move {
            let fields = [
                ("slug", "sever".to_string()),
                ("q", String::new()),
                ("services", service),
                ("shop", shop),
                ("start", start),
                ("name", "Пётр Сайт".to_string()),
                ("phone", phone),
                ("make", String::new()),
                ("model", String::new()),
                ("plate", String::new()),
                ("website", website.to_string()),
            ];
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(server, "public_book", &fields).await
        }
    };
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM appointments a JOIN clients c ON c.id = a.client_id
             WHERE a.tenant_id = $1 AND c.full_name = 'Пётр Сайт'",
        )
        .bind(sever.0)
        .fetch_one(&db.owner)
        .await
        .unwrap()
    };

    // Another site's page cannot post the form from its visitors' browsers.
    let foreign = reqwest::Client::new()
        .post(server.url("/api/public_book"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("slug", "sever"),
            ("q", ""),
            ("services", &service.to_string()),
            ("shop", &shop.to_string()),
            ("start", &times[0]),
            ("name", "Пётр Сайт"),
            ("phone", "+79005550009"),
            ("make", ""),
            ("model", ""),
            ("plate", ""),
            ("website", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    // A form the page never sent (fields missing) is a clear 400, not a server error.
    let (status, _, body) = post(&server, "public_book", &[("slug", "sever")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Запрос не разобран"), "{body}");

    // The honeypot: a bot that fills every field books nothing.
    let (status, _, body) = book(
        times[0].clone(),
        staff_card.1.clone(),
        "https://spam.example",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Запись не принята"), "{body}");
    assert_eq!(count().await, 0);

    // Typing a staff card's phone books on a card of its own, marked as a possible duplicate:
    // nobody reaches another person's card by typing their number.
    sqlx::query("UPDATE tenants SET public_max_future_visits = 1 WHERE id = $1")
        .bind(sever.0)
        .execute(&db.owner)
        .await
        .unwrap();
    let staff_visits_before: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM appointments WHERE client_id = $1 AND status IN ('new', 'confirmed') AND start_time > now()",
    )
    .bind(staff_card.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let (status, _, body) = book(times[0].clone(), "+79005550001".into(), "").await;
    assert!(status < 400, "{status} {body}");
    assert_eq!(count().await, 1);
    // At most the company's number of future visits per phone (here 1), however it is written.
    let (status, _, body) = book(times[1].clone(), "8 900 555-00-01".into(), "").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("уже есть записи"), "{body}");
    assert_eq!(count().await, 1);
    if staff_visits_before == 0 {
        let (status, _, body) = book(times[2].clone(), staff_card.1.clone(), "").await;
        assert!(status < 400, "{status} {body}");
        let (card, marked): (i64, i64) = sqlx::query_as(
            "SELECT a.client_id, (SELECT count(*) FROM client_duplicates d
                                  WHERE $2 IN (d.client_id, d.other_id) AND a.client_id IN (d.client_id, d.other_id))
             FROM appointments a WHERE a.start_time = $1::timestamptz AND a.tenant_id = $3",
        )
        .bind(&times[2])
        .bind(staff_card.0)
        .bind(sever.0)
        .fetch_one(&db.owner)
        .await
        .unwrap();
        assert_ne!(card, staff_card.0, "typing a phone reached a staff card");
        assert_eq!(marked, 1, "the pair is marked for staff");
    }

    // Bookings per address: the eleventh in an hour is refused whatever it is.
    sqlx::query("UPDATE tenants SET public_max_future_visits = 20 WHERE id = $1")
        .bind(sever.0)
        .execute(&db.owner)
        .await
        .unwrap();
    let mut last = 0;
    // Times the page never offers: past, and beyond the weeks it shows.
    let far = (chrono::Utc::now() + chrono::Duration::days(60))
        .format("%Y-%m-%dT10:00:00+03:00")
        .to_string();
    for i in 0..12 {
        let start = if i % 2 == 0 {
            "2020-01-01T10:00:00+03:00".to_string()
        } else {
            far.clone()
        };
        let (status, _, body) = book(start, format!("+7900555{:04}", 100 + i), "").await;
        last = status;
        if status == 429 {
            break;
        }
        assert!(
            matches!(status, 400 | 409),
            "a time nobody offered: {status} {body}"
        );
    }
    assert_eq!(last, 429, "the limit per address");

    // Switched off: the booking pages say to call, and a post books nothing.
    sqlx::query("UPDATE tenants SET public_booking = false WHERE id = $1")
        .bind(sever.0)
        .execute(&db.owner)
        .await
        .unwrap();
    let (status, html) = page(&server, &base).await;
    assert_eq!(status, 422);
    assert!(html.contains("Запись на сайте сейчас выключена"), "{html}");
    let (_, html) = page(&server, "/b/sever").await;
    assert!(
        html.contains("Запись на сайте сейчас выключена") && !html.contains("Подобрать работы")
    );
    db.drop().await;
}

#[tokio::test]
async fn the_page_takes_the_company_colour_and_logo_and_its_qr_code_leads_to_it() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let change = |color: &'static str, logo: &'static str, max: i32| {
        let db = db.app.clone();
        async move { app::domain::public::change_setup(&db, sever, true, max, color, logo).await }
    };
    for (color, logo, max) in [
        ("blue", "", 3),
        ("#12345", "", 3),
        ("", "http://logo.example/a.png", 3),
        ("", "https://logo.example/a b.png", 3),
        ("", "", 0),
        ("", "", 21),
    ] {
        assert!(
            matches!(
                change(color, logo, max).await,
                Err(app::domain::Error::Validation(_))
            ),
            "{color:?} {logo:?} {max} must be refused"
        );
    }
    change("#0F766E", "https://logo.example/sever.png", 2)
        .await
        .unwrap();
    let server = TestServer::start(&db, &[]).await;
    let (_, html) = page(&server, "/b/sever").await;
    assert!(html.contains("--brand: #0f766e"), "the colour, normalised");
    assert!(
        html.contains("src=\"https://logo.example/sever.png\""),
        "the logo"
    );
    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let config = crate::common::test_config();
    let setup = app::domain::public::setup(&mut tx, &config).await.unwrap();
    assert_eq!(
        (setup.max_future_visits, setup.color.as_str()),
        (2, "#0f766e")
    );
    assert!(setup.address.ends_with("/b/sever"), "{}", setup.address);
    drop(tx);

    let response = reqwest::get(server.url("/b/sever/qr.svg")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.text().await.unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    assert_eq!(
        reqwest::get(server.url("/b/nobody/qr.svg"))
            .await
            .unwrap()
            .status(),
        404
    );
    let (status, html) = page(&server, "/b/sever/card").await;
    assert_eq!(status, 200);
    assert!(html.contains("Запишитесь онлайн") && html.contains("/b/sever/qr.svg"));
    let at = html.find("data-card-address").expect("the address line");
    let line = &html[at..(at + 200).min(html.len())];
    assert!(
        line.contains("/b/sever"),
        "the page's address on the card: {line}"
    );
    db.drop().await;
}

/// A company with SMS: the phone typed on the page is confirmed with a one-time code before the
/// visit exists; the code goes by SMS, a wrong one is refused (five tries), the right one books
/// the visit on the card that has the phone, and the «вы записаны» message carries the manage
/// link.
#[tokio::test]
async fn with_sms_the_phone_is_confirmed_by_a_code_before_the_visit_is_booked() {
    use app::domain::company::{self, CompanyPatch, SmsPatch};

    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let sms = crate::common::sms::FakeSms::start().await;
    company::change(
        &db.app,
        &crate::common::test_config(),
        sever,
        CompanyPatch {
            sms: Some(SmsPatch {
                provider: "smsru".into(),
                key: Some("sever-api-id".into()),
                sender: None,
                url: None,
            }),
            ..CompanyPatch::default()
        },
    )
    .await
    .unwrap();
    let server = TestServer::start(
        &db,
        &[
            ("SMSRU_API_URL", sms.base.as_str()),
            ("PUBLIC_URL", "https://ac.example.ru/concierge"),
        ],
    )
    .await;
    // A staff card with this phone: once the code proves the phone, the visit is that card's.
    let (card, phone): (i64, String) = sqlx::query_as(
        "SELECT id, phone FROM clients WHERE tenant_id = $1 AND phone IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let (service, shop): (i64, i64) = sqlx::query_as(
        "SELECT s.id, sh.id FROM services s JOIN shops sh ON sh.tenant_id = s.tenant_id
         WHERE s.tenant_id = $1 AND s.is_active AND s.shop_id IS NULL ORDER BY s.id, sh.id LIMIT 1",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let base = format!("/b/sever/book?s={service}&shop={shop}");
    let (_, html) = page(&server, &base).await;
    let (_, html) = page(&server, &format!("{base}&day={}", first_day(&html))).await;
    let start = first_after(&html, "name=\"start\"", "value").unwrap();
    let before: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM appointments WHERE tenant_id = $1 AND start_time = $2::timestamptz",
    )
    .bind(sever.0)
    .bind(&start)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let (service, shop) = (service.to_string(), shop.to_string());
    let (status, location, body) = post(
        &server,
        "public_book",
        &[
            ("slug", "sever"),
            ("q", ""),
            ("services", &service),
            ("shop", &shop),
            ("start", &start),
            ("name", "Сергей Кодов"),
            ("phone", &phone),
            ("make", ""),
            ("model", ""),
            ("plate", ""),
            ("website", ""),
        ],
    )
    .await;
    assert!(status < 400, "{status} {body}");
    let token = location
        .strip_prefix("/b/sever/confirm/")
        .unwrap_or_else(|| panic!("the code page, got {location:?}"))
        .to_string();
    let visits = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM appointments WHERE tenant_id = $1 AND start_time = $2::timestamptz",
        )
        .bind(sever.0)
        .bind(&start)
        .fetch_one(&db.owner)
        .await
        .unwrap()
    };
    assert_eq!(visits().await, before, "nothing is booked before the code");
    let sent = sms.wait_for(&phone, "Код для записи").await;
    let code: String = sent.text.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{}", sent.text);
    let (_, html) = page(&server, &format!("/b/sever/confirm/{token}")).await;
    assert!(
        html.contains(&format!("…{}", &phone[phone.len() - 4..])),
        "{html}"
    );

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, _, body) = post(
        &server,
        "public_confirm",
        &[("slug", "sever"), ("token", &token), ("code", wrong)],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Код не подходит"), "{body}");
    assert_eq!(visits().await, before);

    let (status, location, body) = post(
        &server,
        "public_confirm",
        &[("slug", "sever"), ("token", &token), ("code", &code)],
    )
    .await;
    assert!(status < 400, "{status} {body}");
    let link = location
        .strip_suffix("?done=booked")
        .expect("the manage link")
        .to_string();
    let booked_for: i64 = sqlx::query_scalar(
        "SELECT client_id FROM appointments WHERE tenant_id = $1 AND start_time = $2::timestamptz AND status = 'new'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(sever.0)
    .bind(&start)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(
        booked_for, card,
        "a confirmed phone books on the card that has it"
    );
    // The code is used up.
    let (status, _, _) = post(
        &server,
        "public_confirm",
        &[("slug", "sever"), ("token", &token), ("code", &code)],
    )
    .await;
    assert_eq!(status, 422);
    // «Вы записаны» with the manage link, queued for the client's channels.
    let message: String = sqlx::query_scalar(
        "SELECT payload->>'text' FROM jobs WHERE tenant_id = $1 AND dedupe_key LIKE 'booked:%'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert!(
        message.contains(&format!("https://ac.example.ru/concierge{link}")),
        "{message}"
    );
    db.drop().await;
}
