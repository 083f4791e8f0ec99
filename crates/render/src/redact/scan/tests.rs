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

/// Cards as the definition says, tried afresh at every numeral: a run's digits from
/// there, Luhn over them.
fn cards_tried_at_every_group(t: &[u8], numerals: &[usize]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut next = 0;
    for &start in numerals {
        if start < next || !number_start(t, start) {
            continue;
        }
        let Groups { digits: n, end, .. } = digit_groups(t, start, b" -", false);
        if !(CARD_DIGITS..=19).contains(&n)
            || !bounded(t, start, end)
            || t[end..].starts_with(b".") && t.get(end + 1).is_some_and(u8::is_ascii_digit)
        {
            continue;
        }
        let digits: Vec<u32> = t[start..end].iter().filter(|b| b.is_ascii_digit()).map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = digits.iter().rev().enumerate().map(|(i, &d)| if i % 2 == 1 { (d * 2) / 10 + (d * 2) % 10 } else { d }).sum();
        if sum.is_multiple_of(10) {
            let last: Vec<u8> = digits[n - 4..].iter().map(|d| b'0' + *d as u8).collect();
            spans.push(Span { start, end, mask: Mask::Card(last.try_into().unwrap()) });
            next = end;
        }
    }
    spans
}

#[test]
fn a_card_in_a_longer_run_of_groups_is_the_tail_the_definition_finds() {
    assert_eq!(found(cards, "ref 1 4111 1111 1111 1111"), ["4111 1111 1111 1111"]);
    assert_eq!(found(cards, "9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 4111 1111 1111 1111"), ["4111 1111 1111 1111"]);
    // Runs of random groups, separators and borders: the walk back from a run's end
    // finds what trying each group afresh finds.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let cards_known = ["4111111111111111", "4012888888881881", "378282246310005", "6011111111111117"];
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..next(12) {
            match next(9) {
                0 => text.push_str(cards_known[next(4) as usize]),
                1 => text.push(' '),
                2 => text.push('-'),
                3 => text.push('.'),
                4 => text.push('x'),
                _ => (0..1 + next(5)).for_each(|_| text.push(char::from(b'0' + next(10) as u8))),
            }
        }
        let mut marks = Marks::default();
        Classes::new().mark(text.as_bytes(), &mut marks);
        let mut spans = Vec::new();
        cards(text.as_bytes(), &marks.numerals, &mut spans);
        assert_eq!(spans, cards_tried_at_every_group(text.as_bytes(), &marks.numerals), "in {text:?}");
    }
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
