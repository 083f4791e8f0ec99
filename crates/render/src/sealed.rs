//! Passphrase files: an export sealed with AES-256-GCM under a key from PBKDF2-SHA256,
//! wrapped in a small page that asks for the passphrase and opens the export with the
//! browser's own WebCrypto, offline, sending nothing (docs/cli.md, `encrypt`).
//!
//! The page records everything opening needs beside the ciphertext: the cipher, the key
//! derivation, its iterations (at least [`ITERATIONS`], OWASP's figure for PBKDF2-SHA256
//! in 2023) and its random salt, and the nonce. The caller brings the randomness (the
//! browser's `crypto.getRandomValues`, the CLI's operating system), so that this crate
//! stays free of I/O and a test can seal twice to the same bytes.
//!
//! Opened, the page replaces itself with the export (`document.write`), whose own style
//! and script the wrapper's Content-Security-Policy allows by hash, so search, print and
//! the rest work as in a plain file. A wrong passphrase fails GCM's tag: the page says
//! so and shows nothing. The passphrase lives only in the field: it is never stored,
//! never put in the URL, and the form cannot be submitted anywhere (`form-action 'none'`).

use crate::GENERATOR;
use crate::page::{SCRIPT, STYLE, csp_hash};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use memchr::memmem;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt::Write;
use std::sync::OnceLock;

/// PBKDF2-SHA256 iterations for every sealed file (OWASP's 2023 recommendation).
pub const ITERATIONS: u32 = 600_000;
/// What the page's parameters block says it is.
pub const FORMAT: &str = "convo-export-sealed/1";
/// The shortest passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

const PARAMS_OPEN: &str = "<script type=\"application/json\" id=\"convo-sealed\">";
const CIPHERTEXT_OPEN: &str = "<script type=\"application/octet-stream\" id=\"convo-ciphertext\">";
const CLOSE: &str = "</script>";
/// Where a passphrase file's parameters must start by (its page before them is fixed).
const SEALED_HEAD_BYTES: usize = 16 * 1024;
const SEALED_STYLE: &str = include_str!("assets/sealed.css");
const SEALED_SCRIPT: &str = include_str!("assets/sealed.js");

/// The randomness of one sealing: a fresh salt and nonce each time.
#[derive(Debug, Clone, Copy)]
pub struct Sealing {
    pub salt: [u8; 16],
    pub nonce: [u8; 12],
}

/// What the page records beside the ciphertext (all a reader needs to open it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedParams {
    pub format: String,
    pub cipher: String,
    pub kdf: String,
    pub iterations: u32,
    /// Base64 (standard, padded).
    pub salt: String,
    pub nonce: String,
}

/// Why a sealed file did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the file is not a passphrase file")]
    NotSealed,
    #[error("the passphrase file is damaged: {0}")]
    Damaged(String),
    #[error("wrong passphrase (or the file was altered): nothing was opened")]
    WrongPassphrase,
}

/// Why a passphrase is refused before sealing.
pub fn check_passphrase(passphrase: &str) -> Result<(), String> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(format!("a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters, not {chars}"));
    }
    Ok(())
}

fn key(passphrase: &str, salt: &[u8], iterations: u32) -> Aes256Gcm {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(passphrase.as_bytes(), salt, iterations, &mut key);
    Aes256Gcm::new(&key.into())
}

/// The passphrase file of `file` (an export's bytes): a page that opens it offline.
pub fn seal(file: &[u8], passphrase: &str, sealing: Sealing) -> Result<String, String> {
    check_passphrase(passphrase)?;
    // The page opens what it decrypts as a page: JSON Lines, CSV or Markdown would show
    // as garbage (and a page is the only format that can decrypt itself).
    if !file.starts_with(b"<!DOCTYPE html>") {
        return Err(
            "only an HTML export can be sealed with a passphrase (JSON Lines, CSV and Markdown files cannot open themselves)".into()
        );
    }
    let ciphertext = key(passphrase, &sealing.salt, ITERATIONS)
        .encrypt(Nonce::from_slice(&sealing.nonce), file)
        .map_err(|_| "the file is too large to encrypt".to_string())?;
    let params = SealedParams {
        format: FORMAT.into(),
        cipher: "AES-256-GCM".into(),
        kdf: "PBKDF2-SHA256".into(),
        iterations: ITERATIONS,
        salt: STANDARD.encode(sealing.salt),
        nonce: STANDARD.encode(sealing.nonce),
    };
    let mut page = String::with_capacity(ciphertext.len() * 4 / 3 + 8192);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = write!(page, "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">", policy());
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"color-scheme\" content=\"light dark\"><meta name=\"referrer\" content=\"no-referrer\">");
    let _ = write!(
        page,
        "<meta name=\"generator\" content=\"{GENERATOR}\"><title>Encrypted conversation export</title><style>{SEALED_STYLE}</style></head>"
    );
    page.push_str(concat!(
        "\n<body><main class=\"unlock\"><h1>This export is encrypted</h1>",
        "<p>Enter its passphrase to open it here. It is decrypted in this browser, offline: nothing is sent anywhere, and the passphrase is not kept.</p>",
        "<form id=\"unlock\" autocomplete=\"off\"><label for=\"passphrase\">Passphrase</label>",
        "<input id=\"passphrase\" name=\"passphrase\" type=\"password\" autocomplete=\"off\" autocapitalize=\"off\" spellcheck=\"false\" required aria-describedby=\"unlock-status\">",
        "<button type=\"submit\" id=\"open\">Open</button><p id=\"unlock-status\" role=\"status\" aria-live=\"polite\"></p></form>",
        "<noscript><p>Opening an encrypted export needs JavaScript: open this file in a current Chrome, Firefox, Safari or Edge with script allowed, or decrypt it with <code>convo-export verify FILE --passphrase-stdin</code>.</p></noscript></main>\n",
    ));
    page.push_str(PARAMS_OPEN);
    // Base64 and these fields hold no `<`, so neither block can be closed early.
    page.push_str(&serde_json::to_string(&params).map_err(|e| e.to_string())?);
    page.push_str(CLOSE);
    page.push('\n');
    page.push_str(CIPHERTEXT_OPEN);
    page.push_str(&STANDARD.encode(&ciphertext));
    page.push_str(CLOSE);
    let _ = writeln!(page, "\n<script>{SEALED_SCRIPT}</script></body></html>");
    Ok(page)
}

/// The passphrase file's name for an export's: `….html` becomes `….encrypted.html`.
pub fn sealed_filename(filename: &str) -> String {
    let stem = filename.strip_suffix(".html").unwrap_or(filename);
    format!("{stem}.encrypted.html")
}

/// Whether `file` is a passphrase file (it must be opened before it can be verified).
/// Its parameters sit in the page's first few kilobytes, so a plain export (which may
/// be hundreds of megabytes) is not scanned to its end.
pub fn is_sealed(file: &[u8]) -> bool {
    memmem::find(&file[..file.len().min(SEALED_HEAD_BYTES)], PARAMS_OPEN.as_bytes()).is_some()
}

/// The export inside a passphrase file.
pub fn open(file: &[u8], passphrase: &str) -> Result<Vec<u8>, OpenError> {
    let params = block(file, PARAMS_OPEN).ok_or(OpenError::NotSealed)?;
    let params: SealedParams = serde_json::from_slice(params).map_err(|e| OpenError::Damaged(format!("its parameters: {e}")))?;
    if params.format != FORMAT || params.cipher != "AES-256-GCM" || params.kdf != "PBKDF2-SHA256" {
        return Err(OpenError::Damaged(format!(
            "it is {} with {} and {}, which this version cannot open",
            params.format, params.cipher, params.kdf
        )));
    }
    if params.iterations == 0 {
        return Err(OpenError::Damaged("it records no key derivation iterations".into()));
    }
    let decode = |what: &str, b64: &[u8]| STANDARD.decode(b64).map_err(|e| OpenError::Damaged(format!("its {what}: {e}")));
    let salt = decode("salt", params.salt.as_bytes())?;
    let nonce = decode("nonce", params.nonce.as_bytes())?;
    if nonce.len() != 12 {
        return Err(OpenError::Damaged(format!("its nonce has {} bytes, not 12", nonce.len())));
    }
    let ciphertext =
        decode("ciphertext", block(file, CIPHERTEXT_OPEN).ok_or_else(|| OpenError::Damaged("it holds no ciphertext".into()))?)?;
    key(passphrase, &salt, params.iterations)
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| OpenError::WrongPassphrase)
}

/// The bytes between `open` and the next `</script>`.
fn block<'a>(file: &'a [u8], open: &str) -> Option<&'a [u8]> {
    let start = memmem::find(file, open.as_bytes())? + open.len();
    let len = memmem::find(&file[start..], CLOSE.as_bytes())?;
    Some(&file[start..start + len])
}

/// The wrapper's CSP: its own style and script, and the export's, which run once the
/// export has replaced the page (the wrapper's policy stays with the document).
fn policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src '{}' '{}'; script-src '{}' '{}'; img-src data:; base-uri 'none'; form-action 'none'",
            csp_hash(SEALED_STYLE),
            csp_hash(STYLE),
            csp_hash(SEALED_SCRIPT),
            csp_hash(SCRIPT)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEALING: Sealing = Sealing { salt: [7; 16], nonce: [9; 12] };

    #[test]
    fn a_sealed_file_opens_with_its_passphrase_only() {
        let export = "<!DOCTYPE html><p>ann@example.com</p>".as_bytes();
        let page = seal(export, "correct horse", SEALING).unwrap();
        assert!(!page.contains("ann@example.com"), "nothing of the export is in clear");
        assert!(page.contains("\"iterations\":600000"));
        assert!(is_sealed(page.as_bytes()));
        assert!(!is_sealed(export));
        assert_eq!(open(page.as_bytes(), "correct horse").unwrap(), export);
        assert_eq!(open(page.as_bytes(), "correct horsf"), Err(OpenError::WrongPassphrase));
        assert_eq!(open(export, "correct horse"), Err(OpenError::NotSealed));
        assert_eq!(sealed_filename("conversations_bot_20261127_120000.html"), "conversations_bot_20261127_120000.encrypted.html");
        assert_eq!(seal(export, "correct horse", SEALING).unwrap(), page, "the same randomness, the same bytes");
        let other = seal(export, "correct horse", Sealing { salt: [8; 16], ..SEALING }).unwrap();
        assert_ne!(other, page, "another salt, another file");
    }

    #[test]
    fn an_altered_ciphertext_or_a_short_passphrase_is_refused() {
        let page = seal(b"<!DOCTYPE html><p>hello</p>", "long enough", SEALING).unwrap();
        let at = page.find(CIPHERTEXT_OPEN).unwrap() + CIPHERTEXT_OPEN.len();
        let mut altered = page.clone().into_bytes();
        altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
        assert_eq!(open(&altered, "long enough"), Err(OpenError::WrongPassphrase));
        assert!(seal(b"x", "short", SEALING).unwrap_err().contains("at least 8 characters, not 5"));
        assert!(seal(b"{\"convo_export_manifest\":{}}\n", "long enough", SEALING).unwrap_err().contains("only an HTML export"));
    }
}
