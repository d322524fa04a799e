//! Webhook mode: Telegram POSTs each update of a company's bot to
//! `/telegram/{tenant id}/webhook` with the secret the supervisor registered
//! (`X-Telegram-Bot-Api-Secret-Token`). The secret is compared in constant time with the
//! company's `telegram_webhook_secret`; anything else gets 401 and nothing is read. The update
//! then goes to the same dialogue as in polling mode.

use std::sync::OnceLock;

use app::domain::{db::TenantId, telegram, AppState};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use subtle::ConstantTimeEq;
use teloxide::{types::Update, Bot};

use super::{
    dialogue,
    poller::{self, redact},
};

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// One HTTP client (and connection pool) for the answers of all bots.
fn client() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| teloxide::net::default_reqwest_settings().build().ok())
        .as_ref()
}

pub async fn receive(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    // An unknown company, a company without a bot and a wrong secret look the same from outside.
    let Ok(tenant) = tenant.parse::<i64>().map(TenantId) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Some(given) = headers.get(SECRET_HEADER).map(|v| v.as_bytes()) else {
        return StatusCode::UNAUTHORIZED;
    };
    let stored = match company_bot(&state, tenant).await {
        Ok(stored) => stored,
        Err(e) => {
            tracing::warn!(tenant = tenant.0, error = %e, "webhook: cannot read the bot");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    };
    let Some(stored) = stored.filter(|stored| sent_by_telegram(stored, given)) else {
        return StatusCode::UNAUTHORIZED;
    };
    let bot = match stored.token(&state.config) {
        Ok(token) => token,
        Err(e) => {
            tracing::error!(tenant = tenant.0, error = %e, "bot token cannot be decrypted");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    };
    let (Some(client), Ok(api_url)) = (
        client(),
        reqwest::Url::parse(&state.config.telegram_api_url),
    ) else {
        tracing::error!("webhook: no HTTP client or TELEGRAM_API_URL is not a URL");
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let update: Update = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(e) => {
            // Telegram would resend a refused update forever; an unreadable one is dropped.
            tracing::warn!(tenant = tenant.0, error = %e, "webhook: not an update");
            return StatusCode::OK;
        }
    };
    let bot = Bot::with_client(bot, client.clone()).set_api_url(api_url);
    if let Err(e) = dialogue::handle(&state, tenant, &bot, update).await {
        let error = redact(&e.to_string(), bot.token());
        tracing::warn!(tenant = tenant.0, %error, "bot update not handled");
        poller::record(&state, tenant, telegram::BotFault::Update, &error).await;
    }
    StatusCode::OK
}

/// Whether the update carries the company's webhook secret (compared in constant time).
fn sent_by_telegram(stored: &telegram::StoredBot, given: &[u8]) -> bool {
    stored
        .webhook_secret
        .as_deref()
        .is_some_and(|secret| !secret.is_empty() && bool::from(secret.as_bytes().ct_eq(given)))
}

/// The company's bot, when it has one.
async fn company_bot(
    state: &AppState,
    tenant: TenantId,
) -> app::domain::Result<Option<telegram::StoredBot>> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let bot = telegram::stored_bot(&mut tx).await?;
    tx.commit().await?;
    Ok(bot)
}
