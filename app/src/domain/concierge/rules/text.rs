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
/// Question words that an indefinite particle turns into another word: `где-то` (somewhere) asks
/// for no address and `когда-то` (once) for no day. The particle stays glued to them
/// (`гдето`, `когдато`), so that the intent rules, which read `где` and `когда` whole, skip them.
#[rustfmt::skip]
const INDEFINITE_BASES: &[&str] = &["где", "когда", "куда"];

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
            if let Some(prev) = toks.last_mut() {
                if prev.end + 1 == start
                    && INDEFINITE_BASES.contains(&prev.text.as_str())
                    && matches!(text.as_str(), "то" | "нибудь" | "либо")
                {
                    prev.text.push_str(&text);
                    prev.end = i;
                }
            }
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

/// Latin spellings kept as they are when a message is transliterated: the lexicon and the
/// catalogue know them in Latin (`check engine`, `OBD`, `DSG`).
#[rustfmt::skip]
const LATIN_TERMS: &[&str] = &[
    "check", "engine", "obd", "elm", "dsg", "abs", "esp", "cvt", "vin", "ok",
];

/// Russian typed in Latin letters (`mozhno zapisatsya na zamenu masla`), the way people write
/// without a Cyrillic keyboard, is read as Cyrillic: when most of a message's letters are Latin,
/// each all-Latin word that is neither a car name (`keep`) nor one of [`LATIN_TERMS`] is
/// transliterated by [`latin_to_cyrillic`]. Words with digits (`r16`, `x5`) stay. A message that
/// is mostly Cyrillic is left alone (`чек engine`, `kia rio`), so the cost for it is one pass
/// over its tokens.
pub(super) fn transliterate_latin(toks: &mut [Token], keep: impl Fn(&str) -> bool) {
    let (mut latin, mut cyrillic) = (0usize, 0usize);
    for t in toks.iter() {
        for c in t.text.chars() {
            if c.is_ascii_alphabetic() {
                latin += 1;
            } else if c.is_alphabetic() {
                cyrillic += 1;
            }
        }
    }
    if latin <= cyrillic {
        return;
    }
    for t in toks.iter_mut() {
        let w = t.text.as_str();
        if w.chars().all(|c| c.is_ascii_lowercase()) && !LATIN_TERMS.contains(&w) && !keep(w) {
            t.text = latin_to_cyrillic(w);
        }
    }
}

/// Transliteration of one lowercase Latin word, as Russians write without their keyboard:
/// digraphs first (`shch`, `zh`, `kh`, `ts`, `ch`, `sh`, `ya`/`ja`, `yu`/`ju`, `yo`/`jo`, `ck`),
/// `tsya` as the verb ending `тся`; `y` after a vowel is `й` before a consonant or at the end
/// (`kakoy`), otherwise `ы`; `i` after a vowel is `й` at the end and in the imperative `-ite`
/// (`moi`, `sdelaite`), otherwise `и` (`stoit`); a word-initial `e` before `t` is `э` (`eto`).
/// The soft sign, usually left out or typed as `'`, is not restored; the intent rules accept the
/// forms without it (`skolko` → `сколко`).
pub(super) fn latin_to_cyrillic(word: &str) -> String {
    const DIGRAPHS: &[(&str, &str)] = &[
        ("shch", "щ"),
        ("tsya", "тся"),
        ("sch", "щ"),
        ("zh", "ж"),
        ("kh", "х"),
        ("ts", "ц"),
        ("ch", "ч"),
        ("sh", "ш"),
        ("ya", "я"),
        ("ja", "я"),
        ("yu", "ю"),
        ("ju", "ю"),
        ("yo", "е"),
        ("jo", "е"),
        ("ye", "е"),
        ("ck", "к"),
    ];
    let b = word.as_bytes();
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let mut out = String::with_capacity(word.len() * 2);
    let mut i = 0;
    while i < b.len() {
        if let Some((lat, cyr)) = DIGRAPHS
            .iter()
            .find(|(lat, _)| b[i..].starts_with(lat.as_bytes()))
        {
            out.push_str(cyr);
            i += lat.len();
            continue;
        }
        let c = b[i];
        let after_vowel = i > 0 && is_vowel(b[i - 1]);
        let before_consonant = b.get(i + 1).is_none_or(|&n| !is_vowel(n));
        let ends_word = i + 1 == b.len() || &b[i + 1..] == b"te";
        let cyr = match c {
            b'a' => "а",
            b'b' => "б",
            b'c' => "ц",
            b'd' => "д",
            b'e' if i == 0 && b.get(1) == Some(&b't') => "э",
            b'e' => "е",
            b'f' => "ф",
            b'g' => "г",
            b'h' => "х",
            b'y' if after_vowel && before_consonant => "й",
            b'i' if after_vowel && ends_word => "й",
            b'i' => "и",
            b'j' => "й",
            b'k' | b'q' => "к",
            b'l' => "л",
            b'm' => "м",
            b'n' => "н",
            b'o' => "о",
            b'p' => "п",
            b'r' => "р",
            b's' => "с",
            b't' => "т",
            b'u' => "у",
            b'v' | b'w' => "в",
            b'x' => "кс",
            b'y' => "ы",
            b'z' => "з",
            _ => "",
        };
        out.push_str(cyr);
        i += 1;
    }
    out
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
        // `где-то` is no `где`, `когда-нибудь` no `когда`.
        let (_, toks) = tokenize("стучит где-то, когда-нибудь");
        let w: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(w, ["стучит", "гдето", "когданибудь"]);
    }

    #[test]
    fn latin_transliteration() {
        for (lat, cyr) in [
            ("mozhno", "можно"),
            ("zapisatsya", "записатся"),
            ("zdravstvuyte", "здравствуйте"),
            ("zdravstvuite", "здравствуйте"),
            ("kakoy", "какой"),
            ("vy", "вы"),
            ("shchetki", "щетки"),
            ("tsena", "цена"),
            ("eto", "это"),
            ("yest", "ест"),
            ("khodovaya", "ходовая"),
            ("zamenit", "заменит"),
            ("stoit", "стоит"),
            ("sdelaite", "сделайте"),
        ] {
            assert_eq!(latin_to_cyrillic(lat), cyr, "{lat}");
        }
        // Only a mostly Latin message is transliterated, and car names stay Latin.
        let words = |text: &str| {
            let (_, mut toks) = tokenize(text);
            transliterate_latin(&mut toks, |w| w == "kia");
            toks.into_iter().map(|t| t.text).collect::<Vec<_>>()
        };
        assert_eq!(
            words("skolko stoit check engine kia"),
            ["сколко", "стоит", "check", "engine", "kia"]
        );
        assert_eq!(words("на kia rio стучит"), ["на", "kia", "rio", "стучит"]);
    }
}
