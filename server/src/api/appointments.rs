//! `/appointments`: the calendar. Every rule (free bays, hours, transitions) is decided in
//! `app::domain::booking`; this module only translates HTTP.

use axum::{extract::State, http::StatusCode, Json};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::domain::{
    booking::{
        self, Appointment, AppointmentFilter, Change, Channel, Findings, NewBooking, Status,
        StatusChange,
    },
    clients::{ClientRef, NewVehicle},
    AppState,
};

use super::{
    auth::Staff,
    error::{paging, ApiError, ApiPath, ApiQuery, ApiResult},
    ApiJson,
};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AppointmentQuery {
    shop_id: Option<i64>,
    /// new | confirmed | in_progress | completed | cancelled | no_show
    status: Option<String>,
    client_id: Option<i64>,
    /// Inclusive, `YYYY-MM-DD` in the shop's time zone.
    date_from: Option<NaiveDate>,
    /// Inclusive, `YYYY-MM-DD` in the shop's time zone.
    date_to: Option<NaiveDate>,
    skip: Option<i64>,
    limit: Option<i64>,
}

fn parse_status(value: &str, loc: &'static str) -> ApiResult<Status> {
    Status::parse(value).ok_or_else(|| {
        ApiError::validation(
            &[loc, "status"],
            "status: new, confirmed, in_progress, completed, cancelled или no_show",
        )
    })
}

#[utoipa::path(get, path = "/api/v1/appointments", tag = "appointments", security(("bearer" = [])),
    params(AppointmentQuery), responses((status = 200, body = [Appointment]), (status = 422)))]
pub async fn list(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiQuery(q): ApiQuery<AppointmentQuery>,
) -> ApiResult<Json<Vec<Appointment>>> {
    let (skip, limit) = paging(q.skip, q.limit)?;
    let status = q
        .status
        .as_deref()
        .map(|s| parse_status(s, "query"))
        .transpose()?;
    if let (Some(from), Some(to)) = (q.date_from, q.date_to) {
        if to < from {
            return Err(ApiError::validation(
                &["query", "date_to"],
                "date_to раньше date_from",
            ));
        }
    }
    let filter = AppointmentFilter {
        shop_id: q.shop_id,
        status,
        client_id: q.client_id,
        date_from: q.date_from,
        date_to: q.date_to,
        skip,
        limit,
    };
    let mut tx = staff.read(&state.db).await?;
    let items = booking::list(&mut tx, &filter).await?;
    Ok(Json(items))
}

/// A client given by name and phone: found by phone in the company, or created.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientByPhone {
    #[serde(default)]
    full_name: String,
    phone: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppointment {
    shop_id: i64,
    /// An existing client…
    client_id: Option<i64>,
    /// …or a new one (found by phone if they already exist).
    client: Option<ClientByPhone>,
    /// One of the client's cars…
    vehicle_id: Option<i64>,
    /// …or a new car, added to the client's card.
    vehicle: Option<NewVehicle>,
    service_ids: Vec<i64>,
    #[schema(value_type = String, format = DateTime)]
    start_time: DateTime<FixedOffset>,
    /// Default: start + the services' total duration.
    #[schema(value_type = Option<String>, format = DateTime)]
    end_time: Option<DateTime<FixedOffset>>,
    /// Default: the lowest free bay.
    bay: Option<i32>,
    #[serde(default)]
    customer_note: String,
}

#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments", security(("bearer" = [])),
    request_body = NewAppointment,
    responses((status = 201, body = Appointment), (status = 404), (status = 409, description = "No free bay at that time"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(new): ApiJson<NewAppointment>,
) -> ApiResult<(StatusCode, Json<Appointment>)> {
    let client = match (new.client_id, new.client) {
        (Some(id), None) => ClientRef::Id(id),
        (None, Some(c)) => ClientRef::ByPhone {
            full_name: c.full_name,
            phone: c.phone,
        },
        _ => {
            return Err(ApiError::validation(
                &["body", "client_id"],
                "Укажите либо client_id, либо client: {full_name, phone}",
            ))
        }
    };
    let appointment =
        booking::book_visit(&state, staff.tenant, &client, new.vehicle, |client_id| {
            NewBooking {
                shop_id: new.shop_id,
                client_id,
                vehicle_id: new.vehicle_id,
                service_ids: new.service_ids,
                start_time: new.start_time.with_timezone(&Utc),
                end_time: new.end_time.map(|t| t.with_timezone(&Utc)),
                bay: new.bay,
                source: Channel::Api,
                customer_note: new.customer_note,
                ai_summary: String::new(),
                ai_analysis: None,
                created_by: Some(staff.user.id),
                manage_link: None,
            }
        })
        .await?;
    Ok((StatusCode::CREATED, Json(appointment)))
}

/// An appointment with its status history.
#[derive(Serialize, ToSchema)]
pub struct AppointmentDetail {
    #[serde(flatten)]
    appointment: Appointment,
    /// Oldest first: the booking, then each status change (who, when, channel, reason).
    history: Vec<StatusChange>,
    /// Messages to the client about this visit and how each went, newest first.
    deliveries: Vec<app::domain::deliveries::Delivery>,
}

#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = AppointmentDetail), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AppointmentDetail>> {
    let mut tx = staff.read(&state.db).await?;
    let appointment = booking::get(&mut tx, id).await?;
    let history = booking::history(&mut tx, id).await?;
    let deliveries = app::domain::deliveries::list(&mut tx, Some(id), None).await?;
    Ok(Json(AppointmentDetail {
        appointment,
        history,
        deliveries,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentPatch {
    status: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    start_time: Option<DateTime<FixedOffset>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    end_time: Option<DateTime<FixedOffset>>,
    bay: Option<i32>,
    service_ids: Option<Vec<i64>>,
    /// Why (e.g. the reason of a cancellation); kept in the status history.
    reason: Option<String>,
    /// One of the client's cars; `null` takes the car off the visit.
    #[serde(default, deserialize_with = "app::domain::serde_util::double_option")]
    #[schema(value_type = Option<i64>)]
    vehicle_id: Option<Option<i64>>,
    customer_note: Option<String>,
    /// Staff's own note; never shown to the client.
    staff_note: Option<String>,
    /// The concierge's findings as staff correct them (marked with who and when; the
    /// concierge's own stay in `ai_summary` and `ai_analysis`).
    findings: Option<Findings>,
}

#[utoipa::path(patch, path = "/api/v1/appointments/{id}", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AppointmentPatch,
    responses((status = 200, body = Appointment), (status = 404), (status = 409, description = "The new time or bay is taken"),
               (status = 422, description = "Invalid input or status transition")))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<AppointmentPatch>,
) -> ApiResult<Json<Appointment>> {
    let change = Change {
        status: patch
            .status
            .as_deref()
            .map(|s| parse_status(s, "body"))
            .transpose()?,
        start_time: patch.start_time.map(|t| t.with_timezone(&Utc)),
        end_time: patch.end_time.map(|t| t.with_timezone(&Utc)),
        bay: patch.bay,
        service_ids: patch.service_ids,
        reason: patch.reason,
        vehicle_id: patch.vehicle_id,
        customer_note: patch.customer_note,
        staff_note: patch.staff_note,
        findings: patch.findings,
    };
    let appointment = booking::change_visit(
        &state,
        staff.tenant,
        id,
        change,
        Some(staff.user.id),
        Channel::Api,
    )
    .await?;
    Ok(Json(appointment))
}
