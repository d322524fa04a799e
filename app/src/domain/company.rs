//! The company (tenant) as its own bot and pages see it, read in its tenant transaction: its
//! name, its time zone and its own "today".

use chrono::NaiveDate;

use super::{db::Tx, shops, Result};

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
