//! Background work: server-side rendering (asked for, handed over, or taken over when a
//! renderer went quiet) and the sweeper. Jobs call the catalog for every state change.

use crate::catalog::{Catalog, Sweep};
use crate::store::{AssistantRow, ExportRow};
use convo_model::api::Renderer;
use convo_render::{ExportHeader, ExportRenderer};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, Write};

/// Runs server-side work; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    catalog: Catalog,
}

impl Jobs {
    pub fn new(catalog: Catalog) -> Jobs {
        Jobs { catalog }
    }

    /// Renders `export` in the background.
    pub fn spawn_render(&self, export: ExportRow) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move { jobs.render(export).await })
    }

    /// Renders an export with the shared crate, streaming pages from the database into
    /// the file: memory stays bounded by one page. Failures mark the export failed.
    pub async fn render(&self, export: ExportRow) {
        if let Err(e) = self.try_render(&export).await {
            tracing::error!(export = %export.id, error = %format!("{e:#}"), "server-side export failed");
            if let Err(e) = self.catalog.server_failed(&export).await {
                tracing::error!(export = %export.id, error = %e, "could not record the failure");
            }
        }
    }

    async fn try_render(&self, export: &ExportRow) -> anyhow::Result<()> {
        let catalog = &self.catalog;
        let assistant = AssistantRow { pk: export.assistant_pk, id: export.assistant_id.clone(), name: export.assistant_name.clone() };
        let mut renderer = ExportRenderer::new(ExportHeader {
            assistant_name: export.assistant_name.clone(),
            assistant_id: Some(export.assistant_id.clone()),
            // The creation time, as the browser uses: both give the same bytes.
            exported_at: export.created_at,
            range: Some(export.range),
        });
        let mut body_file = catalog.files().temp()?;
        let mut body = String::new();
        let mut cursor = None;
        loop {
            let page = catalog.store().conversation_page(&assistant, export.range, cursor, catalog.settings().page).await?;
            renderer.push_page(&page.conversations, &mut body);
            body_file.write_all(body.as_bytes())?;
            body.clear();
            if !catalog.server_progress(export, renderer.messages() as i64).await? {
                tracing::info!(export = %export.id, "export deleted while rendering; stopped");
                return Ok(());
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let parts = renderer.finish();
        let mut out = catalog.files().temp()?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, out.as_file_mut());
            let mut put = |bytes: &[u8]| -> std::io::Result<()> {
                hasher.update(bytes);
                size += bytes.len() as u64;
                w.write_all(bytes)
            };
            put(parts.head.as_bytes())?;
            let file = body_file.as_file_mut();
            file.rewind()?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                put(&buf[..n])?;
            }
            put(parts.tail.as_bytes())?;
            w.flush()?;
        }
        drop(body_file);
        let counts = Some((parts.conversations as i64, parts.messages as i64));
        catalog.finish(export, Renderer::Server, out, size, &hex::encode(hasher.finalize()), counts).await?;
        Ok(())
    }

    /// One sweep: retention, orphan files, and exports whose renderer went quiet, which
    /// are rendered in the background.
    pub async fn sweep_once(&self) -> anyhow::Result<Sweep> {
        let mut sweep = self.catalog.sweep().await?;
        for export in self.catalog.take_over_stale().await? {
            sweep.taken_over += 1;
            self.spawn_render(export);
        }
        Ok(sweep)
    }

    /// Runs the sweeper now and then every `every`.
    pub fn spawn_sweeper(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move {
            loop {
                match jobs.sweep_once().await {
                    Ok(s) if s != Sweep::default() => tracing::info!(?s, "swept"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "sweep failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}
