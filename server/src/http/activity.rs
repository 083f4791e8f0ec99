//! The activity trail over HTTP: pages of JSON, and the whole trail as CSV.

use super::extract::{ApiQuery, CursorQuery};
use super::{ApiError, Authed};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use convo_model::api::AuditPage;

pub async fn page(
    State(state): State<AppState>,
    Authed(account): Authed,
    ApiQuery(q): ApiQuery<CursorQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(state.catalog.activity(&account, q.cursor.as_deref()).await?))
}

pub async fn csv(State(state): State<AppState>, Authed(account): Authed) -> Result<Response, ApiError> {
    let mut response = axum::body::Body::from_stream(state.catalog.activity_csv(&account)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"activity.csv\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
