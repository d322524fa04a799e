//! The rules booking and moving share: what a shop allows (hours, bays, dates), what services
//! a visit takes and costs, which bay is free, and how a status change is recorded.

use super::*;
use crate::domain::closures::{self, Exceptions};

/// What booking needs to know about a shop.
pub(super) struct Shop {
    pub(super) id: i64,
    pub(super) tz: Tz,
    pub(super) bays: i32,
    /// The weekly hours with the shop's closures and short days applied.
    pub(super) hours: WorkingHours,
    /// Bays closed on particular days.
    pub(super) closed: Exceptions,
    pub(super) slot_minutes: i32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Lock {
    None,
    /// Decisions about this shop's bays are about to be written: take them one at a time.
    Bays,
}

/// A shop's row as booking reads it.
struct ShopRow {
    timezone: String,
    bays: i32,
    working_hours: serde_json::Value,
    slot_minutes: i32,
}

pub(super) async fn load_shop(tx: &mut Tx, shop_id: i64, lock: Lock) -> Result<Shop> {
    // FOR NO KEY UPDATE serialises bay decisions (and shop edits) without blocking the key-share
    // locks that foreign keys take, so other shops' and other tables' writes never wait for it.
    let row = match lock {
        Lock::None => {
            sqlx::query_as!(
                ShopRow,
                "SELECT timezone, bays, working_hours, slot_minutes FROM shops WHERE id = $1",
                shop_id
            )
            .fetch_optional(&mut **tx)
            .await?
        }
        Lock::Bays => {
            sqlx::query_as!(
                ShopRow,
                "SELECT timezone, bays, working_hours, slot_minutes FROM shops WHERE id = $1
                 FOR NO KEY UPDATE",
                shop_id
            )
            .fetch_optional(&mut **tx)
            .await?
        }
    };
    let ShopRow {
        timezone,
        bays,
        working_hours: hours,
        slot_minutes,
    } = row.ok_or(Error::NotFound)?;
    // Hours are validated when a shop is saved; a row that fails here is a bug, not user input.
    let mut hours = WorkingHours::from_json(&hours).map_err(|e| {
        Error::Internal(format!(
            "shop {shop_id}: stored working hours are invalid: {e}"
        ))
    })?;
    let closed = closures::apply(&mut hours, &closures::upcoming(tx, shop_id).await?);
    Ok(Shop {
        id: shop_id,
        tz: tz_from_db(&timezone)?,
        bays,
        hours,
        closed,
        slot_minutes,
    })
}

/// A service of a visit: what it costs and how long it holds the bay.
pub(super) struct Line {
    pub(super) service_id: i64,
    pub(super) price: Decimal,
    pub(super) duration_minutes: i32,
    pub(super) buffer_minutes: i32,
}

pub(super) fn visit_length(lines: &[Line]) -> Duration {
    Duration::minutes(
        lines
            .iter()
            .map(|l| i64::from(l.duration_minutes) + i64::from(l.buffer_minutes))
            .sum(),
    )
}

pub(super) fn total_price(lines: &[Line]) -> Decimal {
    lines.iter().map(|l| l.price).sum()
}

pub(super) struct CatalogueRow {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) price: Decimal,
    pub(super) duration_minutes: i32,
    pub(super) buffer_minutes: i32,
    pub(super) is_active: bool,
    pub(super) shop_id: Option<i64>,
}

/// A service as it is already on an appointment.
pub(super) struct BookedLine {
    pub(super) service_id: i64,
    pub(super) price: Decimal,
    pub(super) duration_minutes: i32,
}

/// A list of services is refused by its length before anything else is done with it (and before
/// the shop is locked): deduplicating an unbounded list costs quadratic time.
pub(super) fn check_service_count(ids: &[i64]) -> Result<()> {
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
pub(super) async fn service_lines(
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
    let rows = sqlx::query_as!(
        CatalogueRow,
        "SELECT id, name, price, duration_minutes, buffer_minutes, is_active, shop_id
         FROM services WHERE id = ANY($1)",
        &unique
    )
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
pub(super) async fn check_client_and_vehicle(
    tx: &mut Tx,
    client_id: i64,
    vehicle_id: Option<i64>,
) -> Result<()> {
    let owner = sqlx::query_scalar!(
        r#"SELECT (SELECT client_id FROM vehicles WHERE id = $2) AS "owner?" FROM clients WHERE id = $1"#,
        client_id,
        vehicle_id
    )
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
pub(super) const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

pub(super) fn check_date(date: NaiveDate) -> Result<()> {
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

pub(super) fn check_visit(shop: &Shop, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<()> {
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
pub(super) struct Busy {
    pub(super) bay: i32,
    pub(super) start_time: DateTime<Utc>,
    pub(super) end_time: DateTime<Utc>,
}

/// How long a visit can last at most: `book` and `change` keep every visit within one opening
/// interval of one date, which is a day plus at most a daylight-saving shift.
pub(super) const LONGEST_VISIT: Duration = Duration::hours(26);

/// Live visits of the shop overlapping `[from, to)`, other than `except`.
///
/// Plain comparisons rather than the range overlap (`&&`) that the exclusion constraint uses:
/// `&&` is not leakproof, so under Row-Level Security PostgreSQL will not use it in an index
/// scan. No visit is longer than [`LONGEST_VISIT`], so one overlapping the window started at
/// most that long before it — a bound the `(tenant_id, shop_id, start_time)` index turns into a
/// short range scan instead of a pass over the shop's whole history.
pub(super) async fn busy_bays(
    tx: &mut Tx,
    shop: &Shop,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except: Option<i64>,
) -> Result<Vec<Busy>> {
    let shop_id = shop.id;
    let mut busy = sqlx::query_as!(
        Busy,
        "SELECT bay, start_time, end_time FROM appointments
         WHERE shop_id = $1
           AND status NOT IN ('cancelled', 'no_show')
           AND start_time < $3 AND end_time > $2 AND start_time > $4
           AND id IS DISTINCT FROM $5",
        shop_id,
        from,
        to,
        from - LONGEST_VISIT,
        except
    )
    .fetch_all(&mut **tx)
    .await?;
    // A bay closed for the day is busy all of it.
    busy.extend(shop.closed.busy(shop.tz, from, to).into_iter().map(
        |(bay, start_time, end_time)| Busy {
            bay,
            start_time,
            end_time,
        },
    ));
    Ok(busy)
}

pub(super) fn free_bays(
    bays: i32,
    busy: &[Busy],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<i32> {
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
pub(super) async fn choose_bay(
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
    let busy = busy_bays(tx, shop, start, end, except).await?;
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
pub(super) fn overlap_to_conflict(e: sqlx::Error) -> Error {
    Error::on_constraint(e, "appointments_bay_overlap", || {
        Error::Conflict(NO_FREE_BAY.into())
    })
}

pub(super) async fn insert_lines(
    tx: &mut Tx,
    tenant: TenantId,
    appointment_id: i64,
    lines: &[Line],
) -> Result<()> {
    let ids: Vec<i64> = lines.iter().map(|l| l.service_id).collect();
    let prices: Vec<Decimal> = lines.iter().map(|l| l.price).collect();
    let durations: Vec<i32> = lines.iter().map(|l| l.duration_minutes).collect();
    sqlx::query!(
        "INSERT INTO appointment_services (tenant_id, appointment_id, service_id, price, duration_minutes)
         SELECT $1, $2, * FROM UNNEST($3::bigint[], $4::numeric[], $5::integer[])",
        tenant.0,
        appointment_id,
        &ids,
        &prices,
        &durations
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) struct Transition<'a> {
    pub(super) from: Option<Status>,
    pub(super) to: Status,
    pub(super) by: Option<i64>,
    pub(super) channel: Channel,
    pub(super) reason: Option<&'a str>,
}

pub(super) async fn record_status(
    tx: &mut Tx,
    tenant: TenantId,
    appointment_id: i64,
    t: &Transition<'_>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO appointment_status_history
             (tenant_id, appointment_id, from_status, to_status, changed_by, channel, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        tenant.0,
        appointment_id,
        t.from.map(Status::as_str),
        t.to.as_str(),
        t.by,
        t.channel.as_str(),
        t.reason
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The appointment being changed, locked.
pub(super) struct CurrentVisit {
    pub(super) id: i64,
    pub(super) client_id: i64,
    pub(super) status: String,
    pub(super) bay: i32,
    pub(super) start_time: DateTime<Utc>,
    pub(super) end_time: DateTime<Utc>,
}

/// Moves the visit as `change` says; returns its start time afterwards.
pub(super) async fn move_visit(
    tx: &mut Tx,
    tenant: TenantId,
    shop: &Shop,
    current: &CurrentVisit,
    change: &Change,
) -> Result<DateTime<Utc>> {
    let lines = match &change.service_ids {
        Some(ids) => {
            let booked = sqlx::query_as!(
                BookedLine,
                "SELECT service_id, price, duration_minutes FROM appointment_services
                 WHERE appointment_id = $1",
                current.id
            )
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
    sqlx::query!(
        "UPDATE appointments
         SET start_time = $2, end_time = $3, bay = $4, total_price = coalesce($5, total_price),
             updated_at = now()
         WHERE id = $1",
        current.id,
        start,
        end,
        bay,
        lines.as_deref().map(total_price)
    )
    .execute(&mut **tx)
    .await
    .map_err(overlap_to_conflict)?;
    if let Some(lines) = &lines {
        sqlx::query!(
            "DELETE FROM appointment_services WHERE appointment_id = $1",
            current.id
        )
        .execute(&mut **tx)
        .await?;
        insert_lines(tx, tenant, current.id, lines).await?;
    }
    Ok(start)
}
