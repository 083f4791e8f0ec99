//! Log in (throttled; see `accounts`), log out, and who am I.

use super::extract::{ApiJson, ClientAddr, session_cookie_name, session_token};
use super::{ApiError, Authed};
use crate::state::AppState;
use crate::store::AccountRef;
use axum::Json;
use axum::extract::State;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use convo_model::api::{AcceptInvite, LoggedOut, LoginRequest, Me};

fn session_cookie(state: &AppState, value: String, max_age: chrono::Duration) -> Cookie<'static> {
    let secure = state.settings.secure_cookies;
    Cookie::build((session_cookie_name(secure), value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(time::Duration::seconds(max_age.num_seconds()))
        .secure(secure)
        .build()
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<(CookieJar, Json<Me>), ApiError> {
    let session = state.accounts.login(&body.email, &body.password, &client).await?;
    let jar = jar.add(session_cookie(&state, session.token, state.settings.session_ttl));
    Ok((jar, Json(me_of(session.account))))
}

pub fn me_of(account: AccountRef) -> Me {
    Me { email: account.email, name: account.name, admin: account.admin }
}

/// `POST /api/invite`: sets the invited account's password, and logs it in.
pub async fn accept_invite(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(body): ApiJson<AcceptInvite>,
) -> Result<(CookieJar, Json<Me>), ApiError> {
    let account = state.admin.accept_invite(&body.token, &body.password).await?;
    let session = state.accounts.start_session(account).await?;
    let jar = jar.add(session_cookie(&state, session.token, state.settings.session_ttl));
    Ok((jar, Json(me_of(session.account))))
}

pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Result<(CookieJar, Json<LoggedOut>), ApiError> {
    if let Some(token) = session_token(&jar, &state) {
        state.accounts.logout(&token).await?;
    }
    let jar = jar.add(session_cookie(&state, String::new(), chrono::Duration::zero()));
    Ok((jar, Json(LoggedOut { ok: true })))
}

pub async fn me(Authed(account): Authed) -> Json<Me> {
    Json(me_of(account))
}
