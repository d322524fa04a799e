//! `/users`: the caller, and a company's staff (admins manage it).

use axum::{extract::State, http::StatusCode, Json};

use app::domain::{
    users::{self, NewUser, User},
    AppState,
};

use super::{
    auth::{Caller, Staff},
    error::{ApiQuery, ApiResult, Paging},
    ApiJson,
};

#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401)))]
pub async fn me(Caller(user): Caller) -> Json<User> {
    Json(User {
        id: user.id,
        email: user.email,
        full_name: user.full_name,
        role: user.role,
        tenant_id: user.tenant_id.map(|t| t.0),
        is_active: user.is_active,
    })
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(Paging),
    responses((status = 200, body = [User]), (status = 403, description = "Managers cannot manage staff")))]
pub async fn list(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Vec<User>>> {
    staff.require_admin()?;
    let (skip, limit) = paging.checked()?;
    let mut tx = staff.read(&state.db).await?;
    let items = users::list(&mut tx, skip, limit).await?;
    Ok(Json(items))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = NewUser,
    responses((status = 201, body = User), (status = 403), (status = 409, description = "E-mail taken"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(new): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    staff.require_admin()?;
    let user = users::add(&state.db, staff.tenant, new).await?;
    Ok((StatusCode::CREATED, Json(user)))
}
