//! The ingest API (`POST /api/ingest`).

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
