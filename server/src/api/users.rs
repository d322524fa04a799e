//! `/users`: the caller, and a company's staff (admins manage it).

use axum::{extract::State, http::StatusCode, Json};

use app::domain::{
    users::{self, NewUser, User, UserPatch},
    AppState,
};

use super::{
    auth::{Caller, Staff},
    error::{ApiPath, ApiQuery, ApiResult, Paging},
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
        // The caller is logging in right now: their last login is this session's.
        last_login_at: None,
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

/// Changes a staff member's name, role or activity (admins). Deactivating or changing the role
/// ends the user's tokens, sessions and live streams at once; the last active admin stays one.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = UserPatch,
    responses((status = 200, body = User), (status = 403), (status = 404),
              (status = 409, description = "The company's last active admin"), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Json<User>> {
    staff.require_admin()?;
    Ok(Json(
        users::change(&state.db, staff.tenant, &staff.user, id, patch).await?,
    ))
}
