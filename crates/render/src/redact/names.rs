//! Names to mask: whole words in any case, a space in a name matching any run of white
//! space, all of a text's names found in one pass.
//!
//! The text is visited only where `marks` found a byte that may begin a name (a table of
//! 256), and a character is decoded only there: a walk that lowercased every character
//! once per name took 1.1 s of a 1.7 s redaction of 200,000 messages (the render bench,
//! two listed names and a contact's own), most of it Unicode look-ups on ASCII text.

use super::marks::Classes;
use super::scan::{Mask, Span};

/// A name to find: its characters, lowercased, and what replaces it.
pub(super) struct Sought {
    pub(super) chars: Vec<char>,
    pub(super) mask: Mask,
}

pub(super) fn sought(name: &str, mask: Mask) -> Option<Sought> {
    let name = name.trim();
    // Most names are ASCII, lowercased without Unicode's tables (a contact's own names
    // are sought anew in each of its conversations).
    let chars: Vec<char> = if name.is_ascii() {
        name.bytes().map(|b| char::from(b.to_ascii_lowercase())).collect()
    } else {
        name.chars().flat_map(char::to_lowercase).collect()
    };
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

/// The names sought in one text and the classes of bytes, those that may start one of
/// them among them.
pub(super) struct Names<'n> {
    names: Vec<&'n Sought>,
    pub(super) classes: Classes,
}

impl<'n> Names<'n> {
    pub(super) fn new(names: impl Iterator<Item = &'n Sought>) -> Names<'n> {
        let names: Vec<&Sought> = names.collect();
        let mut starts = [false; 256];
        for name in &names {
            // The first bytes of every character whose lowercase is the name's first.
            let first = name.chars[0];
            starts[lead(first)] = true;
            if first.is_ascii() {
                starts[lead(first.to_ascii_uppercase())] = true;
            } else {
                for upper in first.to_uppercase() {
                    starts[lead(upper)] = true;
                }
            }
            for (other, lower) in LOWER_ELSEWHERE {
                if lower == first {
                    starts[lead(other)] = true;
                }
            }
        }
        Names { names, classes: Classes::new(&starts) }
    }

    /// Every whole-word match of any name in `text`, looked for at `marks` (where the
    /// classes found a byte that may begin one, not inside an ASCII word).
    pub(super) fn find(&self, text: &str, marks: &[usize], spans: &mut Vec<Span>) {
        if self.names.is_empty() {
            return;
        }
        let t = text.as_bytes();
        let mut next = 0;
        for &i in marks {
            if i < next || !self.classes.may_begin_name(t, i) {
                continue;
            }
            // A start byte is ASCII or a lead byte, so `i` is a character boundary.
            let Some(c) = text[i..].chars().next() else { return };
            let width = c.len_utf8();
            // The first character must be a name's (selective, and cheap for ASCII)
            // before the character behind is decoded to see a word start.
            let first = if c.is_ascii() { c.to_ascii_lowercase() } else { c.to_lowercase().next().unwrap_or(c) };
            let mut sought = self.names.iter().filter(|n| n.chars[0] == first).peekable();
            if sought.peek().is_some() && (unspaced(c) || !alphanumeric_before(text, i)) {
                for name in sought {
                    if let Some(end) = match_at(text, i, &name.chars)
                        && (name.chars.last().is_some_and(|l| unspaced(*l)) || !alphanumeric_at(text, end))
                    {
                        spans.push(Span { start: i, end, mask: name.mask.clone() });
                    }
                }
            }
            next = i + width;
        }
    }
}

/// Whether the character before byte `i` is a letter or digit; ASCII without decoding.
fn alphanumeric_before(text: &str, i: usize) -> bool {
    match i.checked_sub(1).map(|b| text.as_bytes()[b]) {
        None => false,
        Some(b) if b.is_ascii() => b.is_ascii_alphanumeric(),
        Some(_) => text[..i].chars().next_back().is_some_and(char::is_alphanumeric),
    }
}

/// Whether the character at byte `i` is a letter or digit; ASCII without decoding.
fn alphanumeric_at(text: &str, i: usize) -> bool {
    match text.as_bytes().get(i) {
        None => false,
        Some(b) if b.is_ascii() => b.is_ascii_alphanumeric(),
        Some(_) => text[i..].chars().next().is_some_and(char::is_alphanumeric),
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
    let t = text.as_bytes();
    let mut at = start;
    let mut wanted = chars.iter().peekable();
    while let Some(&w) = wanted.next() {
        if w.is_whitespace() {
            let mut any = false;
            while let Some(c) = text[at..].chars().next().filter(|c| c.is_whitespace()) {
                at += c.len_utf8();
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
        let b = *t.get(at)?;
        if b.is_ascii() {
            // An ASCII character's lowercase is one ASCII character: no tables.
            if char::from(b.to_ascii_lowercase()) != w {
                return None;
            }
            at += 1;
            continue;
        }
        let c = text[at..].chars().next()?;
        at += c.len_utf8();
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
    Some(at)
}

#[cfg(test)]
mod test {
    use super::super::marks::Marks;
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
        let names = Names::new(sought.iter());
        let mut marks = Marks::default();
        names.classes.mark(text.as_bytes(), &mut marks);
        let mut spans = Vec::new();
        names.find(text, &marks.names, &mut spans);
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
