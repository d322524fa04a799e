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
    /// The company v1's single bot belongs to (`TELEGRAM_BOT_TENANT`, a slug); unset: the only
    /// company, when there is one.
    pub telegram_bot_tenant: Option<String>,
    pub telegram_api_url: String,
    /// SMS.ru's API address (`SMSRU_API_URL`; tests point it at a fake).
    pub smsru_api_url: String,
    /// `TELEGRAM_MODE=webhook` with `TELEGRAM_WEBHOOK_BASE_URL`: the public base URL under which
    /// Telegram reaches `/telegram/{tenant id}/webhook` (e.g. `https://example.ru/concierge`).
    /// `None`: long polling (the default).
    pub telegram_webhook_base_url: Option<String>,
    /// The LLM behind the concierge; `None`: the built-in rules answer alone.
    pub ai: Option<AiConfig>,
    /// Where development keys and the local PostgreSQL cluster live.
    pub data_dir: PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, comma-separated IPs).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where the web admin is published when a reverse proxy serves it under a path and strips
    /// that path before passing requests on (`PUBLIC_PATH_PREFIX=/concierge`, as v1 ran behind
    /// nginx): every link, redirect, asset, server function and event stream URL the browser
    /// sees starts with it. Empty (the default): the site root. No trailing slash.
    pub public_path_prefix: String,
    /// Connections of the web server's pool (`DATABASE_POOL_SIZE`). More connections than
    /// PostgreSQL has cores to run them only adds switching: requests wait in the pool instead.
    pub database_pool_size: u32,
    /// Bearer token that opens `/metrics` (`METRICS_TOKEN`). Without it, `/metrics` answers only
    /// direct connections from this machine in development, and nobody in production.
    pub metrics_token: Option<Secret>,
    /// Live streams (SSE, WebSocket) one user may hold open in one process (`STREAMS_PER_USER`).
    pub streams_per_user: u32,
    /// Live streams of one company in one process (`STREAMS_PER_COMPANY`).
    pub streams_per_company: u32,
    /// How often an open stream checks that its session is still valid (`STREAM_RECHECK_SECONDS`,
    /// at most 60): a deactivated user, a blocked company or an expired token stops receiving.
    pub stream_recheck_seconds: u32,
    /// LLM answers of the concierge one company may use a day (`AI_DAILY_CALLS_PER_COMPANY`);
    /// past it the rules answer, and say so. 0: no limit.
    pub ai_daily_calls_per_company: u32,
    /// The platform's SMTP server (`SMTP_*`); `None`: no e-mail.
    pub smtp: Option<super::mail::SmtpConfig>,
    /// Where people reach the web admin from outside (`PUBLIC_URL`, e.g.
    /// `https://example.ru/concierge`), for links in letters. Never taken from a request's
    /// `Host`, which anyone can set. Required in production with SMTP; in development it is the
    /// local site address with the path prefix.
    pub public_url: String,
    /// `OUTBOUND_ALLOW_INTERNAL=true` (or its older name `WEBHOOKS_ALLOW_INTERNAL`): webhooks and a
    /// company's own LLM may go to addresses inside the network (a CRM, 1C or a model on the
    /// shop's own LAN, in an on-premises install). Off by default: in production a URL resolving
    /// to loopback, private or link-local ranges is refused (SSRF).
    pub outbound_allow_internal: bool,
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

    /// Whether `serve` loads the demo data into an empty database by itself: only into the
    /// project-local development cluster (no `DATABASE_URL`). A database given from outside gets
    /// demo accounts, with their public password, only from an explicit `seed-demo`.
    pub fn seeds_demo_automatically(&self) -> bool {
        !self.is_production() && self.database_url.is_none()
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Builds the configuration from a set of variables: the testable core of [`Config::from_env`].
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let vars = Vars(vars);
        let get = |name: &str| vars.get(name);
        let environment = Environment::parse(get("ENVIRONMENT").as_deref());
        let data_dir = PathBuf::from(get("AC_DATA_DIR").unwrap_or_else(|| ".data".into()));
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
            database_url: vars.database_url().map(Secret),
            app_database_url: get("APP_DATABASE_URL").map(Secret),
            redis_url: vars.redis_url().map(Secret),
            secret_key: Secret(secret_key),
            encryption_key: Secret(encryption_key),
            access_token_expire_minutes: vars
                .number("ACCESS_TOKEN_EXPIRE_MINUTES", 480, 1..=60 * 24 * 30)?
                .into(),
            telegram_bot_token: get("TELEGRAM_BOT_TOKEN").map(Secret),
            telegram_bot_tenant: get("TELEGRAM_BOT_TENANT"),
            telegram_api_url: get("TELEGRAM_API_URL")
                .unwrap_or_else(|| "https://api.telegram.org".into()),
            smsru_api_url: get("SMSRU_API_URL").unwrap_or_else(|| "https://sms.ru".into()),
            telegram_webhook_base_url: vars.telegram_webhook_base_url()?,
            ai: ai_config(&get)?,
            data_dir,
            trusted_proxies: vars.trusted_proxies()?,
            public_path_prefix: public_path_prefix(get("PUBLIC_PATH_PREFIX").as_deref())?,
            database_pool_size: vars.number("DATABASE_POOL_SIZE", 10, 1..=500)?,
            metrics_token: vars.metrics_token(environment)?.map(Secret),
            streams_per_user: vars.number("STREAMS_PER_USER", 20, 1..=100_000)?,
            streams_per_company: vars.number("STREAMS_PER_COMPANY", 2_000, 1..=1_000_000)?,
            stream_recheck_seconds: vars.number("STREAM_RECHECK_SECONDS", 60, 1..=60)?,
            ai_daily_calls_per_company: vars.number(
                "AI_DAILY_CALLS_PER_COMPANY",
                2_000,
                0..=10_000_000,
            )?,
            smtp: super::mail::SmtpConfig::from_vars(&get)?,
            public_url: vars.public_url(environment)?,
            outbound_allow_internal: vars.flag("OUTBOUND_ALLOW_INTERNAL")?
                || vars.flag("WEBHOOKS_ALLOW_INTERNAL")?,
        })
    }
}

/// The environment's variables as the configuration reads them: trimmed, and empty as unset.
struct Vars<'a>(&'a HashMap<String, String>);

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// `true`/`1`/`yes` or `false`/`0`/`no`; unset: false.
    fn flag(&self, name: &str) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("false" | "0" | "no") => Ok(false),
            Some("true" | "1" | "yes") => Ok(true),
            Some(other) => Err(ConfigError::Invalid(format!(
                "{name} must be true or false, got {other:?}"
            ))),
        }
    }

    /// A whole number within `range`, `default` when unset.
    fn number(
        &self,
        name: &str,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<u32, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if range.contains(&n) => Ok(n),
                _ => Err(ConfigError::Invalid(format!(
                    "{name} must be a whole number from {} to {}, got {v:?}",
                    range.start(),
                    range.end()
                ))),
            },
        }
    }

    /// `PUBLIC_URL` without a trailing slash; see [`Config::public_url`].
    fn public_url(&self, environment: Environment) -> Result<String, ConfigError> {
        match self.get("PUBLIC_URL") {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Ok(url.trim_end_matches('/').to_string())
            }
            Some(url) => Err(ConfigError::Invalid(format!(
                "PUBLIC_URL must be an http(s) URL such as https://example.ru/concierge, got {url:?}"
            ))),
            None if environment == Environment::Production && self.get("SMTP_HOST").is_some() => {
                Err(ConfigError::Invalid(
                    "SMTP_HOST needs PUBLIC_URL, the address people open the web admin at \
                     (e.g. https://example.ru/concierge): letters carry links to it"
                        .into(),
                ))
            }
            None => {
                let site = self
                    .get("LEPTOS_SITE_ADDR")
                    .unwrap_or_else(|| "127.0.0.1:3000".into());
                let prefix = public_path_prefix(self.get("PUBLIC_PATH_PREFIX").as_deref())?;
                Ok(format!("http://{site}{prefix}"))
            }
        }
    }

    /// `DATABASE_URL`, or v1's `POSTGRES_*` parts.
    fn database_url(&self) -> Option<String> {
        self.get("DATABASE_URL").or_else(|| {
            let server = self.get("POSTGRES_SERVER")?;
            let user = self
                .get("POSTGRES_USER")
                .unwrap_or_else(|| "postgres".into());
            let password = self
                .get("POSTGRES_PASSWORD")
                .map(|p| format!(":{}", url_escape(&p)))
                .unwrap_or_default();
            let port = self.get("POSTGRES_PORT").unwrap_or_else(|| "5432".into());
            let db = self.get("POSTGRES_DB").unwrap_or_else(|| "app".into());
            Some(format!(
                "postgres://{}{password}@{server}:{port}/{db}",
                url_escape(&user)
            ))
        })
    }

    /// `REDIS_URL`, or v1's `REDIS_HOST` and `REDIS_PORT`.
    fn redis_url(&self) -> Option<String> {
        self.get("REDIS_URL").or_else(|| {
            let host = self.get("REDIS_HOST")?;
            let port = self.get("REDIS_PORT").unwrap_or_else(|| "6379".into());
            Some(format!("redis://{host}:{port}"))
        })
    }

    fn trusted_proxies(&self) -> Result<Vec<std::net::IpAddr>, ConfigError> {
        self.get("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| {
                    ConfigError::Invalid(format!("TRUSTED_PROXIES: {s:?} is not an IP address"))
                })
            })
            .collect()
    }

    /// `Some(base URL)` in webhook mode, `None` when the bots poll.
    fn telegram_webhook_base_url(&self) -> Result<Option<String>, ConfigError> {
        let mode = self.get("TELEGRAM_MODE").map(|m| m.to_ascii_lowercase());
        match (mode.as_deref(), self.get("TELEGRAM_WEBHOOK_BASE_URL")) {
            (None | Some("polling"), _) => Ok(None),
            (Some("webhook"), Some(base)) => {
                if !(base.starts_with("https://") || base.starts_with("http://")) {
                    return Err(ConfigError::Invalid(format!(
                        "TELEGRAM_WEBHOOK_BASE_URL must be an http(s) URL, got {base:?}"
                    )));
                }
                Ok(Some(base.trim_end_matches('/').to_string()))
            }
            (Some("webhook"), None) => Err(ConfigError::Invalid(
                "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_BASE_URL, the public URL of this \
                 server (e.g. https://example.ru/concierge)"
                    .into(),
            )),
            (Some(mode), _) => Err(ConfigError::Invalid(format!(
                "TELEGRAM_MODE must be polling or webhook, got {mode:?}"
            ))),
        }
    }

    /// The bearer token of `/metrics`; in production a short one is refused.
    fn metrics_token(&self, environment: Environment) -> Result<Option<String>, ConfigError> {
        let token = self.get("METRICS_TOKEN");
        if environment == Environment::Production && token.as_ref().is_some_and(|t| t.len() < 24) {
            return Err(ConfigError::Invalid(
                "METRICS_TOKEN must be at least 24 characters in production \
                 (e.g. `openssl rand -hex 16`), or unset to close /metrics"
                    .into(),
            ));
        }
        Ok(token)
    }
}

/// `/concierge`, `concierge/` and `/concierge/` all mean `/concierge`; `/` means none. The prefix
/// goes into URLs and HTML attributes as it is, so only URL-safe path characters are accepted.
fn public_path_prefix(value: Option<&str>) -> Result<String, ConfigError> {
    let Some(value) = value else {
        return Ok(String::new());
    };
    let trimmed = value.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let valid = trimmed.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
    });
    if valid {
        Ok(format!("/{trimmed}"))
    } else {
        Err(ConfigError::Invalid(format!(
            "PUBLIC_PATH_PREFIX must be a URL path such as /concierge (letters, digits, - _ . ~ and /), got {value:?}"
        )))
    }
}

/// Which kind of chat API the concierge talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AiProvider {
    /// Any OpenAI-compatible `/chat/completions` (OpenAI, llama.cpp, vLLM, Ollama).
    OpenAi,
    /// Sber's GigaChat: the same chat API behind its own OAuth.
    GigaChat,
}

/// Sber's OAuth address for GigaChat tokens.
pub const GIGACHAT_AUTH_URL: &str = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth";

impl AiProvider {
    pub fn default_base_url(self) -> &'static str {
        match self {
            AiProvider::OpenAi => "https://api.openai.com/v1",
            AiProvider::GigaChat => "https://gigachat.devices.sberbank.ru/api/v1",
        }
    }

    pub fn default_model(self) -> &'static str {
        match self {
            AiProvider::OpenAi => "gpt-4o-mini",
            AiProvider::GigaChat => "GigaChat",
        }
    }
}

#[derive(Clone, Debug)]
pub struct AiConfig {
    pub provider: AiProvider,
    /// Base of the chat API; `/chat/completions` is appended.
    pub base_url: String,
    /// Bearer key of an OpenAI-compatible server (a local one may need none).
    pub api_key: Option<Secret>,
    pub model: String,
    /// The whole LLM answer (token included) must arrive within this, or the rules answer.
    pub timeout: std::time::Duration,
    /// Present exactly when `provider` is GigaChat.
    pub gigachat: Option<GigaChatAuth>,
}

#[derive(Clone, Debug)]
pub struct GigaChatAuth {
    pub auth_url: String,
    /// The `Basic` credentials: `GIGACHAT_AUTH_KEY`, or base64 of `client_id:client_secret`.
    pub credentials: Secret,
    pub scope: String,
    /// Sber's certificates are issued by the Russian national CA, which is in no default
    /// trust store: a PEM bundle with it is added to the trusted roots.
    pub ca_bundle: Option<PathBuf>,
}

/// `AI_PROVIDER` unset: no LLM. Anything else must be complete, so that a typo does not silently
/// turn the AI off.
fn ai_config(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<AiConfig>, ConfigError> {
    let provider = match get("AI_PROVIDER").map(|p| p.to_ascii_lowercase()) {
        // v1 had no AI_PROVIDER: its GigaChat credentials alone turned GigaChat on.
        None if get("GIGACHAT_AUTH_KEY").is_some()
            || (get("GIGACHAT_CLIENT_ID").is_some() && get("GIGACHAT_CLIENT_SECRET").is_some()) =>
        {
            AiProvider::GigaChat
        }
        None => return Ok(None),
        Some(p) if p == "openai" => AiProvider::OpenAi,
        Some(p) if p == "gigachat" => AiProvider::GigaChat,
        Some(p) => {
            return Err(ConfigError::Invalid(format!(
            "AI_PROVIDER must be openai or gigachat (or unset for the built-in rules), got {p:?}"
        )))
        }
    };
    let timeout = match get("AI_TIMEOUT_SECONDS") {
        None => 15,
        Some(v) => match v.parse::<u64>() {
            Ok(s) if (1..=300).contains(&s) => s,
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "AI_TIMEOUT_SECONDS must be a number of seconds between 1 and 300, got {v:?}"
                )))
            }
        },
    };
    let gigachat = match provider {
        AiProvider::OpenAi => None,
        AiProvider::GigaChat => {
            let credentials = match (
                get("GIGACHAT_AUTH_KEY"),
                get("GIGACHAT_CLIENT_ID"),
                get("GIGACHAT_CLIENT_SECRET"),
            ) {
                (Some(key), _, _) => key,
                (None, Some(id), Some(secret)) => {
                    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
                }
                _ => {
                    return Err(ConfigError::Invalid(
                        "AI_PROVIDER=gigachat needs GIGACHAT_AUTH_KEY, or GIGACHAT_CLIENT_ID and GIGACHAT_CLIENT_SECRET"
                            .into(),
                    ))
                }
            };
            Some(GigaChatAuth {
                auth_url: get("GIGACHAT_AUTH_URL").unwrap_or_else(|| GIGACHAT_AUTH_URL.into()),
                credentials: Secret(credentials),
                scope: get("GIGACHAT_SCOPE").unwrap_or_else(|| "GIGACHAT_API_PERS".into()),
                ca_bundle: get("GIGACHAT_CA_BUNDLE").map(PathBuf::from),
            })
        }
    };
    Ok(Some(AiConfig {
        provider,
        base_url: get("AI_BASE_URL")
            .unwrap_or_else(|| provider.default_base_url().into())
            .trim_end_matches('/')
            .to_string(),
        api_key: get("AI_API_KEY").map(Secret),
        model: get("AI_MODEL").unwrap_or_else(|| provider.default_model().into()),
        timeout: std::time::Duration::from_secs(timeout),
        gigachat,
    }))
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
mod tests;
