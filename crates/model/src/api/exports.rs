//! The export catalog's bodies: an export, the list, create (by days or since the last
//! export, with filters), the preview, and what a rendering browser reports.

use super::{AssistantRef, ExportStatus, Renderer, Totals};
use crate::{Days, ExportFilters, Format, PreviousExport, Redaction, RedactionPreview, StatedRedaction, TimeRange, TimeZone, Timestamp};
use serde::{Deserialize, Serialize};

/// Messages rendered of an export, and how many it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportProgress {
    pub done: i64,
    pub total: i64,
}

/// An export of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportInfo {
    pub id: String,
    pub filename: String,
    /// What the file is: `html` (the default), `jsonl`, `csv` or `markdown`.
    #[serde(default)]
    pub format: Format,
    pub assistant: AssistantRef,
    pub days: i64,
    pub range: TimeRange,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub status: ExportStatus,
    pub renderer: Renderer,
    pub progress: ExportProgress,
    pub size_bytes: Option<i64>,
    /// Lowercase hex SHA-256 of a ready export's file: always that of the bytes served.
    #[serde(default)]
    pub sha256: Option<String>,
    /// True once the server reproduced the ready file from its own data (what a receipt
    /// needs); a browser's upload is checked after it is ready.
    #[serde(default)]
    pub verified: bool,
    /// Where that check is: pending, verified, or mismatch (with `verification_note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<super::Verification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_note: Option<String>,
    /// A server render waiting for a free slot.
    #[serde(default)]
    pub waiting: bool,
    pub error: Option<String>,
    pub conversations: Option<i64>,
    pub messages: Option<i64>,
    /// What the export was narrowed to (empty: everything in the range).
    #[serde(default)]
    pub filters: ExportFilters,
    /// The export this one continues (created with `since_last`).
    #[serde(default)]
    pub previous: Option<PreviousExport>,
    /// What the file masks (absent: nothing), as the file states it: the names are
    /// counted, never listed (an export that lists names is rendered by the server,
    /// where they stay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<StatedRedaction>,
    /// Kept: neither evicted nor expired while held.
    #[serde(default)]
    pub held: bool,
    /// The schedule that made it, if one did.
    #[serde(default)]
    pub schedule_id: Option<String>,
    /// The IANA zone the file shows its times in (absent: UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZone>,
    pub content_url: String,
    pub open_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportList {
    pub exports: Vec<ExportInfo>,
    pub limits: CatalogLimits,
}

/// An export deleted to stay within the limit of 20.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvictedExport {
    pub id: String,
    pub filename: String,
}

/// The answer to `POST /api/exports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedExport {
    pub export: ExportInfo,
    pub evicted: Vec<EvictedExport>,
}

/// What the Export dialog shows before anything is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportPreview {
    pub range: TimeRange,
    pub totals: Totals,
    pub evicts: Option<EvictedExport>,
    /// Where a `since_last` export of this assistant would start, if there is an
    /// earlier export to continue (the dialog's quick pick).
    #[serde(default)]
    pub since_last: Option<SinceLast>,
    /// What the redaction asked for would mask (absent when none was asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<RedactionPreview>,
    pub limits: CatalogLimits,
}

/// The export a `since_last` export continues, and the range it would cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinceLast {
    pub previous: PreviousExport,
    pub range: TimeRange,
    /// Whole days the range spans, rounded up (what the quick pick says).
    pub days: i64,
}

/// How far back an export reaches: a number of days up to now, or from where the
/// account's latest export of the assistant ended, up to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Days(Days),
    SinceLast,
    /// A selection's own span: from the start of the earliest chosen conversation up to
    /// now (a create with `conversation_ids` and neither `days` nor `since_last`).
    Chosen,
}

impl Span {
    /// As the preview's query string has it (`days=N` or `since_last=true`).
    pub fn to_query(self) -> String {
        match self {
            Span::Days(d) => format!("days={d}"),
            Span::SinceLast => "since_last=true".into(),
            Span::Chosen => String::new(),
        }
    }

    /// As a create's body has it: `days`, or `since_last`.
    pub fn to_fields(self) -> (Option<Days>, bool) {
        match self {
            Span::Days(d) => (Some(d), false),
            Span::SinceLast => (None, true),
            Span::Chosen => (None, false),
        }
    }

    /// From a create's body or a preview's query: exactly one of them, or a message that
    /// says what to send.
    pub fn from_fields(days: Option<Days>, since_last: bool) -> Result<Span, &'static str> {
        match (days, since_last) {
            (Some(days), false) => Ok(Span::Days(days)),
            (None, true) => Ok(Span::SinceLast),
            (Some(_), true) => Err("send either days or since_last, not both"),
            (None, false) => Err("send days (a whole number from 1 to 365) or since_last: true"),
        }
    }
}

/// The catalog's limits, as the server enforces them (the web app says them, never
/// a number of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogLimits {
    /// Exports an account keeps; the next deletes its oldest one not kept.
    pub max_exports: i64,
    /// Exports an account may keep (hold) at once.
    pub max_held: i64,
}

/// The file's first part, its head: known only once the rest is rendered (it holds the
/// statistics), so it may come last; parts after it come in order.
pub const HEAD_PART: i64 = 1;

/// An export of at most this many messages (its `progress.total`) is small: the web
/// app's export worker reads its stream itself; a larger one's is read by the page, so
/// that the render never holds the download back.
pub const SMALL_EXPORT_MESSAGES: i64 = 30_000;

/// `POST /api/exports`: `days` up to now, or `since_last` (from where the account's
/// latest export of the assistant ended, up to now), optionally narrowed by `filters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateExportRequest {
    pub assistant_id: String,
    #[serde(default, deserialize_with = "days_field", skip_serializing_if = "Option::is_none")]
    pub days: Option<Days>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub since_last: bool,
    #[serde(default, skip_serializing_if = "ExportFilters::is_empty")]
    pub filters: ExportFilters,
    /// Only these conversations (at most 1,000, each one of the assistant's): the export
    /// is a selection. Without `days` or `since_last` it spans them, up to now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversation_ids: Vec<String>,
    /// What to mask in every string of the file (nothing by default).
    #[serde(default, skip_serializing_if = "Redaction::is_empty")]
    pub redact: Redaction,
    /// The file's format (HTML by default).
    #[serde(default, skip_serializing_if = "Format::is_html")]
    pub format: Format,
    /// The IANA zone the file shows its times in (UTC by default); `datetime` stays UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZone>,
    /// The web app renders (the default), or the server does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<Renderer>,
}

/// `POST /api/exports/{id}/progress`: messages rendered so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReport {
    pub done: i64,
}

/// The answer to `PUT /api/exports/{id}/parts/{n}`: the part as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartReceived {
    pub n: i64,
    pub size_bytes: i64,
    pub sha256: String,
}

/// `POST /api/exports/{id}/complete`: the file is parts 1 to `parts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteUpload {
    pub parts: i64,
}

/// `POST /api/exports/{id}/failure` and `…/handover`: why a browser gives an export up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserReport {
    pub reason: String,
}

/// Days from JSON, refused with one message whatever is wrong (a fraction, a string, 0).
fn days_field<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Days>, D::Error> {
    struct Visitor;
    const MESSAGE: &str = "days must be a whole number from 1 to 365";
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Days;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(MESSAGE)
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Days, E> {
            Days::try_from(n).map_err(|_| E::custom(MESSAGE))
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Days, E> {
            i64::try_from(n).ok().and_then(|n| Days::try_from(n).ok()).ok_or_else(|| E::custom(MESSAGE))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Days, E> {
            Err(E::custom(MESSAGE))
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Days, E> {
            Err(E::custom(MESSAGE))
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Days, E> {
            Err(E::custom(MESSAGE))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Days, E> {
            Err(E::custom(MESSAGE))
        }
    }
    deserializer.deserialize_any(Visitor).map(Some)
}
