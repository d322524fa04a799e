//! Step 2 of the pipeline: which words mean which [`Concept`].
//!
//! A pattern is one or more space-separated elements matched against consecutive tokens; an
//! element is a word prefix, or an exact word when it starts with `=`. At each position the most
//! specific pattern wins (most tokens, then most characters), so `не горит` (NotWork) hides
//! `горит` (Glow), `не греет` (Cold) hides `греет` (Overheat) and `рычаг` (suspension arm) hides
//! `рыч…` (growling).
//!
//! Prefixes rather than full stems are used because customers write inflected, colloquial and
//! misspelt forms; a one-vowel typo is tolerated for long prefixes. They are chosen to cover
//! inflection and colloquial forms while not colliding with everyday words; short or ambiguous
//! words are listed exactly.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::concepts::{Concept, ConceptSet};
use super::text::fuzzy_prefix;
use Concept as C;

#[rustfmt::skip]
const LEXICON: &[(&[C], &[&str])] = &[
    // --- climate and cooling ---
    (&[C::Aircon], &["кондиц", "конде", "кондю", "кондиш", "климат", "фреон", "хладаг", "=кондер"]),
    (&[C::Heater], &["печк", "=печь", "=печи", "отопит"]),
    (&[C::Coolant], &["антифриз", "тосол", "охлажд", "радиатор", "расширит", "помп"]),
    (&[C::Thermostat], &["термостат"]),
    (&[C::Fan], &["вентилятор", "=карлсон"]),
    (&[C::Overheat], &["перегре", "грее", "=греется", "закип", "кипит", "кипя", "=перегрев"]),
    (&[C::Temp], &["температур", "=стрелка", "=стрелки", "=стрелку"]),
    (&[C::Red], &["красн"]),
    (&[C::Rise], &["поднима", "=растет", "=высокая", "=высокий"]),
    (&[C::Cold], &[
        "холодн", "=холод", "=холодом", "прохладн", "=не грее", "=не греют", "=не греет",
        "=плохо грее",
    ]),
    (&[C::Warm], &[
        "тепл", "горяч", "=жарко", "=не холод", "=не холодит", "=не охлаждает", "=не морозит",
        "=плохо холод", "=плохо охлажд", "=слабо дует",
    ]),
    (&[C::Green], &["зелен", "розов"]),
    // --- electrical ---
    (&[C::Battery], &["аккум", "акум", "=акб", "батаре"]),
    (&[C::Starter], &["стартер"]),
    (&[C::Alternator], &["генератор"]),
    (&[C::Drain], &[
        "=сел", "=села", "=сели", "садит", "разряд", "разряж", "прикур", "сдох", "=умер", "=сажает",
    ]),
    (&[C::NoStart], &[
        "=не завод", "=не завел", "=не завед", "=не завест", "=не запуск", "=не крутит",
    ]),
    (&[C::HardStart], &[
        "=плохо завод", "=тяжело завод", "=долго завод", "=плохо завел", "=с трудом завод",
        "=не с первого",
    ]),
    (&[C::Click], &["щелк", "щелч", "цока"]),
    (&[C::Light], &[
        "=фара", "=фары", "=фару", "=фар", "=фарой", "=фарах", "поворотник", "габарит",
        "=стоп сигнал", "стопари", "ближн", "дальн", "противотуман", "=птф", "подсветк",
    ]),
    (&[C::Fuse], &["предохранит", "=реле"]),
    (&[C::Electrics], &[
        "электрик", "электрон", "электро", "проводк", "=провод", "=провода", "=проводов", "замыкан",
        "=кз", "стеклоподъем", "сигнализац", "магнитол", "приборк", "=центральный замок",
        "=центральный", "моргает", "мерцает", "дворник", "омывател",
    ]),
    (&[C::Lamp], &["ламп", "индикатор", "значок", "=иконка"]),
    (&[C::Glow], &["=горит", "=горят", "загорел", "загора", "светится"]),
    (&[C::NotWork], &[
        "=не горит", "=не горят", "=не работает", "=не работают", "=не включ", "=не светит",
        "=не светят", "перестал работ", "сломал", "=не крутится",
    ]),
    (&[C::BulbOut], &["=мигает быстро", "=быстро мигает", "=мигает часто", "=часто мигает"]),
    // --- diagnostics ---
    (&[C::CheckEngine], &[
        "=чек", "=чека", "=чеке", "=чеком", "=check", "=чекэнджин", "=check engine", "=чек энджин",
        "=чек енджин", "=чек инжин", "=чек engine",
    ]),
    (&[C::Computer], &["компьютер", "сканер", "=обд", "=obd", "=elm"]),
    (&[C::ErrorCode], &["ошибк", "=ошибок"]),
    (&[C::Diag], &[
        "диагност", "продиагност", "провер", "осмотр", "посмотрет", "=посмотрите", "=гляньте",
        "=глянуть",
    ]),
    // --- suspension and steering ---
    (&[C::Suspension], &["подвеск", "ходов", "сайлент", "рычаг", "=подвес"]),
    (&[C::StabLink], &["стабилиз", "=стоек", "стойк"]),
    (&[C::Shock], &["амортиз", "аморт"]),
    (&[C::BallJoint], &["шаров", "шрус"]),
    (&[C::HubBearing], &["ступиц", "подшипник"]),
    (&[C::Bumps], &[
        "кочк", "неровност", "=яма", "=ямы", "=яму", "=ямах", "=ямам", "=ямой", "ямк", "выбоин",
        "лежач", "брусчат", "грунтов", "бездорож", "колдоб", "ухаб",
    ]),
    (&[C::Knock], &[
        "стук", "стуч", "=тук", "грем", "громых", "бряк", "бряц", "дребезж", "клац", "постук",
        "=колотит", "бренч", "звяка", "хруст",
    ]),
    (&[C::Squeak], &["скрип", "скрежет", "свист", "визж", "визг", "пищ"]),
    (&[C::Hum], &[
        "=гул", "гудит", "гуд", "=воет", "=вой", "подвыва", "жужж", "=шум", "шумит", "шумят",
        "=шумно",
    ]),
    (&[C::Vibration], &[
        "вибрац", "вибрир", "тряс", "тряск", "дрож", "колбас", "=бьет", "=бьют", "=бить", "=биение",
        "=лихорадит",
    ]),
    (&[C::Sway], &["раскачив", "=пробой", "пробива", "=валится", "=кренится"]),
    (&[C::SteeringWheel], &["=руль", "=руля", "=рулю", "=рулем", "=руле", "=баранка", "=баранку"]),
    (&[C::SteeringRack], &["рулев", "рейк", "=тяги", "наконечник"]),
    (&[C::PowerSteering], &["=гур", "гидроусил", "=эур", "электроусил", "усилител"]),
    (&[C::Heavy], &["тяжел", "=туго", "=тугой", "=тугая", "закусыв"]),
    (&[C::Turn], &[
        "=поворот", "=повороте", "=поворота", "=повороты", "=поворотах", "поворачив", "выкруч",
        "=вывернуть",
    ]),
    (&[C::Pull], &[
        "=тянет", "тянуть", "=уводит", "увод", "=ведет", "=тащит", "=криво", "крив", "подрулив",
        "рыска", "=не едет ровно", "=не едет прямо", "=не держит дорогу",
    ]),
    // --- brakes ---
    (&[C::Brake], &["торм"]),
    (&[C::Pads], &["колодк", "=колодок"]),
    (&[C::Disc], &["диск"]),
    (&[C::BrakeFluid, C::Brake, C::Fluid], &["торм жидкост"]),
    (&[C::Pedal], &["педал"]),
    (&[C::Fluid], &["жидкост"]),
    (&[C::Soft], &["мягк", "провалива", "=проваливается", "=в =пол", "ватн"]),
    (&[C::WeakBraking, C::Brake], &["=плохо торм", "=не торм", "=хуже торм", "=слабо торм"]),
    (&[C::Warp], &["=повело", "деформ", "погнул", "=гнутый", "восьмерк"]),
    // --- engine, oil, maintenance ---
    (&[C::Oil], &["масл", "=маслице"]),
    (&[C::Filter], &["фильтр"]),
    (&[C::Pressure], &["давлен"]),
    (&[C::Maintenance], &[
        "техобслуж", "=тех обслуж", "обслуживан", "регламент", "планов", "сервисн", "=техосмотр",
    ]),
    (&[C::Spark], &["свеч"]),
    (&[C::Ignition], &["зажиган", "катушк", "высоковольт"]),
    (&[C::Misfire], &["троит", "=троить", "=троят", "=пропуски", "пропуск", "чиха"]),
    (&[C::Idle], &["холост", "=хх"]),
    (&[C::Stall], &["глохн", "заглох", "=плавают"]),
    (&[C::Engine], &["двигат", "мотор", "=движок", "движк", "=двс"]),
    (&[C::Belt], &["ремен", "ремн"]),
    (&[C::Timing, C::Belt], &["=грм"]),
    (&[C::Timing], &["=цепь", "=цепи", "=цепью", "натяжит", "ролик"]),
    (&[C::Body], &[
        "стекл", "лобов", "зеркал", "=бампер", "кузов", "=дверь", "=двери", "капот", "багажник",
        "=замок",
    ]),
    (&[C::Smoke], &["дым", "=дымок", "=дымит"]),
    (&[C::Smell], &["запах", "воня", "=пахнет", "=воняет", "=гарь", "=гарью"]),
    (&[C::NoPower], &[
        "=не тянет", "=не едет", "=не разгоняется", "=плохо разгоняется", "=потеря мощности",
        "=провалы", "=провал при",
    ]),
    (&[C::Fuel], &["топлив", "бензин", "=дизель", "=солярка", "=бак"]),
    (&[C::Consume], &["=жрет", "=ест", "=кушает", "расход"]),
    (&[C::Consume, C::Oil], &["=уходит масл", "=расход масл", "=жрет масл", "=ест масл"]),
    (&[C::Leave], &["=уходит", "=уходят", "убыва", "=пропадает", "=падает"]),
    (&[C::Leak], &[
        "теч", "подтек", "капа", "=капли", "луж", "=потек", "потеки", "сопл", "мокр", "потеет",
    ]),
    // --- transmission ---
    (&[C::Transmission], &[
        "коробк", "=кпп", "=акпп", "=мкпп", "=акп", "автомат", "вариатор", "=робот", "=dsg", "=дсг",
        "трансмис",
    ]),
    (&[C::Shift], &["передач", "переключ"]),
    (&[C::Jerk], &[
        "пина", "пинк", "=пинок", "рывк", "=рывок", "дерга", "=дернул", "толчк", "=толчок", "удар",
    ]),
    (&[C::Clutch], &["сцеп", "выжимн", "корзин", "маховик"]),
    (&[C::Slip], &["буксу", "схватыв"]),
    // --- exhaust ---
    (&[C::Exhaust], &["глушит", "глушак", "выхлоп", "резонатор", "катализатор", "гофр"]),
    (&[C::Loud], &["громк", "рыч", "=ревет", "=рев", "=трактор", "грохо"]),
    (&[C::Burnt], &["прогор", "прогни", "=дырка", "дыряв", "отвалил"]),
    // --- tyres, wheels, alignment ---
    (&[C::Tires], &[
        "резин", "=шины", "=шин", "=шину", "=шинах", "=шиной", "=шине", "шиномонт", "покрышк",
        "переобу", "=шипы",
    ]),
    (&[C::Season], &["зимн", "летн", "сезон", "=зиму", "=лето"]),
    (&[C::Wheels], &["колес", "=колесо"]),
    (&[C::Balance], &["баланс"]),
    (&[C::Alignment], &["развал", "схожд", "=сход", "геометри", "=углы"]),
    (&[C::Puncture], &["прокол", "грыж", "спустил", "спуска", "=порез", "=гвоздь", "саморез"]),
    (&[C::Wear], &["износ", "изнаш", "стира"]),
    (&[C::Speed], &["скорост", "разгон", "=трасса", "=трассе"]),
    // --- actions ---
    (&[C::Replace], &["замен", "помен", "=менять", "=сменить", "смена", "=смену"]),
    (&[C::Refill], &["заправ", "=долить", "долив", "=залить"]),
    (&[C::Repair], &["ремонт", "почин", "отремонт"]),
];

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
    concepts: &'static [Concept],
}

/// First character → (prefix chars, concepts) of the typo-tolerant prefixes.
type FuzzyIndex = HashMap<char, Vec<(Vec<char>, &'static [Concept])>>;

/// The lexicon compiled once per process: patterns indexed by their first
/// character, plus the long single prefixes eligible for typo tolerance (also
/// by first character: a misspelt first letter is rare and not worth the cost).
struct Lexicon {
    by_first: HashMap<char, Vec<Pattern>>,
    fuzzy: FuzzyIndex,
}

fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| {
        let mut by_first: HashMap<char, Vec<Pattern>> = HashMap::new();
        let mut fuzzy = FuzzyIndex::new();
        for (concepts, patterns) in LEXICON {
            for pat in patterns.iter() {
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
                    if chars.len() >= 5 {
                        fuzzy.entry(chars[0]).or_default().push((chars, *concepts));
                    }
                }
                let chars = pat.chars().filter(|&c| c != '=' && c != ' ').count();
                if let Some(ch) = first {
                    by_first.entry(ch).or_default().push(Pattern {
                        elems,
                        chars,
                        concepts,
                    });
                }
            }
        }
        Lexicon { by_first, fuzzy }
    })
}

/// Finds the concepts of a token sequence, with the token index of each hit.
pub(super) fn detect_concepts(words: &[String]) -> Vec<(usize, Concept)> {
    let lex = lexicon();
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
            if let (true, Some(candidates)) = (wc.len() >= 5, candidates) {
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

    fn concepts_of(text: &str) -> ConceptSet {
        let (_, toks) = tokenize(text);
        concept_set(&detect_concepts(&words_for_matching(&toks, false)))
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
