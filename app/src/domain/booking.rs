//! Booking: the one place that decides when a shop has room, books visits, moves them and
//! changes their status, and that loads appointments in the shape the API shows them. REST
//! handlers, server functions and the Telegram bot call these functions; none re-implements a rule.
//!
//! Concurrency: whatever picks a bay (booking, moving) first locks the shop's row, so decisions
//! about one shop's bays are taken one after another and "the lowest free bay" is still free
//! when it is written. The exclusion constraint `appointments_bay_overlap` stays the final
//! arbiter for writers that do not come through here; its violation is the same conflict. Locks
//! are always taken shop first, then appointment, so two transactions never wait in a circle.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sqlx::{Postgres, QueryBuilder};

use crate::model::EventKind;

use super::{
    db::{TenantId, Tx},
    hours::WorkingHours,
    outbox, Error, Result,
};

const NO_FREE_BAY: &str = "Нет свободного поста на это время";

/// More services than this in one visit is a mistake rather than a booking; the cap also keeps
/// the `= ANY($1)` look-ups small.
const MAX_SERVICES: usize = 20;

/// The largest page `list` returns.
pub const MAX_PAGE: i64 = 1000;

pub use crate::model::Status;

/// Where a change came from. Appointments are booked through the first three; `System` is for
/// the history of changes the application makes by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Telegram,
    Web,
    Api,
    System,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [
            Channel::Telegram,
            Channel::Web,
            Channel::Api,
            Channel::System,
        ]
        .into_iter()
        .find(|channel| channel.as_str() == s)
    }
}

/// A start time that day with the bays free for the whole visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Slot {
    pub start_time: DateTime<FixedOffset>,
    pub end_time: DateTime<FixedOffset>,
    pub free_bays: Vec<i32>,
}

/// A visit to book. `end_time` defaults to start + the services' durations and buffers;
/// `bay` to the lowest free one.
#[derive(Clone, Debug, PartialEq)]
pub struct NewBooking {
    pub shop_id: i64,
    pub client_id: i64,
    pub vehicle_id: Option<i64>,
    pub service_ids: Vec<i64>,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub bay: Option<i32>,
    pub source: Channel,
    pub customer_note: String,
    pub ai_summary: String,
    pub ai_analysis: Option<serde_json::Value>,
    pub created_by: Option<i64>,
}

/// A change to an appointment; `None` leaves that part as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    pub status: Option<Status>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub bay: Option<i32>,
    pub service_ids: Option<Vec<i64>>,
    /// Why the status changed; kept in the history (and as the cancel reason).
    pub reason: Option<String>,
}

/// JSON kept as the database holds it (`jsonb`, such as the concierge's analysis): a list sends
/// it on to the client as it is, without parsing and serialising it again.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(pub Box<RawValue>);

impl RawJson {
    /// The value, for the few places that read inside it.
    pub fn parse(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.0.get()).ok()
    }
}

/// Equal as JSON values: the database may space or order an object's keys differently.
impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get() || self.parse() == other.parse()
    }
}

/// An appointment as the API shows it (v1's JSON), times in the shop's time zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Appointment {
    pub id: i64,
    pub tenant_id: i64,
    pub shop_id: i64,
    pub client_id: i64,
    pub client: AppointmentClient,
    pub vehicle_id: Option<i64>,
    pub service_ids: Vec<i64>,
    pub services: Vec<BookedService>,
    pub bay: i32,
    #[serde(serialize_with = "super::serde_util::rfc3339::serialize")]
    pub start_time: DateTime<FixedOffset>,
    #[serde(serialize_with = "super::serde_util::rfc3339::serialize")]
    pub end_time: DateTime<FixedOffset>,
    pub status: Status,
    pub source: Channel,
    pub customer_note: String,
    pub ai_summary: String,
    #[schema(value_type = Option<Object>)]
    pub ai_analysis: Option<RawJson>,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub total_price: Decimal,
    pub cancel_reason: Option<String>,
    #[serde(serialize_with = "super::serde_util::rfc3339::serialize")]
    pub created_at: DateTime<FixedOffset>,
    #[serde(serialize_with = "super::serde_util::rfc3339::serialize")]
    pub updated_at: DateTime<FixedOffset>,
}

impl Appointment {
    /// The booked services' names, as staff and customers read them: "Шиномонтаж, Балансировка".
    pub fn service_names(&self) -> String {
        self.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppointmentClient {
    pub id: i64,
    pub full_name: String,
    pub phone: Option<String>,
}

/// A service of an appointment, with the price and duration it was booked at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BookedService {
    pub id: i64,
    pub name: String,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub price: Decimal,
    pub duration_minutes: i32,
}

/// Which appointments `list` returns. Dates are inclusive and read in each shop's time zone;
/// `Deserialize` so that it can be taken straight from a query string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppointmentFilter {
    pub shop_id: Option<i64>,
    pub status: Option<Status>,
    pub client_id: Option<i64>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub skip: i64,
    pub limit: i64,
}

impl Default for AppointmentFilter {
    /// Everything, first page of 100 (v1's default).
    fn default() -> Self {
        AppointmentFilter {
            shop_id: None,
            status: None,
            client_id: None,
            date_from: None,
            date_to: None,
            skip: 0,
            limit: 100,
        }
    }
}

/// One entry of an appointment's status history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusChange {
    pub id: i64,
    pub appointment_id: i64,
    /// `None` for the entry that records the booking itself.
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub changed_by: Option<i64>,
    pub channel: Channel,
    pub reason: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

/// Free start times on `date` (in the shop's time zone) for a visit with these services.
///
/// Candidates are every `slot_minutes` from the start of each opening interval, as long as the
/// whole visit (durations plus buffers) ends within the interval; a bay is free when no live
/// visit overlaps it. Starts already in the past are not offered.
pub async fn free_slots(
    tx: &mut Tx,
    shop_id: i64,
    date: NaiveDate,
    service_ids: &[i64],
) -> Result<Vec<Slot>> {
    check_date(date)?;
    check_service_count(service_ids)?;
    let shop = load_shop(tx, shop_id, Lock::None).await?;
    let lines = service_lines(tx, &shop, service_ids, &[]).await?;
    let length = visit_length(&lines);
    let periods = shop.hours.open_periods(date, shop.tz);
    let (Some((day_open, _)), Some((_, day_close))) = (periods.first(), periods.last()) else {
        return Ok(Vec::new());
    };
    // The day's visits in one query; every candidate is then checked in memory.
    let busy = busy_bays(tx, shop.id, *day_open, *day_close, None).await?;
    // The schema keeps slot_minutes in 5..=240; never loop forever on a row that says otherwise.
    let step = Duration::minutes(shop.slot_minutes.max(1).into());
    let now = Utc::now();
    let mut slots = Vec::new();
    for (open, close) in &periods {
        let mut start = *open;
        while start + length <= *close {
            let end = start + length;
            if start >= now {
                let free_bays = free_bays(shop.bays, &busy, start, end);
                if !free_bays.is_empty() {
                    slots.push(Slot {
                        start_time: local(start, shop.tz),
                        end_time: local(end, shop.tz),
                        free_bays,
                    });
                }
            }
            start += step;
        }
    }
    Ok(slots)
}

/// Books a visit and returns the new appointment's id (status `new`).
///
/// A visit may start in the past (staff recording a walk-in); only `free_slots` hides past times.
pub async fn book(tx: &mut Tx, tenant: TenantId, new: NewBooking) -> Result<i64> {
    if new.source == Channel::System {
        return Err(Error::validation("Источник записи: telegram, web или api"));
    }
    check_service_count(&new.service_ids)?;
    let shop = load_shop(tx, new.shop_id, Lock::Bays).await?;
    let lines = service_lines(tx, &shop, &new.service_ids, &[]).await?;
    check_client_and_vehicle(tx, new.client_id, new.vehicle_id).await?;
    let start = new.start_time;
    check_date(start.date_naive())?;
    let end = match new.end_time {
        Some(end) => {
            check_date(end.date_naive())?;
            end
        }
        None => start + visit_length(&lines),
    };
    check_visit(&shop, start, end)?;
    let bay = choose_bay(tx, &shop, start, end, new.bay, None, None).await?;

    let id: i64 = sqlx::query_scalar(
        "INSERT INTO appointments (tenant_id, shop_id, client_id, vehicle_id, bay, start_time, end_time,
                                   status, source, customer_note, ai_summary, ai_analysis, total_price, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'new', $8, $9, $10, $11, $12, $13)
         RETURNING id",
    )
    .bind(tenant.0)
    .bind(shop.id)
    .bind(new.client_id)
    .bind(new.vehicle_id)
    .bind(bay)
    .bind(start)
    .bind(end)
    .bind(new.source.as_str())
    .bind(&new.customer_note)
    .bind(&new.ai_summary)
    .bind(&new.ai_analysis)
    .bind(total_price(&lines))
    .bind(new.created_by)
    .fetch_one(&mut **tx)
    .await
    .map_err(overlap_to_conflict)?;
    insert_lines(tx, tenant, id, &lines).await?;
    record_status(
        tx,
        tenant,
        id,
        &Transition {
            from: None,
            to: Status::New,
            by: new.created_by,
            channel: new.source,
            reason: None,
        },
    )
    .await?;
    // In the same transaction as the booking: the reminders exist exactly when the visit does.
    outbox::schedule_reminders(tx, tenant, id).await?;
    Ok(id)
}

/// Use case: a visit booked by staff (web admin, REST API) for `client`, with the details `new`
/// gives for the client's card id. One transaction: the client found or created, the visit
/// booked; then `client.created` (for a new card) and `appointment.created` are published.
pub async fn book_visit(
    state: &super::AppState,
    tenant: TenantId,
    client: &super::clients::ClientRef,
    new: impl FnOnce(i64) -> NewBooking,
) -> Result<Appointment> {
    let mut work = super::work::Work::begin(&state.db, tenant).await?;
    let (client, created) = super::clients::resolve(work.tx(), tenant, client).await?;
    let id = book(work.tx(), tenant, new(client.id)).await?;
    let appointment = get(work.tx(), id).await?;
    if created {
        work.publish(EventKind::ClientCreated, &client)?;
    }
    work.publish(EventKind::AppointmentCreated, &appointment)?;
    work.commit(&state.events).await?;
    Ok(appointment)
}

/// Use case: staff change a visit (status, time, bay, services) through `channel`; the
/// visit as it is afterwards, `appointment.updated` once committed.
pub async fn change_visit(
    state: &super::AppState,
    tenant: TenantId,
    id: i64,
    what: Change,
    by: Option<i64>,
    channel: Channel,
) -> Result<Appointment> {
    let mut work = super::work::Work::begin(&state.db, tenant).await?;
    change(work.tx(), tenant, id, what, by, channel).await?;
    let appointment = get(work.tx(), id).await?;
    work.publish(EventKind::AppointmentUpdated, &appointment)?;
    work.commit(&state.events).await?;
    Ok(appointment)
}

/// Changes an appointment's status and/or moves it (time, bay, services).
///
/// A move is checked like a booking (working hours, bay range, free bay) and applies before a
/// status change given with it, so "finish and correct the end time" works in one call.
pub async fn change(
    tx: &mut Tx,
    tenant: TenantId,
    appointment_id: i64,
    change: Change,
    by: Option<i64>,
    channel: Channel,
) -> Result<()> {
    if change.reason.is_some() && change.status.is_none() {
        return Err(Error::validation(
            "Причина указывается вместе со сменой статуса",
        ));
    }
    if let Some(ids) = &change.service_ids {
        check_service_count(ids)?;
    }
    let moves = change.start_time.is_some()
        || change.end_time.is_some()
        || change.bay.is_some()
        || change.service_ids.is_some();
    // Shop first, then the appointment: the same lock order as `book`.
    let shop = if moves {
        let shop_id: i64 = sqlx::query_scalar("SELECT shop_id FROM appointments WHERE id = $1")
            .bind(appointment_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(Error::NotFound)?;
        Some(load_shop(tx, shop_id, Lock::Bays).await?)
    } else {
        None
    };
    let current: CurrentVisit = sqlx::query_as(
        "SELECT id, status, bay, start_time, end_time FROM appointments WHERE id = $1 FOR UPDATE",
    )
    .bind(appointment_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    let status = status_from_db(&current.status)?;
    if let Some(to) = change.status {
        if !Status::can_transition(status, to) {
            return Err(Error::Unprocessable(format!(
                "Недопустимая смена статуса: {} → {}",
                status.as_str(),
                to.as_str()
            )));
        }
    }
    if let Some(shop) = &shop {
        if status.is_final() {
            return Err(Error::Unprocessable(format!(
                "Запись в статусе {} нельзя перенести или изменить",
                status.as_str()
            )));
        }
        let start = move_visit(tx, tenant, shop, &current, &change).await?;
        if start != current.start_time {
            // Reminders of the old time skip themselves when due (see `outbox::still_relevant`).
            outbox::schedule_reminders(tx, tenant, current.id).await?;
            if channel != Channel::Telegram {
                outbox::moved(tx, tenant, current.id).await?;
            }
        }
    }
    if let Some(to) = change.status {
        sqlx::query(
            "UPDATE appointments
             SET status = $2,
                 cancel_reason = CASE WHEN $2 = 'cancelled' THEN $3 ELSE cancel_reason END,
                 updated_at = now()
             WHERE id = $1",
        )
        .bind(current.id)
        .bind(to.as_str())
        .bind(&change.reason)
        .execute(&mut **tx)
        .await?;
        record_status(
            tx,
            tenant,
            current.id,
            &Transition {
                from: Some(status),
                to,
                by,
                channel,
                reason: change.reason.as_deref(),
            },
        )
        .await?;
        // The client hears of staff's decisions through the bot; the message is queued in this
        // transaction (transactional outbox), so it goes out exactly when the change is kept.
        // What the client did in the bot is answered there at once.
        if channel != Channel::Telegram {
            outbox::status_changed(tx, tenant, current.id, to).await?;
        }
    }
    Ok(())
}

/// One appointment, or `NotFound` (also for another tenant's).
pub async fn get(tx: &mut Tx, id: i64) -> Result<Appointment> {
    let mut query = QueryBuilder::new(SELECT_APPOINTMENTS);
    query.push(" WHERE a.id = ").push_bind(id);
    load_appointments(tx, query)
        .await?
        .pop()
        .ok_or(Error::NotFound)
}

/// Appointments matching `filter`, by start time. Two queries whatever the page size: the
/// appointments with client and shop, then the services of all of them.
pub async fn list(tx: &mut Tx, filter: &AppointmentFilter) -> Result<Vec<Appointment>> {
    if filter.skip < 0 {
        return Err(Error::validation("skip не может быть отрицательным"));
    }
    if !(1..=MAX_PAGE).contains(&filter.limit) {
        return Err(Error::validation(format!(
            "limit должен быть от 1 до {MAX_PAGE}"
        )));
    }
    for date in [filter.date_from, filter.date_to].into_iter().flatten() {
        check_date(date)?;
    }
    let mut query = QueryBuilder::new(SELECT_APPOINTMENTS);
    query.push(" WHERE true");
    if let Some(shop_id) = filter.shop_id {
        query.push(" AND a.shop_id = ").push_bind(shop_id);
    }
    if let Some(status) = filter.status {
        query.push(" AND a.status = ").push_bind(status.as_str());
    }
    if let Some(client_id) = filter.client_id {
        query.push(" AND a.client_id = ").push_bind(client_id);
    }
    // Dates are local to each shop, so the exact bound is midnight in the shop's zone. The same
    // bound widened by the extreme offsets on Earth (UTC+14, UTC−12) needs no join, and lets the
    // (tenant_id, …, start_time) indexes narrow the scan.
    if let Some(from) = filter.date_from {
        let midnight = from.and_time(NaiveTime::MIN);
        query
            .push(" AND a.start_time >= ")
            .push_bind(midnight.and_utc() - Duration::hours(14))
            .push(" AND a.start_time >= (")
            .push_bind(midnight)
            .push(" AT TIME ZONE s.timezone)");
    }
    if let Some(to) = filter.date_to {
        // check_date keeps `to` far from the end of chrono's calendar.
        let midnight = (to + Duration::days(1)).and_time(NaiveTime::MIN);
        query
            .push(" AND a.start_time < ")
            .push_bind(midnight.and_utc() + Duration::hours(12))
            .push(" AND a.start_time < (")
            .push_bind(midnight)
            .push(" AT TIME ZONE s.timezone)");
    }
    query
        .push(" ORDER BY a.start_time, a.id OFFSET ")
        .push_bind(filter.skip)
        .push(" LIMIT ")
        .push_bind(filter.limit);
    load_appointments(tx, query).await
}

/// The status history of an appointment, oldest first.
pub async fn history(tx: &mut Tx, appointment_id: i64) -> Result<Vec<StatusChange>> {
    let timezone: String = sqlx::query_scalar(
        "SELECT s.timezone FROM appointments a JOIN shops s ON s.id = a.shop_id WHERE a.id = $1",
    )
    .bind(appointment_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    let tz = tz_from_db(&timezone)?;
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT id, appointment_id, from_status, to_status, changed_by, channel, reason, created_at
         FROM appointment_status_history WHERE appointment_id = $1 ORDER BY id",
    )
    .bind(appointment_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(StatusChange {
                id: row.id,
                appointment_id: row.appointment_id,
                from_status: row.from_status.as_deref().map(status_from_db).transpose()?,
                to_status: status_from_db(&row.to_status)?,
                changed_by: row.changed_by,
                channel: Channel::parse(&row.channel).ok_or_else(|| {
                    Error::Internal(format!("unknown channel in the database: {}", row.channel))
                })?,
                reason: row.reason,
                created_at: local(row.created_at, tz),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Rules shared by booking and moving.

/// What booking needs to know about a shop.
struct Shop {
    id: i64,
    tz: Tz,
    bays: i32,
    hours: WorkingHours,
    slot_minutes: i32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lock {
    None,
    /// Decisions about this shop's bays are about to be written: take them one at a time.
    Bays,
}

async fn load_shop(tx: &mut Tx, shop_id: i64, lock: Lock) -> Result<Shop> {
    // FOR NO KEY UPDATE serialises bay decisions (and shop edits) without blocking the key-share
    // locks that foreign keys take, so other shops' and other tables' writes never wait for it.
    let sql = match lock {
        Lock::None => "SELECT timezone, bays, working_hours, slot_minutes FROM shops WHERE id = $1",
        Lock::Bays => {
            "SELECT timezone, bays, working_hours, slot_minutes FROM shops WHERE id = $1
             FOR NO KEY UPDATE"
        }
    };
    let (timezone, bays, hours, slot_minutes): (String, i32, serde_json::Value, i32) =
        sqlx::query_as(sql)
            .bind(shop_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(Error::NotFound)?;
    // Hours are validated when a shop is saved; a row that fails here is a bug, not user input.
    let hours = WorkingHours::from_json(&hours).map_err(|e| {
        Error::Internal(format!(
            "shop {shop_id}: stored working hours are invalid: {e}"
        ))
    })?;
    Ok(Shop {
        id: shop_id,
        tz: tz_from_db(&timezone)?,
        bays,
        hours,
        slot_minutes,
    })
}

/// A service of a visit: what it costs and how long it holds the bay.
struct Line {
    service_id: i64,
    price: Decimal,
    duration_minutes: i32,
    buffer_minutes: i32,
}

fn visit_length(lines: &[Line]) -> Duration {
    Duration::minutes(
        lines
            .iter()
            .map(|l| i64::from(l.duration_minutes) + i64::from(l.buffer_minutes))
            .sum(),
    )
}

fn total_price(lines: &[Line]) -> Decimal {
    lines.iter().map(|l| l.price).sum()
}

#[derive(sqlx::FromRow)]
struct CatalogueRow {
    id: i64,
    name: String,
    price: Decimal,
    duration_minutes: i32,
    buffer_minutes: i32,
    is_active: bool,
    shop_id: Option<i64>,
}

/// A service as it is already on an appointment.
#[derive(sqlx::FromRow)]
struct BookedLine {
    service_id: i64,
    price: Decimal,
    duration_minutes: i32,
}

/// A list of services is refused by its length before anything else is done with it (and before
/// the shop is locked): deduplicating an unbounded list costs quadratic time.
fn check_service_count(ids: &[i64]) -> Result<()> {
    if ids.len() > MAX_SERVICES {
        return Err(Error::validation(format!(
            "В одну запись можно включить не больше {MAX_SERVICES} услуг"
        )));
    }
    Ok(())
}

/// The services `ids` (in that order, repeats dropped) for a visit at `shop`. Each must be in
/// this tenant's catalogue, active and offered at this shop — except those already on the
/// visit (`booked`), which keep the price and duration they were booked at.
async fn service_lines(
    tx: &mut Tx,
    shop: &Shop,
    ids: &[i64],
    booked: &[BookedLine],
) -> Result<Vec<Line>> {
    check_service_count(ids)?;
    let mut unique: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    if unique.is_empty() {
        return Err(Error::validation("Выберите хотя бы одну услугу"));
    }
    if unique.len() > MAX_SERVICES {
        return Err(Error::validation(format!(
            "В одну запись можно включить не больше {MAX_SERVICES} услуг"
        )));
    }
    let rows: Vec<CatalogueRow> = sqlx::query_as(
        "SELECT id, name, price, duration_minutes, buffer_minutes, is_active, shop_id
         FROM services WHERE id = ANY($1)",
    )
    .bind(&unique)
    .fetch_all(&mut **tx)
    .await?;
    unique
        .iter()
        .map(|&id| {
            // Row-Level Security hides other tenants' services: to this caller they do not exist.
            let row = rows
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| Error::validation(format!("Услуга №{id} не найдена")))?;
            if let Some(line) = booked.iter().find(|b| b.service_id == id) {
                return Ok(Line {
                    service_id: id,
                    price: line.price,
                    duration_minutes: line.duration_minutes,
                    buffer_minutes: row.buffer_minutes,
                });
            }
            if !row.is_active {
                return Err(Error::validation(format!(
                    "Услуга «{}» сейчас не оказывается",
                    row.name
                )));
            }
            if row.shop_id.is_some_and(|s| s != shop.id) {
                return Err(Error::validation(format!(
                    "Услуга «{}» не оказывается в этом автосервисе",
                    row.name
                )));
            }
            Ok(Line {
                service_id: id,
                price: row.price,
                duration_minutes: row.duration_minutes,
                buffer_minutes: row.buffer_minutes,
            })
        })
        .collect()
}

/// The client must be this tenant's, and the car (if any) the client's.
async fn check_client_and_vehicle(
    tx: &mut Tx,
    client_id: i64,
    vehicle_id: Option<i64>,
) -> Result<()> {
    let owner: Option<i64> = sqlx::query_scalar::<_, Option<i64>>(
        "SELECT (SELECT client_id FROM vehicles WHERE id = $2) FROM clients WHERE id = $1",
    )
    .bind(client_id)
    .bind(vehicle_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| Error::validation("Клиент не найден"))?;
    match (vehicle_id, owner) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(Error::validation("Автомобиль не найден")),
        (Some(_), Some(owner)) if owner != client_id => {
            Err(Error::validation("Автомобиль принадлежит другому клиенту"))
        }
        (Some(_), Some(_)) => Ok(()),
    }
}

/// Years the calendar works with. Far outside them chrono's date arithmetic would overflow (a
/// panic on user input), and no car service books visits there anyway.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

fn check_date(date: NaiveDate) -> Result<()> {
    if YEARS.contains(&date.year()) {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "Дата должна быть между {} и {} годом",
            YEARS.start(),
            YEARS.end()
        )))
    }
}

fn check_visit(shop: &Shop, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<()> {
    if end <= start {
        return Err(Error::validation(
            "Время окончания должно быть позже времени начала",
        ));
    }
    if !shop.hours.covers(shop.tz, start, end) {
        return Err(Error::validation(
            "Время визита вне рабочего времени автосервиса",
        ));
    }
    Ok(())
}

/// A live visit holding a bay.
#[derive(sqlx::FromRow)]
struct Busy {
    bay: i32,
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
}

/// How long a visit can last at most: `book` and `change` keep every visit within one opening
/// interval of one date, which is a day plus at most a daylight-saving shift.
const LONGEST_VISIT: Duration = Duration::hours(26);

/// Live visits of the shop overlapping `[from, to)`, other than `except`.
///
/// Plain comparisons rather than the range overlap (`&&`) that the exclusion constraint uses:
/// `&&` is not leakproof, so under Row-Level Security PostgreSQL will not use it in an index
/// scan. No visit is longer than [`LONGEST_VISIT`], so one overlapping the window started at
/// most that long before it — a bound the `(tenant_id, shop_id, start_time)` index turns into a
/// short range scan instead of a pass over the shop's whole history.
async fn busy_bays(
    tx: &mut Tx,
    shop_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except: Option<i64>,
) -> Result<Vec<Busy>> {
    Ok(sqlx::query_as(
        "SELECT bay, start_time, end_time FROM appointments
         WHERE shop_id = $1
           AND status NOT IN ('cancelled', 'no_show')
           AND start_time < $3 AND end_time > $2 AND start_time > $4
           AND id IS DISTINCT FROM $5",
    )
    .bind(shop_id)
    .bind(from)
    .bind(to)
    .bind(from - LONGEST_VISIT)
    .bind(except)
    .fetch_all(&mut **tx)
    .await?)
}

fn free_bays(bays: i32, busy: &[Busy], start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<i32> {
    (1..=bays)
        .filter(|&bay| {
            !busy
                .iter()
                .any(|b| b.bay == bay && b.start_time < end && start < b.end_time)
        })
        .collect()
}

/// The bay for a visit: the requested one if it is free; otherwise `keep` (the visit's current
/// bay) if still free, else the lowest free bay.
async fn choose_bay(
    tx: &mut Tx,
    shop: &Shop,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    requested: Option<i32>,
    keep: Option<i32>,
    except: Option<i64>,
) -> Result<i32> {
    if let Some(bay) = requested {
        if !(1..=shop.bays).contains(&bay) {
            return Err(Error::validation(format!(
                "Номер поста должен быть от 1 до {}",
                shop.bays
            )));
        }
    }
    let busy = busy_bays(tx, shop.id, start, end, except).await?;
    let free = free_bays(shop.bays, &busy, start, end);
    match requested {
        Some(bay) if free.contains(&bay) => Ok(bay),
        Some(bay) => Err(Error::Conflict(format!("Пост {bay} занят в это время"))),
        None => keep
            .filter(|bay| free.contains(bay))
            .or(free.first().copied())
            .ok_or_else(|| Error::Conflict(NO_FREE_BAY.into())),
    }
}

/// The database's own refusal to double-book a bay is the same conflict as ours.
fn overlap_to_conflict(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01") => {
            Error::Conflict(NO_FREE_BAY.into())
        }
        _ => Error::Database(e),
    }
}

async fn insert_lines(
    tx: &mut Tx,
    tenant: TenantId,
    appointment_id: i64,
    lines: &[Line],
) -> Result<()> {
    let ids: Vec<i64> = lines.iter().map(|l| l.service_id).collect();
    let prices: Vec<Decimal> = lines.iter().map(|l| l.price).collect();
    let durations: Vec<i32> = lines.iter().map(|l| l.duration_minutes).collect();
    sqlx::query(
        "INSERT INTO appointment_services (tenant_id, appointment_id, service_id, price, duration_minutes)
         SELECT $1, $2, * FROM UNNEST($3::bigint[], $4::numeric[], $5::integer[])",
    )
    .bind(tenant.0)
    .bind(appointment_id)
    .bind(ids)
    .bind(prices)
    .bind(durations)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

struct Transition<'a> {
    from: Option<Status>,
    to: Status,
    by: Option<i64>,
    channel: Channel,
    reason: Option<&'a str>,
}

async fn record_status(
    tx: &mut Tx,
    tenant: TenantId,
    appointment_id: i64,
    t: &Transition<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO appointment_status_history
             (tenant_id, appointment_id, from_status, to_status, changed_by, channel, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant.0)
    .bind(appointment_id)
    .bind(t.from.map(Status::as_str))
    .bind(t.to.as_str())
    .bind(t.by)
    .bind(t.channel.as_str())
    .bind(t.reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The appointment being changed, locked.
#[derive(sqlx::FromRow)]
struct CurrentVisit {
    id: i64,
    status: String,
    bay: i32,
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
}

/// Moves the visit as `change` says; returns its start time afterwards.
async fn move_visit(
    tx: &mut Tx,
    tenant: TenantId,
    shop: &Shop,
    current: &CurrentVisit,
    change: &Change,
) -> Result<DateTime<Utc>> {
    let lines = match &change.service_ids {
        Some(ids) => {
            let booked: Vec<BookedLine> = sqlx::query_as(
                "SELECT service_id, price, duration_minutes FROM appointment_services
                 WHERE appointment_id = $1",
            )
            .bind(current.id)
            .fetch_all(&mut **tx)
            .await?;
            Some(service_lines(tx, shop, ids, &booked).await?)
        }
        None => None,
    };
    let start = change.start_time.unwrap_or(current.start_time);
    for t in [change.start_time, change.end_time].into_iter().flatten() {
        check_date(t.date_naive())?;
    }
    // New services set the length anew; otherwise the visit keeps its length, including an end
    // time staff set by hand.
    let end = match (change.end_time, &lines) {
        (Some(end), _) => end,
        (None, Some(lines)) => start + visit_length(lines),
        (None, None) => start + (current.end_time - current.start_time),
    };
    check_visit(shop, start, end)?;
    let bay = choose_bay(
        tx,
        shop,
        start,
        end,
        change.bay,
        Some(current.bay),
        Some(current.id),
    )
    .await?;
    sqlx::query(
        "UPDATE appointments
         SET start_time = $2, end_time = $3, bay = $4, total_price = coalesce($5, total_price),
             updated_at = now()
         WHERE id = $1",
    )
    .bind(current.id)
    .bind(start)
    .bind(end)
    .bind(bay)
    .bind(lines.as_deref().map(total_price))
    .execute(&mut **tx)
    .await
    .map_err(overlap_to_conflict)?;
    if let Some(lines) = &lines {
        sqlx::query("DELETE FROM appointment_services WHERE appointment_id = $1")
            .bind(current.id)
            .execute(&mut **tx)
            .await?;
        insert_lines(tx, tenant, current.id, lines).await?;
    }
    Ok(start)
}

// ---------------------------------------------------------------------------------------------
// Loading appointments.

const SELECT_APPOINTMENTS: &str = "SELECT a.id, a.tenant_id, a.shop_id, a.client_id,
        c.full_name AS client_full_name, c.phone AS client_phone, a.vehicle_id, a.bay,
        a.start_time, a.end_time, a.status, a.source, a.customer_note, a.ai_summary,
        a.ai_analysis, a.total_price, a.cancel_reason, a.created_at, a.updated_at, s.timezone
    FROM appointments a
    JOIN clients c ON c.id = a.client_id
    JOIN shops s ON s.id = a.shop_id";

#[derive(sqlx::FromRow)]
struct AppointmentRow {
    id: i64,
    tenant_id: i64,
    shop_id: i64,
    client_id: i64,
    client_full_name: String,
    client_phone: Option<String>,
    vehicle_id: Option<i64>,
    bay: i32,
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
    status: String,
    source: String,
    customer_note: String,
    ai_summary: String,
    ai_analysis: Option<sqlx::types::Json<Box<RawValue>>>,
    total_price: Decimal,
    cancel_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    timezone: String,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    appointment_id: i64,
    id: i64,
    name: String,
    price: Decimal,
    duration_minutes: i32,
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    id: i64,
    appointment_id: i64,
    from_status: Option<String>,
    to_status: String,
    changed_by: Option<i64>,
    channel: String,
    reason: Option<String>,
    created_at: DateTime<Utc>,
}

/// Runs a `SELECT_APPOINTMENTS` query, then loads the services of all its rows at once.
async fn load_appointments(
    tx: &mut Tx,
    mut query: QueryBuilder<'_, Postgres>,
) -> Result<Vec<Appointment>> {
    let rows: Vec<AppointmentRow> = query.build_query_as().fetch_all(&mut **tx).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let service_rows: Vec<ServiceRow> = sqlx::query_as(
        "SELECT x.appointment_id, x.service_id AS id, s.name, x.price, x.duration_minutes
         FROM appointment_services x JOIN services s ON s.id = x.service_id
         WHERE x.appointment_id = ANY($1)
         ORDER BY x.appointment_id, x.service_id",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await?;
    let mut services: HashMap<i64, Vec<BookedService>> = HashMap::new();
    for row in service_rows {
        services
            .entry(row.appointment_id)
            .or_default()
            .push(BookedService {
                id: row.id,
                name: row.name,
                price: row.price,
                duration_minutes: row.duration_minutes,
            });
    }
    rows.into_iter()
        .map(|row| {
            let services = services.remove(&row.id).unwrap_or_default();
            appointment_from_row(row, services)
        })
        .collect()
}

fn appointment_from_row(row: AppointmentRow, services: Vec<BookedService>) -> Result<Appointment> {
    let tz = tz_from_db(&row.timezone)?;
    Ok(Appointment {
        id: row.id,
        tenant_id: row.tenant_id,
        shop_id: row.shop_id,
        client_id: row.client_id,
        client: AppointmentClient {
            id: row.client_id,
            full_name: row.client_full_name,
            phone: row.client_phone,
        },
        vehicle_id: row.vehicle_id,
        service_ids: services.iter().map(|s| s.id).collect(),
        services,
        bay: row.bay,
        start_time: local(row.start_time, tz),
        end_time: local(row.end_time, tz),
        status: status_from_db(&row.status)?,
        source: Channel::parse(&row.source).ok_or_else(|| {
            Error::Internal(format!(
                "unknown appointment source in the database: {}",
                row.source
            ))
        })?,
        customer_note: row.customer_note,
        ai_summary: row.ai_summary,
        ai_analysis: row.ai_analysis.map(|json| RawJson(json.0)),
        total_price: row.total_price,
        cancel_reason: row.cancel_reason,
        created_at: local(row.created_at, tz),
        updated_at: local(row.updated_at, tz),
    })
}

/// An instant as the shop's wall clock shows it, with the offset, e.g. `2030-01-14T09:00:00+03:00`.
fn local(t: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
    t.with_timezone(&tz).fixed_offset()
}

fn tz_from_db(name: &str) -> Result<Tz> {
    super::shops::zone(name)
}

fn status_from_db(s: &str) -> Result<Status> {
    Status::parse(s)
        .ok_or_else(|| Error::Internal(format!("unknown appointment status in the database: {s}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_text_and_json() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        assert_eq!(Status::parse("done"), None);
        for channel in [
            Channel::Telegram,
            Channel::Web,
            Channel::Api,
            Channel::System,
        ] {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
    }

    #[test]
    fn transitions_follow_the_life_of_a_visit() {
        use Status::*;
        let allowed = [
            (New, Confirmed),
            (Confirmed, InProgress),
            (InProgress, Completed),
            (New, Cancelled),
            (Confirmed, Cancelled),
            (Confirmed, NoShow),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    Status::can_transition(from, to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }

    #[test]
    fn a_bay_is_free_unless_a_visit_overlaps_it() {
        let at = |h: u32, m: u32| {
            NaiveDate::from_ymd_opt(2030, 1, 14)
                .unwrap()
                .and_hms_opt(h, m, 0)
                .unwrap()
                .and_utc()
        };
        let busy = [
            Busy {
                bay: 1,
                start_time: at(9, 0),
                end_time: at(10, 0),
            },
            Busy {
                bay: 3,
                start_time: at(9, 30),
                end_time: at(11, 0),
            },
        ];
        assert_eq!(free_bays(3, &busy, at(9, 0), at(9, 30)), vec![2, 3]);
        // Half-open intervals: a visit may start when the previous one ends.
        assert_eq!(free_bays(3, &busy, at(10, 0), at(10, 30)), vec![1, 2]);
        assert_eq!(free_bays(3, &busy, at(8, 0), at(9, 0)), vec![1, 2, 3]);
        assert_eq!(free_bays(2, &busy, at(9, 59), at(12, 0)), vec![2]);
    }
}
