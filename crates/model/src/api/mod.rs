//! The JSON bodies of the HTTP API, shared by the server (which writes them) and the web
//! app (which reads them). None carries an internal field.
//!
//! This module: assistants, conversation pages, the typed enums and errors;
//! [`exports`]: the catalog; [`accounts`]: logging in; [`compliance`]: schedules,
//! holds, receipts and the activity trail; [`stream`]: an export's conversations as one
//! streamed answer; [`ingest`]: the ingest API; [`admin`]: administration; [`webhooks`]:
//! notifications.

use crate::Conversation;
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

/// Declares a string-valued enum with its wire name per variant: serde, `as_str` (how
/// the database stores it) and `parse` (how it is read back) agree by construction.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod accounts;
mod admin;
mod compliance;
mod exports;
mod ingest;
mod stream;
mod webhooks;

pub use accounts::*;
pub use admin::*;
pub use compliance::*;
pub use exports::*;
pub use ingest::*;
pub use stream::*;
pub use webhooks::*;

wire_enum! {
    /// Where an export is in its life.
    ExportStatus { Processing = "processing", Ready = "ready", Failed = "failed" }
}

wire_enum! {
    /// Who renders an export: the tab that asked for it, or the server.
    Renderer { Browser = "browser", Server = "server" }
}

wire_enum! {
    /// Whether the server has reproduced a ready export's file from its own data: a
    /// server render is verified as it is written; a browser's upload waits for the
    /// server's own render of it, whose SHA-256 must be the upload's.
    Verification { Pending = "pending", Verified = "verified", Mismatch = "mismatch" }
}

wire_enum! {
    /// What happened to an export, or (by an admin) to an account, as the activity trail
    /// records it.
    AuditAction {
        Created = "created",
        Ready = "ready",
        Downloaded = "downloaded",
        Opened = "opened",
        Deleted = "deleted",
        Expired = "expired",
        Evicted = "evicted",
        TakenOver = "taken over",
        Failed = "failed",
        Held = "held",
        Released = "released",
        ScheduleRan = "schedule ran",
        Verified = "verified",
        VerificationFailed = "verification failed",
        AccountAdded = "account added",
        AccountDisabled = "account disabled",
        AccountEnabled = "account enabled",
        MadeAdmin = "made admin",
        AdminRemoved = "admin removed",
        Granted = "granted",
        Revoked = "revoked",
        TokenCreated = "token created",
        TokenRevoked = "token revoked",
        InviteAccepted = "invite accepted",
    }
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
}

/// Every error body: `{"error": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}
