//! IP addresses: dotted quads of 0 to 255, and IPv6 (full, `::`-shortened, with an IPv4
//! tail), sought at the numerals' marks.

use super::{Mask, Span, word};

/// Dotted quads of 0 to 255, and IPv6 addresses (full, `::`-shortened, with an IPv4
/// tail); a time like `09:30:00` has neither eight groups nor `::` and stays.
pub fn ips(t: &[u8], numerals: &[usize], out: &mut Vec<Span>) {
    // An address starts with a digit, or (IPv6) a hex digit or colon with a colon among
    // its first five bytes, where no word, dot or colon ends just before: so at a mark
    // (a digit run's start or a colon), or up to four bytes before one that has a colon
    // within its first five. Each place is tried once, in order.
    let mut next = 0;
    let mut colons = Colons { t, numerals, at: 0 };
    for &p in numerals {
        let colon = colons.within_five(p);
        let mut i = if colon { p.saturating_sub(4) } else { p }.max(next);
        while i <= p {
            let b = t[i];
            if (b.is_ascii_hexdigit() || b == b':') && (i == 0 || !(word(t[i - 1]) || t[i - 1] == b'.' || t[i - 1] == b':')) {
                let v6 = if colons.within_five(i) { ipv6(t, i) } else { None };
                if let Some(end) = v6.or_else(|| if b.is_ascii_digit() { ipv4(t, i) } else { None }) {
                    out.push(Span { start: i, end, mask: Mask::Ip });
                    i = end;
                    next = end;
                    continue;
                }
            }
            i += 1;
        }
        next = next.max(p + 1);
    }
}

/// The colons among a text's numerals (which hold every colon), asked of places that
/// never go back: whether one of the five bytes from a place is a colon, what an IPv6
/// address has. Reading the bytes again at each place (`contains`, which calls
/// `memchr`) was over a quarter of the IP scan's samples on digit-dense text (perf, the
/// render bench).
struct Colons<'t> {
    t: &'t [u8],
    numerals: &'t [usize],
    /// The first numeral not before the last place asked that may be a colon.
    at: usize,
}

impl Colons<'_> {
    fn within_five(&mut self, i: usize) -> bool {
        while let Some(&q) = self.numerals.get(self.at)
            && (q < i || self.t[q] != b':')
        {
            self.at += 1;
        }
        self.numerals.get(self.at).is_some_and(|&q| q < i + 5)
    }
}

fn ipv4_at(t: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    for part in 0..4 {
        let g = i;
        while i < t.len() && t[i].is_ascii_digit() && i - g < 3 {
            i += 1;
        }
        let octet = t[g..i].iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        if i == g || octet > 255 || (i - g > 1 && t[g] == b'0') {
            return None;
        }
        if part < 3 {
            if t.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    Some(i)
}

fn ipv4(t: &[u8], start: usize) -> Option<usize> {
    let end = ipv4_at(t, start)?;
    let continues = t.get(end).is_some_and(|b| word(*b)) || (t.get(end) == Some(&b'.') && t.get(end + 1).is_some_and(u8::is_ascii_digit));
    (!continues).then_some(end)
}

fn ipv6(t: &[u8], start: usize) -> Option<usize> {
    let hex = |b: &u8| b.is_ascii_hexdigit();
    let mut i = start;
    let mut groups = 0;
    let mut shortened = false;
    let mut digit = false;
    if t.get(i..i + 2) == Some(b"::") {
        shortened = true;
        i += 2;
    }
    loop {
        if groups < 7
            && (groups > 0 || shortened)
            && let Some(end) = ipv4_at(t, i)
        {
            // An IPv4 tail counts as two groups.
            groups += 2;
            digit = true;
            i = end;
            break;
        }
        let g = i;
        while i < t.len() && hex(&t[i]) && i - g < 4 {
            digit |= t[i].is_ascii_digit();
            i += 1;
        }
        if i == g {
            break;
        }
        groups += 1;
        if t.get(i..i + 2) == Some(b"::") && !shortened {
            shortened = true;
            i += 2;
        } else if t.get(i) == Some(&b':') && t.get(i + 1).is_some_and(hex) {
            i += 1;
        } else {
            break;
        }
    }
    let whole = groups == 8 || (shortened && groups < 8);
    let end_ok = t.get(i).is_none_or(|b| !(word(*b) || *b == b':'));
    (whole && digit && end_ok && i - start >= 3 && groups <= 8).then_some(i)
}
