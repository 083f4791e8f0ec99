//! The compliance bodies: schedules, the activity trail, signed receipts and the
//! signing key.

use super::{AssistantRef, AuditAction, CreatedExport};
use crate::{ExportFilters, Format, Redaction, StatedRedaction, TimeRange, Timestamp};
use serde::{Deserialize, Serialize};

wire_enum! {
    /// How often a schedule exports: the previous complete ISO week, calendar month or
    /// quarter of its time zone.
    Every { Week = "week", Month = "month", Quarter = "quarter" }
}

/// `POST /api/schedules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateScheduleRequest {
    pub assistant_id: String,
    pub every: Every,
    /// An IANA time zone, such as `Europe/Berlin`.
    pub time_zone: String,
    #[serde(default, skip_serializing_if = "ExportFilters::is_empty")]
    pub filters: ExportFilters,
    /// What every export of the schedule masks (nothing by default).
    #[serde(default, skip_serializing_if = "Redaction::is_empty")]
    pub redact: Redaction,
    /// The format of every export of the schedule (HTML by default).
    #[serde(default, skip_serializing_if = "Format::is_html")]
    pub format: Format,
}

/// `PATCH /api/schedules/{id}`: pause or resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateScheduleRequest {
    pub paused: bool,
}

/// A schedule as its account sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleInfo {
    pub id: String,
    pub assistant: AssistantRef,
    pub every: Every,
    pub time_zone: String,
    #[serde(default)]
    pub filters: ExportFilters,
    /// What its exports mask, as their files state it (names counted, never listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<StatedRedaction>,
    #[serde(default)]
    pub format: Format,
    pub paused: bool,
    pub created_at: Timestamp,
    /// When the next period completes and is exported (none while paused).
    pub next_run: Option<Timestamp>,
    /// The latest period exported, if any.
    pub last_period: Option<TimeRange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleList {
    pub schedules: Vec<ScheduleInfo>,
}

/// The answer to `POST /api/schedules/{id}/run`: the export of the latest complete period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRun {
    pub period: TimeRange,
    #[serde(flatten)]
    pub created: CreatedExport,
}

/// One event of the activity trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    /// Who did it: the account's email, an admin's, `server`, `schedule` or `command line`.
    pub actor: String,
    pub action: AuditAction,
    pub export_id: Option<String>,
    pub filename: Option<String>,
    pub details: Option<String>,
    /// Whose trail it is in: given in the admin trail (`GET /api/admin/audit`) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// `GET /api/audit?cursor=C`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

/// `GET /api/exports/{id}/receipt`: what the server attests about a ready export,
/// signed with Ed25519 over the other fields (see `convo-export verify --receipt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub export_id: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub assistant_id: String,
    pub range: TimeRange,
    pub created_at: Timestamp,
    pub key_id: String,
    /// The server reproduced the file from its own data before signing (receipts are
    /// signed for nothing else); part of the signed fields.
    #[serde(default)]
    pub verified: bool,
    /// Base64 (standard) of the 64-byte Ed25519 signature.
    pub signature: String,
}

/// `GET /api/signing-key`: the public key receipts are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    pub key_id: String,
    /// Base64 (standard) of the 32-byte Ed25519 public key.
    pub public_key: String,
}
