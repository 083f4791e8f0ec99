//! The detectors: each finds the spans of one kind in a text, byte offsets into it. All
//! patterns are ASCII, so scanning bytes is safe in UTF-8 (no ASCII byte is ever part of
//! a longer character) and a match may touch any non-ASCII text (CJK has no spaces).
//!
//! Each checks what a number claims before masking it: cards only when the Luhn check
//! holds, IBANs only when mod-97 holds, so order numbers, dates and amounts stay.

mod ips;

pub use ips::ips;

/// A found span and what replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub mask: Mask,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mask {
    Email,
    Phone,
    /// The card's last four digits.
    Card([u8; 4]),
    Iban,
    Ip,
    Name,
    /// A contact's own name, as its pseudonym `Contact n`.
    Pseudonym(u64),
}

impl Mask {
    pub fn push(&self, out: &mut String) {
        match self {
            Mask::Email => out.push_str("[email]"),
            Mask::Phone => out.push_str("[phone]"),
            Mask::Card(last) => {
                out.push_str("[card \u{2022}\u{2022}");
                out.extend(last.iter().map(|d| char::from(*d)));
                out.push(']');
            }
            Mask::Iban => out.push_str("[iban]"),
            Mask::Ip => out.push_str("[ip]"),
            Mask::Name => out.push_str("[name]"),
            Mask::Pseudonym(n) => {
                use std::fmt::Write;
                let _ = write!(out, "Contact {n}");
            }
        }
    }
}

fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether nothing word-like touches `start..end`.
fn bounded(t: &[u8], start: usize, end: usize) -> bool {
    (start == 0 || !word(t[start - 1])) && t.get(end).is_none_or(|b| !word(*b))
}

/// `local@domain.tld`: the local part of RFC 5322's usual characters, a domain of
/// labels with a dot and a top-level label of two letters at least.
pub fn emails(t: &[u8], ats: &[usize], out: &mut Vec<Span>) {
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-'".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let mut from = 0;
    for &at in ats {
        if at < from || t[at] != b'@' {
            continue;
        }
        from = at + 1;
        let mut start = at;
        while start > 0 && local(t[start - 1]) {
            start -= 1;
        }
        while start < at && !t[start].is_ascii_alphanumeric() {
            start += 1;
        }
        let mut end = at + 1;
        while end < t.len() && domain(t[end]) {
            end += 1;
        }
        while end > at + 1 && !t[end - 1].is_ascii_alphanumeric() {
            end -= 1;
        }
        let host = &t[at + 1..end];
        let Some(dot) = host.iter().rposition(|b| *b == b'.') else { continue };
        let tld = &host[dot + 1..];
        if start == at || dot == 0 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
            continue;
        }
        out.push(Span { start, end, mask: Mask::Email });
        from = end;
    }
}

/// A run of digit groups: how many, their digits in all, the first three's lengths and
/// where the run ends. Kept on the stack: a `Vec` a run was a third of the card scan's
/// time on digit-dense text (the render bench).
#[derive(Debug, Default)]
struct Groups {
    count: usize,
    digits: usize,
    first: [usize; 3],
    end: usize,
}

impl Groups {
    fn is(&self, lengths: &[usize]) -> bool {
        self.count == lengths.len() && self.first[..self.count.min(3)] == lengths[..lengths.len().min(3)]
    }
}

/// Digit groups from `start`, separated by one of `seps` (a group may be wrapped in
/// parentheses when `parens`).
fn digit_groups(t: &[u8], start: usize, seps: &[u8], parens: bool) -> Groups {
    let mut groups = Groups { end: start, ..Groups::default() };
    let mut i = start;
    loop {
        let open = parens && t.get(i) == Some(&b'(');
        let g = i + usize::from(open);
        let mut j = g;
        while j < t.len() && t[j].is_ascii_digit() {
            j += 1;
        }
        if j == g || (open && t.get(j) != Some(&b')')) {
            break;
        }
        if let Some(first) = groups.first.get_mut(groups.count) {
            *first = j - g;
        }
        groups.count += 1;
        groups.digits += j - g;
        let after = j + usize::from(open);
        groups.end = after;
        match t.get(after) {
            // Not `seps.contains`, which calls `memchr`: that call was a third of the
            // card and phone scans on digit-dense text (the render bench).
            Some(s)
                if seps.iter().any(|sep| sep == s) && t.get(after + 1).is_some_and(|n| n.is_ascii_digit() || (parens && *n == b'(')) =>
            {
                i = after + 1
            }
            // `(555) 123`: a closing parenthesis may be the separator itself.
            _ if open && t.get(after).is_some_and(u8::is_ascii_digit) => i = after,
            _ => break,
        }
    }
    groups
}

/// Whether a digit run that could be a number starts at `i` (no word, dot or comma just
/// before).
fn number_start(t: &[u8], i: usize) -> bool {
    t[i].is_ascii_digit() && (i == 0 || !(word(t[i - 1]) || t[i - 1] == b'.' || t[i - 1] == b','))
}

/// The fewest digits a card, an IBAN (its check digits) and a phone number have: a text
/// with fewer is not scanned for them.
pub const CARD_DIGITS: usize = 13;
pub const IBAN_DIGITS: usize = 2;
pub const PHONE_DIGITS: usize = 7;
pub const IP_DIGITS: usize = 1;

/// 13 to 19 digits, alone or in groups split by single spaces or hyphens, whose Luhn
/// check holds. In a longer run of groups, the card is the run's tail from the first
/// group where 13 to 19 digits are left and the check holds (`1 4111 1111 1111 1111`).
pub fn cards(t: &[u8], numerals: &[usize], out: &mut Vec<Span>) {
    let mut next = 0;
    for &start in numerals {
        if start < next || !number_start(t, start) {
            continue;
        }
        let Groups { digits, end, .. } = digit_groups(t, start, b" -", false);
        // Every numeral inside the run begins one of its groups, and each of those is
        // tried as a tail below: trying each again from its own numeral walked a run
        // once a group (the card scan fell from 8.5 % to 4.3 % of the masking's
        // samples on digit-dense text, perf on the render bench).
        next = end;
        if digits < CARD_DIGITS
            || !bounded(t, start, end)
            || t.get(end).is_some_and(|b| *b == b'.' && t.get(end + 1).is_some_and(u8::is_ascii_digit))
        {
            continue;
        }
        if let Some((from, last)) = card_tail(t, start, end) {
            out.push(Span { start: from, end, mask: Mask::Card(last) });
        }
    }
}

/// Where the card that the run of digit groups `start..end` ends with begins, and its
/// last four digits: the first group from which 13 to 19 digits are left and the Luhn
/// check holds. Luhn counts from the last digit, so one walk back from the end sums
/// every tail.
fn card_tail(t: &[u8], start: usize, end: usize) -> Option<(usize, [u8; 4])> {
    let (mut sum, mut n, mut last, mut found) = (0u32, 0usize, [0u8; 4], None);
    for j in (start..end).rev() {
        let b = t[j];
        if !b.is_ascii_digit() {
            continue;
        }
        let d = u32::from(b - b'0');
        sum += if n % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d };
        if let Some(slot) = 3usize.checked_sub(n) {
            last[slot] = b;
        }
        n += 1;
        if n > 19 {
            break;
        }
        let group_starts = j == start || !t[j - 1].is_ascii_digit();
        if group_starts && n >= CARD_DIGITS && sum.is_multiple_of(10) {
            found = Some(j);
        }
    }
    found.map(|from| (from, last))
}

/// A country code, two check digits and 11 to 30 letters or digits, written in one
/// piece or in groups of four; masked when the ISO 13616 mod-97 check gives 1. The
/// longest grouping that checks wins, so a word after it is never swallowed.
pub fn ibans(t: &[u8], numerals: &[usize], out: &mut Vec<Span>) {
    // Two letters, then two digits: sought two bytes before each digit run.
    let opens = |i: usize| {
        t.get(i..i + 4)
            .is_some_and(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic() && w[2].is_ascii_digit() && w[3].is_ascii_digit())
    };
    let mut from = 0;
    for i in numerals.iter().filter_map(|d| d.checked_sub(2)) {
        if i < from || !opens(i) || i > 0 && word(t[i - 1]) {
            continue;
        }
        // Candidate ends: after each run of letters and digits, with single spaces
        // between groups of four; at most nine (34 characters in groups of four). On
        // the stack, as in `mod97`, which spares two allocations a candidate.
        let mut ends = [(0usize, 0usize); 9];
        let mut found_ends = 0;
        let mut j = i;
        let mut chars = 0;
        loop {
            let g = j;
            while j < t.len() && t[j].is_ascii_alphanumeric() && chars < 34 {
                j += 1;
                chars += 1;
            }
            if j < t.len() && t[j].is_ascii_alphanumeric() {
                break; // longer than an IBAN
            }
            ends[found_ends] = (j, chars);
            found_ends += 1;
            if found_ends < ends.len() && j - g == 4 && t.get(j) == Some(&b' ') && t.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
                j += 1;
            } else {
                break;
            }
        }
        let found =
            ends[..found_ends].iter().rev().find(|(end, chars)| (15..=34).contains(chars) && bounded(t, i, *end) && mod97(&t[i..*end]));
        if let Some(&(end, _)) = found {
            out.push(Span { start: i, end, mask: Mask::Iban });
            from = end;
        }
    }
}

fn mod97(iban: &[u8]) -> bool {
    // The first four characters go last; spaces are no characters.
    let chars = || iban.iter().copied().filter(|b| *b != b' ').map(|b| b.to_ascii_uppercase());
    // Reduced only when it grows past 2^56 (a hundred times that still fits), not at
    // every character: a chain of divisions was the IBAN scan's hottest line (perf on
    // the render bench's digit-dense text).
    let mut n: u64 = 0;
    for c in chars().skip(4).chain(chars().take(4)) {
        let value = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'A'..=b'Z' => u64::from(c - b'A') + 10,
            _ => return false,
        };
        n = if value >= 10 { n * 100 + value } else { n * 10 + value };
        if n >= 1 << 56 {
            n %= 97;
        }
    }
    n % 97 == 1
}

/// Phone numbers: `+` (or `00`) and 7 to 15 digits in groups (E.164's most); national
/// forms in groups with a trunk `0` or an area code in parentheses, or the North
/// American 3-3-4, or 10 to 11 digits in one piece after a trunk `0`. A date
/// (`01.02.2026`, `2026-11-01`), a version or a plain order number is none of these.
pub fn phones(t: &[u8], numerals: &[usize], out: &mut Vec<Span>) {
    let mut next = 0;
    for &i in numerals {
        let b = t[i];
        let fresh = i == 0 || !(word(t[i - 1]) || t[i - 1] == b'.' || t[i - 1] == b',' || t[i - 1] == b'+');
        if i < next || !fresh || !(b.is_ascii_digit() || b == b'+' || b == b'(') {
            continue;
        }
        let plus = b == b'+';
        let digits_at = i + usize::from(plus);
        let groups = digit_groups(t, digits_at, b" -./", true);
        let (n, end) = (groups.digits, groups.end);
        if groups.count == 0
            || !bounded(t, digits_at, end)
            || t.get(end).is_some_and(|b| *b == b'.' && t.get(end + 1).is_some_and(u8::is_ascii_digit))
        {
            continue;
        }
        let first = t[digits_at..].iter().find(|b| b.is_ascii_digit()).copied();
        let parenthesised = t[digits_at] == b'(';
        let international = plus || (t[digits_at..].starts_with(b"00") && groups.first[0] <= 4 && groups.count > 1);
        let [g0, g1, g2] = groups.first;
        let date_like = groups.count == 3 && ((g0 <= 2 && g1 <= 2 && g2 == 4) || (g0 == 4 && g1 <= 2 && g2 <= 2));
        let phone = (PHONE_DIGITS..=15).contains(&n)
            && !date_like
            && if international {
                groups.count > 1 || plus
            } else if groups.count == 1 {
                first == Some(b'0') && (10..=11).contains(&n)
            } else {
                parenthesised || first == Some(b'0') || groups.is(&[3, 3, 4])
            };
        if phone {
            out.push(Span { start: i, end, mask: Mask::Phone });
            next = end;
        } else {
            next = end.max(i + 1);
        }
    }
}

#[cfg(test)]
mod tests;
