//! A client's cars: make, model, year, plate, VIN, and the mileage with the day it was read.
//! Staff add, correct and remove them (web admin, REST); the bot adds the car a customer types.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::{
    company,
    db::{TenantId, Tx},
    events::Event,
    work::Work,
    AppState, Error, Result,
};

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Vehicle {
    pub id: i64,
    pub client_id: i64,
    pub make: String,
    pub model: String,
    pub year: Option<i32>,
    /// Upper case without spaces: `А123ВС77`.
    pub plate: Option<String>,
    /// 17 characters, Latin letters without I, O, Q, and digits.
    pub vin: Option<String>,
    pub mileage_km: Option<i32>,
    /// The day the mileage was read (the company's date).
    pub mileage_read_on: Option<NaiveDate>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
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
    /// When the mileage was read; today (the company's) when a mileage comes without it.
    #[serde(default)]
    pub mileage_read_on: Option<NaiveDate>,
}

/// A partial correction: absent fields stay as they are, `null` clears one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehiclePatch {
    pub make: Option<String>,
    pub model: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::serde_util::double_option")]
    #[schema(value_type = Option<i32>)]
    pub year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "crate::domain::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub plate: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub vin: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::serde_util::double_option")]
    #[schema(value_type = Option<i32>)]
    pub mileage_km: Option<Option<i32>>,
    #[serde(default, deserialize_with = "crate::domain::serde_util::double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub mileage_read_on: Option<Option<NaiveDate>>,
}

/// Upper case without spaces or dashes: how plates are stored and searched.
pub fn normalize_plate(plate: &str) -> String {
    plate
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// A VIN as stored: upper case without spaces; `None` when empty.
pub fn normalize_vin(vin: &str) -> Option<String> {
    let vin: String = vin
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    (!vin.is_empty()).then_some(vin)
}

/// 17 characters of Latin letters and digits, without I, O and Q (ISO 3779).
pub fn is_valid_vin(vin: &str) -> bool {
    vin.len() == 17
        && vin
            .chars()
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"IOQ".contains(c)))
}

/// Longest make or model, and longest plate, a form may send.
const MAX_NAME_CHARS: usize = 100;
const MAX_PLATE_CHARS: usize = 20;

/// A car as it may be stored: every rule checked, texts normalised, the mileage dated.
fn checked(car: NewVehicle, today: NaiveDate) -> Result<NewVehicle> {
    if car.make.chars().count() > MAX_NAME_CHARS || car.model.chars().count() > MAX_NAME_CHARS {
        return Err(Error::validation(format!(
            "Марка и модель: не длиннее {MAX_NAME_CHARS} символов"
        )));
    }
    if car
        .plate
        .as_deref()
        .is_some_and(|p| p.chars().count() > MAX_PLATE_CHARS)
    {
        return Err(Error::validation(format!(
            "Госномер: не длиннее {MAX_PLATE_CHARS} символов"
        )));
    }
    let vin = car.vin.as_deref().and_then(normalize_vin);
    if vin.as_deref().is_some_and(|vin| !is_valid_vin(vin)) {
        return Err(Error::validation(
            "VIN: 17 символов, латиница и цифры без I, O, Q",
        ));
    }
    let newest = today.year() + 1;
    if car
        .year
        .is_some_and(|year| !(1900..=newest).contains(&year))
    {
        return Err(Error::validation(format!(
            "Год выпуска: от 1900 до {newest}"
        )));
    }
    if car
        .mileage_km
        .is_some_and(|km| !(0..=5_000_000).contains(&km))
    {
        return Err(Error::validation("Пробег: от 0 до 5 000 000 км"));
    }
    if car.mileage_read_on.is_some_and(|day| day > today) {
        return Err(Error::validation("Дата пробега не может быть в будущем"));
    }
    let mileage_read_on = match car.mileage_km {
        Some(_) => Some(car.mileage_read_on.unwrap_or(today)),
        None => None,
    };
    Ok(NewVehicle {
        make: car.make.trim().to_string(),
        model: car.model.trim().to_string(),
        year: car.year,
        plate: car
            .plate
            .as_deref()
            .map(normalize_plate)
            .filter(|p| !p.is_empty()),
        vin,
        mileage_km: car.mileage_km,
        mileage_read_on,
    })
}

/// The client's cars, oldest first.
pub async fn list(tx: &mut Tx, client_id: i64) -> Result<Vec<Vehicle>> {
    Ok(sqlx::query_as!(
        Vehicle,
        "SELECT id, client_id, make, model, year, plate, vin, mileage_km, mileage_read_on
         FROM vehicles WHERE client_id = $1 ORDER BY id",
        client_id
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// One car of this client; another client's car is not found.
pub async fn get(tx: &mut Tx, client_id: i64, id: i64) -> Result<Vehicle> {
    sqlx::query_as!(
        Vehicle,
        "SELECT id, client_id, make, model, year, plate, vin, mileage_km, mileage_read_on
         FROM vehicles WHERE id = $1 AND client_id = $2",
        id,
        client_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// Adds a car to a client's card, in the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    tenant: TenantId,
    client_id: i64,
    car: NewVehicle,
) -> Result<Vehicle> {
    let car = checked(car, company::today(tx).await?)?;
    Ok(sqlx::query_as!(
        Vehicle,
        "INSERT INTO vehicles (tenant_id, client_id, make, model, year, plate, vin, mileage_km,
                               mileage_read_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING id, client_id, make, model, year, plate, vin, mileage_km, mileage_read_on",
        tenant.0,
        client_id,
        car.make,
        car.model,
        car.year,
        car.plate,
        car.vin,
        car.mileage_km,
        car.mileage_read_on,
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Corrects a car of this client. A new mileage without a day is today's reading.
async fn update(tx: &mut Tx, client_id: i64, id: i64, patch: VehiclePatch) -> Result<Vehicle> {
    let current = get(tx, client_id, id).await?;
    let mileage_changed = patch.mileage_km.is_some();
    let mileage_km = patch.mileage_km.unwrap_or(current.mileage_km);
    let mileage_read_on = match patch.mileage_read_on {
        Some(day) => day,
        // A new reading without its day is today's; the old day belongs to the old reading.
        None if mileage_changed => None,
        None => current.mileage_read_on,
    };
    let car = checked(
        NewVehicle {
            make: patch.make.unwrap_or(current.make),
            model: patch.model.unwrap_or(current.model),
            year: patch.year.unwrap_or(current.year),
            plate: patch.plate.unwrap_or(current.plate),
            vin: patch.vin.unwrap_or(current.vin),
            mileage_km,
            mileage_read_on,
        },
        company::today(tx).await?,
    )?;
    Ok(sqlx::query_as!(
        Vehicle,
        "UPDATE vehicles SET make = $3, model = $4, year = $5, plate = $6, vin = $7,
                mileage_km = $8, mileage_read_on = $9, updated_at = now()
         WHERE id = $1 AND client_id = $2
         RETURNING id, client_id, make, model, year, plate, vin, mileage_km, mileage_read_on",
        id,
        client_id,
        car.make,
        car.model,
        car.year,
        car.plate,
        car.vin,
        car.mileage_km,
        car.mileage_read_on,
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Removes a car of this client. A car that visits name stays: the history keeps what was
/// serviced (correct it instead).
async fn delete(tx: &mut Tx, client_id: i64, id: i64) -> Result<()> {
    get(tx, client_id, id).await?;
    let visits = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM appointments WHERE vehicle_id = $1"#,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    if visits > 0 {
        return Err(Error::Conflict(format!(
            "Автомобиль указан в визитах ({visits}) — его нельзя удалить, только исправить"
        )));
    }
    sqlx::query!(
        "DELETE FROM vehicles WHERE id = $1 AND client_id = $2",
        id,
        client_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The car's client changed: `client.updated` for the pages showing the card.
async fn client_changed(work: &mut Work, client_id: i64) -> Result<()> {
    let client = super::get(work.tx(), client_id).await?;
    work.publish(Event::ClientUpdated(&client))
}

/// A step of a use case (the bot's car answer): adds a car to the client's card in the unit of
/// work; `client.updated` once committed, as when staff add one.
pub async fn add_in(work: &mut Work, client_id: i64, car: NewVehicle) -> Result<Vehicle> {
    let tenant = work.tenant();
    super::get(work.tx(), client_id).await?;
    let vehicle = insert(work.tx(), tenant, client_id, car).await?;
    client_changed(work, client_id).await?;
    Ok(vehicle)
}

/// Use case: staff add a car to a client's card.
pub async fn add(
    state: &AppState,
    tenant: TenantId,
    client_id: i64,
    car: NewVehicle,
) -> Result<Vehicle> {
    let mut work = Work::begin(&state.db, tenant).await?;
    let vehicle = add_in(&mut work, client_id, car).await?;
    work.commit(&state.events).await?;
    Ok(vehicle)
}

/// Use case: staff correct a car.
pub async fn change(
    state: &AppState,
    tenant: TenantId,
    client_id: i64,
    id: i64,
    patch: VehiclePatch,
) -> Result<Vehicle> {
    let mut work = Work::begin(&state.db, tenant).await?;
    let vehicle = update(work.tx(), client_id, id, patch).await?;
    client_changed(&mut work, client_id).await?;
    work.commit(&state.events).await?;
    Ok(vehicle)
}

/// Use case: staff remove a car no visit names.
pub async fn remove(state: &AppState, tenant: TenantId, client_id: i64, id: i64) -> Result<()> {
    let mut work = Work::begin(&state.db, tenant).await?;
    delete(work.tx(), client_id, id).await?;
    client_changed(&mut work, client_id).await?;
    work.commit(&state.events).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn plates_and_vins_are_normalised() {
        assert_eq!(normalize_plate("а 123 вс-77"), "А123ВС77");
        assert_eq!(
            normalize_vin(" xw8zzz61zeg0 61733 ").as_deref(),
            Some("XW8ZZZ61ZEG061733")
        );
        assert_eq!(normalize_vin("  "), None);
    }

    #[test]
    fn a_vin_is_17_latin_letters_and_digits_without_i_o_q() {
        assert!(is_valid_vin("XW8ZZZ61ZEG061733"));
        assert!(!is_valid_vin("XW8ZZZ61ZEG06173"), "16 characters");
        assert!(!is_valid_vin("XW8ZZZ61ZEG0617334"), "18 characters");
        for letter in ['I', 'O', 'Q'] {
            let vin = format!("XW8ZZZ61ZEG06173{letter}");
            assert!(!is_valid_vin(&vin), "{vin}");
        }
        assert!(!is_valid_vin("ХW8ZZZ61ZEG061733"), "a Cyrillic Х");
    }

    #[test]
    fn a_mileage_without_its_day_is_read_today_and_a_future_one_is_refused() {
        let today = day("2026-12-07");
        let car = checked(
            NewVehicle {
                mileage_km: Some(120_000),
                vin: Some("xw8zzz61zeg061733".into()),
                plate: Some("а 123 вс 77".into()),
                ..NewVehicle::default()
            },
            today,
        )
        .unwrap();
        assert_eq!(car.mileage_read_on, Some(today));
        assert_eq!(car.vin.as_deref(), Some("XW8ZZZ61ZEG061733"));
        assert_eq!(car.plate.as_deref(), Some("А123ВС77"));
        let no_mileage = checked(
            NewVehicle {
                mileage_read_on: Some(day("2026-01-01")),
                ..NewVehicle::default()
            },
            today,
        )
        .unwrap();
        assert_eq!(no_mileage.mileage_read_on, None, "a day without a reading");
        for (car, why) in [
            (
                NewVehicle {
                    mileage_km: Some(1),
                    mileage_read_on: Some(day("2026-12-08")),
                    ..NewVehicle::default()
                },
                "будущем",
            ),
            (
                NewVehicle {
                    mileage_km: Some(-1),
                    ..NewVehicle::default()
                },
                "Пробег",
            ),
            (
                NewVehicle {
                    year: Some(2028),
                    ..NewVehicle::default()
                },
                "2027",
            ),
            (
                NewVehicle {
                    vin: Some("XW8ZZZ61ZEG06173O".into()),
                    ..NewVehicle::default()
                },
                "VIN",
            ),
            (
                NewVehicle {
                    model: "x".repeat(101),
                    ..NewVehicle::default()
                },
                "не длиннее 100",
            ),
            (
                NewVehicle {
                    plate: Some("А".repeat(21)),
                    ..NewVehicle::default()
                },
                "Госномер",
            ),
        ] {
            let error = checked(car, today).unwrap_err().to_string();
            assert!(error.contains(why), "{error} should mention {why}");
        }
    }
}
