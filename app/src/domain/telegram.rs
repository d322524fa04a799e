//! The company's Telegram bot connection: the token is checked with the Bot API's `getMe`,
//! stored Fernet-encrypted and never returned; only the bot's @username is shown.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::events::Event;

use super::{
    crypto,
    db::{Db, TenantId, Tx},
    Config, Error, Result,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BotConnection {
    pub connected: bool,
    pub bot_username: Option<String>,
}

#[derive(Deserialize)]
struct GetMe {
    ok: bool,
    result: Option<BotUser>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct BotUser {
    username: Option<String>,
    is_bot: bool,
}

/// `123456:ABC-DEF…`: digits, a colon, and the secret part. Checked before any network call so
/// that garbage never reaches Telegram (nor a URL).
fn plausible(token: &str) -> bool {
    match token.split_once(':') {
        Some((id, secret)) => {
            !id.is_empty()
                && id.chars().all(|c| c.is_ascii_digit())
                && secret.len() >= 20
                && secret
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }
        None => false,
    }
}

/// Asks the Bot API who the token belongs to; returns the bot's username.
pub async fn check_token(config: &Config, token: &str) -> Result<String> {
    let token = token.trim();
    if !plausible(token) {
        return Err(Error::validation(
            "Токен бота выглядит иначе: 123456789:AA… (его выдаёт @BotFather)",
        ));
    }
    let url = format!(
        "{}/bot{token}/getMe",
        config.telegram_api_url.trim_end_matches('/')
    );
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?
        .get(url)
        .send()
        .await
        // The URL holds the token: report the failure without it.
        .map_err(|e| Error::Unavailable(format!("Telegram не отвечает: {}", e.without_url())))?;
    let status = response.status();
    let body: GetMe = response
        .json()
        .await
        .map_err(|_| Error::Unavailable(format!("Telegram ответил непонятно (HTTP {status})")))?;
    match body {
        GetMe {
            ok: true,
            result:
                Some(BotUser {
                    username: Some(username),
                    is_bot: true,
                }),
            ..
        } => Ok(username),
        GetMe { description, .. } => Err(Error::validation(format!(
            "Telegram не принял токен{}",
            description.map(|d| format!(": {d}")).unwrap_or_default()
        ))),
    }
}

/// Why a message did not reach Telegram.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth another try: a network error, 429 (with Telegram's `retry_after`), 5xx.
    #[error("{message}")]
    Temporary {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Telegram refused for good: the user blocked the bot, the chat is gone, the token revoked.
    #[error("{0}")]
    Permanent(String),
}

#[derive(Deserialize)]
struct SendAnswer {
    ok: bool,
    description: Option<String>,
    parameters: Option<SendParameters>,
}

#[derive(Deserialize)]
struct SendParameters {
    retry_after: Option<u64>,
}

/// Sends a plain text message through a bot (`sendMessage`). Used for everything that is not
/// an answer in the dialogue: the worker's notifications and staff replies. Errors never quote
/// the URL, which holds the token.
pub async fn send_message(
    client: &reqwest::Client,
    api_url: &str,
    token: &str,
    chat_id: i64,
    text: &str,
) -> std::result::Result<(), SendError> {
    call(
        client,
        api_url,
        token,
        "sendMessage",
        &serde_json::json!({ "chat_id": chat_id, "text": text }),
    )
    .await
}

/// Downloads a file a user sent the bot: `getFile` gives its path, then the file is read from
/// the Bot API's file URL, at most `limit` bytes. Errors never quote the URLs, which hold the
/// token: `Unavailable` when Telegram does not answer, `NotFound` when it no longer has the file.
pub async fn download(
    client: &reqwest::Client,
    api_url: &str,
    token: &str,
    file_id: &str,
    limit: usize,
) -> Result<Vec<u8>> {
    #[derive(Deserialize)]
    struct FileAnswer {
        ok: bool,
        result: Option<FileInfo>,
    }
    #[derive(Deserialize)]
    struct FileInfo {
        file_path: Option<String>,
    }
    let base = api_url.trim_end_matches('/');
    let unavailable = |e: reqwest::Error| {
        Error::Unavailable(format!("Telegram не отвечает: {}", e.without_url()))
    };
    let answer: FileAnswer = client
        .post(format!("{base}/bot{token}/getFile"))
        .timeout(Duration::from_secs(15))
        .json(&serde_json::json!({ "file_id": file_id }))
        .send()
        .await
        .map_err(unavailable)?
        .json()
        .await
        .map_err(unavailable)?;
    let path = answer
        .result
        .filter(|_| answer.ok)
        .and_then(|f| f.file_path)
        .ok_or(Error::NotFound)?;
    // Telegram's paths are like `photos/file_0.jpg`: nothing that could leave the bot's folder.
    if path.split('/').any(|part| part.is_empty() || part == "..") {
        return Err(Error::NotFound);
    }
    let mut response = client
        .get(format!("{base}/file/bot{token}/{path}"))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .map_err(unavailable)?;
    if !response.status().is_success() {
        return Err(Error::NotFound);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unavailable)? {
        if bytes.len() + chunk.len() > limit {
            return Err(Error::validation(
                "Файл больше 20 МБ: откройте его в Telegram",
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Calls a Bot API method with a JSON body; `Ok` when Telegram answers `{"ok": true}`.
async fn call(
    client: &reqwest::Client,
    api_url: &str,
    token: &str,
    method: &str,
    body: &serde_json::Value,
) -> std::result::Result<(), SendError> {
    let url = format!("{}/bot{token}/{method}", api_url.trim_end_matches('/'));
    let response = client
        .post(url)
        .timeout(Duration::from_secs(15))
        .json(body)
        .send()
        .await
        .map_err(|e| SendError::Temporary {
            message: format!("Telegram не отвечает: {}", e.without_url()),
            retry_after: None,
        })?;
    let status = response.status();
    let answer: Option<SendAnswer> = response.json().await.ok();
    if status.is_success() && answer.as_ref().is_some_and(|a| a.ok) {
        return Ok(());
    }
    let description = answer
        .as_ref()
        .and_then(|a| a.description.clone())
        .unwrap_or_else(|| format!("HTTP {status}"));
    let retry_after = answer
        .and_then(|a| a.parameters)
        .and_then(|p| p.retry_after)
        .map(Duration::from_secs);
    if status.as_u16() == 429 || status.is_server_error() || retry_after.is_some() {
        Err(SendError::Temporary {
            message: format!("Telegram: {description}"),
            retry_after,
        })
    } else {
        Err(SendError::Permanent(format!("Telegram: {description}")))
    }
}

/// Webhook mode: tells Telegram where to deliver the bot's updates, with the secret it must echo.
pub async fn set_webhook(
    client: &reqwest::Client,
    api_url: &str,
    token: &str,
    url: &str,
    secret: &str,
) -> std::result::Result<(), SendError> {
    call(
        client,
        api_url,
        token,
        "setWebhook",
        &serde_json::json!({
            "url": url,
            "secret_token": secret,
            "allowed_updates": ["message", "callback_query"],
        }),
    )
    .await
}

pub async fn delete_webhook(
    client: &reqwest::Client,
    api_url: &str,
    token: &str,
) -> std::result::Result<(), SendError> {
    call(
        client,
        api_url,
        token,
        "deleteWebhook",
        &serde_json::json!({}),
    )
    .await
}

/// A company's connected bot as stored: the token encrypted, and the secret Telegram must send
/// with each webhook update.
pub struct StoredBot {
    /// Compared to notice a new token: a new token is encrypted with a fresh IV, so even the
    /// same token entered again counts as new, which is harmless.
    pub token_enc: String,
    pub webhook_secret: Option<String>,
}

impl StoredBot {
    /// The plain token. Fails when `ENCRYPTION_KEY` changed since the bot was connected (the bot
    /// must then be connected again).
    pub fn token(&self, config: &Config) -> Result<String> {
        crypto::decrypt(config, &self.token_enc)
    }
}

/// This company's bot; `None` when none is connected.
pub async fn stored_bot(tx: &mut Tx) -> Result<Option<StoredBot>> {
    let row = sqlx::query!("SELECT telegram_bot_token_enc, telegram_webhook_secret FROM tenants")
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.and_then(|row| {
        Some(StoredBot {
            token_enc: row.telegram_bot_token_enc?,
            webhook_secret: row.telegram_webhook_secret,
        })
    }))
}

/// Every company's connected bot, for the processes that run the bots (platform level:
/// `platform_bot_tokens()` is the one narrow path to all companies' tokens).
pub async fn connected_bots(db: &Db) -> Result<HashMap<TenantId, StoredBot>> {
    let mut tx = db.platform_tx().await?;
    let rows = sqlx::query!(
        r#"SELECT tenant_id AS "tenant_id!", token_enc AS "token_enc!", webhook_secret
           FROM platform_bot_tokens()"#
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                TenantId(row.tenant_id),
                StoredBot {
                    token_enc: row.token_enc,
                    webhook_secret: row.webhook_secret,
                },
            )
        })
        .collect())
}

/// What went wrong with a company's bot, for `/metrics` and the Settings page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotFault {
    /// A `getUpdates` call failed (network, 5xx, 429, a revoked token).
    Poll,
    /// An update could not be handled.
    Update,
}

/// Counts a bot error of the company and keeps its text (the token already redacted) as the
/// last one, until [`clear_bot_fault`].
pub async fn record_bot_fault(
    db: &Db,
    tenant: TenantId,
    fault: BotFault,
    error: &str,
) -> Result<()> {
    let error: String = error.chars().take(500).collect();
    let mut tx = db.tenant_tx(tenant).await?;
    sqlx::query!(
        "UPDATE tenants SET telegram_poll_errors = telegram_poll_errors + CASE WHEN $1 THEN 1 ELSE 0 END,
                telegram_update_errors = telegram_update_errors + CASE WHEN $1 THEN 0 ELSE 1 END,
                telegram_last_error = $2, telegram_last_error_at = now()",
        fault == BotFault::Poll,
        error
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The bot works again: the last error is no longer shown (the counts stay).
pub async fn clear_bot_fault(db: &Db, tenant: TenantId) -> Result<()> {
    let mut tx = db.tenant_tx(tenant).await?;
    sqlx::query!(
        "UPDATE tenants SET telegram_last_error = NULL, telegram_last_error_at = NULL
         WHERE telegram_last_error IS NOT NULL"
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The bot's last error while it persists: (when, what).
pub async fn bot_fault(tx: &mut Tx) -> Result<Option<(DateTime<Utc>, String)>> {
    let row = sqlx::query!("SELECT telegram_last_error, telegram_last_error_at FROM tenants")
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.and_then(|r| Some((r.telegram_last_error_at?, r.telegram_last_error?))))
}

pub async fn status(tx: &mut Tx) -> Result<BotConnection> {
    let row = sqlx::query!("SELECT telegram_bot_token_enc, telegram_bot_username FROM tenants")
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(BotConnection {
        connected: row.telegram_bot_token_enc.is_some(),
        bot_username: row.telegram_bot_token_enc.and(row.telegram_bot_username),
    })
}

/// Stores a checked token (encrypted) with a fresh webhook secret.
pub async fn connect(
    tx: &mut Tx,
    config: &Config,
    token: &str,
    username: &str,
) -> Result<BotConnection> {
    let encrypted = crypto::encrypt(config, token.trim())?;
    let mut secret = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut secret);
    let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query!(
        "UPDATE tenants SET telegram_bot_token_enc = $1, telegram_bot_username = $2, telegram_webhook_secret = $3,
                updated_at = now()",
        encrypted,
        username,
        secret
    )
    .execute(&mut **tx)
    .await?;
    Ok(BotConnection {
        connected: true,
        bot_username: Some(username.to_string()),
    })
}

/// Use case: an admin connects the company's bot (REST API, Settings). The token is checked with
/// the Bot API's `getMe` first — outside any transaction, so no connection waits on Telegram —
/// then stored encrypted; `tenant.telegram_updated` once committed. The running bot processes
/// pick it up at their next round.
pub async fn connect_bot(
    state: &super::AppState,
    tenant: super::db::TenantId,
    token: &str,
) -> Result<BotConnection> {
    let username = check_token(&state.config, token).await?;
    let mut work = super::work::Work::begin(&state.db, tenant).await?;
    let connection = connect(work.tx(), &state.config, token, &username).await?;
    work.publish(Event::TelegramUpdated(&connection))?;
    work.commit(&state.events).await?;
    Ok(connection)
}

/// Use case: an admin removes the company's bot; `tenant.telegram_updated` once committed.
pub async fn disconnect_bot(
    state: &super::AppState,
    tenant: super::db::TenantId,
) -> Result<BotConnection> {
    let mut work = super::work::Work::begin(&state.db, tenant).await?;
    let connection = disconnect(work.tx()).await?;
    work.publish(Event::TelegramUpdated(&connection))?;
    work.commit(&state.events).await?;
    Ok(connection)
}

pub async fn disconnect(tx: &mut Tx) -> Result<BotConnection> {
    sqlx::query!(
        "UPDATE tenants SET telegram_bot_token_enc = NULL, telegram_bot_username = NULL,
                telegram_webhook_secret = NULL, updated_at = now()"
    )
    .execute(&mut **tx)
    .await?;
    Ok(BotConnection {
        connected: false,
        bot_username: None,
    })
}

#[cfg(test)]
mod tests {
    use super::plausible;

    #[test]
    fn token_shape() {
        assert!(plausible("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!plausible("123456789"));
        assert!(!plausible("abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!plausible("123:short"));
        assert!(!plausible("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALD/../x"));
    }
}
