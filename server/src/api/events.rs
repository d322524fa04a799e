//! Live events of the caller's company: Server-Sent Events (the web admin) and WebSocket.
//!
//! A stream is held for hours, so it is watched while it lives: its session is checked again
//! every `STREAM_RECHECK_SECONDS` (a deactivated user, a blocked company or an expired token stops
//! receiving), one user and one company may hold only so many at once in a process
//! (`STREAMS_PER_USER`, `STREAMS_PER_COMPANY`), and every stream ends when the server shuts down.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{LazyLock, Mutex},
    time::Duration,
};

use axum::{
    extract::{
        ws::{close_code, CloseFrame, Message, WebSocket},
        State, WebSocketUpgrade,
    },
    http::{HeaderMap, StatusCode},
    response::{sse::Event as SseEvent, IntoResponse, Sse},
};
use futures::stream::Stream;
use serde::Deserialize;

use app::domain::{
    events::{StreamEvent, TenantEvents},
    AppState,
};

use super::{
    auth::{stream_caller, user_from_token},
    error::{ApiError, ApiQuery, ApiResult},
};

/// The largest message a client may send on the WebSocket (it only ever sends pongs and close).
const WS_MAX_MESSAGE: usize = 4 * 1024;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// The access token, for clients that cannot send an Authorization header.
    token: Option<String>,
}

/// Streams open in this process, per user and per company.
#[derive(Default)]
struct OpenStreams {
    per_user: HashMap<i64, u32>,
    per_company: HashMap<i64, u32>,
}

static OPEN: LazyLock<Mutex<OpenStreams>> = LazyLock::new(Mutex::default);

fn open_streams() -> std::sync::MutexGuard<'static, OpenStreams> {
    OPEN.lock().unwrap_or_else(|p| p.into_inner())
}

/// A place among the open streams, given back when the stream ends.
struct Slot {
    user: i64,
    company: i64,
}

impl Slot {
    fn take(state: &AppState, user: i64, company: i64) -> ApiResult<Slot> {
        let mut open = open_streams();
        let by_user = open.per_user.get(&user).copied().unwrap_or(0);
        let by_company = open.per_company.get(&company).copied().unwrap_or(0);
        if by_user >= state.config.streams_per_user
            || by_company >= state.config.streams_per_company
        {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Слишком много открытых потоков событий: закройте лишние вкладки",
            ));
        }
        *open.per_user.entry(user).or_default() += 1;
        *open.per_company.entry(company).or_default() += 1;
        Ok(Slot { user, company })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut guard = open_streams();
        let open = &mut *guard;
        for (map, key) in [
            (&mut open.per_user, self.user),
            (&mut open.per_company, self.company),
        ] {
            if let Some(n) = map.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
    }
}

/// Why a stream ended.
enum End {
    /// The server shuts down.
    Shutdown,
    /// The session is no longer valid.
    SessionEnded,
}

/// A company's events for one authenticated caller, for as long as the caller's session holds.
struct LiveStream {
    state: AppState,
    events: TenantEvents,
    token: String,
    recheck: tokio::time::Interval,
    /// The session check under way, in a task of its own: [`LiveStream::next`] is raced against
    /// other work (the WebSocket's pings and reads) and may be dropped at any await, which must
    /// not drop the check with it.
    checking: Option<tokio::task::JoinHandle<bool>>,
    _slot: Slot,
}

impl LiveStream {
    async fn open(
        state: &AppState,
        headers: &HeaderMap,
        query_token: Option<&str>,
    ) -> ApiResult<LiveStream> {
        let (staff, token) = stream_caller(state, headers, query_token).await?;
        let slot = Slot::take(state, staff.user.id, staff.tenant.0)?;
        let every = Duration::from_secs(state.config.stream_recheck_seconds.into());
        let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ok(LiveStream {
            state: state.clone(),
            events: state.events.subscribe(staff.tenant),
            token,
            recheck,
            checking: None,
            _slot: slot,
        })
    }

    /// The next event, or why the stream ends. Cancel-safe: dropping the future loses nothing.
    async fn next(&mut self) -> Result<StreamEvent, End> {
        loop {
            if self.checking.is_none() {
                tokio::select! {
                    event = self.events.next() => return event.ok_or(End::Shutdown),
                    _ = self.recheck.tick() => {
                        let (state, token) = (self.state.clone(), self.token.clone());
                        self.checking = Some(tokio::spawn(async move { still_valid(&state, &token).await }));
                    }
                }
            } else if let Some(checking) = self.checking.as_mut() {
                tokio::select! {
                    event = self.events.next() => return event.ok_or(End::Shutdown),
                    valid = checking => {
                        self.checking = None;
                        if !valid.unwrap_or(true) {
                            return Err(End::SessionEnded);
                        }
                    }
                }
            }
        }
    }
}

/// Whether a stream's session still holds. Only a clear "no" ends the stream: a database that
/// does not answer for a moment does not log everybody out.
async fn still_valid(state: &AppState, token: &str) -> bool {
    match user_from_token(state, token).await {
        Ok(user) => user.tenant_id.is_some(),
        Err(e) => e.is_server_error(),
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        if let Some(checking) = self.checking.take() {
            checking.abort();
        }
    }
}

fn sse_stream(stream: LiveStream) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures::stream::unfold(stream, |mut stream| async move {
        let event = stream.next().await.ok()?;
        let json = serde_json::to_string(&event).ok()?;
        Some((
            Ok(SseEvent::default().event(event.kind.clone()).data(json)),
            stream,
        ))
    })
}

/// `{"type": "appointment.created", "data": {...}}` as SSE messages (the `event:` field is the
/// type too), with keep-alive comments every 15 seconds.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(StreamQuery),
    responses((status = 200, description = "text/event-stream of the company's events"), (status = 401),
              (status = 403, description = "the session cookie sent from another site"),
              (status = 429, description = "too many open streams")))]
pub async fn sse(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> ApiResult<impl IntoResponse> {
    let stream = LiveStream::open(&state, &headers, q.token.as_deref()).await?;
    Ok(Sse::new(sse_stream(stream)).keep_alive(
        axum::response::sse::KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("keep-alive"),
    ))
}

/// The same events over a WebSocket, one JSON text message each.
#[utoipa::path(get, path = "/api/v1/ws", tag = "events", params(StreamQuery),
    responses((status = 101, description = "WebSocket of the company's events"), (status = 401),
              (status = 403, description = "the session cookie sent from another site"),
              (status = 429, description = "too many open streams")))]
pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<impl IntoResponse> {
    let stream = LiveStream::open(&state, &headers, q.token.as_deref()).await?;
    Ok(upgrade
        .max_message_size(WS_MAX_MESSAGE)
        .max_frame_size(WS_MAX_MESSAGE)
        .on_upgrade(move |socket| forward(socket, stream)))
}

async fn forward(mut socket: WebSocket, mut stream: LiveStream) {
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    loop {
        tokio::select! {
            event = stream.next() => {
                let event = match event {
                    Ok(event) => event,
                    Err(end) => {
                        let close = match end {
                            // «Going away»: clients reconnect, to another process if need be.
                            End::Shutdown => CloseFrame { code: close_code::AWAY, reason: "server shutting down".into() },
                            End::SessionEnded => CloseFrame { code: close_code::POLICY, reason: "session ended".into() },
                        };
                        let _ = socket.send(Message::Close(Some(close))).await;
                        break;
                    }
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
