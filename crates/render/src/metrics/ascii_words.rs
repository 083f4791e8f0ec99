//! The runs of word bytes (ASCII letters, digits, apostrophes) of an ASCII text, found
//! eight bytes at a time: each byte's class is worked out for a whole `u64` at once
//! (SWAR), 64 bytes make a bit mask, and runs are read off the mask, so the loop turns
//! once a run rather than once a byte and takes no branch on each byte. Read byte by
//! byte, the metrics (nearly all of it counting terms) timed at +10-13 % of the render
//! on dense data (the render bench); read this way, valgrind counts them at +6.7 % of the
//! render's estimated cycles (README, Benchmarks).

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

/// Up to eight bytes as a little-endian `u64`, zeros above them, gathered in a register
/// (see `terms::hash` for what a copy into a zeroed array cost).
#[inline]
pub(super) fn le_u64(bytes: &[u8]) -> u64 {
    debug_assert!(bytes.len() <= 8);
    bytes.iter().rev().fold(0, |word, &b| word << 8 | u64::from(b))
}

/// Calls `f` with every maximal run of word bytes of `t`, which must be ASCII.
pub(super) fn runs<'t>(t: &'t [u8], mut f: impl FnMut(&'t [u8])) {
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
                    f(&t[start..base + end]);
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
        f(&t[start..]);
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
            runs(t, |r| found.push(r));
            assert_eq!(found, by_bytes(t), "{:?}", String::from_utf8_lossy(t));
        }
    }
}
