//! Where finds may begin, marked in one pass over a text's bytes: the bytes that may
//! begin a name at a word start, the starts of digit runs and the colons, `+` and `(`
//! numbers are written with, and the `@` of emails. Every detector then looks only at
//! its marks.
//!
//! One table look-up a byte, for all kinds at once: before, each kind walked the whole
//! text (names a byte at a time, four number kinds each, emails with `memchr`, and a
//! counting pass to skip those), and those walks were most of the masking's time (the
//! render bench, typical density: 48 ms of 75 for 200,000 messages).

/// A byte that may begin a sought name.
const NAME: u8 = 1;
const DIGIT: u8 = 2;
/// `:`, `+` and `(`, which may begin a number.
const NUMERAL: u8 = 4;
const AT: u8 = 8;
/// An ASCII letter or digit: what a name may not follow.
const ALNUM: u8 = 16;

/// Every byte's classes but `NAME`.
const BASE: [u8; 256] = {
    let mut classes = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        classes[b] = match b as u8 {
            b'0'..=b'9' => DIGIT | ALNUM,
            b'a'..=b'z' | b'A'..=b'Z' => ALNUM,
            b':' | b'+' | b'(' => NUMERAL,
            b'@' => AT,
            _ => 0,
        };
        b += 1;
    }
    classes
};

/// Each byte's classes for one set of names.
pub(super) struct Classes([u8; 256]);

impl Classes {
    /// Classes where the bytes of `starts` may begin a name.
    pub(super) fn new(starts: &[bool; 256]) -> Classes {
        let mut classes = BASE;
        for (class, start) in classes.iter_mut().zip(starts) {
            *class |= if *start { NAME } else { 0 };
        }
        Classes(classes)
    }

    /// Whether a name may begin at byte `i` of `t`: a start byte not inside an ASCII
    /// word (what `mark` marks, tested again for any place given).
    pub(super) fn may_begin_name(&self, t: &[u8], i: usize) -> bool {
        let b = t[i];
        self.0[usize::from(b)] & NAME != 0 && (b >= 0x80 || i.checked_sub(1).is_none_or(|p| self.0[usize::from(t[p])] & ALNUM == 0))
    }

    /// Marks `t` into `marks`, which it clears first.
    pub(super) fn mark(&self, t: &[u8], marks: &mut Marks) {
        marks.names.clear();
        marks.numerals.clear();
        marks.ats.clear();
        marks.digits = 0;
        // The class of the byte before; none before the first, which is a word start.
        let mut before = 0u8;
        for (i, &b) in t.iter().enumerate() {
            let class = self.0[usize::from(b)];
            if class & (NAME | DIGIT | NUMERAL | AT) != 0 {
                // A name begins at a word start, or anywhere in a script without
                // spaces (a byte that is not ASCII is never a word's inside here).
                if class & NAME != 0 && (b >= 0x80 || before & ALNUM == 0) {
                    marks.names.push(i);
                }
                if class & DIGIT != 0 {
                    marks.digits += 1;
                    if before & DIGIT == 0 {
                        marks.numerals.push(i);
                    }
                } else if class & NUMERAL != 0 {
                    marks.numerals.push(i);
                } else if class & AT != 0 {
                    marks.ats.push(i);
                }
            }
            before = class;
        }
    }
}

/// One text's marks, kept from text to text so that marking allocates nothing.
#[derive(Debug, Default)]
pub(super) struct Marks {
    /// Where a name may begin.
    pub(super) names: Vec<usize>,
    /// Where a digit run begins, and every `:`, `+` and `(`, in order.
    pub(super) numerals: Vec<usize>,
    /// Every `@`.
    pub(super) ats: Vec<usize>,
    /// The text's digits.
    pub(super) digits: usize,
}
