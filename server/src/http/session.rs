//! Log in (email and password, argon2), log out, and who am I.

use super::extract::{ApiJson, SESSION_COOKIE, session_token};
use super::{ApiError, AppState, Authed};
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{AppendHeaders, IntoResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct Login {
    email: String,
    password: String,
}

pub async fn login(State(state): State<AppState>, ApiJson(body): ApiJson<Login>) -> Result<impl IntoResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    if email.is_empty() || body.password.is_empty() {
        return Err(ApiError::BadRequest("enter an email and a password".into()));
    }
    let found = state.store.account_by_email(&email).await?;
    let password = body.password;
    let account = match found {
        Some((account, hash)) => {
            let ok = tokio::task::spawn_blocking(move || crate::auth::verify_password(&password, &hash))
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
            ok.then_some(account)
        }
        None => None,
    };
    let account = account.ok_or(ApiError::WrongCredentials)?;
    let token = crate::auth::new_token("s_");
    let now = state.clock.now();
    let ttl = state.settings.session_ttl;
    state.store.create_session(&crate::auth::token_hash(&token), account.id, now, now + ttl).await?;
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}", ttl.num_seconds());
    Ok((
        AppendHeaders([(SET_COOKIE, cookie)]),
        Json(json!({"email": account.email, "name": account.name})),
    ))
}

pub async fn logout(State(state): State<AppState>, parts: Parts) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = session_token(&parts) {
        state.store.delete_session(&crate::auth::token_hash(&token)).await?;
    }
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((AppendHeaders([(SET_COOKIE, cookie)]), Json(json!({"ok": true}))))
}

pub async fn me(Authed(account): Authed) -> Json<serde_json::Value> {
    Json(json!({"email": account.email, "name": account.name}))
}
