//! The JSON bodies of the HTTP API, shared by the server (which writes them) and the web
//! app (which reads them). None carries an internal field.

use crate::{Conversation, TimeRange, Timestamp};
use serde::{Deserialize, Serialize};

/// An assistant as an account sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantList {
    pub assistants: Vec<AssistantRef>,
}

/// Completed conversations and their messages in one range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub conversations: i64,
    pub messages: i64,
}

/// One page of `GET /api/assistants/{id}/conversations`. (The server fills it with
/// conversations whose messages are still the JSON it stored: the same wire shape.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationPage<C = Conversation> {
    pub conversations: Vec<C>,
    pub next_cursor: Option<String>,
    /// On the first page only: what a progress bar needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<Totals>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Processing,
    Ready,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Renderer {
    Browser,
    Server,
}

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
    pub assistant: AssistantRef,
    pub days: i64,
    pub range: TimeRange,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub status: ExportStatus,
    pub renderer: Renderer,
    pub progress: ExportProgress,
    pub size_bytes: Option<i64>,
    pub error: Option<String>,
    pub conversations: Option<i64>,
    pub messages: Option<i64>,
    pub content_url: String,
    pub open_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportList {
    pub exports: Vec<ExportInfo>,
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
}

/// Every error body: `{"error": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}
