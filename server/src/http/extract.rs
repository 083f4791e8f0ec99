//! Extractors that answer bad input with a JSON error: the signed-in account, the
//! client's address, JSON bodies (the error names the field) and query strings.

use super::ApiError;
use crate::state::AppState;
use crate::store::{AccountRef, LiveToken};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use convo_model::api::TokenKind;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// The session cookie's name: with the `__Host-` prefix when the server is reached over
/// HTTPS (the browser then insists on `Secure`, `Path=/` and no `Domain`).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-convo_session" } else { "convo_session" }
}

/// The account of the request: a session cookie or `Authorization: Bearer TOKEN` (a
/// personal token; an ingest token is 403 here).
pub struct Authed(pub AccountRef);

/// An ingest token's request (`Authorization: Bearer`): only an ingest token will do.
pub struct Ingester(pub LiveToken);

impl FromRequestParts<AppState> for Ingester {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts) {
            Some(token) => match state.accounts.by_token(token).await? {
                Some(live) if live.kind == TokenKind::Ingest => Ok(Ingester(live)),
                Some(_) => Err(ApiError::Forbidden(INGEST_ONLY.into())),
                None => Err(ApiError::Unauthorized),
            },
            None if session_token(&CookieJar::from_headers(&parts.headers), state).is_some() => {
                Err(ApiError::Forbidden(INGEST_ONLY.into()))
            }
            None => Err(ApiError::Unauthorized),
        }
    }
}

const INGEST_ONLY: &str = "ingesting takes an ingest token (convo-export token create --ingest --assistant ID …)";

/// The request's `Authorization: Bearer TOKEN`.
fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The session token the request's cookie carries.
pub fn session_token(jar: &CookieJar, state: &AppState) -> Option<String> {
    jar.get(session_cookie_name(state.settings.secure_cookies)).map(|c| c.value().to_string())
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let account = if let Some(token) = bearer(parts) {
            match state.accounts.by_token(token).await? {
                Some(LiveToken { kind: TokenKind::Ingest, .. }) => {
                    return Err(ApiError::Forbidden("an ingest token can only send conversations (POST /api/ingest)".into()));
                }
                live => live.map(|t| t.account),
            }
        } else if let Some(token) = session_token(&CookieJar::from_headers(&parts.headers), state) {
            state.accounts.by_session(&token).await?
        } else {
            None
        };
        account.map(Authed).ok_or(ApiError::Unauthorized)
    }
}

/// The client's address, for throttling (see `client.rs`); `unknown` when not served
/// over TCP.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
        let client = peer.map(|peer| super::client::client_ip(peer, &parts.headers, &state.settings.trusted_proxies).to_string());
        Ok(ClientAddr(client.unwrap_or_else(|| "unknown".into())))
    }
}

/// `Json<T>` whose rejection is a JSON error naming the field (`days: …`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // Checks the content type and reads the (size-limited) body as axum's Json does.
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await.map_err(|r| match r.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge("the request body is too large".into()),
            _ => ApiError::BadRequest(r.body_text()),
        })?;
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

/// A query that is only where to go on from (`?cursor=C`, as an earlier answer gave it).
#[derive(Deserialize)]
pub struct CursorQuery {
    pub cursor: Option<String>,
}
