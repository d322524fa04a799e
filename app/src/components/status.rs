//! How appointment sources read; shared by the dashboard and the calendar. Statuses read and
//! look as `crate::model::Status` says.

pub fn source_label(source: &str) -> &'static str {
    match source {
        "telegram" => "Telegram",
        "web" => "Админка",
        "api" => "API",
        _ => "Система",
    }
}
