//! The worker: sends what the outbox (`app::domain::outbox`) queued in `jobs` — status messages
//! and reminders to car owners through their company's bot.
//!
//! Every [`INTERVAL`] it asks which companies have jobs due (the one cross-tenant question,
//! `platform_due_job_tenants`) and then works through each company's due jobs in that company's
//! own transactions. A job is claimed with `FOR UPDATE SKIP LOCKED` and its transaction stays
//! open while the message is sent, so another worker (any number may run) skips it, and it is
//! marked done before the commit. A failed attempt is retried later with a growing pause; a
//! permanent refusal (the user blocked the bot) ends the job as `failed`.

use std::{collections::HashMap, time::Duration};

use app::domain::{
    db::{TenantId, Tx},
    outbox::{self, Job, TelegramMessage},
    telegram::{self, SendError},
    AppState, Result,
};

use crate::shutdown::Shutdown;

/// How often due jobs are looked for.
const INTERVAL: Duration = Duration::from_secs(1);
/// Companies served per round, and jobs per company per round, so one company's backlog does
/// not starve the others.
const TENANTS_PER_ROUND: i32 = 100;
const JOBS_PER_TENANT: usize = 50;
/// Pause before attempt n+1: 5 s, 10 s, 20 s … up to an hour.
const FIRST_RETRY: Duration = Duration::from_secs(5);
const MAX_RETRY: Duration = Duration::from_secs(3600);

/// Starts the worker in the background (for `serve`).
pub fn spawn(state: AppState, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(state, shutdown))
}

/// Runs until `shutdown`; a job in hand is finished first (the `worker` command awaits it).
pub async fn run(state: AppState, shutdown: Shutdown) {
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client for the Bot API: the worker does not run");
            return;
        }
    };
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait() => break,
        }
        if let Err(e) = round(&state, &client, &shutdown).await {
            tracing::warn!(error = %e, "worker: round failed; trying again");
        }
    }
    tracing::info!("worker stopped");
}

/// One pass over the companies with jobs due. A company whose job breaks is left for this round
/// (its attempt recorded, see [`run_one`]); the others are served all the same.
async fn round(state: &AppState, client: &reqwest::Client, shutdown: &Shutdown) -> Result<()> {
    // Decrypted once per round per company; a changed token is picked up at the next round.
    let mut tokens: HashMap<TenantId, Option<String>> = HashMap::new();
    for tenant in outbox::due_tenants(&state.db, TENANTS_PER_ROUND).await? {
        for _ in 0..JOBS_PER_TENANT {
            if shutdown.is_triggered() {
                return Ok(());
            }
            match run_one(state, client, tenant, &mut tokens).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(tenant = tenant.0, error = %e, "worker: a company's jobs failed; on to the next");
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Claims and runs the company's next due job; `false` when there is none. When the database
/// refuses something while the job is handled, the work is rolled back to a savepoint taken just
/// after the claim and the attempt is recorded in the same transaction, which still holds the
/// job's row lock: no other worker can take the job in between. Only when that transaction is
/// unusable (the connection is gone, and the lock with it) is the attempt recorded in a new one.
async fn run_one(
    state: &AppState,
    client: &reqwest::Client,
    tenant: TenantId,
    tokens: &mut HashMap<TenantId, Option<String>>,
) -> Result<bool> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let Some(job) = outbox::claim(&mut tx).await? else {
        tx.commit().await?;
        return Ok(false);
    };
    outbox::savepoint(&mut tx).await?;
    let mut sent = false;
    let error = match handle(state, client, tenant, &mut tx, &job, tokens, &mut sent).await {
        Ok(()) => match tx.commit().await {
            Ok(()) => return Ok(true),
            // The commit's fate is unknown: the attempt is recorded anew (a job already done is
            // left alone by that).
            Err(e) => {
                let error = format!("worker error: {e}");
                record_in_new_tx(state, tenant, &job, sent, &error).await?;
                return Ok(true);
            }
        },
        Err(e) => format!("worker error: {e}"),
    };
    tracing::error!(tenant = tenant.0, job = job.id, sent, %error, "worker: job failed");
    match outbox::record_failed_attempt(&mut tx, &job, sent, &error, backoff(&job)).await {
        Ok(()) => tx.commit().await?,
        Err(e) => {
            tracing::warn!(tenant = tenant.0, job = job.id, error = %e, "worker: the job's transaction is unusable");
            let _ = tx.rollback().await;
            record_in_new_tx(state, tenant, &job, sent, &error).await?;
        }
    }
    Ok(true)
}

async fn record_in_new_tx(
    state: &AppState,
    tenant: TenantId,
    job: &Job,
    sent: bool,
    error: &str,
) -> Result<()> {
    outbox::record_broken_attempt(&state.db, tenant, job.id, sent, error, backoff(job)).await
}

/// Runs a claimed job within its transaction. `sent` becomes true once Telegram accepted the
/// message, so that a failure after that point never sends it again.
async fn handle(
    state: &AppState,
    client: &reqwest::Client,
    tenant: TenantId,
    tx: &mut Tx,
    job: &Job,
    tokens: &mut HashMap<TenantId, Option<String>>,
    sent: &mut bool,
) -> Result<()> {
    if job.kind != outbox::TELEGRAM_MESSAGE {
        tracing::error!(tenant = tenant.0, job = job.id, kind = %job.kind, "unknown job kind");
        return outbox::retry_or_fail(tx, job, "unknown job kind", None).await;
    }
    let message: TelegramMessage = match serde_json::from_value(job.payload.clone()) {
        Ok(message) => message,
        Err(e) => {
            return outbox::retry_or_fail(tx, job, &format!("invalid payload: {e}"), None).await;
        }
    };
    if let Some(check) = &message.visit {
        if !outbox::still_relevant(tx, check).await? {
            return outbox::done(tx, job, Some("skipped: the visit was cancelled or moved")).await;
        }
    }
    let token = match tokens.get(&tenant) {
        Some(token) => token.clone(),
        None => {
            let token = match telegram::stored_bot(tx).await? {
                Some(bot) => match bot.token(&state.config) {
                    Ok(token) => Some(token),
                    Err(e) => {
                        tracing::error!(tenant = tenant.0, error = %e, "bot token cannot be decrypted");
                        None
                    }
                },
                None => None,
            };
            tokens.insert(tenant, token.clone());
            token
        }
    };
    let Some(token) = token else {
        // The bot may be connected again: keep trying with the usual pauses.
        return outbox::retry_or_fail(tx, job, "no bot connected", Some(backoff(job))).await;
    };
    let result = telegram::send_message(
        client,
        &state.config.telegram_api_url,
        &token,
        message.chat_id,
        &message.text,
    )
    .await;
    match result {
        Ok(()) => {
            *sent = true;
            // The transcript is a copy for staff: failing to write it does not unsend the message.
            if let Err(e) = outbox::record_sent(tx, &message).await {
                tracing::warn!(tenant = tenant.0, job = job.id, error = %e, "worker: sent, but not added to the transcript");
            }
            outbox::done(tx, job, None).await
        }
        Err(SendError::Temporary {
            message: error,
            retry_after,
        }) => {
            let delay = retry_after.unwrap_or_else(|| backoff(job));
            tracing::warn!(tenant = tenant.0, job = job.id, attempt = job.attempts, error = %error, retry_in = ?delay, "worker: message not sent");
            outbox::retry_or_fail(tx, job, &error, Some(delay)).await
        }
        Err(SendError::Permanent(error)) => {
            tracing::warn!(tenant = tenant.0, job = job.id, error = %error, "worker: message refused for good");
            outbox::retry_or_fail(tx, job, &error, None).await
        }
    }
}

fn backoff(job: &Job) -> Duration {
    let exponent = u32::try_from(job.attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    FIRST_RETRY
        .saturating_mul(2u32.pow(exponent))
        .min(MAX_RETRY)
}
