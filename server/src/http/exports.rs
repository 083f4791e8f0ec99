//! The export catalog over HTTP: each handler reads its input, calls one catalog
//! function, and answers with the catalog's row as JSON (or the file).

use super::extract::{ApiJson, ApiQuery};
use super::{ApiError, Authed};
use crate::catalog::{Digest, Reading};
use crate::state::AppState;
use crate::store::{AccountRef, ExportRow};
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
        sha256: e.sha256,
        waiting: e.waiting,
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

/// What `/open` allows the page: its own inline script and style, and no network at all
/// (no fetch, no images, fonts or frames from anywhere, no form posts), in an opaque
/// origin that cannot read the app's cookies or storage. Whatever the file holds.
const OPEN_CSP: &str = "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
     img-src data:; font-src data:; media-src 'none'; connect-src 'none'; frame-src 'none'; worker-src 'none'; \
     form-action 'none'; base-uri 'none'";

/// A single `Range: bytes=…` of a file of `size` bytes: `Ok(None)` for the whole file,
/// `Err(())` when it cannot be satisfied. Several ranges are answered whole.
fn byte_range(headers: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(spec) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(a), Ok(b)) if a <= b => a..(b + 1).min(size),
        (Ok(a), Err(_)) if end.is_empty() => a..size,
        (Err(_), Ok(n)) if start.is_empty() && n > 0 => size.saturating_sub(n)..size,
        _ => return Err(()),
    };
    if range.start >= size || range.is_empty() {
        return Err(());
    }
    Ok(Some(range))
}

async fn serve_file(state: &AppState, account: &AccountRef, id: &str, how: Reading, headers: &HeaderMap) -> Result<Response, ApiError> {
    let export = state.catalog.get(account, id).await?;
    let size = export.size_bytes.unwrap_or(0).max(0) as u64;
    let range = match byte_range(headers, size) {
        Ok(range) => range,
        Err(()) => {
            let mut r = ApiError::RangeNotSatisfiable(format!("the file has {size} bytes")).into_response();
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{size}")).map_err(|e| ApiError::Internal(e.into()))?,
            );
            return Ok(r);
        }
    };
    let partial = range.is_some();
    let read = state.catalog.read(account, id, how, range).await?;
    let inline = how == Reading::Open;
    let disposition = format!("{}; filename=\"{}\"", if inline { "inline" } else { "attachment" }, read.export.filename);
    let mut response = Body::from_stream(read.body).into_response();
    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let content_range = format!("bytes {}-{}/{}", read.range.start, read.range.end - 1, read.size);
        response
            .headers_mut()
            .insert(header::CONTENT_RANGE, HeaderValue::from_str(&content_range).map_err(|e| ApiError::Internal(e.into()))?);
    }
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(read.range.end - read.range.start));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.into()))?);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The whole file's digest (RFC 9530), when the whole file is sent.
    if let (false, Some(Ok(bytes))) = (partial, read.export.sha256.as_deref().map(hex::decode)) {
        let digest = format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(bytes));
        h.insert("repr-digest", HeaderValue::from_str(&digest).map_err(|e| ApiError::Internal(e.into()))?);
    }
    if inline {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(OPEN_CSP));
    }
    Ok(response)
}

pub async fn download(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve_file(&state, &account, &id, Reading::Download, &headers).await
}

pub async fn open(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve_file(&state, &account, &id, Reading::Open, &headers).await
}
