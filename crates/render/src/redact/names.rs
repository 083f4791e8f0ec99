//! Names to mask: whole words in any case, a space in a name matching any run of white
//! space, all of a text's names found in one pass.
//!
//! The text is visited only where `marks` found a byte that may begin a name (a table of
//! 256), and a character is decoded only there: a walk that lowercased every character
//! once per name took 1.1 s of a 1.7 s redaction of 200,000 messages (the render bench,
//! two listed names and a contact's own), most of it Unicode look-ups on ASCII text.

use super::marks::Classes;
use super::scan::{Mask, Span};
use crate::scripts::unspaced;

/// A name to find: its characters, lowercased, and what replaces it.
pub(super) struct Sought {
    pub(super) chars: Vec<char>,
    pub(super) mask: Mask,
}

pub(super) fn sought(name: &str, mask: Mask) -> Option<Sought> {
    let mut sought = Sought { chars: Vec::new(), mask: Mask::Name };
    sought.fill(name, mask).then_some(sought)
}

impl Sought {
    /// Makes this `name`, trimmed and lowercased, keeping its buffer; says whether it
    /// is a name (not blank).
    fn fill(&mut self, name: &str, mask: Mask) -> bool {
        let name = name.trim();
        self.chars.clear();
        // Most names are ASCII, lowercased without Unicode's tables (a contact's own
        // names are sought anew in each of its conversations).
        if name.is_ascii() {
            self.chars.extend(name.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            self.chars.extend(name.chars().flat_map(char::to_lowercase));
        }
        self.mask = mask;
        !self.chars.is_empty()
    }
}

pub(super) fn eq_lower(text: &str, chars: &[char]) -> bool {
    text.chars().flat_map(char::to_lowercase).eq(chars.iter().copied())
}

/// The characters whose lowercase begins with a character `f` of which they are not the
/// uppercase (`K`, the Kelvin sign, for `k`; titlecase digraphs; Greek with
/// prosgegrammeni): a name starting with `f` may start with them too
/// (`test::these_are_all_the_characters_that_lower_irregularly` checks the list against
/// all of Unicode).
const IRREGULAR: [(char, char); 37] = [
    ('\u{130}', '\u{69}'),
    ('\u{1C5}', '\u{1C6}'),
    ('\u{1C8}', '\u{1C9}'),
    ('\u{1CB}', '\u{1CC}'),
    ('\u{1F2}', '\u{1F3}'),
    ('\u{3F4}', '\u{3B8}'),
    ('\u{1E9E}', '\u{DF}'),
    ('\u{1F88}', '\u{1F80}'),
    ('\u{1F89}', '\u{1F81}'),
    ('\u{1F8A}', '\u{1F82}'),
    ('\u{1F8B}', '\u{1F83}'),
    ('\u{1F8C}', '\u{1F84}'),
    ('\u{1F8D}', '\u{1F85}'),
    ('\u{1F8E}', '\u{1F86}'),
    ('\u{1F8F}', '\u{1F87}'),
    ('\u{1F98}', '\u{1F90}'),
    ('\u{1F99}', '\u{1F91}'),
    ('\u{1F9A}', '\u{1F92}'),
    ('\u{1F9B}', '\u{1F93}'),
    ('\u{1F9C}', '\u{1F94}'),
    ('\u{1F9D}', '\u{1F95}'),
    ('\u{1F9E}', '\u{1F96}'),
    ('\u{1F9F}', '\u{1F97}'),
    ('\u{1FA8}', '\u{1FA0}'),
    ('\u{1FA9}', '\u{1FA1}'),
    ('\u{1FAA}', '\u{1FA2}'),
    ('\u{1FAB}', '\u{1FA3}'),
    ('\u{1FAC}', '\u{1FA4}'),
    ('\u{1FAD}', '\u{1FA5}'),
    ('\u{1FAE}', '\u{1FA6}'),
    ('\u{1FAF}', '\u{1FA7}'),
    ('\u{1FBC}', '\u{1FB3}'),
    ('\u{1FCC}', '\u{1FC3}'),
    ('\u{1FFC}', '\u{1FF3}'),
    ('\u{2126}', '\u{3C9}'),
    ('\u{212A}', '\u{6B}'),
    ('\u{212B}', '\u{E5}'),
];

fn lead(c: char) -> u8 {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf).as_bytes()[0]
}

/// Names sought, and the classes of bytes, those that may start one of them among
/// them. The listed names are made ready once; a conversation's own (its contact's) are
/// made again in the same buffers for each conversation, on the listed names' classes,
/// so that one marking pass serves both: made afresh for each conversation, with the
/// listed names among them, masking took 7-10 % longer (the render bench, pseudonyms).
pub(super) struct Names {
    /// The names; those past `count` are buffers kept for the next conversation's.
    names: Vec<Sought>,
    count: usize,
    pub(super) classes: Classes,
    /// Every character a name may begin with, and the lowercase it stands for: a
    /// candidate's first character is looked up here, not lowercased (Unicode's tables
    /// for every `–` and `’`, whose first byte is the Kelvin sign's, were 5% of the
    /// masking's time).
    starters: Vec<(char, char)>,
    /// The same for ASCII characters, by their byte: what nearly every candidate is,
    /// looked up at once (searching `starters` for them and asking whether ASCII is
    /// written without spaces were 28 % of `find`'s samples, perf on the render bench).
    ascii_starters: [Option<char>; 128],
}

impl Names {
    /// No names.
    pub(super) fn new() -> Names {
        Names { names: Vec::new(), count: 0, classes: Classes::new(), starters: Vec::new(), ascii_starters: [None; 128] }
    }

    /// These names.
    pub(super) fn of(names: impl IntoIterator<Item = Sought>) -> Names {
        let mut all = Names::new();
        for name in names {
            all.names.push(name);
            all.count += 1;
            all.may_begin_with(all.count - 1);
        }
        all
    }

    /// Drops the names, keeping their buffers, and takes `base`'s classes: names pushed
    /// next are marked in one pass with `base`'s.
    pub(super) fn restart(&mut self, base: &Classes) {
        self.count = 0;
        self.starters.clear();
        self.ascii_starters = [None; 128];
        self.classes.clone_from(base);
    }

    /// Adds `name` (not when blank), masked as `mask`.
    pub(super) fn push(&mut self, name: &str, mask: Mask) {
        if self.count == self.names.len() {
            self.names.push(Sought { chars: Vec::new(), mask: Mask::Name });
        }
        if self.names[self.count].fill(name, mask) {
            self.count += 1;
            self.may_begin_with(self.count - 1);
        }
    }

    /// Adds each part of `name` of three characters or more (`Ana` and `Souza` of
    /// `Ana Souza`), masked as `mask`.
    pub(super) fn push_parts(&mut self, name: &str, mask: Mask) {
        for part in name.split_whitespace().filter(|p| p.chars().count() >= 3) {
            self.push(part, mask.clone());
        }
    }

    /// Whether these names hold one of these characters.
    pub(super) fn holds(&self, chars: &[char]) -> bool {
        self.sought().iter().any(|n| n.chars == chars)
    }

    fn sought(&self) -> &[Sought] {
        &self.names[..self.count]
    }

    /// Lets the `k`th name begin where its first character, its uppercase or an
    /// irregular one (whose lowercase it is) stands.
    fn may_begin_with(&mut self, k: usize) {
        let first = self.names[k].chars[0];
        let mut upper = first.to_uppercase();
        let upper = upper.next().filter(|_| upper.next().is_none());
        let irregular = IRREGULAR.iter().filter(|(_, lower)| *lower == first).map(|(other, _)| *other);
        for starter in std::iter::once(first).chain(upper).chain(irregular) {
            if self.starters.contains(&(starter, first)) {
                continue;
            }
            self.starters.push((starter, first));
            self.classes.may_begin_name_with(lead(starter));
            // The first pair of a character is the one `find` takes.
            if starter.is_ascii() {
                self.ascii_starters[starter as usize].get_or_insert(first);
            }
        }
    }

    /// Every whole-word match of any name in `text`, looked for at `marks` (where the
    /// classes found a byte that may begin one, not inside an ASCII word).
    pub(super) fn find(&self, text: &str, marks: &[usize], spans: &mut Vec<Span>) {
        if self.count == 0 {
            return;
        }
        let t = text.as_bytes();
        let mut next = 0;
        for &i in marks {
            if i < next {
                continue;
            }
            // Marks are ASCII or lead bytes; a place that is no character boundary is
            // passed over (`get`), never a panic.
            let b = t[i];
            // The first character must begin a name (selective) before the character
            // behind is decoded to see a word start.
            let first = if b.is_ascii() {
                next = i + 1;
                let Some(first) = self.ascii_starters[usize::from(b)] else { continue };
                if alphanumeric_before(text, i) {
                    continue;
                }
                first
            } else {
                let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) else { continue };
                next = i + c.len_utf8();
                let Some(&(_, first)) = self.starters.iter().find(|(starter, _)| *starter == c) else { continue };
                if !unspaced(c) && alphanumeric_before(text, i) {
                    continue;
                }
                first
            };
            for name in self.sought().iter().filter(|n| n.chars[0] == first) {
                if let Some(end) = match_at(text, i, &name.chars)
                    && (name.chars.last().is_some_and(|l| unspaced(*l)) || !alphanumeric_at(text, end))
                {
                    spans.push(Span { start: i, end, mask: name.mask.clone() });
                }
            }
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
    fn these_are_all_the_characters_that_lower_irregularly() {
        let found: Vec<(char, char)> = (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter_map(|c| c.to_lowercase().next().filter(|f| *f != c).map(|f| (c, f)))
            .filter(|&(c, f)| !f.to_uppercase().eq([c]))
            .collect();
        assert_eq!(found, IRREGULAR);
    }

    fn find(names: &[&str], text: &str) -> Vec<String> {
        let names = Names::of(names.iter().filter_map(|n| sought(n, Mask::Name)));
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
