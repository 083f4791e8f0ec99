//! Before logging in nothing is big or slow: a request to a route used before logging
//! in (log in, log out) has a body of at most `Settings::max_unauthenticated_body` (413
//! beyond, refused from its `Content-Length` before a byte is read), which must have
//! arrived whole within `Settings::unauthenticated_deadline` of its headers (408), whose
//! own deadline is `header_timeout`. An idle timeout alone lets a client trickle one byte
//! a minute. The body is read here, whole, so the handler never waits on the client.

use super::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn before_login(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (max, limit) = (state.settings.max_unauthenticated_body, state.settings.unauthenticated_deadline);
    let too_large = || ApiError::TooLarge(format!("a request before logging in has a body of at most {} KiB", max >> 10)).into_response();
    let declared = request.headers().get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(limit, axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) => return too_large(),
        Ok(Err(e)) => return ApiError::BadRequest(format!("the request body broke off: {e}")).into_response(),
        Err(_) => return ApiError::Timeout(format!("the request did not arrive within {} s", limit.as_secs())).into_response(),
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
