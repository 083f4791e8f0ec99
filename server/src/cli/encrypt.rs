//! `encrypt FILE --passphrase-stdin --out FILE`: seals an export into a passphrase file
//! (AES-256-GCM, key from PBKDF2-SHA256; `convo_render::sealed`) that opens offline in a
//! browser. The passphrase is read from standard input (its first line), never from an
//! argument, which other users of the machine could see in the process list.

use anyhow::{Context, bail};
use clap::Args;
use convo_render::sealed::{self, Sealing};
use rand::RngCore;
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// The export to seal.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Read the passphrase from standard input (its first line).
    #[arg(long, required = true)]
    passphrase_stdin: bool,
    /// Where the passphrase file goes (an existing file is not overwritten).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// The passphrase on standard input's first line, without its line end.
pub fn passphrase_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the passphrase from standard input")?;
    let passphrase = line.trim_end_matches(['\n', '\r']).to_string();
    if passphrase.is_empty() {
        bail!("no passphrase on standard input");
    }
    Ok(passphrase)
}

pub fn run(args: EncryptArgs) -> anyhow::Result<()> {
    let file = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    if sealed::is_sealed(&file) {
        bail!("{} is already a passphrase file", args.file.display());
    }
    let passphrase = passphrase_from_stdin()?;
    let mut sealing = Sealing { salt: [0; 16], nonce: [0; 12] };
    rand::rng().fill_bytes(&mut sealing.salt);
    rand::rng().fill_bytes(&mut sealing.nonce);
    let page = sealed::seal(&file, &passphrase, sealing).map_err(|e| anyhow::anyhow!(e))?;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.out)
        .with_context(|| format!("cannot create {} (an existing file is not overwritten)", args.out.display()))?;
    std::io::Write::write_all(&mut out, page.as_bytes()).with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "OK {}: {} sealed with AES-256-GCM, key from PBKDF2-SHA256 ({} iterations); it opens offline in a browser with its passphrase",
        args.out.display(),
        args.file.display(),
        sealed::ITERATIONS
    );
    Ok(())
}
