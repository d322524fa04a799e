//! Booking rules against real PostgreSQL, as the runtime role under Row-Level Security: free
//! slots (also across daylight-saving switches), booking, concurrency, status transitions,
//! moves, listing by the shop's local dates, and isolation between companies.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use crate::common::TestDb;
use app::domain::{
    accounts::{self, NewTenant},
    booking::{
        self, Appointment, AppointmentFilter, Change, Channel, NewBooking, Slot, Status,
        StatusChange,
    },
    db::TenantId,
    demo, Db, Error,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// A Monday far enough ahead that "starts in the past are not offered" never interferes.
const MONDAY: &str = "2030-01-14";

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

/// The two demo companies: «Автосервис Север» and «Гараж 24».
async fn demo_companies(db: &TestDb) -> (TenantId, TenantId) {
    demo::seed_demo(&db.app).await.unwrap();
    let id = |slug| accounts::tenant_id_by_slug(&db.app, slug);
    (
        id("sever").await.unwrap().unwrap(),
        id("garage24").await.unwrap().unwrap(),
    )
}

/// A new empty company.
async fn company(db: &TestDb, slug: &str) -> TenantId {
    let new = NewTenant {
        name: slug,
        slug,
        timezone: "Europe/Moscow",
        admin_email: &format!("admin@{slug}.test"),
        admin_password: "password-123",
        admin_full_name: "Admin",
    };
    accounts::create_tenant(&db.app, &new).await.unwrap()
}

/// Runs a statement returning one id in the tenant's own transaction ($1 = the tenant), and
/// commits. Numbers bind as bigint, strings as text, anything else as jsonb.
async fn insert(db: &TestDb, tenant: TenantId, sql: &str, binds: &[Value]) -> i64 {
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    let mut query = sqlx::query_scalar::<_, i64>(sql).bind(tenant.0);
    for value in binds {
        query = match value {
            Value::Number(n) => query.bind(n.as_i64().unwrap()),
            Value::String(s) => query.bind(s.clone()),
            other => query.bind(other.clone()),
        };
    }
    let id = query.fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// A shop in time zone `tz`: bays, working hours and slot step.
async fn add_shop(db: &TestDb, tenant: TenantId, tz: &str, shape: (i64, Value, i64)) -> i64 {
    let (bays, hours, slot) = shape;
    let sql = "INSERT INTO shops (tenant_id, name, timezone, bays, working_hours, slot_minutes)
               VALUES ($1, 'Shop', $2, $3, $4, $5) RETURNING id";
    insert(
        db,
        tenant,
        sql,
        &[json!(tz), json!(bays), hours, json!(slot)],
    )
    .await
}

async fn add_service(db: &TestDb, tenant: TenantId, name: &str, minutes: i64) -> i64 {
    let sql = "INSERT INTO services (tenant_id, name, duration_minutes, price)
               VALUES ($1, $2, $3, 1000) RETURNING id";
    insert(db, tenant, sql, &[json!(name), json!(minutes)]).await
}

async fn add_client(db: &TestDb, tenant: TenantId, name: &str, phone: &str) -> i64 {
    let sql = "INSERT INTO clients (tenant_id, full_name, phone) VALUES ($1, $2, $3) RETURNING id";
    insert(db, tenant, sql, &[json!(name), json!(phone)]).await
}

/// Reads one row with one parameter in the tenant's transaction (RLS shows only its own rows).
async fn read<T, A>(db: &TestDb, tenant: TenantId, sql: &str, arg: A) -> T
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    A: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
{
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    let row = sqlx::query_as(sql)
        .bind(arg)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    row
}

/// The id of the tenant's shop with this name.
async fn shop_id(db: &TestDb, tenant: TenantId, name: &str) -> i64 {
    let sql = "SELECT id FROM shops WHERE name = $1";
    read::<(i64,), _>(db, tenant, sql, name).await.0
}

/// The id of the tenant's service with this name.
async fn service_id(db: &TestDb, tenant: TenantId, name: &str) -> i64 {
    let sql = "SELECT id FROM services WHERE name = $1";
    read::<(i64,), _>(db, tenant, sql, name).await.0
}

/// The n-th client of the tenant who has a car, and that car.
async fn client_with_car(db: &TestDb, tenant: TenantId, n: i64) -> (i64, i64) {
    let sql = "SELECT client_id, id FROM vehicles ORDER BY id OFFSET $1 LIMIT 1";
    read(db, tenant, sql, n).await
}

async fn user_id(db: &TestDb, tenant: TenantId, email: &str) -> i64 {
    let sql = "SELECT id FROM users WHERE email = $1";
    read::<(i64,), _>(db, tenant, sql, email).await.0
}

/// A visit booked by staff in the web admin, with end and bay left to `book`.
fn visit(shop_id: i64, client_id: i64, service_ids: &[i64], start: &str) -> NewBooking {
    NewBooking {
        shop_id,
        client_id,
        vehicle_id: None,
        service_ids: service_ids.to_vec(),
        start_time: at(start),
        end_time: None,
        bay: None,
        source: Channel::Web,
        customer_note: String::new(),
        ai_summary: String::new(),
        ai_analysis: None,
        created_by: None,
    }
}

/// `base` with some fields set.
fn with(base: &NewBooking, set: impl FnOnce(&mut NewBooking)) -> NewBooking {
    let mut new = base.clone();
    set(&mut new);
    new
}

/// A change with some fields set.
fn changing(set: impl FnOnce(&mut Change)) -> Change {
    let mut change = Change::default();
    set(&mut change);
    change
}

fn to(status: Status) -> Change {
    changing(|c| c.status = Some(status))
}

fn move_to(start: &str) -> Change {
    changing(|c| c.start_time = Some(at(start)))
}

/// Books in a transaction of its own, committed only on success — as a request would.
async fn book(db: &Db, tenant: TenantId, new: NewBooking) -> Result<i64, Error> {
    let mut tx = db.tenant_tx(tenant).await?;
    let id = booking::book(&mut tx, tenant, new).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes in a transaction of its own, committed only on success.
async fn change_as(
    db: &TestDb,
    tenant: TenantId,
    id: i64,
    change: Change,
    (by, channel): (Option<i64>, Channel),
) -> Result<(), Error> {
    let mut tx = db.app.tenant_tx(tenant).await?;
    booking::change(&mut tx, tenant, id, change, by, channel).await?;
    tx.commit().await?;
    Ok(())
}

/// A change made in the web admin.
async fn edit(db: &TestDb, tenant: TenantId, id: i64, change: Change) -> Result<(), Error> {
    change_as(db, tenant, id, change, (None, Channel::Web)).await
}

async fn slots(
    db: &TestDb,
    tenant: TenantId,
    shop_id: i64,
    day: &str,
    services: &[i64],
) -> Result<Vec<Slot>, Error> {
    let mut tx = db.app.tenant_tx(tenant).await?;
    booking::free_slots(&mut tx, shop_id, date(day), services).await
}

async fn get(db: &TestDb, tenant: TenantId, id: i64) -> Result<Appointment, Error> {
    let mut tx = db.app.tenant_tx(tenant).await?;
    booking::get(&mut tx, id).await
}

async fn history(db: &TestDb, tenant: TenantId, id: i64) -> Result<Vec<StatusChange>, Error> {
    let mut tx = db.app.tenant_tx(tenant).await?;
    booking::history(&mut tx, id).await
}

async fn list(db: &TestDb, tenant: TenantId, filter: AppointmentFilter) -> Result<Vec<i64>, Error> {
    let mut tx = db.app.tenant_tx(tenant).await?;
    let page = booking::list(&mut tx, &filter).await?;
    Ok(page.into_iter().map(|a| a.id).collect())
}

fn starts(slots: &[Slot]) -> Vec<String> {
    slots.iter().map(|s| s.start_time.to_rfc3339()).collect()
}

/// The free bays at `time`, or `None` when it is not offered at all.
fn bays_at(slots: &[Slot], time: &str) -> Option<Vec<i32>> {
    let time = at(time);
    slots
        .iter()
        .find(|s| s.start_time == time)
        .map(|s| s.free_bays.clone())
}

/// Waits until some session of the test database waits for a lock (up to 10 s).
async fn wait_for_a_lock_wait(db: &TestDb, what: &str) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&db.owner)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}");
}

#[track_caller]
fn assert_validation(result: Result<impl std::fmt::Debug, Error>, needle: &str) {
    match result {
        Err(Error::Validation(message)) => {
            assert!(
                message.contains(needle),
                "«{message}» should mention «{needle}»"
            )
        }
        other => panic!("expected a validation error about «{needle}», got {other:?}"),
    }
}

#[track_caller]
fn assert_conflict(result: Result<impl std::fmt::Debug, Error>, needle: &str) {
    match result {
        Err(Error::Conflict(message)) => {
            assert!(
                message.contains(needle),
                "«{message}» should mention «{needle}»"
            )
        }
        other => panic!("expected a conflict «{needle}», got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found(result: Result<impl std::fmt::Debug, Error>) {
    assert!(
        matches!(result, Err(Error::NotFound)),
        "expected not found, got {result:?}"
    );
}

const NO_FREE_BAY: &str = "Нет свободного поста на это время";

// ---------------------------------------------------------------------------------------------
// Free slots.

#[tokio::test]
async fn slots_of_an_empty_day_in_a_demo_shop() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    // 3 bays, 09:00–20:00 Monday to Saturday, Europe/Moscow, 30-minute steps.
    let shop = shop_id(&db, sever, "Север на Ленинградке").await;
    let oil = service_id(&db, sever, "Замена масла в двигателе").await; // 30 min
    let chassis = service_id(&db, sever, "Диагностика ходовой части").await; // 45 min

    let day = slots(&db, sever, shop, MONDAY, &[oil]).await.unwrap();
    // 09:00, 09:30, …, 19:30: 22 starts, every bay free.
    assert_eq!(day.len(), 22);
    assert!(day.iter().all(|s| s.free_bays == [1, 2, 3]));
    assert_eq!(day[21].end_time.to_rfc3339(), "2030-01-14T20:00:00+03:00");
    // The API's JSON: ISO-8601 with the shop's offset.
    assert_eq!(
        serde_json::to_value(&day[0]).unwrap(),
        json!({"start_time": "2030-01-14T09:00:00+03:00",
               "end_time": "2030-01-14T09:30:00+03:00",
               "free_bays": [1, 2, 3]})
    );

    // Two services: 75 minutes, so the last start is 18:30 (ends 19:45); repeats count once.
    let longer = slots(&db, sever, shop, MONDAY, &[oil, chassis, oil])
        .await
        .unwrap();
    assert_eq!(longer.len(), 20);
    assert_eq!(
        longer[19].end_time.to_rfc3339(),
        "2030-01-14T19:45:00+03:00"
    );

    // Closed on Sunday; nothing in the past; today only from now on.
    for closed in ["2030-01-13", "2020-01-13"] {
        assert!(slots(&db, sever, shop, closed, &[oil])
            .await
            .unwrap()
            .is_empty());
    }
    let now = Utc::now();
    // Moscow keeps UTC+3 all year.
    let today = (now + chrono::Duration::hours(3)).date_naive().to_string();
    for slot in slots(&db, sever, shop, &today, &[oil]).await.unwrap() {
        assert!(slot.start_time >= now, "{} is in the past", slot.start_time);
    }

    // What cannot be asked for.
    assert_not_found(slots(&db, sever, 999_999, MONDAY, &[oil]).await);
    assert_validation(slots(&db, sever, shop, MONDAY, &[]).await, "хотя бы одну");
    assert_validation(
        slots(&db, sever, shop, MONDAY, &[999_999]).await,
        "не найдена",
    );
    // Dates at the edge of the calendar are refused, not a panic.
    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let edge = booking::free_slots(&mut tx, shop, NaiveDate::MAX, &[oil]).await;
    assert_validation(edge, "между 1970 и 9999");
    tx.rollback().await.unwrap();
    db.drop().await;
}

#[tokio::test]
async fn slots_follow_daylight_saving_time() {
    let db = TestDb::new().await;
    let tenant = company(&db, "berlin").await;
    let all_day = json!([["00:00", "24:00"]]);
    let every_day = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day,
                           "fri": all_day, "sat": all_day, "sun": all_day});
    let round_the_clock = add_shop(&db, tenant, "Europe/Berlin", (2, every_day, 60)).await;
    let office = json!([["09:00", "18:00"]]);
    let weekends = json!({"sat": office, "sun": office});
    let office_hours = add_shop(&db, tenant, "Europe/Berlin", (1, weekends, 30)).await;
    let hour = add_service(&db, tenant, "Час", 60).await;
    let half_hour = add_service(&db, tenant, "Полчаса", 30).await;

    // Spring forward (2030-03-31): 02:00 does not exist, the day has 23 hours.
    let spring = slots(&db, tenant, round_the_clock, "2030-03-31", &[hour])
        .await
        .unwrap();
    assert_eq!(spring.len(), 23);
    assert_eq!(
        starts(&spring[..3]),
        [
            "2030-03-31T00:00:00+01:00",
            "2030-03-31T01:00:00+01:00",
            "2030-03-31T03:00:00+02:00"
        ]
    );
    assert_eq!(
        spring[22].end_time.to_rfc3339(),
        "2030-04-01T00:00:00+02:00"
    );
    // Fall back (2030-10-27): 02:00–03:00 happens twice, the day has 25 hours.
    let autumn = slots(&db, tenant, round_the_clock, "2030-10-27", &[hour])
        .await
        .unwrap();
    assert_eq!(autumn.len(), 25);
    assert_eq!(
        starts(&autumn[2..4]),
        ["2030-10-27T02:00:00+02:00", "2030-10-27T02:00:00+01:00"]
    );
    // An ordinary day has 24.
    let ordinary = slots(&db, tenant, round_the_clock, "2030-03-30", &[hour]).await;
    assert_eq!(ordinary.unwrap().len(), 24);

    // Office hours keep their wall-clock times on both sides of the switch.
    let before = slots(&db, tenant, office_hours, "2030-03-30", &[half_hour]).await;
    let after = slots(&db, tenant, office_hours, "2030-03-31", &[half_hour]).await;
    let (before, after) = (before.unwrap(), after.unwrap());
    assert_eq!((before.len(), after.len()), (18, 18));
    assert_eq!(
        before[0].start_time.to_rfc3339(),
        "2030-03-30T09:00:00+01:00"
    );
    assert_eq!(
        after[0].start_time.to_rfc3339(),
        "2030-03-31T09:00:00+02:00"
    );

    // Booking reads the same clock: 18:00 CEST is closing time, 17:30 the last half hour.
    let client = add_client(&db, tenant, "Клиент", "+491701234567").await;
    let last = visit(
        office_hours,
        client,
        &[half_hour],
        "2030-03-31T17:30:00+02:00",
    );
    let late = visit(
        office_hours,
        client,
        &[half_hour],
        "2030-03-31T17:31:00+02:00",
    );
    book(&db.app, tenant, last).await.unwrap();
    assert_validation(book(&db.app, tenant, late).await, "вне рабочего времени");
    db.drop().await;
}

#[tokio::test]
async fn slots_shrink_as_bays_fill_and_grow_when_visits_are_cancelled() {
    let db = TestDb::new().await;
    let (_, garage) = demo_companies(&db).await;
    // 2 bays, 08:00–22:00 every day.
    let shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await;
    let hour = service_id(&db, garage, "Замена шаровой опоры").await; // 60 min
    let oil = service_id(&db, garage, "Замена масла в двигателе").await; // 30 min
    let (client, _) = client_with_car(&db, garage, 0).await;
    let ten = visit(shop, client, &[hour], "2030-01-14T10:00:00+03:00");

    let empty = slots(&db, garage, shop, MONDAY, &[oil]).await.unwrap();
    assert_eq!(empty.len(), 28);

    let first = book(&db.app, garage, ten.clone()).await.unwrap();
    let one = slots(&db, garage, shop, MONDAY, &[oil]).await.unwrap();
    assert_eq!(one.len(), 28, "one bay is still free all day");
    assert_eq!(bays_at(&one, "2030-01-14T10:00:00+03:00"), Some(vec![2]));
    assert_eq!(bays_at(&one, "2030-01-14T10:30:00+03:00"), Some(vec![2]));
    assert_eq!(bays_at(&one, "2030-01-14T09:30:00+03:00"), Some(vec![1, 2]));
    assert_eq!(bays_at(&one, "2030-01-14T11:00:00+03:00"), Some(vec![1, 2]));

    book(&db.app, garage, ten).await.unwrap();
    let full = slots(&db, garage, shop, MONDAY, &[oil]).await.unwrap();
    assert_eq!(full.len(), 26, "10:00 and 10:30 are gone");
    assert_eq!(bays_at(&full, "2030-01-14T10:00:00+03:00"), None);
    assert_eq!(bays_at(&full, "2030-01-14T10:30:00+03:00"), None);
    // An hour-long visit cannot start at 09:30 either: it would run into 10:00.
    let long = slots(&db, garage, shop, MONDAY, &[hour]).await.unwrap();
    assert_eq!(bays_at(&long, "2030-01-14T09:30:00+03:00"), None);
    assert_eq!(
        bays_at(&long, "2030-01-14T09:00:00+03:00"),
        Some(vec![1, 2])
    );

    // A cancelled visit frees its bay.
    edit(&db, garage, first, to(Status::Cancelled))
        .await
        .unwrap();
    let freed = slots(&db, garage, shop, MONDAY, &[oil]).await.unwrap();
    assert_eq!(freed.len(), 28);
    assert_eq!(bays_at(&freed, "2030-01-14T10:00:00+03:00"), Some(vec![1]));
    db.drop().await;
}

// ---------------------------------------------------------------------------------------------
// Booking.

#[tokio::test]
async fn booking_writes_the_visit_its_services_price_and_history() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север в Химках").await;
    // 30 min, 1200 ₽ and 60 min, 2000 ₽.
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let pads = service_id(&db, sever, "Замена тормозных колодок (ось)").await;
    let (client, car) = client_with_car(&db, sever, 0).await;
    let admin = user_id(&db, sever, "admin@sever.demo").await;
    // The catalogue's buffer time holds the bay after the job.
    let sql =
        "UPDATE services SET buffer_minutes = 15 WHERE tenant_id = $1 AND id = $2 RETURNING id";
    insert(&db, sever, sql, &[json!(pads)]).await;

    let analysis =
        json!({"intent": "booking", "diagnoses": [{"title": "Износ колодок", "confidence": 0.8}]});
    let new = with(
        &visit(shop, client, &[pads, oil], "2030-01-14T10:00:00+03:00"),
        |b| {
            b.vehicle_id = Some(car);
            b.source = Channel::Telegram;
            b.customer_note = "Скрипят тормоза".into();
            b.ai_summary = "Замена колодок".into();
            b.ai_analysis = Some(analysis.clone());
            b.created_by = Some(admin);
        },
    );
    let id = book(&db.app, sever, new).await.unwrap();

    let appointment = get(&db, sever, id).await.unwrap();
    assert_eq!(appointment.bay, 1, "the lowest free bay");
    assert_eq!(appointment.status, Status::New);
    assert_eq!(appointment.source, Channel::Telegram);
    assert_eq!(appointment.vehicle_id, Some(car));
    assert_eq!(
        appointment.ai_analysis.as_ref().and_then(|raw| raw.parse()),
        Some(analysis)
    );
    // 60 + 15 buffer + 30 minutes; 2000 + 1200 ₽.
    assert_eq!(
        appointment.end_time.to_rfc3339(),
        "2030-01-14T11:45:00+03:00"
    );
    assert_eq!(appointment.total_price, Decimal::from(3200));

    // The JSON is v1's shape, prices as numbers, times with the shop's offset.
    let json = serde_json::to_value(&appointment).unwrap();
    let keys: BTreeSet<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "id",
        "tenant_id",
        "shop_id",
        "client_id",
        "client",
        "vehicle_id",
        "service_ids",
        "services",
        "bay",
        "start_time",
        "end_time",
        "status",
        "source",
        "customer_note",
        "ai_summary",
        "total_price",
        "created_at",
        "updated_at",
        "ai_analysis",
        "cancel_reason",
    ]
    .into();
    assert_eq!(keys, expected);
    assert_eq!(json["tenant_id"], json!(sever.0));
    assert_eq!(json["client"]["id"], json!(client));
    assert!(json["client"]["full_name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert!(json["client"]["phone"]
        .as_str()
        .is_some_and(|p| p.starts_with("+7")));
    assert_eq!(json["total_price"], json!(3200.0));
    assert_eq!(json["status"], json!("new"));
    assert_eq!(json["source"], json!("telegram"));
    assert_eq!(json["start_time"], json!("2030-01-14T10:00:00+03:00"));
    assert_eq!(json["service_ids"], json!([oil.min(pads), oil.max(pads)]));
    assert!(json["services"].as_array().unwrap().contains(&json!({
        "id": pads, "name": "Замена тормозных колодок (ось)", "price": 2000.0, "duration_minutes": 60
    })));
    // Reading the JSON back gives the same appointment.
    let parsed: Appointment = serde_json::from_value(json).unwrap();
    assert_eq!(parsed, appointment);

    // The booking itself is the first entry of the history.
    let entries = history(&db, sever, id).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].from_status, entries[0].to_status),
        (None, Status::New)
    );
    assert_eq!(entries[0].changed_by, Some(admin));
    assert_eq!(entries[0].channel, Channel::Telegram);

    // An explicit end time wins over the services' durations; an explicit bay is kept.
    let explicit = with(
        &visit(shop, client, &[oil], "2030-01-14T10:00:00+03:00"),
        |b| {
            b.end_time = Some(at("2030-01-14T12:00:00+03:00"));
            b.bay = Some(2);
        },
    );
    let id = book(&db.app, sever, explicit).await.unwrap();
    let explicit = get(&db, sever, id).await.unwrap();
    assert_eq!(explicit.end_time.to_rfc3339(), "2030-01-14T12:00:00+03:00");
    assert_eq!(explicit.bay, 2);
    db.drop().await;
}

#[tokio::test]
async fn invalid_bookings_are_refused_and_write_nothing() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север на Ленинградке").await; // 3 bays, 09–20
    let other_shop = shop_id(&db, sever, "Север в Химках").await;
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let (client, car) = client_with_car(&db, sever, 0).await;
    let (other_client, other_car) = client_with_car(&db, sever, 1).await;
    assert_ne!(client, other_client);
    let retired = insert(
        &db,
        sever,
        "INSERT INTO services (tenant_id, name, price, duration_minutes, is_active)
         VALUES ($1, 'Снятая услуга', 100, 30, false) RETURNING id",
        &[],
    )
    .await;
    let elsewhere = insert(
        &db,
        sever,
        "INSERT INTO services (tenant_id, shop_id, name, price, duration_minutes)
         VALUES ($1, $2, 'Только в Химках', 100, 30) RETURNING id",
        &[json!(other_shop)],
    )
    .await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM appointments")
            .fetch_one(&db.owner)
            .await
            .unwrap()
    };
    let before = count().await;
    let ok = visit(shop, client, &[oil], "2030-01-14T10:00:00+03:00");

    let outside = [
        "2030-01-14T08:30:00+03:00", // before opening
        "2030-01-14T19:45:00+03:00", // runs past closing
        "2030-01-13T12:00:00+03:00", // Sunday: closed
    ];
    for start in outside {
        let result = book(&db.app, sever, visit(shop, client, &[oil], start)).await;
        assert_validation(result, "вне рабочего времени");
    }
    let refused = [
        (
            with(&ok, |b| b.end_time = Some(b.start_time)),
            "позже времени начала",
        ),
        (with(&ok, |b| b.bay = Some(4)), "от 1 до 3"),
        (with(&ok, |b| b.bay = Some(0)), "от 1 до 3"),
        (with(&ok, |b| b.service_ids = vec![]), "хотя бы одну"),
        (
            with(&ok, |b| b.service_ids = (1..=21).collect()),
            "не больше 20",
        ),
        (
            with(&ok, |b| b.service_ids = vec![retired]),
            "сейчас не оказывается",
        ),
        (
            with(&ok, |b| b.service_ids = vec![oil, elsewhere]),
            "не оказывается в этом",
        ),
        (with(&ok, |b| b.client_id = 999_999), "Клиент не найден"),
        (
            with(&ok, |b| b.vehicle_id = Some(999_999)),
            "Автомобиль не найден",
        ),
        (
            with(&ok, |b| b.vehicle_id = Some(other_car)),
            "другому клиенту",
        ),
        (with(&ok, |b| b.source = Channel::System), "Источник"),
        (
            with(&ok, |b| b.start_time = DateTime::<Utc>::MAX_UTC),
            "между 1970 и 9999",
        ),
        (
            with(&ok, |b| b.end_time = Some(DateTime::<Utc>::MAX_UTC)),
            "между 1970 и 9999",
        ),
    ];
    for (new, needle) in refused {
        assert_validation(book(&db.app, sever, new).await, needle);
    }
    assert_not_found(book(&db.app, sever, with(&ok, |b| b.shop_id = 999_999)).await);
    assert_eq!(count().await, before, "nothing may be written");

    // The visit itself is fine, also with the client's own car.
    book(&db.app, sever, with(&ok, |b| b.vehicle_id = Some(car)))
        .await
        .unwrap();
    let theirs = with(&ok, |b| {
        b.client_id = other_client;
        b.vehicle_id = Some(other_car);
    });
    book(&db.app, sever, theirs).await.unwrap();
    assert_eq!(count().await, before + 2);
    db.drop().await;
}

#[tokio::test]
async fn no_free_bay_is_a_conflict() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север в Химках").await; // 2 bays
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, sever, 0).await;
    let ten = visit(shop, client, &[oil], "2030-01-14T10:00:00+03:00");

    // Bay 2 asked for by number; the next booking gets the lowest free one, bay 1.
    let second = book(&db.app, sever, with(&ten, |b| b.bay = Some(2)))
        .await
        .unwrap();
    let first = book(&db.app, sever, ten.clone()).await.unwrap();
    assert_eq!(get(&db, sever, second).await.unwrap().bay, 2);
    assert_eq!(get(&db, sever, first).await.unwrap().bay, 1);

    assert_conflict(book(&db.app, sever, ten.clone()).await, NO_FREE_BAY);
    // Overlapping by a minute is overlapping; a taken bay asked for by number is named.
    let overlapping = visit(shop, client, &[oil], "2030-01-14T10:29:00+03:00");
    assert_conflict(book(&db.app, sever, overlapping).await, NO_FREE_BAY);
    let taken = with(&ten, |b| b.bay = Some(1));
    assert_conflict(book(&db.app, sever, taken).await, "Пост 1 занят");
    // Back to back is not overlapping.
    let next = visit(shop, client, &[oil], "2030-01-14T10:30:00+03:00");
    book(&db.app, sever, next).await.unwrap();
    db.drop().await;
}

/// Several worker threads, so that the contenders really run side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_bookings_of_one_slot_in_a_two_bay_shop_two_win() {
    let db = TestDb::new().await;
    let (_, garage) = demo_companies(&db).await;
    let shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await; // 2 bays
    let oil = service_id(&db, garage, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, garage, 0).await;
    // One connection per contender, so that all 40 transactions really are open at once.
    let contenders = Db::connect_app(&db.config, &db.owner_url, 40)
        .await
        .unwrap();
    // A lucky interleaving can hide a race in one contest; three contests rarely all do.
    for start in [
        "2030-01-14T12:00:00+03:00",
        "2030-01-14T14:00:00+03:00",
        "2030-01-14T16:00:00+03:00",
    ] {
        let barrier = Arc::new(tokio::sync::Barrier::new(40));
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let app = contenders.clone();
            let barrier = barrier.clone();
            let new = visit(shop, client, &[oil], start);
            tasks.push(tokio::spawn(async move {
                let mut tx = app.tenant_tx(garage).await.unwrap();
                barrier.wait().await;
                match booking::book(&mut tx, garage, new).await {
                    Ok(id) => tx.commit().await.map(|_| Some(id)).map_err(Error::from),
                    Err(Error::Conflict(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            }));
        }
        let mut won = Vec::new();
        for task in tasks {
            if let Some(id) = task.await.unwrap().expect("only conflicts are acceptable") {
                won.push(id);
            }
        }
        assert_eq!(won.len(), 2, "{start}: exactly as many bookings as bays");
        let mut bays = Vec::new();
        for id in won {
            bays.push(get(&db, garage, id).await.unwrap().bay);
        }
        bays.sort();
        assert_eq!(bays, [1, 2], "{start}");
    }
    contenders.pool().close().await;
    db.drop().await;
}

#[tokio::test]
async fn a_booking_waits_for_a_concurrent_one_and_takes_the_next_bay() {
    let db = TestDb::new().await;
    let (_, garage) = demo_companies(&db).await;
    let shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await; // 2 bays
    let oil = service_id(&db, garage, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, garage, 0).await;
    let noon = visit(shop, client, &[oil], "2030-01-14T12:00:00+03:00");

    // The first booking has taken bay 1 but not committed yet.
    let mut first = db.app.tenant_tx(garage).await.unwrap();
    let first_id = booking::book(&mut first, garage, noon.clone())
        .await
        .unwrap();
    // The second must wait for it rather than decide on what it cannot see yet: picking bay 1
    // too would end in a conflict although bay 2 is free.
    let app = db.app.clone();
    let second = tokio::spawn(async move { book(&app, garage, noon).await });
    wait_for_a_lock_wait(&db, "the second booking should wait for the first").await;
    first.commit().await.unwrap();
    let second_id = second.await.unwrap().expect("bay 2 is free");
    assert_eq!(get(&db, garage, first_id).await.unwrap().bay, 1);
    assert_eq!(get(&db, garage, second_id).await.unwrap().bay, 2);
    db.drop().await;
}

#[tokio::test]
async fn a_writer_that_races_past_the_check_is_stopped_by_the_exclusion_constraint() {
    let db = TestDb::new().await;
    let (_, garage) = demo_companies(&db).await;
    let shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await;
    let oil = service_id(&db, garage, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, garage, 0).await;

    // Another writer (not through `book`) holds bay 1 at 12:00 in a transaction not yet committed.
    let mut other = db.app.tenant_tx(garage).await.unwrap();
    sqlx::query(
        "INSERT INTO appointments (tenant_id, shop_id, client_id, bay, start_time, end_time, source)
         VALUES ($1, $2, $3, 1, '2030-01-14 12:00+03', '2030-01-14 12:30+03', 'api')",
    )
    .bind(garage.0)
    .bind(shop)
    .bind(client)
    .execute(&mut *other)
    .await
    .unwrap();

    // `book` cannot see it yet, finds bay 1 free and inserts — which must wait for the other.
    let app = db.app.clone();
    let noon = visit(shop, client, &[oil], "2030-01-14T12:00:00+03:00");
    let racing =
        tokio::spawn(async move { book(&app, garage, with(&noon, |b| b.bay = Some(1))).await });
    wait_for_a_lock_wait(&db, "the booking should wait for the other writer's row").await;
    other.commit().await.unwrap();
    assert_conflict(racing.await.unwrap(), NO_FREE_BAY);
    db.drop().await;
}

// ---------------------------------------------------------------------------------------------
// Status changes and moves.

#[tokio::test]
async fn every_allowed_transition_works_and_every_other_is_refused() {
    use Status::*;
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север на Ленинградке").await;
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, sever, 0).await;
    let manager = user_id(&db, sever, "manager@sever.demo").await;
    let reason = "Клиент заболел";

    // Every allowed transition, walked from a new booking. The first path only cancels a
    // confirmed visit; the others leave one visit in each status.
    let paths: [&[Status]; 7] = [
        &[Confirmed, Cancelled],
        &[],
        &[Confirmed],
        &[Confirmed, InProgress],
        &[Confirmed, InProgress, Completed],
        &[Cancelled],
        &[Confirmed, NoShow],
    ];
    let mut in_each_status = Vec::new();
    for (hour, path) in (9..).zip(paths) {
        let start = format!("2030-01-14T{hour:02}:00:00+03:00");
        let id = book(&db.app, sever, visit(shop, client, &[oil], &start))
            .await
            .unwrap();
        for &status in path {
            let change = changing(|c| {
                c.status = Some(status);
                c.reason = (status == Cancelled).then(|| reason.to_string());
            });
            change_as(&db, sever, id, change, (Some(manager), Channel::Api))
                .await
                .unwrap();
        }
        let appointment = get(&db, sever, id).await.unwrap();
        let status = path.last().copied().unwrap_or(New);
        assert_eq!(appointment.status, status);
        // The history: the booking, then each step with who, where and why.
        let entries = history(&db, sever, id).await.unwrap();
        let steps: Vec<_> = entries[1..]
            .iter()
            .map(|e| (e.from_status, e.to_status, e.changed_by, e.channel))
            .collect();
        let froms = std::iter::once(New).chain(path.iter().copied());
        let expected: Vec<_> = froms
            .zip(path.iter().copied())
            .map(|(from, to)| (Some(from), to, Some(manager), Channel::Api))
            .collect();
        assert_eq!(steps, expected);
        let cancelled = status == Cancelled;
        assert_eq!(
            appointment.cancel_reason.as_deref(),
            cancelled.then_some(reason)
        );
        assert_eq!(
            entries.last().unwrap().reason.as_deref(),
            cancelled.then_some(reason)
        );
        in_each_status.push((status, id));
    }

    // From every status, every transition outside the rules is refused and changes nothing.
    for (from, id) in in_each_status.into_iter().skip(1) {
        for target in Status::ALL {
            if Status::can_transition(from, target) {
                continue;
            }
            let result = edit(&db, sever, id, to(target)).await;
            let expected = format!(
                "Недопустимая смена статуса: {} → {}",
                from.as_str(),
                target.as_str()
            );
            assert!(
                matches!(&result, Err(Error::Unprocessable(m)) if *m == expected),
                "{from:?} → {target:?}: {result:?}"
            );
            assert_eq!(get(&db, sever, id).await.unwrap().status, from);
        }
    }

    assert_not_found(get(&db, sever, 999_999).await);
    assert_not_found(edit(&db, sever, 999_999, to(Confirmed)).await);
    db.drop().await;
}

#[tokio::test]
async fn moving_a_visit_rechecks_hours_bays_and_prices() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север в Химках").await; // 2 bays, 09–20
                                                            // 30 min, 1200 ₽ and 60 min, 2000 ₽.
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let pads = service_id(&db, sever, "Замена тормозных колодок (ось)").await;
    let (client, _) = client_with_car(&db, sever, 0).await;
    let ten = visit(shop, client, &[oil], "2030-01-14T10:00:00+03:00");
    let noon = visit(shop, client, &[oil], "2030-01-14T12:00:00+03:00");

    let a = book(&db.app, sever, ten.clone()).await.unwrap();
    let b = book(&db.app, sever, noon).await.unwrap();
    assert_eq!(get(&db, sever, b).await.unwrap().bay, 1);

    // B moves to 10:00: its bay 1 is taken there, so it gets bay 2; its length stays.
    edit(&db, sever, b, move_to("2030-01-14T10:00:00+03:00"))
        .await
        .unwrap();
    let moved = get(&db, sever, b).await.unwrap();
    assert_eq!(moved.bay, 2);
    assert_eq!(moved.end_time.to_rfc3339(), "2030-01-14T10:30:00+03:00");
    assert!(
        moved.updated_at > moved.created_at,
        "a move sets updated_at"
    );
    // Now 10:00 is full: a third visit there, or A asking for bay 2, conflicts.
    assert_conflict(book(&db.app, sever, ten).await, NO_FREE_BAY);
    let to_bay_2 = changing(|c| c.bay = Some(2));
    assert_conflict(edit(&db, sever, a, to_bay_2).await, "Пост 2 занят");
    // Moving within its own time (10:15, overlapping itself) is fine and keeps the bay.
    edit(&db, sever, a, move_to("2030-01-14T10:15:00+03:00"))
        .await
        .unwrap();
    assert_eq!(get(&db, sever, a).await.unwrap().bay, 1);

    // Outside hours, bad bays, no services, end before start: refused, nothing changes.
    let refused = [
        (move_to("2030-01-14T19:45:00+03:00"), "вне рабочего времени"),
        (changing(|c| c.bay = Some(3)), "от 1 до 2"),
        (changing(|c| c.service_ids = Some(vec![])), "хотя бы одну"),
        (
            changing(|c| c.end_time = Some(at("2030-01-14T10:15:00+03:00"))),
            "позже времени начала",
        ),
        (
            changing(|c| c.reason = Some("просто так".into())),
            "Причина",
        ),
    ];
    for (change, needle) in refused {
        assert_validation(edit(&db, sever, a, change).await, needle);
    }
    let unchanged = get(&db, sever, a).await.unwrap();
    assert_eq!(unchanged.start_time, at("2030-01-14T10:15:00+03:00"));
    assert_eq!(
        (unchanged.bay, unchanged.service_ids.clone()),
        (1, vec![oil])
    );

    // New services: the end and the total follow. A service already on the visit keeps the
    // price it was booked at, although the catalogue has changed since.
    let sql = "UPDATE services SET price = 9999 WHERE tenant_id = $1 AND id = $2 RETURNING id";
    insert(&db, sever, sql, &[json!(oil)]).await;
    let both = changing(|c| c.service_ids = Some(vec![oil, pads]));
    edit(&db, sever, a, both).await.unwrap();
    let repriced = get(&db, sever, a).await.unwrap();
    assert_eq!(repriced.end_time.to_rfc3339(), "2030-01-14T11:45:00+03:00");
    assert_eq!(repriced.total_price, Decimal::from(3200));
    assert_eq!(repriced.services.len(), 2);
    // Dropping a service shortens the visit.
    edit(&db, sever, a, changing(|c| c.service_ids = Some(vec![oil])))
        .await
        .unwrap();
    let shorter = get(&db, sever, a).await.unwrap();
    assert_eq!(shorter.end_time.to_rfc3339(), "2030-01-14T10:45:00+03:00");
    assert_eq!(shorter.total_price, Decimal::from(1200));

    // A move and a status change in one call.
    let confirm_later = changing(|c| {
        c.status = Some(Status::Confirmed);
        c.start_time = Some(at("2030-01-14T15:00:00+03:00"));
    });
    edit(&db, sever, a, confirm_later).await.unwrap();
    let confirmed = get(&db, sever, a).await.unwrap();
    assert_eq!(confirmed.status, Status::Confirmed);
    assert_eq!(confirmed.start_time, at("2030-01-14T15:00:00+03:00"));
    // Finished visits cannot be moved any more.
    edit(&db, sever, b, to(Status::Cancelled)).await.unwrap();
    let far = changing(|c| c.start_time = Some(DateTime::<Utc>::MIN_UTC));
    assert_validation(edit(&db, sever, a, far).await, "между 1970 и 9999");
    let frozen = edit(&db, sever, b, move_to("2030-01-14T16:00:00+03:00")).await;
    assert!(matches!(frozen, Err(Error::Unprocessable(_))), "{frozen:?}");
    db.drop().await;
}

// ---------------------------------------------------------------------------------------------
// Listing.

#[tokio::test]
async fn list_filters_by_dates_in_each_shops_time_zone() {
    let db = TestDb::new().await;
    let tenant = company(&db, "zones").await;
    let all_day = json!([["00:00", "24:00"]]);
    let hours = json!({"mon": all_day, "tue": all_day, "sun": all_day});
    let moscow = add_shop(&db, tenant, "Europe/Moscow", (2, hours.clone(), 30)).await;
    let new_york = add_shop(&db, tenant, "America/New_York", (2, hours, 30)).await;
    let service = add_service(&db, tenant, "Диагностика", 30).await;
    let ann = add_client(&db, tenant, "Анна", "+79160000001").await;
    let boris = add_client(&db, tenant, "Борис", "+79160000002").await;
    let booked = |shop, client, start: &'static str| {
        book(&db.app, tenant, visit(shop, client, &[service], start))
    };

    // 00:30 Monday in Moscow is still Sunday in UTC.
    let m1 = booked(moscow, ann, "2030-01-14T00:30:00+03:00")
        .await
        .unwrap();
    // 23:30 Monday in New York is already Tuesday in UTC.
    let n1 = booked(new_york, boris, "2030-01-14T23:30:00-05:00")
        .await
        .unwrap();
    let m2 = booked(moscow, boris, "2030-01-15T12:00:00+03:00")
        .await
        .unwrap();
    let n0 = booked(new_york, ann, "2030-01-13T12:00:00-05:00")
        .await
        .unwrap();

    let filter = |set: &dyn Fn(&mut AppointmentFilter)| {
        let mut filter = AppointmentFilter::default();
        set(&mut filter);
        filter
    };
    let days = |from: &str, to: &str| {
        filter(&|f| {
            f.date_from = Some(date(from));
            f.date_to = Some(date(to));
        })
    };
    let cases = [
        (days("2030-01-14", "2030-01-14"), vec![m1, n1]),
        (days("2030-01-13", "2030-01-13"), vec![n0]),
        (days("2030-01-15", "2030-01-15"), vec![m2]),
        (days("2030-01-13", "2030-01-15"), vec![n0, m1, n1, m2]),
        (days("2030-01-15", "2030-01-14"), Vec::new()),
        (
            filter(&|f| f.date_from = Some(date("2030-01-15"))),
            vec![m2],
        ),
        (filter(&|f| f.date_to = Some(date("2030-01-13"))), vec![n0]),
        (
            AppointmentFilter {
                shop_id: Some(moscow),
                ..days("2030-01-14", "2030-01-15")
            },
            vec![m1, m2],
        ),
        (filter(&|f| f.client_id = Some(ann)), vec![n0, m1]),
        (
            filter(&|f| {
                f.skip = 1;
                f.limit = 2;
            }),
            vec![m1, n1],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            list(&db, tenant, filter.clone()).await.unwrap(),
            expected,
            "{filter:?}"
        );
    }
    edit(&db, tenant, m2, to(Status::Confirmed)).await.unwrap();
    let confirmed = filter(&|f| f.status = Some(Status::Confirmed));
    assert_eq!(list(&db, tenant, confirmed).await.unwrap(), [m2]);

    // Each appointment carries its own shop's offset.
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    let monday = booking::list(&mut tx, &days("2030-01-14", "2030-01-14"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        monday[0].start_time.to_rfc3339(),
        "2030-01-14T00:30:00+03:00"
    );
    assert_eq!(
        monday[1].start_time.to_rfc3339(),
        "2030-01-14T23:30:00-05:00"
    );
    assert_eq!(monday[1].client.full_name, "Борис");

    let edge = filter(&|f| f.date_to = Some(NaiveDate::MAX));
    assert_validation(list(&db, tenant, edge).await, "между 1970 и 9999");
    let edge = filter(&|f| f.date_from = Some(NaiveDate::MIN));
    assert_validation(list(&db, tenant, edge).await, "между 1970 и 9999");
    for (skip, limit, needle) in [(-1, 10, "skip"), (0, 0, "limit"), (0, 1001, "limit")] {
        let bad = filter(&|f| {
            f.skip = skip;
            f.limit = limit;
        });
        assert_validation(list(&db, tenant, bad).await, needle);
    }
    db.drop().await;
}

#[tokio::test]
async fn list_of_the_demo_week_loads_every_rows_services() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let page = AppointmentFilter {
        limit: 50,
        ..AppointmentFilter::default()
    };
    let page = booking::list(&mut tx, &page).await.unwrap();
    tx.rollback().await.unwrap();
    let sql = "SELECT count(*) FROM appointments WHERE tenant_id = $1";
    let (rows,): (i64,) = read(&db, sever, sql, sever.0).await;
    assert_eq!(page.len() as i64, rows.min(50));
    assert!(page.windows(2).all(|w| w[0].start_time <= w[1].start_time));
    for a in &page {
        assert!(
            !a.services.is_empty(),
            "appointment {} lost its services",
            a.id
        );
        let sum: Decimal = a.services.iter().map(|s| s.price).sum();
        assert_eq!(sum, a.total_price);
        assert_eq!(a.tenant_id, sever.0);
    }
    db.drop().await;
}

// ---------------------------------------------------------------------------------------------
// Isolation between companies.

#[tokio::test]
async fn one_company_cannot_book_or_see_anothers_shop_services_clients_or_visits() {
    let db = TestDb::new().await;
    let (sever, garage) = demo_companies(&db).await;
    let sever_shop = shop_id(&db, sever, "Север на Ленинградке").await;
    let sever_oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let (sever_client, sever_car) = client_with_car(&db, sever, 0).await;
    let garage_shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await;
    let garage_oil = service_id(&db, garage, "Замена масла в двигателе").await;
    let (garage_client, _) = client_with_car(&db, garage, 0).await;
    let start = "2030-01-14T12:00:00+03:00";
    let sever_visit = visit(sever_shop, sever_client, &[sever_oil], start);
    let sever_visit = book(&db.app, sever, sever_visit).await.unwrap();
    let garage_visit = visit(garage_shop, garage_client, &[garage_oil], start);

    // Garage 24 with Sever's service, client or car: refused as unknown, never booked.
    let refused = [
        (
            with(&garage_visit, |b| b.service_ids = vec![sever_oil]),
            "не найдена",
        ),
        (
            with(&garage_visit, |b| b.client_id = sever_client),
            "Клиент не найден",
        ),
        (
            with(&garage_visit, |b| b.vehicle_id = Some(sever_car)),
            "Автомобиль не найден",
        ),
    ];
    for (new, needle) in refused {
        assert_validation(book(&db.app, garage, new).await, needle);
    }
    let sever_slots = slots(&db, garage, garage_shop, MONDAY, &[sever_oil]).await;
    assert_validation(sever_slots, "не найдена");
    // Sever's shop does not exist for Garage 24.
    let in_sever_shop = with(&garage_visit, |b| b.shop_id = sever_shop);
    assert_not_found(book(&db.app, garage, in_sever_shop).await);
    assert_not_found(slots(&db, garage, sever_shop, MONDAY, &[garage_oil]).await);

    // Nor does Sever's appointment, whatever Garage 24 tries.
    assert_not_found(get(&db, garage, sever_visit).await);
    assert_not_found(history(&db, garage, sever_visit).await);
    assert_not_found(edit(&db, garage, sever_visit, to(Status::Cancelled)).await);
    assert_not_found(edit(&db, garage, sever_visit, move_to(start)).await);
    let everything = AppointmentFilter {
        limit: booking::MAX_PAGE,
        ..AppointmentFilter::default()
    };
    let mut tx = db.app.tenant_tx(garage).await.unwrap();
    let all = booking::list(&mut tx, &everything).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(!all.is_empty() && all.iter().all(|a| a.tenant_id == garage.0));
    let in_sever_shop = AppointmentFilter {
        shop_id: Some(sever_shop),
        ..everything
    };
    assert!(list(&db, garage, in_sever_shop).await.unwrap().is_empty());
    assert_eq!(
        get(&db, sever, sever_visit).await.unwrap().status,
        Status::New
    );
    db.drop().await;
}

/// A use case publishes its events once its transaction has committed, never before and never
/// for a change that did not commit: a unit of work dropped without a commit publishes nothing,
/// and a booking refused after its new client was created in the same transaction announces
/// neither (and leaves no client behind).
#[tokio::test]
async fn a_change_that_does_not_commit_publishes_nothing() {
    use app::domain::{clients::ClientRef, work::Work, AppState};

    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let state = AppState::new(db.app.clone(), db.config.clone())
        .await
        .unwrap();
    let mut events = state.events.subscribe(sever);

    let mut work = Work::begin(&state.db, sever).await.unwrap();
    work.publish(app::model::EventKind::ClientCreated, json!({"id": 0}))
        .unwrap();
    drop(work);
    assert!(quiet(&mut events).await, "a dropped unit of work published");

    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let shop = booking::list(
        &mut tx,
        &AppointmentFilter {
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()[0]
        .shop_id;
    let service: i64 = sqlx::query_scalar("SELECT id FROM services ORDER BY id LIMIT 1")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let free = booking::free_slots(&mut tx, shop, date(MONDAY), &[service])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let newcomer = ClientRef::ByPhone {
        full_name: "Новый клиент".into(),
        phone: "+79990007788".into(),
    };
    let booking_at = |start: DateTime<Utc>| {
        move |client_id| NewBooking {
            shop_id: shop,
            client_id,
            vehicle_id: None,
            service_ids: vec![service],
            start_time: start,
            end_time: None,
            bay: None,
            source: Channel::Web,
            customer_note: String::new(),
            ai_summary: String::new(),
            ai_analysis: None,
            created_by: None,
        }
    };

    // 03:00 is outside the shop's hours: refused after the client was made in the transaction.
    let refused = booking::book_visit(
        &state,
        sever,
        &newcomer,
        booking_at(at("2030-01-14T03:00:00+03:00")),
    )
    .await;
    assert!(matches!(refused, Err(Error::Validation(_))), "{refused:?}");
    assert!(quiet(&mut events).await, "a refused booking published");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM clients WHERE phone = '+79990007788'")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(left, 0);

    // At a free time: the client and the visit, announced in that order, after the commit.
    let start = free[0].start_time.to_utc();
    let appointment = booking::book_visit(&state, sever, &newcomer, booking_at(start))
        .await
        .unwrap();
    let first = events.next().await.unwrap();
    let second = events.next().await.unwrap();
    assert_eq!(first.kind, "client.created");
    assert_eq!(first.data["id"], json!(appointment.client_id));
    assert_eq!(second.kind, "appointment.created");
    assert_eq!(second.data["id"], json!(appointment.id));
    db.drop().await;
}

/// Whether no event arrives for a moment.
async fn quiet(events: &mut app::domain::events::TenantEvents) -> bool {
    tokio::time::timeout(Duration::from_millis(300), events.next())
        .await
        .is_err()
}
