//! `/users`: the caller, and a company's staff (admins manage it).

use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::domain::{
    auth as tokens, passwords,
    users::{self, NewUser, User, UserPatch},
    AppState,
};

use super::{
    auth::{Caller, Staff, Token},
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
        must_change_password: user.must_change_password,
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

/// A staff member's temporary password, shown to the admin this once.
#[derive(Serialize, ToSchema)]
pub struct TemporaryPassword {
    pub temporary_password: String,
}

/// Resets a staff member's forgotten password (admins; not their own, which they change knowing
/// it). The answer holds a temporary password, never shown again; the member's tokens stop, and
/// a token got with the temporary password opens only `/users/me` and the change of it.
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = TemporaryPassword), (status = 403), (status = 404),
              (status = 422, description = "One's own password")))]
pub async fn reset_password(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemporaryPassword>> {
    staff.require_admin()?;
    let temporary_password = passwords::reset(&state.db, staff.tenant, &staff.user, id).await?;
    Ok(Json(TemporaryPassword { temporary_password }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use (or the temporary one an admin gave).
    pub current_password: String,
    /// At least 8 characters, other than the current one.
    pub new_password: String,
}

/// Changes the caller's own password. Every other token of theirs stops; the caller goes on with
/// the token in the answer. Also the way out of a temporary password.
#[utoipa::path(post, path = "/api/v1/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 200, body = Token, description = "Changed: the token to go on with"),
              (status = 401), (status = 403, description = "The platform operator (no company)"),
              (status = 409, description = "The password was reset meanwhile"),
              (status = 422, description = "Wrong current password, or the new one does not fit the rule"),
              (status = 429, description = "Too many wrong current passwords")))]
pub async fn change_password(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiJson(change): ApiJson<PasswordChange>,
) -> ApiResult<Json<Token>> {
    let subject = passwords::change_own(
        &state,
        &user,
        &change.current_password,
        &change.new_password,
    )
    .await?;
    Ok(Json(Token {
        access_token: tokens::issue_token(&state.config, subject.user_id, subject.version)?,
        token_type: "bearer",
    }))
}
