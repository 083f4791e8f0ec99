//! `render`: JSON Lines in, one export out (HTML, or `--format jsonl|csv|markdown`);
//! streaming, with a progress bar for big inputs, and no output file at all when the
//! input is bad.

use anyhow::{Context, anyhow};
use clap::Args;
use convo_model::{Contacts, Format, Redaction, TimeZone, Timestamp};
use convo_render::{ExportHeader, ExportRenderer};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The conversations, in the import format (JSON Lines).
    #[arg(long, value_name = "FILE.jsonl")]
    input: PathBuf,
    /// The assistant's name, for the export's header.
    #[arg(long, value_name = "NAME")]
    assistant_name: String,
    /// Export only this assistant's conversations, and name it in the header.
    #[arg(long, value_name = "ID")]
    assistant_id: Option<String>,
    /// The export time (RFC 3339); fixing it makes the output reproducible byte for byte.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    exported_at: Option<Timestamp>,
    /// Mask these kinds in every string of the file: emails,phones,cards,ibans,ips.
    #[arg(long, value_name = "KINDS", value_parser = parse_kinds)]
    redact: Option<Redaction>,
    /// Mask these names (separated by `;`), any case, as whole words.
    #[arg(long, value_name = "\"A;B\"")]
    redact_names: Option<String>,
    /// Name contacts `Contact 1…N`, the same contact the same number; drop their emails.
    #[arg(long)]
    pseudonyms: bool,
    /// The file's format: html (the default), jsonl, csv or markdown.
    #[arg(long, value_name = "F", default_value = "html")]
    format: Format,
    /// Show every time in this IANA zone, with its offset (UTC by default).
    #[arg(long, value_name = "Z", default_value = "UTC")]
    time_zone: TimeZone,
    /// Where to write the export.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub(super) fn parse_kinds(raw: &str) -> Result<Redaction, String> {
    Redaction::default().with_kinds(raw)
}

impl RenderArgs {
    /// The redaction the flags ask for, checked.
    fn redaction(&self) -> anyhow::Result<Redaction> {
        let mut redaction = self.redact.clone().unwrap_or_default();
        redaction.names = self.redact_names.as_deref().map(|n| n.split(';').map(str::to_string).collect()).unwrap_or_default();
        if self.pseudonyms {
            redaction.contacts = Contacts::Pseudonyms;
        }
        redaction.normalized().map_err(|e| anyhow!("--redact-names: {e}"))
    }
}

fn parse_time(raw: &str) -> Result<Timestamp, String> {
    crate::clock::parse_rfc3339(raw).map_err(|e| format!("not an RFC 3339 time such as 2026-11-27T12:00:00Z ({e})"))
}

/// Conversations rendered between two writes: bounds memory whatever the input's size.
const PAGE_BYTES: usize = 4 << 20;
/// Inputs at least this big show a progress bar.
const PROGRESS_FROM_BYTES: u64 = 8 << 20;

pub fn run(args: RenderArgs) -> anyhow::Result<()> {
    let input = File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    let input_len = input.metadata().map(|m| m.len()).unwrap_or(0);
    let out_dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The body goes to a scratch file; the final file is assembled next to its
    // destination and renamed into place only when everything succeeded.
    let mut body_file = tempfile::tempfile_in(&out_dir).with_context(|| format!("cannot write in {}", out_dir.display()))?;
    let progress = progress_bar(input_len);

    let mut header =
        ExportHeader::new(args.assistant_name.clone(), args.assistant_id.clone(), args.exported_at.unwrap_or_else(chrono::Utc::now), None);
    header.redaction = args.redaction()?;
    header.format = args.format;
    header.time_zone = args.time_zone;
    let mut renderer = ExportRenderer::new(header);
    let mut body = String::with_capacity(PAGE_BYTES + (1 << 20));
    let mut reader = BufReader::with_capacity(1 << 20, CountingReader { inner: input, count: 0 });
    let mut line = String::new();
    let mut line_no = 0usize;
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .with_context(|| format!("{}: line {}: cannot read (is it UTF-8 text?)", args.input.display(), line_no + 1))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        if crate::import::carries_nothing(&line) {
            continue;
        }
        let conversation = crate::jsonl::parse_line(&line).map_err(|e| anyhow!("{}: line {line_no}: {e}", args.input.display()))?;
        renderer.push_conversation(&conversation, &mut body);
        if body.len() >= PAGE_BYTES {
            body_file.write_all(body.as_bytes())?;
            body.clear();
            if let Some(p) = &progress {
                p.set_position(reader.get_ref().count);
            }
        }
    }
    body_file.write_all(body.as_bytes())?;
    drop(body);
    let masked = renderer.redacted().total();
    let parts = renderer.finish();

    let mut out = tempfile::NamedTempFile::new_in(&out_dir)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, out.as_file_mut());
        w.write_all(parts.head.as_bytes())?;
        body_file.rewind()?;
        std::io::copy(&mut body_file, &mut w)?;
        w.write_all(parts.tail.as_bytes())?;
        w.flush()?;
    }
    out.as_file().sync_all()?;
    out.persist(&args.out).with_context(|| format!("cannot write {}", args.out.display()))?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    let redacted = if args.redaction()?.is_empty() { String::new() } else { format!(", {masked} matches masked") };
    eprintln!(
        "wrote {} ({} conversations, {} messages, {}{redacted})",
        args.out.display(),
        parts.conversations,
        parts.messages,
        indicatif::HumanBytes(size)
    );
    Ok(())
}

fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if total < PROGRESS_FROM_BYTES {
        return None;
    }
    let bar = super::admin::progress_bar("rendering {bar:40} {bytes}/{total_bytes} ({eta} left)");
    bar.set_length(total);
    Some(bar)
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}
