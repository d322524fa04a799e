//! The company (tenant) as its own bot and pages see it, read in its tenant transaction: its
//! name, its time zone and its own "today"; and its settings as admins change them (name, time
//! zone, reminders before a visit), from the REST API and the Settings page alike.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    accounts::validate_timezone,
    config::Config,
    crypto,
    db::{Db, TenantId, Tx},
    deliveries, mail,
    outbox::{self, Medium},
    shops, sms, Error, Result,
};

pub async fn name(tx: &mut Tx) -> Result<String> {
    Ok(sqlx::query_scalar!("SELECT name FROM tenants")
        .fetch_one(&mut **tx)
        .await?)
}

/// The company's clock, for times shown to staff that belong to no shop (e.g. the transcript).
pub async fn zone(tx: &mut Tx) -> Result<chrono_tz::Tz> {
    let name = sqlx::query_scalar!("SELECT timezone FROM tenants")
        .fetch_one(&mut **tx)
        .await?;
    shops::zone(&name)
}

/// "Today" of the company, not of the server.
pub async fn today(tx: &mut Tx) -> Result<NaiveDate> {
    Ok(sqlx::query_scalar!(
        r#"SELECT (now() AT TIME ZONE timezone)::date AS "today!" FROM tenants"#
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// The company's settings as staff see them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// IANA time zone, e.g. `Europe/Moscow`: the company's "today" and the times of its pages
    /// that belong to no shop.
    pub timezone: String,
    /// Hours before a visit when the client is reminded (on the first channel that works), largest first; empty: no
    /// reminders. `[24, 2]` unless the company set its own.
    pub reminder_hours: Vec<i32>,
    /// The order in which a notification tries the client's channels (`telegram`, `sms`,
    /// `email`); it goes by the first that works. `["telegram", "sms", "email"]` by default.
    pub channels: Vec<String>,
    /// Where answers to the company's letters go (their Reply-To); `null`: nowhere.
    pub reply_to_email: Option<String>,
    /// The company's SMS account; `null`: no SMS. Its key is never shown again.
    pub sms: Option<SmsAccount>,
    /// Jobs the shop does not take («кузовной ремонт», «покраска»): the concierge tells a
    /// customer who asks for one so, instead of offering a wrong service.
    pub declined_jobs: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A connected SMS account, without its key.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SmsAccount {
    /// `smsru` or `webhook`.
    pub provider: String,
    /// The sender name shown on phones (approved by the provider), if any.
    pub sender: Option<String>,
    /// The webhook's URL (`webhook` only).
    pub url: Option<String>,
}

/// Connects, changes or (`provider: "none"`) disconnects the SMS account.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsPatch {
    /// `smsru`, `webhook` or `none`.
    pub provider: String,
    /// Up to 11 Latin letters and digits; empty: the provider's default.
    pub sender: Option<String>,
    /// `webhook`: where messages are posted (`{"to", "text", "sender"}`).
    pub url: Option<String>,
    /// SMS.ru's `api_id`, or the webhook's bearer key. Needed when connecting or switching the
    /// provider; left out, the stored one stays.
    pub key: Option<String>,
}

/// What an admin changes; what is left out stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    pub name: Option<String>,
    pub timezone: Option<String>,
    /// Whole hours, 1 to 720, at most 5 values (duplicates dropped); `[]` turns reminders off.
    pub reminder_hours: Option<Vec<i64>>,
    /// Each of `telegram`, `sms`, `email` at most once, at least one.
    pub channels: Option<Vec<String>>,
    /// An e-mail address, or `""` for none.
    pub reply_to_email: Option<String>,
    pub sms: Option<SmsPatch>,
    /// At most 30 jobs of up to 60 characters (repeats and empty ones dropped); `[]`: none.
    pub declined_jobs: Option<Vec<String>>,
}

/// The longest company name, in characters.
pub const NAME_MAX: usize = 200;
/// Reminders a visit may have.
pub const MAX_REMINDERS: usize = 5;
/// The earliest reminder: 30 days before the visit.
pub const MAX_REMINDER_HOURS: i64 = 720;

pub async fn get(tx: &mut Tx) -> Result<Company> {
    let row = sqlx::query!(
        "SELECT id, name, slug, timezone, created_at, notify_channels, reply_to_email,
                sms_provider, sms_sender, sms_url
         FROM tenants"
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    // The hours the outbox itself goes by, so that the page shows what will happen.
    let mut reminder_hours: Vec<i32> = outbox::reminder_hours(tx)
        .await?
        .into_iter()
        .map(|h| h.round() as i32)
        .collect();
    reminder_hours.sort_unstable_by(|a, b| b.cmp(a));
    Ok(Company {
        id: row.id,
        name: row.name,
        slug: row.slug,
        timezone: row.timezone,
        reminder_hours,
        channels: deliveries::order_of(row.notify_channels.as_deref())
            .into_iter()
            .map(|m| m.as_str().to_string())
            .collect(),
        reply_to_email: row.reply_to_email,
        sms: row.sms_provider.map(|provider| SmsAccount {
            provider,
            sender: row.sms_sender,
            url: row.sms_url,
        }),
        declined_jobs: super::concierge::declined_jobs(tx).await?,
        created_at: row.created_at,
    })
}

/// Use case: an admin changes the company's name, time zone or reminders (REST API, Settings).
/// The reminders apply to visits booked or moved from now on; those already queued stay. No
/// live event: no open page shows these settings live, and everything that uses them reads
/// them afresh.
pub async fn change(
    db: &Db,
    config: &Config,
    tenant: TenantId,
    patch: CompanyPatch,
) -> Result<Company> {
    let name = patch.name.as_deref().map(checked_name).transpose()?;
    let timezone = patch.timezone.as_deref().map(str::trim);
    if let Some(timezone) = timezone {
        validate_timezone(timezone)?;
    }
    let reminders = patch
        .reminder_hours
        .map(checked_reminder_hours)
        .transpose()?
        .map(serde_json::Value::from);
    let declined = patch
        .declined_jobs
        .map(super::concierge::declined::checked)
        .transpose()
        .map_err(Error::Validation)?
        .map(serde_json::Value::from);
    let mut tx = db.tenant_tx(tenant).await?;
    // jsonb_set keeps the other notification settings.
    let changed = sqlx::query!(
        "UPDATE tenants SET name = COALESCE($2, name), timezone = COALESCE($3, timezone),
                notification_settings = CASE WHEN $4::jsonb IS NULL THEN notification_settings
                    ELSE jsonb_set(notification_settings, '{reminder_hours}', $4::jsonb) END,
                ai_settings = CASE WHEN $5::jsonb IS NULL THEN ai_settings
                    ELSE jsonb_set(ai_settings, '{declined_jobs}', $5::jsonb) END,
                updated_at = now()
         WHERE id = $1",
        tenant.0,
        name,
        timezone,
        reminders,
        declined
    )
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    change_channels(
        &mut tx,
        config,
        &patch.channels,
        &patch.reply_to_email,
        patch.sms,
    )
    .await?;
    let company = get(&mut tx).await?;
    tx.commit().await?;
    Ok(company)
}

/// The channel settings of a [`CompanyPatch`], checked and stored in `tx`.
async fn change_channels(
    tx: &mut Tx,
    config: &Config,
    channels: &Option<Vec<String>>,
    reply_to: &Option<String>,
    sms: Option<SmsPatch>,
) -> Result<()> {
    if let Some(channels) = channels {
        let order = checked_channels(channels)?;
        sqlx::query!(
            "UPDATE tenants SET notify_channels = $1",
            &order as &[String]
        )
        .execute(&mut **tx)
        .await?;
    }
    if let Some(reply_to) = reply_to {
        let reply_to = reply_to.trim();
        if !reply_to.is_empty() && (reply_to.len() > 254 || !mail::is_address(reply_to)) {
            return Err(Error::validation(
                "Адрес для ответов: укажите корректный e-mail или оставьте пустым",
            ));
        }
        sqlx::query!(
            "UPDATE tenants SET reply_to_email = NULLIF($1, '')",
            reply_to
        )
        .execute(&mut **tx)
        .await?;
    }
    let Some(sms) = sms else {
        return Ok(());
    };
    let provider = sms.provider.trim();
    if provider == "none" {
        sqlx::query!(
            "UPDATE tenants SET sms_provider = NULL, sms_sender = NULL, sms_url = NULL, sms_key_enc = NULL"
        )
        .execute(&mut **tx)
        .await?;
        return Ok(());
    }
    if provider != sms::SMSRU && provider != sms::WEBHOOK {
        return Err(Error::validation("SMS-провайдер: smsru, webhook или none"));
    }
    let sender = sms
        .sender
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(sender) = sender {
        if sender.chars().count() > 11
            || !sender
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " .-".contains(c))
        {
            return Err(Error::validation(
                "Имя отправителя SMS: до 11 латинских букв и цифр",
            ));
        }
    }
    let url = match provider {
        sms::WEBHOOK => {
            let url = sms.url.as_deref().map(str::trim).unwrap_or_default();
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 500 {
                return Err(Error::validation("Адрес SMS-шлюза: ссылка http(s)://…"));
            }
            if config.is_production() && !url.starts_with("https://") {
                return Err(Error::validation("Адрес SMS-шлюза: только https://"));
            }
            Some(url.to_string())
        }
        _ => None,
    };
    let current: Option<String> = sqlx::query_scalar!("SELECT sms_provider FROM tenants")
        .fetch_one(&mut **tx)
        .await?;
    let key = sms.key.as_deref().map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > 500) {
        return Err(Error::validation("Ключ SMS-провайдера слишком длинный"));
    }
    let key_enc = match key {
        Some(key) => Some(crypto::encrypt(config, key)?),
        None if current.as_deref() == Some(provider) => None,
        None => {
            return Err(Error::validation(if provider == sms::SMSRU {
                "Укажите api_id из личного кабинета SMS.ru"
            } else {
                "Укажите ключ доступа SMS-шлюза"
            }))
        }
    };
    sqlx::query!(
        "UPDATE tenants SET sms_provider = $1, sms_sender = $2, sms_url = $3,
                sms_key_enc = COALESCE($4, sms_key_enc)",
        provider,
        sender,
        url,
        key_enc
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn checked_channels(channels: &[String]) -> Result<Vec<String>> {
    let mut order: Vec<Medium> = Vec::new();
    for channel in channels {
        let medium = Medium::parse(channel.trim()).ok_or_else(|| {
            Error::validation(format!(
                "Неизвестный канал «{channel}»: telegram, sms или email"
            ))
        })?;
        if order.contains(&medium) {
            return Err(Error::validation(format!(
                "Канал «{channel}» указан дважды"
            )));
        }
        order.push(medium);
    }
    if order.is_empty() {
        return Err(Error::validation("Укажите хотя бы один канал уведомлений"));
    }
    Ok(order.into_iter().map(|m| m.as_str().to_string()).collect())
}

fn checked_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::validation("Укажите название компании"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(Error::validation(format!(
            "Название компании: не длиннее {NAME_MAX} символов"
        )));
    }
    Ok(name)
}

/// Reminder hours as stored: largest first, each once.
fn checked_reminder_hours(mut hours: Vec<i64>) -> Result<Vec<i64>> {
    if let Some(h) = hours
        .iter()
        .find(|h| !(1..=MAX_REMINDER_HOURS).contains(*h))
    {
        return Err(Error::validation(format!(
            "Напоминание за {h} ч: можно от 1 до {MAX_REMINDER_HOURS} часов до визита"
        )));
    }
    hours.sort_unstable_by(|a, b| b.cmp(a));
    hours.dedup();
    if hours.len() > MAX_REMINDERS {
        return Err(Error::validation(format!(
            "Напоминаний не больше {MAX_REMINDERS}"
        )));
    }
    Ok(hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_hours_are_whole_hours_up_to_a_month_largest_first() {
        assert_eq!(
            checked_reminder_hours(vec![2, 24, 2]).expect("valid"),
            vec![24, 2]
        );
        assert_eq!(
            checked_reminder_hours(vec![]).expect("off"),
            Vec::<i64>::new()
        );
        assert!(checked_reminder_hours(vec![0]).is_err());
        assert!(checked_reminder_hours(vec![721]).is_err());
        assert!(checked_reminder_hours(vec![1, 2, 3, 4, 5, 6]).is_err());
        assert!(checked_reminder_hours(vec![1, 2, 3, 4, 5, 5]).is_ok());
    }

    #[test]
    fn a_name_is_trimmed_and_not_blank() {
        assert_eq!(checked_name("  Север ").expect("valid"), "Север");
        assert!(checked_name("   ").is_err());
        assert!(checked_name(&"я".repeat(201)).is_err());
    }
}
