//! `encrypt` and `verify --passphrase-stdin`, run as a user runs them: an export sealed
//! into a passphrase file holds nothing in clear, opens with its passphrase only, and
//! the export inside still verifies; every refusal is a line on stderr and a non-zero
//! exit that leaves nothing behind.

use std::path::Path;
use std::process::{Command, Output};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/render/tests/fixtures/conversations.jsonl");

/// Runs the binary with `stdin` on its standard input.
fn run(args: &[&std::ffi::OsStr], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_convo-export"));
    cmd.args(args);
    convo_testkit::run(cmd, Some(stdin))
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

fn render(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("export.html");
    let output =
        run(&[os("render"), os("--input"), os(FIXTURE), os("--assistant-name"), os("Support Bot"), os("--out"), out.as_os_str()], "");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    out
}

#[test]
fn a_sealed_export_holds_nothing_in_clear_and_verifies_with_its_passphrase_only() {
    let dir = tempfile::tempdir().unwrap();
    let plain = render(dir.path());
    let plain_html = std::fs::read_to_string(&plain).unwrap();
    let sealed = dir.path().join("sealed.html");
    let encrypt = [os("encrypt"), plain.as_os_str(), os("--passphrase-stdin"), os("--out"), sealed.as_os_str()];
    let output = run(&encrypt, "correct horse battery\n");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("600000 iterations"));
    let page = std::fs::read_to_string(&sealed).unwrap();
    // Every conversation id and every word of the export is absent from the sealed file.
    let manifest = convo_render::manifest::verify(&plain_html).unwrap().manifest;
    for c in &manifest.conversations {
        assert!(!page.contains(&c.id), "{} is in clear", c.id);
    }
    assert!(!page.contains("Support Bot"));
    assert!(page.contains("\"kdf\":\"PBKDF2-SHA256\""));

    let verify = [os("verify"), sealed.as_os_str(), os("--passphrase-stdin")];
    let ok = run(&verify, "correct horse battery\n");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(said.starts_with("OK ") && said.contains("opened with its passphrase"), "{said}");

    let wrong = run(&verify, "correct horse batterz\n");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"), "{}", String::from_utf8_lossy(&wrong.stderr));
    let without = run(&[os("verify"), sealed.as_os_str()], "");
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("is a passphrase file: give --passphrase-stdin"));

    // Sealing twice gives two files (a fresh salt and nonce each time).
    let again = dir.path().join("again.html");
    let output =
        run(&[os("encrypt"), plain.as_os_str(), os("--passphrase-stdin"), os("--out"), again.as_os_str()], "correct horse battery\n");
    assert!(output.status.success());
    assert_ne!(std::fs::read(&again).unwrap(), page.as_bytes());
}

#[test]
fn a_short_passphrase_an_existing_out_or_a_sealed_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plain = render(dir.path());
    let sealed = dir.path().join("sealed.html");
    let encrypt = [os("encrypt"), plain.as_os_str(), os("--passphrase-stdin"), os("--out"), sealed.as_os_str()];
    let short = run(&encrypt, "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"), "{}", String::from_utf8_lossy(&short.stderr));
    assert!(!sealed.exists(), "nothing written");
    let empty = run(&encrypt, "");
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no passphrase on standard input"));

    assert!(run(&encrypt, "long enough one\n").status.success());
    let before = std::fs::read(&sealed).unwrap();
    let again = run(&encrypt, "another passphrase\n");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not overwritten"));
    assert_eq!(std::fs::read(&sealed).unwrap(), before, "the existing file is untouched");

    let twice = dir.path().join("twice.html");
    let output = run(&[os("encrypt"), sealed.as_os_str(), os("--passphrase-stdin"), os("--out"), twice.as_os_str()], "long enough one\n");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already a passphrase file"));
    let plain_with = run(&[os("verify"), plain.as_os_str(), os("--passphrase-stdin")], "long enough one\n");
    assert!(!plain_with.status.success());
    assert!(String::from_utf8_lossy(&plain_with.stderr).contains("is not a passphrase file"));
}
