//! A ready export's file over HTTP: downloaded (with `Content-Disposition`, a whole-file
//! `Repr-Digest`, byte ranges) or opened inline under a CSP that allows no network.

use super::{ApiError, Authed};
use crate::catalog::Reading;
use crate::state::AppState;
use crate::store::AccountRef;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

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
        // A last byte past the end is the end (RFC 9110 14.1.2), however far past.
        (Ok(a), Ok(b)) if a <= b => a..b.saturating_add(1).min(size),
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
    // Opened, a file of another format than the page shows as plain text: never run,
    // never handed to another program.
    let media_type = match (inline, read.export.format) {
        (true, format) if !format.is_html() => "text/plain; charset=utf-8",
        (_, format) => format.media_type(),
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
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
