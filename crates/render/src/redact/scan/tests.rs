//! Each detector on its own: what it finds, and the look-alikes it leaves.

use super::super::marks::{Classes, Marks};
use super::*;

/// What `detect` finds in `text` where its marks say (`@` for emails, numerals
/// for the rest).
fn found(detect: fn(&[u8], &[usize], &mut Vec<Span>), text: &str) -> Vec<String> {
    let mut marks = Marks::default();
    Classes::new().mark(text.as_bytes(), &mut marks);
    let mut spans = Vec::new();
    detect(text.as_bytes(), &marks.numerals, &mut spans);
    detect(text.as_bytes(), &marks.ats, &mut spans);
    spans.iter().map(|s| text[s.start..s.end].to_string()).collect()
}

#[test]
fn emails_are_found_in_prose_punctuation_and_other_scripts() {
    assert_eq!(found(emails, "mail ana.souza+tag@mail.example.com, please."), ["ana.souza+tag@mail.example.com"]);
    assert_eq!(found(emails, "邮件li@example.cn谢谢"), ["li@example.cn"]);
    assert_eq!(found(emails, "<a@b.co>"), ["a@b.co"]);
    assert!(found(emails, "at @home, x@y, me@localhost, @@").is_empty());
}

#[test]
fn cards_pass_luhn_and_look_alikes_do_not() {
    assert_eq!(found(cards, "card 4111 1111 1111 1111 ok"), ["4111 1111 1111 1111"]);
    assert_eq!(found(cards, "4012-8888-8888-1881"), ["4012-8888-8888-1881"]);
    assert_eq!(found(cards, "amex 378282246310005."), ["378282246310005"]);
    // Order numbers of card length that fail the check stay.
    assert!(found(cards, "order 4111 1111 1111 1112 and 1234567890123").is_empty());
    assert!(found(cards, "id A4111111111111111").is_empty());
}

#[test]
fn ibans_pass_mod_97_grouped_or_not_and_stop_before_the_next_word() {
    assert_eq!(found(ibans, "pay DE89 3704 0044 0532 0130 00 today"), ["DE89 3704 0044 0532 0130 00"]);
    assert_eq!(found(ibans, "GB82WEST12345698765432."), ["GB82WEST12345698765432"]);
    assert_eq!(found(ibans, "GB82 WEST 1234 5698 7654 32 Mark"), ["GB82 WEST 1234 5698 7654 32"]);
    assert!(found(ibans, "DE89 3704 0044 0532 0130 01 and DE00123456789012345").is_empty());
}

#[test]
fn ips_of_both_families_and_times_versions_stay() {
    assert_eq!(found(ips, "from 192.168.0.12, then 10.0.0.1."), ["192.168.0.12", "10.0.0.1"]);
    assert_eq!(
        found(ips, "v6 2001:db8:85a3::8a2e:370:7334 and ::1 and fe80::1ff:fe23:4567:890a"),
        ["2001:db8:85a3::8a2e:370:7334", "::1", "fe80::1ff:fe23:4567:890a"]
    );
    assert_eq!(found(ips, "::ffff:192.0.2.128"), ["::ffff:192.0.2.128"]);
    assert!(found(ips, "at 09:30:00, v1.2.3, 1.2.3.4.5, 256.1.1.1, std::io, dead::beef").is_empty());
}

#[test]
fn phones_in_international_and_national_forms_and_dates_stay() {
    for phone in [
        "+44 20 7946 0958",
        "+1 (555) 123-4567",
        "+4915112345678",
        "0044 20 7946 0958",
        "020 7946 0958",
        "(555) 123-4567",
        "555-123-4567",
        "06 12 34 56 78",
        "0612345678",
        "+33 6 12 34 56 78",
    ] {
        assert_eq!(found(phones, &format!("call {phone}.")), [phone], "{phone}");
    }
    for other in ["2026-11-01", "01.02.2026", "order 12345678", "v1.2.3", "3.14159265", "1,234,567", "123 456", "ticket #4521"] {
        assert!(found(phones, other).is_empty(), "{other}");
    }
}
