//! `/api/admin/…`: accounts, grants, tokens and every account's activity, for admins
//! (403 for anyone else, 401 without a login). Each handler is one call to
//! `crate::admin`, which records the action with the admin as its actor.

use super::ApiError;
use super::extract::{ApiJson, ApiQuery, Authed, CursorQuery};
use crate::admin::{Actor, AdminError, NewAccount, Role, TokenOrder};
use crate::state::AppState;
use crate::store::AccountRef;
use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use convo_model::api::{
    AccountChange, AccountInfo, AccountList, AuditPage, CreatedAccount, CreatedToken, NewAccountRequest, NewTokenRequest, TokenList,
};

/// A signed-in admin.
pub struct AdminAuthed(pub AccountRef);

impl FromRequestParts<AppState> for AdminAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Authed(account) = Authed::from_request_parts(parts, state).await?;
        if !account.admin {
            return Err(ApiError::Forbidden("administration is for admins (convo-export account promote --email E)".into()));
        }
        Ok(AdminAuthed(account))
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NoSuchAccount(_) => ApiError::NotFound("no such account"),
            AdminError::NoSuchAssistant(_) => ApiError::NotFound("no such assistant"),
            AdminError::NoSuchToken(_) => ApiError::NotFound("no such token"),
            AdminError::BadInput(message) => ApiError::BadRequest(message),
            AdminError::Conflict(message) => ApiError::Conflict(message),
            AdminError::Internal(e) => ApiError::Internal(e),
        }
    }
}

pub async fn accounts(State(state): State<AppState>, AdminAuthed(_): AdminAuthed) -> Result<Json<AccountList>, ApiError> {
    Ok(Json(AccountList { accounts: state.admin.accounts().await? }))
}

pub async fn add_account(
    State(state): State<AppState>,
    AdminAuthed(me): AdminAuthed,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<NewAccountRequest>,
) -> Result<(StatusCode, Json<CreatedAccount>), ApiError> {
    let role = if body.admin { Role::Admin } else { Role::Member };
    let new = NewAccount { email: &body.email, name: &body.name, password: body.password.as_deref(), role };
    let added = state.admin.add_account(Actor::Admin(&me), new).await?;
    let invite_url = added.invite.map(|secret| format!("{}/invite#{secret}", base_url(&state, &headers)));
    let account = state.admin.account_info(&added.account.email).await?;
    Ok((StatusCode::CREATED, Json(CreatedAccount { account, invite_url })))
}

/// Where the app is reached: `--public-url`, or the request's own host.
fn base_url(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.settings.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}")
}

pub async fn change_account(
    State(state): State<AppState>,
    AdminAuthed(me): AdminAuthed,
    Path(email): Path<String>,
    ApiJson(change): ApiJson<AccountChange>,
) -> Result<Json<AccountInfo>, ApiError> {
    let actor = Actor::Admin(&me);
    if change.disabled.is_none() && change.admin.is_none() {
        return Err(ApiError::BadRequest("nothing to change: give \"disabled\" or \"admin\"".into()));
    }
    match change.admin {
        Some(true) => {
            state.admin.set_role(actor, &email, Role::Admin).await?;
        }
        Some(false) if me.email == email.trim().to_lowercase() => {
            return Err(ApiError::BadRequest("you cannot take administration from yourself".into()));
        }
        Some(false) => {
            state.admin.set_role(actor, &email, Role::Member).await?;
        }
        None => {}
    }
    match change.disabled {
        Some(true) => {
            state.admin.disable(actor, &email).await?;
        }
        Some(false) => {
            state.admin.enable(actor, &email).await?;
        }
        None => {}
    }
    Ok(Json(state.admin.account_info(&email).await?))
}

pub async fn grant(
    State(state): State<AppState>,
    AdminAuthed(me): AdminAuthed,
    Path((email, assistant)): Path<(String, String)>,
) -> Result<Json<AccountInfo>, ApiError> {
    state.admin.grant(Actor::Admin(&me), &email, &assistant).await?;
    Ok(Json(state.admin.account_info(&email).await?))
}

pub async fn revoke(
    State(state): State<AppState>,
    AdminAuthed(me): AdminAuthed,
    Path((email, assistant)): Path<(String, String)>,
) -> Result<Json<AccountInfo>, ApiError> {
    if !state.admin.revoke(Actor::Admin(&me), &email, &assistant).await? {
        return Err(ApiError::NotFound("no such grant"));
    }
    Ok(Json(state.admin.account_info(&email).await?))
}

pub async fn tokens(State(state): State<AppState>, AdminAuthed(_): AdminAuthed) -> Result<Json<TokenList>, ApiError> {
    Ok(Json(TokenList { api_tokens: state.admin.tokens().await? }))
}

pub async fn create_token(
    State(state): State<AppState>,
    AdminAuthed(me): AdminAuthed,
    ApiJson(body): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let order = TokenOrder { email: &body.email, kind: body.kind, assistants: &body.assistants, expires_in_days: body.expires_in_days };
    let (id, token) = state.admin.create_token(Actor::Admin(&me), order).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { id, token })))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    AdminAuthed(me): AdminAuthed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.admin.revoke_token(Actor::Admin(&me), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn audit(
    State(state): State<AppState>,
    AdminAuthed(_): AdminAuthed,
    ApiQuery(query): ApiQuery<CursorQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(state.catalog.every_accounts_activity(query.cursor.as_deref()).await?))
}
