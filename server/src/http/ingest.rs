//! `POST /api/ingest`: JSON Lines of the import format from an ingest token, plain or
//! `Content-Encoding: gzip`, spooled as it arrives (decompressed, at most 64 MiB), then
//! one call to the ingest service.

use super::ApiError;
use super::extract::{ApiQuery, Ingester};
use crate::ingest::{Atomicity, IngestError};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use convo_model::api::IngestAnswer;
use futures_util::TryStreamExt;
use serde::Deserialize;
use tokio::io::AsyncReadExt;

#[derive(Deserialize)]
pub struct IngestQuery {
    /// All lines or none.
    #[serde(default)]
    atomic: bool,
}

pub async fn ingest(
    State(state): State<AppState>,
    Ingester(token): Ingester,
    ApiQuery(query): ApiQuery<IngestQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestAnswer>, ApiError> {
    let gzip = match headers.get(axum::http::header::CONTENT_ENCODING).map(|v| v.to_str().map(str::trim)) {
        None => false,
        Some(Ok(e)) if e.eq_ignore_ascii_case("identity") => false,
        Some(Ok(e)) if e.eq_ignore_ascii_case("gzip") => true,
        Some(_) => return Err(ApiError::UnsupportedMedia("Content-Encoding: send the body plain or as gzip".into())),
    };
    let key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(key)) => Some(key.to_string()),
        Some(Err(_)) => return Err(IngestError::BadKey("1 to 255 visible ASCII characters".into()).into()),
    };
    let mut spool = state.ingest.spool(&token)?;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    let mut reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> =
        if gzip { Box::new(async_compression::tokio::bufread::GzipDecoder::new(reader)) } else { Box::new(reader) };
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut chunk).await.map_err(|e| read_error(e, gzip))?;
        if n == 0 {
            break;
        }
        spool.write(&chunk[..n])?;
    }
    let atomicity = if query.atomic { Atomicity::AllOrNone } else { Atomicity::EachLine };
    Ok(Json(state.ingest.run(&token, spool, atomicity, key.as_deref()).await?))
}

/// A body that broke off (or stopped arriving), or is not the gzip it says it is.
fn read_error(e: std::io::Error, gzip: bool) -> ApiError {
    // The body's own errors come wrapped as `Other`; the decoder's are `InvalidData`.
    if gzip && e.kind() != std::io::ErrorKind::Other {
        ApiError::BadRequest(format!("the body is not valid gzip ({e})"))
    } else {
        ApiError::BadRequest(format!("the body broke off: {e}"))
    }
}
