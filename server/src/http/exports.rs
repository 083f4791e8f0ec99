//! The export catalog over HTTP: each handler reads its input, calls one catalog
//! function, and answers with the catalog's row as JSON (or the file).

use super::extract::{ApiJson, ApiQuery};
use super::{ApiError, Authed};
use crate::catalog::{Digest, Reading};
use crate::state::AppState;
use crate::store::ExportRow;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use convo_model::Days;
use convo_model::api::{
    AssistantRef, BrowserReport, CreateExportRequest, CreatedExport, ExportInfo, ExportList, ExportPreview, ExportProgress, ProgressReport,
    Renderer,
};
use serde::Deserialize;

fn export_info(e: ExportRow) -> ExportInfo {
    ExportInfo {
        content_url: format!("/api/exports/{}/content", e.id),
        open_url: format!("/api/exports/{}/open", e.id),
        id: e.id,
        filename: e.filename,
        assistant: AssistantRef { id: e.assistant_id, name: e.assistant_name },
        days: e.days,
        range: e.range,
        created_at: e.created_at,
        expires_at: e.expires_at,
        status: e.status,
        renderer: e.renderer,
        progress: ExportProgress { done: e.progress_done, total: e.progress_total },
        size_bytes: e.size_bytes,
        error: e.error,
        conversations: e.conversations,
        messages: e.messages,
    }
}

pub async fn create(
    State(state): State<AppState>,
    Authed(account): Authed,
    ApiJson(body): ApiJson<CreateExportRequest>,
) -> Result<(StatusCode, Json<CreatedExport>), ApiError> {
    let renderer = body.render.unwrap_or(Renderer::Browser);
    let created = state.catalog.create(&account, &body.assistant_id, body.days, renderer).await?;
    if renderer == Renderer::Server {
        state.jobs.spawn_render(created.export.clone());
    }
    Ok((StatusCode::CREATED, Json(CreatedExport { export: export_info(created.export), evicted: created.evicted })))
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    assistant_id: String,
    days: String,
}

/// What the Export dialog says before anything is created: what will be included, and
/// which export would be deleted to make room.
pub async fn preview(
    State(state): State<AppState>,
    Authed(account): Authed,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> Result<Json<ExportPreview>, ApiError> {
    let days = Days::parse(&q.days).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(Json(state.catalog.preview(&account, &q.assistant_id, days).await?))
}

pub async fn list(State(state): State<AppState>, Authed(account): Authed) -> Result<Json<ExportList>, ApiError> {
    let exports = state.catalog.list(&account).await?.into_iter().map(export_info).collect();
    Ok(Json(ExportList { exports }))
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
    Ok(Json(export_info(export)))
}

async fn serve_file(state: &AppState, account: &crate::store::AccountRef, id: &str, how: Reading) -> Result<Response, ApiError> {
    let (export, file) = state.catalog.read(account, id, how).await?;
    let len = file.metadata().await.map_err(|e| ApiError::Internal(e.into()))?.len();
    let inline = how == Reading::Open;
    let disposition = format!("{}; filename=\"{}\"", if inline { "inline" } else { "attachment" }, export.filename);
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 1 << 16)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.into()))?);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if inline {
        // The export's own script runs, but in an opaque origin: never the app's.
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox allow-scripts"));
    }
    Ok(response)
}

pub async fn download(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<Response, ApiError> {
    serve_file(&state, &account, &id, Reading::Download).await
}

pub async fn open(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<Response, ApiError> {
    serve_file(&state, &account, &id, Reading::Open).await
}
