//! Local copies of the parts a browser uploads, kept by the process that received them
//! until the file is joined: `complete` must hash the whole file in order, and part 1
//! (the file's beginning) arrives last, so the hash can only start then. Read back from
//! S3 that took 1.13–1.15 s for a 742 MB file after its last part (PostgreSQL with
//! Garage, long shape, the click_to_ready bench), Garage's reading being the bound; read
//! from this machine's page cache it is the hashing alone.
//!
//! A copy holds the very bytes that were hashed and checked against the part's digest as
//! they were stored, and S3 checked the stored body against the SHA-256 each request is
//! signed with: hashing the copy is hashing what is stored. A copy appears whole or not
//! at all (written aside, renamed once the object is stored), is read only when its size
//! is the part's, and is only ever a speed-up: a part without one (received by another
//! process, or its copy failed or swept) is read from the store. Copies go when the file
//! is joined or refused, when the export is deleted, and with the scratch sweep.

use super::{FileStore, Storage, WriteError, Written, local_stream};
use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::BoxStream;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// A copy being written: the bytes go to a scratch file, renamed to the part's copy once
/// the object is stored.
pub(super) struct Copy {
    file: tokio::io::BufWriter<tokio::fs::File>,
    temp: tempfile::TempPath,
    to: PathBuf,
}

impl Copy {
    pub(super) async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.write_all(chunk).await
    }

    pub(super) async fn keep(mut self) -> std::io::Result<()> {
        self.file.flush().await?;
        self.temp.persist(&self.to).map_err(|e| e.error)
    }
}

/// Copies are prefixed by this, then the key with `/` as `+` (keys are the server's own,
/// of ASCII letters, digits, `-`, `.` and `/`).
const PREFIX: &str = "kept-";

impl FileStore {
    fn kept_path(&self, key: &str) -> PathBuf {
        self.scratch.join(format!("{PREFIX}{}", key.replace('/', "+")))
    }

    /// As [`FileStore::write_to`], keeping a local copy of the bytes when the store is
    /// remote (a local store is its own copy), for [`FileStore::read_kept`].
    pub async fn write_kept<S, E>(&self, key: &str, chunks: S, max: u64, expected: Option<[u8; 32]>) -> Result<Written, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let copy = match self.storage {
            Storage::Local(_) => None,
            Storage::S3 { .. } => self.open_copy(key).ok(),
        };
        self.write_copying(key, chunks, max, expected, copy).await
    }

    fn open_copy(&self, key: &str) -> std::io::Result<Copy> {
        let (file, temp) = self.scratch_named("keeping-")?.into_parts();
        let file = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
        Ok(Copy { file, temp, to: self.kept_path(key) })
    }

    /// The whole object `key` of `size` bytes: from its local copy when this process
    /// kept one of that size, else from the store.
    pub async fn read_kept(&self, key: &str, size: u64) -> anyhow::Result<BoxStream<'static, std::io::Result<Bytes>>> {
        if let Ok(file) = tokio::fs::File::open(self.kept_path(key)).await
            && file.metadata().await.is_ok_and(|meta| meta.len() == size)
        {
            return Ok(local_stream(file, 0..size).await?);
        }
        Ok(self.read(key, None).await?.1)
    }

    /// Deletes the local copy of `key`, if there is one.
    pub async fn forget_kept(&self, key: &str) {
        // A copy already gone is what is wanted; one that cannot be deleted goes with the sweep.
        let _ = tokio::fs::remove_file(self.kept_path(key)).await;
    }

    /// Deletes the local copies of export `id`'s parts.
    pub(super) async fn forget_kept_of(&self, id: &str) {
        let prefix = format!("{PREFIX}{id}+");
        let Ok(mut entries) = tokio::fs::read_dir(&self.scratch).await else { return };
        while let Ok(Some(entry)) = entries.next_entry().await {
            if entry.file_name().to_str().is_some_and(|name| name.starts_with(&prefix)) {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }
}
