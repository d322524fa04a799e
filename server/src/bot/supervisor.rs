//! Which bots this process polls. Every [`INTERVAL`] the supervisor reads the connected bots
//! (`platform_bot_tokens()`), starts a poller for a new token, replaces one whose token changed
//! and stops one whose token was removed, so connecting a bot in the admin needs no restart.
//!
//! In webhook mode (`TELEGRAM_MODE=webhook`) nothing is polled: the supervisor registers each
//! bot's webhook (`setWebhook` with the company's secret token) when the bot appears or its
//! token changes, and removes it when the bot is removed; the updates arrive at
//! `POST /telegram/{tenant id}/webhook` (`super::webhook`) on any `serve` process.
//!
//! Telegram allows one `getUpdates` consumer per bot, and several server processes may run: a
//! poller runs only while its process holds a session-level advisory lock on the company, taken
//! on a connection of its own. When the poller stops or the process dies the connection closes,
//! the lock is released and another process takes the bot over at its next round.

use std::{collections::HashMap, time::Duration};

use app::domain::{crypto, db::TenantId, telegram, AppState, Error, Result};
use sqlx::{Connection, PgConnection};
use teloxide::Bot;
use tokio::{sync::oneshot, task::JoinHandle};

use super::poller;

/// How often the set of bots is re-read; also the longest a takeover waits.
const INTERVAL: Duration = Duration::from_secs(3);

/// First key of the advisory lock (the second is the tenant id). A fixed number that no other
/// part of the application uses for its locks.
const BOT_LOCK_CLASS: i32 = 0x0B07;

/// A running poller. Dropping `stop` tells it to finish the update in hand and end.
struct Running {
    token_enc: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// Starts the supervisor in the background (for `serve`).
pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(run(state))
}

/// Runs until the process ends (the `bot` command awaits it).
pub async fn run(state: AppState) {
    let api_url = match reqwest::Url::parse(&state.config.telegram_api_url) {
        Ok(url) => url,
        Err(e) => {
            tracing::error!(error = %e, "TELEGRAM_API_URL is not a URL: the bots do not run");
            return;
        }
    };
    // One HTTP client (and connection pool) for all bots, with teloxide's timeouts, which
    // are longer than a long poll.
    let client = match teloxide::net::default_reqwest_settings().build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client for the Bot API: the bots do not run");
            return;
        }
    };
    let mut supervisor = Supervisor {
        state,
        api_url,
        client,
        running: HashMap::new(),
        unreadable: HashMap::new(),
        webhooks: HashMap::new(),
    };
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let round = if supervisor.state.config.telegram_webhook_base_url.is_some() {
            supervisor.webhook_round().await
        } else {
            supervisor.round().await
        };
        if let Err(e) = round {
            // The database is unreachable: keep what runs, try again next round.
            tracing::warn!(error = %e, "bot supervisor: cannot read the connected bots");
        }
    }
}

struct Supervisor {
    state: AppState,
    api_url: reqwest::Url,
    client: reqwest::Client,
    running: HashMap<TenantId, Running>,
    /// Tokens that cannot be decrypted (`ENCRYPTION_KEY` changed), reported once each rather
    /// than every round.
    unreadable: HashMap<TenantId, String>,
    /// Webhook mode: the bots whose webhook this process registered, with the encrypted token
    /// it was registered for (and the plain token, to remove the webhook with).
    webhooks: HashMap<TenantId, (String, String)>,
}

/// A connected bot as `platform_bot_tokens()` lists it.
struct Connected {
    token_enc: String,
    webhook_secret: Option<String>,
}

/// The connected bots with their webhook secrets.
async fn connected_bots_with_secrets(state: &AppState) -> Result<HashMap<TenantId, Connected>> {
    let mut tx = state.db.platform_tx().await?;
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT tenant_id, token_enc, webhook_secret FROM platform_bot_tokens()")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(tenant, token_enc, webhook_secret)| {
            (
                TenantId(tenant),
                Connected {
                    token_enc,
                    webhook_secret,
                },
            )
        })
        .collect())
}

/// The connected bots: tenant → encrypted token. Encrypted tokens are compared to notice a
/// change (a new token is encrypted with a fresh IV, so even the same token re-entered restarts
/// its poller, which is harmless).
async fn connected_bots(state: &AppState) -> Result<HashMap<TenantId, String>> {
    let mut tx = state.db.platform_tx().await?;
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT tenant_id, token_enc FROM platform_bot_tokens()")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(tenant, token)| (TenantId(tenant), token))
        .collect())
}

impl Supervisor {
    async fn round(&mut self) -> Result<()> {
        let wanted = connected_bots(&self.state).await?;

        // Stop pollers whose bot was removed or whose token changed, and forget ended ones
        // (lost their lock connection): they are started again below if still wanted.
        let finished: Vec<TenantId> = self
            .running
            .iter()
            .filter(|(tenant, poller)| {
                poller.task.is_finished() || wanted.get(tenant) != Some(&poller.token_enc)
            })
            .map(|(tenant, _)| *tenant)
            .collect();
        for tenant in finished {
            if let Some(poller) = self.running.remove(&tenant) {
                drop(poller.stop);
                // Wait for the lock to be released before a new poller of the bot may start.
                if let Err(e) = poller.task.await {
                    tracing::error!(tenant = tenant.0, error = %e, "bot poller panicked");
                }
                tracing::info!(tenant = tenant.0, "bot poller stopped");
            }
        }
        self.unreadable
            .retain(|tenant, token_enc| wanted.get(tenant) == Some(token_enc));

        for (tenant, token_enc) in wanted {
            if self.running.contains_key(&tenant) || self.unreadable.contains_key(&tenant) {
                continue;
            }
            let token = match crypto::decrypt(&self.state.config, &token_enc) {
                Ok(token) => token,
                Err(e) => {
                    tracing::error!(tenant = tenant.0, error = %e, "bot token cannot be decrypted; connect the bot again");
                    self.unreadable.insert(tenant, token_enc);
                    continue;
                }
            };
            let Some(lock) = try_lock(&self.state, tenant).await? else {
                // Another process polls this bot.
                continue;
            };
            let bot =
                Bot::with_client(token, self.client.clone()).set_api_url(self.api_url.clone());
            let (stop, stopped) = oneshot::channel();
            let task = tokio::spawn(poller::run(self.state.clone(), tenant, bot, lock, stopped));
            tracing::info!(tenant = tenant.0, "bot poller started");
            self.running.insert(
                tenant,
                Running {
                    token_enc,
                    stop,
                    task,
                },
            );
        }
        Ok(())
    }
}

impl Supervisor {
    /// Webhook mode: registers the webhook of each new or changed bot, removes removed ones.
    /// Every `serve` process does this; `setWebhook` with the same URL and secret is idempotent.
    async fn webhook_round(&mut self) -> Result<()> {
        let Some(base) = self.state.config.telegram_webhook_base_url.clone() else {
            return Ok(());
        };
        let wanted = connected_bots_with_secrets(&self.state).await?;
        let removed: Vec<TenantId> = self
            .webhooks
            .iter()
            .filter(|(tenant, (token_enc, _))| {
                wanted.get(tenant).map(|c| &c.token_enc) != Some(token_enc)
            })
            .map(|(tenant, _)| *tenant)
            .collect();
        for tenant in removed {
            if let Some((_, token)) = self.webhooks.remove(&tenant) {
                if !wanted.contains_key(&tenant) {
                    let deleted =
                        telegram::delete_webhook(&self.client, self.api_url.as_str(), &token).await;
                    if let Err(e) = deleted {
                        tracing::warn!(tenant = tenant.0, error = %e, "deleteWebhook failed");
                    }
                }
            }
        }
        for (tenant, connected) in wanted {
            if self.webhooks.contains_key(&tenant) || self.unreadable.contains_key(&tenant) {
                continue;
            }
            let token = match crypto::decrypt(&self.state.config, &connected.token_enc) {
                Ok(token) => token,
                Err(e) => {
                    tracing::error!(tenant = tenant.0, error = %e, "bot token cannot be decrypted; connect the bot again");
                    self.unreadable.insert(tenant, connected.token_enc);
                    continue;
                }
            };
            let Some(secret) = connected.webhook_secret else {
                tracing::error!(
                    tenant = tenant.0,
                    "bot has no webhook secret; connect the bot again"
                );
                self.unreadable.insert(tenant, connected.token_enc);
                continue;
            };
            let url = format!("{base}/telegram/{}/webhook", tenant.0);
            let registered =
                telegram::set_webhook(&self.client, self.api_url.as_str(), &token, &url, &secret)
                    .await;
            match registered {
                Ok(_) => {
                    tracing::info!(tenant = tenant.0, "bot webhook registered");
                    self.webhooks.insert(tenant, (connected.token_enc, token));
                }
                // Tried again next round.
                Err(e) => tracing::warn!(tenant = tenant.0, error = %e, "setWebhook failed"),
            }
        }
        Ok(())
    }
}

/// A connection of its own holding the company's bot lock, or `None` when another process
/// holds it. The connection is detached from the pool: closing it is what releases the lock.
async fn try_lock(state: &AppState, tenant: TenantId) -> Result<Option<PgConnection>> {
    let key = i32::try_from(tenant.0)
        .map_err(|_| Error::Internal(format!("tenant id {} exceeds the lock key", tenant.0)))?;
    let mut conn = state.db.pool().acquire().await?.detach();
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
        .bind(BOT_LOCK_CLASS)
        .bind(key)
        .fetch_one(&mut conn)
        .await?;
    if locked {
        Ok(Some(conn))
    } else {
        conn.close().await?;
        Ok(None)
    }
}
