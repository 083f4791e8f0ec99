//! Rendering an export with the shared crate from the database's pages: the body into a
//! scratch file as pages arrive (memory bounded by one page), then head + body + tail as
//! one stream. A server export writes that stream to storage; the check of a browser's
//! upload only hashes it, to compare with the upload's SHA-256.

use super::Lease;
use crate::catalog::Catalog;
use crate::store::{ExportRow, parse_stored};
use bytes::Bytes;
use convo_render::{ExportHeader, ExportRenderer};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use sha2::Digest;
use std::io::{Seek, Write};

/// A render between pages: the renderer, its scratch body file, and a reused buffer.
struct Work {
    renderer: ExportRenderer,
    body: tempfile::NamedTempFile,
    html: String,
}

/// A finished render: the file as a stream, and what it holds.
pub struct Rendered {
    pub file: BoxStream<'static, std::io::Result<Bytes>>,
    pub conversations: i64,
    pub messages: i64,
    pub figures: convo_model::Figures,
}

/// Renders `export` from its pages; `None` when its lease was lost on the way (the
/// export deleted, or no longer this process's).
pub async fn render(catalog: &Catalog, export: &ExportRow, lease: Lease) -> anyhow::Result<Option<Rendered>> {
    let mut work = Some(Work {
        // The header the browser renders from the same catalog entry: the same bytes.
        renderer: ExportRenderer::new(ExportHeader { redaction: export.redaction.clone(), ..ExportHeader::for_export(&export.info()) }),
        body: catalog.files().scratch()?,
        html: String::new(),
    });
    let mut cursor = None;
    loop {
        // The pages the browser reads, through the same function.
        let page = catalog.pages_of(export, cursor).await?;
        let mut w = work.take().ok_or_else(|| anyhow::anyhow!("render state lost"))?;
        let stored = page.conversations;
        let w = tokio::task::spawn_blocking(move || -> anyhow::Result<Work> {
            let conversations = stored.into_iter().map(parse_stored).collect::<Result<Vec<_>, _>>()?;
            w.renderer.push_page(&conversations, &mut w.html);
            w.body.write_all(w.html.as_bytes())?;
            w.html.clear();
            Ok(w)
        })
        .await??;
        let done = w.renderer.messages() as i64;
        work = Some(w);
        if !lease.renew(catalog, export, Some(done)).await? {
            tracing::info!(export = %export.id, "export deleted or taken while rendering; stopped");
            return Ok(None);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let Work { renderer, body, .. } = work.ok_or_else(|| anyhow::anyhow!("render state lost"))?;
    let parts = renderer.finish();
    let body = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let mut file = body.reopen()?;
        body.as_file().sync_data()?;
        file.rewind()?;
        Ok(file)
    })
    .await??;
    let file = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(parts.head))])
        .chain(tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(body), 1 << 20))
        .chain(futures_util::stream::iter([Ok(Bytes::from(parts.tail))]))
        .boxed();
    Ok(Some(Rendered { file, conversations: parts.conversations as i64, messages: parts.messages as i64, figures: parts.figures }))
}

/// The SHA-256 and size of a rendered file, read once.
pub async fn digest(mut file: BoxStream<'static, std::io::Result<Bytes>>) -> std::io::Result<([u8; 32], u64)> {
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = file.try_next().await? {
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok((hasher.finalize().into(), size))
}
