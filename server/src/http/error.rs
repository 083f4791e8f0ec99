//! API errors: a JSON `{"error": …}` with a fitting status. Catalog errors map to the
//! status that says what to change; internal errors are logged and answered without
//! their details.

use crate::accounts::LoginError;
use crate::catalog::CatalogError;
use crate::ingest::IngestError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use convo_model::api::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("log in first: no valid session cookie or API token")]
    Unauthorized,
    #[error("wrong email or password")]
    WrongCredentials,
    /// 403: logged in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unprocessable(String),
    /// 415: a content encoding the route does not take.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// 408: the request did not arrive in time.
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// 429 with `Retry-After`.
    #[error("{message}")]
    TooMany { message: String, retry_after: chrono::Duration },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NoSuchAssistant => ApiError::NotFound("no such assistant"),
            CatalogError::NoSuchExport => ApiError::NotFound("no such export"),
            CatalogError::NoSuchSchedule => ApiError::NotFound("no such schedule"),
            CatalogError::Conflict(message) => ApiError::Conflict(message),
            e @ (CatalogError::NotTheBrowsers(_) | CatalogError::NotReady(_) | CatalogError::BeingVerified) => {
                ApiError::Conflict(e.to_string())
            }
            CatalogError::Unprocessable(message) => ApiError::Unprocessable(message),
            CatalogError::BadInput(message) => ApiError::BadRequest(message),
            e @ CatalogError::TooLarge(_) => ApiError::TooLarge(e.to_string()),
            CatalogError::Busy(message) => ApiError::TooMany { message, retry_after: chrono::Duration::seconds(1) },
            CatalogError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            e @ IngestError::TooLarge => ApiError::TooLarge(e.to_string()),
            e @ (IngestError::Empty | IngestError::BadKey(_)) => ApiError::BadRequest(e.to_string()),
            e @ IngestError::KeyReused => ApiError::Unprocessable(e.to_string()),
            e @ IngestError::KeyRunning => ApiError::Conflict(e.to_string()),
            IngestError::Busy(message) => ApiError::TooMany { message, retry_after: chrono::Duration::seconds(1) },
            IngestError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            e @ (LoginError::Missing | LoginError::TooLong) => ApiError::BadRequest(e.to_string()),
            LoginError::Wrong => ApiError::WrongCredentials,
            e @ LoginError::Disabled => ApiError::Forbidden(e.to_string()),
            e @ LoginError::Throttled(wait) => ApiError::TooMany { message: e.to_string(), retry_after: wait },
            e @ LoginError::Busy => ApiError::TooMany { message: e.to_string(), retry_after: chrono::Duration::seconds(1) },
            LoginError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::WrongCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut response = (status, Json(ErrorBody { error: self.to_string() })).into_response();
        if let ApiError::TooMany { retry_after, .. } = &self {
            // Whole seconds, rounded up: never "0", which would invite an instant retry.
            let secs = (retry_after.num_milliseconds().max(1) + 999) / 1000;
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        response
    }
}
