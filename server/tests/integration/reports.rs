//! Reports (issue 16): each report's numbers against a small fixture counted by hand — two
//! shops in Moscow and London across the UK's DST change, visits near midnight that belong to
//! another local day than their UTC one — read through RLS as the runtime role; managers get no
//! money; another company sees none of it; the API's JSON and CSV.

use app::domain::{
    accounts::{self, NewTenant},
    db::TenantId,
    reports::{self, Audience, Group, Period, Report},
    Error,
};
use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::common::{
    server::{token, Api, TestServer},
    TestDb,
};

/// (shop, bay, client, start UTC, minutes, status, source, created UTC, services)
type FixtureVisit<'a> = (
    i64,
    i32,
    i64,
    &'a str,
    i32,
    &'a str,
    &'a str,
    &'a str,
    &'a [i64],
);

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The fixture company: shop A (Moscow, 2 bays) and shop B (London, 1 bay), both 09:00–21:00
/// every day, the services «Масло» (oil, 1000 ₽) and «Колодки» (brakes, 2000 ₽), and the
/// visits of 27–31 March 2026 (UK summer time starts on Sunday 29 March).
async fn fixture(db: &TestDb) -> (TenantId, i64, i64) {
    let tenant = accounts::create_tenant(
        &db.app,
        &NewTenant {
            name: "Отчётный сервис",
            slug: "otchet",
            timezone: "Europe/Moscow",
            admin_email: "admin@otchet.test",
            admin_password: "report-password-1",
            admin_full_name: "Ольга Отчётова",
        },
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO users (tenant_id, email, password_hash, full_name, role)
         SELECT $1, 'manager@otchet.test', password_hash, 'Менеджер', 'manager' FROM users
         WHERE email = 'admin@otchet.test'",
    )
    .bind(tenant.0)
    .execute(&db.owner)
    .await
    .unwrap();
    let hours = json!({"mon": [["09:00","21:00"]], "tue": [["09:00","21:00"]], "wed": [["09:00","21:00"]],
        "thu": [["09:00","21:00"]], "fri": [["09:00","21:00"]], "sat": [["09:00","21:00"]], "sun": [["09:00","21:00"]]});
    let shop = |name: &'static str, zone: &'static str, bays: i32| {
        let (owner, hours) = (db.owner.clone(), hours.clone());
        async move {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO shops (tenant_id, name, timezone, bays, working_hours) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(tenant.0)
            .bind(name)
            .bind(zone)
            .bind(bays)
            .bind(hours)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let (a, b) = (
        shop("Москва", "Europe/Moscow", 2).await,
        shop("Лондон", "Europe/London", 1).await,
    );
    let service = |name: &'static str, category: &'static str, price: i32| {
        let owner = db.owner.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO services (tenant_id, name, category, price, duration_minutes) VALUES ($1, $2, $3, $4, 30) RETURNING id",
            )
            .bind(tenant.0)
            .bind(name)
            .bind(category)
            .bind(price)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let (oil, brakes) = (
        service("Масло", "oil", 1000).await,
        service("Колодки", "brakes", 2000).await,
    );
    let client = |name: &'static str| {
        let owner = db.owner.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO clients (tenant_id, full_name) VALUES ($1, $2) RETURNING id",
            )
            .bind(tenant.0)
            .bind(name)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let (first, second) = (client("Первый").await, client("Второй").await);
    // (shop, bay, client, start UTC, minutes, status, source, created UTC, services)
    let visits: [FixtureVisit; 7] = [
        // Sat 28 March 10:00 in Moscow.
        (
            a,
            1,
            first,
            "2026-03-28 07:00Z",
            60,
            "completed",
            "telegram",
            "2026-03-26 10:00Z",
            &[oil, brakes],
        ),
        // Sun 29 March 00:30 in Moscow: the 28th in UTC.
        (
            a,
            2,
            second,
            "2026-03-28 21:30Z",
            30,
            "completed",
            "web",
            "2026-03-20 10:00Z",
            &[oil],
        ),
        // Sun 29 March 10:00 in London, summer time (UTC+1).
        (
            b,
            1,
            second,
            "2026-03-29 09:00Z",
            60,
            "no_show",
            "api",
            "2026-03-29 08:30Z",
            &[brakes],
        ),
        // Mon 30 March 00:30 in London: the 29th in UTC.
        (
            b,
            1,
            second,
            "2026-03-29 23:30Z",
            30,
            "cancelled",
            "telegram",
            "2026-03-10 10:00Z",
            &[oil],
        ),
        // Mon 30 March 12:00 in Moscow.
        (
            a,
            1,
            first,
            "2026-03-30 09:00Z",
            30,
            "completed",
            "telegram",
            "2026-03-27 12:00Z",
            &[brakes],
        ),
        // Outside the period: Fri 27 March 23:30 in Moscow, and Tue 31 March 00:10 in Moscow
        // (still the 30th in UTC).
        (
            a,
            1,
            first,
            "2026-03-27 20:30Z",
            30,
            "completed",
            "web",
            "2026-03-20 10:00Z",
            &[brakes],
        ),
        (
            a,
            2,
            first,
            "2026-03-30 21:10Z",
            30,
            "completed",
            "web",
            "2026-03-20 10:00Z",
            &[brakes],
        ),
    ];
    // Written before the visits are booked, as in the bot. Three chats on 28 March: one the rules answered (wants to book), one the rules answered
    // in the LLM's place (it timed out), one not analysed; and the first client's message of
    // 26 March, 20 minutes before the first visit was booked.
    for (chat, client, at, analysis) in [
        (1i64, Some(first), "2026-03-26 09:40Z", Value::Null),
        (
            1,
            Some(first),
            "2026-03-28 09:00Z",
            json!({"engine": "rules", "intent": "booking"}),
        ),
        (
            2,
            None,
            "2026-03-28 10:00Z",
            json!({"engine": "rules", "intent": "consultation", "fallback": "timeout"}),
        ),
        (3, None, "2026-03-28 11:00Z", Value::Null),
    ] {
        sqlx::query(
            "INSERT INTO bot_messages (tenant_id, chat_id, client_id, direction, author, text, analysis, created_at)
             VALUES ($1, $2, $3, 'in', 'customer', 'текст', $4, $5::timestamptz)",
        )
        .bind(tenant.0)
        .bind(chat)
        .bind(client)
        .bind((!analysis.is_null()).then_some(analysis))
        .bind(at)
        .execute(&db.owner)
        .await
        .unwrap();
    }
    for (shop, bay, client, start, minutes, status, source, created, services) in visits {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO appointments (tenant_id, shop_id, bay, client_id, start_time, end_time, status, source, total_price, created_at)
             VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz + make_interval(mins => $6), $7, $8,
                     (SELECT sum(price) FROM services WHERE id = ANY($10)), $9::timestamptz) RETURNING id",
        )
        .bind(tenant.0)
        .bind(shop)
        .bind(bay)
        .bind(client)
        .bind(start)
        .bind(minutes)
        .bind(status)
        .bind(source)
        .bind(created)
        .bind(services)
        .fetch_one(&db.owner)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO appointment_services (tenant_id, appointment_id, service_id, price, duration_minutes)
             SELECT $1, $2, id, price, 30 FROM services WHERE id = ANY($3)",
        )
        .bind(tenant.0)
        .bind(id)
        .bind(services)
        .execute(&db.owner)
        .await
        .unwrap();
    }
    (tenant, a, b)
}

fn period(shop: Option<i64>) -> Period {
    Period::new(
        date("2026-12-07"),
        Some(date("2026-03-28")),
        Some(date("2026-03-30")),
        shop,
        Group::Day,
    )
    .unwrap()
}

async fn report(
    db: &TestDb,
    tenant: TenantId,
    name: &str,
    period: Period,
    audience: Audience,
) -> Report {
    let mut tx = db.app.tenant_read_tx(tenant).await.unwrap();
    reports::build(&mut tx, name, period, audience)
        .await
        .unwrap()
}

/// The rows of table `key`, as JSON.
fn rows(report: &Report, key: &str) -> Vec<Vec<Value>> {
    report
        .tables
        .iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("no table {key} in {report:?}"))
        .rows
        .clone()
}

#[tokio::test]
async fn reports_count_the_fixture_by_each_shops_local_day() {
    let db = TestDb::new().await;
    let (tenant, _, london) = fixture(&db).await;

    let revenue = report(&db, tenant, "revenue", period(None), Audience::Admin).await;
    assert_eq!(
        rows(&revenue, "by_period"),
        vec![
            vec![
                json!("2026-03-28"),
                json!(3000.0),
                json!(1),
                json!(3000.0),
                json!(1),
                json!(3000.0)
            ],
            vec![
                json!("2026-03-29"),
                json!(1000.0),
                json!(1),
                json!(1000.0),
                json!(1),
                json!(1000.0)
            ],
            vec![
                json!("2026-03-30"),
                json!(2000.0),
                json!(1),
                json!(2000.0),
                json!(1),
                json!(2000.0)
            ],
        ]
    );
    assert_eq!(
        rows(&revenue, "total"),
        vec![vec![
            json!("Итого"),
            json!(6000.0),
            json!(3),
            json!(6000.0),
            json!(3),
            json!(2000.0)
        ]]
    );
    assert_eq!(
        rows(&revenue, "by_category"),
        vec![
            vec![json!("Тормоза"), json!(2), json!(4000.0)],
            vec![json!("Масло и жидкости"), json!(2), json!(2000.0)],
        ]
    );
    // London alone: a no-show and a cancellation, no revenue.
    let london_only = report(
        &db,
        tenant,
        "revenue",
        period(Some(london)),
        Audience::Admin,
    )
    .await;
    assert_eq!(
        rows(&london_only, "total"),
        vec![vec![
            json!("Итого"),
            json!(0.0),
            json!(0),
            json!(0.0),
            json!(0),
            json!(0.0)
        ]]
    );

    let no_shows = report(&db, tenant, "no_shows", period(None), Audience::Admin).await;
    assert_eq!(
        rows(&no_shows, "by_period"),
        vec![
            vec![
                json!("2026-03-28"),
                json!(1),
                json!(0),
                json!(0.0),
                json!(0),
                json!(0.0)
            ],
            vec![
                json!("2026-03-29"),
                json!(2),
                json!(1),
                json!(0.5),
                json!(0),
                json!(0.0)
            ],
            vec![
                json!("2026-03-30"),
                json!(2),
                json!(0),
                json!(0.0),
                json!(1),
                json!(0.5)
            ],
        ]
    );
    // Booked less than a day ahead: the no-show; more than a week: the cancellation.
    let lead = rows(&no_shows, "by_lead_time");
    assert_eq!(
        lead[0],
        vec![
            json!("меньше суток"),
            json!(1),
            json!(1),
            json!(1.0),
            json!(0),
            json!(0.0)
        ]
    );
    assert_eq!(
        lead[1],
        vec![
            json!("1–3 дня"),
            json!(2),
            json!(0),
            json!(0.0),
            json!(0),
            json!(0.0)
        ]
    );
    assert_eq!(
        lead[3],
        vec![
            json!("больше недели"),
            json!(2),
            json!(0),
            json!(0.0),
            json!(1),
            json!(0.5)
        ]
    );

    let sources = report(&db, tenant, "sources", period(None), Audience::Admin).await;
    let counts: Vec<Vec<Value>> = rows(&sources, "by_period")
        .into_iter()
        .map(|r| r[..4].to_vec())
        .collect();
    assert_eq!(
        counts,
        vec![
            vec![json!("2026-03-28"), json!(1), json!(0), json!(0)],
            vec![json!("2026-03-29"), json!(0), json!(1), json!(1)],
            vec![json!("2026-03-30"), json!(2), json!(0), json!(0)],
        ]
    );

    let services = report(&db, tenant, "services", period(None), Audience::Admin).await;
    assert_eq!(
        rows(&services, "mix"),
        vec![
            vec![json!("Колодки"), json!(2), json!(4000.0)],
            vec![json!("Масло"), json!(2), json!(2000.0)],
        ]
    );
    assert_eq!(
        rows(&services, "pairs"),
        vec![vec![json!("Масло"), json!("Колодки"), json!(1)]]
    );

    // Load: Saturday 10:00 holds the 60 minutes of three open bay-hours; Monday 12:00, 30.
    let load = report(&db, tenant, "load", period(None), Audience::Admin).await;
    let heat = &load.tables[0];
    let column = heat.columns.iter().position(|c| c.key == "h10").unwrap();
    let noon = heat.columns.iter().position(|c| c.key == "h12").unwrap();
    assert_eq!(heat.rows[5][0], json!("Сб"));
    assert_eq!(heat.rows[5][column], json!(0.333));
    assert_eq!(heat.rows[0][noon], json!(0.167));
    assert_eq!(heat.rows[6][column], json!(0.0), "the no-show holds no bay");
    assert_eq!(heat.columns.len(), 1 + 12, "09:00–21:00");
    // Bay 1 of Moscow: 90 minutes of 3 × 12 open hours.
    assert_eq!(
        rows(&load, "by_bay")[0],
        vec![json!("Москва, пост 1"), json!(0.042)]
    );

    let funnel = report(&db, tenant, "funnel", period(None), Audience::Admin).await;
    let steps = rows(&funnel, "steps");
    assert_eq!(steps[0][1], json!(3), "conversations");
    assert_eq!(steps[1][1], json!(2), "answered by the concierge");
    assert_eq!(steps[2][1], json!(1), "wanted to book");
    assert_eq!(
        &steps[3][1..],
        &[json!(3), json!(1), json!(1)],
        "booked per channel"
    );
    assert_eq!(
        &steps[4][1..],
        &[json!(2), json!(1), json!(0)],
        "completed per channel"
    );
    assert_eq!(
        rows(&funnel, "engines"),
        vec![
            vec![json!("rules"), json!(2), json!(1.0)],
            vec![json!("ответили правила вместо LLM"), json!(1), json!(0.5)],
        ]
    );
    // 20 minutes for the first visit, 1580 (a day and a bit) for the second, from the same
    // first message; the cancelled Telegram visit was booked before anyone wrote.
    let waits = rows(&funnel, "time_to_book");
    assert_eq!(
        waits.iter().map(|w| w[1].clone()).collect::<Vec<_>>(),
        vec![json!(0), json!(1), json!(0), json!(0), json!(1), json!(0)]
    );
    assert_eq!(waits[1][0], json!("15 минут – час"));
    assert_eq!(waits[4][2], json!(0.5));

    // Clients who missed twice: all four of the first client's visits missed, two of them in
    // the period by Moscow's days (the 27th at 23:30 and the 31st at 00:10 are not).
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    sqlx::query(
        "UPDATE appointments SET status = 'no_show'
         WHERE client_id = (SELECT id FROM clients WHERE full_name = 'Первый')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let missed = reports::build(&mut tx, "no_shows", period(None), Audience::Admin)
        .await
        .unwrap();
    assert_eq!(
        rows(&missed, "repeated"),
        vec![vec![json!("Первый"), json!(""), json!(2), json!(2)]]
    );
    tx.rollback().await.unwrap();

    // Weeks: 28 and 29 March are one ISO week, 30 March the next.
    let weekly = Period {
        group: Group::Week,
        ..period(None)
    };
    let by_week = rows(
        &report(&db, tenant, "revenue", weekly, Audience::Admin).await,
        "by_period",
    );
    assert_eq!(by_week.len(), 2);
    assert_eq!(
        (by_week[0][0].clone(), by_week[0][3].clone()),
        (json!("2026-03-23"), json!(4000.0))
    );

    let csv = reports::csv(&revenue);
    assert!(csv.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(
        csv.contains("Период;Записано, ₽;Записей;Выполнено, ₽"),
        "{csv}"
    );
    assert!(
        csv.contains("2026-03-28;3000,00;1;3000,00;1;3000,00"),
        "{csv}"
    );
    db.drop().await;
}

#[tokio::test]
async fn managers_get_no_money_and_other_companies_nothing() {
    let db = TestDb::new().await;
    let (tenant, _, _) = fixture(&db).await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = accounts::tenant_id_by_slug(&db.app, "sever")
        .await
        .unwrap()
        .unwrap();

    let mut tx = db.app.tenant_read_tx(tenant).await.unwrap();
    let refused = reports::build(&mut tx, "revenue", period(None), Audience::Manager).await;
    assert!(matches!(refused, Err(Error::Forbidden)), "{refused:?}");
    drop(tx);
    let services = report(&db, tenant, "services", period(None), Audience::Manager).await;
    assert!(services
        .tables
        .iter()
        .all(|t| t.columns.iter().all(|c| c.kind != "money")));
    assert_eq!(rows(&services, "mix")[0], vec![json!("Колодки"), json!(2)]);
    assert_eq!(reports::available(Audience::Manager).len(), 5);

    // Another company: none of the fixture's visits, messages or shops.
    for name in [
        "revenue", "sources", "funnel", "no_shows", "services", "load",
    ] {
        let other = report(&db, sever, name, period(None), Audience::Admin).await;
        let numbers: f64 = other
            .tables
            .iter()
            .flat_map(|t| t.rows.iter())
            .flat_map(|r| r.iter().skip(1))
            .filter_map(Value::as_f64)
            .sum();
        assert_eq!(numbers, 0.0, "{name}: {other:?}");
    }
    let fixture_shop: i64 = sqlx::query_scalar("SELECT min(id) FROM shops WHERE tenant_id = $1")
        .bind(tenant.0)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    let mut tx = db.app.tenant_read_tx(sever).await.unwrap();
    let hidden = reports::build(
        &mut tx,
        "sources",
        period(Some(fixture_shop)),
        Audience::Admin,
    )
    .await;
    assert!(matches!(hidden, Err(Error::Validation(_))), "{hidden:?}");
    db.drop().await;
}

#[tokio::test]
async fn reports_over_the_api_as_json_and_csv() {
    let db = TestDb::new().await;
    fixture(&db).await;
    let server = TestServer::start(&db, &[]).await;
    let admin = Api::new(
        &server,
        token(&server, "admin@otchet.test", "report-password-1").await,
    );
    let manager = Api::new(
        &server,
        token(&server, "manager@otchet.test", "report-password-1").await,
    );
    let query = "from=2026-03-28&to=2026-03-30";

    let (status, body) = admin.get(&format!("/api/v1/reports/revenue?{query}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tables"][1]["rows"][0][3], json!(6000.0));
    assert_eq!(body["from"], "2026-03-28");
    let (status, _) = manager
        .get(&format!("/api/v1/reports/revenue?{query}"))
        .await;
    assert_eq!(status, 403);
    let (status, body) = manager
        .get(&format!("/api/v1/reports/services?{query}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["tables"][0]["columns"].as_array().unwrap().len(), 2);

    for bad in [
        "/api/v1/reports/revenue?from=2026-03-30&to=2026-03-01",
        "/api/v1/reports/revenue?from=2025-01-01&to=2026-03-01",
        "/api/v1/reports/revenue?from=yesterday",
        "/api/v1/reports/revenue?group=year",
        "/api/v1/reports/revenue?format=xlsx",
        "/api/v1/reports/revenue?shop_id=999999",
    ] {
        let (status, body) = admin.get(bad).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, _) = admin.get("/api/v1/reports/weather").await;
    assert_eq!(status, 404);

    let csv = reqwest::Client::new()
        .get(server.url(&format!("/api/v1/reports/no_shows?{query}&format=csv")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("report-no_shows-2026-03-28-2026-03-30.csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("2026-03-29;2;1;50,0;0;0,0"), "{text}");
    let anonymous = reqwest::get(server.url("/api/v1/reports/revenue"))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    drop(server);
    db.drop().await;
}

/// Every rollup row with a non-zero figure, as text, in one order: what the reports read.
async fn rollups(tx: &mut app::domain::db::Tx) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT x FROM (
             SELECT 'visit ' || row(r.*)::text AS x FROM report_visit_days r WHERE visits <> 0 OR amount <> 0
             UNION ALL SELECT 'hour ' || row(r.*)::text FROM report_hour_days r WHERE minutes <> 0
             UNION ALL SELECT 'bay ' || row(r.*)::text FROM report_bay_days r WHERE minutes <> 0
             UNION ALL SELECT 'service ' || row(r.*)::text FROM report_service_days r WHERE visits <> 0 OR amount <> 0
             UNION ALL SELECT 'pair ' || row(r.*)::text FROM report_pair_days r WHERE visits <> 0
             UNION ALL SELECT 'wait ' || row(r.*)::text FROM report_wait_days r WHERE visits <> 0
             UNION ALL SELECT 'chat ' || row(r.*)::text FROM report_chat_days r
             UNION ALL SELECT 'engine ' || row(r.*)::text FROM report_engine_days r WHERE answers <> 0 OR fallbacks <> 0
         ) t ORDER BY 1",
    )
    .fetch_all(&mut **tx)
    .await
    .unwrap()
}

/// The triggers keep the rollups exactly as a recount from scratch would make them, through
/// every kind of change staff, the bot and the worker make — as the runtime role, under RLS.
#[tokio::test]
async fn rollups_kept_by_triggers_equal_a_recount() {
    let db = TestDb::new().await;
    let (tenant, moscow, london) = fixture(&db).await;
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    let before = rollups(&mut tx).await;
    assert!(before.iter().any(|r| r.starts_with("pair ")), "{before:?}");
    assert!(before.iter().any(|r| r.starts_with("wait ")), "{before:?}");
    for change in [
        // Statuses change, a visit moves a day and to another bay, one changes shop.
        "UPDATE appointments SET status = 'no_show' WHERE status = 'completed' AND source = 'telegram'",
        "UPDATE appointments SET status = 'completed' WHERE status = 'cancelled'",
        "UPDATE appointments SET start_time = start_time + interval '1 day 30 minutes',
                                 end_time = end_time + interval '1 day 30 minutes', bay = 2
         WHERE source = 'web' AND shop_id = $moscow",
        "UPDATE appointments SET shop_id = $london, bay = 1, start_time = start_time + interval '7 days',
                                 end_time = end_time + interval '7 days'
         WHERE id = (SELECT min(id) FROM appointments WHERE shop_id = $moscow)",
        // Services: replaced as the visit editor does (delete, then insert), repriced, added.
        "DELETE FROM appointment_services WHERE appointment_id IN (SELECT id FROM appointments WHERE source = 'web')",
        "INSERT INTO appointment_services (tenant_id, appointment_id, service_id, price, duration_minutes)
         SELECT a.tenant_id, a.id, s.id, s.price + 5, 30 FROM appointments a, services s WHERE a.source = 'web'",
        "UPDATE appointment_services SET price = price * 2 WHERE price > 1500",
        // A note alone changes nothing; a visit deleted takes its services with it.
        "UPDATE appointments SET customer_note = 'стучит' WHERE true",
        "DELETE FROM appointments WHERE source = 'api'",
        // Messages analysed later; the shop and the company change time zone.
        "UPDATE bot_messages SET analysis = '{\"engine\": \"openai\", \"intent\": \"booking\", \"fallback\": \"invalid\"}'
         WHERE analysis IS NULL",
        "UPDATE shops SET timezone = 'Asia/Vladivostok' WHERE id = $london",
        "UPDATE tenants SET timezone = 'Asia/Yekaterinburg' WHERE true",
    ] {
        let change = change
            .replace("$moscow", &moscow.to_string())
            .replace("$london", &london.to_string());
        sqlx::query(&change)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{change}: {e}"));
    }
    let kept = rollups(&mut tx).await;
    assert_ne!(kept, before, "the changes must show in the rollups");
    for shop in [moscow, london] {
        sqlx::query("SELECT report_rebuild_shop($1)")
            .bind(shop)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query("SELECT report_rebuild_messages($1)")
        .bind(tenant.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    let recounted = rollups(&mut tx).await;
    assert_eq!(kept, recounted);
    tx.rollback().await.unwrap();
    db.drop().await;
}
