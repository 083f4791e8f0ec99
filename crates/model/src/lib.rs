//! Wire types shared by the server, the web app and the renderer.
//!
//! These are the shapes that cross a boundary: the JSON Lines import format, the
//! conversation pages the server serves, and the rules every side must agree on (the
//! 1–365 day range, the export filename). The crate does no I/O and builds for
//! `wasm32-unknown-unknown` as well as native targets.
//!
//! ```
//! use convo_model::{Conversation, Days, Format, export_filename};
//!
//! let line = r#"{"id":"c1","assistant_id":"support-bot","channel":"Website Widget",
//!   "started_at":"2026-11-01T09:00:00+01:00","status":"completed","usage":{"tokens":9},
//!   "messages":[{"role":"user","content":"Hi","at":"2026-11-01T09:00:00+01:00"}]}"#;
//! let conversation: Conversation = serde_json::from_str(line).unwrap();
//! assert_eq!(conversation.messages.len(), 1);
//!
//! assert!(Days::try_from(0).is_err());
//! let created = "2026-11-27T08:05:09Z".parse().unwrap();
//! assert_eq!(export_filename("support/bot", created, Format::Html),
//!            "conversations_support_bot_20261127_080509.html");
//! ```

pub mod api;
mod channel;
mod days;
mod figures;
mod filename;
mod filters;
mod format;
mod redaction;
pub mod timestamp;
mod zone;

pub use channel::Channel;
pub use days::{Days, DaysError};
pub use figures::{Figures, Spread};
pub use filename::{export_filename, safe_file_component};
pub use filters::{ExportFilters, MAX_CHOSEN, MAX_FILTER_CHARS, PreviousExport};
pub use format::Format;
pub use redaction::{
    Contacts, MAX_REDACTED_NAME_CHARS, MAX_REDACTED_NAMES, RedactedKind, Redaction, RedactionPreview, RedactionTally, StatedRedaction,
};
pub use zone::TimeZone;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Instants are UTC everywhere; inputs with an offset are converted on the way in.
pub type Timestamp = DateTime<Utc>;

/// Who wrote a message. Only [`Role::User`] and [`Role::Assistant`] are ever exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    System,
    Tool,
}

impl Role {
    /// System and tool messages are internal: they never leave the server.
    pub fn is_exported(self) -> bool {
        matches!(self, Role::User | Role::Assistant)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
            Role::Tool => "tool",
        }
    }
}

/// The end user an assistant talked to; both fields are optional in imports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Contact {
    /// A key that identifies the same person across conversations: the email when
    /// there is one (case-insensitive), else the name. `None` for an anonymous contact.
    pub fn identity(&self) -> Option<String> {
        let mut identity = String::new();
        self.write_identity(&mut identity).then_some(identity)
    }

    /// Writes [`Contact::identity`] into `into`, which it clears first, and says
    /// whether there is one: the redactor asks it of every conversation, and this
    /// allocates nothing for an ASCII email or a name.
    pub fn write_identity(&self, into: &mut String) -> bool {
        fn nonblank(s: &Option<String>) -> Option<&str> {
            s.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        into.clear();
        if let Some(email) = nonblank(&self.email) {
            into.push_str("e:");
            match email.is_ascii() {
                true => into.extend(email.bytes().map(|b| char::from(b.to_ascii_lowercase()))),
                false => into.push_str(&email.to_lowercase()),
            }
        } else if let Some(name) = nonblank(&self.name) {
            into.push_str("n:");
            into.push_str(name);
        } else {
            return false;
        }
        true
    }
}

/// One message of a conversation. Unknown fields of the import format (usage, cost,
/// model …) are dropped when parsing, so they cannot be exported by accident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
    #[serde(deserialize_with = "timestamp::deserialize")]
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    Completed,
    Active,
}

impl ConversationStatus {
    /// As the import format and the database spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Completed => "completed",
            ConversationStatus::Active => "active",
        }
    }
}

/// One thread between one contact and one assistant, as imported and as served. `M`
/// holds its messages: parsed (the default) or, on the server, the JSON they were
/// stored as, which pages pass through without parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation<M = Vec<Message>> {
    pub id: String,
    pub assistant_id: String,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(deserialize_with = "timestamp::deserialize")]
    pub started_at: Timestamp,
    #[serde(default, deserialize_with = "timestamp::deserialize_option", skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    pub status: ConversationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub messages: M,
}

impl<M> Conversation<M> {
    /// The same conversation with its messages held as `messages`.
    pub fn with_messages<N>(self, messages: N) -> Conversation<N> {
        Conversation {
            id: self.id,
            assistant_id: self.assistant_id,
            channel: self.channel,
            contact: self.contact,
            started_at: self.started_at,
            ended_at: self.ended_at,
            status: self.status,
            summary: self.summary,
            messages,
        }
    }
}

impl Conversation {
    /// Messages that may be exported, in their order.
    pub fn exported_messages(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(|m| m.role.is_exported())
    }
}

/// A closed interval of instants: an export covers the conversations that started in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub from: Timestamp,
    pub to: Timestamp,
}

/// Ranges are inclusive to the millisecond: the range that continues another starts 1 ms
/// after it ends.
pub const RANGE_STEP: chrono::Duration = chrono::Duration::milliseconds(1);

impl TimeRange {
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t <= self.to
    }

    /// The range from `from` up to, not including, `end`.
    pub fn until(from: Timestamp, end: Timestamp) -> TimeRange {
        TimeRange { from, to: end - RANGE_STEP }
    }

    /// Where a range that continues this one starts.
    pub fn next_start(&self) -> Timestamp {
        self.to + RANGE_STEP
    }

    /// Whether this range starts exactly where `previous` ended.
    pub fn continues(&self, previous: &TimeRange) -> bool {
        self.from == previous.next_start()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_line_with_offsets_and_internal_fields() {
        let line = r#"{"id":"c1","assistant_id":"a","channel":"instagram_dm",
            "contact":{"name":"Ana","email":"ANA@x.org","phone":"secret"},
            "started_at":"2026-01-01T10:00:00-05:00","ended_at":"2026-01-01T10:30:00Z",
            "status":"completed","summary":"s","cost":0.3,
            "messages":[{"role":"tool","content":"{}","at":"2026-01-01T15:00:00Z","tokens":5}]}"#;
        let c: Conversation = serde_json::from_str(line).unwrap();
        assert_eq!(c.started_at.to_rfc3339(), "2026-01-01T15:00:00+00:00");
        assert_eq!(c.channel, Channel::InstagramDm);
        assert_eq!(c.exported_messages().count(), 0);
        assert_eq!(c.contact.as_ref().unwrap().identity().unwrap(), "e:ana@x.org");
        let back = serde_json::to_string(&c).unwrap();
        for internal in ["phone", "secret", "cost", "tokens"] {
            assert!(!back.contains(internal), "{internal} leaked: {back}");
        }
    }

    #[test]
    fn missing_optional_fields() {
        let c: Conversation = serde_json::from_str(
            r#"{"id":"c","assistant_id":"a","channel":"API","started_at":"2026-01-01T00:00:00Z",
                "status":"active","messages":[]}"#,
        )
        .unwrap();
        assert_eq!(c.contact, None);
        assert_eq!(c.ended_at, None);
        assert_eq!(c.status, ConversationStatus::Active);
    }

    #[test]
    fn unknown_role_is_refused() {
        let err = serde_json::from_str::<Message>(r#"{"role":"admin","content":"","at":"2026-01-01T00:00:00Z"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown variant"), "{err}");
    }
}
