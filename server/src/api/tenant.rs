//! `/tenant`: the company's own settings (name, time zone, reminders; admins change them), and
//! `/tenant/telegram`: connect the company's bot by token (admins), `/tenant/ai`: the company's
//! engine for the concierge (admins). Tokens and keys are never returned.

use axum::{extract::State, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use app::domain::{
    company::{self, Company, CompanyPatch},
    concierge::company_ai::{self, AiCheck, CompanyAi, CompanyAiPatch},
    telegram::{self, BotConnection},
    templates::{self, EventTemplate, TemplatePatch},
    AppState,
};

use super::{
    auth::Staff,
    error::{ApiPath, ApiResult},
    ApiJson,
};

/// The caller's company: name, time zone, reminder hours.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Company)))]
pub async fn company(State(state): State<AppState>, mut staff: Staff) -> ApiResult<Json<Company>> {
    let mut tx = staff.read(&state.db).await?;
    Ok(Json(company::get(&mut tx).await?))
}

/// Changes the company's name, time zone or reminder hours (`[24, 2]`; `[]`: no reminders).
#[utoipa::path(patch, path = "/api/v1/tenant", tag = "tenant", security(("bearer" = [])),
    request_body = CompanyPatch,
    responses((status = 200, body = Company), (status = 403), (status = 422)))]
pub async fn change_company(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(patch): ApiJson<CompanyPatch>,
) -> ApiResult<Json<Company>> {
    staff.require_admin()?;
    Ok(Json(
        company::change(&state.db, &state.config, staff.tenant, patch).await?,
    ))
}

/// The texts of the messages clients get, per event: long (Telegram, e-mail) and short (SMS),
/// with a preview on a sample visit.
#[utoipa::path(get, path = "/api/v1/tenant/templates", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = [EventTemplate])))]
pub async fn templates(
    State(state): State<AppState>,
    mut staff: Staff,
) -> ApiResult<Json<Vec<EventTemplate>>> {
    let mut tx = staff.read(&state.db).await?;
    Ok(Json(templates::list(&mut tx).await?))
}

/// Changes one event's texts (admins). Placeholders: `{клиент}`, `{дата}`, `{время}`,
/// `{сервис}`, `{адрес}`, `{работы}`, `{сумма}`, `{ссылка}`; any other is refused (422). A text
/// left out or `null` goes back to the default.
#[utoipa::path(put, path = "/api/v1/tenant/templates/{event}", tag = "tenant", security(("bearer" = [])),
    params(("event" = String, Path, description = "booked, confirmed, in_progress, completed, cancelled, moved or reminder")),
    request_body = TemplatePatch,
    responses((status = 200, body = EventTemplate), (status = 403), (status = 404), (status = 422)))]
pub async fn change_template(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(event): ApiPath<String>,
    ApiJson(patch): ApiJson<TemplatePatch>,
) -> ApiResult<Json<EventTemplate>> {
    staff.require_admin()?;
    Ok(Json(
        templates::change(&state.db, staff.tenant, &event, patch).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/tenant/telegram", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = BotConnection)))]
pub async fn get(
    State(state): State<AppState>,
    mut staff: Staff,
) -> ApiResult<Json<BotConnection>> {
    let mut tx = staff.read(&state.db).await?;
    let connection = telegram::status(&mut tx).await?;
    Ok(Json(connection))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotToken {
    bot_token: String,
}

/// Checks the token with `getMe`, stores it encrypted; the running bot picks it up.
#[utoipa::path(put, path = "/api/v1/tenant/telegram", tag = "tenant", security(("bearer" = [])),
    request_body = BotToken,
    responses((status = 200, body = BotConnection), (status = 403), (status = 422, description = "Telegram rejected the token"),
               (status = 502, description = "Telegram did not answer")))]
pub async fn put(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiJson(body): ApiJson<BotToken>,
) -> ApiResult<Json<BotConnection>> {
    staff.require_admin()?;
    staff.release_tx();
    let connection = telegram::connect_bot(&state, staff.tenant, &body.bot_token).await?;
    Ok(Json(connection))
}

#[utoipa::path(delete, path = "/api/v1/tenant/telegram", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = BotConnection), (status = 403)))]
pub async fn delete(
    State(state): State<AppState>,
    mut staff: Staff,
) -> ApiResult<Json<BotConnection>> {
    staff.require_admin()?;
    staff.release_tx();
    Ok(Json(telegram::disconnect_bot(&state, staff.tenant).await?))
}

/// Which engine answers the company's customers: the server's setting (`platform`), the
/// built-in rules, or the company's own OpenAI-compatible API or GigaChat (admins).
#[utoipa::path(get, path = "/api/v1/tenant/ai", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = CompanyAi), (status = 403)))]
pub async fn ai(State(state): State<AppState>, mut staff: Staff) -> ApiResult<Json<CompanyAi>> {
    staff.require_admin()?;
    let mut tx = staff.read(&state.db).await?;
    Ok(Json(company_ai::get(&mut tx, &state.config).await?))
}

/// Sets the company's engine. The key is stored encrypted and never returned; left out, the
/// stored one is kept while the engine stays the same. In production a model inside the
/// network is refused (422) unless the operator allowed it.
#[utoipa::path(put, path = "/api/v1/tenant/ai", tag = "tenant", security(("bearer" = [])),
    request_body = CompanyAiPatch,
    responses((status = 200, body = CompanyAi), (status = 403), (status = 422)))]
pub async fn change_ai(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiJson(patch): ApiJson<CompanyAiPatch>,
) -> ApiResult<Json<CompanyAi>> {
    staff.require_admin()?;
    staff.release_tx();
    Ok(Json(
        company_ai::change(&state.db, &state.config, staff.tenant, patch).await?,
    ))
}

/// Runs the company's engine on a sample message against its catalogue: who answered, how long
/// it took, what it said, and why its model did not answer when the rules did.
#[utoipa::path(post, path = "/api/v1/tenant/ai/check", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = AiCheck), (status = 403)))]
pub async fn check_ai(State(state): State<AppState>, mut staff: Staff) -> ApiResult<Json<AiCheck>> {
    staff.require_admin()?;
    staff.release_tx();
    Ok(Json(company_ai::check(&state, staff.tenant).await?))
}
