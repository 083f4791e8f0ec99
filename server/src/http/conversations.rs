//! Assistants the account may see, and pages of their completed conversations.

use super::extract::ApiQuery;
use super::{ApiError, Authed};
use crate::catalog::{Browse, Browsed, Order};
use crate::state::AppState;
use crate::store::{Cursor, Page, StoredConversation};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue};
use convo_model::api::{AssistantList, AssistantRef, ConversationPage, Totals};
use convo_model::{ExportFilters, Timestamp};
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
    let order = match q.order.as_deref() {
        None | Some("oldest") => Order::OldestFirst,
        Some("newest") => Order::NewestFirst,
        Some(_) => return Err(ApiError::BadRequest("order must be oldest or newest".into())),
    };
    let browse = Browse {
        assistant_id: &id,
        from: q.from.as_deref().map(|raw| parse_time("from", raw)).transpose()?,
        to: q.to.as_deref().map(|raw| parse_time("to", raw)).transpose()?,
        cursor: q.cursor.as_deref(),
        order,
        limit: q.limit,
        messages: q.messages,
        filters: ExportFilters::from_query(q.channels.as_deref(), q.contact, q.text),
    };
    let Browsed { page, totals } = state.catalog.browse(&account, browse).await?;
    page_answer(page, totals)
}

/// A page and its headers.
pub type PageAnswer = ([(HeaderName, HeaderValue); 1], Json<ConversationPage<StoredConversation>>);

/// A page as JSON, its next cursor also in the `next-cursor` header, read before the
/// body: a client can ask for the next page while this one is still arriving. (Cursors
/// are URL-safe base64.)
pub fn page_answer(page: Page<StoredConversation>, totals: Option<Totals>) -> Result<PageAnswer, ApiError> {
    let next_cursor = page.next.map(Cursor::encode);
    let header = HeaderValue::from_str(next_cursor.as_deref().unwrap_or("")).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        [(HeaderName::from_static(NEXT_CURSOR), header)],
        Json(ConversationPage { conversations: page.conversations, next_cursor, totals }),
    ))
}
