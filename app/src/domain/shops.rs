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
}

impl Shop {
    /// The shop's clock. Names are checked when a shop is saved; one the time zone database no
    /// longer knows is an error to fix, not a silent switch to Moscow time.
    pub fn tz(&self) -> Result<chrono_tz::Tz> {
        zone(&self.timezone)
    }
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

pub async fn list(tx: &mut Tx, skip: i64, limit: i64) -> Result<Vec<Shop>> {
    Ok(sqlx::query_as!(
        Shop,
        "SELECT id, tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes
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
        "SELECT id, tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes
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
    Ok(sqlx::query_as!(
        Shop,
        "INSERT INTO shops (tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes",
        tenant.0,
        new.name.trim(),
        new.address.trim(),
        new.phone.trim(),
        new.timezone,
        new.bays,
        hours,
        new.slot_minutes
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
    if bays < current.bays {
        // Removing a bay that upcoming visits hold would strand them: staff move them first.
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
    }
    Ok(sqlx::query_as!(
        Shop,
        "UPDATE shops SET name = $2, address = $3, phone = $4, timezone = $5, bays = $6, working_hours = $7,
                slot_minutes = $8, updated_at = now()
         WHERE id = $1
         RETURNING id, tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes",
        id,
        name.trim(),
        address.trim(),
        phone.trim(),
        timezone,
        bays,
        hours,
        slot_minutes
    )
    .fetch_one(&mut **tx)
    .await?)
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
