//! The companies' Telegram bots: one supervisor per process keeps one long-polling loop per
//! company whose bot this process holds, and the dialogue answers each update.

mod dialogue;
mod poller;
pub mod supervisor;
pub mod webhook;

/// Why handling one update failed. Logged by the poller; the customer's next message is
/// handled as usual.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("Bot API: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Domain(#[from] app::domain::Error),
}
