//! Webhooks (`/api/webhooks`): what an account is told, signed, and the deliveries'
//! record. No delivery carries conversation content: only the export's catalog fields.

use super::ExportInfo;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

wire_enum! {
    /// What a webhook can be told of.
    WebhookEvent {
        /// An export is ready to download.
        ExportReady = "export.ready",
        /// An export failed.
        ExportFailed = "export.failed",
        /// A ready export will be deleted in 3 days (told once).
        ExportExpiring = "export.expiring",
        /// A schedule exported its period.
        ScheduleRan = "schedule.ran",
    }
}

wire_enum! {
    /// Where a delivery is.
    DeliveryState { Pending = "pending", Delivered = "delivered", Failed = "failed" }
}

/// `POST /api/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWebhook {
    pub url: String,
    pub events: Vec<WebhookEvent>,
}

/// A webhook as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInfo {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub created_at: Timestamp,
}

/// The answer to `POST /api/webhooks` (201): the secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhook {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    /// Signs each delivery: `X-Convo-Signature: sha256=HEX(HMAC-SHA256(secret, body))`.
    pub secret: String,
}

/// `GET /api/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookInfo>,
}

/// One delivery as listed: its attempts and how the last went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryInfo {
    pub id: String,
    pub event: WebhookEvent,
    pub export_id: Option<String>,
    pub created_at: Timestamp,
    pub state: DeliveryState,
    pub attempts: i64,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed (no answer, a timeout, a refused address …).
    pub last_error: Option<String>,
    pub last_attempt_at: Option<Timestamp>,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<Timestamp>,
}

/// `GET /api/webhooks/{id}/deliveries`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryInfo>,
}

/// The body of a delivery (`X-Convo-Delivery` carries its `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub event: WebhookEvent,
    pub at: Timestamp,
    pub export: ExportInfo,
}
