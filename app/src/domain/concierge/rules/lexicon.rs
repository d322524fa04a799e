//! Step 2 of the pipeline: which words mean which [`Concept`].
//!
//! The lexicon is data, `app/data/concierge-lexicon.txt` (its header says how to extend it),
//! embedded when the crate is compiled and parsed once per process. A pattern is one or more
//! space-separated elements matched against consecutive tokens; an element is a word prefix, or
//! an exact word when it starts with `=`. At each position the most specific pattern wins (most
//! tokens, then most characters), so `не горит` (NotWork) hides `горит` (Glow), `не греет`
//! (Cold) hides `греет` (Overheat) and `рычаг` (suspension arm) hides `рыч…` (growling).
//!
//! Prefixes rather than full stems are used because customers write inflected, colloquial and
//! misspelt forms; a one-vowel typo is tolerated for long prefixes.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::concepts::{Concept, ConceptSet};
use super::text::fuzzy_prefix;

/// Where the lexicon comes from; named in parse errors.
const FILE: &str = "app/data/concierge-lexicon.txt";
const SOURCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/concierge-lexicon.txt"
));

/// Prefixes at least this long also match with one vowel mistyped.
const FUZZY_MIN_CHARS: usize = 5;

/// One line of the data file (with its continuation lines): the concepts and the patterns that
/// mean them, in the file's order.
#[derive(Debug)]
struct Group {
    concepts: Vec<Concept>,
    patterns: Vec<String>,
}

/// A mistake in the data file, with its line number.
#[derive(Debug, thiserror::Error)]
#[error("{FILE}, line {line}: {message}")]
struct ParseError {
    line: usize,
    message: String,
}

/// Parses the data file. Strict, so that a typo in the file fails its test instead of silently
/// never matching: unknown concepts, empty lists, malformed or duplicated words are errors.
fn parse(source: &str) -> Result<Vec<Group>, ParseError> {
    let mut groups: Vec<Group> = Vec::new();
    // Where each pattern and each set of concepts was first seen, for the duplicate check.
    let mut pattern_lines: HashMap<String, usize> = HashMap::new();
    let mut concept_lines: HashMap<Vec<Concept>, usize> = HashMap::new();
    let mut group_line = 0;
    for (idx, raw) in source.lines().enumerate() {
        let line = idx + 1;
        let err = |message: String| ParseError { line, message };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = if raw.starts_with(char::is_whitespace) {
            if groups.is_empty() {
                return Err(err(
                    "an indented line continues a group, but none started".into()
                ));
            }
            trimmed
        } else {
            check_group_done(groups.last(), group_line)?;
            let (head, words) = trimmed
                .split_once(':')
                .ok_or_else(|| err("expected `Concept, Concept: word, word`".into()))?;
            let concepts = parse_concepts(head).map_err(err)?;
            if let Some(first) = concept_lines.insert(concepts.clone(), line) {
                return Err(err(format!(
                    "`{head}` already has a line ({first}): add the words there"
                )));
            }
            group_line = line;
            groups.push(Group {
                concepts,
                patterns: Vec::new(),
            });
            words
        };
        let group = groups
            .last_mut()
            .expect("a group was pushed or found above");
        for pattern in parse_patterns(words).map_err(err)? {
            if let Some(first) = pattern_lines.insert(pattern.clone(), line) {
                return Err(err(format!("`{pattern}` is already on line {first}")));
            }
            group.patterns.push(pattern);
        }
    }
    check_group_done(groups.last(), group_line)?;
    Ok(groups)
}

fn check_group_done(group: Option<&Group>, line: usize) -> Result<(), ParseError> {
    match group {
        Some(g) if g.patterns.is_empty() => Err(ParseError {
            line,
            message: "no words after the colon".into(),
        }),
        _ => Ok(()),
    }
}

fn parse_concepts(head: &str) -> Result<Vec<Concept>, String> {
    let mut concepts = Vec::new();
    for name in head.split(',').map(str::trim) {
        let concept = Concept::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Concept::ALL.iter().map(|c| c.name()).collect();
            format!("unknown concept `{name}`; known: {}", known.join(", "))
        })?;
        if concepts.contains(&concept) {
            return Err(format!("`{name}` is named twice"));
        }
        concepts.push(concept);
    }
    Ok(concepts)
}

/// The comma-separated patterns of one line; a trailing comma (before a continuation line) is
/// allowed, an empty pattern elsewhere is not.
fn parse_patterns(words: &str) -> Result<Vec<String>, String> {
    let words = words.strip_suffix(',').unwrap_or(words);
    let mut out = Vec::new();
    if words.trim().is_empty() {
        // `Concept:` alone, its words on the indented lines below.
        return Ok(out);
    }
    for pattern in words.split(',').map(str::trim) {
        if pattern.is_empty() {
            return Err("an empty word between two commas".into());
        }
        for elem in pattern.split(' ') {
            let body = elem.strip_prefix('=').unwrap_or(elem);
            let well_formed = !body.is_empty()
                && body
                    .chars()
                    .all(|c| c.is_alphanumeric() && !c.is_uppercase() && c != 'ё');
            if !well_formed {
                return Err(format!(
                    "`{pattern}`: write lowercase letters and digits, `е` for `ё`, one space \
                     between words and `=` only in front of a word"
                ));
            }
        }
        out.push(pattern.to_string());
    }
    Ok(out)
}

#[derive(Debug)]
enum Elem {
    Prefix(String),
    Exact(String),
}

impl Elem {
    fn matches(&self, word: &str) -> bool {
        match self {
            Elem::Prefix(p) => word.starts_with(p.as_str()),
            Elem::Exact(e) => word == e,
        }
    }
}

#[derive(Debug)]
struct Pattern {
    elems: Vec<Elem>,
    /// Total characters of the elements: the specificity tie-breaker.
    chars: usize,
    concepts: Vec<Concept>,
}

/// First character → (prefix chars, concepts) of the typo-tolerant prefixes.
type FuzzyIndex = HashMap<char, Vec<(Vec<char>, Vec<Concept>)>>;

/// The lexicon compiled once per process: patterns indexed by their first
/// character, plus the long single prefixes eligible for typo tolerance (also
/// by first character: a misspelt first letter is rare and not worth the cost).
struct Lexicon {
    by_first: HashMap<char, Vec<Pattern>>,
    fuzzy: FuzzyIndex,
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    // The data file is part of the source and its test parses it, so a failure here is a
    // build that skipped the tests, not something a customer's message can cause.
    let groups = parse(SOURCE).unwrap_or_else(|e| panic!("{e}"));
    Lexicon::new(&groups)
});

impl Lexicon {
    /// Indexes the patterns in file order, which [`detect_concepts`] keeps for its hits.
    fn new(groups: &[Group]) -> Lexicon {
        let mut by_first: HashMap<char, Vec<Pattern>> = HashMap::new();
        let mut fuzzy = FuzzyIndex::new();
        for group in groups {
            for pat in &group.patterns {
                let elems: Vec<Elem> = pat
                    .split(' ')
                    .map(|e| match e.strip_prefix('=') {
                        Some(x) => Elem::Exact(x.to_string()),
                        None => Elem::Prefix(e.to_string()),
                    })
                    .collect();
                let first = match &elems[0] {
                    Elem::Prefix(p) | Elem::Exact(p) => p.chars().next(),
                };
                if let [Elem::Prefix(p)] = elems.as_slice() {
                    let chars: Vec<char> = p.chars().collect();
                    if chars.len() >= FUZZY_MIN_CHARS {
                        fuzzy
                            .entry(chars[0])
                            .or_default()
                            .push((chars, group.concepts.clone()));
                    }
                }
                let chars = pat.chars().filter(|&c| c != '=' && c != ' ').count();
                if let Some(ch) = first {
                    by_first.entry(ch).or_default().push(Pattern {
                        elems,
                        chars,
                        concepts: group.concepts.clone(),
                    });
                }
            }
        }
        Lexicon { by_first, fuzzy }
    }
}

/// Finds the concepts of a token sequence, with the token index of each hit.
pub(super) fn detect_concepts(words: &[String]) -> Vec<(usize, Concept)> {
    let lex = &*LEXICON;
    let mut hits = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        // Most specific wins: more tokens first, then more pattern characters
        // (`рычаг` = suspension arm beats `рыч…` = growling).
        let mut best_key = (0usize, 0usize);
        let mut best: Vec<&Pattern> = Vec::new();
        if let Some(pats) = w.chars().next().and_then(|ch| lex.by_first.get(&ch)) {
            for p in pats {
                let n = p.elems.len();
                if i + n > words.len() || n < best_key.0 {
                    continue;
                }
                if p.elems.iter().zip(&words[i..]).all(|(e, w)| e.matches(w)) {
                    let key = (n, p.chars);
                    if key > best_key {
                        best_key = key;
                        best.clear();
                    }
                    if key == best_key {
                        best.push(p);
                    }
                }
            }
        }
        let best_len = best_key.0;
        if best.is_empty() {
            // Typo tolerance only for words the lexicon does not know at all.
            let wc: Vec<char> = w.chars().collect();
            let candidates = wc.first().and_then(|c| lex.fuzzy.get(c));
            if let (true, Some(candidates)) = (wc.len() >= FUZZY_MIN_CHARS, candidates) {
                for (p, concepts) in candidates {
                    if fuzzy_prefix(&wc, p) {
                        hits.extend(concepts.iter().map(|&c| (i, c)));
                    }
                }
            }
            i += 1;
        } else {
            for p in best {
                hits.extend(p.concepts.iter().map(|&c| (i, c)));
            }
            i += best_len;
        }
    }
    hits
}

pub(super) fn concept_set(hits: &[(usize, Concept)]) -> ConceptSet {
    let mut s = ConceptSet::default();
    for &(_, c) in hits {
        s.insert(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::text::{tokenize, words_for_matching};
    use super::*;
    use Concept as C;

    fn concepts_of(text: &str) -> ConceptSet {
        let (_, toks) = tokenize(text);
        concept_set(&detect_concepts(&words_for_matching(&toks, false)))
    }

    #[test]
    fn the_data_file_is_valid() {
        let groups = parse(SOURCE).unwrap_or_else(|e| panic!("{e}"));
        assert!(groups.len() > 50, "{} groups", groups.len());
        assert!(groups.iter().all(|g| !g.concepts.is_empty()));
        assert!(groups.iter().all(|g| !g.patterns.is_empty()));
        // Every concept is reachable from some word, or no message could ever mention it.
        for c in Concept::ALL {
            assert!(
                groups.iter().any(|g| g.concepts.contains(c)),
                "no word means {}",
                c.name()
            );
        }
    }

    #[test]
    fn mistakes_in_the_data_file_are_reported_with_their_line() {
        let bad = |src: &str, line: usize, says: &str| {
            let e = parse(src).expect_err(src);
            assert_eq!(e.line, line, "{e}");
            assert!(e.to_string().contains(says), "{e}");
        };
        bad("Knock: стук\nKnok: стуч", 2, "unknown concept `Knok`");
        bad(
            "Knock: стук\nSqueak: скрип, стук",
            2,
            "`стук` is already on line 1",
        );
        bad("Knock:\nSqueak: скрип", 1, "no words");
        bad("Knock: стук, , стуч", 1, "empty word");
        bad("Knock: Стук", 1, "lowercase");
        bad("Knock: стук-стук", 1, "lowercase");
        bad("Knock: =", 1, "lowercase");
        bad("Knock: стук\nKnock: стуч", 2, "already has a line (1)");
        bad("  стук", 1, "none started");
        bad("стук", 1, "expected");
        // Comments, blank lines and continuation lines after a trailing comma are fine.
        let groups = parse("# c\n\nKnock, Squeak: стук,\n    =тук , стуч\n").expect("valid");
        assert_eq!(groups[0].concepts, [C::Knock, C::Squeak]);
        assert_eq!(groups[0].patterns, ["стук", "=тук", "стуч"]);
    }

    #[test]
    fn the_abbreviation_to_is_maintenance_only_in_context() {
        // `ТО` in capitals is maintenance, the particle `то` is not.
        assert!(concepts_of("Пора на ТО").has(C::Maintenance));
        assert!(concepts_of("пройти то на 60 тысяч").has(C::Maintenance));
        assert!(!concepts_of("то стучит, то не стучит").has(C::Maintenance));
        assert!(!concepts_of("ЧТО ТО СТУЧИТ").has(C::Maintenance));
    }

    #[test]
    fn synonyms_map_to_one_concept() {
        for t in [
            "кондей не дует",
            "кондер",
            "кондёр сломался",
            "кондиционер",
            "климат",
        ] {
            assert!(concepts_of(t).has(C::Aircon), "{t}");
        }
        for t in ["тосол уходит", "долить антифриз"] {
            assert!(concepts_of(t).has(C::Coolant), "{t}");
        }
        for t in [
            "горит чек",
            "check engine",
            "чек энджин горит",
            "Чек-энджин",
        ] {
            assert!(concepts_of(t).has(C::CheckEngine), "{t}");
        }
        for t in ["акб сел", "аккумулятор", "батарея разряжена", "акум"]
        {
            assert!(concepts_of(t).has(C::Battery), "{t}");
        }
        for t in ["резина", "шины", "переобуться", "переобувка", "шиномонтаж"]
        {
            assert!(concepts_of(t).has(C::Tires), "{t}");
        }
        assert!(concepts_of("колёса").has(C::Wheels));
        assert!(concepts_of("ремень ГРМ").has(C::Timing));
        for t in ["стучит", "стук", "стуканье", "постукивает", "гремит"]
        {
            assert!(concepts_of(t).has(C::Knock), "{t}");
        }
        for t in ["скрип", "скрипят", "свистят"] {
            assert!(concepts_of(t).has(C::Squeak), "{t}");
        }
        assert!(concepts_of("мотор троит").has(C::Misfire));
        for t in ["пинается", "пинки", "рывки"] {
            assert!(concepts_of(t).has(C::Jerk), "{t}");
        }
        assert!(concepts_of("колодки").has(C::Pads));
        assert!(concepts_of("колодок").has(C::Pads));
        assert!(concepts_of("техобслуживание").has(C::Maintenance));
        // One-vowel typos of long words.
        assert!(concepts_of("шиномантаж").has(C::Tires));
        assert!(concepts_of("амартизатор").has(C::Shock));
        // Negation phrases win over the bare word.
        assert!(concepts_of("фара не горит").has(C::NotWork));
        assert!(!concepts_of("фара не горит").has(C::Glow));
        assert!(concepts_of("печка не греет").has(C::Cold));
        assert!(!concepts_of("печка не греет").has(C::Overheat));
        // The most specific prefix wins (`рычаг` is not `рычит`).
        assert!(!concepts_of("рычаг").has(C::Loud));
    }
}
