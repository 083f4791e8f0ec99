//! Creating an export: its range is fixed now, and the account's oldest exports beyond
//! the limit go in the same transaction. The preview says what a create would do.

use super::{Catalog, CatalogError, Result};
use crate::store::{AccountRef, AssistantRow, Evicted, ExportRow, NewExport};
use convo_model::api::{ExportPreview, Renderer};
use convo_model::{Days, TimeRange, export_filename};

/// A new export and what was deleted to make room for it.
#[derive(Debug, Clone)]
pub struct Created {
    pub export: ExportRow,
    pub evicted: Vec<Evicted>,
}

impl Catalog {
    /// The assistant, if the account may see it.
    pub async fn assistant(&self, account: &AccountRef, assistant_id: &str) -> Result<AssistantRow> {
        self.store.assistant_for(account.id, assistant_id).await?.ok_or(CatalogError::NoSuchAssistant)
    }

    /// Creates a catalog entry covering `days` up to now; the caller starts the renderer
    /// (the browser that asked, or a server job).
    pub async fn create(&self, account: &AccountRef, assistant_id: &str, days: Days, renderer: Renderer) -> Result<Created> {
        let assistant = self.assistant(account, assistant_id).await?;
        let now = self.clock.now();
        let range = TimeRange { from: now - days.duration(), to: now };
        let totals = self.store.totals(assistant.pk, range).await?;
        let id = crate::auth::new_export_id();
        let filename = export_filename(&assistant.id, now);
        let (export, evicted) = self
            .store
            .create_export(NewExport {
                id: &id,
                account_id: account.id,
                assistant: &assistant,
                filename: &filename,
                days: i64::from(days.get()),
                range,
                now,
                expires_at: now + self.settings.retention,
                renderer,
                max_exports: self.settings.max_exports,
                totals,
            })
            .await?;
        for gone in &evicted {
            self.files.delete_export(&gone.id).await?;
        }
        Ok(Created { export, evicted })
    }

    /// What an export of `days` would include, and which export it would evict.
    pub async fn preview(&self, account: &AccountRef, assistant_id: &str, days: Days) -> Result<ExportPreview> {
        let assistant = self.assistant(account, assistant_id).await?;
        let now = self.clock.now();
        let range = TimeRange { from: now - days.duration(), to: now };
        let totals = self.store.totals(assistant.pk, range).await?;
        let evicts = self.store.next_eviction(account.id, now, self.settings.max_exports).await?;
        Ok(ExportPreview { range, totals, evicts })
    }
}
