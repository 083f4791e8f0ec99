//! `/api/webhooks`: an account's webhooks (the secret shown once, at creation) and their
//! deliveries, each one call to `crate::webhooks`.

use super::ApiError;
use super::extract::{ApiJson, Authed};
use crate::state::AppState;
use crate::webhooks::WebhookError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use convo_model::api::{CreateWebhook, CreatedWebhook, DeliveryList, WebhookList};

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::BadInput(message) => ApiError::BadRequest(message),
            WebhookError::NoSuchWebhook => ApiError::NotFound("no such webhook"),
            WebhookError::Internal(e) => ApiError::Internal(e),
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    Authed(account): Authed,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.webhooks.create(account.id, &body.url, &body.events).await?)))
}

pub async fn list(State(state): State<AppState>, Authed(account): Authed) -> Result<Json<WebhookList>, ApiError> {
    Ok(Json(WebhookList { webhooks: state.webhooks.list(account.id).await? }))
}

pub async fn delete(State(state): State<AppState>, Authed(account): Authed, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    state.webhooks.delete(account.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn deliveries(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(id): Path<String>,
) -> Result<Json<DeliveryList>, ApiError> {
    Ok(Json(DeliveryList { deliveries: state.webhooks.deliveries(account.id, &id).await? }))
}
