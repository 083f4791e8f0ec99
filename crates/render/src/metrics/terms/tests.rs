//! The frequent terms against figures worked out by hand and against the rule read plainly.

use super::*;

fn top(texts: &[&str]) -> Vec<(String, u64)> {
    let mut terms = Terms::default();
    texts.iter().for_each(|t| terms.add(t));
    terms.top(5).into_iter().map(|(t, n)| (t.to_string(), u64::from(n))).collect()
}

#[test]
fn words_are_counted_without_stop_words_in_any_script() {
    assert_eq!(
        top(&["Where is my REFUND? The refund was due.", "Refund the parcel, please", "I'm waiting for the parcel"]),
        [("refund".into(), 3), ("parcel".into(), 2), ("due".into(), 1), ("waiting".into(), 1)]
    );
    // Spanish and Russian stop words go; scripts without spaces count pairs.
    assert_eq!(top(&["¿Dónde está mi pedido? El pedido", "где мой заказ заказ"])[..2], [("pedido".into(), 2), ("заказ".into(), 2)]);
    assert_eq!(top(&["退款退款", "退款"]), [("退款".into(), 3), ("款退".into(), 1)]);
    assert!(top(&["", "12345 ok a an"]).is_empty(), "numbers and short words are no terms");
    // Words that go on beyond ASCII, apostrophes inside and after, runs too long,
    // digits with letters, and a capital whose lowercase is longer.
    assert_eq!(
        top(&["Café CAFÉ café's naïve", "rock'n'roll ROCK'N'ROLL' 3rd 3rd x12 abcdefghijklmnopqrstuvwxy"]),
        [("3rd".into(), 2), ("café".into(), 2), ("rock'n'roll".into(), 2), ("café's".into(), 1), ("naïve".into(), 1)]
    );
    // An apostrophe neither opens nor closes a word, in ASCII texts and in others.
    for text in ["'tis 'Quoted' ''' it's", "'tis 'Quoted' ''' it's ü"] {
        assert_eq!(top(&[text]), [("quoted".into(), 1), ("tis".into(), 1)], "{text}");
    }
    // A word counts as one term whichever reading found it (an ASCII text's, or another's).
    assert_eq!(top(&["REFUND'S parcel", "refund's ü", "Refund's"]), [("refund's".into(), 3), ("parcel".into(), 1)]);
    assert_eq!(
        top(&["Straße STRASSE İstanbul istanbul"]),
        [("istanbul".into(), 1), ("i̇stanbul".into(), 1), ("strasse".into(), 1), ("straße".into(), 1)]
    );
}

/// The terms of `texts` by the rule read plainly (for texts of scripts with spaces):
/// lowercase runs of letters, digits and inner apostrophes, 3 to 24 characters, not
/// only digits, not stop words.
fn by_the_rule(texts: &[String]) -> Vec<(String, u64)> {
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for text in texts {
        for run in text.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
            let run = run.trim_matches('\'');
            let chars = run.chars().count();
            let term = run.to_lowercase();
            if (3..=LONGEST).contains(&chars) && !run.chars().all(|c| c.is_ascii_digit()) && !STOP_WORDS.contains(&term.as_str()) {
                *counts.entry(term).or_default() += 1;
            }
        }
    }
    let mut all: Vec<_> = counts.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    all
}

#[test]
fn texts_mixing_ascii_stretches_and_other_characters_count_as_the_rule_says() {
    // Words that end where other characters begin, go on into them, or come out of
    // them; stretches of ASCII long and short, at the start, the middle and the end.
    let pieces = [
        "refund",
        "Café",
        "it's",
        "'",
        " ",
        "🙏",
        ", ",
        "naïve",
        "ORDER",
        "12345",
        "x",
        "ü",
        "é",
        "parcel ",
        "abcdefghijklmnopqrstuvwxyz",
        "the",
        "Straße",
        "–",
        "shipping costs were high",
        "Zoë",
    ];
    let mut state = 7u64;
    let texts: Vec<String> = (0..400)
        .map(|_| {
            let mut text = String::new();
            for _ in 0..(state % 9) {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            text
        })
        .collect();
    let mut terms = Terms::default();
    texts.iter().for_each(|t| terms.add(t));
    let counted: Vec<(String, u64)> = terms.top(KEPT).into_iter().map(|(t, n)| (t.to_string(), u64::from(n))).collect();
    assert_eq!(counted, by_the_rule(&texts));
}

#[test]
fn the_table_stays_bounded_and_keeps_what_is_frequent() {
    let mut terms = Terms::default();
    for i in 0..20_000 {
        terms.add(&format!("word{i} shipping"));
    }
    assert!(terms.terms <= KEPT);
    let top = terms.top(1);
    assert_eq!(top[0].0, "shipping");
    // Low by at most n / (KEPT + 1) for n = 40,000 terms seen.
    assert!(top[0].1 >= 20_000 - 40_000 / (KEPT as u32 + 1), "{}", top[0].1);
}
