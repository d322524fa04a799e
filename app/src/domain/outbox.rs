//! The outbox: messages to car owners that must go out because something was decided — a
//! status change by staff, a moved visit, a reminder before it. They are written to `jobs` in
//! the same transaction as the decision, so either both happen or neither; the worker
//! (`server/src/worker.rs`) sends them later. A notification about a visit
//! ([`CLIENT_NOTIFICATION`]) goes to the first of the client's channels that works, in the
//! company's order (Telegram → SMS → e-mail by default): a channel that refuses for good passes
//! it on to the next, and every attempt is kept in `deliveries` for staff to see
//! (`super::deliveries`). Each job carries a `dedupe_key`, so a decision recorded twice still
//! sends one message.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{
    booking::Status,
    chat,
    db::{Db, TenantId, Tx},
    templates::{self, Values},
    Error, Result,
};

/// `jobs.kind` of a Telegram message to a client's chat (a staff reply through the bot).
pub const TELEGRAM_MESSAGE: &str = "telegram.message";
/// `jobs.kind` of a notification about a visit, on whichever channel reaches the client.
pub const CLIENT_NOTIFICATION: &str = "client.notify";

/// A way to reach a car owner (a message medium; `model::Channel` is where a booking came from).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Medium {
    Telegram,
    Sms,
    Email,
}

impl Medium {
    pub const ALL: [Medium; 3] = [Medium::Telegram, Medium::Sms, Medium::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Telegram => "telegram",
            Medium::Sms => "sms",
            Medium::Email => "email",
        }
    }

    pub fn parse(value: &str) -> Option<Medium> {
        Medium::ALL.into_iter().find(|c| c.as_str() == value)
    }
}

/// The payload of a [`CLIENT_NOTIFICATION`] job: the texts are written when the decision is
/// made; which channel carries them is decided when the job runs, from the card as it is then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub client_id: i64,
    pub appointment_id: i64,
    /// `booked`, `confirmed`, `in_progress`, `completed`, `cancelled`, `moved` or `reminder`.
    pub event: String,
    /// The e-mail's subject.
    pub subject: String,
    /// For Telegram and e-mail.
    pub text: String,
    /// For SMS: short, one or two parts.
    pub short: String,
    /// Checked again when due (reminders): see [`TelegramMessage::visit`].
    #[serde(default)]
    pub visit: Option<VisitCheck>,
    /// Channels that refused for good already: the next attempt starts after them.
    #[serde(default)]
    pub tried: Vec<Medium>,
}

/// Reminders before a visit when the company has not set its own
/// (`tenants.notification_settings.reminder_hours`).
pub const DEFAULT_REMINDER_HOURS: [f64; 2] = [24.0, 2.0];

/// The payload of a [`TELEGRAM_MESSAGE`] job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TelegramMessage {
    pub chat_id: i64,
    pub client_id: Option<i64>,
    pub text: String,
    /// A reminder is sent only while the visit is still live and still at this time; a visit
    /// cancelled or moved since gets no stale reminder (a move schedules new ones).
    #[serde(default)]
    pub visit: Option<VisitCheck>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisitCheck {
    pub appointment_id: i64,
    pub start_time: DateTime<Utc>,
}

/// What a message about a visit needs to say.
struct Visit {
    id: i64,
    client_id: i64,
    client_name: String,
    company: String,
    bot_username: Option<String>,
    start_time: DateTime<Utc>,
    timezone: String,
    shop_name: String,
    shop_address: String,
    services: String,
    total_price: rust_decimal::Decimal,
}

async fn visit(tx: &mut Tx, appointment_id: i64) -> Result<Visit> {
    sqlx::query_as!(
        Visit,
        r#"SELECT a.id, a.client_id, c.full_name AS client_name, t.name AS company,
                  t.telegram_bot_username AS bot_username, a.start_time, s.timezone,
                  s.name AS shop_name, s.address AS shop_address,
                  coalesce((SELECT string_agg(sv.name, ', ' ORDER BY sv.name)
                            FROM appointment_services x JOIN services sv ON sv.id = x.service_id
                            WHERE x.appointment_id = a.id), '') AS "services!",
                  a.total_price
           FROM appointments a
           JOIN clients c ON c.id = a.client_id
           JOIN shops s ON s.id = a.shop_id
           JOIN tenants t ON t.id = a.tenant_id
           WHERE a.id = $1"#,
        appointment_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

impl Visit {
    /// «28.11 в 10:30» on the shop's clock.
    fn when(&self) -> Result<String> {
        let values = self.values()?;
        Ok(format!("{} в {}", values.date, values.time))
    }

    /// What the placeholders of the company's texts become for this visit.
    fn values(&self) -> Result<Values> {
        let tz = super::shops::zone(&self.timezone)?;
        let local = self.start_time.with_timezone(&tz);
        Ok(Values {
            client: self.client_name.trim().to_string(),
            date: local.format("%d.%m").to_string(),
            time: local.format("%H:%M").to_string(),
            shop: self.shop_name.clone(),
            address: self.shop_address.trim().to_string(),
            services: self.services.clone(),
            total: crate::format::rubles(self.total_price),
            link: self
                .bot_username
                .as_ref()
                .map(|u| format!("https://t.me/{u}"))
                .unwrap_or_default(),
        })
    }

    /// The notification of `event` to the visit's client, in the company's words.
    async fn notification(
        &self,
        tx: &mut Tx,
        event: &str,
        subject: String,
    ) -> Result<Notification> {
        let (long, short) = templates::texts(tx, event).await?;
        self.notification_with(event, subject, &long, &short)
    }

    /// The notification of `event` with these (long, short) texts.
    fn notification_with(
        &self,
        event: &str,
        subject: String,
        long: &str,
        short: &str,
    ) -> Result<Notification> {
        let values = self.values()?;
        Ok(Notification {
            client_id: self.client_id,
            appointment_id: self.id,
            event: event.into(),
            subject: format!("{}: {subject}", self.company),
            text: templates::render(long, &values),
            short: templates::render(short, &values),
            visit: None,
            tried: Vec::new(),
        })
    }
}

/// The event and the e-mail subject of a status change made by staff; `None` for statuses the
/// client is not told about (a no-show is staff's note).
fn status_event(status: Status, when: &str) -> Option<(&'static str, String)> {
    Some(match status {
        Status::Confirmed => ("confirmed", format!("запись на {when} подтверждена")),
        Status::InProgress => ("in_progress", "мастер приступил к работе".to_string()),
        Status::Completed => ("completed", "машина готова".to_string()),
        Status::Cancelled => ("cancelled", format!("запись на {when} отменена")),
        Status::New | Status::NoShow => return None,
    })
}

/// Queues the message about a status change made by staff (web admin, API). Changes made by the
/// client in the bot are answered in the chat at once and need none.
pub async fn status_changed(
    tx: &mut Tx,
    tenant: TenantId,
    appointment_id: i64,
    status: Status,
) -> Result<()> {
    let visit = visit(tx, appointment_id).await?;
    let Some((event, subject)) = status_event(status, &visit.when()?) else {
        return Ok(());
    };
    let notification = visit.notification(tx, event, subject).await?;
    // Statuses never return to an earlier one, so (visit, status) names the change once.
    let key = format!("status:{appointment_id}:{}", status.as_str());
    enqueue(tx, tenant, &key, Utc::now(), &notification).await
}

/// Queues «you are booked» for a visit booked by staff or through the API (one booked in the
/// bot is answered in the chat).
///
/// `manage`: the visit's manage link (a booking on the public page), added to the texts.
pub async fn booked(
    tx: &mut Tx,
    tenant: TenantId,
    appointment_id: i64,
    manage: Option<&str>,
) -> Result<()> {
    let visit = visit(tx, appointment_id).await?;
    let subject = format!("вы записаны на {}", visit.when()?);
    let mut notification = visit.notification(tx, "booked", subject).await?;
    if let Some(link) = manage {
        let line = format!("Перенести или отменить: {link}");
        notification.text = format!("{}\n{line}", notification.text);
        notification.short = format!("{} {line}", notification.short);
    }
    enqueue(
        tx,
        tenant,
        &format!("booked:{appointment_id}"),
        Utc::now(),
        &notification,
    )
    .await
}

/// Queues «your visit was moved» for a move made by staff.
pub async fn moved(tx: &mut Tx, tenant: TenantId, appointment_id: i64) -> Result<()> {
    let visit = visit(tx, appointment_id).await?;
    let key = format!("moved:{appointment_id}:{}", visit.start_time.timestamp());
    let subject = format!("запись перенесена на {}", visit.when()?);
    let notification = visit.notification(tx, "moved", subject).await?;
    enqueue(tx, tenant, &key, Utc::now(), &notification).await
}

/// Queues the reminders before a visit (24 and 2 hours by default), those still ahead. Called
/// when a visit is booked and when it moves; reminders of the old time are skipped when due.
pub async fn schedule_reminders(tx: &mut Tx, tenant: TenantId, appointment_id: i64) -> Result<()> {
    let visit = visit(tx, appointment_id).await?;
    let hours = reminder_hours(tx).await?;
    let now = Utc::now();
    let subject = format!("напоминание о записи на {}", visit.when()?);
    let (custom_long, custom_short) = templates::stored(tx, "reminder").await?;
    for h in hours {
        let run_at = visit.start_time - Duration::seconds((h * 3600.0) as i64);
        if run_at <= now {
            continue;
        }
        let key = format!(
            "reminder:{appointment_id}:{}:{}",
            visit.start_time.timestamp(),
            (h * 60.0) as i64
        );
        // The day before («завтра») or the day itself («сегодня»), unless the company wrote
        // its own reminder.
        let (default_long, default_short) = if h >= 20.0 {
            templates::default_texts("reminder")
        } else {
            templates::REMINDER_SAME_DAY
        };
        let reminder = visit.notification_with(
            "reminder",
            subject.clone(),
            custom_long.as_deref().unwrap_or(default_long),
            custom_short.as_deref().unwrap_or(default_short),
        )?;
        // Checked again when due: a reminder of a cancelled or moved visit is skipped.
        let reminder = Notification {
            visit: Some(VisitCheck {
                appointment_id,
                start_time: visit.start_time,
            }),
            ..reminder
        };
        enqueue(tx, tenant, &key, run_at, &reminder).await?;
    }
    Ok(())
}

/// The company's reminder offsets in hours: `notification_settings.reminder_hours`, e.g.
/// `[24, 2]`; values outside 0–720 hours are ignored. An empty list turns reminders off.
pub async fn reminder_hours(tx: &mut Tx) -> Result<Vec<f64>> {
    let setting: Option<serde_json::Value> = sqlx::query_scalar!(
        "SELECT notification_settings -> 'reminder_hours' AS reminder_hours FROM tenants"
    )
    .fetch_optional(&mut **tx)
    .await?
    .flatten();
    Ok(match setting {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .filter(|h| *h > 0.0 && *h <= 720.0)
            .collect(),
        _ => DEFAULT_REMINDER_HOURS.to_vec(),
    })
}

async fn enqueue(
    tx: &mut Tx,
    tenant: TenantId,
    dedupe_key: &str,
    run_at: DateTime<Utc>,
    notification: &Notification,
) -> Result<()> {
    let payload = serde_json::to_value(notification)
        .map_err(|e| Error::Internal(format!("job payload: {e}")))?;
    sqlx::query!(
        "INSERT INTO jobs (tenant_id, kind, payload, dedupe_key, run_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, dedupe_key) DO NOTHING",
        tenant.0,
        CLIENT_NOTIFICATION,
        payload,
        dedupe_key,
        run_at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The worker's side: finding, claiming and finishing jobs.

/// A claimed job: locked by the transaction that claimed it until that transaction ends.
#[derive(Debug)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Including this one.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Companies with a job due, the longest-waiting first (the one cross-tenant question, through
/// `platform_due_job_tenants`).
pub async fn due_tenants(db: &Db, limit: i32) -> Result<Vec<TenantId>> {
    let mut tx = db.platform_tx().await?;
    let ids = sqlx::query_scalar!(
        r#"SELECT tenant_id AS "tenant_id!" FROM platform_due_job_tenants($1)"#,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ids.into_iter().map(TenantId).collect())
}

/// Claims the company's next due job in `tx` (a [`Db::tenant_tx`]). The row stays locked until
/// `tx` ends, and other workers skip it (`SKIP LOCKED`), so two workers never run one job; the
/// worker keeps the transaction open while it sends and marks the job done before committing.
///
/// `lane` keeps the webhooks to CRMs apart: a receiver may take seconds to answer (or never),
/// and messages to car owners must not wait behind it, so the worker runs each lane on its own.
pub async fn claim(tx: &mut Tx, lane: Lane) -> Result<Option<Job>> {
    Ok(sqlx::query_as!(
        Job,
        "UPDATE jobs SET attempts = attempts + 1, updated_at = now()
         WHERE id = (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= now()
                       AND (kind = $1) = $2
                     ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id, kind, payload, attempts, max_attempts",
        super::webhooks::DELIVER,
        lane == Lane::Webhooks
    )
    .fetch_optional(&mut **tx)
    .await?)
}

/// Which of the queue's jobs a worker loop runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Messages to car owners (Telegram, SMS, e-mail).
    Messages,
    /// Webhooks to the companies' CRMs.
    Webhooks,
}

/// The job is finished: sent, or (with `note`) skipped for a reason kept in `last_error`.
pub async fn done(tx: &mut Tx, job: &Job, note: Option<&str>) -> Result<()> {
    sqlx::query!(
        "UPDATE jobs SET status = 'done', last_error = $2, updated_at = now() WHERE id = $1",
        job.id,
        note
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The attempt failed: run again after `delay`, or give up (`failed`) when the job has had all
/// its attempts or the error is permanent.
pub async fn retry_or_fail(
    tx: &mut Tx,
    job: &Job,
    error: &str,
    delay: Option<std::time::Duration>,
) -> Result<()> {
    let give_up = delay.is_none() || job.attempts >= job.max_attempts;
    let delay = delay.unwrap_or_default().as_secs_f64();
    sqlx::query!(
        "UPDATE jobs SET status = CASE WHEN $2 THEN 'failed' ELSE 'pending' END,
                run_at = now() + make_interval(secs => $3), last_error = $4, updated_at = now()
         WHERE id = $1",
        job.id,
        give_up,
        delay,
        error
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Keeps what a job learnt (the channels that refused a notification) for its next attempt.
pub async fn update_payload(tx: &mut Tx, job: &Job, notification: &Notification) -> Result<()> {
    let payload = serde_json::to_value(notification)
        .map_err(|e| Error::Internal(format!("job payload: {e}")))?;
    sqlx::query!(
        "UPDATE jobs SET payload = $2, updated_at = now() WHERE id = $1",
        job.id,
        payload
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether a reminder still fits its visit: not cancelled, finished or moved since.
pub async fn still_relevant(tx: &mut Tx, check: &VisitCheck) -> Result<bool> {
    let row = sqlx::query!(
        "SELECT status, start_time FROM appointments WHERE id = $1",
        check.appointment_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some_and(|row| {
        matches!(
            Status::parse(&row.status),
            Some(Status::New | Status::Confirmed)
        ) && row.start_time == check.start_time
    }))
}

/// Writes a message sent through the bot into the chat's transcript. The card the job named
/// may be gone by now (deleted, or merged before this job was rewritten): the message still
/// joins the chat's transcript, without a card, rather than fail after Telegram took it.
pub async fn record_sent(tx: &mut Tx, message: &TelegramMessage) -> Result<()> {
    // In a savepoint: a transcript that cannot be written must not take the job's own record
    // (sent, done) down with it. Savepoints are transaction control: runtime, nothing to check.
    sqlx::query("SAVEPOINT record_sent")
        .execute(&mut **tx)
        .await?;
    let written = chat::record(
        tx,
        &chat::NewMessage {
            chat_id: message.chat_id,
            client_id: message.client_id,
            author: chat::Author::Bot,
            staff_user_id: None,
            text: &message.text,
        },
    )
    .await;
    match written {
        Ok(_) => {
            // Transaction control: runtime.
            sqlx::query("RELEASE SAVEPOINT record_sent")
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        Err(e) => {
            // Transaction control: runtime.
            sqlx::query("ROLLBACK TO SAVEPOINT record_sent")
                .execute(&mut **tx)
                .await?;
            Err(e)
        }
    }
}

/// Pending messages of card `from` now go to card `into` (a merge of two cards).
pub async fn reassign_client(tx: &mut Tx, from: i64, into: i64) -> Result<()> {
    sqlx::query!(
        "UPDATE jobs SET payload = jsonb_set(payload, '{client_id}', to_jsonb($2::bigint)),
                updated_at = now()
         WHERE status = 'pending' AND kind = ANY($3) AND payload ->> 'client_id' = $1::bigint::text",
        from,
        into,
        &[TELEGRAM_MESSAGE.to_string(), CLIENT_NOTIFICATION.to_string()] as &[String]
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks the state just after a claim, to roll the job's work back to when it fails.
pub async fn savepoint(tx: &mut Tx) -> Result<()> {
    // Transaction control: runtime, nothing to check.
    sqlx::query("SAVEPOINT job").execute(&mut **tx).await?;
    Ok(())
}

/// The job's work failed inside its transaction: undoes that work (back to [`savepoint`]) and
/// records the attempt there, while the transaction still holds the job. A message Telegram
/// already accepted is finished (`done`, the failure kept in `last_error`); otherwise the job
/// waits `delay`, or fails for good after its last attempt.
pub async fn record_failed_attempt(
    tx: &mut Tx,
    job: &Job,
    sent: bool,
    error: &str,
    delay: std::time::Duration,
) -> Result<()> {
    // Transaction control: runtime, nothing to check.
    sqlx::query("ROLLBACK TO SAVEPOINT job")
        .execute(&mut **tx)
        .await?;
    if sent {
        done(tx, job, Some(error)).await
    } else {
        retry_or_fail(tx, job, error, Some(delay)).await
    }
}

/// Records an attempt whose own transaction failed (the database refused something while the
/// job was handled): the claim rolled back with it, so the attempt is written here, in a fresh
/// transaction. A message Telegram already accepted is finished (`done`, the failure kept in
/// `last_error`) so it is never sent again; otherwise the job waits `delay` — or fails for good
/// after its last attempt — instead of being claimed again at once, round after round.
pub async fn record_broken_attempt(
    db: &Db,
    tenant: TenantId,
    job_id: i64,
    sent: bool,
    error: &str,
    delay: std::time::Duration,
) -> Result<()> {
    let mut tx = db.tenant_tx(tenant).await?;
    sqlx::query!(
        "UPDATE jobs SET attempts = attempts + 1,
                status = CASE WHEN $2 THEN 'done'
                              WHEN attempts + 1 >= max_attempts THEN 'failed'
                              ELSE 'pending' END,
                run_at = now() + make_interval(secs => $3), last_error = $4, updated_at = now()
         WHERE id = $1 AND status = 'pending'",
        job_id,
        sent,
        delay.as_secs_f64(),
        error
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
