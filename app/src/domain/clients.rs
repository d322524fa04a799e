//! The client base: car owners, their cars and their visits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::events::Event;

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

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Vehicle {
    pub id: i64,
    pub client_id: i64,
    pub make: String,
    pub model: String,
    pub year: Option<i32>,
    pub plate: Option<String>,
    pub vin: Option<String>,
    pub mileage_km: Option<i32>,
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
}

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVehicle {
    #[serde(default)]
    pub make: String,
    #[serde(default)]
    pub model: String,
    pub year: Option<i32>,
    pub plate: Option<String>,
    pub vin: Option<String>,
    pub mileage_km: Option<i32>,
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
    /// Cars to add to the client.
    #[serde(default)]
    pub add_vehicles: Vec<NewVehicle>,
}

const COLUMNS: &str = "c.id, c.tenant_id, c.full_name, c.phone, c.unverified_phone, c.email, \
                       c.telegram_id, c.notes, c.created_at";

/// Upper case without spaces or dashes: how plates are stored and searched.
pub fn normalize_plate(plate: &str) -> String {
    plate
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
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

/// Search over name, phone and plate; the newest clients first.
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
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM clients c
         WHERE $1::text IS NULL
            OR c.full_name ILIKE '%' || $1 || '%'
            OR ($2::text IS NOT NULL AND (c.phone LIKE '%' || $2 || '%'
                                          OR c.unverified_phone LIKE '%' || $2 || '%'))
            OR EXISTS (SELECT 1 FROM vehicles v WHERE v.client_id = c.id AND v.plate LIKE '%' || $3 || '%')
         ORDER BY c.created_at DESC, c.id DESC OFFSET $4 LIMIT $5"
    ))
    .bind(query.map(escape_like))
    .bind(digits)
    .bind(plate.as_deref().map(escape_like))
    .bind(skip)
    .bind(limit)
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
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM clients c WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn vehicles(tx: &mut Tx, client_id: i64) -> Result<Vec<Vehicle>> {
    Ok(sqlx::query_as(
        "SELECT id, client_id, make, model, year, plate, vin, mileage_km FROM vehicles WHERE client_id = $1 ORDER BY id",
    )
    .bind(client_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn detail(tx: &mut Tx, id: i64) -> Result<ClientDetail> {
    let client = get(tx, id).await?;
    let vehicles = vehicles(tx, id).await?;
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
    Ok(ClientDetail {
        client,
        vehicles,
        appointments,
        possible_duplicates,
    })
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
    let client: Client = sqlx::query_as(&format!(
        "INSERT INTO clients AS c (tenant_id, full_name, phone, email, telegram_id, telegram_chat_id, notes)
         VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(tenant.0)
    .bind(new.full_name.trim())
    .bind(phone)
    .bind(email)
    .bind(new.telegram_id)
    .bind(new.notes.trim())
    .fetch_one(&mut **tx)
    .await
    .map_err(duplicate)?;
    if let Some(phone) = &client.phone {
        mark_typed_phone_twins(tx, client.id, phone).await?;
    }
    for vehicle in new.vehicles {
        add_vehicle(tx, tenant, client.id, vehicle).await?;
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
    let client: Client = sqlx::query_as(&format!(
        "UPDATE clients AS c SET full_name = $2, phone = $3, email = $4, notes = $5, updated_at = now()
         WHERE c.id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(patch.full_name.unwrap_or(current.full_name).trim())
    .bind(phone)
    .bind(email)
    .bind(patch.notes.unwrap_or(current.notes).trim())
    .fetch_one(&mut **tx)
    .await
    .map_err(duplicate)?;
    if let Some(phone) = client
        .phone
        .as_ref()
        .filter(|p| Some(*p) != current.phone.as_ref())
    {
        mark_typed_phone_twins(tx, id, phone).await?;
    }
    for vehicle in patch.add_vehicles {
        add_vehicle(tx, tenant, id, vehicle).await?;
    }
    Ok(client)
}

pub async fn add_vehicle(
    tx: &mut Tx,
    tenant: TenantId,
    client_id: i64,
    v: NewVehicle,
) -> Result<Vehicle> {
    let vin = v
        .vin
        .as_deref()
        .map(|s| s.trim().to_uppercase())
        .filter(|s| !s.is_empty());
    if let Some(vin) = &vin {
        let valid = vin.len() == 17
            && vin
                .chars()
                .all(|c| c.is_ascii_alphanumeric() && !"IOQ".contains(c));
        if !valid {
            return Err(Error::validation(
                "VIN: 17 символов, латиница и цифры без I, O, Q",
            ));
        }
    }
    if let Some(year) = v.year {
        if !(1900..=2100).contains(&year) {
            return Err(Error::validation("Год выпуска: от 1900 до 2100"));
        }
    }
    if v.mileage_km.is_some_and(|m| m < 0) {
        return Err(Error::validation("Пробег не может быть отрицательным"));
    }
    let plate = v
        .plate
        .as_deref()
        .map(normalize_plate)
        .filter(|p| !p.is_empty());
    Ok(sqlx::query_as(
        "INSERT INTO vehicles (tenant_id, client_id, make, model, year, plate, vin, mileage_km)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, client_id, make, model, year, plate, vin, mileage_km",
    )
    .bind(tenant.0)
    .bind(client_id)
    .bind(v.make.trim())
    .bind(v.model.trim())
    .bind(v.year)
    .bind(plate)
    .bind(vin)
    .bind(v.mileage_km)
    .fetch_one(&mut **tx)
    .await?)
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

/// A step of a use case (the bot's car answer): adds a car to the client's card in the unit of
/// work; `client.updated` once committed, as when staff add one through `change`.
pub async fn add_car(
    work: &mut super::work::Work,
    client_id: i64,
    car: NewVehicle,
) -> Result<Vehicle> {
    let tenant = work.tenant();
    let vehicle = add_vehicle(work.tx(), tenant, client_id, car).await?;
    let client = get(work.tx(), client_id).await?;
    work.publish(Event::ClientUpdated(&client))?;
    Ok(vehicle)
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
    let existing: Option<Client> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM clients c WHERE c.phone = $1"
    ))
    .bind(&phone)
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

/// How the bot learnt a phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneSource {
    /// Shared with Telegram's «send my phone» button, and the contact's user id is the sender's:
    /// Telegram vouches that the number belongs to this chat.
    OwnContact,
    /// Typed by the customer: anybody can type anybody's number.
    Typed,
}

/// What became of a phone a Telegram client gave the bot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneAttached {
    /// Telegram vouched for it: it is the card's phone now.
    Saved,
    /// Typed, and no other card has it: kept on the card as the client's word
    /// (`unverified_phone`).
    Noted,
    /// Staff already had a card with this phone and no Telegram, and Telegram vouched for the
    /// phone: the same person. The bot's card was merged into staff's (visits, cars, transcript,
    /// conversation, queued messages), which now holds the chat.
    Merged,
    /// Another card has this phone and nothing proves the chat owns it: the cards stay apart
    /// and the pair is marked as a possible duplicate for staff (`client_duplicates`).
    PossibleDuplicate,
}

/// Records the phone a client gave in the bot (already normalised to E.164). Returns the id of
/// the card the chat belongs to afterwards (another one after a merge).
pub async fn attach_phone(
    tx: &mut Tx,
    client_id: i64,
    phone: &str,
    source: PhoneSource,
) -> Result<(i64, PhoneAttached)> {
    let holder: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, telegram_id FROM clients WHERE phone = $1")
            .bind(phone)
            .fetch_optional(&mut **tx)
            .await?;
    match (holder, source) {
        (Some((id, _)), _) if id == client_id => Ok((client_id, PhoneAttached::Saved)),
        (None, PhoneSource::OwnContact) => {
            sqlx::query(
                "UPDATE clients SET phone = $2, unverified_phone = NULL, updated_at = now()
                 WHERE id = $1",
            )
            .bind(client_id)
            .bind(phone)
            .execute(&mut **tx)
            .await
            .map_err(duplicate)?;
            Ok((client_id, PhoneAttached::Saved))
        }
        (Some((card, None)), PhoneSource::OwnContact) => {
            merge_into(tx, client_id, card).await?;
            Ok((card, PhoneAttached::Merged))
        }
        (None, PhoneSource::Typed) => {
            note_typed_phone(tx, client_id, phone).await?;
            mark_typed_phone_twins(tx, client_id, phone).await?;
            Ok((client_id, PhoneAttached::Noted))
        }
        (Some((card, _)), source) => {
            if source == PhoneSource::Typed {
                note_typed_phone(tx, client_id, phone).await?;
            }
            mark_possible_duplicate(tx, client_id, card, "phone").await?;
            Ok((client_id, PhoneAttached::PossibleDuplicate))
        }
    }
}

async fn note_typed_phone(tx: &mut Tx, client_id: i64, phone: &str) -> Result<()> {
    sqlx::query("UPDATE clients SET unverified_phone = $2, updated_at = now() WHERE id = $1")
        .bind(client_id)
        .bind(phone)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Other cards on which a client typed this phone in the bot: possible duplicates of `client_id`.
async fn mark_typed_phone_twins(tx: &mut Tx, client_id: i64, phone: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO client_duplicates (tenant_id, client_id, other_id, reason)
         SELECT app_current_tenant(), least($1::bigint, c.id), greatest($1::bigint, c.id), 'phone'
         FROM clients c WHERE c.unverified_phone = $2 AND c.id <> $1
         ON CONFLICT DO NOTHING",
    )
    .bind(client_id)
    .bind(phone)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the bot should ask this client for a phone: the card has none, not even a typed one,
/// and the client has not given one that another card holds (staff will sort that pair out).
pub async fn needs_phone(tx: &mut Tx, client_id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT c.phone IS NULL AND c.unverified_phone IS NULL AND NOT EXISTS (
                SELECT 1 FROM client_duplicates d
                WHERE d.reason = 'phone' AND (d.client_id = c.id OR d.other_id = c.id))
         FROM clients c WHERE c.id = $1",
    )
    .bind(client_id)
    .fetch_optional(&mut **tx)
    .await?
    .unwrap_or(false))
}

/// Cards marked as possible duplicates of this one (`client_duplicates`), for staff.
pub async fn possible_duplicates(tx: &mut Tx, client_id: i64) -> Result<Vec<Client>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM client_duplicates d
         JOIN clients c ON c.id = CASE WHEN d.client_id = $1 THEN d.other_id ELSE d.client_id END
         WHERE d.client_id = $1 OR d.other_id = $1
         ORDER BY c.id"
    ))
    .bind(client_id)
    .fetch_all(&mut **tx)
    .await?)
}

async fn mark_possible_duplicate(tx: &mut Tx, a: i64, b: i64, reason: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO client_duplicates (tenant_id, client_id, other_id, reason)
         VALUES (app_current_tenant(), least($1::bigint, $2::bigint), greatest($1::bigint, $2::bigint), $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(a)
    .bind(b)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves the bot's card `from` into staff's card `into` (which has no Telegram) and deletes it.
async fn merge_into(tx: &mut Tx, from: i64, into: i64) -> Result<()> {
    // The Telegram ids move to staff's card first (they are unique per company), then
    // everything that pointed at the bot's card follows, and the empty card goes.
    let (telegram_id, chat_id, name): (Option<i64>, Option<i64>, String) = sqlx::query_as(
        "SELECT telegram_id, telegram_chat_id, full_name FROM clients WHERE id = $1",
    )
    .bind(from)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE clients SET telegram_id = NULL, telegram_chat_id = NULL WHERE id = $1")
        .bind(from)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE clients SET telegram_id = $2, telegram_chat_id = $3,
                full_name = CASE WHEN btrim(full_name) = '' THEN $4 ELSE full_name END,
                updated_at = now()
         WHERE id = $1",
    )
    .bind(into)
    .bind(telegram_id)
    .bind(chat_id)
    .bind(name)
    .execute(&mut **tx)
    .await?;
    for table in [
        "appointments",
        "vehicles",
        "bot_messages",
        "bot_conversations",
    ] {
        // Table names from the fixed list above; the ids are bound.
        sqlx::query(&format!(
            "UPDATE {table} SET client_id = $1 WHERE client_id = $2"
        ))
        .bind(into)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    }
    // Messages queued for the bot's card (reminders, status messages) belong to staff's card
    // now: a job left naming the deleted card could not be recorded once sent.
    super::outbox::reassign_client(tx, from, into).await?;
    sqlx::query("DELETE FROM clients WHERE id = $1")
        .bind(from)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn duplicate(e: sqlx::Error) -> Error {
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
    fn plates_are_normalised() {
        assert_eq!(normalize_plate("а 123 вс-77"), "А123ВС77");
        assert_eq!(escape_like("50%_x"), "50\\%\\_x");
    }
}
