//! Who is calling: bearer tokens, the login endpoint (rate-limited), and role checks.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts, State},
    http::{header, request::Parts, HeaderMap},
    Form, Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::domain::{
    auth::{self, AuthUser, Role},
    db::TenantId,
    AppState,
};

use super::error::{ApiError, ApiResult};

/// A logged-in staff member of a company (every tenant route requires one).
pub struct Staff {
    pub user: AuthUser,
    pub tenant: TenantId,
}

impl Staff {
    /// Settings and staff are for admins; managers run the day.
    pub fn require_admin(&self) -> ApiResult<()> {
        match self.user.role {
            Role::Admin | Role::Superadmin => Ok(()),
            Role::Manager => Err(ApiError::forbidden()),
        }
    }
}

/// Any logged-in user, the platform operator included.
pub struct Caller(pub AuthUser);

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub async fn user_from_token(state: &AppState, token: &str) -> ApiResult<AuthUser> {
    let user_id = auth::decode_token(&state.config, token)?;
    Ok(auth::load_user(&state.db, user_id).await?)
}

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::from(app::domain::Error::Unauthorized))?;
        Ok(Caller(user_from_token(&state, token).await?))
    }
}

impl<S> FromRequestParts<S> for Staff
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Caller(user) = Caller::from_request_parts(parts, state).await?;
        // The platform operator has no company, and so no tenant data to work on.
        let tenant = user.tenant_id.ok_or_else(ApiError::forbidden)?;
        Ok(Staff { user, tenant })
    }
}

/// Credentials of the event streams: a bearer token, `?token=` (browsers cannot set headers on
/// EventSource/WebSocket) or the web admin's session cookie. Only these read-only routes accept
/// the latter two.
pub async fn stream_caller(
    state: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
) -> ApiResult<Staff> {
    let token = bearer(headers)
        .map(str::to_string)
        .or_else(|| query_token.map(str::to_string))
        .or_else(|| app::session::ssr::session_token(headers))
        .ok_or_else(|| ApiError::from(app::domain::Error::Unauthorized))?;
    let user = user_from_token(state, &token).await?;
    let tenant = user.tenant_id.ok_or_else(ApiError::forbidden)?;
    Ok(Staff { user, tenant })
}

/// The OAuth2 password form (`username` is the e-mail). The form's other fields
/// (`grant_type`, `scope`, `client_id`) are accepted and ignored, as in v1.
#[derive(Deserialize, ToSchema)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Token {
    pub access_token: String,
    pub token_type: &'static str,
}

#[utoipa::path(
    post,
    path = "/api/v1/login/access-token",
    tag = "auth",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = Token),
        (status = 400, description = "Wrong e-mail or password"),
        (status = 429, description = "More than 5 attempts a minute for this address and username"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> ApiResult<Json<Token>> {
    let Form(form) = form.map_err(|e| ApiError::validation(&["body"], e.body_text()))?;
    if form.username.trim().is_empty() || form.password.is_empty() {
        return Err(ApiError::validation(
            &["body", "username"],
            "Введите e-mail и пароль",
        ));
    }
    let user_id = state
        .login(peer.ip(), &headers, &form.username, &form.password)
        .await?;
    let access_token = auth::issue_token(&state.config, user_id)?;
    Ok(Json(Token {
        access_token,
        token_type: "bearer",
    }))
}
