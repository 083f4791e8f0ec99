//! Scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar):
//! redaction finds a name of them wherever it stands, since its neighbours are letters
//! too (`佐藤花子さん`), and the frequent terms count pairs of their characters.

/// Whether `c` is of a script written without spaces between words.
pub(crate) fn unspaced(c: char) -> bool {
    matches!(u32::from(c),
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF // Han
    )
}
