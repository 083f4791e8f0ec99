//! Where finds may begin, marked in one pass over a text's bytes: the bytes that may
//! begin a name at a word start, the starts of digit runs and the colons, `+` and `(`
//! numbers are written with, and the `@` of emails. Every detector then looks only at
//! its marks.
//!
//! One table look-up a byte, for all kinds at once: before, each kind walked the whole
//! text (names a byte at a time, four number kinds each, emails with `memchr`, and a
//! counting pass to skip those), and those walks were most of the masking's time (the
//! render bench, typical density: 48 ms of 75 for 200,000 messages).

/// An ASCII byte that may begin a sought name (at a word start).
const NAME: u8 = 1;
/// A byte beyond ASCII that may begin a sought name (anywhere).
const NAME_ANYWHERE: u8 = 32;
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
#[derive(Clone)]
pub(super) struct Classes([u8; 256]);

impl Classes {
    /// Classes where no byte begins a name (yet).
    pub(super) fn new() -> Classes {
        Classes(BASE)
    }

    /// Lets `b` begin a name.
    pub(super) fn may_begin_name_with(&mut self, b: u8) {
        self.0[usize::from(b)] |= if b.is_ascii() { NAME } else { NAME_ANYWHERE };
    }

    /// Marks `t` into `marks`, which it clears first.
    pub(super) fn mark(&self, t: &[u8], marks: &mut Marks) {
        marks.names.clear();
        marks.numerals.clear();
        marks.ats.clear();
        // The class of the byte before; none before the first, which is a word start.
        let mut before = 0u8;
        // Counted in a local: a count kept in `marks` is read and written back at every
        // digit, since the pushes may alias it.
        let mut digits = 0;
        for (i, &b) in t.iter().enumerate() {
            let class = self.0[usize::from(b)];
            // One well-predicted branch a byte: a branch-free test of what the byte
            // before rules out was slower (50 against 46 ms, the render bench).
            if class & (NAME | NAME_ANYWHERE | DIGIT | NUMERAL | AT) != 0 {
                // A name begins at a word start, or anywhere in a script without
                // spaces (a byte that is not ASCII is never a word's inside here).
                if class & NAME_ANYWHERE != 0 || class & NAME != 0 && before & ALNUM == 0 {
                    marks.names.push(i);
                }
                if class & DIGIT != 0 {
                    digits += 1;
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
        marks.digits = digits;
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
