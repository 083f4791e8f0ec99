//! The ingest API (`POST /api/ingest`) and the administration of accounts, grants and
//! tokens (`/api/admin/…`).

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// The answer to `POST /api/ingest`: what each line did. Counts are of stored lines: an
/// atomic batch with a rejected line stores none, so all three counts are 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestAnswer {
    /// New conversations, stored.
    pub accepted: u64,
    /// Stored conversations whose content changed (completed, messages appended …).
    pub updated: u64,
    /// Lines whose content the server already had: nothing written.
    pub unchanged: u64,
    pub rejected: Vec<RejectedLine>,
}

/// A line that was not stored, and why (the field named, as `import` says it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedLine {
    /// 1-based, counting blank lines.
    pub line: u64,
    pub error: String,
}

wire_enum! {
    /// What a token may do: a personal token is its account's API; an ingest token
    /// writes conversations of the assistants it is scoped to and nothing else.
    TokenKind { Personal = "personal", Ingest = "ingest" }
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub email: String,
    pub kind: TokenKind,
    /// The assistants an ingest token may write; empty for personal tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assistants: Vec<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}
