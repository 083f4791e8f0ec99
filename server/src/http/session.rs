//! Log in (email and password, argon2), log out, and who am I.

use super::extract::{ApiJson, SESSION_COOKIE, session_token};
use super::{ApiError, Authed};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use convo_model::api::{LoggedOut, LoginRequest, Me};

fn session_cookie(value: String, max_age: chrono::Duration, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(time::Duration::seconds(max_age.num_seconds()))
        .secure(secure)
        .build()
}

pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<(CookieJar, Json<Me>), ApiError> {
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
    let jar = jar.add(session_cookie(token, ttl, state.settings.secure_cookies));
    Ok((jar, Json(Me { email: account.email, name: account.name })))
}

pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Result<(CookieJar, Json<LoggedOut>), ApiError> {
    if let Some(token) = session_token(&jar) {
        state.store.delete_session(&crate::auth::token_hash(&token)).await?;
    }
    let jar = jar.add(session_cookie(String::new(), chrono::Duration::zero(), state.settings.secure_cookies));
    Ok((jar, Json(LoggedOut { ok: true })))
}

pub async fn me(Authed(account): Authed) -> Json<Me> {
    Json(Me { email: account.email, name: account.name })
}
