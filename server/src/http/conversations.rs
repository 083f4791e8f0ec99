//! Assistants the account may see, and pages of their completed conversations.

use super::extract::ApiQuery;
use super::{ApiError, AppState, Authed};
use crate::store::{Cursor, Totals};
use axum::Json;
use axum::extract::{Path, State};
use convo_model::{Conversation, TimeRange, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub struct AssistantView {
    pub id: String,
    pub name: String,
}

pub async fn assistants(State(state): State<AppState>, Authed(account): Authed) -> Result<Json<serde_json::Value>, ApiError> {
    let list: Vec<AssistantView> = state
        .store
        .assistants_for(account.id)
        .await?
        .into_iter()
        .map(|a| AssistantView { id: a.id, name: a.name })
        .collect();
    Ok(Json(serde_json::json!({ "assistants": list })))
}

#[derive(Deserialize)]
pub struct PageQuery {
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct PageView {
    pub conversations: Vec<Conversation>,
    pub next_cursor: Option<String>,
    /// On the first page only: what a progress bar needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<Totals>,
}

pub fn parse_time(name: &str, raw: &str) -> Result<Timestamp, ApiError> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.to_utc())
        .map_err(|_| ApiError::BadRequest(format!("{name} must be an RFC 3339 time such as 2026-11-27T12:00:00Z")))
}

pub async fn page(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<PageView>, ApiError> {
    let assistant = state.store.assistant_for(account.id, &id).await?.ok_or(ApiError::NotFound("no such assistant"))?;
    let to = match q.to.as_deref() {
        Some(raw) => parse_time("to", raw)?,
        None => state.clock.now(),
    };
    let from = match q.from.as_deref() {
        Some(raw) => parse_time("from", raw)?,
        None => to - chrono::Duration::days(30),
    };
    if from > to {
        return Err(ApiError::BadRequest("from must not be after to".into()));
    }
    let range = TimeRange { from, to };
    let cursor = match q.cursor.as_deref() {
        Some(raw) => Some(Cursor::decode(raw).ok_or_else(|| ApiError::BadRequest("cursor is not one this server gave out".into()))?),
        None => None,
    };
    let totals = match cursor {
        None => Some(state.store.totals(assistant.pk, range).await?),
        Some(_) => None,
    };
    let page = state.store.conversation_page(&assistant, range, cursor, state.settings.page).await?;
    Ok(Json(PageView { conversations: page.conversations, next_cursor: page.next.map(Cursor::encode), totals }))
}
