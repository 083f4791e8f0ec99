//! Extractors that answer bad input with a JSON error: the signed-in account, JSON
//! bodies (the error names the field) and query strings.

use super::ApiError;
use crate::state::AppState;
use crate::store::AccountRef;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "convo_session";

/// The account of the request: a session cookie or `Authorization: Bearer TOKEN`.
pub struct Authed(pub AccountRef);

/// The session token the request's cookie carries.
pub fn session_token(jar: &CookieJar) -> Option<String> {
    jar.get(SESSION_COOKIE).map(|c| c.value().to_string())
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let account = if let Some(token) = bearer {
            state.store.token_account(&crate::auth::token_hash(token)).await?
        } else if let Some(token) = session_token(&CookieJar::from_headers(&parts.headers)) {
            state.store.session_account(&crate::auth::token_hash(&token), state.clock.now()).await?
        } else {
            None
        };
        account.map(Authed).ok_or(ApiError::Unauthorized)
    }
}

/// `Json<T>` whose rejection is a JSON error naming the field (`days: …`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // Checks the content type and reads the (size-limited) body as axum's Json does.
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(req, state).await.map_err(|r| ApiError::BadRequest(r.body_text()))?;
        serde_path_to_error::deserialize(value).map(ApiJson).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            ApiError::BadRequest(if path == "." { inner.to_string() } else { format!("{path}: {inner}") })
        })
    }
}

/// `Query<T>` whose rejection is a JSON error.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}
