//! The ingest API's rules: a batch of import lines from an ingest token, each an upsert
//! keyed by `(assistant, id)`, with the import's own rules for a line
//! ([`crate::import::read_line`]), so a line refused by `import` is refused here in the
//! same words.
//!
//! The body is spooled to a scratch file first ([`Spool`]: at most [`MAX_BATCH_BYTES`]
//! once decompressed, hashed as it arrives), so that no transaction waits on the
//! network and memory holds one write batch at most, whatever the body's size. Then one
//! pass: every line is read, checked against the token's assistants and written in
//! batches; a batch commits at once, or (atomic) all commit at the end only when no line
//! was rejected. An `Idempotency-Key` claims the batch first; the answer is kept for a
//! day and is what a repeat gets.

use crate::clock::Clock;
use crate::files::FileStore;
use crate::import::{BATCH_CONVERSATIONS, BATCH_MESSAGES, numbered_lines, read_line};
use crate::shares::{Busy, Permit, Shares};
use crate::store::{LiveToken, NewConversation, Store, Upsert, Writer};
use convo_model::api::{IngestAnswer, RejectedLine};
use sha2::{Digest, Sha256};
use std::io::Write;

/// A batch's JSON Lines, once decompressed, at most: 64 MiB.
pub const MAX_BATCH_BYTES: u64 = 64 << 20;
/// Batches running at once per account, and in the process: each holds one write batch
/// in memory and a scratch file of at most 64 MiB.
const PER_ACCOUNT: usize = 2;
const IN_ALL: usize = 8;
/// An `Idempotency-Key`, at most.
const MAX_KEY_CHARS: usize = 255;

/// Why a batch was not taken at all (a rejected line is an answer, not an error).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the batch is larger than {} MiB of JSON Lines: send it in smaller batches", MAX_BATCH_BYTES >> 20)]
    TooLarge,
    #[error("the batch holds no lines: send JSON Lines of the import format, one conversation a line")]
    Empty,
    #[error("Idempotency-Key: {0}")]
    BadKey(String),
    #[error("this Idempotency-Key was used for a different batch in the last 24 hours: use a new key for new content")]
    KeyReused,
    #[error("a batch with this Idempotency-Key is still running: retry once it has answered")]
    KeyRunning,
    #[error("{0}")]
    Busy(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for IngestError {
    fn from(e: crate::store::StoreError) -> Self {
        IngestError::Internal(e.into())
    }
}

/// Whether a rejected line keeps the others out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Atomicity {
    /// Every good line is stored; rejected ones are named.
    EachLine,
    /// All lines are stored, or (when any is rejected) none.
    AllOrNone,
}

/// The ingest API's service: built once, shared by every request.
#[derive(Clone)]
pub struct Ingest {
    store: Store,
    clock: Clock,
    files: FileStore,
    running: Shares,
}

/// A batch's body on its way to a scratch file.
pub struct Spool {
    file: tempfile::NamedTempFile,
    sha256: Sha256,
    bytes: u64,
    _permit: Permit,
}

impl Spool {
    /// Appends what arrived; past [`MAX_BATCH_BYTES`] the batch is refused.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), IngestError> {
        self.bytes += chunk.len() as u64;
        if self.bytes > MAX_BATCH_BYTES {
            return Err(IngestError::TooLarge);
        }
        self.sha256.update(chunk);
        self.file.write_all(chunk).map_err(|e| IngestError::Internal(e.into()))
    }
}

impl Ingest {
    pub fn new(store: Store, clock: Clock, files: FileStore) -> Ingest {
        Ingest { store, clock, files, running: Shares::new(PER_ACCOUNT, IN_ALL, "ingest batches running") }
    }

    /// A place for one batch of this token's account, and its scratch file.
    pub fn spool(&self, token: &LiveToken) -> Result<Spool, IngestError> {
        let permit = self.running.take(token.account.id).map_err(|Busy(message)| IngestError::Busy(message))?;
        let file = self.files.scratch_named("ingest-").map_err(|e| IngestError::Internal(e.into()))?;
        Ok(Spool { file, sha256: Sha256::new(), bytes: 0, _permit: permit })
    }

    /// Stores the spooled batch; with `key`, a repeat of a batch answers as the first.
    pub async fn run(&self, token: &LiveToken, spool: Spool, atomicity: Atomicity, key: Option<&str>) -> Result<IngestAnswer, IngestError> {
        let body = hex::encode(spool.sha256.clone().finalize());
        let Some(key) = key else { return self.store_batch(token, &spool, atomicity).await };
        check_key(key)?;
        let account = token.account.id;
        match self.store.claim_ingest_key(account, key, &body, self.clock.now()).await? {
            crate::store::KeyClaim::Claimed => {}
            crate::store::KeyClaim::Answered { body_sha256, answer } if body_sha256 == body => {
                return serde_json::from_str(&answer).map_err(|e| IngestError::Internal(e.into()));
            }
            crate::store::KeyClaim::Answered { .. } => return Err(IngestError::KeyReused),
            crate::store::KeyClaim::Running => return Err(IngestError::KeyRunning),
        }
        match self.store_batch(token, &spool, atomicity).await {
            Ok(answer) => {
                let json = serde_json::to_string(&answer).map_err(|e| IngestError::Internal(e.into()))?;
                self.store.answer_ingest_key(account, key, &json).await?;
                Ok(answer)
            }
            Err(e) => {
                // Nothing (or, per line, what committed) is kept: a retry runs again.
                self.store.release_ingest_key(account, key).await?;
                Err(e)
            }
        }
    }

    async fn store_batch(&self, token: &LiveToken, spool: &Spool, atomicity: Atomicity) -> Result<IngestAnswer, IngestError> {
        let mut answer = IngestAnswer::default();
        let mut lines = 0;
        let mut batch: Vec<NewConversation> = Vec::new();
        let mut batch_messages = 0;
        let mut writer: Option<Writer> = None;
        for (no, line) in numbered_lines(spool.file.path())? {
            let checked = line.and_then(|line| {
                if crate::import::carries_nothing(&line) {
                    return Ok(None);
                }
                let new = read_line(&line)?;
                let assistant = &new.conversation.assistant_id;
                if !token.assistants.iter().any(|a| a == assistant) {
                    return Err(format!("field `assistant_id`: this token may not write the assistant {assistant:?}"));
                }
                Ok(Some(new))
            });
            match checked {
                Ok(None) => continue,
                Ok(Some(new)) => {
                    lines += 1;
                    // Once a line is rejected, an atomic batch stores nothing: only the
                    // remaining lines' checks matter.
                    if atomicity == Atomicity::AllOrNone && !answer.rejected.is_empty() {
                        continue;
                    }
                    batch_messages += new.conversation.messages.len();
                    batch.push(new);
                    if batch_messages >= BATCH_MESSAGES || batch.len() >= BATCH_CONVERSATIONS {
                        self.write(&mut writer, &mut batch, &mut answer, atomicity).await?;
                        batch_messages = 0;
                    }
                }
                Err(error) => {
                    lines += 1;
                    answer.rejected.push(RejectedLine { line: no, error });
                }
            }
        }
        if lines == 0 {
            return Err(IngestError::Empty);
        }
        if atomicity == Atomicity::AllOrNone && !answer.rejected.is_empty() {
            // Dropped uncommitted: nothing was stored.
            drop(writer);
            return Ok(IngestAnswer { rejected: answer.rejected, ..IngestAnswer::default() });
        }
        self.write(&mut writer, &mut batch, &mut answer, atomicity).await?;
        if let Some(writer) = writer {
            writer.commit().await?;
        }
        Ok(answer)
    }

    /// Writes the batch: in a transaction of its own, or (atomic) in the one that spans
    /// the request.
    async fn write(
        &self,
        writer: &mut Option<Writer>,
        batch: &mut Vec<NewConversation>,
        answer: &mut IngestAnswer,
        atomicity: Atomicity,
    ) -> Result<(), IngestError> {
        if batch.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let done = match atomicity {
            Atomicity::EachLine => self.store.write_conversations(batch, now).await?.0,
            Atomicity::AllOrNone => {
                let writer = match writer {
                    Some(writer) => writer,
                    None => writer.insert(self.store.writer().await?),
                };
                writer.write(batch, now).await?
            }
        };
        for upsert in done {
            match upsert {
                Upsert::Accepted => answer.accepted += 1,
                Upsert::Updated => answer.updated += 1,
                Upsert::Unchanged => answer.unchanged += 1,
            }
        }
        batch.clear();
        Ok(())
    }
}

/// The assistants an ingest token may write, checked: at least one, each an id of 1 to
/// 200 characters without control characters, duplicates dropped.
pub fn scope(assistants: &[String]) -> Result<Vec<String>, String> {
    let mut ids: Vec<String> = Vec::with_capacity(assistants.len());
    for id in assistants {
        let id = id.trim();
        if id.is_empty() || id.chars().count() > 200 || id.chars().any(char::is_control) {
            return Err(format!("{id:?} is not an assistant id (1 to 200 characters)"));
        }
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_string());
        }
    }
    if ids.is_empty() {
        return Err("an ingest token needs at least one assistant".into());
    }
    Ok(ids)
}

/// A key is 1 to 255 visible ASCII characters, as Stripe and the IETF draft have it.
fn check_key(key: &str) -> Result<(), IngestError> {
    if key.is_empty() || key.len() > MAX_KEY_CHARS || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(IngestError::BadKey(format!("1 to {MAX_KEY_CHARS} visible ASCII characters")));
    }
    Ok(())
}
