//! The HTTP server: the web admin (Leptos SSR, server functions, static assets), `/health` and
//! `/metrics`.

use std::{path::Path, sync::Arc, time::Duration};

use crate::{metrics::HttpMetrics, shutdown::Shutdown};

/// How long requests in flight may take to finish once the server is told to stop.
const DRAIN_BUDGET: Duration = Duration::from_secs(10);

use fred::interfaces::ClientLike as _;

use anyhow::{Context, Result};
use app::{domain::AppState, shell, App};
use axum::{
    extract::FromRef,
    extract::State,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde_json::json;
use tower_http::trace::TraceLayer;
use tracing::Instrument as _;

/// Axum state: the domain state plus Leptos' options (for the asset and error handler).
#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub leptos: LeptosOptions,
    pub metrics: Arc<HttpMetrics>,
}

impl FromRef<ServerState> for Arc<HttpMetrics> {
    fn from_ref(state: &ServerState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<ServerState> for AppState {
    fn from_ref(state: &ServerState) -> Self {
        state.app.clone()
    }
}

/// Leptos options: `Leptos.toml` when present (the server started by hand or in Docker), with
/// `LEPTOS_*` environment variables (set by cargo-leptos) taking precedence.
pub fn leptos_options() -> Result<LeptosOptions> {
    let file = Path::new("Leptos.toml").exists().then_some("Leptos.toml");
    let conf =
        leptos_config::get_configuration(file).context("reading the Leptos configuration")?;
    Ok(conf.leptos_options)
}

pub fn router(state: AppState, leptos: LeptosOptions) -> Router {
    // Routes are listed as the server sees requests: without the public path prefix, which the
    // reverse proxy strips (each page's context below puts it back for the router).
    let routes = generate_route_list(App);
    let metrics = Arc::new(HttpMetrics::default());
    let server_state = ServerState {
        app: state.clone(),
        leptos: leptos.clone(),
        metrics: metrics.clone(),
    };
    let context = move || {
        provide_context(state.clone());
        app::public_path::provide_on_server(&state.config.public_path_prefix);
    };
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(crate::metrics::serve))
        .route(
            "/telegram/{tenant}/webhook",
            axum::routing::post(crate::bot::webhook::receive),
        )
        .route("/b/{slug}/qr.svg", get(public_qr))
        .merge(crate::api::router())
        .route("/api/v1/{*rest}", axum::routing::any(api_not_found))
        .leptos_routes_with_context(&server_state, routes, context.clone(), {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(context, shell))
        // Counted inside the request's own task, so a request whose client hung up is counted too.
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .layer(axum::middleware::from_fn(refuse_nul))
        .layer(axum::middleware::from_fn(server_fn_status))
        .layer(axum::middleware::from_fn(run_to_completion))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(request_id))
        .with_state(server_state)
}

/// The public page's address as a QR code (SVG), for the printed card and the shop's own
/// channels; 404 for an unknown company.
async fn public_qr(
    axum::extract::State(state): axum::extract::State<ServerState>,
    axum::extract::Path(slug): axum::extract::Path<String>,
) -> Response {
    match app::domain::public::qr_svg(&state.app.db, &state.app.config, &slug).await {
        Ok(svg) => (
            [
                (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
                (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            svg,
        )
            .into_response(),
        Err(app::domain::Error::NotFound) => axum::http::StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "QR code");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A server function's refusal answers with its own status. Leptos answers every server-function
/// error with 500 unless the function set another, and one whose arguments cannot be read (a
/// field missing, a number that is not one) never runs to set it; the error's JSON
/// (`AppError`) carries the status it means, 400 for such arguments.
async fn server_fn_status(request: axum::extract::Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let meant = serde_json::from_slice::<app::error::AppError>(&bytes)
        .ok()
        .and_then(|error| axum::http::StatusCode::from_u16(error.status).ok())
        .filter(|status| status.is_client_error() || status.is_server_error());
    if let Some(status) = meant {
        parts.status = status;
    }
    Response::from_parts(parts, bytes.into())
}

/// The largest request body read (axum's own default for its extractors).
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// PostgreSQL cannot store the NUL character in text. A request carrying one (`%00` in a query
/// or form, `\u0000` in JSON) is refused with a 422 before anything handles it, instead of
/// failing in the database as a 500.
async fn refuse_nul(request: axum::extract::Request, next: Next) -> Response {
    let refuse = || {
        (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"detail": [{
                "loc": ["body"],
                "msg": "Текст не может содержать символ NUL (\\u0000)",
                "type": "value_error",
            }]})),
        )
            .into_response()
    };
    if request.uri().query().is_some_and(has_encoded_nul) {
        return refuse();
    }
    let content_type = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let json = content_type.starts_with("application/json") || content_type.contains("+json");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if !json && !form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // A raw NUL byte is as bad as an escaped one (form parsers pass it through).
    let nul = bytes.contains(&0)
        || if json {
            has_json_nul(&bytes)
        } else {
            std::str::from_utf8(&bytes).is_ok_and(has_encoded_nul)
        };
    if nul {
        return refuse();
    }
    next.run(axum::extract::Request::from_parts(parts, bytes.into()))
        .await
}

fn has_encoded_nul(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// A `\u0000` escape in JSON text (an escaped backslash followed by `u0000` is not one).
fn has_json_nul(bytes: &[u8]) -> bool {
    bytes.windows(6).enumerate().any(|(i, w)| {
        w == b"\\u0000" && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

const X_REQUEST_ID: &str = "x-request-id";

/// The request's id: the proxy's `X-Request-Id` when it sent a sane one, else a new UUID. It goes
/// back in the answer and into every log line of the request (the `request` span).
async fn request_id(mut request: axum::extract::Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_string);
    let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let Ok(value) = axum::http::HeaderValue::from_str(&id) else {
        return next.run(request).await;
    };
    request.headers_mut().insert(X_REQUEST_ID, value.clone());
    // The path only: a query string may hold a token (`/api/v1/events?token=`).
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = next.run(request).instrument(span).await;
    response.headers_mut().insert(X_REQUEST_ID, value);
    response
}

/// A request runs to its end even when the client goes away. A handler dropped halfway could
/// otherwise hand its pooled connection back inside an unfinished transaction (a cancelled
/// `BEGIN` cannot be rolled back by the driver), where the next user of the connection would
/// run; and a change must commit or roll back as a whole, not stop wherever the client left.
async fn run_to_completion(request: axum::extract::Request, next: Next) -> Response {
    match tokio::spawn(next.run(request).in_current_span()).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "request handler failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn api_not_found() -> crate::api::ApiError {
    crate::api::ApiError::new(axum::http::StatusCode::NOT_FOUND, "Not Found")
}

/// Readiness: whether this process should get traffic — the database answers as the runtime
/// role and its schema is this binary's (migrations current). Redis is reported, not required:
/// without it everything falls back to this process.
async fn ready(State(state): State<ServerState>) -> impl IntoResponse {
    let migrations = match tokio::time::timeout(
        Duration::from_secs(2),
        app::domain::db::migrations_current(state.app.db.pool()),
    )
    .await
    {
        Ok(Ok(true)) => "current",
        Ok(Ok(false)) => "pending",
        _ => "unknown",
    };
    let database = if migrations == "unknown" {
        "unavailable"
    } else {
        "ok"
    };
    let redis = redis_state(&state.app).await;
    let ready = migrations == "current";
    let code = if ready {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({
            "status": if ready { "ready" } else { "not_ready" },
            "database": database,
            "migrations": migrations,
            "redis": redis,
        })),
    )
}

async fn redis_state(state: &AppState) -> &'static str {
    match &state.redis {
        None => "not_configured",
        Some(client) => {
            match tokio::time::timeout(Duration::from_secs(1), client.ping::<String>(None)).await {
                Ok(Ok(_)) => "ok",
                _ => "unavailable",
            }
        }
    }
}

async fn health(State(state): State<ServerState>) -> impl IntoResponse {
    let database = match tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar!("SELECT 1").fetch_one(state.app.db.pool()),
    )
    .await
    {
        Ok(Ok(_)) => "ok",
        _ => "unavailable",
    };
    let redis = redis_state(&state.app).await;
    // Redis is optional (everything falls back to this process): only the database decides.
    let (code, status) = if database == "ok" {
        (axum::http::StatusCode::OK, "ok")
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "degraded")
    };
    (
        code,
        Json(json!({ "status": status, "database": database, "redis": redis })),
    )
}

pub async fn serve(state: AppState, shutdown: Shutdown) -> Result<()> {
    let leptos = leptos_options()?;
    let addr = leptos.site_addr;
    let app = router(state.clone(), leptos);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!("listening on http://{local}");
    println!("Auto-Concierge is running at http://{local}/");
    if app::domain::accounts::tenant_id_by_slug(&state.db, "sever")
        .await?
        .is_some()
    {
        crate::cli::print_demo_logins();
    }
    // Trailing slashes are trimmed before routing: `/api/v1/shops/` and `/api/v1/shops` are one route.
    let app = tower::Layer::layer(
        &tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash(),
        app,
    );
    // A proxy that passes the public path prefix on (instead of stripping it) works too.
    let prefix = state.config.public_path_prefix.clone();
    let app = tower::Layer::layer(
        &tower::util::MapRequestLayer::new(move |request| {
            app::public_path::without_prefix(&prefix, request)
        }),
        app,
    );
    let service = axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
        std::net::SocketAddr,
    >(app);
    // On shutdown: stop accepting, end the live streams (they would hold the server open for
    // hours), and give requests in flight up to DRAIN_BUDGET to finish.
    let events = state.events.clone();
    let stopping = shutdown.clone();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        stopping.wait().await;
        events.close();
    });
    let mut server = tokio::spawn(async move { server.await });
    tokio::select! {
        finished = &mut server => {
            return finished.context("server task")?.context("server error");
        }
        _ = shutdown.wait() => {}
    }
    match tokio::time::timeout(DRAIN_BUDGET, server).await {
        Ok(finished) => finished.context("server task")?.context("server error"),
        Err(_) => {
            tracing::warn!(budget = ?DRAIN_BUDGET, "requests still running at the end of the shutdown budget; exiting");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_in_json_and_forms_only_where_it_is_one() {
        assert!(has_json_nul(br#"{"name": "a\u0000b"}"#));
        assert!(has_json_nul(br#"{"name": "\\\u0000"}"#));
        assert!(!has_json_nul(br#"{"name": "\\u0000"}"#));
        assert!(!has_json_nul(br#"{"name": "u0000"}"#));
        assert!(has_encoded_nul("q=a%00b"));
        assert!(!has_encoded_nul("q=a%2000"));
    }
}
