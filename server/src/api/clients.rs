//! `/clients`: the client base with search, cars and visit history.

use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;

use app::domain::{
    clients::{
        self, Client, ClientDetail, ClientPatch, MergePreview, NewClient, NewVehicle, Vehicle,
        VehiclePatch,
    },
    AppState,
};

use super::{
    auth::Staff,
    error::{paging, ApiPath, ApiQuery, ApiResult},
    ApiJson,
};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ClientQuery {
    /// Part of the name, phone digits, plate or VIN.
    search: Option<String>,
    skip: Option<i64>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", security(("bearer" = [])), params(ClientQuery),
    responses((status = 200, body = [Client])))]
pub async fn list(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult<Json<Vec<Client>>> {
    let (skip, limit) = paging(q.skip, q.limit)?;
    let mut tx = staff.read(&state.db).await?;
    let items = clients::search(&mut tx, q.search.as_deref(), skip, limit).await?;
    Ok(Json(items))
}

#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", security(("bearer" = [])), request_body = NewClient,
    responses((status = 201, body = Client), (status = 409, description = "Phone or Telegram id taken"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(new): ApiJson<NewClient>,
) -> ApiResult<(StatusCode, Json<Client>)> {
    let client = clients::add(&state, staff.tenant, new).await?;
    Ok((StatusCode::CREATED, Json(client)))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ClientDetail), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ClientDetail>> {
    let mut tx = staff.read(&state.db).await?;
    let detail = clients::detail(&mut tx, id).await?;
    Ok(Json(detail))
}

#[utoipa::path(patch, path = "/api/v1/clients/{id}", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ClientPatch,
    responses((status = 200, body = Client), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<ClientPatch>,
) -> ApiResult<Json<Client>> {
    Ok(Json(
        clients::change(&state, staff.tenant, id, patch).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/vehicles", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewVehicle,
    responses((status = 201, body = Vehicle), (status = 404), (status = 422)))]
pub async fn add_vehicle(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(car): ApiJson<NewVehicle>,
) -> ApiResult<(StatusCode, Json<Vehicle>)> {
    let vehicle = clients::cars::add(&state, staff.tenant, id, car).await?;
    Ok((StatusCode::CREATED, Json(vehicle)))
}

#[utoipa::path(patch, path = "/api/v1/clients/{id}/vehicles/{vehicle_id}", tag = "clients",
    security(("bearer" = [])), params(("id" = i64, Path), ("vehicle_id" = i64, Path)),
    request_body = VehiclePatch, responses((status = 200, body = Vehicle), (status = 404), (status = 422)))]
pub async fn update_vehicle(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, vehicle_id)): ApiPath<(i64, i64)>,
    ApiJson(patch): ApiJson<VehiclePatch>,
) -> ApiResult<Json<Vehicle>> {
    Ok(Json(
        clients::cars::change(&state, staff.tenant, id, vehicle_id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/clients/{id}/vehicles/{vehicle_id}", tag = "clients",
    security(("bearer" = [])), params(("id" = i64, Path), ("vehicle_id" = i64, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "Visits name the car")))]
pub async fn remove_vehicle(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, vehicle_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    clients::cars::remove(&state, staff.tenant, id, vehicle_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The card that goes: its visits, cars, messages and contacts move to `{id}`.
    other_id: i64,
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/merge", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path), MergeRequest),
    responses((status = 200, body = MergePreview), (status = 404), (status = 409), (status = 422)))]
pub async fn merge_preview(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<MergeRequest>,
) -> ApiResult<Json<MergePreview>> {
    let mut tx = staff.read(&state.db).await?;
    Ok(Json(clients::merge_preview(&mut tx, id, q.other_id).await?))
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/merge", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = MergeRequest,
    responses((status = 200, body = Client), (status = 404), (status = 409), (status = 422)))]
pub async fn merge(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<MergeRequest>,
) -> ApiResult<Json<Client>> {
    Ok(Json(
        clients::merge(&state, staff.tenant, id, request.other_id).await?,
    ))
}
