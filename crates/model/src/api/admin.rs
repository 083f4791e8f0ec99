//! Administration (`/api/admin/…`): accounts, grants, tokens; and accepting an invite.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

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

/// An account as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub email: String,
    pub name: String,
    pub admin: bool,
    pub disabled: bool,
    /// Added without a password, and the invite not accepted yet.
    pub invited: bool,
    pub created_at: Timestamp,
    /// The assistants it may see, by id.
    pub assistants: Vec<String>,
}

/// `GET /api/admin/accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountList {
    pub accounts: Vec<AccountInfo>,
}

/// `POST /api/admin/accounts`: with a password, or without one for an invite link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccountRequest {
    pub email: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default)]
    pub admin: bool,
}

/// The answer to `POST /api/admin/accounts` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedAccount {
    pub account: AccountInfo,
    /// When no password was given: the one-time link that sets it (shown once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_url: Option<String>,
}

/// `PATCH /api/admin/accounts/{email}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<bool>,
}

/// `GET /api/admin/tokens`. (Not `tokens`: that key names the internal token counts
/// that no answer may carry, and the tests look for it in every answer.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub api_tokens: Vec<TokenInfo>,
}

/// `POST /api/admin/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTokenRequest {
    pub email: String,
    pub kind: TokenKind,
    /// For an ingest token: the assistants it may write (at least one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assistants: Vec<String>,
    /// 1–3650; 90 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u16>,
}

/// The answer to `POST /api/admin/tokens` (201): the secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: String,
    pub token: String,
}

/// `POST /api/invite`: the invite link's secret and the new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptInvite {
    pub token: String,
    pub password: String,
}
