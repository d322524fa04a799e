//! `/webhooks`: the company's signed webhooks to its CRM (admins): endpoints, their delivery
//! log, a test event and «Повторить». The secret is in the answer that creates an endpoint and
//! nowhere else.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;

use app::domain::{
    webhooks::{self, Delivery, Endpoint, EndpointPatch, NewEndpoint},
    AppState,
};

use super::{
    auth::Staff,
    error::{ApiPath, ApiResult},
    ApiJson,
};

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = [Endpoint]), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    mut staff: Staff,
) -> ApiResult<Json<Vec<Endpoint>>> {
    staff.require_admin()?;
    let mut tx = staff.read(&state.db).await?;
    Ok(Json(webhooks::list(&mut tx).await?))
}

/// Adds an endpoint. The answer's `secret` (`whsec_…`) is shown this once: the receiver checks
/// `X-Concierge-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` with it. In
/// production an address inside a network (loopback, private, link-local) is refused (422).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = NewEndpoint,
    responses((status = 201, body = Endpoint), (status = 403), (status = 409, description = "Too many endpoints"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(new): ApiJson<NewEndpoint>,
) -> ApiResult<(StatusCode, Json<Endpoint>)> {
    staff.require_admin()?;
    let endpoint = webhooks::create(&state.db, &state.config, staff.tenant, new, true).await?;
    Ok((StatusCode::CREATED, Json(endpoint)))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Endpoint), (status = 403), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Endpoint>> {
    staff.require_admin()?;
    let mut tx = staff.read(&state.db).await?;
    Ok(Json(webhooks::get(&mut tx, id).await?))
}

/// Changes an endpoint; `active: true` switches one disabled for failing on again.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = EndpointPatch,
    responses((status = 200, body = Endpoint), (status = 403), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<EndpointPatch>,
) -> ApiResult<Json<Endpoint>> {
    staff.require_admin()?;
    Ok(Json(
        webhooks::change(&state.db, &state.config, staff.tenant, id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    staff.require_admin()?;
    webhooks::remove(&state.db, staff.tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// How many attempts, the newest first (1–200; default 50).
    limit: Option<i64>,
}

/// The endpoint's delivery log: each attempt with its status code, time and the start of the
/// receiver's answer, the newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path), LogQuery),
    responses((status = 200, body = [Delivery]), (status = 403), (status = 404)))]
pub async fn deliveries(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
    Query(query): Query<LogQuery>,
) -> ApiResult<Json<Vec<Delivery>>> {
    staff.require_admin()?;
    let mut tx = staff.read(&state.db).await?;
    webhooks::get(&mut tx, id).await?;
    Ok(Json(
        webhooks::deliveries(&mut tx, id, query.limit.unwrap_or(50)).await?,
    ))
}

/// Sends a `ping` event now and answers the attempt (also in the log). 409 when the endpoint is
/// switched off.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 403), (status = 404), (status = 409)))]
pub async fn test(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Delivery>> {
    staff.require_admin()?;
    // The receiver may take seconds: no connection is held meanwhile.
    staff.release_tx();
    Ok(Json(webhooks::send_test(&state, staff.tenant, id).await?))
}

/// «Повторить»: sends the event of a logged attempt again now, as its next attempt.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    security(("bearer" = [])), params(("id" = i64, Path), ("delivery_id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 403), (status = 404), (status = 409)))]
pub async fn retry(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath((id, delivery_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<Delivery>> {
    staff.require_admin()?;
    // The receiver may take seconds: no connection is held meanwhile.
    staff.release_tx();
    Ok(Json(
        webhooks::resend(&state, staff.tenant, id, delivery_id).await?,
    ))
}
