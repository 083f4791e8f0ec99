//! The `render` subcommand, run as a user runs it: real files, real process, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/render/tests/fixtures/conversations.jsonl");

fn render(dir: &Path, input: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let out = dir.join("export.html");
    let output = Command::new(env!("CARGO_BIN_EXE_convo-export"))
        .arg("render")
        .arg("--input")
        .arg(input)
        .args(["--assistant-name", "Support Bot", "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .expect("runs");
    (output, out)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn same_input_and_time_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--assistant-id", "support-bot", "--exported-at", "2026-11-27T13:00:00+01:00"];
    let (first, path) = render(dir.path(), Path::new(FIXTURE), &args);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let a = std::fs::read(&path).unwrap();
    let (second, _) = render(dir.path(), Path::new(FIXTURE), &args);
    assert!(second.status.success());
    assert_eq!(a, std::fs::read(&path).unwrap());
    let html = String::from_utf8(a).unwrap();
    assert!(html.contains("<time datetime=\"2026-11-27T12:00:00Z\">"), "export time in UTC");
    assert_eq!(html.matches("<article class=\"conv\"").count(), 5);
    assert!(!html.contains("CANARY"));
    assert!(String::from_utf8_lossy(&first.stderr).contains("5 conversations, 9 messages"));
    assert_eq!(files_in(dir.path()), ["export.html"], "no scratch file left behind");
}

#[test]
fn without_an_assistant_id_every_assistant_is_included() {
    let dir = tempfile::tempdir().unwrap();
    let (output, path) = render(dir.path(), Path::new(FIXTURE), &[]);
    assert!(output.status.success());
    let html = std::fs::read_to_string(path).unwrap();
    assert_eq!(html.matches("<article class=\"conv\"").count(), 6);
    assert!(!html.contains("CANARY-ACTIVE"), "active conversations are never exported");
}

#[test]
fn bad_input_names_the_line_and_field_and_leaves_no_file() {
    let good = std::fs::read_to_string(FIXTURE).unwrap();
    let first_line = good.lines().next().unwrap();
    let cases: [(&str, String, &str); 5] = [
        ("malformed", format!("{first_line}\n{first_line}\n{{\"id\": \"x\",\n"), "line 3"),
        ("missing", format!("\n{}\n", first_line.replace("\"assistant_id\"", "\"assistant\"")), "line 2: missing field `assistant_id`"),
        ("bad time", first_line.replace("2026-11-20T09:00:05Z", "yesterday at noon"), "line 1: field `messages[1].at`"),
        (
            "bad role",
            first_line.replace("\"role\": \"tool\"", "\"role\": \"admin\""),
            "line 1: field `messages[3].role`: unknown variant `admin`",
        ),
        ("bad status", first_line.replace("\"status\": \"completed\"", "\"status\": \"done\""), "line 1: field `status`"),
    ];
    for (name, content, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        std::fs::write(&input, content).unwrap();
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).unwrap();
        let (output, _) = render(&out_dir, &input, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}: should fail");
        assert!(stderr.contains(expected), "{name}: stderr {stderr:?} should contain {expected:?}");
        assert!(files_in(&out_dir).is_empty(), "{name}: left {:?}", files_in(&out_dir));
    }
}

#[test]
fn bad_arguments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (output, _) = render(dir.path(), Path::new(FIXTURE), &["--exported-at", "tomorrow"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not an RFC 3339 time"));
    let (output, _) = render(dir.path(), &dir.path().join("missing.jsonl"), &[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot open"));
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_large_input_streams_with_bounded_memory() {
    // 40,000 messages: more than the renderer's page, so the body is written in parts.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.jsonl");
    let spec = convo_demo::Spec {
        assistant_id: "big".into(),
        conversations: 2_000,
        messages_per_conversation: 20,
        end: "2026-11-27T00:00:00Z".parse().unwrap(),
        span_days: 90,
        seed: 1,
    };
    let mut jsonl = String::new();
    for c in convo_demo::conversations(&spec) {
        jsonl.push_str(&convo_demo::import_line(&c));
        jsonl.push('\n');
    }
    std::fs::write(&input, jsonl).unwrap();
    let (output, path) = render(dir.path(), &input, &["--exported-at", "2026-11-27T00:00:00Z"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let html = std::fs::read_to_string(path).unwrap();
    assert!(html.ends_with("</html>\n"));
    assert!(!html.contains("INTERNAL"), "internal fields of the import leaked");
    let articles = html.matches("<article class=\"conv\"").count();
    assert!(articles > 1_800 && articles < 2_000, "{articles} completed conversations");
}

#[test]
fn redact_flags_mask_every_kind_and_name_and_keep_look_alikes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let line = serde_json::json!({
        "id": "c1", "assistant_id": "bot", "channel": "Gmail", "status": "completed",
        "started_at": "2026-11-01T09:00:00Z", "ended_at": "2026-11-01T09:05:00Z",
        "contact": {"name": "Dana Reyes", "email": "dana.reyes@example.com"},
        "summary": "Dana Reyes, card 5555 5555 5555 4444",
        "messages": [
            {"role": "user", "content": "Me: dana.reyes@example.com, +49 151 1234 5678, FR14 2004 1010 0505 0001 3M02 606, 203.0.113.9; order 5555 5555 5555 4445", "at": "2026-11-01T09:00:00Z"},
            {"role": "assistant", "content": "Thanks, Jo Park will call.", "at": "2026-11-01T09:01:00Z"}
        ]
    });
    std::fs::write(&input, format!("{line}\n")).unwrap();
    let (output, path) =
        render(dir.path(), &input, &["--redact", "emails,phones,cards,ibans,ips", "--redact-names", "Jo Park", "--pseudonyms"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let html = std::fs::read_to_string(&path).unwrap();
    for secret in ["Dana", "Reyes", "dana.reyes", "151 1234", "FR14", "203.0.113", "5555 5555 5555 4444", "Jo Park"] {
        assert!(!html.contains(secret), "{secret} survived");
    }
    assert!(html.contains("order 5555 5555 5555 4445"), "a number failing Luhn was masked");
    assert!(html.contains("[card ••4444]") && html.contains("Contact 1") && html.contains("[name] will call"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("matches masked"));
}

#[test]
fn an_unknown_redaction_kind_is_named_on_stderr_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (output, _) = render(dir.path(), Path::new(FIXTURE), &["--redact", "emails,passports"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("passports") && stderr.contains("ibans"), "{stderr}");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn render_format_writes_each_format_that_verify_accepts_and_an_edit_it_names() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["jsonl", "csv", "markdown"] {
        let (output, out) = render(dir.path(), Path::new(FIXTURE), &["--format", format, "--exported-at", "2026-11-27T12:00:00Z"]);
        assert!(output.status.success(), "{format}: {}", String::from_utf8_lossy(&output.stderr));
        let file = std::fs::read_to_string(&out).unwrap();
        assert!(!file.starts_with("<!DOCTYPE"), "{format}");
        let verify = |path: &Path| Command::new(env!("CARGO_BIN_EXE_convo-export")).arg("verify").arg(path).output().unwrap();
        let checked = verify(&out);
        assert!(checked.status.success(), "{format}: {}", String::from_utf8_lossy(&checked.stderr));
        let edited = dir.path().join(format!("edited.{format}"));
        std::fs::write(&edited, file.replacen("refund?", "refund? (edited)", 1)).unwrap();
        let checked = verify(&edited);
        assert!(!checked.status.success(), "{format}: an edit fails verify");
        let said = format!("{}{}", String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
        assert!(said.contains("conv-1") && said.contains("edited"), "{format}: {said}");
        std::fs::remove_file(&out).unwrap();
    }
    // The JSON Lines export renders again, its manifest line skipped: the same conversations.
    let (_, jsonl) = render(dir.path(), Path::new(FIXTURE), &["--format", "jsonl", "--exported-at", "2026-11-27T12:00:00Z"]);
    let again_in = dir.path().join("again.jsonl");
    std::fs::rename(&jsonl, &again_in).unwrap();
    let (output, again) = render(dir.path(), &again_in, &["--format", "jsonl", "--exported-at", "2026-11-27T12:00:00Z"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&again_in).unwrap(), "an export of an export is the same file");
}

#[test]
fn an_unknown_format_is_named_on_stderr_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (output, _) = render(dir.path(), Path::new(FIXTURE), &["--format", "pdf"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pdf") && stderr.contains("markdown"), "{stderr}");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn time_zone_shows_every_time_there_and_an_unknown_one_is_named_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--exported-at", "2026-11-27T12:00:00Z", "--time-zone", "Europe/Berlin", "--format", "markdown"];
    let (output, path) = render(dir.path(), Path::new(FIXTURE), &args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(md.contains("2026-11-27 13:00 +01:00"), "the export time, in Berlin");
    assert!(md.contains("Time zone") && md.contains("Europe/Berlin") && !md.contains(" UTC\n"));
    std::fs::remove_file(&path).unwrap();
    let (output, _) = render(dir.path(), Path::new(FIXTURE), &["--time-zone", "Mars/Olympus"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Mars/Olympus"));
    assert_eq!(files_in(dir.path()), Vec::<String>::new(), "nothing written");
}
