//! `import`: streams a JSON Lines file into the database. The file is read twice: once to
//! check every line (a file with a bad line changes nothing), then to write it in short
//! batches, each its own transaction, so that a running server is never locked out for
//! long. Importing a conversation again replaces it, so re-running an interrupted import
//! completes it. Memory stays bounded by one batch, whatever the file's size.
//!
//! The rules of one line ([`read_line`]) and the reading of lines ([`numbered_lines`])
//! are the ingest API's too (`ingest.rs`): a line refused here is refused there in the
//! same words.

use crate::jsonl::parse_line;
use crate::store::{NewConversation, NewMessage, Store};
use anyhow::{Context, anyhow};
use convo_model::Timestamp;
use indicatif::ProgressBar;
use serde_json::{Map, Value};
use sha2::Digest;
use std::io::BufRead;
use std::path::Path;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub conversations: u64,
    pub messages: u64,
    pub assistants_created: Vec<String>,
}

/// The import format's fields; `assistant_name` names an assistant the line creates.
const CONVERSATION_FIELDS: [&str; 10] =
    ["id", "assistant_id", "channel", "contact", "started_at", "ended_at", "status", "summary", "messages", "assistant_name"];
const MESSAGE_FIELDS: [&str; 3] = ["role", "content", "at"];
/// An assistant's name, at most.
const MAX_ASSISTANT_NAME: usize = 200;

/// A batch is written when it holds this many messages (or conversations): each
/// transaction stays short enough for logins and creates to get through meanwhile.
pub(crate) const BATCH_MESSAGES: usize = 2_000;
pub(crate) const BATCH_CONVERSATIONS: usize = 200;

/// A file's lines with their numbers (1-based); a line that is not UTF-8 is an error of
/// that line, and reading stops at an I/O error.
pub(crate) fn numbered_lines(path: &Path) -> anyhow::Result<impl Iterator<Item = (u64, Result<String, String>)>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut no = 0;
    let mut failed = false;
    Ok(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let mut bytes = Vec::new();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) => None,
            Ok(_) => {
                no += 1;
                let text = String::from_utf8(bytes).map_err(|_| "the line is not valid UTF-8".to_string());
                Some((no, text))
            }
            Err(e) => {
                failed = true;
                Some((no + 1, Err(format!("cannot read ({e})"))))
            }
        }
    }))
}

/// Whether a line carries no conversation: blank, or the manifest line that starts a
/// JSON Lines export (such a file imports back as it is).
pub(crate) fn carries_nothing(line: &str) -> bool {
    line.trim().is_empty() || convo_render::is_manifest_line(line)
}

/// Checks every line; the first bad one is reported with its number and field.
pub fn check(path: &Path) -> anyhow::Result<u64> {
    let mut n = 0;
    for (no, line) in numbered_lines(path)? {
        let line = line.map_err(|e| anyhow!("{}: line {no}: {e}", path.display()))?;
        if carries_nothing(&line) {
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
    for (no, line) in numbered_lines(path)? {
        let line = line.map_err(|e| anyhow!("{}: line {no}: {e}", path.display()))?;
        if carries_nothing(&line) {
            continue;
        }
        let new = read_line(&line).map_err(|e| anyhow!("{}: line {no}: {e}", path.display()))?;
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
    let (_, created) = store.write_conversations(batch, now).await?;
    report.assistants_created.extend(created);
    report.conversations += batch.len() as u64;
    report.messages += batch.iter().map(|c| c.conversation.messages.len() as u64).sum::<u64>();
    progress.inc(batch.len() as u64);
    batch.clear();
    Ok(())
}

/// One line as the store writes it: the conversation, what it carried beyond the import
/// format (kept, internal, never served), the name of an assistant it would create, and
/// its content hash.
pub(crate) fn read_line(line: &str) -> Result<NewConversation, String> {
    let conversation = parse_line(line)?;
    let mut raw: Map<String, Value> = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let assistant_name = match raw.remove("assistant_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= MAX_ASSISTANT_NAME => Some(name.trim().to_string()),
        Some(_) => return Err(format!("field `assistant_name`: a name of 1 to {MAX_ASSISTANT_NAME} characters")),
    };
    // serde_json's maps keep their keys sorted: the same content hashes the same,
    // whatever the order or spacing of the line.
    let content_hash = hex::encode(sha2::Sha256::digest(serde_json::to_vec(&raw).map_err(|e| e.to_string())?));
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
    Ok(NewConversation { conversation, internal_json: internal(raw, &CONVERSATION_FIELDS), messages, assistant_name, content_hash })
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
