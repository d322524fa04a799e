//! Appointments as the API shows them.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{db::Tx, Result};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientRef {
    pub id: i64,
    pub full_name: String,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceRef {
    pub id: i64,
    pub name: String,
    #[schema(value_type = f64)]
    pub price: Decimal,
    pub duration_minutes: i32,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Appointment {
    pub id: i64,
    pub tenant_id: i64,
    pub shop_id: i64,
    pub client_id: i64,
    pub client: ClientRef,
    pub vehicle_id: Option<i64>,
    pub service_ids: Vec<i64>,
    pub services: Vec<ServiceRef>,
    pub bay: i32,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub status: String,
    pub source: String,
    pub customer_note: String,
    pub ai_summary: String,
    #[schema(value_type = Option<Object>)]
    pub ai_analysis: Option<serde_json::Value>,
    pub cancel_reason: Option<String>,
    #[schema(value_type = f64)]
    pub total_price: Decimal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default)]
pub struct AppointmentFilter {
    pub shop_id: Option<i64>,
    pub status: Option<String>,
    pub client_id: Option<i64>,
    /// Inclusive, in the shop's time zone.
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub skip: i64,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    tenant_id: i64,
    shop_id: i64,
    client_id: i64,
    client_name: String,
    client_phone: Option<String>,
    vehicle_id: Option<i64>,
    bay: i32,
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
    status: String,
    source: String,
    customer_note: String,
    ai_summary: String,
    ai_analysis: Option<serde_json::Value>,
    cancel_reason: Option<String>,
    total_price: Decimal,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    services: sqlx::types::Json<Vec<ServiceRef>>,
}

/// Appointments matching the filter, by start time, with client and services in one query.
pub async fn list(tx: &mut Tx, f: &AppointmentFilter) -> Result<Vec<Appointment>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, a.tenant_id, a.shop_id, a.client_id, c.full_name AS client_name, c.phone AS client_phone,
                a.vehicle_id, a.bay, a.start_time, a.end_time, a.status, a.source, a.customer_note, a.ai_summary,
                a.ai_analysis, a.cancel_reason, a.total_price, a.created_at, a.updated_at,
                coalesce((SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'price', x.price,
                                                            'duration_minutes', x.duration_minutes) ORDER BY s.id)
                          FROM appointment_services x JOIN services s ON s.id = x.service_id
                          WHERE x.appointment_id = a.id), '[]') AS services
         FROM appointments a
         JOIN clients c ON c.id = a.client_id
         JOIN shops sh ON sh.id = a.shop_id
         WHERE ($1::bigint IS NULL OR a.shop_id = $1)
           AND ($2::text IS NULL OR a.status = $2)
           AND ($3::bigint IS NULL OR a.client_id = $3)
           AND ($4::date IS NULL OR a.start_time >= ($4::date::timestamp AT TIME ZONE sh.timezone))
           AND ($5::date IS NULL OR a.start_time < (($5::date + 1)::timestamp AT TIME ZONE sh.timezone))
         ORDER BY a.start_time, a.id
         OFFSET $6 LIMIT $7",
    )
    .bind(f.shop_id)
    .bind(&f.status)
    .bind(f.client_id)
    .bind(f.date_from)
    .bind(f.date_to)
    .bind(f.skip)
    .bind(f.limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Appointment {
            id: r.id,
            tenant_id: r.tenant_id,
            shop_id: r.shop_id,
            client_id: r.client_id,
            client: ClientRef {
                id: r.client_id,
                full_name: r.client_name,
                phone: r.client_phone,
            },
            vehicle_id: r.vehicle_id,
            service_ids: r.services.0.iter().map(|s| s.id).collect(),
            services: r.services.0,
            bay: r.bay,
            start_time: r.start_time,
            end_time: r.end_time,
            status: r.status,
            source: r.source,
            customer_note: r.customer_note,
            ai_summary: r.ai_summary,
            ai_analysis: r.ai_analysis,
            cancel_reason: r.cancel_reason,
            total_price: r.total_price,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}
