//! Staff accounts of a company, as the API shows them (never with the password hash).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    accounts,
    auth::Role,
    db::{Db, TenantId, Tx},
    Error, Result,
};

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub tenant_id: Option<i64>,
    pub is_active: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub full_name: String,
    /// `admin` or `manager`.
    pub role: String,
}

pub async fn list(tx: &mut Tx, skip: i64, limit: i64) -> Result<Vec<User>> {
    Ok(sqlx::query_as(
        "SELECT id, email, full_name, role, tenant_id, is_active FROM users ORDER BY id OFFSET $1 LIMIT $2",
    )
    .bind(skip)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn create(tx: &mut Tx, tenant: TenantId, new: NewUser) -> Result<User> {
    let role = match Role::parse(&new.role) {
        Some(role @ (Role::Admin | Role::Manager)) => role,
        _ => return Err(Error::validation("Роль: admin или manager")),
    };
    let id = accounts::create_staff_in(tx, tenant, &new.email, &new.password, &new.full_name, role)
        .await?;
    Ok(sqlx::query_as(
        "SELECT id, email, full_name, role, tenant_id, is_active FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Use case: an admin adds a staff member to the company (REST API and Settings).
pub async fn add(db: &Db, tenant: TenantId, new: NewUser) -> Result<User> {
    let mut tx = db.tenant_tx(tenant).await?;
    let user = create(&mut tx, tenant, new).await?;
    tx.commit().await?;
    Ok(user)
}
