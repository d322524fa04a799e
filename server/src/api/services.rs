//! `/services`: the catalogue. Reading is for all staff; changes are for admins.

use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;

use app::domain::{
    services::{self, NewService, Service, ServicePatch},
    AppState,
};

use super::{
    auth::Staff,
    error::{paging, ApiPath, ApiQuery, ApiResult},
    ApiJson,
};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ServiceQuery {
    /// Only services offered in this shop (its own and the company-wide ones).
    shop_id: Option<i64>,
    skip: Option<i64>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services", security(("bearer" = [])), params(ServiceQuery),
    responses((status = 200, body = [Service])))]
pub async fn list(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiQuery(q): ApiQuery<ServiceQuery>,
) -> ApiResult<Json<Vec<Service>>> {
    let (skip, limit) = paging(q.skip, q.limit)?;
    let mut tx = staff.read(&state.db).await?;
    let items = services::list(&mut tx, q.shop_id, skip, limit).await?;
    Ok(Json(items))
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", security(("bearer" = [])), request_body = NewService,
    responses((status = 201, body = Service), (status = 403), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(new): ApiJson<NewService>,
) -> ApiResult<(StatusCode, Json<Service>)> {
    staff.require_admin()?;
    let service = services::add(&state.db, staff.tenant, new).await?;
    Ok((StatusCode::CREATED, Json(service)))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Service), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Service>> {
    let mut tx = staff.read(&state.db).await?;
    let service = services::get(&mut tx, id).await?;
    Ok(Json(service))
}

#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ServicePatch,
    responses((status = 200, body = Service), (status = 403), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<ServicePatch>,
) -> ApiResult<Json<Service>> {
    staff.require_admin()?;
    let service = services::change(&state.db, staff.tenant, id, patch).await?;
    Ok(Json(service))
}

/// Deletes a service; one used by appointments is deactivated instead (`is_active: false`).
#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Service), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Service>> {
    staff.require_admin()?;
    let service = services::remove(&state.db, staff.tenant, id).await?;
    Ok(Json(service))
}
