//! Live events: every change of appointments and clients, from any channel (web admin, API,
//! bot), reaches the tenant's open streams (SSE, WebSocket). With Redis configured, events go
//! through Redis pub/sub so that every server process delivers them; without it (or while Redis
//! is down) they are delivered within this process.

use std::sync::Arc;

use fred::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use super::{booking::Appointment, clients, db::TenantId, redis, telegram::BotConnection, Result};
use crate::model::EventKind;

const CHANNEL: &str = "auto-concierge:events";

/// What a use case says happened, each kind with its own payload: the only way to publish, so a
/// kind always carries the data its listeners expect.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    AppointmentCreated(&'a Appointment),
    AppointmentUpdated(&'a Appointment),
    ClientCreated(&'a clients::Client),
    ClientUpdated(&'a clients::Client),
    TelegramUpdated(&'a BotConnection),
    /// A customer wrote to the company's bot.
    MessageReceived(&'a ReceivedMessage),
    /// A conversation was taken over, handed back, read or flagged.
    ConversationUpdated(&'a super::inbox::InboxItem),
}

/// What `message.received` carries.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReceivedMessage {
    pub id: i64,
    pub chat_id: i64,
    pub client_id: i64,
    pub text: String,
}

impl Event<'_> {
    pub fn kind(self) -> EventKind {
        match self {
            Event::AppointmentCreated(_) => EventKind::AppointmentCreated,
            Event::AppointmentUpdated(_) => EventKind::AppointmentUpdated,
            Event::ClientCreated(_) => EventKind::ClientCreated,
            Event::ClientUpdated(_) => EventKind::ClientUpdated,
            Event::TelegramUpdated(_) => EventKind::TenantTelegramUpdated,
            Event::MessageReceived(_) => EventKind::MessageReceived,
            Event::ConversationUpdated(_) => EventKind::ConversationUpdated,
        }
    }

    /// The `data` of the message streams receive.
    pub fn data(self) -> serde_json::Result<serde_json::Value> {
        match self {
            Event::AppointmentCreated(a) | Event::AppointmentUpdated(a) => serde_json::to_value(a),
            Event::ClientCreated(c) | Event::ClientUpdated(c) => serde_json::to_value(c),
            Event::TelegramUpdated(t) => serde_json::to_value(t),
            Event::MessageReceived(m) => serde_json::to_value(m),
            Event::ConversationUpdated(c) => serde_json::to_value(c),
        }
    }
}

/// What a stream receives: `{"type": "appointment.created", "data": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub data: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Envelope {
    tenant_id: i64,
    event: StreamEvent,
    /// The process that published it: it delivered the event to its own streams already, and
    /// skips it when it comes back through Redis.
    #[serde(default)]
    origin: u64,
}

#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Arc<Envelope>>,
    redis: Option<Client>,
    /// This process, in [`Envelope::origin`].
    origin: u64,
    /// Set when the process shuts down: every open stream ends.
    closed: Arc<watch::Sender<bool>>,
}

impl EventBus {
    /// In-process delivery only.
    pub fn local() -> Self {
        let (local, _) = broadcast::channel(1024);
        EventBus {
            local,
            redis: None,
            origin: rand::random::<u64>() | 1,
            closed: Arc::new(watch::channel(false).0),
        }
    }

    /// Ends every stream (SSE responses finish, WebSockets are closed): the server is shutting
    /// down and must not wait for clients that would otherwise listen for hours.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Delivery through Redis pub/sub: a subscriber task feeds what any process published into
    /// this process' streams.
    pub async fn with_redis(url: &str) -> Result<Self> {
        let bus = EventBus {
            redis: Some(redis::connect(url).await?),
            ..EventBus::local()
        };
        let subscriber = redis::connect_subscriber(url, CHANNEL).await?;
        let mut messages = subscriber.message_rx();
        let local = bus.local.clone();
        let origin = bus.origin;
        tokio::spawn(async move {
            // Keeps the subscriber alive for as long as the task runs.
            let _subscriber = subscriber;
            loop {
                match messages.recv().await {
                    Ok(message) => {
                        let parsed = message
                            .value
                            .as_string()
                            .and_then(|s| serde_json::from_str::<Envelope>(&s).ok());
                        match parsed {
                            Some(envelope) if envelope.origin == origin => {}
                            Some(envelope) => {
                                let _ = local.send(Arc::new(envelope));
                            }
                            None => tracing::warn!("ignoring a malformed event from Redis"),
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(skipped = n, "event subscriber lagged behind Redis")
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Ok(bus)
    }

    /// Publishes an event (its payload as the unit of work serialised it) to the tenant's
    /// streams. Never fails the caller: the change it reports is already committed.
    pub async fn publish(&self, tenant: TenantId, kind: EventKind, data: serde_json::Value) {
        let kind = kind.as_str();
        let envelope = Arc::new(Envelope {
            tenant_id: tenant.0,
            event: StreamEvent {
                kind: kind.to_string(),
                data,
            },
            origin: self.origin,
        });
        // This process's own streams get it at once, whatever state Redis is in (its subscriber
        // may be reconnecting); the other processes through Redis.
        let _ = self.local.send(envelope.clone());
        if let Some(redis) = &self.redis {
            match serde_json::to_string(&*envelope) {
                Ok(payload) => {
                    if let Err(e) = redis.publish::<i64, _, _>(CHANNEL, payload).await {
                        tracing::warn!(error = %e, "Redis unavailable: the event reached this process only")
                    }
                }
                Err(e) => tracing::error!(error = %e, "event not serialisable"),
            }
        }
    }

    /// A receiver of this tenant's events only.
    pub fn subscribe(&self, tenant: TenantId) -> TenantEvents {
        TenantEvents {
            tenant,
            rx: self.local.subscribe(),
            closed: self.closed.subscribe(),
        }
    }
}

pub struct TenantEvents {
    tenant: TenantId,
    rx: broadcast::Receiver<Arc<Envelope>>,
    closed: watch::Receiver<bool>,
}

impl TenantEvents {
    /// The next event of this tenant; `None` when the bus is gone or closed. A slow reader that
    /// fell behind skips what it missed rather than blocking everyone else.
    pub async fn next(&mut self) -> Option<StreamEvent> {
        loop {
            let received = tokio::select! {
                received = self.rx.recv() => received,
                _ = self.closed.wait_for(|closed| *closed) => return None,
            };
            match received {
                Ok(envelope) if envelope.tenant_id == self.tenant.0 => {
                    return Some(envelope.event.clone())
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "an event stream fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
