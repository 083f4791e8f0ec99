//! What an export may be narrowed to: channels, a contact, words in the messages, or a
//! chosen set of conversations. One rule for the dialog, the API, schedules, the file's
//! header and manifest, and the catalog row.

use crate::Channel;
use serde::{Deserialize, Serialize};

/// Filters of an export; empty ones filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExportFilters {
    /// Only conversations on these channels (any of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Only conversations whose contact's name or email contains this (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Only conversations whose contact or assistant messages contain every one of these
    /// words (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Only these conversations (ids as imported), chosen one by one: the export is a
    /// selection (`"conversation_ids"` on create, at most [`MAX_CHOSEN`]).
    #[serde(default, rename = "conversation_ids", skip_serializing_if = "Vec::is_empty")]
    pub conversations: Vec<String>,
}

/// The longest contact or text filter, in characters.
pub const MAX_FILTER_CHARS: usize = 200;
/// The most channels a filter may name (each is an `OR` in the database's query).
pub const MAX_FILTER_CHANNELS: usize = 50;
/// The most words a text filter may have (each is a `LIKE` over every message).
pub const MAX_FILTER_WORDS: usize = 20;
/// The most conversations one export may be chosen from, one by one.
pub const MAX_CHOSEN: usize = 1_000;
/// The longest conversation id (as the import allows).
const MAX_ID_CHARS: usize = 200;

impl ExportFilters {
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.contact.is_none() && self.text.is_none() && self.conversations.is_empty()
    }

    /// Whether the export holds chosen conversations only.
    pub fn is_selection(&self) -> bool {
        !self.conversations.is_empty()
    }

    /// The same filters with blank fields dropped, text trimmed and channels listed once
    /// in a stable order; an error a person can act on when one is too long.
    pub fn normalized(mut self) -> Result<ExportFilters, String> {
        let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.contact = clean(self.contact);
        self.text = clean(self.text);
        for (name, value) in [("contact", &self.contact), ("text", &self.text)] {
            if value.as_ref().is_some_and(|v| v.chars().count() > MAX_FILTER_CHARS) {
                return Err(format!("the {name} filter may have at most {MAX_FILTER_CHARS} characters"));
            }
        }
        self.channels.sort();
        self.channels.dedup();
        if self.channels.len() > MAX_FILTER_CHANNELS {
            return Err(format!("a filter may name at most {MAX_FILTER_CHANNELS} channels, not {}", self.channels.len()));
        }
        self.conversations.retain(|id| !id.trim().is_empty());
        self.conversations.sort();
        self.conversations.dedup();
        if self.conversations.len() > MAX_CHOSEN {
            return Err(format!("an export may be chosen from at most {MAX_CHOSEN} conversations, not {}", self.conversations.len()));
        }
        if let Some(long) = self.conversations.iter().find(|id| id.chars().count() > MAX_ID_CHARS) {
            let start: String = long.chars().take(40).collect();
            return Err(format!("conversation id {start:?}\u{2026} is longer than {MAX_ID_CHARS} characters"));
        }
        let words = self.words().len();
        if words > MAX_FILTER_WORDS {
            return Err(format!("the text filter may have at most {MAX_FILTER_WORDS} words, not {words}"));
        }
        Ok(self)
    }

    /// The words of the text filter, lowercased.
    pub fn words(&self) -> Vec<String> {
        self.text.as_deref().map(|t| t.split_whitespace().map(str::to_lowercase).collect()).unwrap_or_default()
    }

    /// The filters as query parameters, `&channels=gmail,api&contact=ann&text=refund`
    /// (each value percent-encoded; nothing for filters that are not set): what
    /// [`ExportFilters::from_query`] reads back. The one codec of the preview's and the
    /// pages' query strings, for the web app and the server.
    pub fn to_query(&self) -> String {
        let mut params = String::new();
        if !self.channels.is_empty() {
            let ids: Vec<&str> = self.channels.iter().map(|c| c.id()).collect();
            params.push_str("&channels=");
            push_percent_encoded(&mut params, &ids.join(","));
        }
        for (name, value) in [("contact", &self.contact), ("text", &self.text)] {
            if let Some(value) = value {
                params.push_str(&format!("&{name}="));
                push_percent_encoded(&mut params, value);
            }
        }
        params
    }

    /// Filters from query parameters (already percent-decoded), as `to_query` writes them.
    pub fn from_query(channels: Option<&str>, contact: Option<String>, text: Option<String>) -> ExportFilters {
        let channels = channels.unwrap_or_default().split(',').map(str::trim).filter(|c| !c.is_empty()).map(Channel::parse).collect();
        ExportFilters { channels, contact, text, conversations: Vec::new() }
    }

    /// One line for people: `channels Gmail, API; contact “ann”; words “refund”`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.channels.is_empty() {
            let labels: Vec<&str> = self.channels.iter().map(Channel::label).collect();
            parts.push(format!("channels {}", labels.join(", ")));
        }
        if let Some(c) = &self.contact {
            parts.push(format!("contact \u{201c}{c}\u{201d}"));
        }
        if let Some(t) = &self.text {
            parts.push(format!("words \u{201c}{t}\u{201d}"));
        }
        match self.conversations.len() {
            0 => {}
            1 => parts.push("a selection of 1 conversation".into()),
            n => parts.push(format!("a selection of {n} conversations")),
        }
        parts.join("; ")
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn push_percent_encoded(out: &mut String, value: &str) {
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// The export a chained export continues: its id and the SHA-256 of its file, and the
/// figures its statistics showed (absent for an export made before they were kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PreviousExport {
    pub id: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<crate::Figures>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_drops_blanks_and_sorts_channels() {
        let f = ExportFilters {
            channels: vec![Channel::Gmail, Channel::Api, Channel::Gmail],
            contact: Some("  ".into()),
            text: Some(" Refund  ".into()),
            ..Default::default()
        }
        .normalized()
        .unwrap();
        assert_eq!(f.channels, vec![Channel::Gmail, Channel::Api]);
        assert_eq!(f.contact, None);
        assert_eq!(f.text.as_deref(), Some("Refund"));
        assert_eq!(f.describe(), "channels Gmail, API; words \u{201c}Refund\u{201d}");
        let long = ExportFilters { contact: Some("x".repeat(201)), ..Default::default() };
        assert!(long.normalized().unwrap_err().contains("at most 200"));
        let many = ExportFilters { channels: (0..51).map(|i| Channel::parse(&format!("ch{i}"))).collect(), ..Default::default() };
        assert!(many.normalized().unwrap_err().contains("at most 50 channels, not 51"));
        let fifty = ExportFilters { channels: (0..50).map(|i| Channel::parse(&format!("ch{i}"))).collect(), ..Default::default() };
        assert!(fifty.normalized().is_ok());
        let wordy = ExportFilters { text: Some("w ".repeat(21)), ..Default::default() };
        assert!(wordy.normalized().unwrap_err().contains("at most 20 words, not 21"));
    }

    #[test]
    fn a_selection_is_listed_once_in_order_and_bounded() {
        let chosen = ExportFilters { conversations: vec!["b".into(), " ".into(), "a".into(), "b".into()], ..Default::default() };
        let chosen = chosen.normalized().unwrap();
        assert_eq!(chosen.conversations, vec!["a", "b"]);
        assert!(chosen.is_selection());
        assert_eq!(chosen.describe(), "a selection of 2 conversations");
        assert_eq!(serde_json::to_string(&chosen).unwrap(), r#"{"conversation_ids":["a","b"]}"#);
        let too_many = ExportFilters { conversations: (0..1001).map(|i| format!("c{i}")).collect(), ..Default::default() };
        assert!(too_many.normalized().unwrap_err().contains("at most 1000 conversations, not 1001"));
        let thousand = ExportFilters { conversations: (0..1000).map(|i| format!("c{i}")).collect(), ..Default::default() };
        assert!(thousand.normalized().is_ok());
    }

    #[test]
    fn filters_survive_their_query_string() {
        let f = ExportFilters {
            channels: vec![Channel::Gmail, Channel::parse("Help desk")],
            contact: Some("Ann & Bob=1".into()),
            text: Some("réfund 100%".into()),
            ..Default::default()
        };
        let query = f.to_query();
        assert_eq!(query, "&channels=gmail%2CHelp%20desk&contact=Ann%20%26%20Bob%3D1&text=r%C3%A9fund%20100%25");
        let decoded: std::collections::HashMap<&str, String> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| {
                let bytes: Vec<u8> = v
                    .split('%')
                    .enumerate()
                    .flat_map(|(i, piece)| match i {
                        0 => piece.as_bytes().to_vec(),
                        _ => [vec![u8::from_str_radix(&piece[..2], 16).unwrap()], piece.as_bytes()[2..].to_vec()].concat(),
                    })
                    .collect();
                (k, String::from_utf8(bytes).unwrap())
            })
            .collect();
        let back = ExportFilters::from_query(
            decoded.get("channels").map(String::as_str),
            decoded.get("contact").cloned(),
            decoded.get("text").cloned(),
        );
        assert_eq!(back, f);
        assert_eq!(ExportFilters::default().to_query(), "");
    }
}
