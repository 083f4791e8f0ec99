//! The export catalog over HTTP: each handler reads its input, calls one catalog
//! function, and answers with the catalog's row as JSON (or the file).

use super::extract::{ApiJson, ApiQuery};
use super::{ApiError, Authed};
use crate::catalog::{Digest, ExportRequest, MAX_PARTS, Span};
use crate::state::AppState;
use crate::store::ExportRow;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use convo_model::api::{
    BrowserReport, CompleteUpload, CreateExportRequest, CreatedExport, ExportInfo, ExportList, ExportPreview, PartReceived, ProgressReport,
    Receipt, Renderer, SigningKey,
};
use convo_model::{Days, ExportFilters, Redaction};
use serde::Deserialize;

fn export_info(e: ExportRow) -> ExportInfo {
    e.info()
}

/// `days` or `since_last`, exactly one, with a message that says what to send.
fn span(days: Option<Days>, since_last: bool) -> Result<Span, ApiError> {
    Span::from_fields(days, since_last).map_err(|e| ApiError::BadRequest(e.into()))
}

pub async fn create(
    State(state): State<AppState>,
    Authed(account): Authed,
    ApiJson(body): ApiJson<CreateExportRequest>,
) -> Result<(StatusCode, Json<CreatedExport>), ApiError> {
    let renderer = body.render.unwrap_or(Renderer::Browser);
    let mut filters = body.filters;
    filters.conversations.extend(body.conversation_ids);
    // A selection without days spans its own conversations.
    let span = match (body.days, body.since_last) {
        (None, false) if filters.is_selection() => Span::Chosen,
        (days, since_last) => span(days, since_last)?,
    };
    let request = ExportRequest {
        span,
        assistant_id: body.assistant_id,
        filters,
        redaction: body.redact,
        format: body.format,
        time_zone: body.time_zone,
        renderer,
    };
    let created = state.catalog.create(&account, request).await?;
    if created.export.renderer == Renderer::Server {
        state.jobs.spawn_render(created.export.clone());
    }
    Ok((StatusCode::CREATED, Json(CreatedExport { export: export_info(created.export), evicted: created.evicted })))
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    assistant_id: String,
    days: Option<String>,
    since_last: Option<bool>,
    channels: Option<String>,
    contact: Option<String>,
    text: Option<String>,
    /// Kinds to count masks of: `emails,phones,cards,ibans,ips`.
    redact: Option<String>,
    /// Names to count masks of, separated by `;`.
    redact_names: Option<String>,
    /// `pseudonyms` counts contacts given one.
    contacts: Option<convo_model::Contacts>,
}

/// What the Export dialog says before anything is created: what will be included, and
/// which export would be deleted to make room.
pub async fn preview(
    State(state): State<AppState>,
    Authed(account): Authed,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> Result<Json<ExportPreview>, ApiError> {
    let days = q.days.as_deref().map(Days::parse).transpose().map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let span = span(days, q.since_last.unwrap_or(false))?;
    let filters = ExportFilters::from_query(q.channels.as_deref(), q.contact, q.text);
    let mut redaction = Redaction::default().with_kinds(q.redact.as_deref().unwrap_or_default()).map_err(ApiError::BadRequest)?;
    redaction.names = q.redact_names.map(|n| n.split(';').map(str::to_string).collect()).unwrap_or_default();
    redaction.contacts = q.contacts.unwrap_or_default();
    Ok(Json(state.catalog.preview(&account, &q.assistant_id, span, filters, redaction).await?))
}

pub async fn list(State(state): State<AppState>, Authed(account): Authed) -> Result<Json<ExportList>, ApiError> {
    let exports = state.catalog.list(&account).await?.into_iter().map(export_info).collect();
    Ok(Json(ExportList { exports, limits: state.catalog.limits() }))
}

pub async fn get(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<Json<ExportInfo>, ApiError> {
    Ok(Json(export_info(state.catalog.get(&account, &id).await?)))
}

pub async fn delete(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    state.catalog.delete(&account, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn progress(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProgressReport>,
) -> Result<Json<ExportInfo>, ApiError> {
    Ok(Json(export_info(state.catalog.progress(&account, &id, body.done).await?)))
}

pub async fn failure(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BrowserReport>,
) -> Result<Json<ExportInfo>, ApiError> {
    Ok(Json(export_info(state.catalog.browser_failed(&account, &id, &body.reason).await?)))
}

/// The browser cannot finish the export: the server renders it instead, as it does for
/// a tab that went away.
pub async fn handover(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BrowserReport>,
) -> Result<Json<ExportInfo>, ApiError> {
    let export = state.catalog.hand_over(&account, &id, &body.reason).await?;
    state.jobs.spawn_render(export.clone());
    Ok(Json(export_info(export)))
}

/// One part of a file uploaded in parts, with its own `Content-Digest`.
pub async fn upload_part(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path((id, n)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Json<PartReceived>, ApiError> {
    state.catalog.get(&account, &id).await?;
    let n: i64 = n.parse().map_err(|_| ApiError::BadRequest(format!("{n:?} is not a part number: parts go from 1 to {MAX_PARTS}")))?;
    let expected = expected_digest(&headers)?;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    Ok(Json(state.catalog.receive_part(&account, &id, n, expected, declared, body.into_data_stream()).await?))
}

/// The file is parts 1 to N: joined in order, it becomes the export's file.
pub async fn complete(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CompleteUpload>,
) -> Result<Json<ExportInfo>, ApiError> {
    let export = state.catalog.complete_parts(&account, &id, body.parts).await?;
    // The server reproduces the upload before any receipt vouches for it.
    state.jobs.spawn_check(export.clone());
    Ok(Json(export_info(export)))
}

/// Keep: a held export is neither evicted nor expired.
pub async fn hold(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<Json<ExportInfo>, ApiError> {
    Ok(Json(export_info(state.catalog.hold(&account, &id).await?)))
}

pub async fn release(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<Json<ExportInfo>, ApiError> {
    Ok(Json(export_info(state.catalog.release(&account, &id).await?)))
}

/// A signed receipt for a ready export.
pub async fn receipt(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<Json<Receipt>, ApiError> {
    Ok(Json(state.catalog.receipt(&account, &id).await?))
}

/// The key receipts are signed with (public: anyone may check a receipt).
pub async fn signing_key(State(state): State<AppState>) -> Result<Json<SigningKey>, ApiError> {
    Ok(Json(state.catalog.signing_key().await?))
}

/// `Content-Digest: sha-256=:BASE64:` (RFC 9530), possibly among other algorithms.
fn expected_digest(headers: &HeaderMap) -> Result<Digest, ApiError> {
    let bad = || ApiError::BadRequest("send the file's SHA-256 as Content-Digest: sha-256=:BASE64:".into());
    let value = headers.get("content-digest").and_then(|v| v.to_str().ok()).ok_or_else(bad)?;
    let encoded = value
        .split(',')
        .filter_map(|item| item.trim().split_once('='))
        .find(|(alg, _)| alg.trim().eq_ignore_ascii_case("sha-256"))
        .map(|(_, v)| v.trim().trim_matches(':'))
        .ok_or_else(bad)?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| bad())?;
    Ok(Digest(bytes.try_into().map_err(|_| bad())?))
}

/// The browser's file, checked against its `Content-Digest` before it becomes the
/// export's.
pub async fn upload(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ExportInfo>, ApiError> {
    // Whose export it is comes first: another account's is a 404 whatever the headers.
    state.catalog.get(&account, &id).await?;
    let expected = expected_digest(&headers)?;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let export = state.catalog.receive_upload(&account, &id, expected, declared, body.into_data_stream()).await?;
    state.jobs.spawn_check(export.clone());
    Ok(Json(export_info(export)))
}

#[derive(Deserialize)]
pub struct PagesQuery {
    cursor: Option<String>,
    /// A smaller page than the server's own (about this many messages).
    messages: Option<i64>,
}

/// A page of the export's conversations, as its file holds them (its range and filters),
/// from `cursor`; the next cursor also comes as a header, read before the body, so a
/// client can ask for the next page while this one arrives.
pub async fn pages(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PagesQuery>,
) -> Result<super::conversations::PageAnswer, ApiError> {
    let page = state.catalog.export_page(&account, &id, q.cursor.as_deref(), q.messages).await?;
    super::conversations::page_answer(page, None)
}
