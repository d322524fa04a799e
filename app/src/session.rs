//! The staff session in the browser: log in, log out, who is logged in. The session is the same
//! JWT the REST API issues, kept in an HttpOnly, SameSite=Lax cookie.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ac_session";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    pub role: crate::model::Role,
    /// Name of the staff member's company; `None` for the platform operator.
    pub company: Option<String>,
    /// Logged in with a temporary password: every staff page sends them to set their own first.
    pub must_change_password: bool,
    /// The customers' messages in the inbox staff have not opened yet (the navigation's badge).
    pub unread: i64,
}

/// The text of a server function error as a person should read it.
pub fn error_text(error: &AppError) -> String {
    error.message.clone()
}

#[server]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use crate::domain::{db::TenantId, AppState};

    let state = expect_context::<AppState>();
    let Some(user) = ssr::session_user(&state).await? else {
        return Ok(None);
    };
    let (company, unread) = match user.tenant_id {
        Some(TenantId(id)) => {
            let mut tx = state.db.tenant_tx(TenantId(id)).await?;
            let name = sqlx::query_scalar!("SELECT name FROM tenants WHERE id = $1", id)
                .fetch_optional(&mut *tx)
                .await?;
            let unread = crate::domain::inbox::unread_total(&mut tx).await?;
            tx.commit().await?;
            (name, unread)
        }
        None => (None, 0),
    };
    Ok(Some(SessionUser {
        id: user.id,
        email: user.email,
        full_name: user.full_name,
        role: user.role,
        company,
        must_change_password: user.must_change_password,
        unread,
    }))
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::domain::{auth, AppState, Error};

    let state = expect_context::<AppState>();
    // Login CSRF: another site must not log a visitor in as an account of its choosing.
    ssr::require_same_origin().await?;
    if email.trim().is_empty() || password.is_empty() {
        return Err(ssr::refused("Введите e-mail и пароль"));
    }
    // The same door as the API's login: 5 failed attempts a minute per address and e-mail.
    let axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr> =
        leptos_axum::extract().await?;
    let headers: axum::http::HeaderMap = leptos_axum::extract().await?;
    let subject = match state.login(peer.ip(), &headers, &email, &password).await {
        Ok(subject) => subject,
        Err(Error::InvalidCredentials) => return Err(ssr::refused("Неверный e-mail или пароль")),
        Err(e @ Error::RateLimited(_)) => return Err(e.into()),
        Err(e) => return Err(AppError::internal(e)),
    };
    let token = auth::issue_token(&state.config, subject.user_id, subject.version)?;
    ssr::set_session_cookie(&state.config, Some(&token));
    leptos_axum::redirect(&ssr::public_url(&state.config, "/"));
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let state = expect_context::<crate::domain::AppState>();
    ssr::require_same_origin().await?;
    ssr::set_session_cookie(&state.config, None);
    leptos_axum::redirect(&ssr::public_url(&state.config, "/login"));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
    use leptos::prelude::*;

    use super::SESSION_COOKIE;
    use crate::domain::{
        auth::{self, AuthUser},
        db::TenantId,
        AppState, Config, Error,
    };
    use crate::error::AppError;

    pub fn session_token(headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())
    }

    /// The user the session cookie names, or `None` without a valid session (no cookie, an
    /// expired token, a deactivated user).
    pub async fn session_user(state: &AppState) -> Result<Option<AuthUser>, AppError> {
        let headers: HeaderMap = leptos_axum::extract().await?;
        let Some(token) = session_token(&headers) else {
            return Ok(None);
        };
        let Ok(subject) = auth::decode_token(&state.config, &token) else {
            return Ok(None);
        };
        match auth::load_token_user(&state.db, subject).await {
            Ok(user) => Ok(Some(user)),
            Err(Error::Unauthorized) => Ok(None),
            Err(e) => Err(AppError::internal(e)),
        }
    }

    /// The logged-in user, or 401.
    pub async fn require_session(state: &AppState) -> Result<AuthUser, AppError> {
        session_user(state)
            .await?
            .ok_or_else(|| AppError::with_status(StatusCode::UNAUTHORIZED, "Требуется вход"))
    }

    /// The logged-in staff member and their company: what every tenant server function starts
    /// with. Refuses without a session (401), for the platform operator, who has no company, and
    /// for a user who logged in with a temporary password and has not set their own yet.
    pub async fn require_staff() -> Result<(AuthUser, TenantId), AppError> {
        let state = expect_context::<AppState>();
        let user = require_session(&state).await?;
        let tenant = user
            .tenant_id
            .ok_or_else(|| AppError::with_status(StatusCode::FORBIDDEN, "Недостаточно прав"))?;
        if user.must_change_password {
            return Err(AppError::with_status(
                StatusCode::FORBIDDEN,
                "Сначала смените временный пароль",
            ));
        }
        Ok((user, tenant))
    }

    /// What a staff server function works with: the app's state, who calls, and their company.
    pub struct Caller {
        pub state: AppState,
        pub user: AuthUser,
        pub tenant: TenantId,
    }

    /// The calling staff member (any role), for reads. Await it first in a server function: the
    /// state is taken from the request's context before anything else is awaited (during server
    /// rendering a resumed future may run outside the request's reactive owner).
    pub async fn staff() -> Result<Caller, AppError> {
        let state = expect_context::<AppState>();
        let (user, tenant) = require_staff().await?;
        Ok(Caller {
            state,
            user,
            tenant,
        })
    }

    /// [`staff`] for a change: also refuses a request from another site.
    pub async fn staff_changing() -> Result<Caller, AppError> {
        let state = expect_context::<AppState>();
        require_same_origin().await?;
        let (user, tenant) = require_staff().await?;
        Ok(Caller {
            state,
            user,
            tenant,
        })
    }

    /// [`staff`], admins only (settings, the catalogue, shops).
    pub async fn admin() -> Result<Caller, AppError> {
        let state = expect_context::<AppState>();
        let (user, tenant) = require_admin().await?;
        Ok(Caller {
            state,
            user,
            tenant,
        })
    }

    /// [`admin`] for a change: also refuses a request from another site.
    pub async fn admin_changing() -> Result<Caller, AppError> {
        let state = expect_context::<AppState>();
        require_same_origin().await?;
        let (user, tenant) = require_admin().await?;
        Ok(Caller {
            state,
            user,
            tenant,
        })
    }

    /// Like [`require_staff`], for settings, the catalogue and shops: admins only.
    pub async fn require_admin() -> Result<(AuthUser, TenantId), AppError> {
        let (user, tenant) = require_staff().await?;
        if user.role.is_admin() {
            Ok((user, tenant))
        } else {
            Err(AppError::with_status(
                StatusCode::FORBIDDEN,
                "Недостаточно прав",
            ))
        }
    }

    /// Refuses a state-changing request sent from another site. The session cookie is
    /// SameSite=Lax, which already keeps it off cross-site POSTs in current browsers; this check
    /// also covers older browsers and sibling subdomains. Browsers send `Origin` with every POST,
    /// so a request without one is not from a foreign page.
    pub async fn require_same_origin() -> Result<(), AppError> {
        let headers: HeaderMap = leptos_axum::extract().await?;
        if is_same_origin(&headers) {
            Ok(())
        } else {
            Err(AppError::with_status(
                StatusCode::FORBIDDEN,
                "Запрос с чужого сайта отклонён",
            ))
        }
    }

    /// Current browsers say where a request comes from in `Sec-Fetch-Site`, which pages cannot
    /// forge; that holds behind any reverse proxy. Without it (older browsers) the `Origin` must
    /// name the host the request was sent to: `Host`, or `X-Forwarded-Host` when a proxy passes
    /// requests on under its own host name (nginx's `proxy_pass` does by default).
    pub fn is_same_origin(headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(site) = text("sec-fetch-site") {
            return matches!(site, "same-origin" | "none");
        }
        let Some(origin_host) = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, host)| host)
        else {
            return false;
        };
        [text(header::HOST.as_str()), text("x-forwarded-host")]
            .into_iter()
            .flatten()
            .flat_map(|hosts| hosts.split(','))
            .any(|host| host.trim().eq_ignore_ascii_case(origin_host))
    }

    /// Refused for now: too many attempts (429), with the message to show.
    pub fn too_many(message: &str) -> AppError {
        AppError::with_status(StatusCode::TOO_MANY_REQUESTS, message)
    }

    /// `path` (absolute within the app, e.g. `/login`) as the browser must ask for it: behind
    /// the public path prefix when the app is served under one.
    pub fn public_url(config: &Config, path: &str) -> String {
        format!("{}{path}", config.public_path_prefix)
    }

    /// Sets (or with `None` clears) the session cookie on the response being built. Under a
    /// public path prefix the cookie is the prefix's, not the whole site's.
    pub fn set_session_cookie(config: &Config, token: Option<&str>) {
        let secure = if config.is_production() {
            "; Secure"
        } else {
            ""
        };
        let path = public_url(config, "/");
        let cookie = match token {
            Some(token) => format!(
                "{SESSION_COOKIE}={token}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                config.access_token_expire_minutes * 60
            ),
            None => {
                format!("{SESSION_COOKIE}=; Path={path}; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
            }
        };
        if let (Some(response), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            HeaderValue::from_str(&cookie),
        ) {
            response.append_header(header::SET_COOKIE, value);
        }
    }

    /// A request refused for what the user sent (400), with the message to show them.
    pub fn refused(message: &str) -> AppError {
        AppError::refused(message)
    }

    #[cfg(test)]
    mod tests {
        use super::is_same_origin;
        use axum::http::HeaderMap;

        fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, value.parse().unwrap());
            }
            map
        }

        #[test]
        fn origins_are_judged_by_fetch_metadata_then_by_host() {
            // No Origin: not a cross-site browser request.
            assert!(is_same_origin(&headers(&[("host", "app:3000")])));
            // Behind a proxy that rewrote Host: the browser's own word counts.
            let proxied = [
                ("host", "127.0.0.1:3000"),
                ("origin", "https://crm.example"),
            ];
            assert!(is_same_origin(&headers(&[
                proxied[0],
                proxied[1],
                ("sec-fetch-site", "same-origin")
            ])));
            assert!(!is_same_origin(&headers(&[
                proxied[0],
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site")
            ])));
            // A sibling subdomain is same-site, not same-origin.
            assert!(!is_same_origin(&headers(&[
                proxied[0],
                proxied[1],
                ("sec-fetch-site", "same-site")
            ])));
            // Older browsers: Host or X-Forwarded-Host must match the Origin.
            assert!(is_same_origin(&headers(&[
                ("host", "crm.example"),
                ("origin", "https://crm.example")
            ])));
            assert!(is_same_origin(&headers(&[
                proxied[0],
                proxied[1],
                ("x-forwarded-host", "crm.example")
            ])));
            assert!(!is_same_origin(&headers(&[proxied[0], proxied[1]])));
            assert!(!is_same_origin(&headers(&[
                ("host", "crm.example"),
                ("origin", "null")
            ])));
        }
    }
}
