//! The company (tenant) as its own bot and pages see it, read in its tenant transaction: its
//! name, its time zone and its own "today"; and its settings as admins change them (name, time
//! zone, reminders before a visit), from the REST API and the Settings page alike.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    accounts::validate_timezone,
    db::{Db, TenantId, Tx},
    outbox, shops, Error, Result,
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
    /// Hours before a visit when the client is reminded in Telegram, largest first; empty: no
    /// reminders. `[24, 2]` unless the company set its own.
    pub reminder_hours: Vec<i32>,
    pub created_at: DateTime<Utc>,
}

/// What an admin changes; what is left out stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    pub name: Option<String>,
    pub timezone: Option<String>,
    /// Whole hours, 1 to 720, at most 5 values (duplicates dropped); `[]` turns reminders off.
    pub reminder_hours: Option<Vec<i64>>,
}

/// The longest company name, in characters.
pub const NAME_MAX: usize = 200;
/// Reminders a visit may have.
pub const MAX_REMINDERS: usize = 5;
/// The earliest reminder: 30 days before the visit.
pub const MAX_REMINDER_HOURS: i64 = 720;

pub async fn get(tx: &mut Tx) -> Result<Company> {
    let row = sqlx::query!("SELECT id, name, slug, timezone, created_at FROM tenants")
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
        created_at: row.created_at,
    })
}

/// Use case: an admin changes the company's name, time zone or reminders (REST API, Settings).
/// The reminders apply to visits booked or moved from now on; those already queued stay. No
/// live event: no open page shows these settings live, and everything that uses them reads
/// them afresh.
pub async fn change(db: &Db, tenant: TenantId, patch: CompanyPatch) -> Result<Company> {
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
    let mut tx = db.tenant_tx(tenant).await?;
    // jsonb_set keeps the other notification settings.
    let changed = sqlx::query!(
        "UPDATE tenants SET name = COALESCE($2, name), timezone = COALESCE($3, timezone),
                notification_settings = CASE WHEN $4::jsonb IS NULL THEN notification_settings
                    ELSE jsonb_set(notification_settings, '{reminder_hours}', $4::jsonb) END,
                updated_at = now()
         WHERE id = $1",
        tenant.0,
        name,
        timezone,
        reminders
    )
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    let company = get(&mut tx).await?;
    tx.commit().await?;
    Ok(company)
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
