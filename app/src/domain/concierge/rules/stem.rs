//! The Snowball Russian stemmer (the `rust-stemmers` crate), used for the plain word overlap
//! between a message and the catalogue; concept matching uses the lexicon's prefixes instead.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

static RUSSIAN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// The Snowball stem of a lowercase word, `ё` read as `е`. A word with anything but Cyrillic
/// letters (`x5`, `а777мр199`) is a name or a number and is returned unchanged.
pub fn stem(word: &str) -> String {
    let w: String = word
        .chars()
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect();
    if !w.chars().all(|c| ('а'..='я').contains(&c)) {
        return w;
    }
    RUSSIAN.stem(&w).into_owned()
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
        assert_eq!(stem("а777мр199"), "а777мр199");
        assert_eq!(stem(""), "");
    }
}
