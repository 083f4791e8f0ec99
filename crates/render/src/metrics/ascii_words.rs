//! The runs of word bytes (ASCII letters, digits, apostrophes) of an ASCII text, found
//! eight bytes at a time: each byte's class is worked out for a whole `u64` at once
//! (SWAR), 64 bytes make a bit mask, and runs are read off the mask, so the loop turns
//! once a run rather than once a byte and takes no branch on each byte. Read byte by
//! byte, the metrics (nearly all of it counting terms) timed at +10-13 % of the render
//! on dense data (the render bench); read this way, with the terms hashed where they
//! stand (`terms::hash_setting`), +6 to +10 % (README, Benchmarks). Other texts use it
//! for their ASCII stretches (`Terms::add`).

use std::ops::Range;

/// `b` in every byte.
const fn each(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

const HIGH: u64 = each(0x80);

/// The high bit of each byte of `x` (every byte below 0x80) that is at least `lo`
/// (1..=0x80): adding `0x80 - lo` carries into the high bit exactly then, and never
/// into the next byte.
#[inline]
fn at_least(x: u64, lo: u8) -> u64 {
    x.wrapping_add(each(0x80 - lo)) & HIGH
}

/// The high bit of each byte of `x` in `lo..=hi`.
#[inline]
fn within(x: u64, lo: u8, hi: u8) -> u64 {
    at_least(x, lo) & !at_least(x, hi + 1)
}

/// Bit `k` set when byte `k` of `x` (eight ASCII bytes, little-endian) is a letter, a
/// digit or an apostrophe.
#[inline]
fn word_bytes(x: u64) -> u64 {
    // Setting 0x20 maps `A..=Z` onto `a..=z` and no other byte below 0x80 there.
    let flags = within(x, b'0', b'9') | within(x | each(0x20), b'a', b'z') | within(x, b'\'', b'\'');
    // Gathers the eight high bits into the top byte (each lands on its own bit).
    (flags >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The word-byte mask of up to 64 bytes: bit `k` for `block[k]`.
#[inline]
fn block_mask(block: &[u8]) -> u64 {
    let mut mask = 0;
    let mut chunks = block.chunks_exact(8);
    let mut shift = 0;
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        mask |= word_bytes(u64::from_le_bytes(bytes)) << shift;
        shift += 8;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // Zero bytes are no word bytes: the last run ends where the text does.
        mask |= word_bytes(le_u64(rest)) << shift;
    }
    mask
}

/// How many bytes `t` starts with below 0x80, found eight at a time.
pub(super) fn ascii_len(t: &[u8]) -> usize {
    let mut chunks = t.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let high = u64::from_le_bytes(bytes) & HIGH;
        if high != 0 {
            return n + high.trailing_zeros() as usize / 8;
        }
        n += 8;
    }
    n + chunks.remainder().iter().take_while(|b| b.is_ascii()).count()
}

/// Up to eight bytes as a little-endian `u64`, zeros above them, read with at most three
/// loads whatever their number (overlapping ones for lengths between), never a loop a
/// byte nor a copy into an array (see `terms::hash_setting` for what that cost).
#[inline]
pub(super) fn le_u64(b: &[u8]) -> u64 {
    debug_assert!(b.len() <= 8);
    let n = b.len();
    let at = |i: usize| u64::from(b[i]);
    let u32_at = |i: usize| {
        let mut word = [0u8; 4];
        word.copy_from_slice(&b[i..i + 4]);
        u64::from(u32::from_le_bytes(word))
    };
    match n {
        0 => 0,
        1..=3 => at(0) | at(n / 2) << (8 * (n / 2)) | at(n - 1) << (8 * (n - 1)),
        4..=7 => u32_at(0) | u32_at(n - 4) << (8 * (n - 4)),
        _ => {
            let mut word = [0u8; 8];
            word.copy_from_slice(&b[..8]);
            u64::from_le_bytes(word)
        }
    }
}

/// Calls `f` with where every maximal run of word bytes of `t` (which must be ASCII) is.
pub(super) fn runs(t: &[u8], mut f: impl FnMut(Range<usize>)) {
    debug_assert!(t.is_ascii());
    let mut open: Option<usize> = None;
    for (n, block) in t.chunks(64).enumerate() {
        let (base, mask) = (n * 64, block_mask(block));
        let mut at = 0;
        while at < block.len() {
            match open {
                Some(start) => {
                    let gaps = !mask >> at;
                    if gaps == 0 {
                        break; // the run goes on into the next block
                    }
                    let end = at + gaps.trailing_zeros() as usize;
                    f(start..base + end);
                    (open, at) = (None, end);
                }
                None => {
                    let words = mask >> at;
                    if words == 0 {
                        break;
                    }
                    at += words.trailing_zeros() as usize;
                    open = Some(base + at);
                }
            }
        }
    }
    if let Some(start) = open {
        f(start..t.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs as a byte-by-byte reading finds them.
    fn by_bytes(t: &[u8]) -> Vec<&[u8]> {
        t.split(|b| !(b.is_ascii_alphanumeric() || *b == b'\'')).filter(|r| !r.is_empty()).collect()
    }

    #[test]
    fn the_ascii_start_of_a_text_is_measured_to_its_first_other_byte() {
        let text = "Thanks, that solved it! 🙏 and ü".as_bytes();
        for from in 0..text.len() {
            let t = &text[from..];
            assert_eq!(ascii_len(t), t.iter().position(|b| !b.is_ascii()).unwrap_or(t.len()), "from {from}");
        }
    }

    #[test]
    fn up_to_eight_bytes_read_as_a_little_endian_word() {
        let bytes = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
        for n in 0..=8 {
            let mut padded = [0u8; 8];
            padded[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(le_u64(&bytes[..n]), u64::from_le_bytes(padded), "{n} bytes");
        }
    }

    #[test]
    fn runs_are_those_a_byte_by_byte_reading_finds() {
        let all: Vec<u8> = (0u8..128).collect();
        let mut texts: Vec<Vec<u8>> = vec![b"".to_vec(), b"a".to_vec(), all.clone(), all.iter().rev().copied().collect()];
        // Runs across block edges, a run filling a block, texts of every length near 64.
        texts.push([b"x".repeat(63), b" ".to_vec(), b"y".repeat(70), b"'z".to_vec()].concat());
        texts.push(b"q".repeat(128));
        for len in 60..=130 {
            texts.push((0..len).map(|i| all[(i * 37 + len) % 128]).collect());
        }
        for t in &texts {
            let mut found = Vec::new();
            runs(t, |r| found.push(&t[r]));
            assert_eq!(found, by_bytes(t), "{:?}", String::from_utf8_lossy(t));
        }
    }
}
