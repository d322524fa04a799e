//! `/inbox`: the company's bot conversations for staff — the list with unread counts and the
//! «needs a person» mark, the transcript, a staff reply through the bot, and the takeover that
//! silences the bot in a conversation.

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::ToSchema;

use app::domain::{
    chat::{self, ChatMessage},
    inbox::{self, InboxItem},
    AppState,
};

use super::{
    auth::{stream_caller, Staff},
    error::{ApiPath, ApiResult},
    ApiJson,
};

#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = [InboxItem])))]
pub async fn list(
    State(state): State<AppState>,
    mut staff: Staff,
) -> ApiResult<Json<Vec<InboxItem>>> {
    let mut tx = staff.read(&state.db).await?;
    Ok(Json(inbox::list(&mut tx, 200).await?))
}

/// The client's last messages with the bot, oldest first; opening them marks them read.
#[utoipa::path(get, path = "/api/v1/inbox/{client_id}/messages", tag = "inbox", security(("bearer" = [])),
    params(("client_id" = i64, Path)), responses((status = 200, body = [ChatMessage]), (status = 404)))]
pub async fn messages(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(client_id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ChatMessage>>> {
    staff.release_tx();
    inbox::mark_read(&state, staff.tenant, client_id).await?;
    let mut tx = state.db.tenant_tx(staff.tenant).await?;
    let messages = chat::transcript(&mut tx, client_id, 200).await?;
    tx.commit().await?;
    Ok(Json(messages))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffReply {
    text: String,
}

/// Sends staff's answer through the company's bot (it keeps a takeover alive).
#[utoipa::path(post, path = "/api/v1/inbox/{client_id}/messages", tag = "inbox", security(("bearer" = [])),
    params(("client_id" = i64, Path)), request_body = StaffReply,
    responses((status = 200, body = ChatMessage), (status = 404),
               (status = 422, description = "Empty or too long, no chat or no bot, or Telegram refused"),
               (status = 502, description = "Telegram did not answer")))]
pub async fn reply(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(client_id): ApiPath<i64>,
    ApiJson(body): ApiJson<StaffReply>,
) -> ApiResult<Json<ChatMessage>> {
    staff.release_tx();
    let message = chat::staff_reply(
        &state.db,
        &state.config,
        staff.tenant,
        client_id,
        staff.user.id,
        &body.text,
    )
    .await?;
    Ok(Json(message))
}

/// Takes the conversation over: the customer is told a person answers, the bot stays silent.
#[utoipa::path(put, path = "/api/v1/inbox/{client_id}/takeover", tag = "inbox", security(("bearer" = [])),
    params(("client_id" = i64, Path)), responses((status = 200, body = InboxItem), (status = 404),
               (status = 422, description = "The client never wrote to the bot, or no bot is connected"),
               (status = 502, description = "Telegram did not answer")))]
pub async fn take_over(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(client_id): ApiPath<i64>,
) -> ApiResult<Json<InboxItem>> {
    staff.release_tx();
    let name = staff.user.full_name.clone();
    let item = inbox::take_over(&state, staff.tenant, client_id, staff.user.id, &name).await?;
    Ok(Json(item))
}

/// Hands the conversation back to the bot.
#[utoipa::path(delete, path = "/api/v1/inbox/{client_id}/takeover", tag = "inbox", security(("bearer" = [])),
    params(("client_id" = i64, Path)), responses((status = 200, body = InboxItem), (status = 404),
               (status = 422, description = "The client never wrote to the bot")))]
pub async fn hand_back(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiPath(client_id): ApiPath<i64>,
) -> ApiResult<Json<InboxItem>> {
    staff.release_tx();
    Ok(Json(
        inbox::hand_back(&state, staff.tenant, client_id).await?,
    ))
}

/// The photo, voice message, video or file a customer sent the bot, fetched from Telegram with
/// the company's bot. Read-only, so the web admin's session cookie is accepted (same origin
/// only), as for the event streams: the transcript links straight to it.
#[utoipa::path(get, path = "/api/v1/inbox/messages/{message_id}/attachment", tag = "inbox", security(("bearer" = [])),
    params(("message_id" = i64, Path)),
    responses((status = 200, description = "The file as Telegram keeps it",
               content((Vec<u8> = "image/jpeg"), (Vec<u8> = "audio/ogg"), (Vec<u8> = "application/octet-stream"))),
              (status = 401, description = "No valid token or session"),
              (status = 403, description = "A session cookie sent from another site"),
              (status = 404, description = "No such message with a file in this company, or Telegram no longer has it"),
              (status = 422, description = "No bot connected, or the file is over 20 MB"),
              (status = 502, description = "Telegram did not answer")))]
pub async fn attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(message_id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (staff, _) = stream_caller(&state, &headers, None).await?;
    let (bytes, content_type) =
        chat::attachment(&state.db, &state.config, staff.tenant, message_id).await?;
    let disposition = if content_type == "application/octet-stream" {
        "attachment"
    } else {
        "inline"
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition.to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            (
                header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
