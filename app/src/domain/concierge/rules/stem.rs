//! The Snowball (Porter) Russian stemmer, used for the plain word overlap between a message and
//! the catalogue. Concept matching uses the lexicon's prefixes instead.

use super::text::is_ru_vowel;

#[rustfmt::skip]
const PERFECTIVE_GERUND_1: &[&str] = &["в", "вши", "вшись"];
#[rustfmt::skip]
const PERFECTIVE_GERUND_2: &[&str] = &["ив", "ивши", "ившись", "ыв", "ывши", "ывшись"];
#[rustfmt::skip]
const ADJECTIVE: &[&str] = &[
    "ее", "ие", "ые", "ое", "ими", "ыми", "ей", "ий", "ый", "ой", "ем", "им", "ым", "ом", "его",
    "ого", "ему", "ому", "их", "ых", "ую", "юю", "ая", "яя", "ою", "ею",
];
#[rustfmt::skip]
const PARTICIPLE_1: &[&str] = &["ем", "нн", "вш", "ющ", "щ"];
#[rustfmt::skip]
const PARTICIPLE_2: &[&str] = &["ивш", "ывш", "ующ"];
#[rustfmt::skip]
const REFLEXIVE: &[&str] = &["ся", "сь"];
#[rustfmt::skip]
const VERB_1: &[&str] = &[
    "ла", "на", "ете", "йте", "ли", "й", "л", "ем", "н", "ло", "но", "ет", "ют", "ны", "ть", "ешь",
    "нно",
];
#[rustfmt::skip]
const VERB_2: &[&str] = &[
    "ила", "ыла", "ена", "ейте", "уйте", "ите", "или", "ыли", "ей", "уй", "ил", "ыл", "им", "ым",
    "ен", "ило", "ыло", "ено", "ят", "ует", "уют", "ит", "ыт", "ены", "ить", "ыть", "ишь", "ую",
    "ю",
];
#[rustfmt::skip]
const NOUN: &[&str] = &[
    "а", "ев", "ов", "ие", "ье", "е", "иями", "ями", "ами", "еи", "ии", "и", "ией", "ей", "ой",
    "ий", "й", "иям", "ям", "ием", "ем", "ам", "ом", "о", "у", "ах", "иях", "ях", "ы", "ь", "ию",
    "ью", "ю", "ия", "ья", "я",
];
#[rustfmt::skip]
const SUPERLATIVE: &[&str] = &["ейш", "ейше"];
#[rustfmt::skip]
const DERIVATIONAL: &[&str] = &["ост", "ость"];

fn ends_with_at(w: &[char], end: usize, suffix: &str, min_start: usize) -> bool {
    let n = suffix.chars().count();
    n <= end && end - n >= min_start && w[end - n..end].iter().copied().eq(suffix.chars())
}

/// Longest suffix of `set` ending at `end` and starting at or after `min_start`.
/// With `after_a_ya`, the suffix must also be preceded by `а`/`я` inside the region
/// (Snowball's "group 1" endings).
fn longest_suffix(
    w: &[char],
    end: usize,
    set: &[&str],
    min_start: usize,
    after_a_ya: bool,
) -> Option<usize> {
    set.iter()
        .filter(|s| ends_with_at(w, end, s, min_start))
        .map(|s| s.chars().count())
        .filter(|&n| !after_a_ya || (end - n > min_start && matches!(w[end - n - 1], 'а' | 'я')))
        .max()
}

fn longest_of(w: &[char], end: usize, rv: usize, g1: &[&str], g2: &[&str]) -> Option<usize> {
    let a = longest_suffix(w, end, g1, rv, true);
    let b = longest_suffix(w, end, g2, rv, false);
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// R1/R2 of the Snowball algorithm: the region after the first non-vowel that
/// follows a vowel, starting the search at `from`.
fn snowball_region(w: &[char], from: usize) -> usize {
    let mut i = from;
    while i + 1 < w.len() {
        if is_ru_vowel(w[i]) && !is_ru_vowel(w[i + 1]) {
            return i + 2;
        }
        i += 1;
    }
    w.len()
}

/// Snowball (Porter) Russian stemmer. Non-Cyrillic words are returned unchanged.
pub fn stem(word: &str) -> String {
    let w: Vec<char> = word
        .chars()
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect();
    if w.is_empty() || !w.iter().all(|c| ('а'..='я').contains(c)) {
        return w.into_iter().collect();
    }
    let Some(first_vowel) = w.iter().position(|&c| is_ru_vowel(c)) else {
        return w.into_iter().collect();
    };
    let rv = first_vowel + 1;
    let r1 = snowball_region(&w, 0);
    let r2 = snowball_region(&w, r1);
    let mut end = w.len();

    // Step 1: perfective gerund, or reflexive + adjectival / verb / noun.
    if let Some(n) = longest_of(&w, end, rv, PERFECTIVE_GERUND_1, PERFECTIVE_GERUND_2) {
        end -= n;
    } else {
        if let Some(n) = longest_suffix(&w, end, REFLEXIVE, rv, false) {
            end -= n;
        }
        if let Some(n) = longest_suffix(&w, end, ADJECTIVE, rv, false) {
            end -= n;
            if let Some(p) = longest_of(&w, end, rv, PARTICIPLE_1, PARTICIPLE_2) {
                end -= p;
            }
        } else if let Some(n) = longest_of(&w, end, rv, VERB_1, VERB_2) {
            end -= n;
        } else if let Some(n) = longest_suffix(&w, end, NOUN, rv, false) {
            end -= n;
        }
    }
    // Step 2: a final `и`.
    if end > rv && w[end - 1] == 'и' {
        end -= 1;
    }
    // Step 3: derivational `ост(ь)` inside R2.
    if let Some(n) = longest_suffix(&w, end, DERIVATIONAL, r2.max(rv), false) {
        end -= n;
    }
    // Step 4: undouble `нн`, superlative, soft sign.
    if ends_with_at(&w, end, "нн", rv) {
        end -= 1;
    } else if let Some(n) = longest_suffix(&w, end, SUPERLATIVE, rv, false) {
        end -= n;
        if ends_with_at(&w, end, "нн", rv) {
            end -= 1;
        }
    } else if ends_with_at(&w, end, "ь", rv) {
        end -= 1;
    }
    w[..end].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowball_stems() {
        assert_eq!(stem("кондиционера"), "кондиционер");
        assert_eq!(stem("кондиционер"), "кондиционер");
        assert_eq!(stem("стучит"), "стуч");
        assert_eq!(stem("тормоза"), "тормоз");
        assert_eq!(stem("тормозов"), "тормоз");
        assert_eq!(stem("колодки"), "колодк");
        assert_eq!(stem("переобуться"), stem("переобуть"));
        assert_eq!(stem("переключении"), stem("переключение"));
        assert_eq!(stem("амортизаторы"), "амортизатор");
        assert_eq!(stem("ёлка"), stem("елка"));
        assert_eq!(stem("x5"), "x5");
        assert_eq!(stem(""), "");
    }
}
