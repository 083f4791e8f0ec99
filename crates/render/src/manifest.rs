//! The manifest every export carries, and the check of a file against it.
//!
//! The manifest is a JSON block at the end of the file (`<script type="application/json"
//! id="export-manifest">`): what the export is (id, assistant, range, filters, counts,
//! the export it continues) and a SHA-256 of each part of the page: the header, the
//! statistics, every conversation's `<article>`, and the *frame* (everything else: the
//! page around them, its style and script). [`verify`] recomputes them from the file and
//! names what changed: a conversation edited, added or removed, the header, a statistic,
//! the frame. (Someone who rewrites the manifest too is caught by the file's SHA-256 in
//! a signed receipt, which the manifest cannot hold about itself.)
//!
//! Every string of a conversation is escaped, so no content can contain the markers the
//! check cuts the file by (`<article class="conv"`, `</article>`, `</header>` …).

use convo_model::{ExportFilters, Figures, Format, PreviousExport, StatedRedaction, TimeRange, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's format, for readers that must know which rules made it.
pub const FORMAT: &str = "convo-export-manifest/1";

pub(crate) const OPEN: &str = "<script type=\"application/json\" id=\"export-manifest\">";
pub(crate) const CLOSE: &str = "</script>";
pub(crate) const HEADER_START: &str = "<header class=\"top\">";
const HEADER_END: &str = "</header>";
pub(crate) const STATS_START: &str = "<section class=\"stats\"";
const STATS_END: &str = "</section>";
const ARTICLE_START: &str = "<article class=\"conv\"";
const ARTICLE_END: &str = "</article>";
/// Where the conversations are listed, and where the list ends (no conversation's markup
/// can hold either: every string in it is escaped).
pub(crate) const LIST_START: &str = "<div id=\"conversations\">";
pub(crate) const LIST_END: &str = "</section></main>";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestAssistant {
    pub id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub conversations: u64,
    pub messages: u64,
}

/// SHA-256 (lowercase hex) of the page's parts other than the conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sections {
    pub header: String,
    pub statistics: String,
    pub frame: String,
}

/// One conversation: its id (as imported) and the SHA-256 of its `<article>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestConversation {
    pub id: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub export_id: Option<String>,
    pub assistant: ManifestAssistant,
    pub exported_at: Timestamp,
    pub range: TimeRange,
    #[serde(default)]
    pub filters: ExportFilters,
    pub previous: Option<PreviousExport>,
    /// The file's format; absent in a page (HTML).
    #[serde(default, skip_serializing_if = "Format::is_html")]
    pub file_format: Format,
    /// What was masked before the file was written; absent when nothing was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<StatedRedaction>,
    /// The statistics' figures, which the export continuing this one shows beside its
    /// own (absent in a manifest written before they were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    pub counts: Counts,
    pub sections: Sections,
    pub conversations: Vec<ManifestConversation>,
}

impl Manifest {
    /// The manifest as it is embedded: JSON whose `<`, `>` and `&` are escaped, so no
    /// value can end the script block it sits in.
    pub(crate) fn embedded(&self) -> String {
        for_script_block(&serde_json::to_string(self).unwrap_or_default())
    }
}

/// JSON as a `<script type="application/json">` block holds it: `<`, `>` and `&`
/// escaped, so no value can end the block (the manifest's, a reader's notes).
pub(crate) fn for_script_block(json: &str) -> String {
    json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// What precedes the manifest's JSON in a file of `format`: how a reader that sees the
/// file pass as bytes finds it (the last such text is the manifest; no conversation's
/// text can hold it as written).
pub fn json_opening(format: Format) -> &'static str {
    match format {
        Format::Html => OPEN,
        Format::Jsonl => crate::formats::jsonl::MANIFEST_OPEN,
        Format::Csv => crate::formats::csv::MANIFEST_ROW_OPEN,
        Format::Markdown => crate::formats::md::MANIFEST_KEY,
    }
}

/// The manifest's JSON as a file of `format` holds it, back to plain JSON (a CSV field
/// doubles its quotes).
pub fn unembedded(format: Format, embedded: &[u8]) -> Vec<u8> {
    match format {
        Format::Csv => String::from_utf8_lossy(embedded).replace("\"\"", "\"").into_bytes(),
        Format::Html | Format::Jsonl | Format::Markdown => embedded.to_vec(),
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|b| [DIGITS[usize::from(b >> 4)] as char, DIGITS[usize::from(b & 15)] as char]).collect()
}

/// What a check found wrong, in words that name the part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    NoManifest,
    UnreadableManifest(String),
    HeaderEdited,
    HeaderMissing,
    StatisticsEdited,
    StatisticsMissing,
    FrameEdited,
    ConversationEdited {
        position: usize,
        id: String,
    },
    ConversationAdded {
        position: usize,
        id: String,
    },
    ConversationRemoved {
        id: String,
    },
    /// A conversation where the page does not show it as one of the list.
    ConversationOutOfPlace {
        id: String,
        place: &'static str,
    },
    /// The conversations are all there, but not in the manifest's order.
    ConversationMoved {
        position: usize,
        id: String,
        expected: String,
    },
    CountsDiffer {
        manifest: u64,
        file: u64,
    },
    /// A notes block (see [`crate::notes`]) that cannot be read, or that notes what the
    /// export does not hold.
    NotesUnreadable(String),
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::NoManifest => write!(f, "no manifest: the file is not an export of convo-export, or its manifest was removed"),
            Finding::UnreadableManifest(e) => write!(f, "the manifest is unreadable ({e})"),
            Finding::HeaderEdited => write!(f, "the header (assistant, export time, range, filters) was edited"),
            Finding::HeaderMissing => write!(f, "the header was removed"),
            Finding::StatisticsEdited => write!(f, "the summary statistics were edited"),
            Finding::StatisticsMissing => write!(f, "the summary statistics were removed"),
            Finding::FrameEdited => write!(f, "the page around the conversations (its style, script or layout) was edited"),
            Finding::ConversationEdited { position, id } => write!(f, "conversation {position} ({id}) was edited"),
            Finding::ConversationAdded { position, id } => write!(f, "conversation {position} ({id}) was added"),
            Finding::ConversationRemoved { id } => write!(f, "conversation {id} was removed"),
            Finding::ConversationOutOfPlace { id, place } => write!(f, "conversation {id} was moved {place}, out of the list"),
            Finding::ConversationMoved { position, id, expected } => {
                write!(f, "the conversations were reordered: {id} is at position {position}, where the manifest lists {expected}")
            }
            Finding::CountsDiffer { manifest, file } => {
                write!(f, "the manifest lists {manifest} conversations, the file has {file}")
            }
            Finding::NotesUnreadable(e) => write!(f, "the notes block is not one a reader saved ({e})"),
        }
    }
}

/// An intact export, as its manifest describes it.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifest: Manifest,
    /// What a reader added in a copy with notes (a page only).
    pub notes: Option<crate::notes::Notes>,
}

/// Finds `open … close` at or after `from`: (start of open, end of close).
fn find_span(text: &str, open: &str, close: &str, from: usize) -> Option<(usize, usize)> {
    let start = from + text.get(from..)?.find(open)?;
    let end = start + text[start..].find(close)? + close.len();
    Some((start, end))
}

/// The conversation id inside an article (its `ID` field), unescaped.
fn article_id(article: &str) -> String {
    let marker = "<dt>ID</dt><dd><code>";
    let Some(at) = article.rfind(marker) else { return String::new() };
    let rest = &article[at + marker.len()..];
    let raw = rest.find("</code>").map_or(rest, |end| &rest[..end]);
    crate::escape::unescape_html(raw)
}

/// Reads the manifest of an export file and checks the file against it: `Ok` when every
/// part is as rendered, else every finding, each naming what changed.
///
/// JSON Lines, CSV and Markdown files are told apart by their first bytes and checked
/// the same way, part by part.
pub fn verify(text: &str) -> Result<Verified, Vec<Finding>> {
    match crate::formats::detect(text) {
        Format::Html => verify_page(text),
        format => check_cut(text, crate::formats::cut(format, text)?),
    }
}

/// Checks a file of another format, cut into its parts, against its manifest.
pub(crate) fn check_cut(text: &str, cut: crate::formats::Cut) -> Result<Verified, Vec<Finding>> {
    let bytes = text.as_bytes();
    let mut findings = Vec::new();
    let mut cuts = vec![cut.json];
    let sections = &cut.manifest.sections;
    let parts = [
        (cut.header, &sections.header, Finding::HeaderEdited, Finding::HeaderMissing),
        (cut.statistics, &sections.statistics, Finding::StatisticsEdited, Finding::StatisticsMissing),
    ];
    for (span, want, edited, missing) in parts {
        match span {
            Some((a, b)) => {
                if sha256_hex(&bytes[a..b]) != *want {
                    findings.push(edited);
                }
                cuts.push((a, b));
            }
            // A format without the part records the hash of nothing.
            None if *want != sha256_hex(b"") => findings.push(missing),
            None => {}
        }
    }
    let found: Vec<(String, String)> = cut.conversations.iter().map(|(id, (a, b))| (id.clone(), sha256_hex(&bytes[*a..*b]))).collect();
    cuts.extend(cut.conversations.iter().map(|(_, span)| *span));
    compare_conversations(&cut.listed, &found, &mut findings);
    compare_order(&cut.listed, &found, &mut findings);
    if cut.manifest.counts.conversations != found.len() as u64 && cut.listed.len() == found.len() {
        findings.push(Finding::CountsDiffer { manifest: cut.manifest.counts.conversations, file: found.len() as u64 });
    }
    if frame_hash(bytes, cuts) != cut.manifest.sections.frame {
        findings.push(Finding::FrameEdited);
    }
    if findings.is_empty() { Ok(Verified { manifest: cut.manifest, notes: None }) } else { Err(findings) }
}

/// The SHA-256 of a file without the spans `cuts` (parts hashed on their own).
fn frame_hash(bytes: &[u8], mut cuts: Vec<(usize, usize)>) -> String {
    cuts.sort();
    let mut frame = Sha256::new();
    let mut from = 0;
    for (a, b) in cuts {
        if a >= from {
            frame.update(&bytes[from..a]);
            from = b;
        }
    }
    frame.update(&bytes[from..]);
    hex(&frame.finalize())
}

/// Checks an HTML export against its manifest.
fn verify_page(html: &str) -> Result<Verified, Vec<Finding>> {
    let Some((m_start, m_end)) = html.rfind(OPEN).and_then(|at| find_span(html, OPEN, CLOSE, at)) else {
        return Err(vec![Finding::NoManifest]);
    };
    let json = &html[m_start + OPEN.len()..m_end - CLOSE.len()];
    let manifest: Manifest = match serde_json::from_str(json) {
        Ok(m) => m,
        Err(e) => return Err(vec![Finding::UnreadableManifest(e.to_string())]),
    };
    let mut findings = Vec::new();
    // The frame: the file without the parts hashed on their own, the manifest's JSON and
    // a reader's notes block, which ends where the manifest's block begins.
    let mut cuts: Vec<(usize, usize)> = vec![(m_start + OPEN.len(), m_end - CLOSE.len())];
    let notes_block = crate::notes::block_before(html, m_start);
    let content_end = notes_block.map_or(m_start, |((a, _), _)| a);
    cuts.extend(notes_block.map(|(span, _)| span));
    match find_span(html, HEADER_START, HEADER_END, 0) {
        Some((a, b)) => {
            if sha256_hex(&html.as_bytes()[a..b]) != manifest.sections.header {
                findings.push(Finding::HeaderEdited);
            }
            cuts.push((a, b));
        }
        None => findings.push(Finding::HeaderMissing),
    }
    match find_span(html, STATS_START, STATS_END, 0) {
        Some((a, b)) => {
            if sha256_hex(&html.as_bytes()[a..b]) != manifest.sections.statistics {
                findings.push(Finding::StatisticsEdited);
            }
            cuts.push((a, b));
        }
        None => findings.push(Finding::StatisticsMissing),
    }
    let list = html.find(LIST_START).map(|start| {
        let from = start + LIST_START.len();
        (from, html[from..].find(LIST_END).map_or(m_start, |end| from + end))
    });
    let mut articles = Vec::new();
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some((a, b)) = find_span(html, ARTICLE_START, ARTICLE_END, at) {
        if a >= content_end {
            break;
        }
        let id = article_id(&html[a..b]);
        match list {
            Some((from, to)) if a >= from && b <= to => {}
            _ => findings.push(Finding::ConversationOutOfPlace { id: id.clone(), place: place_of(html, a, list) }),
        }
        articles.push((id, sha256_hex(&html.as_bytes()[a..b])));
        spans.push((a, b));
        cuts.push((a, b));
        at = b;
    }
    let notes = notes_block.and_then(|(_, json)| {
        let index: std::collections::HashMap<&str, (usize, usize)> =
            articles.iter().zip(&spans).map(|((id, _), span)| (id.as_str(), *span)).collect();
        let article = |id: &str| index.get(id).map(|&(a, b)| &html[a..b]);
        crate::notes::parse(json)
            .and_then(|notes| crate::notes::check(&notes, article).map(|()| notes))
            .map_err(|e| findings.push(Finding::NotesUnreadable(e)))
            .ok()
    });
    compare_conversations(&manifest.conversations, &articles, &mut findings);
    compare_order(&manifest.conversations, &articles, &mut findings);
    if manifest.counts.conversations != articles.len() as u64 && manifest.conversations.len() == articles.len() {
        findings.push(Finding::CountsDiffer { manifest: manifest.counts.conversations, file: articles.len() as u64 });
    }
    if frame_hash(html.as_bytes(), cuts) != manifest.sections.frame {
        findings.push(Finding::FrameEdited);
    }
    if findings.is_empty() { Ok(Verified { manifest, notes }) } else { Err(findings) }
}

/// Conversations in the file against the manifest's list: edited where the id stays and
/// the hash does not, added or removed where ids come and go.
fn compare_conversations(listed: &[ManifestConversation], found: &[(String, String)], findings: &mut Vec<Finding>) {
    use std::collections::{HashMap, HashSet};
    let listed_ids: HashSet<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    let found_ids: HashSet<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    let mut expected: HashMap<&str, &str> = listed.iter().map(|c| (c.id.as_str(), c.sha256.as_str())).collect();
    for (position, (id, sha)) in found.iter().enumerate() {
        match expected.remove(id.as_str()) {
            Some(want) if want == sha => {}
            Some(_) => findings.push(Finding::ConversationEdited { position: position + 1, id: id.clone() }),
            None if listed_ids.contains(id.as_str()) => {
                findings.push(Finding::ConversationAdded { position: position + 1, id: format!("{id}, a second time") })
            }
            None => findings.push(Finding::ConversationAdded { position: position + 1, id: id.clone() }),
        }
    }
    for c in listed {
        if !found_ids.contains(c.id.as_str()) {
            findings.push(Finding::ConversationRemoved { id: c.id.clone() });
        }
    }
}

/// Where an article outside the list sits, in words.
fn place_of(html: &str, at: usize, list: Option<(usize, usize)>) -> &'static str {
    let inside = |open: &str, close: &str| html[..at].rfind(open).is_some_and(|start| html[start..at].find(close).is_none());
    if inside("<style>", "</style>") {
        "into the style element"
    } else if inside("<script>", "</script>") {
        "into the script"
    } else if inside(HEADER_START, HEADER_END) {
        "into the header"
    } else {
        match list {
            Some((from, _)) if at < from => "before the list",
            Some(_) => "after the list",
            None => "into a page without its list",
        }
    }
}

/// The conversations both the manifest and the file have, in the manifest's order: the
/// first one out of place is named.
fn compare_order(listed: &[ManifestConversation], found: &[(String, String)], findings: &mut Vec<Finding>) {
    use std::collections::HashSet;
    let found_ids: HashSet<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    let listed_ids: HashSet<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    let expected = listed.iter().map(|c| c.id.as_str()).filter(|id| found_ids.contains(id));
    let actual = found.iter().map(|(id, _)| id.as_str()).filter(|id| listed_ids.contains(id));
    for (position, (want, got)) in expected.zip(actual).enumerate() {
        if want != got {
            findings.push(Finding::ConversationMoved { position: position + 1, id: got.to_string(), expected: want.to_string() });
            return;
        }
    }
}

/// Whether `next` continues `previous`: its recorded previous export is `previous`'s id
/// and the SHA-256 of `previous_file`, and its range starts where `previous`'s ended.
pub fn check_chain(next: &Manifest, previous: &Manifest, previous_file: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(link) = &next.previous else {
        return vec!["the export records no previous export: it does not continue a chain".into()];
    };
    if previous.export_id.as_deref() != Some(link.id.as_str()) {
        problems.push(format!(
            "the export continues export {}, but the previous file is export {}",
            link.id,
            previous.export_id.as_deref().unwrap_or("(without an id)")
        ));
    }
    let actual = sha256_hex(previous_file);
    if actual != link.sha256 {
        problems.push(format!("the previous file's SHA-256 is {actual}, but the export recorded {}", link.sha256));
    }
    if !next.range.continues(&previous.range) {
        problems.push(format!(
            "the ranges do not meet: the previous export ends at {}, this one starts at {}",
            previous.range.to.to_rfc3339(),
            next.range.from.to_rfc3339()
        ));
    }
    problems
}
