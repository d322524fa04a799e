//! Authentication: password hashes (argon2id; v1's bcrypt accepted and upgraded), JWT access
//! tokens (HS256), and who the caller is.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        LazyLock,
    },
    time::Duration,
};

use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::{
    config::Config,
    db::{TenantId, Tx},
    Db, Error, Result,
};

pub use crate::model::Role;

/// The authenticated caller, as loaded from the database for each request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuthUser {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub tenant_id: Option<TenantId>,
    pub is_active: bool,
    /// The version of the user's access that valid tokens carry (see [`TokenSubject`]).
    pub token_version: i32,
    /// Logged in with a temporary password an admin gave: until they set their own, they may
    /// only see who they are and change it (see [`super::passwords`]).
    pub must_change_password: bool,
}

/// Password hashes computed at once, at most one per core: each argon2id run takes ~19 MiB and a
/// core for tens of milliseconds, so unbounded parallel logins would exhaust memory and starve
/// every other request. Beyond it a request waits up to [`HASHING_WAIT`], then is refused
/// (`RateLimited`, 429 with `Retry-After`).
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
});
const HASHING_WAIT: Duration = Duration::from_secs(1);
/// Password verifications since the process started (`/metrics`).
static PASSWORD_CHECKS: AtomicU64 = AtomicU64::new(0);

/// How many passwords this process has verified (`auto_concierge_password_checks_total`).
pub fn password_checks() -> u64 {
    PASSWORD_CHECKS.load(Ordering::Relaxed)
}

/// Runs `work` (hashing) on a blocking thread once a hashing slot is free.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _slot = tokio::time::timeout(HASHING_WAIT, HASHING.acquire())
        .await
        .map_err(|_| Error::RateLimited(Duration::from_secs(1)))?
        .map_err(|e| Error::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// [`hash_password`] off the async threads, within the hashing limit.
pub async fn hash_password_limited(password: &str) -> Result<String> {
    let password = password.to_string();
    hashing(move || hash_password(&password)).await?
}

/// [`verify_password`] off the async threads, within the hashing limit.
pub(crate) async fn verify_password_limited(password: &str, hash: String) -> Result<PasswordCheck> {
    let password = password.to_string();
    hashing(move || {
        PASSWORD_CHECKS.fetch_add(1, Ordering::Relaxed);
        verify_password(&password, &hash)
    })
    .await
}

/// Hashes a password with argon2id (the crate's defaults follow OWASP's recommendation).
/// CPU-heavy: call it from a blocking task on request paths.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

#[derive(Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    Valid { needs_rehash: bool },
    Invalid,
}

/// Verifies a password against an argon2 hash or a v1 bcrypt hash (`$2a$`/`$2b$`/`$2y$`).
/// A bcrypt match asks for a re-hash, so v1 accounts move to argon2id on their next login.
pub fn verify_password(password: &str, stored_hash: &str) -> PasswordCheck {
    if stored_hash.starts_with("$2") {
        return match bcrypt::verify(password, stored_hash) {
            Ok(true) => PasswordCheck::Valid { needs_rehash: true },
            _ => PasswordCheck::Invalid,
        };
    }
    match PasswordHash::new(stored_hash) {
        Ok(parsed)
            if Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok() =>
        {
            PasswordCheck::Valid {
                needs_rehash: parsed.algorithm.as_str() != "argon2id",
            }
        }
        _ => PasswordCheck::Invalid,
    }
}

/// Claims of an access token. `sub` is the user id, as in v1 (FastAPI's template).
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    /// The user's `token_version` when the token was issued: deactivating the user or changing
    /// their role moves it on, and every older token stops working. v1's tokens have none (0).
    #[serde(default)]
    pub ver: i32,
}

/// Whom a verified token names, and which version of their access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: i64,
    pub version: i32,
}

pub fn issue_token(config: &Config, user_id: i64, version: i32) -> Result<String> {
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: user_id.to_string(),
        iat: now,
        exp: now + config.access_token_expire_minutes * 60,
        ver: version,
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(config.secret_key.expose().as_bytes()),
    )
    .map_err(|e| Error::Internal(format!("token signing failed: {e}")))
}

/// Decodes and checks a token: HS256 only (an `alg` of `none` or any other is refused),
/// a valid signature, not expired.
pub fn decode_token(config: &Config, token: &str) -> Result<TokenSubject> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = decode::<Claims>(
        token,
        &DecodingKey::from_secret(config.secret_key.expose().as_bytes()),
        &validation,
    )
    .map_err(|_| Error::Unauthorized)?;
    Ok(TokenSubject {
        user_id: data.claims.sub.parse().map_err(|_| Error::Unauthorized)?,
        version: data.claims.ver,
    })
}

struct LoginRow {
    user_id: i64,
    password_hash: String,
    is_active: bool,
    tenant_active: bool,
}

/// A valid argon2id hash of nothing in particular: verified against when the e-mail is unknown,
/// so that a wrong e-mail takes as long as a wrong password and does not reveal who has an account.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0X1n7nYbkxcjeZmk0zT5ND5rDRNgMhb8KfZKkkxQlBk";

/// Checks e-mail and password; returns the user's id. Inactive users and users of a blocked
/// tenant are refused like a wrong password.
pub async fn authenticate(db: &Db, email: &str, password: &str) -> Result<TokenSubject> {
    let mut tx = db.platform_tx().await?;
    let row = sqlx::query_as!(
        LoginRow,
        r#"SELECT user_id AS "user_id!", password_hash AS "password_hash!",
                  is_active AS "is_active!", tenant_active AS "tenant_active!"
           FROM platform_find_login($1)"#,
        email.trim()
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;

    let hash = row
        .as_ref()
        .map_or(DUMMY_HASH, |r| r.password_hash.as_str())
        .to_string();
    let check = verify_password_limited(password, hash).await?;

    let row = match (row, check) {
        (Some(row), PasswordCheck::Valid { needs_rehash })
            if row.is_active && row.tenant_active =>
        {
            if needs_rehash {
                upgrade_hash(db, &row, password).await;
            }
            row
        }
        _ => return Err(Error::InvalidCredentials),
    };
    // The version the new token carries, and the login Settings shows.
    let user = load_user(db, row.user_id).await?;
    sqlx::query!("SELECT platform_record_login($1)", row.user_id)
        .execute(db.pool())
        .await?;
    Ok(TokenSubject {
        user_id: user.id,
        version: user.token_version,
    })
}

/// Replaces a v1 bcrypt hash with argon2id. A failure here must not fail the login.
async fn upgrade_hash(db: &Db, row: &LoginRow, password: &str) {
    let Ok(new_hash) = hash_password_limited(password).await else {
        return;
    };
    let result = sqlx::query_scalar!(
        "SELECT platform_update_password_hash($1, $2, $3)",
        row.user_id,
        row.password_hash,
        new_hash
    )
    .fetch_one(db.pool())
    .await;
    match result {
        Ok(_) => tracing::info!(
            user_id = row.user_id,
            "upgraded a v1 bcrypt password hash to argon2id"
        ),
        Err(e) => {
            tracing::warn!(user_id = row.user_id, error = %e, "could not upgrade password hash")
        }
    }
}

struct UserRow {
    id: i64,
    email: String,
    full_name: String,
    role: String,
    tenant_id: Option<i64>,
    is_active: bool,
    tenant_active: bool,
    token_version: i32,
    must_change_password: bool,
}

impl UserRow {
    /// Unknown or inactive users (or users of a blocked tenant) are unauthorized.
    fn into_user(row: Option<UserRow>) -> Result<AuthUser> {
        match row {
            Some(row) if row.is_active && row.tenant_active => Ok(AuthUser {
                id: row.id,
                email: row.email,
                full_name: row.full_name,
                role: Role::parse(&row.role).ok_or(Error::Unauthorized)?,
                tenant_id: row.tenant_id.map(TenantId),
                is_active: row.is_active,
                token_version: row.token_version,
                must_change_password: row.must_change_password,
            }),
            _ => Err(Error::Unauthorized),
        }
    }
}

/// Loads the user a verified token names, outside any transaction (long-lived event streams).
/// The tenant is not known before the user is, so this goes through the narrow `platform_user`
/// function.
pub async fn load_user(db: &Db, user_id: i64) -> Result<AuthUser> {
    let row = sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id!", email AS "email!", full_name AS "full_name!", role AS "role!",
                  tenant_id, is_active AS "is_active!", tenant_active AS "tenant_active!",
                  token_version AS "token_version!",
                  must_change_password AS "must_change_password!"
           FROM platform_user($1)"#,
        user_id
    )
    .fetch_optional(db.pool())
    .await?;
    UserRow::into_user(row)
}

/// The user a verified token names, if the token is still of their current access (a token
/// issued before a deactivation or a role change is refused).
pub async fn load_token_user(db: &Db, subject: TokenSubject) -> Result<AuthUser> {
    let user = load_user(db, subject.user_id).await?;
    if user.token_version != subject.version {
        return Err(Error::Unauthorized);
    }
    Ok(user)
}

/// Loads the user a verified token names inside a fresh transaction, and in the same statement
/// scopes that transaction to the user's company (transaction-local, as
/// [`super::db::scope_to_tenant`] does), so a request costs one round trip less. A user without
/// a company leaves a transaction that sees no tenant rows.
pub async fn scope_to_user(tx: &mut Tx, subject: TokenSubject) -> Result<AuthUser> {
    let row = sqlx::query!(
        r#"SELECT id AS "id!", email AS "email!", full_name AS "full_name!", role AS "role!",
                  tenant_id, is_active AS "is_active!", tenant_active AS "tenant_active!",
                  token_version AS "token_version!",
                  must_change_password AS "must_change_password!",
                  set_config('app.current_tenant_id', coalesce(tenant_id::text, ''), true) AS scope
           FROM platform_user($1)"#,
        subject.user_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    let user = UserRow::into_user(row.map(|row| UserRow {
        id: row.id,
        email: row.email,
        full_name: row.full_name,
        role: row.role,
        tenant_id: row.tenant_id,
        is_active: row.is_active,
        tenant_active: row.tenant_active,
        token_version: row.token_version,
        must_change_password: row.must_change_password,
    }))?;
    if user.token_version != subject.version {
        return Err(Error::Unauthorized);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config() -> Config {
        let vars: HashMap<String, String> = [
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            (
                "ENCRYPTION_KEY",
                "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Config::from_vars(&vars).unwrap()
    }

    #[test]
    fn argon2_round_trip() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(
            verify_password("correct horse", &hash),
            PasswordCheck::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(verify_password("wrong", &hash), PasswordCheck::Invalid);
        assert_eq!(verify_password("x", "garbage"), PasswordCheck::Invalid);
    }

    #[test]
    fn v1_bcrypt_hashes_verify_and_ask_for_rehash() {
        let v1 = bcrypt::hash("demo-password", 4).unwrap();
        assert_eq!(
            verify_password("demo-password", &v1),
            PasswordCheck::Valid { needs_rehash: true }
        );
        assert_eq!(verify_password("other", &v1), PasswordCheck::Invalid);
    }

    #[test]
    fn dummy_hash_is_a_real_argon2id_hash() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert_eq!(
            verify_password("anything", DUMMY_HASH),
            PasswordCheck::Invalid
        );
    }

    #[test]
    fn tokens_round_trip_and_foreign_tokens_are_refused() {
        let config = config();
        let token = issue_token(&config, 42, 3).unwrap();
        assert_eq!(
            decode_token(&config, &token).unwrap(),
            TokenSubject {
                user_id: 42,
                version: 3
            }
        );

        // Another key.
        let other = encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                sub: "42".into(),
                iat: 0,
                exp: Utc::now().timestamp() + 60,
                ver: 0,
            },
            &EncodingKey::from_secret(b"another-secret-another-secret-xx"),
        )
        .unwrap();
        assert!(decode_token(&config, &other).is_err());

        // Another algorithm with the right key.
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &Claims {
                sub: "42".into(),
                iat: 0,
                exp: Utc::now().timestamp() + 60,
                ver: 0,
            },
            &EncodingKey::from_secret(config.secret_key.expose().as_bytes()),
        )
        .unwrap();
        assert!(decode_token(&config, &hs512).is_err());

        // alg=none: header and claims without a signature.
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(format!(
                r#"{{"sub":"42","iat":0,"exp":{}}}"#,
                Utc::now().timestamp() + 60
            ))
        );
        assert!(decode_token(&config, &none).is_err());

        // Expired.
        let expired = encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                sub: "42".into(),
                iat: 0,
                exp: Utc::now().timestamp() - 5,
                ver: 0,
            },
            &EncodingKey::from_secret(config.secret_key.expose().as_bytes()),
        )
        .unwrap();
        assert!(decode_token(&config, &expired).is_err());
    }
}
