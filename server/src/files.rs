//! Export files as immutable objects behind the `object_store` crate: the local file
//! system by default (`file://DIR`, `DATA_DIR/exports`), S3 by URL (`s3://BUCKET`, with
//! the standard `AWS_*` variables).
//!
//! Every upload or render writes a new object under a key no other write uses
//! (`{export id}/{random}.html`); the catalog records that key in the same statement
//! that makes the export ready. So a ready export's bytes never change, whoever writes
//! what later, in this process or another. An object is whole or absent: local files
//! are written aside and renamed, S3 objects appear whole (one PUT, or a multipart upload
//! once completed).

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod kept;

/// Where export files live, as `--storage` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A directory on this machine.
    Local(PathBuf),
    /// An S3 bucket (any S3-compatible server), configured by the `AWS_*` variables.
    S3 { bucket: String, prefix: String },
}

impl Storage {
    /// Parses `file://DIR` or `s3://BUCKET[/PREFIX]`.
    pub fn parse(url: &str) -> Result<Storage, String> {
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err("file:// needs a directory, such as file:///var/lib/convo/exports".into());
            }
            return Ok(Storage::Local(PathBuf::from(dir)));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err("s3:// needs a bucket, such as s3://convo-exports".into());
            }
            return Ok(Storage::S3 { bucket: bucket.into(), prefix: prefix.trim_matches('/').into() });
        }
        Err(format!("{url:?} is not a storage URL: use file://DIR or s3://BUCKET"))
    }
}

impl std::fmt::Display for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Local(dir) => write!(f, "file://{}", dir.display()),
            Storage::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Storage::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// How to reach an S3-compatible server, where the standard `AWS_*` variables are not
/// what should be used (tests run several servers in one process). Unset fields fall
/// back to the variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3 {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// Why a write did not become an object.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the upload broke off: {0}")]
    BrokeOff(String),
    #[error("more than {0} bytes")]
    TooLarge(u64),
    #[error("the bytes do not match their SHA-256")]
    DigestMismatch,
    #[error("nothing to store")]
    Empty,
    #[error("storage error: {0}")]
    Store(#[from] object_store::Error),
}

/// An object as written: its key, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub key: String,
    pub size: u64,
    pub sha256: [u8; 32],
}

/// An object as listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub key: String,
    pub modified: chrono::DateTime<chrono::Utc>,
}

/// Parts of a multipart write: S3 needs at least 5 MiB per part but the last, and 8 MiB
/// with two in flight kept uploads at disk speed here (`cargo bench -p convo-server`).
const PART_BYTES: usize = 8 << 20;
const PARTS_IN_FLIGHT: usize = 2;

#[derive(Clone, Debug)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    /// Under this prefix in the store (S3 URLs may carry one).
    prefix: String,
    /// Scratch files of server renders and ingest batches (local, whatever the storage).
    scratch: PathBuf,
    storage: Storage,
}

impl FileStore {
    /// Opens `storage`; scratch files go to `DATA_DIR/tmp`.
    pub fn open(storage: &Storage, data_dir: &Path) -> anyhow::Result<FileStore> {
        FileStore::open_with(storage, data_dir, &S3::default())
    }

    /// As [`FileStore::open`], with S3 settings that override the `AWS_*` variables.
    pub fn open_with(storage: &Storage, data_dir: &Path, s3: &S3) -> anyhow::Result<FileStore> {
        let scratch = data_dir.join("tmp");
        std::fs::create_dir_all(&scratch)?;
        let (store, prefix): (Arc<dyn ObjectStore>, String) = match storage {
            Storage::Local(dir) => {
                std::fs::create_dir_all(dir)?;
                (Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?), String::new())
            }
            Storage::S3 { bucket, prefix } => {
                let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(region) = &s3.region {
                    builder = builder.with_region(region);
                }
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    builder = builder.with_access_key_id(id).with_secret_access_key(secret);
                }
                // A plain-http endpoint (a local S3-compatible server) is allowed when named.
                let endpoint = s3.endpoint.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
                if endpoint.is_some_and(|u| u.starts_with("http://")) {
                    builder = builder.with_allow_http(true);
                }
                (Arc::new(builder.build()?), prefix.clone())
            }
        };
        Ok(FileStore { store, prefix, scratch, storage: storage.clone() })
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    fn path(&self, key: &str) -> ObjectPath {
        if self.prefix.is_empty() { ObjectPath::from(key) } else { ObjectPath::from(format!("{}/{key}", self.prefix)) }
    }

    fn key_of(&self, path: &ObjectPath) -> String {
        let full = path.as_ref();
        match self.prefix.is_empty() {
            true => full.to_string(),
            false => full.strip_prefix(&format!("{}/", self.prefix)).unwrap_or(full).to_string(),
        }
    }

    /// A key no other write uses, for a file of export `id`.
    pub fn new_key(id: &str) -> String {
        format!("{id}/{}.html", crate::auth::new_export_id())
    }

    /// Writes `chunks` as a new object of export `id`, hashing as it goes. The object
    /// appears only if the stream ends well, stays within `max` bytes, is not empty,
    /// and (when given) matches `expected`.
    pub async fn write<S, E>(&self, id: &str, chunks: S, max: u64, expected: Option<[u8; 32]>) -> Result<Written, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        self.write_to(&FileStore::new_key(id), chunks, max, expected).await
    }

    /// As [`FileStore::write`], under a key the caller chose (one never used before).
    pub async fn write_to<S, E>(&self, key: &str, chunks: S, max: u64, expected: Option<[u8; 32]>) -> Result<Written, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        self.write_copying(key, chunks, max, expected, None).await
    }

    /// The one write path: `copy`, when given, receives the same bytes as they are
    /// hashed, and is kept only if the object is stored.
    async fn write_copying<S, E>(
        &self,
        key: &str,
        mut chunks: S,
        max: u64,
        expected: Option<[u8; 32]>,
        mut copy: Option<kept::Copy>,
    ) -> Result<Written, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        use tokio::io::AsyncWriteExt;
        let key = key.to_string();
        // One PUT for what fits in one multipart part (a browser's 4 MiB part), a
        // multipart upload past that: one request to S3 instead of three (create,
        // upload, complete). The click_to_ready bench did not move with it (1.32-1.37x
        // on PostgreSQL with Garage, long shape, as before): fewer requests, not speed.
        let mut writer = BufWriter::with_capacity(self.store.clone(), self.path(&key), PART_BYTES).with_max_concurrency(PARTS_IN_FLIGHT);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let failure = loop {
            let chunk = match chunks.next().await {
                None => break None,
                Some(Err(e)) => break Some(WriteError::BrokeOff(e.to_string())),
                Some(Ok(chunk)) => chunk,
            };
            size += chunk.len() as u64;
            if size > max {
                break Some(WriteError::TooLarge(max));
            }
            hasher.update(&chunk);
            if let Some(open) = &mut copy {
                // A copy is only a speed-up: one that cannot be written is dropped.
                if open.write(&chunk).await.is_err() {
                    copy = None;
                }
            }
            if let Err(e) = writer.put(chunk).await {
                break Some(e.into());
            }
        };
        let sha256: [u8; 32] = hasher.finalize().into();
        let failure = failure.or_else(|| match () {
            _ if size == 0 => Some(WriteError::Empty),
            _ if expected.is_some_and(|e| e != sha256) => Some(WriteError::DigestMismatch),
            _ => None,
        });
        if let Some(failure) = failure {
            // Nothing was stored while the bytes fitted in the buffer; else the multipart
            // upload is abandoned, and never appears.
            let _ = writer.abort().await;
            return Err(failure);
        }
        // The last PUT, or the multipart upload's completion: the store's error, not the client's.
        writer.shutdown().await.map_err(|e| WriteError::Store(object_store::Error::Generic { store: "files", source: Box::new(e) }))?;
        if let Some(copy) = copy {
            // Stored: its copy may now be read in its stead (a failed copy just is not).
            let _ = copy.keep().await;
        }
        Ok(Written { key, size, sha256 })
    }

    /// Writes a local file as a new object of export `id` (server renders).
    pub async fn write_file(&self, id: &str, file: &Path) -> Result<Written, WriteError> {
        let file = tokio::fs::File::open(file).await.map_err(|e| WriteError::BrokeOff(e.to_string()))?;
        let chunks = tokio_util::io::ReaderStream::with_capacity(file, 1 << 20);
        self.write(id, chunks, u64::MAX, None).await
    }

    /// The object's bytes in `range` (all when `None`), as a stream, and the object's size.
    pub async fn read(&self, key: &str, range: Option<Range<u64>>) -> anyhow::Result<(u64, BoxStream<'static, std::io::Result<Bytes>>)> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        let got = self.store.get_opts(&self.path(key), options).await?;
        let size = got.meta.size;
        let stream = match got.payload {
            GetResultPayload::File(file, _) => local_stream(tokio::fs::File::from_std(file), got.range).await?,
            GetResultPayload::Stream(stream) => stream.map_err(std::io::Error::other).boxed(),
        };
        Ok((size, stream))
    }

    /// Bytes `range` of a file stored as parts (keys and sizes, in order), as one stream.
    pub fn read_parts(&self, parts: Vec<(String, u64)>, range: Range<u64>) -> BoxStream<'static, std::io::Result<Bytes>> {
        let store = self.clone();
        let mut at = 0u64;
        let mut wanted = Vec::new();
        for (key, size) in parts {
            let (start, end) = (at, at + size);
            at = end;
            if end <= range.start || start >= range.end {
                continue;
            }
            wanted.push((key, range.start.max(start) - start..range.end.min(end) - start));
        }
        futures_util::stream::iter(wanted)
            .then(move |(key, part_range)| {
                let store = store.clone();
                async move { store.read(&key, Some(part_range)).await.map(|(_, body)| body).map_err(std::io::Error::other) }
            })
            .try_flatten()
            .boxed()
    }

    /// The object's size, if it exists.
    pub async fn size(&self, key: &str) -> anyhow::Result<Option<u64>> {
        match self.store.head(&self.path(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes one object (a missing one is not an error).
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every object of export `id`.
    pub async fn delete_export(&self, id: &str) -> anyhow::Result<()> {
        if !safe_id(id) {
            return Ok(());
        }
        for listed in self.list(Some(id)).await? {
            self.delete(&listed.key).await?;
        }
        self.forget_kept_of(id).await;
        // Files written before keys were per upload.
        self.delete(&format!("{id}.html")).await
    }

    /// Every object (under `id`'s folder when given).
    pub async fn list(&self, id: Option<&str>) -> anyhow::Result<Vec<Listed>> {
        let prefix = match id {
            Some(id) => Some(self.path(id)),
            None if self.prefix.is_empty() => None,
            None => Some(ObjectPath::from(self.prefix.as_str())),
        };
        let listed: Vec<_> = self.store.list(prefix.as_ref()).try_collect().await?;
        Ok(listed.into_iter().map(|m| Listed { key: self.key_of(&m.location), modified: m.last_modified }).collect())
    }

    /// A scratch file for a server render, deleted on drop.
    pub fn scratch(&self) -> std::io::Result<tempfile::NamedTempFile> {
        self.scratch_named("render-")
    }

    /// A scratch file named `{prefix}…`, deleted on drop.
    pub fn scratch_named(&self, prefix: &str) -> std::io::Result<tempfile::NamedTempFile> {
        tempfile::Builder::new().prefix(prefix).suffix(".part").tempfile_in(&self.scratch)
    }

    /// Deletes scratch files older than `age` (left by a crash mid-render).
    pub fn sweep_scratch(&self, age: std::time::Duration) -> std::io::Result<usize> {
        let mut n = 0;
        for entry in std::fs::read_dir(&self.scratch)? {
            let entry = entry?;
            let old = entry.metadata()?.modified()?.elapsed().map(|e| e >= age).unwrap_or(false);
            if old && std::fs::remove_file(entry.path()).is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Bytes `range` of a local file, as a stream. It is read in 1 MiB steps: object_store's
/// own stream reads 8 KiB per blocking task, which made reading back a 280 MB export
/// take 2 s (the click_to_ready bench).
async fn local_stream(mut file: tokio::fs::File, range: Range<u64>) -> std::io::Result<BoxStream<'static, std::io::Result<Bytes>>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    file.seek(std::io::SeekFrom::Start(range.start)).await?;
    let limited = file.take(range.end - range.start);
    Ok(tokio_util::io::ReaderStream::with_capacity(limited, 1 << 20).boxed())
}

/// Export ids are generated by the server, but never trusted as paths.
pub fn safe_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The export id an object belongs to (`{id}/…` or the older `{id}.html`).
pub fn export_of(key: &str) -> Option<&str> {
    let id = key.split_once('/').map(|(id, _)| id).or_else(|| key.strip_suffix(".html"))?;
    safe_id(id).then_some(id)
}
