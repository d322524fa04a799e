//! Typed configuration from the environment (and `.env`, loaded by the binary before this runs).
//! v1's variable names are accepted; `DATABASE_URL` and `REDIS_URL` take precedence over them.

use std::{collections::HashMap, fmt, path::PathBuf};

use base64::{engine::general_purpose::URL_SAFE, Engine as _};
use rand::RngCore;

/// Minimum length of `SECRET_KEY`, the JWT signing key (HS256 wants at least 256 bits).
pub const MIN_SECRET_KEY_LEN: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    /// Anything that is not explicitly a development setting is treated as production, so a
    /// staging or mistyped value gets the strict checks rather than generated keys.
    fn parse(value: Option<&str>) -> Self {
        match value.map(|v| v.trim().to_ascii_lowercase()) {
            None => Environment::Development,
            Some(v)
                if v.is_empty()
                    || ["development", "dev", "local", "test"].contains(&v.as_str()) =>
            {
                Environment::Development
            }
            Some(_) => Environment::Production,
        }
    }
}

/// A configuration value that must not be printed: `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub environment: Environment,
    /// Owner connection (migrations, CLI). `None`: use the project-local cluster in `data_dir`.
    pub database_url: Option<Secret>,
    /// Connection of the runtime role. `None`: the owner connection switches to it with `SET ROLE`.
    pub app_database_url: Option<Secret>,
    pub redis_url: Option<Secret>,
    pub secret_key: Secret,
    pub encryption_key: Secret,
    pub access_token_expire_minutes: i64,
    /// v1's single bot token; multi-tenant bots keep theirs in the database.
    pub telegram_bot_token: Option<Secret>,
    pub telegram_api_url: String,
    pub gigachat_client_id: Option<String>,
    pub gigachat_client_secret: Option<Secret>,
    /// Where development keys and the local PostgreSQL cluster live.
    pub data_dir: PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, comma-separated IPs).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Builds the configuration from a set of variables: the testable core of [`Config::from_env`].
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let environment = Environment::parse(get("ENVIRONMENT").as_deref());
        let data_dir = PathBuf::from(get("AC_DATA_DIR").unwrap_or_else(|| ".data".into()));

        let database_url = get("DATABASE_URL").or_else(|| {
            let server = get("POSTGRES_SERVER")?;
            let user = get("POSTGRES_USER").unwrap_or_else(|| "postgres".into());
            let password = get("POSTGRES_PASSWORD")
                .map(|p| format!(":{}", url_escape(&p)))
                .unwrap_or_default();
            let port = get("POSTGRES_PORT").unwrap_or_else(|| "5432".into());
            let db = get("POSTGRES_DB").unwrap_or_else(|| "app".into());
            Some(format!(
                "postgres://{}{password}@{server}:{port}/{db}",
                url_escape(&user)
            ))
        });
        let redis_url = get("REDIS_URL").or_else(|| {
            let host = get("REDIS_HOST")?;
            let port = get("REDIS_PORT").unwrap_or_else(|| "6379".into());
            Some(format!("redis://{host}:{port}"))
        });

        let access_token_expire_minutes = match get("ACCESS_TOKEN_EXPIRE_MINUTES") {
            None => 480,
            Some(v) => match v.parse::<i64>() {
                Ok(m) if (1..=60 * 24 * 30).contains(&m) => m,
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "ACCESS_TOKEN_EXPIRE_MINUTES must be a number of minutes between 1 and 43200, got {v:?}"
                    )))
                }
            },
        };

        let trusted_proxies = get("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| {
                    ConfigError::Invalid(format!("TRUSTED_PROXIES: {s:?} is not an IP address"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let (secret_key, encryption_key) = match environment {
            Environment::Production => (
                production_secret_key(get("SECRET_KEY"))?,
                production_encryption_key(get("ENCRYPTION_KEY"))?,
            ),
            Environment::Development => {
                development_keys(&data_dir, get("SECRET_KEY"), get("ENCRYPTION_KEY"))?
            }
        };

        Ok(Config {
            environment,
            database_url: database_url.map(Secret),
            app_database_url: get("APP_DATABASE_URL").map(Secret),
            redis_url: redis_url.map(Secret),
            secret_key: Secret(secret_key),
            encryption_key: Secret(encryption_key),
            access_token_expire_minutes,
            telegram_bot_token: get("TELEGRAM_BOT_TOKEN").map(Secret),
            telegram_api_url: get("TELEGRAM_API_URL")
                .unwrap_or_else(|| "https://api.telegram.org".into()),
            gigachat_client_id: get("GIGACHAT_CLIENT_ID"),
            gigachat_client_secret: get("GIGACHAT_CLIENT_SECRET").map(Secret),
            data_dir,
            trusted_proxies,
        })
    }
}

fn production_secret_key(value: Option<String>) -> Result<String, ConfigError> {
    match value {
        Some(key) if key.chars().count() >= MIN_SECRET_KEY_LEN => Ok(key),
        Some(key) => Err(ConfigError::Invalid(format!(
            "SECRET_KEY is too short ({} characters, at least {MIN_SECRET_KEY_LEN} are required in production). \
             Generate one with: openssl rand -hex 32",
            key.chars().count()
        ))),
        None => Err(ConfigError::Invalid(format!(
            "SECRET_KEY is not set; production needs a random key of at least {MIN_SECRET_KEY_LEN} characters. \
             Generate one with: openssl rand -hex 32"
        ))),
    }
}

fn production_encryption_key(value: Option<String>) -> Result<String, ConfigError> {
    const HOW: &str = "Generate one with: openssl rand -base64 32 | tr '+/' '-_' \
                       (or python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')";
    match value {
        Some(key) if is_fernet_key(&key) => Ok(key),
        Some(_) => Err(ConfigError::Invalid(format!(
            "ENCRYPTION_KEY is not a valid Fernet key (url-safe base64 of exactly 32 bytes). {HOW}"
        ))),
        None => Err(ConfigError::Invalid(format!(
            "ENCRYPTION_KEY is not set; production needs a Fernet key to encrypt bot tokens. {HOW}"
        ))),
    }
}

/// A Fernet key is 32 random bytes in url-safe base64 (44 characters with padding).
pub fn is_fernet_key(key: &str) -> bool {
    fernet::Fernet::new(key).is_some()
}

/// In development missing keys are generated once and kept in the data directory, so sessions
/// and encrypted tokens survive restarts; given ones are used as they are.
fn development_keys(
    data_dir: &std::path::Path,
    secret_key: Option<String>,
    encryption_key: Option<String>,
) -> Result<(String, String), ConfigError> {
    let secret_key = match secret_key {
        Some(k) => k,
        None => stored_key(data_dir, "secret_key", || {
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })?,
    };
    let encryption_key =
        match encryption_key {
            Some(k) if is_fernet_key(&k) => k,
            Some(_) => return Err(ConfigError::Invalid(
                "ENCRYPTION_KEY is not a valid Fernet key (url-safe base64 of exactly 32 bytes); \
                 unset it in development to have one generated"
                    .into(),
            )),
            None => stored_key(data_dir, "encryption_key", || {
                let mut bytes = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut bytes);
                URL_SAFE.encode(bytes)
            })?,
        };
    Ok((secret_key, encryption_key))
}

fn stored_key(
    data_dir: &std::path::Path,
    name: &str,
    generate: impl FnOnce() -> String,
) -> Result<String, ConfigError> {
    let path = data_dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if !existing.is_empty() {
            return Ok(existing);
        }
    }
    let io_err =
        |e: std::io::Error| ConfigError::Invalid(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(data_dir).map_err(io_err)?;
    let key = generate();
    write_private(&path, &key).map_err(io_err)?;
    tracing::warn!(
        path = %path.display(),
        "{} was not set: generated a development key and stored it; production must set it explicitly",
        name.to_uppercase()
    );
    Ok(key)
}

/// Writes a file readable by its owner only.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FERNET: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ac-config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn production_requires_a_long_secret_key() {
        let err = Config::from_vars(&vars(&[
            ("ENVIRONMENT", "production"),
            ("ENCRYPTION_KEY", FERNET),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("SECRET_KEY is not set"), "{err}");
        assert!(err.contains("openssl rand"), "{err}");

        let err = Config::from_vars(&vars(&[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", "short"),
            ("ENCRYPTION_KEY", FERNET),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("SECRET_KEY is too short (5 characters"),
            "{err}"
        );
    }

    #[test]
    fn production_requires_a_fernet_encryption_key() {
        let secret = "x".repeat(32);
        for bad in ["", "not-base64!", "c2hvcnQ=", &URL_SAFE.encode([0u8; 31])] {
            let err = Config::from_vars(&vars(&[
                ("ENVIRONMENT", "production"),
                ("SECRET_KEY", &secret),
                ("ENCRYPTION_KEY", bad),
            ]))
            .unwrap_err()
            .to_string();
            assert!(err.contains("ENCRYPTION_KEY"), "{bad:?}: {err}");
        }
        let ok = Config::from_vars(&vars(&[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", &secret),
            ("ENCRYPTION_KEY", FERNET),
        ]))
        .unwrap();
        assert!(ok.is_production());
        assert_eq!(ok.secret_key.expose(), secret);
    }

    #[test]
    fn unknown_environment_is_strict() {
        let err = Config::from_vars(&vars(&[("ENVIRONMENT", "staging")])).unwrap_err();
        assert!(err.to_string().contains("SECRET_KEY"));
    }

    #[test]
    fn development_generates_keys_once_and_keeps_them() {
        let dir = temp_dir("dev-keys");
        let v = vars(&[("AC_DATA_DIR", dir.to_str().unwrap())]);
        let first = Config::from_vars(&v).unwrap();
        assert!(!first.is_production());
        assert!(first.secret_key.expose().len() >= MIN_SECRET_KEY_LEN);
        assert!(is_fernet_key(first.encryption_key.expose()));
        let second = Config::from_vars(&v).unwrap();
        assert_eq!(first.secret_key, second.secret_key);
        assert_eq!(first.encryption_key, second.encryption_key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("secret_key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "key file must be private");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn v1_variable_names_build_urls_and_explicit_urls_win() {
        let dir = temp_dir("v1-names");
        let d = dir.to_str().unwrap();
        let c = Config::from_vars(&vars(&[
            ("AC_DATA_DIR", d),
            ("POSTGRES_SERVER", "db"),
            ("POSTGRES_USER", "svc"),
            ("POSTGRES_PASSWORD", "p@ss word"),
            ("POSTGRES_DB", "autoservice"),
            ("REDIS_HOST", "redis"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "60"),
            ("SECRET_KEY", "s"),
        ]))
        .unwrap();
        assert_eq!(
            c.database_url.unwrap().expose(),
            "postgres://svc:p%40ss%20word@db:5432/autoservice"
        );
        assert_eq!(c.redis_url.unwrap().expose(), "redis://redis:6379");
        assert_eq!(c.access_token_expire_minutes, 60);

        let c = Config::from_vars(&vars(&[
            ("AC_DATA_DIR", d),
            ("POSTGRES_SERVER", "db"),
            ("DATABASE_URL", "postgres://x@h/y"),
            ("REDIS_HOST", "redis"),
            ("REDIS_URL", "redis://other:1"),
        ]))
        .unwrap();
        assert_eq!(c.database_url.unwrap().expose(), "postgres://x@h/y");
        assert_eq!(c.redis_url.unwrap().expose(), "redis://other:1");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_expiry_is_refused_and_secrets_are_not_printed() {
        let dir = temp_dir("expiry");
        let d = dir.to_str().unwrap();
        let err = Config::from_vars(&vars(&[
            ("AC_DATA_DIR", d),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "soon"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("ACCESS_TOKEN_EXPIRE_MINUTES"));
        let c = Config::from_vars(&vars(&[
            ("AC_DATA_DIR", d),
            ("SECRET_KEY", "super-secret-value"),
        ]))
        .unwrap();
        assert!(!format!("{c:?}").contains("super-secret-value"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
