//! REST API `/api/v1`, compatible with v1's clients (FastAPI conventions). One module per
//! resource; the OpenAPI document is generated from the handlers themselves.

mod appointments;
mod auth;
mod clients;
mod concierge;
mod error;
mod events;
mod inbox;
mod reports;
mod services;
mod shops;
mod tenant;
mod users;
mod webhooks;

use axum::{response::Html, routing::get, Json, Router};
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use error::{ApiError, ApiJson};

use crate::http::ServerState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Auto-Concierge API", version = "1.0.0",
         description = "REST API v1 of Auto-Concierge (compatible with the Python v1). Errors: {\"detail\": ...}; paths work with or without a trailing slash."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API routes and their OpenAPI document, built together so that they cannot disagree.
pub fn routes() -> (Router<ServerState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(users::me))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::update))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::change_password))
        .routes(routes!(shops::list, shops::create))
        .routes(routes!(shops::get, shops::update, shops::delete))
        .routes(routes!(shops::slots))
        .routes(routes!(shops::closures, shops::add_closure))
        .routes(routes!(shops::remove_closure))
        .routes(routes!(services::list, services::create))
        .routes(routes!(services::get, services::update, services::delete))
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::get, clients::update))
        .routes(routes!(clients::add_vehicle))
        .routes(routes!(clients::update_vehicle, clients::remove_vehicle))
        .routes(routes!(clients::merge_preview, clients::merge))
        .routes(routes!(appointments::list, appointments::create))
        .routes(routes!(appointments::get, appointments::update))
        .routes(routes!(tenant::company, tenant::change_company))
        .routes(routes!(tenant::templates))
        .routes(routes!(tenant::change_template))
        .routes(routes!(tenant::get, tenant::put, tenant::delete))
        .routes(routes!(tenant::ai, tenant::change_ai))
        .routes(routes!(tenant::check_ai))
        .routes(routes!(reports::report))
        .routes(routes!(inbox::list))
        .routes(routes!(inbox::messages, inbox::reply))
        .routes(routes!(inbox::take_over, inbox::hand_back))
        .routes(routes!(inbox::attachment))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::retry))
        .routes(routes!(concierge::analyze))
        .routes(routes!(events::sse))
        .routes(routes!(events::ws))
        .split_for_parts()
}

pub fn router() -> Router<ServerState> {
    let (router, openapi) = routes();
    let json = serde_json::to_value(&openapi).unwrap_or_default();
    let page = docs_page(&openapi);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(json) }),
        )
        .route("/api/v1/docs", get(move || async move { Html(page) }))
}

/// A self-contained reference page (no CDN: it must work on closed networks too).
fn docs_page(openapi: &utoipa::openapi::OpenApi) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut rows = String::new();
    for (path, item) in &openapi.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                let doc = op
                    .description
                    .as_deref()
                    .or(op.summary.as_deref())
                    .unwrap_or("");
                let codes: Vec<&str> = op.responses.responses.keys().map(String::as_str).collect();
                rows.push_str(&format!(
                    "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    escape(path),
                    escape(doc),
                    codes.join(", ")
                ));
            }
        }
    }
    format!(
        "<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Auto-Concierge API</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#0f172a}}table{{border-collapse:collapse}}\
         td,th{{border-bottom:1px solid #e2e8f0;padding:.4rem .8rem;text-align:left;vertical-align:top}}</style></head>\
         <body><h1>Auto-Concierge API v1</h1><p>Машиночитаемая спецификация: <a href=\"openapi.json\">openapi.json</a>. \
         Аутентификация: <code>POST /api/v1/login/access-token</code>, затем заголовок <code>Authorization: Bearer …</code>.</p>\
         <table><tr><th>Метод</th><th>Путь</th><th>Описание</th><th>Ответы</th></tr>{rows}</table></body></html>"
    )
}
