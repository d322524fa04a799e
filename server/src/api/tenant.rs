//! `/tenant/telegram`: connect the company's bot by token (admins). The token is never returned.

use axum::{extract::State, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use app::domain::{
    telegram::{self, BotConnection},
    AppState,
};

use super::{auth::Staff, error::ApiResult, ApiJson};

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
