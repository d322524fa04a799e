//! One company's long-polling loop. Errors of the Bot API (a revoked token, 429, 5xx, timeouts)
//! are logged, counted for the company (`/metrics`, the Settings page) and retried with growing
//! pauses; they never end the loop, so they never touch
//! other companies' bots. The loop ends when the supervisor stops it (the bot was removed, its
//! token changed, the bot lock was lost, or the process shuts down), never in the middle of an
//! update.

use std::time::Duration;

use app::domain::{
    db::TenantId,
    telegram::{self, BotFault},
    AppState,
};
use teloxide::{prelude::*, types::AllowedUpdate, RequestError};
use tokio::sync::oneshot;

use super::dialogue;

/// Seconds Telegram holds a `getUpdates` call open when nothing arrives; below the HTTP
/// client's 17-second timeout.
const LONG_POLL_SECONDS: u32 = 10;
const MAX_BACKOFF: Duration = Duration::from_secs(60);

pub async fn run(state: AppState, tenant: TenantId, bot: Bot, mut stop: oneshot::Receiver<()>) {
    let mut offset: Option<i32> = None;
    let mut backoff = Duration::from_secs(1);
    // An error is recorded (for `/metrics` and the Settings page); set while it lasts.
    let mut failing = false;
    // A webhook left from webhook mode makes Telegram refuse `getUpdates`; polling replaces it.
    if let Err(e) = bot.delete_webhook().await {
        tracing::warn!(tenant = tenant.0, error = %redact(&e.to_string(), bot.token()), "deleteWebhook failed");
    }
    loop {
        let mut request = bot
            .get_updates()
            .timeout(LONG_POLL_SECONDS)
            .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        let result = tokio::select! {
            _ = &mut stop => return confirm(&bot, tenant, offset).await,
            result = request.send() => result,
        };
        let pause = match result {
            Ok(updates) => {
                backoff = Duration::from_secs(1);
                if std::mem::take(&mut failing) {
                    if let Err(e) = telegram::clear_bot_fault(&state.db, tenant).await {
                        tracing::warn!(tenant = tenant.0, error = %e, "bot: the error could not be cleared");
                    }
                }
                for update in updates {
                    // Confirmed at the next call: a crash mid-update gets it again. Telegram's
                    // update ids are signed 32-bit numbers.
                    offset = Some((update.id.0 as i32).saturating_add(1));
                    if let Err(e) = dialogue::handle(&state, tenant, &bot, update).await {
                        let error = redact(&e.to_string(), bot.token());
                        tracing::warn!(tenant = tenant.0, %error, "bot update not handled");
                        record(&state, tenant, BotFault::Update, &error).await;
                    }
                }
                continue;
            }
            Err(RequestError::RetryAfter(seconds)) => {
                tracing::warn!(
                    tenant = tenant.0,
                    seconds = seconds.seconds(),
                    "Bot API: too many requests"
                );
                failing = true;
                let error = format!("Telegram просит подождать {} с (429)", seconds.seconds());
                record(&state, tenant, BotFault::Poll, &error).await;
                seconds.duration()
            }
            Err(e) => {
                let error = redact(&e.to_string(), bot.token());
                tracing::warn!(tenant = tenant.0, %error, retry_in = ?backoff, "Bot API getUpdates failed");
                failing = true;
                record(&state, tenant, BotFault::Poll, &error).await;
                let pause = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                pause
            }
        };
        tokio::select! {
            _ = &mut stop => return confirm(&bot, tenant, offset).await,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// Tells Telegram that the updates before `offset` were handled. Otherwise they would be
/// confirmed only by this poller's next `getUpdates`, which never comes: after a restart (or in
/// the process taking the bot over) they would be handled, and answered, a second time. An
/// update this call returns is not confirmed by it and comes again to the next poller.
async fn confirm(bot: &Bot, tenant: TenantId, offset: Option<i32>) {
    let Some(offset) = offset else {
        return;
    };
    let confirmed = bot.get_updates().offset(offset).timeout(0).limit(1).send();
    if let Err(e) = tokio::time::timeout(Duration::from_secs(5), confirmed)
        .await
        .unwrap_or(Ok(Vec::new()))
    {
        tracing::warn!(tenant = tenant.0, error = %redact(&e.to_string(), bot.token()), "handled updates not confirmed");
    }
}

/// Keeps the error for `/metrics` and the Settings page; a database that cannot take it is
/// logged and polling goes on.
pub async fn record(state: &AppState, tenant: TenantId, fault: BotFault, error: &str) {
    if let Err(e) = telegram::record_bot_fault(&state.db, tenant, fault, error).await {
        tracing::warn!(tenant = tenant.0, error = %e, "bot: the error could not be recorded");
    }
}

/// Network errors quote the request URL, which holds the token.
pub fn redact(message: &str, token: &str) -> String {
    message.replace(token, "<token>")
}
