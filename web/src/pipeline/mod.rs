//! The in-browser export: read the export's conversations as they stream in, render
//! them a few at a time with the shared rendering crate, and upload the file in parts as
//! it grows: a part is sent with its own SHA-256 as soon as it is full, while the next
//! pages render. The tab holds at most a few parts at a time (WASM memory stays bounded
//! by one part and one page, whatever the export's size) and hashes each byte once. The
//! file's head, with the statistics, is only known at the end: it is part 1, sent last;
//! `complete` has the server join the parts in order. Progress is reported to the server
//! as it goes, so every tab shows it and the server can finish the export if this tab
//! goes away.
//!
//! The parsing and rendering run in the export worker, and the hashing and sending of
//! the parts in the upload worker (`worker/`), off the page's thread, which reads a
//! large export's stream for them (the export worker reads a small one's itself); all
//! of it runs on the page itself only where the browser gives no worker. `feed.rs` reads the stream (`lines.rs` cuts it into lines), `parts.rs` cuts
//! the parts, and hashes and sends them or hands them on, `cancel.rs` stops an export,
//! `timing.rs` records where the time went for the click_to_ready
//! bench, `warm.rs` warms the code up before the first export.

mod cancel;
mod feed;
mod lines;
mod parts;
mod timing;
mod warm;
mod worker;

use crate::api::{self, ApiError, with_retry};
pub use cancel::{Cancel, Cancelled, cancel_pair};
use convo_model::api::{ExportInfo, SMALL_EXPORT_MESSAGES};
use convo_render::ExportHeader;
use feed::{Feed, Source};
use parts::{Kept, Parts, Route, next_full_part, part_bytes};
use std::future::Future;
use std::pin::Pin;
use timing::{Cost, Phase, Spent};
use wasm_bindgen::JsValue;

pub enum Outcome {
    /// Ready; with the file as a Blob when it was small enough for the tab to keep (a
    /// click on Download then saves it without a round trip).
    Uploaded(Box<ExportInfo>, Option<web_sys::Blob>),
    Cancelled,
}
/// Bytes of a part. Each costs a request, and the tab holds up to
/// [`PARTS_IN_FLIGHT`] of them besides the one filling: 4 MiB keeps requests few and the
/// memory small (the click_to_ready bench).
pub const PART_BYTES: usize = 4 << 20;

/// How long the pipeline runs before it lets the browser handle input and paint. Each
/// yield costs the browser a few milliseconds of its own (the click_to_ready bench at
/// 1,000,000 messages, reading the stream: after 25 ms, 1.0 s of yields, 5.5 s to Ready
/// and a longest task of 71 ms; after 45 ms, half the yields but the stream read less
/// often, 5.8 s and 92 ms).
const YIELD_AFTER_MS: f64 = 25.0;
/// How often the progress shown moves: each move re-renders the tab's export rows, and
/// it moved after every few conversations (3,125 times at 1,000,000 messages: 6.0 s to
/// Ready, 5.8 s at most ten moves a second, the click_to_ready bench).
const SHOW_PROGRESS_MS: f64 = 100.0;
/// Conversations rendered between two chances to yield: 16 short ones take well under a
/// millisecond, and one of 5,000 messages about fifteen; so a step also ends at
/// [`RENDER_STEP_MESSAGES`] (16 conversations of 5,000 messages were one task of 259 ms,
/// the click_to_ready bench).
const RENDER_STEP: usize = 16;
const RENDER_STEP_MESSAGES: usize = 1_000;
/// Lets the browser handle what waits (on the page: input and paint; in the worker: a
/// cancel, finished uploads): a message task, which, unlike a zero timeout, is never
/// clamped to 4 ms.
async fn yield_to_browser() {
    let Ok(channel) = web_sys::MessageChannel::new() else { return };
    let woken = js_sys::Promise::new(&mut |resolve, _| channel.port1().set_onmessage(Some(&resolve)));
    if channel.port2().post_message(&JsValue::NULL).is_ok() {
        let _ = wasm_bindgen_futures::JsFuture::from(woken).await;
    }
}

pub(crate) type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Runs `work` on its own (the next page downloads, and parts hash and upload, while
/// this one renders) and hands back its result to await later. Merely polling such
/// futures once got them on the wire but left every later step (reading a page,
/// sending a part once hashed) waiting for the render loop: 4.4 s of 9 s at 1,000,000
/// messages (the click_to_ready bench).
fn spawned<T: 'static>(work: impl Future<Output = Result<T, ApiError>> + 'static) -> LocalBoxFuture<Result<T, ApiError>> {
    let (tx, rx) = futures_channel::oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = tx.send(work.await);
    });
    Box::pin(async move { rx.await.unwrap_or_else(|_| Err(ApiError::network("the request's task was dropped"))) })
}
/// Gets the export worker going (an export started later runs there), or, where the
/// browser gives none, warms this page's code up for exports run on the page.
pub fn prepare() {
    if !worker::start() {
        warm::warm_up();
    }
}

/// Renders and uploads `export` in the export worker (on the page where there is
/// none); `on_progress` gets messages rendered so far. The worker is told at once, not
/// when the future is first polled: the page's own work after create answered (the new
/// row, the dialog closing: 40-60 ms) runs before that, and the worker starts meanwhile.
pub fn run(export: ExportInfo, cancelled: Cancelled, on_progress: impl Fn(i64) + 'static) -> LocalBoxFuture<Result<Outcome, ApiError>> {
    timing::mark("convo:started");
    if worker::is_running() {
        return Box::pin(worker::run(export, cancelled, on_progress));
    }
    Box::pin(async move {
        let mut spent = Spent::default();
        let route = Route::Here(Kept::default());
        let outcome = render_and_upload(export, Source::Fetch, route, cancelled, &OnThePage(on_progress), &mut spent).await;
        Cost { spent, ..Cost::default() }.publish();
        outcome
    })
}

/// Who reads the stream of an export run in the export worker.
#[derive(Clone, Copy)]
enum StreamReader {
    /// The worker itself: a small export ([`SMALL_EXPORT_MESSAGES`]), whose stream
    /// then never waits behind the page's own work after create answered. At 1,000
    /// conversations of 20 messages (the click_to_ready bench, one machine, one hour):
    /// 256-290 ms click to Ready in six runs, against 259-381 ms in eight with the page
    /// reading it (on an earlier day's machine, 337-434 ms in eleven runs while the
    /// worker was told only once the page's work was done). Sending such a file whole,
    /// in one request once rendered, was slower, 294-441 ms: its renderer hashed the
    /// conversations itself in WASM, and its render took 112-194 ms instead of 61-86.
    Worker,
    /// The page, which posts it chunk by chunk (`worker::Posted` says why).
    Page,
}

impl StreamReader {
    fn of(export: &ExportInfo) -> StreamReader {
        if export.progress.total <= SMALL_EXPORT_MESSAGES { StreamReader::Worker } else { StreamReader::Page }
    }
}

/// Whom an export tells how it goes as it runs.
trait Watch {
    /// Messages rendered so far.
    fn progress(&self, done: i64);
    /// A named point on the page's performance timeline (the click_to_ready bench).
    fn mark(&self, name: &'static str);
    /// How long the export runs before it lets what waits run.
    fn yield_after_ms(&self) -> f64;
}

/// An export run on the page itself.
struct OnThePage<F>(F);

impl<F: Fn(i64)> Watch for OnThePage<F> {
    fn progress(&self, done: i64) {
        (self.0)(done)
    }
    fn mark(&self, name: &'static str) {
        timing::mark(name)
    }
    fn yield_after_ms(&self) -> f64 {
        YIELD_AFTER_MS
    }
}

async fn render_and_upload(
    export: ExportInfo,
    source: Source,
    route: Route,
    mut cancelled: Cancelled,
    watch: &impl Watch,
    spent: &mut Spent,
) -> Result<Outcome, ApiError> {
    let mut renderer = route.renderer(ExportHeader::for_export(&export));
    let format = export.format;
    watch.mark("convo:begun");
    let t = js_sys::Date::now();
    let mut feed = Feed::open(&export.id, source).await?;
    spent.add(Phase::Wait, t);
    let mut parts = Parts::new(&export.id, route);
    let mut body = String::new();
    // Bytes of the body moved out of `body` so far: where it begins in the file's body.
    let mut moved = 0u64;
    let mut part: Vec<u8> = Vec::with_capacity(PART_BYTES + (1 << 20));
    let (mut few, mut few_messages) = (Vec::with_capacity(RENDER_STEP), 0);
    let (mut last_report, mut last_shown) = (0.0, 0.0);
    let mut last_yield = js_sys::Date::now();
    loop {
        if cancelled.is_cancelled() {
            return Ok(Outcome::Cancelled);
        }
        let next = feed.next(spent).await?;
        let end = next.is_none();
        few_messages += next.as_ref().map_or(0, |c| c.messages.len());
        few.extend(next);
        // Rendered a few at a time, and before waiting for the network: what has come
        // is in the file while the rest arrives.
        let step_full = few.len() >= RENDER_STEP || few_messages >= RENDER_STEP_MESSAGES;
        if step_full || (!few.is_empty() && (end || !feed.has_line())) {
            let t = js_sys::Date::now();
            renderer.push_page(&few, &mut body);
            few.clear();
            few_messages = 0;
            let t = spent.add(Phase::Render, t);
            parts.note_spans(renderer.take_spans(moved));
            moved += body.len() as u64;
            part.extend_from_slice(body.as_bytes());
            body.clear();
            while let Some(full) = next_full_part(&mut part, part_bytes(parts.sent)) {
                parts.send_body(full).await?;
            }
            spent.add(Phase::Parts, t);
            let done = renderer.messages() as i64;
            let now = js_sys::Date::now();
            if now - last_shown > SHOW_PROGRESS_MS {
                last_shown = now;
                watch.progress(done);
            }
            if now - last_report > 1_000.0 {
                last_report = now;
                if let Err(e) = api::report_progress(&export.id, done).await
                    && e.status == 409
                {
                    return Err(e);
                }
            }
        }
        if end {
            break;
        }
        // Keep every task short: let the page breathe when this one has run a while.
        if js_sys::Date::now() - last_yield > watch.yield_after_ms() {
            let t = js_sys::Date::now();
            yield_to_browser().await;
            last_yield = spent.add(Phase::Yield, t);
        }
    }
    watch.progress(renderer.messages() as i64);
    watch.mark("convo:rendered");
    // The body's last bytes go before the digests are asked for: they are on their way
    // while the conversations in them are hashed. The tail, which holds the digests,
    // follows as a part of its own.
    if !part.is_empty() {
        parts.send_body(part).await?;
    }
    let finished = match parts.digests().await? {
        Some(digests) => renderer
            .finish_with_digests(&digests)
            .map_err(|e| ApiError { status: 0, message: format!("could not hash the conversations: {e}") })?,
        None => renderer.finish(),
    };
    watch.mark("convo:digested");
    if !finished.tail.is_empty() {
        parts.send_body(finished.tail.into_bytes()).await?;
    }
    parts.send_head(finished.head.into_bytes()).await?;
    let (count, kept) = parts.settle_all().await?;
    watch.mark("convo:hashed");
    if cancelled.is_cancelled() {
        return Ok(Outcome::Cancelled);
    }
    let ready = with_retry(|| api::complete(&export.id, count)).await?;
    watch.mark("convo:uploaded");
    let blob = kept.and_then(|kept| kept.blob(format.media_type()));
    Ok(Outcome::Uploaded(Box::new(ready), blob))
}
