//! What a server function answers when it fails: the HTTP status and a message a person can
//! read (Russian), the same type on the server and in the browser. On the server every domain
//! error converts into it with `?` — the status set on the response, internal details logged and
//! never shown — so server functions read like REST handlers.

use std::fmt;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    /// The HTTP status; 0 when the browser never got an answer.
    pub status: u16,
    pub message: String,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request never reached the server, or its answer never reached the browser.
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError {
                status: 0,
                message: "Нет связи с сервером, попробуйте ещё раз".into(),
            },
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError {
                status: 400,
                message: "Запрос не разобран: обновите страницу и попробуйте ещё раз".into(),
            },
            _ => AppError {
                status: 500,
                message: "Внутренняя ошибка сервера, попробуйте позже".into(),
            },
        }
    }
}

/// Failures of Leptos' own machinery (an extractor, the request's arguments).
impl From<ServerFnErrorErr> for AppError {
    fn from(error: ServerFnErrorErr) -> AppError {
        AppError::from_server_fn_error(error)
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use axum::http::StatusCode;
    use leptos::prelude::*;

    use super::AppError;
    use crate::domain::Error;

    impl AppError {
        /// An error with this status, also set on the response being built.
        pub fn with_status(status: StatusCode, message: impl Into<String>) -> AppError {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(status);
            }
            AppError {
                status: status.as_u16(),
                message: message.into(),
            }
        }

        /// A request refused for what the user sent (400), with the message to show them.
        pub fn refused(message: impl Into<String>) -> AppError {
            AppError::with_status(StatusCode::BAD_REQUEST, message)
        }

        /// An unexpected failure: logged with its details, shown without them.
        pub fn internal(error: impl std::fmt::Debug) -> AppError {
            tracing::error!(error = ?error, "server function failed");
            AppError::with_status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Внутренняя ошибка сервера, попробуйте позже",
            )
        }
    }

    impl From<Error> for AppError {
        fn from(error: Error) -> AppError {
            let status = match &error {
                Error::NotFound => StatusCode::NOT_FOUND,
                Error::Validation(_) | Error::InvalidCredentials => StatusCode::BAD_REQUEST,
                Error::Conflict(_) => StatusCode::CONFLICT,
                Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Error::Unauthorized => StatusCode::UNAUTHORIZED,
                Error::Forbidden => StatusCode::FORBIDDEN,
                Error::Unavailable(_) => StatusCode::BAD_GATEWAY,
                Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
                Error::Database(_) | Error::Internal(_) => return AppError::internal(error),
            };
            let message = match &error {
                Error::NotFound => "Не найдено".to_string(),
                other => capitalised(&other.to_string()),
            };
            AppError::with_status(status, message)
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(error: sqlx::Error) -> AppError {
            Error::Database(error).into()
        }
    }

    /// Domain messages start in lower case (they also end sentences); shown alone they start
    /// with a capital.
    fn capitalised(text: &str) -> String {
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}
