//! `/reports/{name}`: the owner's reports (revenue, bay load, the concierge's funnel, no-shows,
//! service mix, sources) as JSON or as CSV for Excel. Managers get them without money figures;
//! the revenue report is for admins. Read with a bearer token, or with the web admin's session
//! cookie from the Reports page's «Скачать CSV» links (same-origin GETs, as the event streams).

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use chrono::NaiveDate;
use serde::Deserialize;

use app::domain::{
    reports::{self, Audience, Report},
    AppState, Error,
};

use super::{
    auth::stream_caller,
    error::{ApiPath, ApiQuery, ApiResult},
};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (each shop's local date); default: 29 days before `to`.
    from: Option<NaiveDate>,
    /// Last day, inclusive; default: the company's today. At most 366 days in all.
    to: Option<NaiveDate>,
    /// One shop; default: all.
    shop_id: Option<i64>,
    /// `day` (default), `week` or `month`.
    group: Option<String>,
    /// `json` (default) or `csv` (UTF-8 with BOM, `;` and decimal commas, for Excel).
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/{name}", tag = "reports", security(("bearer" = [])),
    params(("name" = String, Path, description = "revenue, load, funnel, no_shows, services or sources"), ReportQuery),
    responses((status = 200, description = "The report; with `format=csv` a CSV file",
               content((Report = "application/json"), (String = "text/csv"))),
              (status = 403, description = "A manager asked for the revenue report"),
              (status = 404), (status = 422)))]
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let (staff, _) = stream_caller(&state, &headers, None).await?;
    let csv = match query.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        _ => return Err(Error::validation("Формат: json или csv").into()),
    };
    let audience = Audience::of(staff.user.role);
    let mut tx = state.db.tenant_read_tx(staff.tenant).await?;
    let period = reports::period(
        &mut tx,
        query.from,
        query.to,
        query.shop_id,
        query.group.as_deref(),
    )
    .await?;
    let report = reports::build(&mut tx, &name, period, audience).await?;
    drop(tx);
    if !csv {
        return Ok(Json(report).into_response());
    }
    let filename = format!("report-{}-{}-{}.csv", report.name, report.from, report.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        reports::csv(&report),
    )
        .into_response())
}
