//! Schedules over HTTP: create, list, pause or resume, delete, and run now.

use super::extract::ApiJson;
use super::{ApiError, Authed};
use crate::catalog::Ran;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use convo_model::api::{CreateScheduleRequest, CreatedExport, ScheduleInfo, ScheduleList, ScheduleRun, UpdateScheduleRequest};

pub async fn create(
    State(state): State<AppState>,
    Authed(account): Authed,
    ApiJson(body): ApiJson<CreateScheduleRequest>,
) -> Result<(StatusCode, Json<ScheduleInfo>), ApiError> {
    let row = state.catalog.create_schedule(&account, body).await?;
    Ok((StatusCode::CREATED, Json(state.catalog.schedule_info(&row))))
}

pub async fn list(State(state): State<AppState>, Authed(account): Authed) -> Result<Json<ScheduleList>, ApiError> {
    let schedules = state.catalog.schedules(&account).await?.iter().map(|s| state.catalog.schedule_info(s)).collect();
    Ok(Json(ScheduleList { schedules }))
}

pub async fn get(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<Json<ScheduleInfo>, ApiError> {
    Ok(Json(state.catalog.schedule_info(&state.catalog.schedule(&account, &id).await?)))
}

pub async fn update(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateScheduleRequest>,
) -> Result<Json<ScheduleInfo>, ApiError> {
    Ok(Json(state.catalog.schedule_info(&state.catalog.pause_schedule(&account, &id, body.paused).await?)))
}

pub async fn delete(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    state.catalog.delete_schedule(&account, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Exports the latest complete period now, rendered by the server.
pub async fn run(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ScheduleRun>), ApiError> {
    let (period, ran) = state.catalog.run_schedule(&account, &id).await?;
    let (status, created) = match ran {
        Ran::Created(created) => {
            state.jobs.spawn_render(created.export.clone());
            (StatusCode::CREATED, CreatedExport { export: created.export.info(), evicted: created.evicted })
        }
        // The period was exported already: that export, not a second file.
        Ran::Existing(export) => (StatusCode::OK, CreatedExport { export: export.info(), evicted: Vec::new() }),
    };
    Ok((status, Json(ScheduleRun { period: period.range(), created })))
}
