//! The formats beside the HTML page: JSON Lines, CSV and Markdown. Each writes a
//! conversation at a time into the body (the renderer hashes what it wrote, for the
//! manifest) and, at the end, lays out the file around it as [`Piece`]s with the
//! manifest in its own place: the first line of JSON Lines, the last row of CSV,
//! Markdown's front matter. Each also cuts its files back into those parts for
//! [`crate::manifest::verify`].

pub(crate) mod csv;
pub(crate) mod jsonl;
pub(crate) mod md;

use crate::manifest::{Finding, Manifest, ManifestConversation, Sections};
use crate::{ExportRenderer, FinishedExport};
use convo_model::Format;
use convo_model::TimeRange;
use sha2::Digest;

/// One part of a file's layout, in file order.
pub(crate) enum Piece {
    /// Fixed text of the format (part of the frame's hash).
    Frame(String),
    /// The header: what the export is (hashed on its own).
    Header(String),
    /// The summary statistics (hashed on its own).
    Statistics(String),
    /// Where the manifest's JSON goes.
    Manifest,
    /// Where the conversations go.
    Body,
}

/// What the frame gets for each conversation, besides the conversation itself.
pub(crate) fn separator(format: Format) -> &'static str {
    match format {
        Format::Jsonl => jsonl::LINE_END,
        Format::Html | Format::Csv | Format::Markdown => "",
    }
}

/// The manifest's JSON as it is written into a file of `format`.
pub(crate) fn manifest_text(format: Format, json: &str) -> String {
    match format {
        Format::Csv => json.replace('"', "\"\""),
        Format::Html | Format::Jsonl | Format::Markdown => json.to_string(),
    }
}

/// The format a file is in, read from its first bytes: each other format starts with a
/// fixed text; anything else is checked as a page.
pub(crate) fn detect(text: &str) -> Format {
    if text.starts_with(jsonl::MANIFEST_OPEN) {
        Format::Jsonl
    } else if text.starts_with(md::FRONT_OPEN) {
        Format::Markdown
    } else if text.starts_with(csv::HEADER_ROW) {
        Format::Csv
    } else {
        Format::Html
    }
}

/// A file read back: its manifest, and where each part is.
pub(crate) struct Cut {
    /// The manifest's JSON span in the file (cut out of the frame).
    pub json: (usize, usize),
    pub manifest: Manifest,
    pub header: Option<(usize, usize)>,
    pub statistics: Option<(usize, usize)>,
    /// Each conversation: its id as the file shows it and its span.
    pub conversations: Vec<(String, (usize, usize))>,
    /// The manifest's conversations with their ids as the file shows them.
    pub listed: Vec<ManifestConversation>,
}

/// The manifest's conversations, each id as `shown` writes it into the file.
fn listed_as(manifest: &Manifest, shown: impl Fn(&str) -> String) -> Vec<ManifestConversation> {
    manifest.conversations.iter().map(|c| ManifestConversation { id: shown(&c.id), sha256: c.sha256.clone() }).collect()
}

/// Cuts a JSON Lines, CSV or Markdown file into its parts.
pub(crate) fn cut(format: Format, text: &str) -> Result<Cut, Vec<Finding>> {
    match format {
        Format::Html => Err(vec![Finding::NoManifest]),
        Format::Jsonl => jsonl::cut(text),
        Format::Csv => csv::cut(text),
        Format::Markdown => md::cut(text),
    }
}

/// Reads a manifest's JSON, or names why not.
pub(crate) fn read_manifest(json: &str) -> Result<Manifest, Vec<Finding>> {
    serde_json::from_str(json).map_err(|e| vec![Finding::UnreadableManifest(e.to_string())])
}

impl ExportRenderer {
    /// Ends a file of another format than HTML: its layout's pieces around the body,
    /// each hashed for the manifest like the page's parts.
    pub(crate) fn finish_layout(self, range: TimeRange, layout: Vec<Piece>) -> FinishedExport {
        let format = self.header.format;
        let empty = crate::manifest::sha256_hex(b"");
        let mut frame = sha2::Sha256::new();
        let (mut header, mut statistics) = (empty.clone(), empty);
        for piece in &layout {
            match piece {
                Piece::Frame(text) => frame.update(text.as_bytes()),
                Piece::Header(text) => header = crate::manifest::sha256_hex(text.as_bytes()),
                Piece::Statistics(text) => statistics = crate::manifest::sha256_hex(text.as_bytes()),
                Piece::Body => {
                    for _ in 0..self.stats.conversations {
                        frame.update(separator(format).as_bytes());
                    }
                }
                Piece::Manifest => {}
            }
        }
        let sections = Sections { header, statistics, frame: crate::manifest::hex(&frame.finalize()) };
        let (conversations, messages, figures) = (self.stats.conversations, self.stats.messages(), self.stats.numbers());
        let json = manifest_text(format, &self.manifest(range, sections).embedded());
        let (mut head, mut tail) = (String::new(), String::new());
        let mut out = &mut head;
        for piece in layout {
            match piece {
                Piece::Frame(text) | Piece::Header(text) | Piece::Statistics(text) => out.push_str(&text),
                Piece::Manifest => out.push_str(&json),
                Piece::Body => out = &mut tail,
            }
        }
        FinishedExport { head, tail, conversations, messages, figures }
    }
}
