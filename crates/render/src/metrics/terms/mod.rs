//! The most frequent terms of contact messages: words of three letters or more in
//! scripts written with spaces, pairs of characters in those written without (Han,
//! kana, Thai…), lowercased, without the stop words of the most spoken languages.
//!
//! Counted in a bounded table (Misra–Gries): at most `KEPT` terms are tracked; when a
//! new term finds the table full, every count drops by one and terms at zero leave. A
//! term's count is then low by at most n / (KEPT + 1) for n terms seen, and any term
//! more frequent than that is certain to be in the table. Deterministic: the same
//! messages in the same order give the same table, in the browser and on the server.

use super::ascii_words;
use super::stop_words::STOP_WORDS;
use crate::scripts::unspaced;

/// Terms tracked at most.
const KEPT: usize = 1000;
/// Slots of the table: the stop words and `KEPT` terms fill it to about 70 %.
const SLOTS: usize = 2048;
/// Longer runs are not words people ask about (links, ids, tokens).
const LONGEST: usize = 24;
/// The count of a stop word: it is in the table only to be passed over.
const STOP: u32 = u32::MAX;

/// A term's hash, eight bytes a step (FxHash's mixing): hashed once the word is whole,
/// and only a word long enough to count (a byte-at-a-time hash was a multiply on every
/// byte of every message).
fn hash(term: &[u8]) -> u64 {
    hash_setting(term, 0)
}

/// The hash of an ASCII word's lowercase (letters, digits and the apostrophe all
/// lowercase by setting 0x20), read where it stands.
fn hash_ascii_lowercase(word: &[u8]) -> u64 {
    hash_setting(word, u64::from_le_bytes([0x20; 8]))
}

/// The hash of `term` with the bits of `set` set in each of its bytes, read in place: an
/// ASCII word (letters, digits, apostrophes) hashes as its lowercase does when `set` is
/// 0x20 in every byte. Copying the word into a lowercase `[u8; 24]` first took a loop a
/// byte and a `memcpy` whose stores the hash's loads then waited on: a third of the
/// time spent counting terms (perf annotate, the render bench).
fn hash_setting(term: &[u8], set: u64) -> u64 {
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    let mut h = term.len() as u64;
    let mut chunks = term.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(word) | set);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // The bytes above the rest's stay zero.
        let mask = u64::MAX >> (64 - 8 * rest.len());
        h = mix(h, ascii_words::le_u64(rest) | (set & mask));
    }
    h
}

/// One slot: a term's hash and count (or `STOP`; 0 when free). Terms are told apart by
/// their hash alone (its low bits pick the slot, its high 32 bits are kept; two terms
/// that collide would share a count: harmless in a statistic), so a look-up reads 8
/// bytes and the table (16 kB) stays in cache: a table that also held and compared each
/// term's text was 128 kB and slowed the whole render by evicting it.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    check: u32,
    count: u32,
}

/// Counts terms in one pass over a text's bytes, lowercasing as it reads, and looking
/// each word up once in an open-addressed table that holds the stop words too: a word
/// is read, hashed and compared once. A `HashMap` of `String`s,
/// hashed twice a word, made the render of 200,000 messages 30 % slower (the render
/// bench); this made it 13 %, and 6 to 10 % once words were found a run at a time
/// and hashed in place (`ascii_words`, `hash_setting`).
#[derive(Debug)]
pub(crate) struct Terms {
    slots: Vec<Slot>,
    /// Each slot's term, written when it is counted first.
    texts: Vec<Box<str>>,
    /// Terms counted (not stop words).
    terms: usize,
    /// What Unicode's tables say of the characters beyond ASCII last seen: a text
    /// reuses few letters, and each table look-up (letter? lowercase?) was a binary
    /// search that made Cyrillic and Arabic messages ten times the cost of English.
    seen: Vec<(char, Letter)>,
}

/// Characters beyond ASCII remembered, by their low bits.
const CACHED: usize = 1024;

/// A character as a word sees it.
#[derive(Debug, Clone, Copy)]
enum Letter {
    /// Not a letter or digit: it ends a word.
    Not,
    /// A letter or digit whose lowercase is this one character.
    Lower(char),
    /// A letter whose lowercase is longer (`İ`): asked of the tables each time.
    Longer,
    /// A letter of a script written without spaces: counted in pairs.
    Unspaced,
}

fn letter(c: char) -> Letter {
    if unspaced(c) {
        return Letter::Unspaced;
    }
    if !c.is_alphanumeric() {
        return Letter::Not;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => Letter::Lower(l),
        _ => Letter::Longer,
    }
}

impl Default for Terms {
    fn default() -> Self {
        // Every place starts with a character that maps to itself ('\0' is ASCII and
        // never looked up).
        let seen = vec![('\0', Letter::Not); CACHED];
        let mut terms = Terms { slots: vec![Slot::default(); SLOTS], texts: vec![Box::from(""); SLOTS], terms: 0, seen };
        terms.add_stop_words();
        terms
    }
}

/// A word being read: its lowercase bytes (as far as `LONGEST` characters go) and its
/// characters.
struct Word {
    bytes: [u8; LONGEST * 4],
    len: usize,
    chars: usize,
}

impl Word {
    fn new() -> Word {
        Word { bytes: [0; LONGEST * 4], len: 0, chars: 0 }
    }

    fn push_byte(&mut self, b: u8) {
        if self.len < self.bytes.len() {
            self.bytes[self.len] = b;
            self.len += 1;
        }
    }

    /// The bytes of `c`, not counted as a character of its own.
    fn push_byte_of(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            self.push_byte(b);
        }
    }

    fn push_char(&mut self, c: char) {
        self.push_byte_of(c);
        self.chars += 1;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn clear(&mut self) {
        (self.len, self.chars) = (0, 0);
    }
}

impl Terms {
    fn add_stop_words(&mut self) {
        for word in STOP_WORDS {
            let hash = hash(word.as_bytes());
            let at = self.find(hash);
            self.slots[at] = Slot { check: (hash >> 32) as u32, count: STOP };
        }
    }

    /// The slot of the term of hash `hash`: where it is, or the empty one where it goes.
    fn find(&self, hash: u64) -> usize {
        let mut at = (hash as usize) & (SLOTS - 1);
        let check = (hash >> 32) as u32;
        loop {
            let slot = &self.slots[at];
            if slot.count == 0 || slot.check == check {
                return at;
            }
            at = (at + 1) & (SLOTS - 1);
        }
    }

    /// Counts the terms of one contact message.
    pub(crate) fn add(&mut self, text: &str) {
        let t = text.as_bytes();
        if t.is_ascii() {
            // Most messages of most exports: their words found a run at a time.
            ascii_words::runs(t, |run| self.ascii_word(&t[run]));
            return;
        }
        let mut word = Word::new();
        let mut previous_unspaced: Option<char> = None;
        let mut i = 0;
        // Where the next ASCII stretch may be read a run at a time (below).
        let mut next_stretch = 0;
        while i < t.len() {
            let b = t[i];
            if b.is_ascii() && word.chars == 0 && i >= next_stretch && t.len() - i >= 8 && t[i..i + 8].is_ascii() {
                // Between words, at eight ASCII bytes or more (the English of a message
                // with an emoji, say): the words up to the next character beyond ASCII
                // are read as in an ASCII text, but the last when it reaches that
                // character, which may go on with it: that one is read below.
                let end = i + ascii_words::ascii_len(&t[i..]);
                let mut resume = end;
                ascii_words::runs(&t[i..end], |run| {
                    let run = i + run.start..i + run.end;
                    if run.end == end && end < t.len() {
                        resume = run.start;
                    } else {
                        self.ascii_word(&t[run]);
                    }
                });
                (previous_unspaced, next_stretch, i) = (None, end, resume);
                continue;
            }
            if b.is_ascii() {
                previous_unspaced = None;
                if b.is_ascii_alphanumeric() || b == b'\'' && word.chars > 0 {
                    word.push_byte(b.to_ascii_lowercase());
                    word.chars += 1;
                } else {
                    self.end_word(&mut word);
                }
                i += 1;
                continue;
            }
            // A character beyond ASCII: decoded here only.
            let Some(c) = text[i..].chars().next() else { break };
            i += c.len_utf8();
            let cached = &mut self.seen[c as usize % CACHED];
            if cached.0 != c {
                *cached = (c, letter(c));
            }
            let previous = previous_unspaced.take();
            match cached.1 {
                Letter::Not => self.end_word(&mut word),
                Letter::Lower(lower) => word.push_char(lower),
                Letter::Longer => {
                    for lower in c.to_lowercase() {
                        word.push_byte_of(lower);
                    }
                    word.chars += 1;
                }
                Letter::Unspaced => {
                    self.end_word(&mut word);
                    if let Some(p) = previous {
                        let mut pair = Word::new();
                        pair.push_char(p);
                        pair.push_char(c);
                        self.count(pair.as_bytes());
                    }
                    previous_unspaced = Some(c);
                }
            }
        }
        self.end_word(&mut word);
    }

    /// Counts a run of ASCII letters, digits and apostrophes, when it is a term: an
    /// apostrophe neither opens nor closes a word.
    #[inline]
    fn ascii_word(&mut self, run: &[u8]) {
        // Most runs are short words: gone before any trimming.
        if run.len() < 3 {
            return;
        }
        let opening = run.iter().take_while(|&&b| b == b'\'').count();
        let closing = run[opening..].iter().rev().take_while(|&&b| b == b'\'').count();
        let run = &run[opening..run.len() - closing];
        if (3..=LONGEST).contains(&run.len()) && !run.iter().all(u8::is_ascii_digit) {
            self.count_hashed(hash_ascii_lowercase(run), || Some(run.to_ascii_lowercase().into_iter().map(char::from).collect()));
        }
    }

    #[inline]
    fn end_word(&mut self, word: &mut Word) {
        // Most bytes that end a word follow no word, or a short one.
        if word.chars < 3 {
            word.clear();
            return;
        }
        // A closing apostrophe is no part of the word.
        while word.len > 0 && word.bytes[word.len - 1] == b'\'' {
            word.len -= 1;
            word.chars -= 1;
        }
        if (3..=LONGEST).contains(&word.chars) && !word.bytes[..word.len].iter().all(u8::is_ascii_digit) {
            self.count(word.as_bytes());
        }
        word.clear();
    }

    fn count(&mut self, term: &[u8]) {
        self.count_hashed(hash(term), || std::str::from_utf8(term).ok().map(Box::from));
    }

    /// Counts the term of hash `hash`; `text` is the term, asked for only when it is new.
    fn count_hashed(&mut self, hash: u64, text: impl FnOnce() -> Option<Box<str>>) {
        let at = self.find(hash);
        let slot = &mut self.slots[at];
        match slot.count {
            STOP => {}
            0 if self.terms < KEPT => {
                let Some(text) = text() else { return };
                *slot = Slot { check: (hash >> 32) as u32, count: 1 };
                self.texts[at] = text;
                self.terms += 1;
            }
            // Full: every count drops by one, the new term's one with them.
            0 => self.decrement(),
            _ => slot.count += 1,
        }
    }

    /// Drops every count by one; terms at zero leave, and the table is laid out again.
    fn decrement(&mut self) {
        let slots = std::mem::replace(&mut self.slots, vec![Slot::default(); SLOTS]);
        let texts = std::mem::replace(&mut self.texts, vec![Box::from(""); SLOTS]);
        let kept: Vec<(Slot, Box<str>)> = slots
            .into_iter()
            .zip(texts)
            .filter(|(s, _)| s.count > 1)
            .map(|(s, text)| (Slot { count: if s.count == STOP { STOP } else { s.count - 1 }, ..s }, text))
            .collect();
        self.terms = kept.iter().filter(|(s, _)| s.count != STOP).count();
        for (slot, text) in kept {
            // Stop words have no text here: they are laid out again from their list.
            if slot.count == STOP {
                continue;
            }
            let at = self.find(hash(text.as_bytes()));
            (self.slots[at], self.texts[at]) = (slot, text);
        }
        self.add_stop_words();
    }

    /// The `n` most frequent terms, most first, then alphabetically.
    pub(crate) fn top(&self, n: usize) -> Vec<(&str, u32)> {
        let mut all: Vec<(&str, u32)> = self
            .slots
            .iter()
            .zip(&self.texts)
            .filter(|(s, _)| s.count != 0 && s.count != STOP)
            .map(|(s, text)| (&**text, s.count))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod tests;
