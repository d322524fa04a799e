use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of the domain. Messages are Russian because they reach staff and car owners as they
/// are; the database details stay in the log. The REST API and server functions map these to
/// their own responses in one place each.
#[derive(Debug, Error)]
pub enum Error {
    #[error("не найдено")]
    NotFound,
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed but not allowed by the rules (e.g. an invalid status transition): HTTP 422.
    #[error("{0}")]
    Unprocessable(String),
    #[error("неверный e-mail или пароль")]
    InvalidCredentials,
    #[error("слишком много попыток входа, повторите через {} с", .0.as_secs().max(1))]
    RateLimited(std::time::Duration),
    #[error("требуется вход")]
    Unauthorized,
    #[error("недостаточно прав")]
    Forbidden,
    /// An outside service (Telegram, the AI provider) did not answer usefully: HTTP 502.
    #[error("{0}")]
    Unavailable(String),
    #[error("ошибка базы данных")]
    Database(#[from] sqlx::Error),
    #[error("внутренняя ошибка: {0}")]
    Internal(String),
}

impl Error {
    pub fn validation(message: impl Into<String>) -> Self {
        Error::Validation(message.into())
    }

    /// Maps the violation of one named constraint to `to`; any other error stays as it is. The
    /// name, not the SQLSTATE class, says what collided: a table has several foreign keys and
    /// unique keys, and each means something else to the user.
    pub fn on_constraint(e: sqlx::Error, name: &str, to: impl FnOnce() -> Error) -> Error {
        match &e {
            sqlx::Error::Database(db) if db.constraint() == Some(name) => to(),
            _ => Error::Database(e),
        }
    }

    /// The SQLSTATE of a database error, if this is one.
    pub fn sqlstate(&self) -> Option<String> {
        match self {
            Error::Database(sqlx::Error::Database(e)) => e.code().map(|c| c.into_owned()),
            _ => None,
        }
    }
}
