//! Staff passwords after the account exists: an admin resets a forgotten one to a temporary
//! password, and everyone changes their own. Both end the user's other sessions (the token
//! version moves on); a temporary password opens nothing but the change (see
//! [`AuthUser::must_change_password`]).

use rand::{rngs::OsRng, Rng};

use super::{
    accounts::validate_password,
    auth::{hash_password_limited, verify_password_limited, AuthUser, PasswordCheck, TokenSubject},
    db::TenantId,
    AppState, Db, Error, Result,
};

/// Letters and digits that cannot be mistaken for one another when read aloud or copied from a
/// screen: no 0/O/o, 1/l/I/i.
const READABLE: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
/// 12 of 54 symbols: about 69 bits, beyond guessing through the login's rate limit.
const TEMPORARY_LEN: usize = 12;

/// Failed checks of the current password a user may make in a minute (as failed logins): a
/// stolen session must not become a way to guess the password.
fn attempts_key(user: &AuthUser) -> String {
    format!("password|{}", user.id)
}

/// A random temporary password, from the operating system's generator.
pub fn temporary_password() -> String {
    let mut rng = OsRng;
    (0..TEMPORARY_LEN)
        .map(|_| char::from(READABLE[rng.gen_range(0..READABLE.len())]))
        .collect()
}

/// Use case: an admin resets a staff member's password. Returns the temporary password, which
/// is shown to the admin once and stored only as its hash; the member's sessions end, and their
/// next login leads to the change of it. An admin changes their own password with
/// [`change_own`] instead, knowing the current one. Another company's user is not found.
pub async fn reset(db: &Db, tenant: TenantId, actor: &AuthUser, id: i64) -> Result<String> {
    if !actor.role.is_admin() {
        return Err(Error::Forbidden);
    }
    if actor.id == id {
        return Err(Error::Unprocessable(
            "Свой пароль меняют в форме «Сменить пароль», зная текущий".into(),
        ));
    }
    let temporary = temporary_password();
    let hash = hash_password_limited(&temporary).await?;
    let mut tx = db.tenant_tx(tenant).await?;
    // Row-Level Security keeps the update to this company's staff.
    sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, must_change_password = true,
                token_version = token_version + 1, updated_at = now()
         WHERE id = $1 RETURNING id",
        id,
        hash
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    tx.commit().await?;
    tracing::info!(user_id = id, by = actor.id, "staff password reset");
    Ok(temporary)
}

/// Use case: the user changes their own password, knowing the current one (or the temporary one
/// an admin gave). The new one follows the registration rule and differs from the current one.
/// Every other session ends; the caller continues with a token for the returned subject. Five
/// wrong current passwords a minute, then `RateLimited`. The platform operator has no company
/// and changes theirs through the command line.
pub async fn change_own(
    state: &AppState,
    user: &AuthUser,
    current: &str,
    new: &str,
) -> Result<TokenSubject> {
    let tenant = user.tenant_id.ok_or(Error::Forbidden)?;
    validate_password(new)?;
    if new == current {
        return Err(Error::validation(
            "Новый пароль должен отличаться от текущего",
        ));
    }
    let key = attempts_key(user);
    if let Some(retry_after) = state.login_limiter.take(&key).await {
        return Err(Error::RateLimited(retry_after));
    }
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let stored = sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::Unauthorized)?;
    drop(tx);
    if verify_password_limited(current, stored.clone()).await? == PasswordCheck::Invalid {
        return Err(Error::validation("Текущий пароль введён неверно"));
    }
    state.login_limiter.give_back(&key).await;
    let hash = hash_password_limited(new).await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    // Only over the hash just verified: a reset made meanwhile wins, not the older password.
    let version = sqlx::query_scalar!(
        "UPDATE users SET password_hash = $3, must_change_password = false,
                token_version = token_version + 1, updated_at = now()
         WHERE id = $1 AND password_hash = $2 RETURNING token_version",
        user.id,
        stored,
        hash
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        Error::Conflict("Пароль только что изменили: войдите заново с новым паролем".into())
    })?;
    tx.commit().await?;
    tracing::info!(user_id = user.id, "password changed by its owner");
    Ok(TokenSubject {
        user_id: user.id,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_readable_random_and_pass_the_rule() {
        let first = temporary_password();
        assert_eq!(first.chars().count(), TEMPORARY_LEN);
        assert!(first.bytes().all(|b| READABLE.contains(&b)), "{first}");
        assert!(!first.contains(['0', 'O', 'o', '1', 'l', 'I', 'i']));
        assert!(validate_password(&first).is_ok());
        assert_ne!(first, temporary_password());
    }
}
