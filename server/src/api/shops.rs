//! `/shops`: locations with hours and bays (admins change them), and their free slots.

use axum::{extract::State, http::StatusCode, Json};
use chrono::NaiveDate;
use serde::Deserialize;

use app::domain::{
    booking::{self, Slot},
    closures::{self, Closure, ClosureAdded, NewClosure},
    shops::{self, NewShop, Shop, ShopPatch},
    AppState,
};

use super::{
    auth::Staff,
    error::{ApiError, ApiPath, ApiQuery, ApiResult, Paging},
    ApiJson,
};

#[utoipa::path(get, path = "/api/v1/shops", tag = "shops", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = [Shop])))]
pub async fn list(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Vec<Shop>>> {
    let (skip, limit) = paging.checked()?;
    let mut tx = staff.read(&state.db).await?;
    let items = shops::list(&mut tx, skip, limit).await?;
    Ok(Json(items))
}

#[utoipa::path(post, path = "/api/v1/shops", tag = "shops", security(("bearer" = [])), request_body = NewShop,
    responses((status = 201, body = Shop), (status = 403), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(new): ApiJson<NewShop>,
) -> ApiResult<(StatusCode, Json<Shop>)> {
    staff.require_admin()?;
    let shop = shops::add(&state.db, staff.tenant, new).await?;
    Ok((StatusCode::CREATED, Json(shop)))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}", tag = "shops", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Shop), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Shop>> {
    let mut tx = staff.read(&state.db).await?;
    let shop = shops::get(&mut tx, id).await?;
    Ok(Json(shop))
}

#[utoipa::path(patch, path = "/api/v1/shops/{id}", tag = "shops", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ShopPatch,
    responses((status = 200, body = Shop), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<ShopPatch>,
) -> ApiResult<Json<Shop>> {
    staff.require_admin()?;
    let shop = shops::change(&state.db, staff.tenant, id, patch).await?;
    Ok(Json(shop))
}

#[utoipa::path(delete, path = "/api/v1/shops/{id}", tag = "shops", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Shop), (status = 403), (status = 404), (status = 409, description = "The shop has appointments")))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Shop>> {
    staff.require_admin()?;
    let shop = shops::remove(&state.db, staff.tenant, id).await?;
    Ok(Json(shop))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SlotQuery {
    /// `YYYY-MM-DD`, in the shop's time zone.
    date: NaiveDate,
    /// Comma-separated service ids: `1,2`.
    service_ids: String,
}

/// Free start times that day for the total duration of the services, with the free bays.
#[utoipa::path(get, path = "/api/v1/shops/{id}/slots", tag = "shops", security(("bearer" = [])),
    params(("id" = i64, Path), SlotQuery), responses((status = 200, body = [Slot]), (status = 404), (status = 422)))]
pub async fn slots(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> ApiResult<Json<Vec<Slot>>> {
    let service_ids = parse_ids(&q.service_ids)?;
    let mut tx = staff.read(&state.db).await?;
    let slots = booking::free_slots(&mut tx, id, q.date, &service_ids).await?;
    Ok(Json(slots))
}

fn parse_ids(list: &str) -> ApiResult<Vec<i64>> {
    let ids: Result<Vec<i64>, _> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    match ids {
        Ok(ids) if !ids.is_empty() => Ok(ids),
        _ => Err(ApiError::validation(
            &["query", "service_ids"],
            "service_ids: список id через запятую, например 1,2",
        )),
    }
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/closures", tag = "shops", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = [Closure]), (status = 404)))]
pub async fn closures(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<Closure>>> {
    let mut tx = staff.read(&state.db).await?;
    shops::get(&mut tx, id).await?;
    Ok(Json(closures::upcoming(&mut tx, id).await?))
}

/// Closes the shop (or one bay) for a day, or shortens a day; lists the visits of that day the
/// closure leaves outside the hours, for staff to move.
#[utoipa::path(post, path = "/api/v1/shops/{id}/closures", tag = "shops", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewClosure,
    responses((status = 201, body = ClosureAdded), (status = 403), (status = 404),
              (status = 409, description = "The day already has a closure"), (status = 422)))]
pub async fn add_closure(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewClosure>,
) -> ApiResult<(StatusCode, Json<ClosureAdded>)> {
    staff.require_admin()?;
    let added = closures::add(&state, staff.tenant, id, new).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[utoipa::path(delete, path = "/api/v1/shops/{id}/closures/{closure_id}", tag = "shops",
    security(("bearer" = [])), params(("id" = i64, Path), ("closure_id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn remove_closure(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, closure_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    staff.require_admin()?;
    closures::remove(&state, staff.tenant, id, closure_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
