//! The worker: sends what the outbox (`app::domain::outbox`) queued in `jobs` — staff replies
//! through a company's bot, and notifications about visits (status changes, moves, reminders)
//! on the first of the client's channels that works: Telegram, SMS, e-mail, in the company's
//! order, each attempt kept in `deliveries` — and the signed webhooks to the companies' CRMs
//! (`app::domain::webhooks`), each attempt kept in `webhook_deliveries`.
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
    deliveries::{self, Attempt},
    mail::{Letter, MailError},
    outbox::{self, Job, Lane, Medium, Notification, TelegramMessage},
    sms,
    telegram::{self, SendError},
    webhooks::{self, Health},
    AppState, Result,
};

use crate::shutdown::Shutdown;

/// How often due jobs are looked for.
const INTERVAL: Duration = Duration::from_secs(1);
/// Companies served per round, and jobs per company per round, so one company's backlog does
/// not starve the others.
const TENANTS_PER_ROUND: i32 = 100;
const JOBS_PER_TENANT: usize = 50;
/// Webhooks per company per round: each may wait [`webhooks::TIMEOUT`] for its receiver.
const WEBHOOKS_PER_TENANT: usize = 10;
/// Pause before attempt n+1: 5 s, 10 s, 20 s … up to an hour.
const FIRST_RETRY: Duration = Duration::from_secs(5);
const MAX_RETRY: Duration = Duration::from_secs(3600);

/// Starts the worker in the background (for `serve`).
pub fn spawn(state: AppState, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(state, shutdown))
}

/// Runs until `shutdown`; a job in hand is finished first (the `worker` command awaits it). The
/// webhooks to CRMs run in a lane of their own beside the messages to car owners, so that a
/// receiver slow to answer never holds up a reminder.
pub async fn run(state: AppState, shutdown: Shutdown) {
    let webhooks = tokio::spawn(run_lane(state.clone(), shutdown.clone(), Lane::Webhooks));
    run_lane(state, shutdown, Lane::Messages).await;
    let _ = webhooks.await;
    tracing::info!("worker stopped");
}

async fn run_lane(state: AppState, shutdown: Shutdown, lane: Lane) {
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
        if let Err(e) = round(&state, &client, &shutdown, lane).await {
            tracing::warn!(error = %e, ?lane, "worker: round failed; trying again");
        }
    }
}

/// One pass over the companies with jobs due. A company whose job breaks is left for this round
/// (its attempt recorded, see [`run_one`]); the others are served all the same.
async fn round(
    state: &AppState,
    client: &reqwest::Client,
    shutdown: &Shutdown,
    lane: Lane,
) -> Result<()> {
    // Decrypted once per round per company; a changed token is picked up at the next round.
    let mut tokens: HashMap<TenantId, Option<String>> = HashMap::new();
    let per_tenant = match lane {
        Lane::Messages => JOBS_PER_TENANT,
        Lane::Webhooks => WEBHOOKS_PER_TENANT,
    };
    for tenant in outbox::due_tenants(&state.db, TENANTS_PER_ROUND).await? {
        for _ in 0..per_tenant {
            if shutdown.is_triggered() {
                return Ok(());
            }
            match run_one(state, client, tenant, lane, &mut tokens).await {
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
    lane: Lane,
    tokens: &mut HashMap<TenantId, Option<String>>,
) -> Result<bool> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let Some(job) = outbox::claim(&mut tx, lane).await? else {
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
    if job.kind == outbox::CLIENT_NOTIFICATION {
        return notify(state, client, tenant, tx, job, tokens, sent).await;
    }
    if job.kind == webhooks::DELIVER {
        return deliver_webhook(state, tenant, tx, job, sent).await;
    }
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
    let Some(token) = bot_token(state, tenant, tx, tokens).await? else {
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

/// The company's bot token, decrypted once per round.
async fn bot_token(
    state: &AppState,
    tenant: TenantId,
    tx: &mut Tx,
    tokens: &mut HashMap<TenantId, Option<String>>,
) -> Result<Option<String>> {
    if let Some(token) = tokens.get(&tenant) {
        return Ok(token.clone());
    }
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
    Ok(token)
}

/// A notification about a visit: tries the client's channels in the company's order, after
/// those that refused it for good before. The first that accepts ends the job; a refusal for
/// good (a blocked bot, an invalid number, a bounced address) passes it to the next; an outage
/// retries the job later on the same channel, and after the job's last attempt counts as a
/// refusal. Every attempt is recorded in `deliveries`; a notification no channel could carry
/// is recorded with the reason.
async fn notify(
    state: &AppState,
    client: &reqwest::Client,
    tenant: TenantId,
    tx: &mut Tx,
    job: &Job,
    tokens: &mut HashMap<TenantId, Option<String>>,
    sent: &mut bool,
) -> Result<()> {
    let mut note: Notification = match serde_json::from_value(job.payload.clone()) {
        Ok(note) => note,
        Err(e) => {
            return outbox::retry_or_fail(tx, job, &format!("invalid payload: {e}"), None).await;
        }
    };
    if let Some(check) = &note.visit {
        if !outbox::still_relevant(tx, check).await? {
            return outbox::done(tx, job, Some("skipped: the visit was cancelled or moved")).await;
        }
    }
    let Some(recipient) = deliveries::recipient(tx, note.client_id).await? else {
        let why = "Карточка клиента удалена";
        deliveries::record(tx, tenant, &attempt(job, &note, None, false, why)).await?;
        return outbox::done(tx, job, Some(why)).await;
    };
    if recipient.no_messages {
        let why = "Клиент отказался от сообщений";
        deliveries::record(tx, tenant, &attempt(job, &note, None, false, why)).await?;
        return outbox::done(tx, job, Some(why)).await;
    }
    let settings = deliveries::settings(tx, &state.config).await?;
    let mut skipped: Vec<&str> = Vec::new();
    let mut refusals: Vec<String> = Vec::new();
    for medium in settings.order.clone() {
        if note.tried.contains(&medium) {
            continue;
        }
        let Some(address) = recipient.address(medium) else {
            skipped.push(match medium {
                Medium::Telegram => "клиент не писал боту",
                Medium::Sms => "нет телефона",
                Medium::Email => "нет e-mail",
            });
            continue;
        };
        let outcome = match medium {
            Medium::Telegram => match bot_token(state, tenant, tx, tokens).await? {
                Some(token) => {
                    telegram::send_message(
                        client,
                        &state.config.telegram_api_url,
                        &token,
                        recipient.chat_id.unwrap_or_default(),
                        &note.text,
                    )
                    .await
                }
                None => {
                    skipped.push("бот не подключён");
                    continue;
                }
            },
            Medium::Sms => match &settings.sms {
                Some(provider) => {
                    sms::send(
                        client,
                        &state.config.smsru_api_url,
                        provider,
                        settings.sms_sender.as_deref(),
                        &address,
                        &note.short,
                    )
                    .await
                }
                None => {
                    skipped.push("SMS не настроены");
                    continue;
                }
            },
            Medium::Email => match &state.mailer {
                Some(mailer) => {
                    let letter = Letter {
                        to: &address,
                        from_name: &settings.company,
                        reply_to: settings.reply_to.as_deref(),
                        subject: &note.subject,
                        text: &note.text,
                    };
                    mailer.send(&letter).await.map_err(|e| match e {
                        MailError::Permanent(m) => SendError::Permanent(m),
                        MailError::Temporary(m) => SendError::Temporary {
                            message: m,
                            retry_after: None,
                        },
                    })
                }
                None => {
                    skipped.push("почта не настроена");
                    continue;
                }
            },
        };
        match outcome {
            Ok(()) => {
                *sent = true;
                deliveries::record(tx, tenant, &attempt(job, &note, Some(medium), true, ""))
                    .await?;
                if medium == Medium::Telegram {
                    let message = TelegramMessage {
                        chat_id: recipient.chat_id.unwrap_or_default(),
                        client_id: Some(note.client_id),
                        text: note.text.clone(),
                        visit: None,
                    };
                    if let Err(e) = outbox::record_sent(tx, &message).await {
                        tracing::warn!(tenant = tenant.0, job = job.id, error = %e, "worker: sent, but not added to the transcript");
                    }
                }
                return outbox::done(tx, job, None).await;
            }
            Err(SendError::Temporary {
                message,
                retry_after,
            }) if job.attempts < job.max_attempts => {
                tracing::warn!(tenant = tenant.0, job = job.id, channel = medium.as_str(), attempt = job.attempts, error = %message, "worker: message not sent; retrying");
                let delay = retry_after.unwrap_or_else(|| backoff(job));
                return outbox::retry_or_fail(tx, job, &message, Some(delay)).await;
            }
            Err(SendError::Temporary { message: why, .. } | SendError::Permanent(why)) => {
                tracing::info!(tenant = tenant.0, job = job.id, channel = medium.as_str(), error = %why, "worker: channel refused; trying the next");
                deliveries::record(tx, tenant, &attempt(job, &note, Some(medium), false, &why))
                    .await?;
                refusals.push(format!("{}: {why}", medium.as_str()));
                note.tried.push(medium);
                outbox::update_payload(tx, job, &note).await?;
            }
        }
    }
    let why = if note.tried.is_empty() {
        format!("Нет канала: {}", skipped.join(", "))
    } else if refusals.is_empty() {
        "Ни один канал не принял сообщение".to_string()
    } else {
        format!(
            "Ни один канал не принял сообщение ({})",
            refusals.join("; ")
        )
    };
    deliveries::record(tx, tenant, &attempt(job, &note, None, false, &why)).await?;
    outbox::retry_or_fail(tx, job, &why, None).await
}

/// An event for a company's CRM: posted signed; a failure is retried with a growing pause for
/// [`webhooks::RETRY_FOR`] after the event was queued. An endpoint that has failed for
/// [`webhooks::DISABLE_AFTER`] is switched off and the company's admins get a letter.
async fn deliver_webhook(
    state: &AppState,
    tenant: TenantId,
    tx: &mut Tx,
    job: &Job,
    sent: &mut bool,
) -> Result<()> {
    let event: webhooks::Job = match serde_json::from_value(job.payload.clone()) {
        Ok(event) => event,
        Err(e) => {
            return outbox::retry_or_fail(tx, job, &format!("invalid payload: {e}"), None).await;
        }
    };
    let Some((url, secret)) = webhooks::target(tx, &state.config, event.endpoint_id).await? else {
        return outbox::done(tx, job, Some("skipped: the endpoint is off or removed")).await;
    };
    let outcome = webhooks::post(&state.config, &url, &secret, &event).await;
    // The receiver has it (or answered): a failure to log that must not send it again.
    *sent = outcome.ok;
    let attempt = webhooks::next_attempt(tx, job.id).await?;
    let health = webhooks::record(tx, tenant, Some(job.id), &event, attempt, &outcome).await?;
    if outcome.ok {
        return outbox::done(tx, job, None).await;
    }
    if health == Health::Gone {
        return outbox::done(tx, job, Some("skipped: the endpoint was removed")).await;
    }
    let error = outcome.error.unwrap_or_default();
    if let Health::DisabledNow { url, reason } = &health {
        tracing::warn!(
            tenant = tenant.0,
            endpoint = event.endpoint_id,
            "webhook endpoint disabled after failing for days"
        );
        webhooks::tell_admins(state.mailer.as_ref(), tx, url, reason).await;
        return outbox::done(tx, job, Some("skipped: the endpoint was disabled")).await;
    }
    let queued = event
        .body
        .get("created_at")
        .and_then(|t| t.as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let expired = queued.is_none_or(|t| {
        chrono::Utc::now()
            .signed_duration_since(t)
            .to_std()
            .unwrap_or_default()
            >= webhooks::RETRY_FOR
    });
    let delay = (!expired).then(|| webhooks::retry_delay(job.attempts));
    tracing::info!(tenant = tenant.0, job = job.id, attempt = job.attempts, %error, "webhook not delivered");
    outbox::retry_or_fail(tx, job, &error, delay).await
}

fn attempt<'a>(
    job: &Job,
    note: &'a Notification,
    medium: Option<Medium>,
    sent: bool,
    detail: &'a str,
) -> Attempt<'a> {
    Attempt {
        job_id: job.id,
        client_id: note.client_id,
        appointment_id: note.appointment_id,
        event: &note.event,
        medium,
        sent,
        detail,
    }
}

fn backoff(job: &Job) -> Duration {
    let exponent = u32::try_from(job.attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    FIRST_RETRY
        .saturating_mul(2u32.pow(exponent))
        .min(MAX_RETRY)
}
