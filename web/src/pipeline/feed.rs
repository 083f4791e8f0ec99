//! The export's conversations as they arrive on its stream (`GET /api/exports/{id}/
//! stream`, JSON Lines): the byte stream's chunks (read by the page and posted to the
//! export worker, or fetched here: on the page, or a small export in the worker) go
//! into one buffer (`lines.rs`), and each whole line is parsed when the renderer asks
//! for the next conversation. Nothing waits for a page: the server reads its next page while
//! this one is parsed and rendered, and the stream's own flow control holds it back
//! when the tab is slower (the tab keeps a chunk and a line, not pages).
//!
//! A stream that breaks off (an error, or an end without the final `null` cursor line)
//! is asked for again from its last cursor line, passing over the conversations already
//! handed out since that line.

use super::lines::{Lines, Read};
use super::timing::{Phase, Spent};
use super::worker::Posted;
use crate::api::{self, ApiError, with_retry};
use convo_model::Conversation;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Times a broken stream is asked for again with no cursor line between (each with
/// `with_retry`'s backoff).
const REOPENS: u32 = 3;

/// Where the stream's bytes come from.
pub(super) enum Source {
    /// Fetched here (an export run on the page, or a small one in the export worker).
    Fetch,
    /// Fetched by the page and posted to the export worker chunk by chunk.
    Posted(Posted),
}

enum Reading {
    Fetch(web_sys::ReadableStreamDefaultReader),
    Posted(Posted),
}

pub(super) struct Feed {
    id: String,
    reading: Reading,
    lines: Lines,
    reopened: u32,
}

impl Feed {
    pub(super) async fn open(id: &str, source: Source) -> Result<Feed, ApiError> {
        let reading = match source {
            Source::Fetch => Reading::Fetch(open_reader(id, None).await?),
            Source::Posted(posted) => Reading::Posted(posted),
        };
        Ok(Feed { id: id.to_string(), reading, lines: Lines::default(), reopened: 0 })
    }

    /// Whether the next conversation is here already (else `next` waits for the network).
    pub(super) fn has_line(&self) -> bool {
        self.lines.has_line()
    }

    /// The next conversation, or `None` after the last; time spent waiting and parsing
    /// goes to `spent`.
    pub(super) async fn next(&mut self, spent: &mut Spent) -> Result<Option<Conversation>, ApiError> {
        loop {
            let t = js_sys::Date::now();
            let read = self.lines.next().map_err(ApiError::unexpected)?;
            spent.add(Phase::Parse, t);
            match read {
                Read::Conversation(c) => return Ok(Some(*c)),
                Read::End => return Ok(None),
                Read::Cursor => self.reopened = 0,
                Read::More => {
                    let t = js_sys::Date::now();
                    match self.read_chunk(spent).await {
                        Ok(true) => {}
                        broken => self.reopen(broken.err()).await?,
                    }
                    spent.add(Phase::Wait, t);
                }
            }
        }
    }

    /// Appends the stream's next chunk to the lines; `false` when the stream ended.
    async fn read_chunk(&mut self, spent: &mut Spent) -> Result<bool, ApiError> {
        let chunk = match &mut self.reading {
            Reading::Fetch(reader) => read_one(reader).await?,
            Reading::Posted(posted) => posted.next().await?,
        };
        let Some(chunk) = chunk else { return Ok(false) };
        spent.chunk(chunk.length() as usize);
        chunk.copy_to(self.lines.room(chunk.length() as usize));
        Ok(true)
    }

    /// Asks for the stream again from the last cursor line, after it broke off (`why`,
    /// or an end without the final cursor line).
    async fn reopen(&mut self, why: Option<ApiError>) -> Result<(), ApiError> {
        self.reopened += 1;
        if self.reopened > REOPENS {
            return Err(why.unwrap_or_else(|| ApiError::network("the export's stream kept breaking off")));
        }
        let cursor = self.lines.broke_off().map(str::to_string);
        match &mut self.reading {
            Reading::Fetch(reader) => {
                let _ = reader.cancel();
                *reader = open_reader(&self.id, cursor.as_deref()).await?;
            }
            Reading::Posted(posted) => posted.ask_again(cursor),
        }
        Ok(())
    }
}

impl Drop for Feed {
    /// A feed given up on (cancelled, failed) stops its download.
    fn drop(&mut self) {
        if let Reading::Fetch(reader) = &self.reading
            && !self.lines.is_done()
        {
            let _ = reader.cancel();
        }
    }
}

pub(super) async fn open_reader(id: &str, cursor: Option<&str>) -> Result<web_sys::ReadableStreamDefaultReader, ApiError> {
    let stream = with_retry(|| api::export_stream(id, cursor)).await?;
    Ok(stream.get_reader().unchecked_into())
}

/// The next chunk `reader` gives, or `None` at the stream's end.
pub(super) async fn read_one(reader: &web_sys::ReadableStreamDefaultReader) -> Result<Option<js_sys::Uint8Array>, ApiError> {
    let result = JsFuture::from(reader.read()).await.map_err(|e| ApiError::network(describe(&e)))?;
    let done = js_sys::Reflect::get(&result, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
    if done {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(&result, &JsValue::from_str("value")).map_err(|e| ApiError::network(describe(&e)))?;
    value.dyn_into().map(Some).map_err(|_| ApiError::network("the stream sent no bytes"))
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| "the stream broke off".into())
}
