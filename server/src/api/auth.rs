//! Who is calling: bearer tokens, the login endpoint (rate-limited), and role checks.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts, State},
    http::{header, request::Parts, HeaderMap, Method, StatusCode},
    Form, Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::domain::{
    auth::{self, AuthUser},
    db::{ReadTx, TenantId},
    AppState, Db,
};

use super::error::{ApiError, ApiResult};

/// A logged-in staff member of a company (every tenant route requires one). The extractor loads
/// the user and opens the request's transaction, scoped to the company, in one round trip.
pub struct Staff {
    pub user: AuthUser,
    pub tenant: TenantId,
    /// The transaction the extractor opened with the user check: read-only, for GET and HEAD,
    /// which never write. Changes go through the domain's use cases, which open their own.
    opened: Option<ReadTx>,
}

/// Why a token of a user who logged in with a temporary password opens nothing else.
const MUST_CHANGE_PASSWORD: &str =
    "Сначала смените временный пароль: POST /api/v1/users/me/password";

impl Staff {
    /// The one check of every tenant route: a user of a company (the platform operator has none,
    /// and so no tenant data to work on) who has set their own password (a temporary one opens
    /// only `/users/me` and its change, which take a [`Caller`]).
    fn admit(user: AuthUser, opened: Option<ReadTx>) -> ApiResult<Staff> {
        let tenant = user.tenant_id.ok_or_else(ApiError::forbidden)?;
        if user.must_change_password {
            return Err(ApiError::new(StatusCode::FORBIDDEN, MUST_CHANGE_PASSWORD));
        }
        Ok(Staff {
            user,
            tenant,
            opened,
        })
    }

    /// The request's tenant-scoped read-only transaction, for handlers that only read. It needs
    /// no commit: it ends when dropped.
    pub async fn read(&mut self, db: &Db) -> ApiResult<ReadTx> {
        match self.opened.take() {
            Some(tx) => Ok(tx),
            None => Ok(db.tenant_read_tx(self.tenant).await?),
        }
    }

    /// Gives the connection back before slow work outside the database (Telegram, the LLM).
    pub fn release_tx(&mut self) {
        self.opened = None;
    }

    /// Settings and staff are for admins; managers run the day.
    pub fn require_admin(&self) -> ApiResult<()> {
        if self.user.role.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
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
    let subject = auth::decode_token(&state.config, token)?;
    Ok(auth::load_token_user(&state.db, subject).await?)
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
        let state = AppState::from_ref(state);
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::from(app::domain::Error::Unauthorized))?;
        let subject = auth::decode_token(&state.config, token)?;
        // A read opens its transaction now, in the round trip that loads the user. A change is
        // made by a use case in its own transaction, after the body has arrived: a slow upload
        // must not hold a pooled connection.
        let (user, opened) = match parts.method {
            Method::GET | Method::HEAD => {
                let mut tx = state.db.platform_read_tx().await?;
                let user = auth::scope_to_user(&mut tx, subject).await?;
                (user, Some(tx))
            }
            _ => (auth::load_token_user(&state.db, subject).await?, None),
        };
        Staff::admit(user, opened)
    }
}

/// Credentials of the event streams: a bearer token, `?token=` (browsers cannot set headers on
/// EventSource/WebSocket) or the web admin's session cookie. Only these read-only routes accept
/// the latter two.
pub async fn stream_caller(
    state: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
) -> ApiResult<(Staff, String)> {
    let token = match bearer(headers).or(query_token) {
        Some(token) => token.to_string(),
        None => {
            // A cookie goes with every request the browser makes, from any site: a page elsewhere
            // could open the company's WebSocket with it (cross-site WebSocket hijacking).
            let token = app::session::ssr::session_token(headers)
                .ok_or_else(|| ApiError::from(app::domain::Error::Unauthorized))?;
            if !app::session::ssr::is_same_origin(headers) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "Запрос с чужого сайта отклонён",
                ));
            }
            token
        }
    };
    let user = user_from_token(state, &token).await?;
    // A stream lives for minutes: it must not hold a connection.
    Ok((Staff::admit(user, None)?, token))
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
    let subject = state
        .login(peer.ip(), &headers, &form.username, &form.password)
        .await?;
    let access_token = auth::issue_token(&state.config, subject.user_id, subject.version)?;
    Ok(Json(Token {
        access_token,
        token_type: "bearer",
    }))
}
