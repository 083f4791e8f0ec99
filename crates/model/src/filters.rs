//! What an export may be narrowed to: channels, a contact, words in the messages. One
//! rule for the dialog, the API, schedules, the file's header and the catalog row.

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
}

/// The longest contact or text filter, in characters.
pub const MAX_FILTER_CHARS: usize = 200;
/// The most channels a filter may name (each is an `OR` in the database's query).
pub const MAX_FILTER_CHANNELS: usize = 50;
/// The most words a text filter may have (each is a `LIKE` over every message).
pub const MAX_FILTER_WORDS: usize = 20;

impl ExportFilters {
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.contact.is_none() && self.text.is_none()
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
        parts.join("; ")
    }
}

/// The export a chained export continues: its id and the SHA-256 of its file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PreviousExport {
    pub id: String,
    pub sha256: String,
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
}
