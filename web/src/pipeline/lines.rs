//! The stream's bytes as lines, and where the stream stands: the last cursor line, the
//! conversations handed out since it, and, after the stream broke off and was asked for
//! again from that cursor, how many of those to pass over. No I/O here (`feed.rs` reads
//! the bytes), so every case of a broken stream is tested on its own.

use convo_model::Conversation;
use convo_model::api::{StreamCursor, StreamLine};

#[derive(Default)]
pub(super) struct Lines {
    buffer: Vec<u8>,
    /// Where the next line starts in `buffer`.
    start: usize,
    /// Where the search for the next newline goes on (a long line arrives in many chunks).
    scanned: usize,
    /// The last cursor line's: where to ask again from.
    cursor: Option<String>,
    /// Conversations handed out since that cursor line (over every asking again).
    since_cursor: usize,
    /// Conversations to pass over (handed out before the stream broke off).
    skip: usize,
    done: bool,
}

/// What the next line says.
#[derive(Debug, PartialEq)]
pub(super) enum Read {
    Conversation(Box<Conversation>),
    /// A cursor line: the stream is sound up to here.
    Cursor,
    /// No whole line yet: more bytes are needed.
    More,
    /// The final cursor line came: the export is complete.
    End,
}

impl Lines {
    /// Room for `len` more bytes at the end (what was read already goes first).
    pub(super) fn room(&mut self, len: usize) -> &mut [u8] {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        let old = self.buffer.len();
        self.buffer.resize(old + len, 0);
        &mut self.buffer[old..]
    }

    /// Whether a whole line is here already.
    pub(super) fn has_line(&self) -> bool {
        self.buffer[self.scanned..].contains(&b'\n')
    }

    pub(super) fn is_done(&self) -> bool {
        self.done
    }

    pub(super) fn next(&mut self) -> Result<Read, serde_json::Error> {
        loop {
            if self.done {
                return Ok(Read::End);
            }
            let Some(at) = self.buffer[self.scanned..].iter().position(|b| *b == b'\n') else {
                self.scanned = self.buffer.len();
                return Ok(Read::More);
            };
            let end = self.scanned + at;
            let line = StreamLine::parse(&self.buffer[self.start..end])?;
            self.start = end + 1;
            self.scanned = self.start;
            match line {
                StreamLine::Conversation(_) if self.skip > 0 => self.skip -= 1,
                StreamLine::Conversation(c) => {
                    self.since_cursor += 1;
                    return Ok(Read::Conversation(Box::new(c)));
                }
                StreamLine::Cursor(StreamCursor { next_cursor: None }) => {
                    self.done = true;
                    return Ok(Read::End);
                }
                StreamLine::Cursor(StreamCursor { next_cursor }) => {
                    self.cursor = next_cursor;
                    self.since_cursor = 0;
                    return Ok(Read::Cursor);
                }
            }
        }
    }

    /// The stream broke off: the partial line goes, what was handed out since the last
    /// cursor line will be passed over, and this is the cursor to ask again from (`None`:
    /// from the start).
    pub(super) fn broke_off(&mut self) -> Option<&str> {
        self.buffer.clear();
        (self.start, self.scanned) = (0, 0);
        self.skip = self.since_cursor;
        self.cursor.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convo_model::api::{write_conversation, write_cursor};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn conversation(n: usize) -> Conversation {
        serde_json::from_value(serde_json::json!({
            "id": format!("c{n}"), "assistant_id": "a", "channel": "web", "contact": null,
            "started_at": "2026-11-01T10:00:00Z", "ended_at": "2026-11-01T10:05:00Z", "status": "completed",
            "summary": null, "messages": [{"role": "user", "content": format!("hello\n{n}"), "at": "2026-11-01T10:00:01Z"}]
        }))
        .unwrap()
    }

    /// A stream of `pages` pages of `per` conversations, numbered from `first`.
    fn stream(first: usize, pages: usize, per: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for p in 0..pages {
            for n in 0..per {
                write_conversation(&mut out, &conversation(first + p * per + n)).unwrap();
            }
            let cursor = format!("after-{}", first + (p + 1) * per);
            write_cursor(&mut out, (p + 1 < pages).then_some(cursor.as_str())).unwrap();
        }
        out
    }

    fn push(lines: &mut Lines, bytes: &[u8]) {
        lines.room(bytes.len()).copy_from_slice(bytes);
    }

    /// Every conversation's id until the bytes run out or the stream ends.
    fn drain(lines: &mut Lines) -> (Vec<String>, Read) {
        let mut ids = Vec::new();
        loop {
            match lines.next().unwrap() {
                Read::Conversation(c) => ids.push(c.id),
                Read::Cursor => {}
                other => return (ids, other),
            }
        }
    }

    #[wasm_bindgen_test]
    fn chunks_cut_anywhere_give_every_conversation_once_then_the_end() {
        let bytes = stream(0, 3, 4);
        for size in [1, 7, 64, bytes.len()] {
            let mut lines = Lines::default();
            let mut ids = Vec::new();
            for chunk in bytes.chunks(size) {
                push(&mut lines, chunk);
                let (got, read) = drain(&mut lines);
                ids.extend(got);
                if read == Read::End {
                    break;
                }
            }
            let expected: Vec<String> = (0..12).map(|n| format!("c{n}")).collect();
            assert_eq!(ids, expected, "chunks of {size}");
            assert!(lines.is_done());
        }
    }

    #[wasm_bindgen_test]
    fn a_stream_broken_mid_page_goes_on_from_its_last_cursor_without_repeating() {
        let first = stream(0, 3, 4);
        // Cut in the middle of the second page's third conversation.
        let cut = first.windows(4).position(|w| w == b"\"c6\"").unwrap() + 10;
        let mut lines = Lines::default();
        push(&mut lines, &first[..cut]);
        let (before, read) = drain(&mut lines);
        assert_eq!(read, Read::More);
        assert_eq!(before, ["c0", "c1", "c2", "c3", "c4", "c5"]);
        assert_eq!(lines.broke_off(), Some("after-4"), "asked again from the first page's cursor");
        // The server answers from that cursor: c4 onwards.
        let again = stream(4, 2, 4);
        push(&mut lines, &again);
        let (after, read) = drain(&mut lines);
        assert_eq!(read, Read::End);
        assert_eq!(after, ["c6", "c7", "c8", "c9", "c10", "c11"], "c4 and c5 are not handed out twice");
    }

    #[wasm_bindgen_test]
    fn breaking_again_while_passing_over_still_skips_what_was_handed_out() {
        let mut lines = Lines::default();
        let first = stream(0, 1, 3);
        // Three conversations, no cursor line yet (the stream broke before it).
        let cut = first.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(2).unwrap().0 + 1;
        push(&mut lines, &first[..cut]);
        assert_eq!(drain(&mut lines).0, ["c0", "c1", "c2"]);
        assert_eq!(lines.broke_off(), None, "from the start");
        // Again from the start, broken after one conversation.
        let again = stream(0, 1, 3);
        let one = again.iter().position(|b| *b == b'\n').unwrap() + 1;
        push(&mut lines, &again[..one]);
        assert_eq!(drain(&mut lines).0, Vec::<String>::new());
        assert_eq!(lines.broke_off(), None);
        push(&mut lines, &stream(0, 2, 3));
        let (ids, read) = drain(&mut lines);
        assert_eq!((ids, read), (vec!["c3".to_string(), "c4".into(), "c5".into()], Read::End));
    }

    #[wasm_bindgen_test]
    fn a_line_that_is_not_the_streams_is_an_error() {
        let mut lines = Lines::default();
        push(&mut lines, b"<html>oops</html>\n");
        assert!(lines.next().is_err());
    }
}
