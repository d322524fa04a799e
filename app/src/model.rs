//! The model the server and the browser share: what the pages receive is typed the same way the
//! domain decides it (behind `ssr`, the domain re-exports these).

use serde::{Deserialize, Serialize};

/// Where a visit is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Confirmed,
    InProgress,
    Completed,
    Cancelled,
    NoShow,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Confirmed,
        Status::InProgress,
        Status::Completed,
        Status::Cancelled,
        Status::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Confirmed => "confirmed",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// new → confirmed → in_progress → completed; a visit that has not started may be
    /// cancelled; a confirmed visit the client did not come to is a no-show. Nothing goes back
    /// (a cancelled visit is booked anew), and no status "changes" to itself.
    pub fn can_transition(from: Status, to: Status) -> bool {
        use Status::*;
        matches!(
            (from, to),
            (New, Confirmed)
                | (Confirmed, InProgress)
                | (InProgress, Completed)
                | (New | Confirmed, Cancelled)
                | (Confirmed, NoShow)
        )
    }

    /// Completed, cancelled and no-show visits are history: their time, bay and services stay.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Cancelled | Status::NoShow)
    }
}

impl Status {
    /// How staff read it.
    pub fn label(self) -> &'static str {
        match self {
            Status::New => "Новая",
            Status::Confirmed => "Подтверждена",
            Status::InProgress => "В работе",
            Status::Completed => "Выполнена",
            Status::Cancelled => "Отменена",
            Status::NoShow => "Не приехал",
        }
    }

    /// The button that moves a visit to this status, as a verb.
    pub fn action(self) -> &'static str {
        match self {
            Status::Confirmed => "Подтвердить",
            Status::InProgress => "Начать работу",
            Status::Completed => "Завершить",
            Status::NoShow => "Не приехал",
            Status::Cancelled => "Отменить",
            Status::New => "Сменить статус",
        }
    }

    /// Background, border and text colours of a status badge or calendar card.
    pub fn classes(self) -> &'static str {
        match self {
            Status::New => "bg-amber-50 border-amber-400 text-amber-900",
            Status::Confirmed => "bg-blue-50 border-blue-400 text-blue-900",
            Status::InProgress => "bg-violet-50 border-violet-400 text-violet-900",
            Status::Completed => "bg-emerald-50 border-emerald-400 text-emerald-900",
            Status::Cancelled => "bg-slate-100 border-slate-300 text-slate-500 line-through",
            Status::NoShow => "bg-rose-50 border-rose-300 text-rose-900",
        }
    }
}

/// What a live event says happened: the `type` of `{"type", "data"}` on `/api/v1/events` (also
/// the SSE `event:` field) and on the WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    AppointmentCreated,
    AppointmentUpdated,
    ClientCreated,
    ClientUpdated,
    TenantTelegramUpdated,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AppointmentCreated => "appointment.created",
            EventKind::AppointmentUpdated => "appointment.updated",
            EventKind::ClientCreated => "client.created",
            EventKind::ClientUpdated => "client.updated",
            EventKind::TenantTelegramUpdated => "tenant.telegram_updated",
        }
    }
}
