//! The service catalogue of a company: what it does, for how much, for how long.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    db::{Db, TenantId, Tx},
    Error, Result,
};

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Service {
    pub id: i64,
    pub tenant_id: i64,
    /// `null`: offered in every shop of the company.
    pub shop_id: Option<i64>,
    pub name: String,
    pub description: String,
    pub category: String,
    #[schema(value_type = f64)]
    pub price: Decimal,
    pub duration_minutes: i32,
    /// Time the bay stays busy after the job (cleaning, paperwork).
    pub buffer_minutes: i32,
    pub is_active: bool,
    /// Words and symptoms the concierge matches customer messages against.
    pub keywords: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    #[schema(value_type = f64)]
    pub price: Decimal,
    pub duration_minutes: i32,
    #[serde(default)]
    pub buffer_minutes: i32,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub keywords: String,
    #[serde(default)]
    pub shop_id: Option<i64>,
}

fn yes() -> bool {
    true
}

/// A partial update: absent fields stay as they are; `shop_id: null` makes the service
/// available in every shop.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub price: Option<Decimal>,
    pub duration_minutes: Option<i32>,
    pub buffer_minutes: Option<i32>,
    pub is_active: Option<bool>,
    pub keywords: Option<String>,
    #[serde(default, deserialize_with = "super::serde_util::double_option")]
    #[schema(value_type = Option<i64>)]
    pub shop_id: Option<Option<i64>>,
}

fn validate(name: &str, price: Decimal, duration: i32, buffer: i32) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::validation("Укажите название услуги"));
    }
    if price.is_sign_negative() {
        return Err(Error::validation("Цена не может быть отрицательной"));
    }
    if price.scale() > 2 || price > Decimal::from(9_999_999_999i64) {
        return Err(Error::validation(
            "Цена: не больше двух знаков после запятой и не больше 9 999 999 999",
        ));
    }
    if !(1..=1440).contains(&duration) {
        return Err(Error::validation("Длительность: от 1 до 1440 минут"));
    }
    if !(0..=480).contains(&buffer) {
        return Err(Error::validation("Буфер после работы: от 0 до 480 минут"));
    }
    Ok(())
}

pub async fn list(
    tx: &mut Tx,
    shop_id: Option<i64>,
    skip: i64,
    limit: i64,
) -> Result<Vec<Service>> {
    Ok(sqlx::query_as!(
        Service,
        "SELECT id, tenant_id, shop_id, name, description, category, price, duration_minutes,
                buffer_minutes, is_active, keywords
         FROM services
         WHERE ($1::bigint IS NULL OR shop_id IS NULL OR shop_id = $1)
         ORDER BY category, name, id OFFSET $2 LIMIT $3",
        shop_id,
        skip,
        limit
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// The active services by section (their category as customers read it, see
/// `format::category_label`), sections in order: the catalogue as the bot and the public page
/// offer it.
pub async fn by_section(tx: &mut Tx) -> Result<Vec<(String, Vec<Service>)>> {
    let mut sections: Vec<(String, Vec<Service>)> = Vec::new();
    for service in list(tx, None, 0, 1000)
        .await?
        .into_iter()
        .filter(|s| s.is_active)
    {
        let label = crate::format::category_label(&service.category);
        match sections.iter_mut().find(|(name, _)| *name == label) {
            Some((_, services)) => services.push(service),
            None => sections.push((label, vec![service])),
        }
    }
    sections.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(sections)
}

/// The services `ids` in that order; `NotFound` when one is not this company's.
pub async fn get_all(tx: &mut Tx, ids: &[i64]) -> Result<Vec<Service>> {
    let mut list = Vec::with_capacity(ids.len());
    for id in ids {
        list.push(get(tx, *id).await?);
    }
    Ok(list)
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Service> {
    sqlx::query_as!(
        Service,
        "SELECT id, tenant_id, shop_id, name, description, category, price, duration_minutes,
                buffer_minutes, is_active, keywords
         FROM services WHERE id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn create(tx: &mut Tx, tenant: TenantId, new: NewService) -> Result<Service> {
    validate(
        &new.name,
        new.price,
        new.duration_minutes,
        new.buffer_minutes,
    )?;
    sqlx::query_as!(
        Service,
        "INSERT INTO services (tenant_id, shop_id, name, description, category, price, duration_minutes,
                               buffer_minutes, is_active, keywords)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING id, tenant_id, shop_id, name, description, category, price, duration_minutes,
                   buffer_minutes, is_active, keywords",
        tenant.0,
        new.shop_id,
        new.name.trim(),
        new.description.trim(),
        new.category.trim(),
        new.price,
        new.duration_minutes,
        new.buffer_minutes,
        new.is_active,
        new.keywords.trim()
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(unknown_shop)
}

pub async fn update(tx: &mut Tx, id: i64, patch: ServicePatch) -> Result<Service> {
    let current = get(tx, id).await?;
    let name = patch.name.unwrap_or(current.name);
    let price = patch.price.unwrap_or(current.price);
    let duration = patch.duration_minutes.unwrap_or(current.duration_minutes);
    let buffer = patch.buffer_minutes.unwrap_or(current.buffer_minutes);
    validate(&name, price, duration, buffer)?;
    let description = patch.description.unwrap_or(current.description);
    let category = patch.category.unwrap_or(current.category);
    let keywords = patch.keywords.unwrap_or(current.keywords);
    sqlx::query_as!(
        Service,
        "UPDATE services SET shop_id = $2, name = $3, description = $4, category = $5, price = $6,
                duration_minutes = $7, buffer_minutes = $8, is_active = $9, keywords = $10, updated_at = now()
         WHERE id = $1
         RETURNING id, tenant_id, shop_id, name, description, category, price, duration_minutes,
                   buffer_minutes, is_active, keywords",
        id,
        patch.shop_id.unwrap_or(current.shop_id),
        name.trim(),
        description.trim(),
        category.trim(),
        price,
        duration,
        buffer,
        patch.is_active.unwrap_or(current.is_active),
        keywords.trim()
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(unknown_shop)
}

/// Deletes a service. One that past appointments refer to is deactivated instead, so that
/// their history keeps its meaning; the returned object says which happened (`is_active`).
pub async fn delete(tx: &mut Tx, id: i64) -> Result<Service> {
    let service = get(tx, id).await?;
    let used = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM appointment_services WHERE service_id = $1) AS "used!""#,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    if used {
        return update(
            tx,
            id,
            ServicePatch {
                is_active: Some(false),
                ..Default::default()
            },
        )
        .await;
    }
    sqlx::query!("DELETE FROM services WHERE id = $1", id)
        .execute(&mut **tx)
        .await?;
    Ok(service)
}

/// The composite foreign key to shops fails for a shop of another tenant as for a missing one.
fn unknown_shop(e: sqlx::Error) -> Error {
    Error::on_constraint(e, "services_tenant_id_shop_id_fkey", || {
        Error::validation("Точка (shop_id) не найдена")
    })
}

// --- use cases: what an admin does to the catalogue (REST API and the catalogue page) ---

/// Adds a service to the company's catalogue.
pub async fn add(db: &Db, tenant: TenantId, new: NewService) -> Result<Service> {
    let mut tx = db.tenant_tx(tenant).await?;
    let service = create(&mut tx, tenant, new).await?;
    tx.commit().await?;
    Ok(service)
}

/// Changes what is given of a service.
pub async fn change(db: &Db, tenant: TenantId, id: i64, patch: ServicePatch) -> Result<Service> {
    let mut tx = db.tenant_tx(tenant).await?;
    let service = update(&mut tx, id, patch).await?;
    tx.commit().await?;
    Ok(service)
}

/// Removes a service; one that visits refer to is deactivated instead (see [`delete`]).
pub async fn remove(db: &Db, tenant: TenantId, id: i64) -> Result<Service> {
    let mut tx = db.tenant_tx(tenant).await?;
    let service = delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(service)
}
