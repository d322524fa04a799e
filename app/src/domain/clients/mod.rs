//! The client base: car owners, their cars and their visits.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::events::Event;

pub mod cars;
pub use cars::{normalize_plate, NewVehicle, Vehicle, VehiclePatch};

mod duplicates;
use duplicates::mark_typed_phone_twins;
pub use duplicates::{
    attach_phone, merge, merge_preview, needs_phone, possible_duplicates, MergePreview,
    PhoneAttached, PhoneSource,
};

use super::{
    booking::{self, Appointment, AppointmentFilter},
    db::{TenantId, Tx},
    phone, Error, Result,
};

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Client {
    pub id: i64,
    pub tenant_id: i64,
    pub full_name: String,
    /// E.164, e.g. `+79161234567`.
    pub phone: Option<String>,
    /// A phone the client typed in the Telegram bot: their word, not proof, so it is not the
    /// card's `phone` (E.164). Shown and searched; a card with this `phone` is marked as a
    /// possible duplicate.
    pub unverified_phone: Option<String>,
    pub email: Option<String>,
    pub telegram_id: Option<i64>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
}

/// A client with cars and visit history (`GET /clients/{id}`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientDetail {
    #[serde(flatten)]
    pub client: Client,
    pub vehicles: Vec<Vehicle>,
    pub appointments: Vec<Appointment>,
    /// Cards that may be the same person (e.g. the phone this client typed in the bot is on
    /// another card): for staff to check; nothing is merged by itself.
    pub possible_duplicates: Vec<Client>,
    pub totals: VisitTotals,
    /// The client asked for no messages: none is sent on any channel.
    pub no_messages: bool,
    /// Notifications to the client and how each went (channel, sent or why not), newest first.
    pub deliveries: Vec<super::deliveries::Delivery>,
}

/// A client's visits in numbers, for the card's header.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct VisitTotals {
    pub visits: i64,
    pub completed: i64,
    /// What the completed visits came to, in rubles.
    #[schema(value_type = f64)]
    pub completed_total: Decimal,
    pub cancelled: i64,
    pub no_shows: i64,
    /// Booked and not yet begun.
    pub upcoming: i64,
}

/// From this many no-shows on, staff see a mark on the client's visits.
pub const REPEATED_NO_SHOWS: i64 = 2;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub telegram_id: Option<i64>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub vehicles: Vec<NewVehicle>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    pub full_name: Option<String>,
    #[serde(default, deserialize_with = "super::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub notes: Option<String>,
    /// `true`: the client gets no messages on any channel (they asked).
    pub no_messages: Option<bool>,
    /// Cars to add to the client.
    #[serde(default)]
    pub add_vehicles: Vec<NewVehicle>,
}

fn normalize_phone(input: Option<&str>) -> Result<Option<String>> {
    match input.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => phone::normalize(p)
            .map(Some)
            .ok_or_else(|| Error::validation(format!("Некорректный номер телефона: {p}"))),
    }
}

fn normalize_email(input: Option<&str>) -> Result<Option<String>> {
    match input.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) if e.contains('@') && !e.contains(char::is_whitespace) => Ok(Some(e.to_string())),
        Some(e) => Err(Error::validation(format!("Некорректный e-mail: {e}"))),
    }
}

/// Search over name, phone, plate and VIN; the newest clients first.
pub async fn search(
    tx: &mut Tx,
    query: Option<&str>,
    skip: i64,
    limit: i64,
) -> Result<Vec<Client>> {
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    let digits: Option<String> = query
        .map(|q| q.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|d| d.len() >= 3);
    let plate = query.map(normalize_plate);
    Ok(sqlx::query_as!(
        Client,
        "SELECT c.id, c.tenant_id, c.full_name, c.phone, c.unverified_phone, c.email,
                c.telegram_id, c.notes, c.created_at
         FROM clients c
         WHERE $1::text IS NULL
            OR c.full_name ILIKE '%' || $1 || '%'
            OR ($2::text IS NOT NULL AND (c.phone LIKE '%' || $2 || '%'
                                          OR c.unverified_phone LIKE '%' || $2 || '%'))
            OR EXISTS (SELECT 1 FROM vehicles v
                       WHERE v.client_id = c.id
                         AND (v.plate LIKE '%' || $3 || '%' OR v.vin LIKE '%' || $3 || '%'))
         ORDER BY c.created_at DESC, c.id DESC OFFSET $4 LIMIT $5",
        query.map(escape_like),
        digits,
        plate.as_deref().map(escape_like),
        skip,
        limit,
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// `%` and `_` typed by a user are literal characters, not patterns.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Client> {
    sqlx::query_as!(
        Client,
        "SELECT c.id, c.tenant_id, c.full_name, c.phone, c.unverified_phone, c.email,
                c.telegram_id, c.notes, c.created_at
         FROM clients c WHERE c.id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn detail(tx: &mut Tx, id: i64) -> Result<ClientDetail> {
    let client = get(tx, id).await?;
    let vehicles = cars::list(tx, id).await?;
    let appointments = booking::list(
        tx,
        &AppointmentFilter {
            client_id: Some(id),
            skip: 0,
            limit: 500,
            ..Default::default()
        },
    )
    .await?;
    let possible_duplicates = possible_duplicates(tx, id).await?;
    let totals = totals(tx, id).await?;
    let no_messages = sqlx::query_scalar!("SELECT no_messages FROM clients WHERE id = $1", id)
        .fetch_one(&mut **tx)
        .await?;
    let deliveries = super::deliveries::list(tx, None, Some(id)).await?;
    Ok(ClientDetail {
        client,
        vehicles,
        appointments,
        possible_duplicates,
        totals,
        no_messages,
        deliveries,
    })
}

pub async fn totals(tx: &mut Tx, client_id: i64) -> Result<VisitTotals> {
    Ok(sqlx::query_as!(
        VisitTotals,
        r#"SELECT count(*) AS "visits!",
                  count(*) FILTER (WHERE status = 'completed') AS "completed!",
                  coalesce(sum(total_price) FILTER (WHERE status = 'completed'), 0)
                      AS "completed_total!",
                  count(*) FILTER (WHERE status = 'cancelled') AS "cancelled!",
                  count(*) FILTER (WHERE status = 'no_show') AS "no_shows!",
                  count(*) FILTER (WHERE status IN ('new', 'confirmed') AND start_time > now())
                      AS "upcoming!"
           FROM appointments WHERE client_id = $1"#,
        client_id
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// The no-shows of each of these clients that has at least [`REPEATED_NO_SHOWS`] (the
/// calendar's mark).
pub async fn repeated_no_shows(tx: &mut Tx, client_ids: &[i64]) -> Result<HashMap<i64, i64>> {
    Ok(sqlx::query!(
        r#"SELECT client_id, count(*) AS "no_shows!" FROM appointments
           WHERE client_id = ANY($1) AND status = 'no_show'
           GROUP BY client_id HAVING count(*) >= $2"#,
        client_ids,
        REPEATED_NO_SHOWS
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|row| (row.client_id, row.no_shows))
    .collect())
}

/// Cars one request may add to a client.
const MAX_VEHICLES_PER_REQUEST: usize = 20;

fn check_vehicle_count(vehicles: &[NewVehicle]) -> Result<()> {
    if vehicles.len() > MAX_VEHICLES_PER_REQUEST {
        return Err(Error::validation(format!(
            "За один раз можно добавить не больше {MAX_VEHICLES_PER_REQUEST} автомобилей"
        )));
    }
    Ok(())
}

pub async fn create(tx: &mut Tx, tenant: TenantId, new: NewClient) -> Result<Client> {
    check_vehicle_count(&new.vehicles)?;
    let phone = normalize_phone(new.phone.as_deref())?;
    let email = normalize_email(new.email.as_deref())?;
    if new.full_name.trim().is_empty() && phone.is_none() && new.telegram_id.is_none() {
        return Err(Error::validation("Укажите имя или телефон клиента"));
    }
    let client = sqlx::query_as!(
        Client,
        "INSERT INTO clients AS c (tenant_id, full_name, phone, email, telegram_id, telegram_chat_id, notes)
         VALUES ($1, $2, $3, $4, $5, $5, $6)
         RETURNING c.id, c.tenant_id, c.full_name, c.phone, c.unverified_phone, c.email,
                   c.telegram_id, c.notes, c.created_at",
        tenant.0,
        new.full_name.trim(),
        phone,
        email,
        new.telegram_id,
        new.notes.trim(),
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(duplicate)?;
    if let Some(phone) = &client.phone {
        mark_typed_phone_twins(tx, client.id, phone).await?;
    }
    for vehicle in new.vehicles {
        cars::insert(tx, tenant, client.id, vehicle).await?;
    }
    Ok(client)
}

pub async fn update(tx: &mut Tx, tenant: TenantId, id: i64, patch: ClientPatch) -> Result<Client> {
    check_vehicle_count(&patch.add_vehicles)?;
    let current = get(tx, id).await?;
    let phone = match patch.phone {
        Some(p) => normalize_phone(p.as_deref())?,
        None => current.phone.clone(),
    };
    let email = match patch.email {
        Some(e) => normalize_email(e.as_deref())?,
        None => current.email,
    };
    let full_name = patch.full_name.unwrap_or(current.full_name);
    let notes = patch.notes.unwrap_or(current.notes);
    let client = sqlx::query_as!(
        Client,
        "UPDATE clients AS c SET full_name = $2, phone = $3, email = $4, notes = $5, updated_at = now()
         WHERE c.id = $1
         RETURNING c.id, c.tenant_id, c.full_name, c.phone, c.unverified_phone, c.email,
                   c.telegram_id, c.notes, c.created_at",
        id,
        full_name.trim(),
        phone,
        email,
        notes.trim(),
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(duplicate)?;
    if let Some(no_messages) = patch.no_messages {
        sqlx::query!(
            "UPDATE clients SET no_messages = $2 WHERE id = $1",
            id,
            no_messages
        )
        .execute(&mut **tx)
        .await?;
    }
    if let Some(phone) = client
        .phone
        .as_ref()
        .filter(|p| Some(*p) != current.phone.as_ref())
    {
        mark_typed_phone_twins(tx, id, phone).await?;
    }
    for vehicle in patch.add_vehicles {
        cars::insert(tx, tenant, id, vehicle).await?;
    }
    Ok(client)
}

/// Who a visit is booked for: a card by id, or a person by name and phone (found by that phone
/// or created).
#[derive(Clone, Debug)]
pub enum ClientRef {
    Id(i64),
    ByPhone { full_name: String, phone: String },
}

/// The card a [`ClientRef`] names, and whether it was created just now. An id that is not this
/// company's card is a validation error (the caller named it), not a missing page.
pub async fn resolve(tx: &mut Tx, tenant: TenantId, client: &ClientRef) -> Result<(Client, bool)> {
    match client {
        ClientRef::Id(id) => match get(tx, *id).await {
            Ok(client) => Ok((client, false)),
            Err(Error::NotFound) => Err(Error::validation("Клиент не найден")),
            Err(e) => Err(e),
        },
        ClientRef::ByPhone { full_name, phone } => {
            if full_name.trim().is_empty() && phone.trim().is_empty() {
                return Err(Error::validation(
                    "Выберите клиента или введите имя и телефон нового",
                ));
            }
            find_or_create_by_phone(tx, tenant, full_name.trim(), phone).await
        }
    }
}

/// Use case: staff add a client's card (REST API); `client.created` once committed.
pub async fn add(state: &super::AppState, tenant: TenantId, new: NewClient) -> Result<Client> {
    let mut work = super::work::Work::begin(&state.db, tenant).await?;
    let client = create(work.tx(), tenant, new).await?;
    work.publish(Event::ClientCreated(&client))?;
    work.commit(&state.events).await?;
    Ok(client)
}

/// Use case: staff change a client's card (REST API, web admin); `client.updated` once committed.
pub async fn change(
    state: &super::AppState,
    tenant: TenantId,
    id: i64,
    patch: ClientPatch,
) -> Result<Client> {
    let mut work = super::work::Work::begin(&state.db, tenant).await?;
    let client = update(work.tx(), tenant, id, patch).await?;
    work.publish(Event::ClientUpdated(&client))?;
    work.commit(&state.events).await?;
    Ok(client)
}

/// Finds the client with this phone in the tenant, or creates one (bookings by phone).
pub async fn find_or_create_by_phone(
    tx: &mut Tx,
    tenant: TenantId,
    full_name: &str,
    phone: &str,
) -> Result<(Client, bool)> {
    let phone = normalize_phone(Some(phone))?
        .ok_or_else(|| Error::validation("Укажите телефон клиента"))?;
    let existing = sqlx::query_as!(
        Client,
        "SELECT c.id, c.tenant_id, c.full_name, c.phone, c.unverified_phone, c.email,
                c.telegram_id, c.notes, c.created_at
         FROM clients c WHERE c.phone = $1",
        phone
    )
    .fetch_optional(&mut **tx)
    .await?;
    match existing {
        Some(client) => Ok((client, false)),
        None => {
            let client = create(
                tx,
                tenant,
                NewClient {
                    full_name: full_name.to_string(),
                    phone: Some(phone),
                    email: None,
                    telegram_id: None,
                    notes: String::new(),
                    vehicles: Vec::new(),
                },
            )
            .await?;
            Ok((client, true))
        }
    }
}

pub(super) fn duplicate(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        if db.code().as_deref() == Some("23505") {
            let what = match db.constraint() {
                Some("clients_tenant_id_phone_key") => "Клиент с таким телефоном уже есть",
                Some("clients_tenant_id_telegram_id_key") => "Клиент с таким Telegram уже есть",
                _ => "Такой клиент уже есть",
            };
            return Error::Conflict(what.into());
        }
    }
    Error::Database(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_patterns_are_literal() {
        assert_eq!(escape_like("50%_x"), "50\\%\\_x");
    }
}
