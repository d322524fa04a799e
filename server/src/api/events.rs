//! Live events of the caller's company: Server-Sent Events (the web admin) and WebSocket.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{
        ws::{close_code, CloseFrame, Message, WebSocket},
        State, WebSocketUpgrade,
    },
    http::HeaderMap,
    response::{sse::Event as SseEvent, IntoResponse, Sse},
};
use futures::stream::Stream;
use serde::Deserialize;

use app::domain::{events::TenantEvents, AppState};

use super::{auth::stream_caller, error::ApiQuery, error::ApiResult};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// The access token, for clients that cannot send an Authorization header.
    token: Option<String>,
}

fn sse_stream(events: TenantEvents) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures::stream::unfold(events, |mut events| async move {
        let event = events.next().await?;
        let json = serde_json::to_string(&event).ok()?;
        Some((
            Ok(SseEvent::default().event(event.kind.clone()).data(json)),
            events,
        ))
    })
}

/// `{"type": "appointment.created", "data": {...}}` as SSE messages (the `event:` field is the
/// type too), with keep-alive comments every 15 seconds.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(StreamQuery),
    responses((status = 200, description = "text/event-stream of the company's events"), (status = 401)))]
pub async fn sse(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> ApiResult<impl IntoResponse> {
    let staff = stream_caller(&state, &headers, q.token.as_deref()).await?;
    let events = state.events.subscribe(staff.tenant);
    Ok(Sse::new(sse_stream(events)).keep_alive(
        axum::response::sse::KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("keep-alive"),
    ))
}

/// The same events over a WebSocket, one JSON text message each.
#[utoipa::path(get, path = "/api/v1/ws", tag = "events", params(StreamQuery),
    responses((status = 101, description = "WebSocket of the company's events"), (status = 401)))]
pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<impl IntoResponse> {
    let staff = stream_caller(&state, &headers, q.token.as_deref()).await?;
    let events = state.events.subscribe(staff.tenant);
    Ok(upgrade.on_upgrade(move |socket| forward(socket, events)))
}

async fn forward(mut socket: WebSocket, mut events: TenantEvents) {
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else {
                    // The server is shutting down: «going away», so clients reconnect elsewhere.
                    let close = CloseFrame { code: close_code::AWAY, reason: "server shutting down".into() };
                    let _ = socket.send(Message::Close(Some(close))).await;
                    break;
                };
                let Ok(json) = serde_json::to_string(&event) else { continue };
                if socket.send(Message::Text(json.into())).await.is_err() {
                    break;
                }
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
        }
    }
}
