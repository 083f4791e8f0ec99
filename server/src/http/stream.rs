//! `GET /api/exports/{id}/stream`: the export's conversations as one streamed answer of
//! JSON Lines (`convo_model::api::stream` is its codec). The catalog reads the pages
//! ahead in a task of its own and writes each as its lines; this sends each page as one
//! chunk. A database error mid-way breaks the answer off (no final cursor line),
//! so the client asks again from the last cursor line it read.

use super::extract::{ApiQuery, CursorQuery};
use super::{ApiError, Authed};
use crate::catalog::PagesAhead;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use convo_model::api::STREAM_CONTENT_TYPE;

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
    let chunk = pages.next().await?.map_err(|e| {
        tracing::warn!("an export's stream broke off: {e:#}");
        std::io::Error::other("the export's stream broke off")
    });
    Some((chunk, pages))
}
