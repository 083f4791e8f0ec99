//! The headline figures of an export's statistics, kept with the export (its manifest,
//! the chain of since-last exports) so that the export continuing it can show each of
//! its own figures beside the previous one's.

use serde::{Deserialize, Serialize};

/// What an export's statistics say, in numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Figures {
    pub conversations: u64,
    pub messages: u64,
    pub contacts: u64,
    /// Seconds to the first answer of a conversation (absent: nothing was answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response: Option<Spread>,
    /// Seconds to each answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Spread>,
    /// Seconds from a conversation's start to its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Spread>,
}

/// A distribution of seconds: its median and 90th percentile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Spread {
    pub median_s: i64,
    pub p90_s: i64,
}
