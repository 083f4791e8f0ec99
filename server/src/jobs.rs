//! Background work: server-side rendering (asked for, or taken over from a browser that
//! went away) and the sweeper that enforces retention and removes orphan files.

use crate::http::AppState;
use crate::store::{AssistantRow, ExportRow};
use convo_render::{ExportHeader, ExportRenderer};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, Write};

/// Renders an export with the shared crate, streaming pages from the database into the
/// file: memory stays bounded by one page. Failures mark the export failed.
pub async fn render_on_server(state: AppState, export: ExportRow) {
    if let Err(e) = render(&state, &export).await {
        tracing::error!(export = %export.id, error = %format!("{e:#}"), "server-side export failed");
        let _ = state.store.fail_export(&export.id, "the server could not render this export", state.clock.now()).await;
    }
}

async fn render(state: &AppState, export: &ExportRow) -> anyhow::Result<()> {
    let assistant = AssistantRow { pk: export.assistant_pk, id: export.assistant_id.clone(), name: export.assistant_name.clone() };
    let mut renderer = ExportRenderer::new(ExportHeader {
        assistant_name: export.assistant_name.clone(),
        assistant_id: Some(export.assistant_id.clone()),
        // The creation time, as the browser uses: both give the same bytes.
        exported_at: export.created_at,
        range: Some(export.range),
    });
    let mut body_file = state.files.temp()?;
    let mut body = String::new();
    let mut cursor = None;
    loop {
        let page = state.store.conversation_page(&assistant, export.range, cursor, state.settings.page).await?;
        renderer.push_page(&page.conversations, &mut body);
        body_file.write_all(body.as_bytes())?;
        body.clear();
        if !state.store.report_progress(&export.id, "server", renderer.messages() as i64, state.clock.now()).await? {
            tracing::info!(export = %export.id, "export deleted while rendering; stopped");
            return Ok(());
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let parts = renderer.finish();
    let mut out = state.files.temp()?;
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
    state.files.commit(&export.id, out)?;
    let done = state
        .store
        .finish_export(
            &export.id,
            "server",
            size as i64,
            &hex::encode(hasher.finalize()),
            parts.conversations as i64,
            parts.messages as i64,
            state.clock.now(),
        )
        .await?;
    if !done && !state.store.export_exists(&export.id).await? {
        state.files.delete(&export.id);
    }
    Ok(())
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub expired: usize,
    pub orphan_files: usize,
    pub taken_over: usize,
}

/// One pass: delete expired exports and their files, files no export owns, and take
/// over exports whose renderer went quiet (rendered in the background).
pub async fn sweep_once(state: &AppState) -> anyhow::Result<Sweep> {
    let now = state.clock.now();
    let mut sweep = Sweep::default();
    for id in state.store.sweep_expired(now).await? {
        state.files.delete(&id);
        sweep.expired += 1;
    }
    for id in state.files.ids()? {
        if !state.store.export_exists(&id).await? {
            state.files.delete(&id);
            sweep.orphan_files += 1;
        }
    }
    state.files.sweep_temp(std::time::Duration::from_secs(24 * 3600))?;
    for export in state.store.claim_stale(now - state.settings.stale_after, now).await? {
        sweep.taken_over += 1;
        tokio::spawn(render_on_server(state.clone(), export));
    }
    Ok(sweep)
}

/// Runs the sweeper now and then every `every`.
pub fn spawn_sweeper(state: AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sweep_once(&state).await {
                Ok(s) if s != Sweep::default() => tracing::info!(?s, "swept"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "sweep failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
