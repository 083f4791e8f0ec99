//! Names to mask: whole words in any case, a space in a name matching any run of white
//! space, all of a text's names found in one pass.
//!
//! The pass jumps from one byte that may start a name to the next (a table of 256), and
//! decodes a character only there: a walk that lowercased every character once per
//! name took 1.1 s of a 1.7 s redaction of 200,000 messages (the render bench, two
//! listed names and a contact's own), most of it Unicode look-ups on ASCII text.

use super::scan::{Mask, Span};

/// A name to find: its characters, lowercased, and what replaces it.
pub(super) struct Sought {
    pub(super) chars: Vec<char>,
    pub(super) mask: Mask,
}

pub(super) fn sought(name: &str, mask: Mask) -> Option<Sought> {
    let chars: Vec<char> = name.trim().chars().flat_map(char::to_lowercase).collect();
    (!chars.is_empty()).then_some(Sought { chars, mask })
}

pub(super) fn eq_lower(text: &str, chars: &[char]) -> bool {
    text.chars().flat_map(char::to_lowercase).eq(chars.iter().copied())
}

/// The characters whose lowercase begins with a character `f` and yet whose first UTF-8
/// byte is neither `f`'s nor that of `f`'s uppercase: a name starting with `f` may
/// start with them too (`test::these_are_all_the_characters_that_lower_elsewhere`
/// checks the list against all of Unicode).
const LOWER_ELSEWHERE: [(char, char); 6] =
    [('\u{130}', 'i'), ('\u{3F4}', 'θ'), ('\u{1E9E}', 'ß'), ('\u{2126}', 'ω'), ('\u{212A}', 'k'), ('\u{212B}', 'å')];

fn lead(c: char) -> usize {
    let mut buf = [0u8; 4];
    usize::from(c.encode_utf8(&mut buf).as_bytes()[0])
}

/// The names sought in one text and the bytes that may start one of them.
pub(super) struct Names<'n> {
    names: Vec<&'n Sought>,
    starts: [bool; 256],
}

impl<'n> Names<'n> {
    pub(super) fn new(names: impl Iterator<Item = &'n Sought>) -> Names<'n> {
        let names: Vec<&Sought> = names.collect();
        let mut starts = [false; 256];
        for name in &names {
            // The first bytes of every character whose lowercase is the name's first.
            let first = name.chars[0];
            starts[lead(first)] = true;
            for upper in first.to_uppercase() {
                starts[lead(upper)] = true;
            }
            for (other, lower) in LOWER_ELSEWHERE {
                if lower == first {
                    starts[lead(other)] = true;
                }
            }
        }
        Names { names, starts }
    }

    /// Every whole-word match of any name in `text`.
    pub(super) fn find(&self, text: &str, spans: &mut Vec<Span>) {
        if self.names.is_empty() {
            return;
        }
        let t = text.as_bytes();
        let mut i = 0;
        while i < t.len() {
            // Most candidates are inside a word: one byte before says so, undecoded.
            if !self.starts[usize::from(t[i])] || i > 0 && t[i - 1].is_ascii_alphanumeric() && t[i].is_ascii() {
                i += 1;
                continue;
            }
            // A start byte is ASCII or a lead byte, so `i` is a character boundary.
            let Some(c) = text[i..].chars().next() else { return };
            let width = c.len_utf8();
            // The first character must be a name's (selective, and cheap for ASCII)
            // before the character behind is decoded to see a word start.
            let first = if c.is_ascii() { c.to_ascii_lowercase() } else { c.to_lowercase().next().unwrap_or(c) };
            let mut sought = self.names.iter().filter(|n| n.chars[0] == first).peekable();
            if sought.peek().is_some() && (unspaced(c) || text[..i].chars().next_back().is_none_or(|b| !b.is_alphanumeric())) {
                for name in sought {
                    if let Some(end) = match_at(text, i, &name.chars)
                        && (name.chars.last().is_some_and(|l| unspaced(*l))
                            || text[end..].chars().next().is_none_or(|n| !n.is_alphanumeric()))
                    {
                        spans.push(Span { start: i, end, mask: name.mask.clone() });
                    }
                }
            }
            i += width;
        }
    }
}

/// Whether `c` is of a script written without spaces between words (Han, kana, Thai,
/// Lao, Khmer, Myanmar): a name of it is found wherever it stands, since its
/// neighbours are letters too (`佐藤花子さん`).
fn unspaced(c: char) -> bool {
    matches!(u32::from(c),
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF // Han
    )
}

/// Where `chars` (lowercase) end when they match `text` from `start`.
fn match_at(text: &str, start: usize, chars: &[char]) -> Option<usize> {
    let mut rest = text[start..].char_indices().peekable();
    let mut wanted = chars.iter().peekable();
    while let Some(&w) = wanted.next() {
        if w.is_whitespace() {
            let mut any = false;
            while rest.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                rest.next();
                any = true;
            }
            if !any {
                return None;
            }
            while wanted.peek().is_some_and(|c| c.is_whitespace()) {
                wanted.next();
            }
            continue;
        }
        let (_, c) = rest.next()?;
        let mut lower = c.to_lowercase();
        if lower.next() != Some(w) {
            return None;
        }
        // A character whose lowercase is longer (`İ` → `i̇`) takes its tail from `chars`.
        for tail in lower {
            if wanted.next() != Some(&tail) {
                return None;
            }
        }
    }
    Some(rest.peek().map_or(text.len(), |(i, _)| start + i))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn these_are_all_the_characters_that_lower_elsewhere() {
        let found: Vec<(char, char)> = (0x80..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter_map(|c| c.to_lowercase().next().filter(|f| *f != c).map(|f| (c, f)))
            .filter(|&(c, f)| lead(c) != lead(f) && f.to_uppercase().all(|u| lead(u) != lead(c)))
            .collect();
        assert_eq!(found, LOWER_ELSEWHERE);
    }

    fn find(names: &[&str], text: &str) -> Vec<String> {
        let sought: Vec<Sought> = names.iter().filter_map(|n| sought(n, Mask::Name)).collect();
        let mut spans = Vec::new();
        Names::new(sought.iter()).find(text, &mut spans);
        spans.sort_by_key(|s| s.start);
        spans.iter().map(|s| text[s.start..s.end].to_string()).collect()
    }

    #[test]
    fn names_of_any_script_are_found_at_word_starts_only() {
        assert_eq!(find(&["Ana Souza", "Kenji"], "ana  souza, KENJI; Banana Souza; Kenjis"), ["ana  souza", "KENJI"]);
        assert_eq!(find(&["Łukasz", "佐藤 花子"], "łUKASZ 和佐藤 花子 and xŁukasz"), ["łUKASZ", "佐藤 花子"]);
        // Scripts without spaces: the name is found between other letters.
        assert_eq!(find(&["佐藤花子", "สมชาย"], "こんにちは佐藤花子さん、คุณสมชายครับ"), ["佐藤花子", "สมชาย"]);
        assert_eq!(find(&["kelvin", "İstanbul"], "\u{212A}elvin İSTANBUL"), ["\u{212A}elvin", "İSTANBUL"]);
        assert_eq!(find(&["Zoë"], "éZoë zoë"), ["zoë"]);
        assert_eq!(find(&["Олег Петров", "ωμέγα"], "ОЛЕГ петров и \u{2126}μέγα"), ["ОЛЕГ петров", "\u{2126}μέγα"]);
        assert!(find(&[], "anything").is_empty());
    }
}
