//! `import`: streams a JSON Lines file into the database. The file is read twice: once to
//! check every line (a file with a bad line changes nothing), then to write it in short
//! batches, each its own transaction, so that a running server is never locked out for
//! long. Importing a conversation again replaces it, so re-running an interrupted import
//! completes it. Memory stays bounded by one batch, whatever the file's size.

use crate::jsonl::parse_line;
use crate::store::{NewConversation, NewMessage, Store};
use anyhow::{Context, anyhow};
use convo_model::Timestamp;
use indicatif::ProgressBar;
use serde_json::{Map, Value};
use std::io::BufRead;
use std::path::Path;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub conversations: u64,
    pub messages: u64,
    pub assistants_created: Vec<String>,
}

const CONVERSATION_FIELDS: [&str; 9] =
    ["id", "assistant_id", "channel", "contact", "started_at", "ended_at", "status", "summary", "messages"];
const MESSAGE_FIELDS: [&str; 3] = ["role", "content", "at"];

/// A batch is written when it holds this many messages (or conversations): each
/// transaction stays short enough for logins and creates to get through meanwhile.
const BATCH_MESSAGES: usize = 2_000;
const BATCH_CONVERSATIONS: usize = 200;

/// Lines with their numbers, and the bytes read so far (for a progress bar).
fn lines(path: &Path) -> anyhow::Result<impl Iterator<Item = (usize, std::io::Result<String>)>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(std::io::BufReader::with_capacity(1 << 20, file).lines().enumerate().map(|(i, l)| (i + 1, l)))
}

/// Checks every line; the first bad one is reported with its number and field.
pub fn check(path: &Path) -> anyhow::Result<u64> {
    let mut n = 0;
    for (no, line) in lines(path)? {
        let line = line.map_err(|e| anyhow!("{}: line {no}: cannot read ({e})", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        parse_line(&line).map_err(|e| anyhow!("{}: line {no}: {e}", path.display()))?;
        n += 1;
    }
    Ok(n)
}

/// Checks, then imports `path`; `progress` counts conversations written (its length is
/// set once the check knows how many there are).
pub async fn import_file(store: &Store, path: &Path, now: Timestamp, progress: &ProgressBar) -> anyhow::Result<ImportReport> {
    let total = check(path)?;
    progress.set_length(total);
    let mut report = ImportReport::default();
    let mut batch = Vec::new();
    let mut batch_messages = 0;
    for (no, line) in lines(path)? {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let new = new_conversation(&line).map_err(|e| anyhow!("{}: line {no}: {e}", path.display()))?;
        batch_messages += new.conversation.messages.len();
        batch.push(new);
        if batch_messages >= BATCH_MESSAGES || batch.len() >= BATCH_CONVERSATIONS {
            write(store, &mut batch, now, &mut report, progress).await?;
            batch_messages = 0;
        }
    }
    write(store, &mut batch, now, &mut report, progress).await?;
    Ok(report)
}

async fn write(
    store: &Store,
    batch: &mut Vec<NewConversation>,
    now: Timestamp,
    report: &mut ImportReport,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    report.assistants_created.extend(store.write_conversations(batch, now).await?);
    report.conversations += batch.len() as u64;
    report.messages += batch.iter().map(|c| c.conversation.messages.len() as u64).sum::<u64>();
    progress.inc(batch.len() as u64);
    batch.clear();
    Ok(())
}

/// One line as the store writes it: the conversation, and what it carried beyond the
/// import format (kept, internal, never served).
fn new_conversation(line: &str) -> Result<NewConversation, String> {
    let conversation = parse_line(line)?;
    let mut raw: Map<String, Value> = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let raw_messages = match raw.remove("messages") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let messages = raw_messages
        .into_iter()
        .map(|m| {
            let raw = match m {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            let (model, tokens, cost) = usage_of(&raw);
            NewMessage { model, tokens, cost, internal_json: internal(raw, &MESSAGE_FIELDS) }
        })
        .collect();
    Ok(NewConversation { conversation, internal_json: internal(raw, &CONVERSATION_FIELDS), messages })
}

/// The fields a line carries beyond the import format: kept, internal, never served.
fn internal(mut raw: Map<String, Value>, known: &[&str]) -> Option<String> {
    for k in known {
        raw.remove(*k);
    }
    (!raw.is_empty()).then(|| Value::Object(raw).to_string())
}

/// The usage fields imports commonly carry: model, tokens and cost.
fn usage_of(raw: &Map<String, Value>) -> (Option<String>, Option<i64>, Option<f64>) {
    let usage = raw.get("usage").and_then(Value::as_object);
    let model = raw.get("model").and_then(Value::as_str).map(str::to_string);
    let tokens = raw.get("tokens").and_then(Value::as_i64).or_else(|| {
        let u = usage?;
        let field = |k: &str| u.get(k).and_then(Value::as_i64);
        field("total_tokens").or_else(|| Some(field("prompt_tokens")? + field("completion_tokens").unwrap_or(0)))
    });
    let cost = raw
        .get("cost")
        .and_then(Value::as_f64)
        .or_else(|| usage.and_then(|u| u.get("cost_usd").or_else(|| u.get("cost"))).and_then(Value::as_f64));
    (model, tokens, cost)
}
