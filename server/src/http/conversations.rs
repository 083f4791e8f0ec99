//! Assistants the account may see, and pages of their completed conversations.

use super::extract::ApiQuery;
use super::{ApiError, Authed};
use crate::state::AppState;
use crate::store::{Cursor, Scope, StoredConversation};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue};
use convo_model::api::{AssistantList, AssistantRef, ConversationPage};
use convo_model::{TimeRange, Timestamp};
use serde::Deserialize;

pub async fn assistants(State(state): State<AppState>, Authed(account): Authed) -> Result<Json<AssistantList>, ApiError> {
    let assistants = state.store.assistants_for(account.id).await?.into_iter().map(|a| AssistantRef { id: a.id, name: a.name }).collect();
    Ok(Json(AssistantList { assistants }))
}

/// The response header that repeats a page's `next_cursor` (empty on the last page).
pub const NEXT_CURSOR: &str = "next-cursor";

#[derive(Deserialize)]
pub struct PageQuery {
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    /// `oldest` (the default, as exports read) or `newest` (as the Conversations page lists).
    order: Option<String>,
    /// At most this many conversations on a page (1–500).
    limit: Option<i64>,
    /// At most this many messages on a page (1–5000): exports ask for big pages, which
    /// cost the browser fewer requests. The page's byte bound grows in proportion.
    messages: Option<i64>,
    /// The filters of an export (`channels`, `contact`, `text`), as its pages are read.
    channels: Option<String>,
    contact: Option<String>,
    text: Option<String>,
}

pub fn parse_time(name: &str, raw: &str) -> Result<Timestamp, ApiError> {
    crate::clock::parse_rfc3339(raw)
        .map_err(|_| ApiError::BadRequest(format!("{name} must be an RFC 3339 time such as 2026-11-27T12:00:00Z")))
}

pub async fn page(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<([(HeaderName, HeaderValue); 1], Json<ConversationPage<StoredConversation>>), ApiError> {
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
    let filters =
        convo_model::ExportFilters::from_query(q.channels.as_deref(), q.contact, q.text).normalized().map_err(ApiError::BadRequest)?;
    let scope = Scope { assistant: &assistant, range, filters: &filters };
    let totals = match cursor {
        None => Some(state.store.totals(scope).await?),
        Some(_) => None,
    };
    let newest_first = match q.order.as_deref() {
        None | Some("oldest") => false,
        Some("newest") => true,
        Some(_) => return Err(ApiError::BadRequest("order must be oldest or newest".into())),
    };
    let mut limits = state.settings.page;
    if let Some(limit) = q.limit {
        if !(1..=500).contains(&limit) {
            return Err(ApiError::BadRequest("limit must be from 1 to 500".into()));
        }
        limits.conversations = limits.conversations.min(limit);
    }
    if let Some(messages) = q.messages {
        if !(1..=5000).contains(&messages) {
            return Err(ApiError::BadRequest("messages must be from 1 to 5000".into()));
        }
        limits.bytes = limits.bytes * messages / limits.messages.max(1);
        limits.messages = messages;
    }
    let page = state.store.stored_page(scope, cursor, limits, newest_first).await?;
    let next_cursor = page.next.map(Cursor::encode);
    // The next cursor also as a header, read before the body: a client can ask for the
    // next page while this one is still arriving. (Cursors are URL-safe base64.)
    let header = HeaderValue::from_str(next_cursor.as_deref().unwrap_or("")).map_err(|e| ApiError::Internal(e.into()))?;
    let headers = [(HeaderName::from_static(NEXT_CURSOR), header)];
    Ok((headers, Json(ConversationPage { conversations: page.conversations, next_cursor, totals })))
}
