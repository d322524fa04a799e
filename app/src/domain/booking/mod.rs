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
use sqlx::QueryBuilder;

mod details;
mod rows;
mod rules;

use rows::*;
use rules::*;

use super::events::Event;

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

pub use crate::model::Channel;

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
    /// The customer's own link to the visit (a booking on the public page), given in the
    /// «вы записаны» message.
    pub manage_link: Option<String>,
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
    /// The car of the visit (one of the client's); `Some(None)` takes it off.
    pub vehicle_id: Option<Option<i64>>,
    /// What the client said they need.
    pub customer_note: Option<String>,
    /// A note for staff only; the client never sees it.
    pub staff_note: Option<String>,
    /// The concierge's findings as staff correct them; its own stay as they were.
    pub findings: Option<Findings>,
}

/// The concierge's findings about a visit in staff's words: a summary and the likely causes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Findings {
    pub summary: String,
    pub causes: Vec<String>,
}

/// The concierge's findings as a staff member corrected them, with who and when (the
/// concierge's original stays in `ai_summary` and `ai_analysis`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingsEdit {
    pub summary: String,
    pub causes: Vec<String>,
    pub edited_by: Option<i64>,
    /// The staff member's name; `None` once their account is gone.
    pub edited_by_name: Option<String>,
    #[serde(serialize_with = "super::serde_util::rfc3339::serialize")]
    pub edited_at: DateTime<FixedOffset>,
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
    /// Staff's own note; never shown to the client.
    pub staff_note: String,
    pub ai_summary: String,
    #[schema(value_type = Option<Object>)]
    pub ai_analysis: Option<RawJson>,
    /// The findings as staff corrected them, if they did.
    pub ai_edit: Option<FindingsEdit>,
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
    /// Who changed it, when it was a staff member whose account still exists.
    pub changed_by_name: Option<String>,
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
    let busy = busy_bays(tx, &shop, *day_open, *day_close, None).await?;
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

/// The first `wanted` days with free time at `shop` for a visit with `services`, within
/// [`SEARCH_DAYS`] from the company's today: a day off, a closure, a full day or today's past
/// hours are not offered. What the bot's and the public page's day pickers show.
pub async fn free_days(
    tx: &mut Tx,
    shop_id: i64,
    service_ids: &[i64],
    wanted: usize,
) -> Result<Vec<NaiveDate>> {
    let today = super::company::today(tx).await?;
    let mut days = Vec::new();
    for offset in 0..SEARCH_DAYS {
        let day = today + Duration::days(offset);
        if !free_slots(tx, shop_id, day, service_ids).await?.is_empty() {
            days.push(day);
            if days.len() == wanted {
                break;
            }
        }
    }
    Ok(days)
}

/// How far ahead [`free_days`] looks.
pub const SEARCH_DAYS: i64 = 21;

/// A shop's hours with its closures applied, and its time zone (for checks outside booking).
pub async fn shop_hours(tx: &mut Tx, shop_id: i64) -> Result<(WorkingHours, Tz)> {
    let shop = load_shop(tx, shop_id, Lock::None).await?;
    Ok((shop.hours, shop.tz))
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

    let id = sqlx::query_scalar!(
        "INSERT INTO appointments (tenant_id, shop_id, client_id, vehicle_id, bay, start_time, end_time,
                                   status, source, customer_note, ai_summary, ai_analysis, total_price, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'new', $8, $9, $10, $11, $12, $13)
         RETURNING id",
        tenant.0,
        shop.id,
        new.client_id,
        new.vehicle_id,
        bay,
        start,
        end,
        new.source.as_str(),
        new.customer_note,
        new.ai_summary,
        new.ai_analysis,
        total_price(&lines),
        new.created_by
    )
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
    // A visit booked in the bot is confirmed in the chat at once; others get a message.
    if new.source != Channel::Telegram {
        outbox::booked(tx, tenant, id, new.manage_link.as_deref()).await?;
    }
    Ok(id)
}

/// Use case: a visit booked by staff (web admin, REST API) for `client`, with the details `new`
/// gives for the client's card id, and `new_car` added to the card as the visit's car. One
/// transaction: the client found or created, the car added, the visit booked; then
/// `client.created` (for a new card) and `appointment.created` are published.
pub async fn book_visit(
    state: &super::AppState,
    tenant: TenantId,
    client: &super::clients::ClientRef,
    new_car: Option<super::clients::NewVehicle>,
    new: impl FnOnce(i64) -> NewBooking,
) -> Result<Appointment> {
    let mut work = super::work::Work::begin(&state.db, tenant).await?;
    let (client, created) = super::clients::resolve(work.tx(), tenant, client).await?;
    let mut booking = new(client.id);
    if let Some(car) = new_car {
        if booking.vehicle_id.is_some() {
            return Err(Error::validation(
                "Укажите либо автомобиль клиента, либо новый",
            ));
        }
        booking.vehicle_id = Some(
            super::clients::cars::add_in(&mut work, client.id, car)
                .await?
                .id,
        );
    }
    let id = book(work.tx(), tenant, booking).await?;
    let appointment = get(work.tx(), id).await?;
    if created {
        work.publish(Event::ClientCreated(&client))?;
    }
    work.publish(Event::AppointmentCreated(&appointment))?;
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
    work.publish(Event::AppointmentUpdated(&appointment))?;
    work.commit(&state.events).await?;
    Ok(appointment)
}

/// Changes an appointment's status, moves it (time, bay, services) and/or corrects its details
/// (car, notes, the concierge's findings).
///
/// A move is checked like a booking (working hours, bay range, free bay) and applies before a
/// status change given with it, so "finish and correct the end time" works in one call. Details
/// may be corrected in any status: a finished visit's notes and car are its record.
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
    let (shop, current) = lock_for_change(tx, appointment_id, moves).await?;
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
    details::edit(tx, &current, &change, by).await?;
    if let Some(to) = change.status {
        let transition = Transition {
            from: Some(status),
            to,
            by,
            channel,
            reason: change.reason.as_deref(),
        };
        set_status(tx, tenant, current.id, &transition).await?;
    }
    Ok(())
}

/// Locks what a change decides on: the shop first when the visit moves (its bays), then the
/// appointment — the same lock order as `book`.
async fn lock_for_change(
    tx: &mut Tx,
    appointment_id: i64,
    moves: bool,
) -> Result<(Option<Shop>, CurrentVisit)> {
    let shop = if moves {
        let shop_id = sqlx::query_scalar!(
            "SELECT shop_id FROM appointments WHERE id = $1",
            appointment_id
        )
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)?;
        Some(load_shop(tx, shop_id, Lock::Bays).await?)
    } else {
        None
    };
    let current = sqlx::query_as!(
        CurrentVisit,
        "SELECT id, client_id, status, bay, start_time, end_time FROM appointments
         WHERE id = $1 FOR UPDATE",
        appointment_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    Ok((shop, current))
}

/// Writes an allowed status change with its history line. The client hears of staff's decisions
/// through the bot; the message is queued in this transaction (transactional outbox), so it goes
/// out exactly when the change is kept. What the client did in the bot is answered there at once.
async fn set_status(
    tx: &mut Tx,
    tenant: TenantId,
    appointment_id: i64,
    transition: &Transition<'_>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE appointments
         SET status = $2,
             cancel_reason = CASE WHEN $2 = 'cancelled' THEN $3 ELSE cancel_reason END,
             updated_at = now()
         WHERE id = $1",
        appointment_id,
        transition.to.as_str(),
        transition.reason
    )
    .execute(&mut **tx)
    .await?;
    record_status(tx, tenant, appointment_id, transition).await?;
    if transition.channel != Channel::Telegram {
        outbox::status_changed(tx, tenant, appointment_id, transition.to).await?;
    }
    Ok(())
}

/// One appointment, or `NotFound` (also for another tenant's).
pub async fn get(tx: &mut Tx, id: i64) -> Result<Appointment> {
    let row = sqlx::query_as!(
        AppointmentRow,
        r#"SELECT a.id, a.tenant_id, a.shop_id, a.client_id,
                  c.full_name AS client_full_name, c.phone AS client_phone, a.vehicle_id, a.bay,
                  a.start_time, a.end_time, a.status, a.source, a.customer_note, a.staff_note,
                  a.ai_summary, a.ai_analysis AS "ai_analysis: sqlx::types::Json<Box<RawValue>>",
                  a.ai_edited_summary, a.ai_edited_causes, a.ai_edited_by,
                  e.full_name AS "ai_edited_by_name?", a.ai_edited_at,
                  a.total_price, a.cancel_reason, a.created_at, a.updated_at, s.timezone
           FROM appointments a
           JOIN clients c ON c.id = a.client_id
           JOIN shops s ON s.id = a.shop_id
           LEFT JOIN users e ON e.id = a.ai_edited_by
           WHERE a.id = $1"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    load_appointments(tx, vec![row])
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
    // Dynamic filter: QueryBuilder (the same columns as `get` writes out in its `query_as!`).
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
    let rows: Vec<AppointmentRow> = query.build_query_as().fetch_all(&mut **tx).await?;
    load_appointments(tx, rows).await
}

/// The status history of an appointment, oldest first.
pub async fn history(tx: &mut Tx, appointment_id: i64) -> Result<Vec<StatusChange>> {
    sqlx::query_scalar!("SELECT id FROM appointments WHERE id = $1", appointment_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(histories(tx, &[appointment_id])
        .await?
        .remove(&appointment_id)
        .unwrap_or_default())
}

/// The status histories of these appointments (the calendar's visits) in one query, each oldest
/// first, times in each visit's shop's time zone.
pub async fn histories(
    tx: &mut Tx,
    appointment_ids: &[i64],
) -> Result<HashMap<i64, Vec<StatusChange>>> {
    let rows = sqlx::query_as!(
        HistoryRow,
        r#"SELECT h.id, h.appointment_id, h.from_status, h.to_status, h.changed_by,
                  u.full_name AS "changed_by_name?", h.channel, h.reason, h.created_at, s.timezone
           FROM appointment_status_history h
           JOIN appointments a ON a.id = h.appointment_id
           JOIN shops s ON s.id = a.shop_id
           LEFT JOIN users u ON u.id = h.changed_by
           WHERE h.appointment_id = ANY($1) ORDER BY h.appointment_id, h.id"#,
        appointment_ids
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut histories: HashMap<i64, Vec<StatusChange>> = HashMap::new();
    for row in rows {
        let tz = tz_from_db(&row.timezone)?;
        histories
            .entry(row.appointment_id)
            .or_default()
            .push(StatusChange {
                id: row.id,
                appointment_id: row.appointment_id,
                from_status: row.from_status.as_deref().map(status_from_db).transpose()?,
                to_status: status_from_db(&row.to_status)?,
                changed_by: row.changed_by,
                changed_by_name: row.changed_by_name,
                channel: Channel::parse(&row.channel).ok_or_else(|| {
                    Error::Internal(format!("unknown channel in the database: {}", row.channel))
                })?,
                reason: row.reason,
                created_at: local(row.created_at, tz),
            });
    }
    Ok(histories)
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
