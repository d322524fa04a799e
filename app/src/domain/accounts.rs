//! Companies (tenants) and staff accounts.

use super::{
    auth::{hash_password_limited, Role},
    db::{scope_to_tenant, TenantId, Tx},
    Db, Error, Result,
};

pub struct NewTenant<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub timezone: &'a str,
    pub admin_email: &'a str,
    pub admin_password: &'a str,
    pub admin_full_name: &'a str,
}

pub const MIN_PASSWORD_LEN: usize = 8;

/// The conflicts of creating a company, as callers can tell them apart (the registration form
/// shows each next to its field).
pub const DUPLICATE_EMAIL: &str = "Пользователь с таким e-mail уже существует";
pub const DUPLICATE_SLUG: &str = "Компания с таким коротким именем уже существует";

/// Validates what a person typed when creating an account; the database checks again.
pub fn validate_account(email: &str, password: &str) -> Result<()> {
    validate_email(email)?;
    validate_password(password)
}

/// Everything about a new company that can be checked without the database.
pub fn validate_new_tenant(new: &NewTenant<'_>) -> Result<()> {
    if new.name.trim().is_empty() {
        return Err(Error::validation("Укажите название компании"));
    }
    validate_slug(new.slug)?;
    validate_timezone(new.timezone)?;
    validate_account(new.admin_email, new.admin_password)
}

pub fn validate_email(email: &str) -> Result<()> {
    let email = email.trim();
    let valid_email = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !email.contains(char::is_whitespace);
    if valid_email {
        Ok(())
    } else {
        Err(Error::validation("Укажите корректный e-mail"))
    }
}

pub fn validate_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::validation(format!(
            "Пароль должен быть не короче {MIN_PASSWORD_LEN} символов"
        )));
    }
    Ok(())
}

pub fn validate_slug(slug: &str) -> Result<()> {
    let ok = (2..=63).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            "Короткое имя компании: 2–63 символа, латиница в нижнем регистре, цифры и дефис",
        ))
    }
}

pub fn validate_timezone(tz: &str) -> Result<()> {
    tz.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| Error::validation(format!("Неизвестный часовой пояс: {tz}")))
}

/// Creates a company and its first admin inside `tx`, and leaves `tx` scoped to the new tenant
/// so the caller may go on filling it (demo data) before committing.
pub async fn create_tenant_in(tx: &mut Tx, new: &NewTenant<'_>) -> Result<TenantId> {
    Ok(create_tenant_and_admin_in(tx, new).await?.0)
}

/// [`create_tenant_in`], also returning the first admin's user id.
async fn create_tenant_and_admin_in(tx: &mut Tx, new: &NewTenant<'_>) -> Result<(TenantId, i64)> {
    validate_new_tenant(new)?;
    let hash = hash_password_limited(new.admin_password).await?;
    let created = sqlx::query!(
        r#"SELECT tenant_id AS "tenant_id!", user_id AS "user_id!"
           FROM platform_create_tenant($1, $2, $3, $4, $5, $6)"#,
        new.name.trim(),
        new.slug,
        new.timezone,
        new.admin_email.trim(),
        hash,
        new.admin_full_name.trim()
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(unique_to_conflict)?;
    let tenant = TenantId(created.tenant_id);
    scope_to_tenant(tx, tenant).await?;
    Ok((tenant, created.user_id))
}

pub async fn create_tenant(db: &Db, new: &NewTenant<'_>) -> Result<TenantId> {
    Ok(create_tenant_with_admin(db, new).await?.0)
}

/// A company and its first admin in one transaction: both or neither. Returns the admin's user
/// id too, so that self-service registration can log them in at once.
pub async fn create_tenant_with_admin(db: &Db, new: &NewTenant<'_>) -> Result<(TenantId, i64)> {
    let mut tx = db.platform_tx().await?;
    let created = create_tenant_and_admin_in(&mut tx, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn tenant_id_by_slug(db: &Db, slug: &str) -> Result<Option<TenantId>> {
    let id = sqlx::query_scalar!("SELECT platform_tenant_id_by_slug($1)", slug)
        .fetch_one(db.pool())
        .await?;
    Ok(id.map(TenantId))
}

/// Adds a staff account (admin or manager) to the tenant `tx` is scoped to.
pub async fn create_staff_in(
    tx: &mut Tx,
    tenant: TenantId,
    email: &str,
    password: &str,
    full_name: &str,
    role: Role,
) -> Result<i64> {
    if role == Role::Superadmin {
        return Err(Error::validation(
            "Суперадминистратор не принадлежит компании",
        ));
    }
    validate_account(email, password)?;
    let hash = hash_password_limited(password).await?;
    sqlx::query_scalar!(
        "INSERT INTO users (tenant_id, email, password_hash, full_name, role) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        tenant.0,
        email.trim(),
        hash,
        full_name.trim(),
        role.as_str()
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(unique_to_conflict)
}

/// Unique violations become a clear conflict; which value collided is in the message.
pub(crate) fn unique_to_conflict(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        if db.code().as_deref() == Some("23505") {
            let what = match db.constraint() {
                Some("users_email_key") => DUPLICATE_EMAIL,
                Some("tenants_slug_key") => DUPLICATE_SLUG,
                _ => "Такая запись уже существует",
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
    fn account_validation() {
        assert!(validate_account("a@b.ru", "12345678").is_ok());
        assert!(validate_account("a@b", "12345678").is_err());
        assert!(validate_account("a b@c.ru", "12345678").is_err());
        assert!(validate_account("a@b.ru", "short").is_err());
        assert!(validate_slug("sever").is_ok());
        assert!(validate_slug("Sever").is_err());
        assert!(validate_slug("-x").is_err());
        assert!(validate_timezone("Europe/Moscow").is_ok());
        assert!(validate_timezone("Mars/Olympus").is_err());
    }
}
