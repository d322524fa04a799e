//! Shops (locations) with their bays, weekly hours, time zone and slot step.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    accounts::validate_timezone,
    db::{Db, TenantId, Tx},
    hours::WorkingHours,
    Error, Result,
};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Shop {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub address: String,
    pub phone: String,
    /// IANA time zone, e.g. `Europe/Moscow`.
    pub timezone: String,
    /// Number of bays (посты).
    pub bays: i32,
    /// `{"mon": [["09:00","18:00"]], …, "sun": []}`
    #[schema(value_type = Object)]
    pub working_hours: Value,
    pub slot_minutes: i32,
    /// Staff's names of the bays: entry i names bay i+1 («Подъёмник»); an empty entry, or none,
    /// means «Пост N». At most `bays` entries.
    pub bay_names: Vec<String>,
    /// Where the shop is (WGS 84 degrees), for the bot's «nearest shop»; both or neither.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl Shop {
    /// The shop's clock. Names are checked when a shop is saved; one the time zone database no
    /// longer knows is an error to fix, not a silent switch to Moscow time.
    pub fn tz(&self) -> Result<chrono_tz::Tz> {
        zone(&self.timezone)
    }

    /// What staff call each bay, one per bay: its name, or «Пост N» without one.
    pub fn bay_labels(&self) -> Vec<String> {
        (1..=self.bays)
            .map(|bay| {
                usize::try_from(bay - 1)
                    .ok()
                    .and_then(|i| self.bay_names.get(i))
                    .filter(|name| !name.is_empty())
                    .cloned()
                    .unwrap_or_else(|| format!("Пост {bay}"))
            })
            .collect()
    }
}

/// The longest name of a bay, in characters: it has to fit a calendar column.
pub const BAY_NAME_MAX: usize = 40;

/// Bay names as stored: trimmed, without the empty entries at the end. More names than bays, or
/// a name too long, is refused.
fn checked_bay_names(names: Vec<String>, bays: i32) -> Result<Vec<String>> {
    let mut names: Vec<String> = names.into_iter().map(|n| n.trim().to_string()).collect();
    while names.last().is_some_and(String::is_empty) {
        names.pop();
    }
    if let Some(long) = names.iter().find(|n| n.chars().count() > BAY_NAME_MAX) {
        return Err(Error::validation(format!(
            "Название поста «{long}» длиннее {BAY_NAME_MAX} символов"
        )));
    }
    if names.len() > usize::try_from(bays).unwrap_or(0) {
        return Err(Error::validation(format!(
            "Названий постов {}, а постов {bays}: уберите лишние",
            names.len()
        )));
    }
    Ok(names)
}

/// An IANA time zone name as stored (shops, companies).
pub fn zone(name: &str) -> Result<chrono_tz::Tz> {
    name.parse()
        .map_err(|_| Error::Internal(format!("unknown time zone in the database: {name}")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShop {
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default = "moscow")]
    pub timezone: String,
    pub bays: i32,
    #[schema(value_type = Object)]
    pub working_hours: Value,
    #[serde(default = "half_hour")]
    pub slot_minutes: i32,
    /// Entry i names bay i+1; empty for «Пост N».
    #[serde(default)]
    pub bay_names: Vec<String>,
    /// Where the shop is: both coordinates or neither.
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
}

fn moscow() -> String {
    "Europe/Moscow".into()
}

fn half_hour() -> i32 {
    30
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopPatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub bays: Option<i32>,
    #[schema(value_type = Option<Object>)]
    pub working_hours: Option<Value>,
    pub slot_minutes: Option<i32>,
    /// Replaces every name; without it the names stay (those of removed bays go).
    pub bay_names: Option<Vec<String>>,
    /// Replaces the location: both coordinates, or both `null` to forget it; without them
    /// it stays.
    #[serde(default, deserialize_with = "super::serde_util::double_option")]
    #[schema(value_type = Option<f64>)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "super::serde_util::double_option")]
    #[schema(value_type = Option<f64>)]
    pub longitude: Option<Option<f64>>,
}

/// Both coordinates or neither, within the Earth's.
fn checked_location(latitude: Option<f64>, longitude: Option<f64>) -> Result<Option<(f64, f64)>> {
    match (latitude, longitude) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            Ok(Some((lat, lon)))
        }
        (Some(_), Some(_)) => Err(Error::validation(
            "Координаты: широта от −90 до 90, долгота от −180 до 180",
        )),
        _ => Err(Error::validation(
            "Координаты: укажите и широту, и долготу (или ни то, ни другое)",
        )),
    }
}

/// The shop nearest to a point, with the distance in kilometres; shops without a location are
/// not considered.
pub fn nearest(shops: &[Shop], latitude: f64, longitude: f64) -> Option<(&Shop, f64)> {
    shops
        .iter()
        .filter_map(|shop| {
            let (lat, lon) = (shop.latitude?, shop.longitude?);
            Some((shop, distance_km(latitude, longitude, lat, lon)))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Great-circle distance (haversine) between two points, in kilometres.
fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_KM: f64 = 6371.0;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_KM * h.sqrt().asin()
}

/// Checks a shop's settings; returns the working hours in their canonical form (all 7 days).
fn validate(
    name: &str,
    timezone: &str,
    bays: i32,
    hours: &Value,
    slot_minutes: i32,
) -> Result<Value> {
    if name.trim().is_empty() {
        return Err(Error::validation("Укажите название точки"));
    }
    validate_timezone(timezone)?;
    if !(1..=100).contains(&bays) {
        return Err(Error::validation("Количество постов: от 1 до 100"));
    }
    if !(5..=240).contains(&slot_minutes) {
        return Err(Error::validation("Шаг записи: от 5 до 240 минут"));
    }
    serde_json::to_value(WorkingHours::from_json(hours)?)
        .map_err(|e| Error::Internal(format!("working hours: {e}")))
}

/// The company's shops that offer every one of `services` (a service of one shop is offered
/// there alone): where a visit with them can be booked.
pub async fn offering(tx: &mut Tx, services: &[i64]) -> Result<Vec<Shop>> {
    let services = super::services::get_all(tx, services).await?;
    offering_for(tx, &services).await
}

/// [`offering`] for services already read.
pub async fn offering_for(tx: &mut Tx, services: &[super::services::Service]) -> Result<Vec<Shop>> {
    let only_in: Vec<i64> = services.iter().filter_map(|s| s.shop_id).collect();
    Ok(list(tx, 0, 100)
        .await?
        .into_iter()
        .filter(|shop| only_in.iter().all(|id| *id == shop.id))
        .collect())
}

pub async fn list(tx: &mut Tx, skip: i64, limit: i64) -> Result<Vec<Shop>> {
    Ok(sqlx::query_as!(
        Shop,
        "SELECT id, tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes, bay_names,
                latitude, longitude
         FROM shops ORDER BY id OFFSET $1 LIMIT $2",
        skip,
        limit
    )
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Shop> {
    sqlx::query_as!(
        Shop,
        "SELECT id, tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes, bay_names,
                latitude, longitude
         FROM shops WHERE id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn create(tx: &mut Tx, tenant: TenantId, new: NewShop) -> Result<Shop> {
    let hours = validate(
        &new.name,
        &new.timezone,
        new.bays,
        &new.working_hours,
        new.slot_minutes,
    )?;
    let bay_names = checked_bay_names(new.bay_names, new.bays)?;
    let location = checked_location(new.latitude, new.longitude)?;
    Ok(sqlx::query_as!(
        Shop,
        "INSERT INTO shops (tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes,
                            bay_names, latitude, longitude)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING id, tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes,
                   bay_names, latitude, longitude",
        tenant.0,
        new.name.trim(),
        new.address.trim(),
        new.phone.trim(),
        new.timezone,
        new.bays,
        hours,
        new.slot_minutes,
        &bay_names,
        location.map(|l| l.0),
        location.map(|l| l.1)
    )
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn update(tx: &mut Tx, id: i64, patch: ShopPatch) -> Result<Shop> {
    let current = get(tx, id).await?;
    let name = patch.name.unwrap_or(current.name);
    let timezone = patch.timezone.unwrap_or(current.timezone);
    let bays = patch.bays.unwrap_or(current.bays);
    let hours = patch.working_hours.unwrap_or(current.working_hours);
    let slot_minutes = patch.slot_minutes.unwrap_or(current.slot_minutes);
    let hours = validate(&name, &timezone, bays, &hours, slot_minutes)?;
    let address = patch.address.unwrap_or(current.address);
    let phone = patch.phone.unwrap_or(current.phone);
    let bay_names = match patch.bay_names {
        Some(names) => checked_bay_names(names, bays)?,
        // The names of removed bays go with them.
        None => checked_bay_names(
            current
                .bay_names
                .into_iter()
                .take(usize::try_from(bays).unwrap_or(0))
                .collect(),
            bays,
        )?,
    };
    let location = checked_location(
        patch.latitude.unwrap_or(current.latitude),
        patch.longitude.unwrap_or(current.longitude),
    )?;
    if bays < current.bays {
        no_upcoming_visits_beyond(tx, id, bays).await?;
    }
    Ok(sqlx::query_as!(
        Shop,
        "UPDATE shops SET name = $2, address = $3, phone = $4, timezone = $5, bays = $6, working_hours = $7,
                slot_minutes = $8, bay_names = $9, latitude = $10, longitude = $11, updated_at = now()
         WHERE id = $1
         RETURNING id, tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes,
                   bay_names, latitude, longitude",
        id,
        name.trim(),
        address.trim(),
        phone.trim(),
        timezone,
        bays,
        hours,
        slot_minutes,
        &bay_names,
        location.map(|l| l.0),
        location.map(|l| l.1)
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Removing a bay that upcoming visits hold would strand them: staff move them first (409).
async fn no_upcoming_visits_beyond(tx: &mut Tx, id: i64, bays: i32) -> Result<()> {
    let stranded = sqlx::query_scalar!(
        r#"SELECT count(*) AS "stranded!" FROM appointments
           WHERE shop_id = $1 AND bay > $2 AND end_time > now()
             AND status NOT IN ('cancelled', 'no_show', 'completed')"#,
        id,
        bays
    )
    .fetch_one(&mut **tx)
    .await?;
    if stranded > 0 {
        return Err(Error::Conflict(format!(
            "На постах с номером больше {bays} есть предстоящие записи ({stranded}): сначала перенесите их"
        )));
    }
    Ok(())
}

/// Deletes a shop that has no appointments; one with history is kept (409), so that no visit
/// disappears with it.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<Shop> {
    let shop = get(tx, id).await?;
    let used = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM appointments WHERE shop_id = $1) AS "used!""#,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    if used {
        return Err(Error::Conflict(
            "У точки есть записи: удалить её нельзя".into(),
        ));
    }
    sqlx::query!("DELETE FROM shops WHERE id = $1", id)
        .execute(&mut **tx)
        .await?;
    Ok(shop)
}

// --- use cases: what an admin does to the company's shops (REST API and the shops page) ---

/// Opens a new shop of the company.
pub async fn add(db: &Db, tenant: TenantId, new: NewShop) -> Result<Shop> {
    let mut tx = db.tenant_tx(tenant).await?;
    let shop = create(&mut tx, tenant, new).await?;
    tx.commit().await?;
    Ok(shop)
}

/// Changes what is given of a shop; fewer bays are refused while upcoming visits hold them.
pub async fn change(db: &Db, tenant: TenantId, id: i64, patch: ShopPatch) -> Result<Shop> {
    let mut tx = db.tenant_tx(tenant).await?;
    let shop = update(&mut tx, id, patch).await?;
    tx.commit().await?;
    Ok(shop)
}

/// Removes a shop that has no visits (see [`delete`]).
pub async fn remove(db: &Db, tenant: TenantId, id: i64) -> Result<Shop> {
    let mut tx = db.tenant_tx(tenant).await?;
    let shop = delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(shop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn bay_names_are_trimmed_and_fit_the_bays() {
        assert_eq!(
            checked_bay_names(names(&[" Подъёмник ", "", "  "]), 2).expect("fits"),
            names(&["Подъёмник"])
        );
        assert_eq!(
            checked_bay_names(names(&["", "Развал"]), 2).expect("fits"),
            names(&["", "Развал"])
        );
        assert!(checked_bay_names(names(&["a", "b", "c"]), 2).is_err());
        assert!(checked_bay_names(vec!["я".repeat(41)], 1).is_err());
        assert!(checked_bay_names(vec!["я".repeat(40)], 1).is_ok());
    }

    #[test]
    fn bays_without_a_name_are_numbered() {
        let shop = Shop {
            id: 1,
            tenant_id: 1,
            name: "Север".into(),
            address: String::new(),
            phone: String::new(),
            timezone: "Europe/Moscow".into(),
            bays: 3,
            working_hours: Value::Null,
            slot_minutes: 30,
            bay_names: names(&["", "Развал"]),
            latitude: None,
            longitude: None,
        };
        assert_eq!(shop.bay_labels(), names(&["Пост 1", "Развал", "Пост 3"]));
    }

    #[test]
    fn the_nearest_shop_is_by_great_circle_distance() {
        let shop = |id: i64, at: Option<(f64, f64)>| Shop {
            id,
            tenant_id: 1,
            name: format!("{id}"),
            address: String::new(),
            phone: String::new(),
            timezone: "Europe/Moscow".into(),
            bays: 1,
            working_hours: Value::Null,
            slot_minutes: 30,
            bay_names: Vec::new(),
            latitude: at.map(|a| a.0),
            longitude: at.map(|a| a.1),
        };
        // Tverskaya (Moscow centre), Mytishchi, and a shop with no location.
        let shops = [
            shop(1, Some((55.7650, 37.6050))),
            shop(2, Some((55.9116, 37.7308))),
            shop(3, None),
        ];
        // From Moscow's Red Square: the centre, about 1.4 km away.
        let (near, km) = nearest(&shops, 55.7539, 37.6208).expect("a shop");
        assert_eq!(near.id, 1);
        assert!((1.0..2.0).contains(&km), "{km}");
        // From Korolyov: Mytishchi.
        assert_eq!(nearest(&shops, 55.9162, 37.8545).map(|s| s.0.id), Some(2));
        assert!(nearest(&shops[2..], 55.75, 37.62).is_none());
        // Moscow–Saint Petersburg is about 634 km.
        assert!((distance_km(55.7558, 37.6173, 59.9343, 30.3351) - 634.0).abs() < 5.0);
    }

    #[test]
    fn a_location_is_both_coordinates_within_range_or_none() {
        assert_eq!(checked_location(None, None).ok(), Some(None));
        assert_eq!(
            checked_location(Some(55.75), Some(37.62)).ok(),
            Some(Some((55.75, 37.62)))
        );
        assert!(checked_location(Some(55.75), None).is_err());
        assert!(checked_location(Some(91.0), Some(37.0)).is_err());
        assert!(checked_location(Some(55.0), Some(-181.0)).is_err());
    }
}
