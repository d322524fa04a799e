//! Loading appointments as the API shows them: one query for the visits, one for their services.

use super::*;

/// The appointments query of [`super::list`], whose filters are built at run time (`QueryBuilder`);
/// [`super::get`] writes the same columns out in a checked `query_as!`.
pub(super) const SELECT_APPOINTMENTS: &str = "SELECT a.id, a.tenant_id, a.shop_id, a.client_id,
        c.full_name AS client_full_name, c.phone AS client_phone, a.vehicle_id, a.bay,
        a.start_time, a.end_time, a.status, a.source, a.customer_note, a.staff_note,
        a.ai_summary, a.ai_analysis, a.ai_edited_summary, a.ai_edited_causes, a.ai_edited_by,
        e.full_name AS ai_edited_by_name, a.ai_edited_at,
        a.total_price, a.cancel_reason, a.created_at, a.updated_at, s.timezone
    FROM appointments a
    JOIN clients c ON c.id = a.client_id
    JOIN shops s ON s.id = a.shop_id
    LEFT JOIN users e ON e.id = a.ai_edited_by";

#[derive(sqlx::FromRow)]
pub(super) struct AppointmentRow {
    pub(super) id: i64,
    pub(super) tenant_id: i64,
    pub(super) shop_id: i64,
    pub(super) client_id: i64,
    pub(super) client_full_name: String,
    pub(super) client_phone: Option<String>,
    pub(super) vehicle_id: Option<i64>,
    pub(super) bay: i32,
    pub(super) start_time: DateTime<Utc>,
    pub(super) end_time: DateTime<Utc>,
    pub(super) status: String,
    pub(super) source: String,
    pub(super) customer_note: String,
    pub(super) staff_note: String,
    pub(super) ai_summary: String,
    pub(super) ai_analysis: Option<sqlx::types::Json<Box<RawValue>>>,
    pub(super) ai_edited_summary: Option<String>,
    pub(super) ai_edited_causes: Option<Vec<String>>,
    pub(super) ai_edited_by: Option<i64>,
    pub(super) ai_edited_by_name: Option<String>,
    pub(super) ai_edited_at: Option<DateTime<Utc>>,
    pub(super) total_price: Decimal,
    pub(super) cancel_reason: Option<String>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) timezone: String,
}

pub(super) struct ServiceRow {
    pub(super) appointment_id: i64,
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) price: Decimal,
    pub(super) duration_minutes: i32,
}

pub(super) struct HistoryRow {
    pub(super) id: i64,
    pub(super) appointment_id: i64,
    pub(super) from_status: Option<String>,
    pub(super) to_status: String,
    pub(super) changed_by: Option<i64>,
    pub(super) changed_by_name: Option<String>,
    pub(super) channel: String,
    pub(super) reason: Option<String>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) timezone: String,
}

/// Appointments from their rows, with the services of all of them loaded at once.
pub(super) async fn load_appointments(
    tx: &mut Tx,
    rows: Vec<AppointmentRow>,
) -> Result<Vec<Appointment>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let service_rows = sqlx::query_as!(
        ServiceRow,
        "SELECT x.appointment_id, x.service_id AS id, s.name, x.price, x.duration_minutes
         FROM appointment_services x JOIN services s ON s.id = x.service_id
         WHERE x.appointment_id = ANY($1)
         ORDER BY x.appointment_id, x.service_id",
        &ids
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut services: HashMap<i64, Vec<BookedService>> = HashMap::new();
    for row in service_rows {
        services
            .entry(row.appointment_id)
            .or_default()
            .push(BookedService {
                id: row.id,
                name: row.name,
                price: row.price,
                duration_minutes: row.duration_minutes,
            });
    }
    rows.into_iter()
        .map(|row| {
            let services = services.remove(&row.id).unwrap_or_default();
            appointment_from_row(row, services)
        })
        .collect()
}

pub(super) fn appointment_from_row(
    row: AppointmentRow,
    services: Vec<BookedService>,
) -> Result<Appointment> {
    let tz = tz_from_db(&row.timezone)?;
    let ai_edit = match (
        row.ai_edited_summary,
        row.ai_edited_causes,
        row.ai_edited_at,
    ) {
        (Some(summary), Some(causes), Some(at)) => Some(FindingsEdit {
            summary,
            causes,
            edited_by: row.ai_edited_by,
            edited_by_name: row.ai_edited_by_name,
            edited_at: local(at, tz),
        }),
        _ => None,
    };
    Ok(Appointment {
        id: row.id,
        tenant_id: row.tenant_id,
        shop_id: row.shop_id,
        client_id: row.client_id,
        client: AppointmentClient {
            id: row.client_id,
            full_name: row.client_full_name,
            phone: row.client_phone,
        },
        vehicle_id: row.vehicle_id,
        service_ids: services.iter().map(|s| s.id).collect(),
        services,
        bay: row.bay,
        start_time: local(row.start_time, tz),
        end_time: local(row.end_time, tz),
        status: status_from_db(&row.status)?,
        source: Channel::parse(&row.source).ok_or_else(|| {
            Error::Internal(format!(
                "unknown appointment source in the database: {}",
                row.source
            ))
        })?,
        customer_note: row.customer_note,
        staff_note: row.staff_note,
        ai_summary: row.ai_summary,
        ai_analysis: row.ai_analysis.map(|json| RawJson(json.0)),
        ai_edit,
        total_price: row.total_price,
        cancel_reason: row.cancel_reason,
        created_at: local(row.created_at, tz),
        updated_at: local(row.updated_at, tz),
    })
}

/// An instant as the shop's wall clock shows it, with the offset, e.g. `2030-01-14T09:00:00+03:00`.
pub(super) fn local(t: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
    t.with_timezone(&tz).fixed_offset()
}

pub(super) fn tz_from_db(name: &str) -> Result<Tz> {
    crate::domain::shops::zone(name)
}

pub(super) fn status_from_db(s: &str) -> Result<Status> {
    Status::parse(s)
        .ok_or_else(|| Error::Internal(format!("unknown appointment status in the database: {s}")))
}
