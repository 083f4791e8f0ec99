//! `GET /api/exports/{id}/stream`: the export's conversations as one streamed answer of
//! JSON Lines (`convo_model::api::stream` is its codec). The catalog reads the pages
//! ahead in a task of its own; this writes each page's lines as one chunk and a cursor
//! line after it. A database error mid-way breaks the answer off (no final cursor line),
//! so the client asks again from the last cursor line it read.

use super::extract::{ApiQuery, CursorQuery};
use super::{ApiError, Authed};
use crate::catalog::PagesAhead;
use crate::state::AppState;
use crate::store::{Cursor, Page, StoredConversation};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use convo_model::api::{STREAM_CONTENT_TYPE, write_conversation, write_cursor};

pub async fn stream(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiQuery(CursorQuery { cursor }): ApiQuery<CursorQuery>,
) -> Result<Response, ApiError> {
    let pages = state.catalog.pages_ahead(&account, &id, cursor.as_deref()).await?;
    let body = Body::from_stream(futures_util::stream::unfold(pages, next_chunk));
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(STREAM_CONTENT_TYPE))], body).into_response())
}

async fn next_chunk(mut pages: PagesAhead) -> Option<(Result<Bytes, std::io::Error>, PagesAhead)> {
    let chunk = match pages.next().await? {
        Ok(page) => lines_of(page),
        Err(e) => {
            tracing::warn!("an export's stream broke off: {e:#}");
            Err(std::io::Error::other("the export's stream broke off"))
        }
    };
    Some((chunk, pages))
}

/// A page's conversation lines, then its cursor line.
fn lines_of(page: Page<StoredConversation>) -> Result<Bytes, std::io::Error> {
    let mut out = Vec::with_capacity(1 << 16);
    for c in &page.conversations {
        write_conversation(&mut out, c)?;
    }
    write_cursor(&mut out, page.next.map(Cursor::encode).as_deref())?;
    Ok(Bytes::from(out))
}
