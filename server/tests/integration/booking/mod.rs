//! Booking rules against real PostgreSQL, as the runtime role under Row-Level Security: free
//! slots (also across daylight-saving switches), booking, concurrency, status transitions,
//! moves, listing by the shop's local dates, and isolation between companies.

mod book;
mod change;
mod isolation;
mod slots;

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
        manage_link: None,
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
