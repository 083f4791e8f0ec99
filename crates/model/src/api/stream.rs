//! An export's conversations as one streamed answer (`GET /api/exports/{id}/stream`):
//! JSON Lines, one conversation a line, in file order, and after each of the server's
//! pages a cursor line `{"next_cursor":"…"}` from which the stream can be asked for
//! again if it breaks off. The last line is `{"next_cursor":null}`: a stream that ends
//! without it was cut short. The server writes it and the web app reads it with this
//! one codec.
//!
//! Why one stream rather than a request per page: each page cost the browser a round
//! trip and the server a query it only began when asked, so the two took turns; on one
//! stream the server reads the next page while the browser renders this one, and TCP's
//! window is the backpressure (docs/api.md, "Pages of an export").

use crate::Conversation;
use serde::{Deserialize, Serialize};

/// The media type of the stream.
pub const STREAM_CONTENT_TYPE: &str = "application/x-ndjson";

/// A line that says where the stream stands: the cursor after every conversation
/// before it (`None`: the stream is complete).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamCursor {
    pub next_cursor: Option<String>,
}

/// How a cursor line begins; a conversation's line never does (it has no such field).
const CURSOR_LINE: &[u8] = b"{\"next_cursor\":";

/// One line of the stream, read.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamLine<C = Conversation> {
    Conversation(C),
    /// Everything before this line is the export's up to `next_cursor`.
    Cursor(StreamCursor),
}

impl StreamLine {
    /// Reads one line (without its newline).
    pub fn parse(line: &[u8]) -> Result<StreamLine, serde_json::Error> {
        if line.starts_with(CURSOR_LINE) {
            serde_json::from_slice(line).map(StreamLine::Cursor)
        } else {
            serde_json::from_slice(line).map(StreamLine::Conversation)
        }
    }
}

/// Appends `conversation`'s line to `out`.
pub fn write_conversation<C: Serialize>(out: &mut Vec<u8>, conversation: &C) -> Result<(), serde_json::Error> {
    serde_json::to_writer(&mut *out, conversation)?;
    out.push(b'\n');
    Ok(())
}

/// Appends a cursor line to `out`.
pub fn write_cursor(out: &mut Vec<u8>, next_cursor: Option<&str>) -> Result<(), serde_json::Error> {
    #[derive(Serialize)]
    struct Line<'a> {
        next_cursor: Option<&'a str>,
    }
    serde_json::to_writer(&mut *out, &Line { next_cursor })?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_written_read_back_as_conversations_and_cursors() {
        let conversation: Conversation = serde_json::from_str(
            r#"{"id":"c\n1","assistant_id":"a","channel":"web","contact":null,"started_at":"2026-11-01T10:00:00Z","ended_at":"2026-11-01T10:05:00Z","status":"completed","summary":"{\"next_cursor\":1}","messages":[{"role":"user","content":"line one\nline two","at":"2026-11-01T10:00:01Z"}]}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        write_conversation(&mut out, &conversation).unwrap();
        write_cursor(&mut out, Some("abc")).unwrap();
        write_cursor(&mut out, None).unwrap();
        let lines: Vec<StreamLine> = out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| StreamLine::parse(l).unwrap()).collect();
        assert_eq!(
            lines,
            [
                StreamLine::Conversation(conversation),
                StreamLine::Cursor(StreamCursor { next_cursor: Some("abc".into()) }),
                StreamLine::Cursor(StreamCursor { next_cursor: None }),
            ]
        );
    }

    #[test]
    fn a_line_that_is_neither_is_an_error() {
        assert!(StreamLine::parse(br#"{"next_cursor":5}"#).is_err());
        assert!(StreamLine::parse(br#"{"id":"x"}"#).is_err());
        assert!(StreamLine::parse(b"").is_err());
    }
}
