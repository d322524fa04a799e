//! Staff accounts of a company, as the API shows them (never with the password hash).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    accounts,
    auth::{AuthUser, Role},
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
    /// The last successful login, if any.
    pub last_login_at: Option<DateTime<Utc>>,
    /// An admin reset the password: the temporary one must be replaced before anything else.
    pub must_change_password: bool,
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
    last_login_at: Option<DateTime<Utc>>,
    must_change_password: bool,
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
            last_login_at: row.last_login_at,
            must_change_password: row.must_change_password,
        })
    }
}

pub async fn list(tx: &mut Tx, skip: i64, limit: i64) -> Result<Vec<User>> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, email, full_name, role, tenant_id, is_active, last_login_at, must_change_password
         FROM users ORDER BY id OFFSET $1 LIMIT $2",
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
        "SELECT id, email, full_name, role, tenant_id, is_active, last_login_at, must_change_password
         FROM users WHERE id = $1",
        id
    )
    .fetch_one(&mut **tx)
    .await?
    .try_into()
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<User> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, email, full_name, role, tenant_id, is_active, last_login_at, must_change_password
         FROM users WHERE id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?
    .try_into()
}

/// A change of a staff account by an admin: absent fields stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub full_name: Option<String>,
    /// `admin` or `manager`.
    pub role: Option<String>,
    /// `false` deactivates: the user's tokens, sessions and live streams stop at once.
    pub is_active: Option<bool>,
}

/// Use case: an admin changes a staff account's name, role or activity. A change of role or
/// activity moves the user's token version on, so every token issued before stops working (the
/// next request, and a live stream at its next check). The company always keeps an active admin.
pub async fn change(
    db: &Db,
    tenant: TenantId,
    actor: &AuthUser,
    id: i64,
    patch: UserPatch,
) -> Result<User> {
    let role = match patch.role.as_deref().map(Role::parse) {
        None => None,
        Some(Some(role @ (Role::Admin | Role::Manager))) => Some(role),
        Some(_) => return Err(Error::validation("Роль: admin или manager")),
    };
    let mut tx = db.tenant_tx(tenant).await?;
    // The company's admins, locked: two admins demoting each other at once cannot both win.
    let admins = sqlx::query_scalar!(
        "SELECT id FROM users WHERE role = 'admin' AND is_active ORDER BY id FOR UPDATE"
    )
    .fetch_all(&mut *tx)
    .await?;
    let current = get(&mut tx, id).await?;
    let role = role.unwrap_or(current.role);
    let is_active = patch.is_active.unwrap_or(current.is_active);
    let stays_admin = role == Role::Admin && is_active;
    if admins.contains(&id) && !stays_admin && admins.len() == 1 {
        return Err(Error::Conflict(
            "Это последний активный администратор компании: назначьте другого, прежде чем менять его".into(),
        ));
    }
    let full_name = patch.full_name.unwrap_or(current.full_name);
    let access_changed = role != current.role || is_active != current.is_active;
    sqlx::query!(
        "UPDATE users SET full_name = $2, role = $3, is_active = $4,
                token_version = token_version + CASE WHEN $5 THEN 1 ELSE 0 END, updated_at = now()
         WHERE id = $1",
        id,
        full_name.trim(),
        role.as_str(),
        is_active,
        access_changed
    )
    .execute(&mut *tx)
    .await?;
    let user = get(&mut tx, id).await?;
    tx.commit().await?;
    if access_changed {
        tracing::info!(
            user_id = id,
            by = actor.id,
            role = role.as_str(),
            is_active,
            "staff access changed"
        );
    }
    Ok(user)
}

/// Use case: an admin adds a staff member to the company (REST API and Settings).
pub async fn add(db: &Db, tenant: TenantId, new: NewUser) -> Result<User> {
    let mut tx = db.tenant_tx(tenant).await?;
    let user = create(&mut tx, tenant, new).await?;
    tx.commit().await?;
    Ok(user)
}
