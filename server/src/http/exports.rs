//! The export catalog: create (with eviction), list, get, upload, download, open, delete,
//! and the progress a rendering browser reports.

use super::extract::{ApiJson, ApiQuery};
use super::{ApiError, AppState, Authed};
use crate::store::{Evicted, ExportRow, NewExport};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use convo_model::{Days, TimeRange, export_filename};
use futures_util::StreamExt;
use convo_model::api::{AssistantRef, CreatedExport, ExportInfo, ExportList, ExportPreview, ExportProgress, ExportStatus, Renderer};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::io::Write;

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
        status: match e.status.as_str() {
            "ready" => ExportStatus::Ready,
            "failed" => ExportStatus::Failed,
            _ => ExportStatus::Processing,
        },
        renderer: if e.renderer == "server" { Renderer::Server } else { Renderer::Browser },
        progress: ExportProgress { done: e.progress_done, total: e.progress_total },
        size_bytes: e.size_bytes,
        error: e.error,
        conversations: e.conversations,
        messages: e.messages,
    }
}

/// Days from JSON, with a message a person can act on.
fn days_of(value: &serde_json::Value) -> Result<Days, ApiError> {
    let bad = || ApiError::BadRequest("days must be a whole number from 1 to 365".into());
    let n = value.as_i64().ok_or_else(bad)?;
    Days::try_from(n).map_err(|_| bad())
}

#[derive(Deserialize)]
pub struct CreateExport {
    assistant_id: String,
    days: serde_json::Value,
    /// `browser` (the default: the web app renders and uploads) or `server`.
    #[serde(default)]
    render: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    Authed(account): Authed,
    ApiJson(body): ApiJson<CreateExport>,
) -> Result<(StatusCode, Json<CreatedExport>), ApiError> {
    let days = days_of(&body.days)?;
    let renderer = match body.render.as_deref() {
        None | Some("browser") => "browser",
        Some("server") => "server",
        Some(other) => return Err(ApiError::BadRequest(format!("render must be \"browser\" or \"server\", not {other:?}"))),
    };
    let assistant =
        state.store.assistant_for(account.id, &body.assistant_id).await?.ok_or(ApiError::NotFound("no such assistant"))?;
    let (row, evicted) = create_export(&state, account.id, &assistant, days, renderer).await?;
    if renderer == "server" {
        tokio::spawn(crate::jobs::render_on_server(state.clone(), row.clone()));
    }
    Ok((StatusCode::CREATED, Json(CreatedExport { export: export_info(row), evicted })))
}

/// Creates a catalog entry for `days` up to now; shared by the API and the command line.
pub async fn create_export(
    state: &AppState,
    account_id: i64,
    assistant: &crate::store::AssistantRow,
    days: Days,
    renderer: &str,
) -> Result<(ExportRow, Vec<Evicted>), ApiError> {
    let now = state.clock.now();
    let range = TimeRange { from: now - days.duration(), to: now };
    let totals = state.store.totals(assistant.pk, range).await?;
    let id = crate::auth::new_export_id();
    let filename = export_filename(&assistant.id, now);
    let (row, evicted) = state
        .store
        .create_export(NewExport {
            id: &id,
            account_id,
            assistant,
            filename: &filename,
            days: i64::from(days.get()),
            range,
            now,
            expires_at: now + state.settings.retention,
            renderer,
            max_exports: state.settings.max_exports,
            totals,
        })
        .await?;
    for gone in &evicted {
        state.files.delete(&gone.id);
    }
    Ok((row, evicted))
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
    let assistant =
        state.store.assistant_for(account.id, &q.assistant_id).await?.ok_or(ApiError::NotFound("no such assistant"))?;
    let now = state.clock.now();
    let range = TimeRange { from: now - days.duration(), to: now };
    let totals = state.store.totals(assistant.pk, range).await?;
    let evicts = state.store.next_eviction(account.id, now, state.settings.max_exports).await?;
    Ok(Json(ExportPreview { range, totals, evicts }))
}

pub async fn list(State(state): State<AppState>, Authed(account): Authed) -> Result<Json<ExportList>, ApiError> {
    let exports = state.store.list_exports(account.id, state.clock.now()).await?.into_iter().map(export_info).collect();
    Ok(Json(ExportList { exports }))
}

async fn owned(state: &AppState, account_id: i64, id: &str) -> Result<ExportRow, ApiError> {
    state.store.export_for(account_id, id, state.clock.now()).await?.ok_or(ApiError::NotFound("no such export"))
}

pub async fn get(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
) -> Result<Json<ExportInfo>, ApiError> {
    Ok(Json(export_info(owned(&state, account.id, &id).await?)))
}

pub async fn delete(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.delete_export(account.id, &id, state.clock.now()).await? {
        return Err(ApiError::NotFound("no such export"));
    }
    state.files.delete(&id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ProgressReport {
    done: i64,
}

pub async fn progress(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProgressReport>,
) -> Result<Json<ExportInfo>, ApiError> {
    let export = owned(&state, account.id, &id).await?;
    if body.done < 0 {
        return Err(ApiError::BadRequest("done must not be negative".into()));
    }
    if !state.store.report_progress(&id, "browser", body.done, state.clock.now()).await? {
        return Err(not_browsers(&export));
    }
    Ok(Json(export_info(owned(&state, account.id, &id).await?)))
}

/// Why a browser gives an export up (`failure`, `handover`).
#[derive(Deserialize)]
pub struct BrowserReport {
    reason: String,
}

impl BrowserReport {
    fn reason(&self) -> String {
        self.reason.chars().take(500).collect()
    }
}

/// The account's export, if a browser is still rendering it.
async fn browsers_export(state: &AppState, account_id: i64, id: &str) -> Result<ExportRow, ApiError> {
    let export = owned(state, account_id, id).await?;
    if export.status != "processing" || export.renderer != "browser" {
        return Err(not_browsers(&export));
    }
    Ok(export)
}

pub async fn failure(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BrowserReport>,
) -> Result<Json<ExportInfo>, ApiError> {
    browsers_export(&state, account.id, &id).await?;
    state.store.fail_export(&id, &body.reason(), state.clock.now()).await?;
    Ok(Json(export_info(owned(&state, account.id, &id).await?)))
}

/// The browser cannot finish the export (a file bigger than it can hold): the server
/// renders it instead, as it does for a tab that went away.
pub async fn handover(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BrowserReport>,
) -> Result<Json<ExportInfo>, ApiError> {
    browsers_export(&state, account.id, &id).await?;
    if !state.store.hand_over(&id, &body.reason(), state.clock.now()).await? {
        return Err(not_browsers(&owned(&state, account.id, &id).await?));
    }
    let export = owned(&state, account.id, &id).await?;
    tokio::spawn(crate::jobs::render_on_server(state.clone(), export.clone()));
    Ok(Json(export_info(export)))
}

fn not_browsers(export: &ExportRow) -> ApiError {
    match export.status.as_str() {
        "processing" => ApiError::Conflict("the server has taken this export over".into()),
        status => ApiError::Conflict(format!("this export is {status}")),
    }
}

/// `Content-Digest: sha-256=:BASE64:` (RFC 9530), possibly among other algorithms.
fn expected_digest(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    let bad = || ApiError::BadRequest("send the file's SHA-256 as Content-Digest: sha-256=:BASE64:".into());
    let value = headers.get("content-digest").and_then(|v| v.to_str().ok()).ok_or_else(bad)?;
    let encoded = value
        .split(',')
        .filter_map(|item| item.trim().split_once('='))
        .find(|(alg, _)| alg.trim().eq_ignore_ascii_case("sha-256"))
        .map(|(_, v)| v.trim().trim_matches(':'))
        .ok_or_else(bad)?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| bad())?;
    bytes.try_into().map_err(|_| bad())
}

/// Streams the body to a temporary file, checks its size and SHA-256, then moves it into
/// place and marks the export ready. A broken upload never leaves a ready export.
pub async fn upload(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ExportInfo>, ApiError> {
    let export = owned(&state, account.id, &id).await?;
    if export.status != "processing" || export.renderer != "browser" {
        return Err(not_browsers(&export));
    }
    let expected = expected_digest(&headers)?;
    let max = state.settings.max_upload_bytes;
    if let Some(len) = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok()) {
        if len > max {
            return Err(ApiError::TooLarge(format!("an export may be at most {max} bytes")));
        }
    }
    let mut temp = state.files.temp().map_err(|e| ApiError::Internal(e.into()))?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut stream = body.into_data_stream();
    {
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("the upload broke off: {e}")))?;
            size += chunk.len() as u64;
            if size > max {
                return Err(ApiError::TooLarge(format!("an export may be at most {max} bytes")));
            }
            hasher.update(&chunk);
            writer.write_all(&chunk).map_err(|e| ApiError::Internal(e.into()))?;
        }
        writer.flush().map_err(|e| ApiError::Internal(e.into()))?;
    }
    let digest: [u8; 32] = hasher.finalize().into();
    if digest != expected {
        return Err(ApiError::BadRequest("Content-Digest does not match the uploaded file: nothing was stored".into()));
    }
    if size == 0 {
        return Err(ApiError::BadRequest("the uploaded file is empty".into()));
    }
    let files = state.files.clone();
    let commit_id = id.clone();
    tokio::task::spawn_blocking(move || files.commit(&commit_id, temp))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    let finished = state
        .store
        .finish_export(
            &id,
            "browser",
            size as i64,
            &hex::encode(digest),
            export.conversations.unwrap_or(0),
            export.messages.unwrap_or(0),
            state.clock.now(),
        )
        .await?;
    if !finished {
        // Deleted, evicted or taken over while the body was arriving.
        if !state.store.export_exists(&id).await? {
            state.files.delete(&id);
        }
        let now = owned(&state, account.id, &id).await?;
        return Err(not_browsers(&now));
    }
    state.store.audit(Some(account.id), &id, "uploaded", None, state.clock.now()).await?;
    Ok(Json(export_info(owned(&state, account.id, &id).await?)))
}

async fn serve_file(state: &AppState, account_id: i64, id: &str, inline: bool) -> Result<Response, ApiError> {
    let export = owned(state, account_id, id).await?;
    if export.status != "ready" {
        return Err(ApiError::Conflict(format!("this export is {}, not ready", export.status)));
    }
    let path = state.files.path(id).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("file of ready export {id} is missing")))?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| ApiError::Internal(e.into()))?;
    let len = file.metadata().await.map_err(|e| ApiError::Internal(e.into()))?.len();
    state.store.audit(Some(account_id), id, if inline { "opened" } else { "downloaded" }, None, state.clock.now()).await?;
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
    serve_file(&state, account.id, &id, false).await
}

pub async fn open(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<Response, ApiError> {
    serve_file(&state, account.id, &id, true).await
}
