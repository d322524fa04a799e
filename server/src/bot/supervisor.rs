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
//! poller runs only while its process holds a session-level advisory lock on the company. All of
//! a process's bot locks live on one connection of their own, outside the pool, so a process
//! holds one connection for its bots however many it polls, and a standby process asks for the
//! locks on that same connection every round. When the process dies the connection closes, the
//! locks are released and another process takes the bots over at its next round; when the
//! connection breaks, this process stops its pollers and starts again with a new one.

use std::{collections::HashMap, time::Duration};

use app::domain::{db::TenantId, telegram, AppState, Error, Result};
use sqlx::{Connection, PgConnection};

use crate::shutdown::Shutdown;
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
pub fn spawn(state: AppState, shutdown: Shutdown) -> JoinHandle<()> {
    tokio::spawn(run(state, shutdown))
}

/// Runs until `shutdown`, then stops every poller after the update in hand (the `bot` command
/// awaits it).
pub async fn run(state: AppState, shutdown: Shutdown) {
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
        locks: None,
        unreadable: HashMap::new(),
        webhooks: HashMap::new(),
    };
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait() => break,
        }
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
    supervisor.stop_all().await;
    tracing::info!("bots stopped");
}

struct Supervisor {
    state: AppState,
    api_url: reqwest::Url,
    client: reqwest::Client,
    running: HashMap<TenantId, Running>,
    /// The connection holding this process's bot locks (polling mode), opened when first needed.
    locks: Option<PgConnection>,
    /// Tokens that cannot be decrypted (`ENCRYPTION_KEY` changed), reported once each rather
    /// than every round.
    unreadable: HashMap<TenantId, String>,
    /// Webhook mode: the bots whose webhook this process registered, with the encrypted token
    /// it was registered for (and the plain token, to remove the webhook with).
    webhooks: HashMap<TenantId, (String, String)>,
}

impl Supervisor {
    async fn round(&mut self) -> Result<()> {
        // First, even when the database does not answer below: pollers whose locks are gone stop.
        self.check_locks().await;
        let wanted = telegram::connected_bots(&self.state.db).await?;

        // Stop pollers whose bot was removed or whose token changed, and forget ended ones:
        // they are started again below if still wanted.
        let finished: Vec<TenantId> = self
            .running
            .iter()
            .filter(|(tenant, poller)| {
                poller.task.is_finished()
                    || wanted.get(tenant).map(|bot| &bot.token_enc) != Some(&poller.token_enc)
            })
            .map(|(tenant, _)| *tenant)
            .collect();
        for tenant in finished {
            self.stop(tenant).await;
        }
        self.unreadable.retain(|tenant, token_enc| {
            wanted.get(tenant).map(|bot| &bot.token_enc) == Some(token_enc)
        });

        for (tenant, stored) in wanted {
            if self.running.contains_key(&tenant) || self.unreadable.contains_key(&tenant) {
                continue;
            }
            let Some(token) = self.readable_token(tenant, &stored) else {
                continue;
            };
            if !self.try_lock(tenant).await? {
                // Another process polls this bot.
                continue;
            }
            let bot =
                Bot::with_client(token, self.client.clone()).set_api_url(self.api_url.clone());
            let (stop, stopped) = oneshot::channel();
            let task = tokio::spawn(poller::run(self.state.clone(), tenant, bot, stopped));
            tracing::info!(tenant = tenant.0, "bot poller started");
            self.running.insert(
                tenant,
                Running {
                    token_enc: stored.token_enc,
                    stop,
                    task,
                },
            );
        }
        Ok(())
    }

    /// Whether the lock connection is still there; when it broke, every lock went with it (another
    /// process may be polling those bots now), so every poller stops and a new connection is
    /// opened when a lock is next asked for.
    async fn check_locks(&mut self) {
        let alive = match self.locks.as_mut() {
            Some(conn) => match conn.ping().await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "bot lock connection lost; the pollers stop");
                    false
                }
            },
            // Pollers without a lock connection hold no locks (see `stop`).
            None => self.running.is_empty(),
        };
        if !alive {
            self.locks = None;
            self.stop_all().await;
        }
    }

    /// Takes the company's bot lock on the lock connection; `false` when another process holds it.
    async fn try_lock(&mut self, tenant: TenantId) -> Result<bool> {
        let key = lock_key(tenant)?;
        if self.locks.is_none() {
            self.locks = Some(self.state.db.pool().acquire().await?.detach());
        }
        let Some(conn) = self.locks.as_mut() else {
            return Ok(false);
        };
        Ok(sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_lock($1, $2) AS "locked!""#,
            BOT_LOCK_CLASS,
            key
        )
        .fetch_one(conn)
        .await?)
    }

    /// Stops a poller after the update in hand; `false` when it was not running.
    async fn stop_poller(&mut self, tenant: TenantId) -> bool {
        let Some(poller) = self.running.remove(&tenant) else {
            return false;
        };
        drop(poller.stop);
        if let Err(e) = poller.task.await {
            tracing::error!(tenant = tenant.0, error = %e, "bot poller panicked");
        }
        tracing::info!(tenant = tenant.0, "bot poller stopped");
        true
    }

    /// Stops a company's poller after the update in hand and releases its lock.
    async fn stop(&mut self, tenant: TenantId) {
        // The lock is released only once the poller has ended: no two processes poll at once.
        if !self.stop_poller(tenant).await {
            return;
        }
        if let (Some(conn), Ok(key)) = (self.locks.as_mut(), lock_key(tenant)) {
            let released =
                sqlx::query_scalar!("SELECT pg_advisory_unlock($1, $2)", BOT_LOCK_CLASS, key)
                    .fetch_one(conn)
                    .await;
            if let Err(e) = released {
                // Closing the connection releases this lock, and every other one with it: the
                // other pollers are stopped too, at once.
                tracing::warn!(tenant = tenant.0, error = %e, "bot lock not released; every poller stops");
                if let Some(conn) = self.locks.take() {
                    let _ = conn.close().await;
                }
                let others: Vec<TenantId> = self.running.keys().copied().collect();
                for other in others {
                    self.stop_poller(other).await;
                }
            }
        }
    }

    /// Stops every poller, then closes the lock connection, which releases all their locks.
    async fn stop_all(&mut self) {
        let tenants: Vec<TenantId> = self.running.keys().copied().collect();
        for tenant in tenants {
            self.stop_poller(tenant).await;
        }
        if let Some(conn) = self.locks.take() {
            let _ = conn.close().await;
        }
    }
}

impl Supervisor {
    /// Webhook mode: registers the webhook of each new or changed bot, removes removed ones.
    /// Every `serve` process does this; `setWebhook` with the same URL and secret is idempotent.
    async fn webhook_round(&mut self) -> Result<()> {
        let Some(base) = self.state.config.telegram_webhook_base_url.clone() else {
            return Ok(());
        };
        let wanted = telegram::connected_bots(&self.state.db).await?;
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
            let Some(token) = self.readable_token(tenant, &connected) else {
                continue;
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

impl Supervisor {
    /// The bot's plain token; `None`, reported once, when it cannot be decrypted
    /// (`ENCRYPTION_KEY` changed): it is not tried again until the bot is connected anew.
    fn readable_token(&mut self, tenant: TenantId, bot: &telegram::StoredBot) -> Option<String> {
        match bot.token(&self.state.config) {
            Ok(token) => Some(token),
            Err(e) => {
                tracing::error!(tenant = tenant.0, error = %e, "bot token cannot be decrypted; connect the bot again");
                self.unreadable.insert(tenant, bot.token_enc.clone());
                None
            }
        }
    }
}

fn lock_key(tenant: TenantId) -> Result<i32> {
    i32::try_from(tenant.0)
        .map_err(|_| Error::Internal(format!("tenant id {} exceeds the lock key", tenant.0)))
}
