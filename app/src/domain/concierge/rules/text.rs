//! Step 1 of the pipeline: normalisation and tokenisation, and the small word lists every later
//! step shares (vowels, stopwords, the typo tolerance).

/// Lowercases and folds `ё` into `е` (Russians write both; the catalogue may too).
pub(super) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        for lc in ch.to_lowercase() {
            out.push(if lc == 'ё' { 'е' } else { lc });
        }
    }
    out
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    /// Normalised text (lowercase, `ё`→`е`).
    pub(super) text: String,
    /// Char offsets into the normalised text, used to tell `120 000` from `120, 000`.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Written in capitals in the original (`ТО`, `ГРМ`).
    pub(super) upper: bool,
}

/// Hyphenated particles that only colour the previous word (`что-то`, `где-нибудь`).
/// Dropping them matters: `что-то` must not yield the token `то` (= `ТО`, maintenance).
#[rustfmt::skip]
const HYPHEN_PARTICLES: &[&str] = &["то", "нибудь", "либо", "ка", "таки"];

/// Splits into alphanumeric tokens. Letters and digits stay together (`а777мр199`,
/// `x5`, `150к`), everything else separates.
pub(super) fn tokenize(original: &str) -> (Vec<char>, Vec<Token>) {
    let orig_chars: Vec<char> = original.chars().collect();
    // Mostly-capitals messages ("ЧТО ТО СТУЧИТ") carry no case information.
    let letters = orig_chars.iter().filter(|c| c.is_alphabetic()).count();
    let uppers = orig_chars.iter().filter(|c| c.is_uppercase()).count();
    let shouting = letters > 0 && uppers * 2 > letters;

    // Per-char normalisation keeps offsets aligned with the original.
    let norm: Vec<char> = orig_chars
        .iter()
        .map(|&c| {
            let lc = c.to_lowercase().next().unwrap_or(c);
            if lc == 'ё' {
                'е'
            } else {
                lc
            }
        })
        .collect();

    let mut toks: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < norm.len() {
        if !norm[i].is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < norm.len() && norm[i].is_alphanumeric() {
            i += 1;
        }
        let text: String = norm[start..i].iter().collect();
        let is_particle = start > 0
            && norm[start - 1] == '-'
            && start >= 2
            && norm[start - 2].is_alphabetic()
            && HYPHEN_PARTICLES.contains(&text.as_str());
        if is_particle {
            continue;
        }
        let orig = &orig_chars[start..i];
        let upper = !shouting
            && orig.len() >= 2
            && orig.iter().all(|c| !c.is_alphabetic() || c.is_uppercase());
        toks.push(Token {
            text,
            start,
            end: i,
            upper,
        });
    }
    (norm, toks)
}

/// The service abbreviation `ТО` collides with the very common word `то`.
/// It is maintenance when written in capitals, or when its neighbours say so
/// (`пройти то`, `то на 60 тысяч`). In catalogue text (`catalogue = true`) it is
/// always the abbreviation: nobody writes the particle into a keyword list.
pub(super) fn words_for_matching(toks: &[Token], catalogue: bool) -> Vec<String> {
    const TO_VERBS: &[&str] = &[
        "пройти",
        "пройду",
        "пройдем",
        "сделать",
        "делать",
        "сделаем",
        "плановое",
        "очередное",
        "пора",
        "нужно",
        "надо",
        "очередного",
        "планового",
    ];
    let mut out = Vec::with_capacity(toks.len());
    for (i, t) in toks.iter().enumerate() {
        if t.text == "то" {
            let prev = i.checked_sub(1).map(|p| toks[p].text.as_str());
            let next = toks.get(i + 1).map(|n| n.text.as_str());
            let next2 = toks.get(i + 2).map(|n| n.text.as_str());
            let num = |s: Option<&str>| s.is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()));
            let is_service = catalogue
                || t.upper
                || prev.is_some_and(|p| TO_VERBS.contains(&p))
                || num(next)
                || (next == Some("на") && num(next2));
            out.push(if is_service {
                "техобслуживание".to_string()
            } else {
                t.text.clone()
            });
        } else {
            out.push(t.text.clone());
        }
    }
    out
}

pub(super) fn is_ru_vowel(c: char) -> bool {
    matches!(c, 'а' | 'е' | 'и' | 'о' | 'у' | 'ы' | 'э' | 'ю' | 'я')
}

/// Does `word` start with `prefix` up to one vowel-for-vowel substitution?
/// Unstressed vowels are the commonest Russian misspelling (`тормаза`,
/// `шиномантаж`, `запешите`), and restricting the edit to vowels keeps false
/// positives rare.
pub(super) fn fuzzy_prefix(word: &[char], prefix: &[char]) -> bool {
    if word.len() < prefix.len() {
        return false;
    }
    let mut edits = 0;
    for (a, b) in word.iter().zip(prefix) {
        if a != b {
            if !(is_ru_vowel(*a) && is_ru_vowel(*b)) {
                return false;
            }
            edits += 1;
            if edits > 1 {
                return false;
            }
        }
    }
    true
}

/// Function words and politeness that carry no service meaning. Used only for
/// the stem overlap (the concept lexicon ignores them by construction).
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    "и", "в", "во", "на", "не", "что", "это", "с", "со", "у", "к", "по", "за", "из", "от", "до",
    "при", "для", "о", "об", "а", "но", "или", "же", "ли", "бы", "то", "как", "так", "вы", "мы",
    "я", "мне", "меня", "вас", "вам", "нас", "мой", "моя", "мою", "есть", "можно", "нужно", "надо",
    "хочу", "пожалуйста", "здравствуйте", "добрый", "день", "спасибо", "машина", "машину", "машины",
    "машиной", "авто", "автомобиль", "автомобиля", "очень", "уже", "еще", "все", "всё", "там",
    "тут", "когда", "где", "сколько", "стоит", "будет", "был", "была", "стал", "стала", "его", "ее",
    "их", "они", "он", "она", "оно", "себя", "под", "над", "без", "после", "перед", "через", "ваш",
    "вашем", "ваши", "этой", "эту", "этот", "какой", "запишите", "записаться", "записать",
    "приехать", "здрасьте", "привет", "часть", "части",
];

pub(super) fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_and_particles() {
        assert_eq!(normalize("ЁЖИК Ёлка"), "ежик елка");
        let (_, toks) = tokenize("Что-то стучит");
        let w: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(w, ["что", "стучит"]);
    }
}
