//! How appointment statuses and sources read and look; shared by the dashboard and the calendar
//! (the server sends status codes, the browser shows them).

/// The statuses in the order a visit goes through them.
pub const STATUSES: [&str; 6] = [
    "new",
    "confirmed",
    "in_progress",
    "completed",
    "cancelled",
    "no_show",
];

pub fn status_label(status: &str) -> &'static str {
    match status {
        "new" => "Новая",
        "confirmed" => "Подтверждена",
        "in_progress" => "В работе",
        "completed" => "Выполнена",
        "cancelled" => "Отменена",
        "no_show" => "Не приехал",
        _ => "Неизвестно",
    }
}

/// Background, border and text colours of a status badge or calendar card.
pub fn status_classes(status: &str) -> &'static str {
    match status {
        "new" => "bg-amber-50 border-amber-400 text-amber-900",
        "confirmed" => "bg-blue-50 border-blue-400 text-blue-900",
        "in_progress" => "bg-violet-50 border-violet-400 text-violet-900",
        "completed" => "bg-emerald-50 border-emerald-400 text-emerald-900",
        "cancelled" => "bg-slate-100 border-slate-300 text-slate-500 line-through",
        _ => "bg-rose-50 border-rose-300 text-rose-900",
    }
}

pub fn source_label(source: &str) -> &'static str {
    match source {
        "telegram" => "Telegram",
        "web" => "Админка",
        "api" => "API",
        _ => "Система",
    }
}
