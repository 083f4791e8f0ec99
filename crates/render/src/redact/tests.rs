//! The redactor on texts and whole exports: planted values of each kind are gone from
//! every byte of the file, their look-alikes stay.

use super::*;
use crate::{ExportHeader, render_to_string};
use convo_model::{ExportFilters, Redaction};

fn all_kinds() -> Redaction {
    Redaction { emails: true, phones: true, cards: true, ibans: true, ips: true, ..Redaction::default() }
}

fn masked(spec: &Redaction, text: &str) -> String {
    Redactor::new(spec).text(text).into_owned()
}

#[test]
fn each_kind_is_masked_with_its_typed_mask() {
    let text = "Mail ana@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, from 10.1.2.3.";
    assert_eq!(masked(&all_kinds(), text), "Mail [email] or call [phone]; card [card ••1111], IBAN [iban], from [ip].");
}

#[test]
fn only_the_kinds_asked_for_are_masked() {
    let text = "ana@example.com 10.1.2.3";
    assert_eq!(masked(&Redaction { ips: true, ..Redaction::default() }, text), "ana@example.com [ip]");
    assert_eq!(masked(&Redaction::default(), text), text);
}

#[test]
fn look_alikes_stay() {
    let text =
        "Order 4111 1111 1111 1112 shipped 2026-11-01 at 09:30:00, invoice 12345678, v1.2.3, total 1,234.56, DE89370400440532013001.";
    assert_eq!(masked(&all_kinds(), text), text);
}

#[test]
fn names_are_whole_words_in_any_case_and_across_line_breaks() {
    let spec = Redaction { names: vec!["Ana Souza".into(), "Łukasz".into()], ..Redaction::default() };
    assert_eq!(
        masked(&spec, "ANA SOUZA and ana\nsouza met łukasz; Anastasia Souzas stays"),
        "[name] and [name] met [name]; Anastasia Souzas stays"
    );
}

#[test]
fn the_tally_counts_each_kind() {
    let mut r = Redactor::new(&Redaction { names: vec!["Bo".into()], ..all_kinds() });
    r.text("a@b.co c@d.co Bo 192.168.1.1");
    let t = r.tally();
    assert_eq!((t.emails, t.names, t.ips, t.total()), (2, 1, 1, 4));
}

fn conversation(id: &str, name: &str, email: &str, text: &str) -> convo_model::Conversation {
    serde_json::from_value(serde_json::json!({
        "id": id, "assistant_id": "bot", "channel": "Gmail", "status": "completed",
        "started_at": "2026-11-01T09:00:00Z", "ended_at": "2026-11-01T09:05:00Z",
        "contact": {"name": name, "email": email},
        "summary": format!("{name} asked about {email}"),
        "messages": [
            {"role": "user", "content": text, "at": "2026-11-01T09:00:00Z"},
            {"role": "assistant", "content": format!("Hello **{}**, we wrote to {email}.", name.split(' ').next().unwrap_or(name)), "at": "2026-11-01T09:01:00Z"}
        ]
    }))
    .unwrap()
}

#[test]
fn pseudonyms_are_consistent_within_a_file_and_hide_names_and_emails_everywhere() {
    let spec = Redaction { contacts: Contacts::Pseudonyms, ..Redaction::default() };
    let mut header = ExportHeader::new("Bot", Some("bot".into()), "2026-11-02T00:00:00Z".parse().unwrap(), None);
    header.redaction = spec;
    header.filters = ExportFilters { contact: Some("ana.souza@example.com".into()), ..ExportFilters::default() };
    let html = render_to_string(
        header,
        &[
            conversation("c1", "Ana Souza", "ana.souza@example.com", "I am Ana, mail ana.souza@example.com"),
            conversation("c2", "Bruno Lima", "bruno@example.org", "Bruno here"),
            conversation("c3", "Ana Souza", "ANA.SOUZA@example.com", "Ana again"),
        ],
    );
    for secret in ["Ana", "Souza", "ana.souza", "ANA.SOUZA", "Bruno", "Lima", "bruno@"] {
        assert!(!html.contains(secret), "{secret} survived");
    }
    assert!(html.matches("Contact 1").count() >= 2 && html.matches("Contact 2").count() >= 1);
    assert!(!html.contains("Contact 3"), "the same contact got a second pseudonym");
    assert!(html.contains("Hello <strong>Contact 1</strong>"));
    assert!(html.contains("<dt>Redacted</dt><dd>contacts as pseudonyms</dd>"));
    assert!(html.contains(r#""redaction":{"kinds":[],"names":0,"contacts":"pseudonyms"}"#));
    // Three conversations, two contacts: counted as stored.
    if let Err(e) = crate::manifest::verify(&html) {
        panic!("{e:?}");
    }
}

#[test]
fn a_contacts_own_names_hold_in_its_conversation_only_and_win_over_a_listed_name() {
    let spec = Redaction { names: vec!["Ana Souza".into()], contacts: Contacts::Pseudonyms, ..Redaction::default() };
    let mut header = ExportHeader::new("Bot", Some("bot".into()), "2026-11-02T00:00:00Z".parse().unwrap(), None);
    header.redaction = spec;
    let html = render_to_string(
        header,
        &[
            conversation("c1", "Ana Souza", "ana.souza@example.com", "Ana Souza here, Souza for short"),
            conversation("c2", "Bruno Lima", "bruno@example.org", "Souza told me, Lima here"),
        ],
    );
    // In Ana's conversation her names are her pseudonym, the listed name's mask lost.
    assert!(html.contains("Contact 1 here, Contact 1 for short"), "{html}");
    // In Bruno's, Ana's own names are no longer sought (`Souza` alone is not listed),
    // and his are.
    assert!(html.contains("Souza told me, Contact 2 here"), "{html}");
}

#[test]
fn a_redacted_export_masks_every_byte_of_the_file_and_still_verifies() {
    let spec = Redaction { names: vec!["Carla Dias".into()], ..all_kinds() };
    let mut header = ExportHeader::new("Bot", Some("bot".into()), "2026-11-02T00:00:00Z".parse().unwrap(), None);
    header.redaction = spec;
    header.filters =
        ExportFilters { contact: Some("carla@example.com".into()), text: Some("4111111111111111".into()), ..ExportFilters::default() };
    let text =
        "Carla Dias here, carla@example.com, +1 (555) 123-4567, 4111111111111111, GB82WEST12345698765432, 2001:db8::1; order 1234567890123";
    let html = render_to_string(header, &[conversation("c1", "Carla Dias", "carla@example.com", text)]);
    // Long enough not to turn up in a SHA-256 digest by chance.
    for secret in ["Carla", "carla@", "(555) 123-4567", "4111111111111111", "GB82", "2001:db8"] {
        assert!(!html.contains(secret), "{secret} survived");
    }
    assert!(html.contains("order 1234567890123"), "a look-alike was masked");
    assert!(html.contains("[card ••1111]") && html.contains("[iban]") && html.contains("[ip]") && html.contains("[phone]"));
    assert!(html.contains("<dt>Redacted</dt><dd>emails, phones, cards, ibans, ips, 1 name</dd>"));
    assert!(crate::manifest::verify(&html).is_ok());
}

/// Every find of every kind in `text`, each kind tried at every place (as the scans did
/// before marks told them where to look).
fn found_everywhere(names: &Names, text: &str) -> Vec<Span> {
    let t = text.as_bytes();
    let every: Vec<usize> = (0..t.len()).filter(|i| text.is_char_boundary(*i)).collect();
    let mut spans = Vec::new();
    for detect in [scan::emails, scan::cards, scan::ibans, scan::ips, scan::phones] {
        detect(t, &every, &mut spans);
    }
    names.find(text, &every, &mut spans);
    spans.sort_by_key(|s| (s.start, s.end));
    spans
}

/// Every find of every kind in `text`, each kind tried where the marks say.
fn found_at_marks(names: &Names, text: &str) -> Vec<Span> {
    let t = text.as_bytes();
    let mut marks = Marks::default();
    names.classes.mark(t, &mut marks);
    let mut spans = Vec::new();
    scan::emails(t, &marks.ats, &mut spans);
    for detect in [scan::cards, scan::ibans, scan::ips, scan::phones] {
        detect(t, &marks.numerals, &mut spans);
    }
    names.find(text, &marks.names, &mut spans);
    spans.sort_by_key(|s| (s.start, s.end));
    spans
}

#[test]
fn marks_pass_over_no_place_where_a_find_begins() {
    // Texts of pieces of every kind, their look-alikes, and what borders them.
    const PIECES: [&str; 43] = [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "+44 20 7946 0958",
        "(555) 123-4567",
        "020 7946 0958",
        "0044 20 7946 0958",
        "192.168.0.1",
        "fe80::1ff:fe23:4567:890a",
        "::1",
        "2001:db8::7",
        "::ffff:192.0.2.128",
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "ana.souza@example.com",
        "a@b.co",
        "Ana",
        "Souza",
        "ANA  souza",
        "and",
        "佐藤花子",
        "İstanbul",
        "\u{212A}enji",
        "kenji",
        " ",
        " ",
        "\n",
        ".",
        ",",
        ":",
        "+",
        "(",
        ")",
        "-",
        "7",
        "12",
        "x",
        "é",
        "_",
        "@",
        "ff",
        "J Doe",
        "j\u{2003}doe",
        "a",
    ];
    let mut finds = Tally::default();
    // Names of one character, or with a space second, are marked whatever follows
    // their first.
    for (k, listed) in [["Ana Souza", "Kenji", "佐藤花子", "İstanbul"], ["A", "J Doe", "ff", "\u{212A}enji"]].iter().enumerate() {
        let names = Names::of(listed.iter().filter_map(|n| sought(n, Mask::Name)));
        // A fixed xorshift: the same texts on every run.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let text: String = (0..next() % 12).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
            let everywhere = found_everywhere(&names, &text);
            assert_eq!(found_at_marks(&names, &text), everywhere, "{listed:?} in {text:?}");
            if k == 0 {
                everywhere.iter().for_each(|s| count(&mut finds, &s.mask));
            }
        }
    }
    let Tally { emails, phones, cards, ibans, ips, names, .. } = finds;
    assert!([emails, phones, cards, ibans, ips, names].iter().all(|n| *n > 100), "the texts hold finds of every kind: {finds:?}");
}
