//! Staff accounts of a company, as the API shows them (never with the password hash).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    accounts,
    auth::Role,
    db::{Db, TenantId, Tx},
    Error, Result,
};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub full_name: String,
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

/// A staff account as stored; a [`User`] once its role is read.
struct UserRow {
    id: i64,
    email: String,
    full_name: String,
    role: String,
    tenant_id: Option<i64>,
    is_active: bool,
}

impl TryFrom<UserRow> for User {
    type Error = Error;

    fn try_from(row: UserRow) -> Result<User> {
        Ok(User {
            role: Role::try_from(row.role).map_err(Error::Internal)?,
            id: row.id,
            email: row.email,
            full_name: row.full_name,
            tenant_id: row.tenant_id,
            is_active: row.is_active,
        })
    }
}

pub async fn list(tx: &mut Tx, skip: i64, limit: i64) -> Result<Vec<User>> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, email, full_name, role, tenant_id, is_active FROM users ORDER BY id OFFSET $1 LIMIT $2",
        skip,
        limit
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(User::try_from)
    .collect()
}

pub async fn create(tx: &mut Tx, tenant: TenantId, new: NewUser) -> Result<User> {
    let role = match Role::parse(&new.role) {
        Some(role @ (Role::Admin | Role::Manager)) => role,
        _ => return Err(Error::validation("Роль: admin или manager")),
    };
    let id = accounts::create_staff_in(tx, tenant, &new.email, &new.password, &new.full_name, role)
        .await?;
    sqlx::query_as!(
        UserRow,
        "SELECT id, email, full_name, role, tenant_id, is_active FROM users WHERE id = $1",
        id
    )
    .fetch_one(&mut **tx)
    .await?
    .try_into()
}

/// Use case: an admin adds a staff member to the company (REST API and Settings).
pub async fn add(db: &Db, tenant: TenantId, new: NewUser) -> Result<User> {
    let mut tx = db.tenant_tx(tenant).await?;
    let user = create(&mut tx, tenant, new).await?;
    tx.commit().await?;
    Ok(user)
}
