//! The JSON bodies of the HTTP API, shared by the server (which writes them) and the web
//! app (which reads them). None carries an internal field.

use crate::{Conversation, Days, TimeRange, Timestamp};
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

wire_enum! {
    /// Where an export is in its life.
    ExportStatus { Processing = "processing", Ready = "ready", Failed = "failed" }
}

wire_enum! {
    /// Who renders an export: the tab that asked for it, or the server.
    Renderer { Browser = "browser", Server = "server" }
}

wire_enum! {
    /// What happened to an export, as the activity trail records it.
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
    }
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
    /// Lowercase hex SHA-256 of a ready export's file: always that of the bytes served.
    #[serde(default)]
    pub sha256: Option<String>,
    /// A server render waiting for a free slot.
    #[serde(default)]
    pub waiting: bool,
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

/// `POST /api/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// The signed-in account: the answer to `POST /api/login` and `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub name: String,
}

/// `POST /api/exports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateExportRequest {
    pub assistant_id: String,
    #[serde(deserialize_with = "days_field")]
    pub days: Days,
    /// The web app renders (the default), or the server does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<Renderer>,
}

/// `POST /api/exports/{id}/progress`: messages rendered so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReport {
    pub done: i64,
}

/// `POST /api/exports/{id}/failure` and `…/handover`: why a browser gives an export up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserReport {
    pub reason: String,
}

/// The answer to `POST /api/logout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedOut {
    pub ok: bool,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
}

/// Days from JSON, refused with one message whatever is wrong (a fraction, a string, 0).
fn days_field<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Days, D::Error> {
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
    deserializer.deserialize_any(Visitor)
}

/// Every error body: `{"error": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}
