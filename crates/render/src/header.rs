//! What a file says about its export: the header's facts (assistant, time, range,
//! filters, redaction, the export it continues) and the filters as the file states them.

use crate::redact::Redactor;
use convo_model::{ExportFilters, Format, PreviousExport, Redaction, TimeRange, TimeZone, Timestamp};

/// What the export's header says about the export itself.
#[derive(Debug, Clone)]
pub struct ExportHeader {
    pub assistant_name: String,
    pub assistant_id: Option<String>,
    /// Fixes the export time, and with it the bytes of the file.
    pub exported_at: Timestamp,
    /// The range the export covers; `None` derives it from the conversations.
    pub range: Option<TimeRange>,
    /// The catalog's id of the export, when it has one.
    pub export_id: Option<String>,
    /// What the export was narrowed to (stated in the header and the manifest).
    pub filters: ExportFilters,
    /// The export this one continues, in a since-last chain.
    pub previous: Option<PreviousExport>,
    /// What is masked in every string the file shows (stated in the header and the
    /// manifest).
    pub redaction: Redaction,
    /// The file's format: the page, or JSON Lines, CSV or Markdown.
    pub format: Format,
    /// The zone every time the file shows is in (`datetime` attributes stay UTC).
    pub time_zone: TimeZone,
}

impl ExportHeader {
    /// The header of a catalog export, from its catalog entry: the browser and the
    /// server both render from this, so their files are the same bytes.
    pub fn for_export(export: &convo_model::api::ExportInfo) -> Self {
        ExportHeader {
            assistant_name: export.assistant.name.clone(),
            assistant_id: Some(export.assistant.id.clone()),
            // The creation time, fixed in the catalog.
            exported_at: export.created_at,
            range: Some(export.range),
            export_id: Some(export.id.clone()),
            filters: export.filters.clone(),
            previous: export.previous.clone(),
            redaction: export.redaction.as_ref().map(convo_model::StatedRedaction::without_names).unwrap_or_default(),
            format: export.format,
            time_zone: export.time_zone.unwrap_or_default(),
        }
    }

    /// A header with no catalog id, filters or previous export (offline renders).
    pub fn new(assistant_name: impl Into<String>, assistant_id: Option<String>, exported_at: Timestamp, range: Option<TimeRange>) -> Self {
        ExportHeader {
            assistant_name: assistant_name.into(),
            assistant_id,
            exported_at,
            range,
            export_id: None,
            filters: ExportFilters::default(),
            previous: None,
            redaction: Redaction::default(),
            format: Format::Html,
            time_zone: TimeZone::UTC,
        }
    }

    /// `last 30 days`, when the range is a whole number of days back from the export.
    pub(crate) fn range_note(&self, range: TimeRange) -> Option<String> {
        let span = range.to - range.from;
        let days = span.num_days();
        (self.range.is_some() && span.num_seconds() % 86_400 == 0 && days > 0)
            .then(|| format!("last {days} day{}", if days == 1 { "" } else { "s" }))
    }

    /// What the export holds, in one sentence (without its full stop).
    pub(crate) fn scope(&self) -> String {
        let filters = &self.filters;
        let what = match filters.conversations.len() {
            0 if filters.is_empty() => "Completed conversations that started in the time range".to_string(),
            0 => "Completed conversations that started in the time range, narrowed by the filters above".to_string(),
            n => format!("A selection: the {n} conversation{} chosen one by one", if n == 1 { "" } else { "s" }),
        };
        format!("{what}, with their contact and assistant messages")
    }
}

/// The filters as a file states them (header and manifest): masked like the
/// conversations, since a contact filter is often the very email that is redacted.
pub fn stated_filters(filters: &ExportFilters, redaction: &Redaction) -> ExportFilters {
    let mut filters = filters.clone();
    if redaction.is_empty() {
        return filters;
    }
    let mut redactor = Redactor::new(redaction);
    filters.contact = filters.contact.map(|f| match redaction.contacts {
        // Whatever named the contact names a pseudonymised one.
        convo_model::Contacts::Pseudonyms => "[contact]".to_string(),
        convo_model::Contacts::Keep => redactor.text(&f).into_owned(),
    });
    filters.text = filters.text.map(|f| redactor.text(&f).into_owned());
    filters
}
