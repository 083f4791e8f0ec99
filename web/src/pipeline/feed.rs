//! The export's conversations as they arrive on its stream (`GET /api/exports/{id}/
//! stream`, JSON Lines): the browser's byte stream is read chunk by chunk into one
//! buffer, and each whole line is parsed when the renderer asks for the next
//! conversation. Nothing waits for a page: the server reads its next page while this
//! one is parsed and rendered, and the stream's own flow control holds it back when the
//! tab is slower (the tab keeps one chunk and one line, not pages).
//!
//! A stream that breaks off (an error, or an end without the final `null` cursor line)
//! is asked for again from its last cursor line, skipping the conversations already
//! handed out since that line.

use super::timing::{Phase, Spent};
use crate::api::{self, ApiError, with_retry};
use convo_model::Conversation;
use convo_model::api::{StreamCursor, StreamLine};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Times a broken stream is asked for again in a row (each with `with_retry`'s backoff).
const REOPENS: u32 = 3;

pub(super) struct Feed {
    id: String,
    reader: web_sys::ReadableStreamDefaultReader,
    buffer: Vec<u8>,
    /// Where the next line starts in `buffer`.
    start: usize,
    /// Where the search for the next newline goes on (a long line arrives in many chunks).
    scanned: usize,
    /// The last cursor line's: where to ask again from.
    cursor: Option<String>,
    /// Conversations handed out since that cursor line (over every reopening).
    since_cursor: usize,
    /// Conversations to pass over after asking again (already handed out).
    skip: usize,
    reopened: u32,
    done: bool,
}

impl Feed {
    pub(super) async fn open(id: &str) -> Result<Feed, ApiError> {
        let reader = open_reader(id, None).await?;
        Ok(Feed {
            id: id.to_string(),
            reader,
            buffer: Vec::with_capacity(1 << 20),
            start: 0,
            scanned: 0,
            cursor: None,
            since_cursor: 0,
            skip: 0,
            reopened: 0,
            done: false,
        })
    }

    /// Whether the next conversation is here already (else `next` waits for the network).
    pub(super) fn has_line(&self) -> bool {
        self.buffer[self.scanned..].contains(&b'\n')
    }

    /// The next conversation, or `None` after the last; time spent waiting and parsing
    /// goes to `spent`.
    pub(super) async fn next(&mut self, spent: &mut Spent) -> Result<Option<Conversation>, ApiError> {
        loop {
            if self.done {
                return Ok(None);
            }
            if let Some(end) = self.line_end() {
                let t = js_sys::Date::now();
                let line = StreamLine::parse(&self.buffer[self.start..end]);
                self.start = end + 1;
                self.scanned = self.start;
                spent.add(Phase::Parse, t);
                match line.map_err(|e| ApiError { status: 0, message: format!("unexpected answer: {e}") })? {
                    StreamLine::Conversation(_) if self.skip > 0 => self.skip -= 1,
                    StreamLine::Conversation(c) => {
                        self.since_cursor += 1;
                        return Ok(Some(c));
                    }
                    StreamLine::Cursor(StreamCursor { next_cursor: None }) => self.done = true,
                    StreamLine::Cursor(StreamCursor { next_cursor }) => {
                        self.cursor = next_cursor;
                        self.since_cursor = 0;
                        self.reopened = 0;
                    }
                }
                continue;
            }
            let t = js_sys::Date::now();
            match self.read_chunk().await {
                Ok(true) => {}
                broken => self.reopen(broken.err()).await?,
            }
            spent.add(Phase::Wait, t);
        }
    }

    fn line_end(&mut self) -> Option<usize> {
        match self.buffer[self.scanned..].iter().position(|b| *b == b'\n') {
            Some(at) => Some(self.scanned + at),
            None => {
                self.scanned = self.buffer.len();
                None
            }
        }
    }

    /// Appends the stream's next chunk to the buffer; `false` when the stream ended.
    async fn read_chunk(&mut self) -> Result<bool, ApiError> {
        let result = JsFuture::from(self.reader.read()).await.map_err(|e| ApiError::network(describe(&e)))?;
        let done = js_sys::Reflect::get(&result, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            return Ok(false);
        }
        let value = js_sys::Reflect::get(&result, &JsValue::from_str("value")).map_err(|e| ApiError::network(describe(&e)))?;
        let chunk: js_sys::Uint8Array = value.dyn_into().map_err(|_| ApiError::network("the stream sent no bytes"))?;
        // What was read goes; the partial line left moves to the front.
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        let old = self.buffer.len();
        self.buffer.resize(old + chunk.length() as usize, 0);
        chunk.copy_to(&mut self.buffer[old..]);
        Ok(true)
    }

    /// Asks for the stream again from the last cursor line, after it broke off (`why`,
    /// or an end without the final cursor line).
    async fn reopen(&mut self, why: Option<ApiError>) -> Result<(), ApiError> {
        self.reopened += 1;
        if self.reopened > REOPENS {
            return Err(why.unwrap_or_else(|| ApiError::network("the export's stream kept breaking off")));
        }
        let _ = self.reader.cancel();
        self.reader = open_reader(&self.id, self.cursor.as_deref()).await?;
        self.buffer.clear();
        (self.start, self.scanned) = (0, 0);
        // Everything handed out since the cursor line comes again: pass over it.
        self.skip = self.since_cursor;
        Ok(())
    }
}

impl Drop for Feed {
    /// A feed given up on (cancelled, failed) stops its download.
    fn drop(&mut self) {
        if !self.done {
            let _ = self.reader.cancel();
        }
    }
}

async fn open_reader(id: &str, cursor: Option<&str>) -> Result<web_sys::ReadableStreamDefaultReader, ApiError> {
    let stream = with_retry(|| api::export_stream(id, cursor)).await?;
    Ok(stream.get_reader().unchecked_into())
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| "the stream broke off".into())
}
