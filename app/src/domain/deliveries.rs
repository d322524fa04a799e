//! How notifications reach car owners: the company's channel settings (order, SMS account,
//! reply-to address), each client's addresses, and the log of every attempt that staff see on
//! the visit and the client card.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    config::Config,
    crypto,
    db::{TenantId, Tx},
    outbox::Medium,
    sms::{self, Provider},
    Error, Result,
};

/// Telegram → SMS → e-mail, when the company has not chosen.
pub const DEFAULT_ORDER: [Medium; 3] = [Medium::Telegram, Medium::Sms, Medium::Email];

/// The company's channel settings, as the worker needs them for one round.
#[derive(Debug, Clone)]
pub struct Settings {
    pub company: String,
    pub order: Vec<Medium>,
    pub reply_to: Option<String>,
    /// `None`: no SMS account, or its key cannot be decrypted (logged).
    pub sms: Option<Provider>,
    pub sms_sender: Option<String>,
}

/// Reads the settings of the company `tx` is scoped to.
pub async fn settings(tx: &mut Tx, config: &Config) -> Result<Settings> {
    let row = sqlx::query!(
        "SELECT name, notify_channels, reply_to_email, sms_provider, sms_sender, sms_url, sms_key_enc
         FROM tenants"
    )
    .fetch_one(&mut **tx)
    .await?;
    let order = order_of(row.notify_channels.as_deref());
    let sms = match (row.sms_provider.as_deref(), row.sms_key_enc) {
        (Some(kind), Some(enc)) => match crypto::decrypt(config, &enc) {
            Ok(key) => match (kind, row.sms_url) {
                (sms::SMSRU, _) => Some(Provider::SmsRu { api_id: key }),
                (sms::WEBHOOK, Some(url)) => Some(Provider::Webhook { url, key }),
                _ => None,
            },
            Err(e) => {
                tracing::error!(error = %e, "the SMS key cannot be decrypted (ENCRYPTION_KEY changed?)");
                None
            }
        },
        _ => None,
    };
    Ok(Settings {
        company: row.name,
        order,
        reply_to: row.reply_to_email,
        sms,
        sms_sender: row.sms_sender,
    })
}

/// The stored order, or the default one.
pub fn order_of(stored: Option<&[String]>) -> Vec<Medium> {
    let order: Vec<Medium> = stored
        .unwrap_or_default()
        .iter()
        .filter_map(|c| Medium::parse(c))
        .collect();
    if order.is_empty() {
        DEFAULT_ORDER.to_vec()
    } else {
        order
    }
}

/// Where a client can be reached.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub chat_id: Option<i64>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub no_messages: bool,
}

/// The client's addresses now; `None` when the card is gone.
pub async fn recipient(tx: &mut Tx, client_id: i64) -> Result<Option<Recipient>> {
    Ok(sqlx::query_as!(
        Recipient,
        "SELECT telegram_chat_id AS chat_id, phone, email, no_messages FROM clients WHERE id = $1",
        client_id
    )
    .fetch_optional(&mut **tx)
    .await?)
}

impl Recipient {
    /// The client's address on `medium`, if the card has one that can be used.
    pub fn address(&self, medium: Medium) -> Option<String> {
        match medium {
            Medium::Telegram => self.chat_id.map(|id| id.to_string()),
            Medium::Sms => self.phone.clone(),
            Medium::Email => self.email.clone().filter(|e| super::mail::is_address(e)),
        }
    }
}

/// One attempt, as recorded.
pub struct Attempt<'a> {
    pub job_id: i64,
    pub client_id: i64,
    pub appointment_id: i64,
    pub event: &'a str,
    pub medium: Option<Medium>,
    pub sent: bool,
    pub detail: &'a str,
}

pub async fn record(tx: &mut Tx, tenant: TenantId, attempt: &Attempt<'_>) -> Result<()> {
    sqlx::query!(
        "INSERT INTO deliveries (tenant_id, job_id, client_id, appointment_id, event, channel, status, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        tenant.0,
        attempt.job_id,
        attempt.client_id,
        attempt.appointment_id,
        attempt.event,
        attempt.medium.map(Medium::as_str),
        if attempt.sent { "sent" } else { "failed" },
        attempt.detail
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A delivery as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: i64,
    pub appointment_id: Option<i64>,
    pub client_id: Option<i64>,
    /// `booked`, `confirmed`, `in_progress`, `completed`, `cancelled`, `moved`, `reminder`.
    pub event: String,
    /// `telegram`, `sms`, `email`; `null` when no channel could be tried.
    pub channel: Option<String>,
    /// `sent` or `failed`.
    pub status: String,
    /// Why it failed (the provider's words), or what was skipped.
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// The deliveries of one visit, or of one client's visits, the newest first (at most 100).
pub async fn list(
    tx: &mut Tx,
    appointment_id: Option<i64>,
    client_id: Option<i64>,
) -> Result<Vec<Delivery>> {
    if appointment_id.is_none() && client_id.is_none() {
        return Err(Error::Internal(
            "deliveries::list needs a visit or a client".into(),
        ));
    }
    Ok(sqlx::query_as!(
        Delivery,
        "SELECT id, appointment_id, client_id, event, channel, status, detail, created_at
         FROM deliveries
         WHERE ($1::bigint IS NULL OR appointment_id = $1)
           AND ($2::bigint IS NULL OR client_id = $2)
         ORDER BY created_at DESC, id DESC
         LIMIT 100",
        appointment_id,
        client_id
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// The deliveries of each of these visits, oldest first (the calendar's timelines).
pub async fn for_visits(
    tx: &mut Tx,
    appointment_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Delivery>>> {
    let rows = sqlx::query_as!(
        Delivery,
        "SELECT id, appointment_id, client_id, event, channel, status, detail, created_at
         FROM deliveries WHERE appointment_id = ANY($1)
         ORDER BY created_at, id",
        appointment_ids
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut by_visit: std::collections::HashMap<i64, Vec<Delivery>> = Default::default();
    for row in rows {
        if let Some(id) = row.appointment_id {
            by_visit.entry(id).or_default().push(row);
        }
    }
    Ok(by_visit)
}

/// The Russian name of a notification's event, for staff.
pub use super::templates::event_label;

/// The Russian name of a channel.
pub fn channel_label(channel: Option<&str>) -> &'static str {
    match channel {
        Some("telegram") => "Telegram",
        Some("sms") => "SMS",
        Some("email") => "E-mail",
        _ => "—",
    }
}
