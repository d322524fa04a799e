//! The one mapping from domain errors to HTTP, in FastAPI's shapes (v1's clients expect them):
//! `{"detail": "message"}`, and for invalid input 422 with `{"detail": [{loc, msg, type}]}`.

use axum::{
    extract::{
        rejection::JsonRejection, rejection::QueryRejection, FromRequest, FromRequestParts, Request,
    },
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use app::domain::Error;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: Value,
    retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A failure of the server (the database did not answer), not a refusal of the caller.
    pub fn is_server_error(&self) -> bool {
        self.status.is_server_error()
    }
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: Value::String(message.into()),
            retry_after: None,
        }
    }

    /// FastAPI's validation error: a list of `{loc, msg, type}`.
    pub fn validation(loc: &[&str], message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: json!([{ "loc": loc, "msg": message.into(), "type": "value_error" }]),
            retry_after: None,
        }
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after_secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Слишком много попыток, повторите позже",
            )
        }
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "Не найдено")
    }

    pub fn forbidden() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "Недостаточно прав")
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::NotFound => ApiError::not_found(),
            Error::Validation(message) => ApiError::validation(&["body"], message),
            Error::Conflict(message) => ApiError::new(StatusCode::CONFLICT, message),
            Error::Unprocessable(message) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
            }
            Error::InvalidCredentials => {
                ApiError::new(StatusCode::BAD_REQUEST, "Неверный e-mail или пароль")
            }
            Error::Unauthorized => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Не удалось проверить учётные данные",
            ),
            Error::Forbidden => ApiError::forbidden(),
            Error::RateLimited(retry_after) => {
                ApiError::too_many_requests(retry_after.as_secs().max(1))
            }
            Error::Unavailable(message) => ApiError::new(StatusCode::BAD_GATEWAY, message),
            Error::Database(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Внутренняя ошибка сервера",
                )
            }
            Error::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Внутренняя ошибка сервера",
                )
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Error::Database(error).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "detail": self.detail }))).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A JSON body whose rejections (bad JSON, wrong types, unknown fields) are FastAPI-style 422s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::validation(
                &["body"],
                "Ожидается JSON (Content-Type: application/json)",
            )),
            Err(rejection) => Err(ApiError::validation(&["body"], rejection.body_text())),
        }
    }
}

/// Query parameters with FastAPI-style 422s.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection @ QueryRejection::FailedToDeserializeQueryString(_)) => {
                Err(ApiError::validation(&["query"], rejection.body_text()))
            }
            Err(rejection) => Err(ApiError::validation(&["query"], rejection.body_text())),
        }
    }
}

/// `skip`/`limit` paging as in v1.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    #[serde(default)]
    pub skip: i64,
    #[serde(default = "default_limit")]
    pub limit: i64,
}

fn default_limit() -> i64 {
    100
}

impl Paging {
    pub fn checked(&self) -> ApiResult<(i64, i64)> {
        if self.skip < 0 {
            return Err(ApiError::validation(
                &["query", "skip"],
                "skip не может быть отрицательным",
            ));
        }
        if !(1..=1000).contains(&self.limit) {
            return Err(ApiError::validation(
                &["query", "limit"],
                "limit: от 1 до 1000",
            ));
        }
        Ok((self.skip, self.limit))
    }
}

/// A path parameter (object id) with FastAPI-style 422s.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::validation(&["path"], rejection.body_text())),
        }
    }
}

/// `skip`/`limit` given separately (serde cannot flatten them into other query structs).
pub fn paging(skip: Option<i64>, limit: Option<i64>) -> ApiResult<(i64, i64)> {
    Paging {
        skip: skip.unwrap_or(0),
        limit: limit.unwrap_or_else(default_limit),
    }
    .checked()
}
