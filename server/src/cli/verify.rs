//! `verify FILE [--passphrase-stdin] [--previous FILE] [--receipt R.json --public-key KEY]`:
//! checks an export against its manifest (and the export it continues, and a signed
//! receipt), offline; a passphrase file is opened first. Exit 0 with a one-line summary
//! when intact, followed by the notes a reader added when the file is a copy with notes;
//! non-zero, naming what changed, when not.

use anyhow::{Context, bail};
use clap::Args;
use convo_model::api::Receipt;
use convo_render::{manifest, notes, sealed};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The export to check.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The export this one continues: checks that the two chain.
    #[arg(long, value_name = "FILE")]
    previous: Option<PathBuf>,
    /// A receipt (`GET /api/exports/{id}/receipt`) to check the file against.
    #[arg(long, value_name = "R.json", requires = "public_key")]
    receipt: Option<PathBuf>,
    /// The server's public key (`GET /api/signing-key`: the public_key field, or the
    /// whole answer saved as a file).
    #[arg(long, value_name = "KEY", requires = "receipt")]
    public_key: Option<String>,
    /// The file is a passphrase file: read its passphrase from standard input (its first
    /// line), open it, and check the export inside.
    #[arg(long)]
    passphrase_stdin: bool,
}

fn read(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The public key from the argument: the key itself, or a file holding it or the
/// signing-key JSON.
fn public_key(raw: &str) -> String {
    let text = std::fs::read_to_string(raw).unwrap_or_else(|_| raw.to_string());
    match serde_json::from_str::<convo_model::api::SigningKey>(&text) {
        Ok(key) => key.public_key,
        Err(_) => text.trim().to_string(),
    }
}

pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let mut bytes = read(&args.file)?;
    let name = args.file.display();
    let sealed = sealed::is_sealed(&bytes);
    match (sealed, args.passphrase_stdin) {
        (true, true) => {
            let passphrase = super::encrypt::passphrase_from_stdin()?;
            bytes = sealed::open(&bytes, &passphrase).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        }
        (true, false) => bail!("{name} is a passphrase file: give --passphrase-stdin and its passphrase on standard input"),
        (false, true) => bail!("{name} is not a passphrase file: verify it without --passphrase-stdin"),
        (false, false) => {}
    }
    let html = String::from_utf8(bytes.clone()).map_err(|_| anyhow::anyhow!("{name}: not an export (not UTF-8 text)"))?;
    let verified = match manifest::verify(&html) {
        Ok(v) => v,
        Err(findings) => {
            let said: Vec<String> = findings.iter().map(ToString::to_string).collect();
            bail!("{name} was altered: {}", said.join("; "));
        }
    };
    let m = &verified.manifest;
    let mut checks = vec![format!("{} conversations and the header, statistics and page match the manifest", m.counts.conversations)];
    if let Some(notes) = &verified.notes {
        checks.push(format!(
            "a copy with notes saved {}: {} starred, {} note{} added, outside the export",
            notes.saved_at.to_rfc3339(),
            notes.stars.len(),
            notes.notes.len(),
            if notes.notes.len() == 1 { "" } else { "s" }
        ));
    }
    if sealed {
        checks.insert(0, "opened with its passphrase".to_string());
    }
    if let Some(previous) = &args.previous {
        let previous_bytes = read(previous)?;
        let previous_html =
            String::from_utf8(previous_bytes.clone()).map_err(|_| anyhow::anyhow!("{}: not an export", previous.display()))?;
        let before = manifest::verify(&previous_html).map_err(|findings| {
            let said: Vec<String> = findings.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("the previous export {} was altered: {}", previous.display(), said.join("; "))
        })?;
        let problems = manifest::check_chain(m, &before.manifest, &previous_bytes);
        if !problems.is_empty() {
            bail!("{name} does not continue {}: {}", previous.display(), problems.join("; "));
        }
        checks.push(format!("continues {}", previous.display()));
    }
    if let (Some(receipt), Some(key)) = (&args.receipt, &args.public_key) {
        let receipt: Receipt =
            serde_json::from_slice(&read(receipt)?).with_context(|| format!("{} is not a receipt", receipt.display()))?;
        // A copy with notes is the export plus one block: the receipt vouches for the rest.
        let export = notes::without_notes(&bytes);
        crate::catalog::receipts::check(&receipt, &public_key(key), &export).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let reproduced = if receipt.verified { ", which the server reproduced from its own data" } else { "" };
        let which = if verified.notes.is_some() { "the export inside (the copy without its notes)" } else { "these bytes" };
        checks.push(format!("the receipt signed by key {} vouches for {which}{reproduced}", receipt.key_id));
    }
    let assistant = m.assistant.id.as_deref().unwrap_or(&m.assistant.name);
    let id = m.export_id.as_deref().map(|id| format!("export {id}, ")).unwrap_or_default();
    println!(
        "OK {name}: {id}{assistant}, {} to {}, {} messages; {}",
        m.range.from.to_rfc3339(),
        m.range.to.to_rfc3339(),
        m.counts.messages,
        checks.join("; ")
    );
    if let Some(notes) = &verified.notes {
        print_notes(notes);
    }
    Ok(())
}

/// A reader's text as a terminal line: control and bidi-override characters shown
/// escaped (`\u{1b}`), so a note can neither drive the terminal nor reorder the line.
fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Lists a copy's stars and notes, one a line.
fn print_notes(notes: &notes::Notes) {
    for id in &notes.stars {
        println!("  starred: conversation {}", shown(id));
    }
    for note in &notes.notes {
        println!("  note on conversation {}, message {}: {}", shown(&note.conversation), note.message, shown(&note.text));
    }
}
