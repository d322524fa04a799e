//! Step 6 of the pipeline, the car's make and model: Latin or Cyrillic, colloquial, declined.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::text::is_ru_vowel;

/// A model: canonical name, spellings, and whether the model alone names the
/// make (`Солярис` does; `Фокус`, `6` or `Атлас` are ordinary words or numbers
/// and only count right after their make).
type Model = (&'static str, &'static [&'static str], bool);

/// Makes common in Russia: canonical name, spellings (Latin and Cyrillic,
/// colloquial included; multi-word allowed), models.
#[rustfmt::skip]
const MAKES: &[(&str, &[&str], &[Model])] = &[
    ("Lada", &["lada", "лада", "ваз", "vaz", "жигули", "жига"], &[
        ("Vesta", &["vesta", "веста"], true),
        ("Granta", &["granta", "гранта"], true),
        ("Kalina", &["kalina", "калина"], false),
        ("Priora", &["priora", "приора"], true),
        ("Largus", &["largus", "ларгус"], true),
        ("Niva", &["niva", "нива"], true),
        ("XRAY", &["xray", "иксрей"], true),
        ("2107", &["2107"], false),
        ("2110", &["2110"], false),
        ("2114", &["2114"], false),
    ]),
    ("Kia", &["kia", "киа", "кия"], &[
        ("Rio", &["rio", "рио"], true),
        ("Ceed", &["ceed", "сид"], false),
        ("Sportage", &["sportage", "спортейдж", "спортаж"], true),
        ("Sorento", &["sorento", "соренто"], true),
        ("Optima", &["optima", "оптима"], false),
        ("K5", &["k5", "к5"], false),
        ("Cerato", &["cerato", "серато", "церато"], true),
        ("Soul", &["soul", "соул"], false),
        ("Seltos", &["seltos", "селтос"], true),
    ]),
    ("Hyundai", &["hyundai", "хендай", "хундай", "хюндай", "хендэ", "хенде", "хэндай", "хендаи", "хундаи"], &[
        ("Solaris", &["solaris", "солярис"], true),
        ("Creta", &["creta", "крета"], true),
        ("Tucson", &["tucson", "туссан", "тусон"], true),
        ("Santa Fe", &["santa fe", "santafe", "санта фе"], true),
        ("Elantra", &["elantra", "элантра"], true),
        ("Sonata", &["sonata", "соната"], false),
        ("i30", &["i30"], false),
        ("ix35", &["ix35"], true),
        ("Getz", &["getz", "гетц"], true),
    ]),
    ("Toyota", &["toyota", "тойота", "таета", "тоета", "таёта"], &[
        ("Camry", &["camry", "камри"], true),
        ("Corolla", &["corolla", "королла", "каролла"], true),
        ("RAV4", &["rav4", "rav 4", "рав4", "рав 4", "рафик"], true),
        (
            "Land Cruiser",
            &["land cruiser", "ленд крузер", "лэнд крузер", "крузак", "крузер"],
            true,
        ),
        ("Prado", &["prado", "прадо"], true),
        ("Highlander", &["highlander", "хайлендер"], true),
    ]),
    ("Volkswagen", &["volkswagen", "vw", "фольксваген", "фольцваген", "фольксвагон", "фольц", "вольксваген", "фв"], &[
        ("Polo", &["polo", "поло"], true),
        ("Tiguan", &["tiguan", "тигуан"], true),
        ("Passat", &["passat", "пассат"], true),
        ("Jetta", &["jetta", "джетта"], true),
        ("Golf", &["golf", "гольф"], true),
        ("Touareg", &["touareg", "туарег"], true),
    ]),
    ("Skoda", &["skoda", "škoda", "шкода"], &[
        ("Octavia", &["octavia", "октавия", "октавиа"], true),
        ("Rapid", &["rapid", "рапид"], true),
        ("Kodiaq", &["kodiaq", "кодиак"], true),
        ("Superb", &["superb", "суперб"], true),
        ("Yeti", &["yeti", "йети"], true),
        ("Fabia", &["fabia", "фабия"], true),
    ]),
    ("Renault", &["renault", "рено"], &[
        ("Logan", &["logan", "логан"], true),
        ("Sandero", &["sandero", "сандеро"], true),
        ("Duster", &["duster", "дастер"], true),
        ("Kaptur", &["kaptur", "каптюр", "каптур"], true),
        ("Arkana", &["arkana", "аркана"], true),
        ("Megane", &["megane", "меган"], true),
        ("Fluence", &["fluence", "флюенс"], true),
    ]),
    ("BMW", &["bmw", "бмв", "бэха", "бумер"], &[
        ("X1", &["x1"], true),
        ("X3", &["x3"], true),
        ("X5", &["x5"], true),
        ("X6", &["x6"], true),
        ("X7", &["x7"], true),
        ("3 Series", &["3 серии", "трешка", "e90", "f30", "320i"], false),
        ("5 Series", &["5 серии", "пятерка", "e60", "f10", "g30", "520i"], false),
    ]),
    ("Mercedes-Benz", &["mercedes benz", "mercedes", "мерседес бенц", "мерседес", "мерс", "мерин", "benz", "бенц"], &[
        (
            "E-Class",
            &[
                "e класс", "е класс", "e class", "ешка", "w212", "w213", "e200", "e220", "e250",
                "e300",
            ],
            false,
        ),
        (
            "C-Class",
            &["c класс", "с класс", "c class", "w204", "w205", "c180", "c200", "c250", "c300"],
            false,
        ),
        ("S-Class", &["s класс", "s class", "w222"], false),
        ("GLE", &["gle"], false),
        ("GLC", &["glc"], false),
        ("ML", &["ml"], false),
        ("Sprinter", &["sprinter", "спринтер"], true),
    ]),
    ("Ford", &["ford", "форд"], &[
        ("Focus", &["focus", "фокус"], false),
        ("Mondeo", &["mondeo", "мондео"], true),
        ("Kuga", &["kuga", "куга"], true),
        ("Fiesta", &["fiesta", "фиеста"], true),
        ("Transit", &["transit", "транзит"], false),
        ("Explorer", &["explorer", "эксплорер"], false),
    ]),
    ("Nissan", &["nissan", "ниссан", "нисан"], &[
        ("Qashqai", &["qashqai", "кашкай"], true),
        ("X-Trail", &["x trail", "xtrail", "икстрейл", "х трейл"], true),
        ("Almera", &["almera", "альмера"], true),
        ("Terrano", &["terrano", "террано"], true),
        ("Juke", &["juke"], true),
        ("Note", &["note", "ноут"], false),
        ("Teana", &["teana", "теана"], true),
        ("Murano", &["murano", "мурано"], true),
    ]),
    ("Mazda", &["mazda", "мазда"], &[
        ("CX-5", &["cx 5", "cx5", "сх 5", "сх5"], true),
        ("3", &["3", "тройка"], false),
        ("6", &["6", "шестерка"], false),
    ]),
    ("Chery", &["chery", "черри", "чери"], &[
        ("Tiggo", &["tiggo", "тигго", "тиго"], true),
        ("Arrizo", &["arrizo", "арризо"], true),
    ]),
    ("Haval", &["haval", "хавал", "хавейл", "хавэйл"], &[
        ("Jolion", &["jolion", "джолион"], true),
        ("F7", &["f7", "ф7"], false),
        ("H6", &["h6"], false),
        ("Dargo", &["dargo", "дарго"], true),
    ]),
    ("Geely", &["geely", "джили", "джилли"], &[
        ("Coolray", &["coolray", "кулрей", "кулрэй"], true),
        ("Atlas", &["atlas", "атлас"], false),
        ("Monjaro", &["monjaro", "монжаро"], true),
        ("Tugella", &["tugella", "тугелла"], true),
        ("Emgrand", &["emgrand", "эмгранд"], true),
    ]),
    ("Audi", &["audi", "ауди"], &[
        ("A3", &["a3"], false),
        ("A4", &["a4"], false),
        ("A6", &["a6"], false),
        ("A8", &["a8"], false),
        ("Q3", &["q3"], false),
        ("Q5", &["q5"], false),
        ("Q7", &["q7"], false),
    ]),
    ("Mitsubishi", &["mitsubishi", "мицубиси", "митсубиси", "мицубиши", "митсубиши"], &[
        ("Lancer", &["lancer", "лансер"], true),
        ("Outlander", &["outlander", "аутлендер", "аутлэндер"], true),
        ("Pajero", &["pajero", "паджеро"], true),
        ("ASX", &["asx"], true),
    ]),
    ("Chevrolet", &["chevrolet", "шевроле", "шевролет"], &[
        ("Niva", &["niva", "нива"], false),
        ("Lacetti", &["lacetti", "лачетти", "лачети"], true),
        ("Cruze", &["cruze", "круз"], true),
        ("Aveo", &["aveo", "авео"], true),
        ("Cobalt", &["cobalt", "кобальт"], false),
    ]),
    ("Honda", &["honda", "хонда"], &[
        ("Civic", &["civic", "цивик"], true),
        ("CR-V", &["cr v", "crv", "срв"], true),
        ("Accord", &["accord", "аккорд"], true),
    ]),
    ("Lexus", &["lexus", "лексус"], &[("RX", &["rx"], false), ("NX", &["nx"], false)]),
    ("Opel", &["opel", "опель"], &[
        ("Astra", &["astra", "астра"], true),
        ("Corsa", &["corsa", "корса"], true),
        ("Zafira", &["zafira", "зафира"], true),
        ("Insignia", &["insignia", "инсигния"], true),
    ]),
    ("Peugeot", &["peugeot", "пежо"], &[]),
    ("Citroen", &["citroen", "ситроен"], &[]),
    ("Volvo", &["volvo", "вольво"], &[("XC90", &["xc90"], true), ("XC60", &["xc60"], true)]),
    ("Subaru", &["subaru", "субару"], &[
        ("Forester", &["forester", "форестер"], true),
        ("Outback", &["outback", "аутбек"], true),
        ("Impreza", &["impreza", "импреза"], true),
    ]),
    ("Suzuki", &["suzuki", "сузуки"], &[
        ("Vitara", &["vitara", "витара"], true),
        ("SX4", &["sx4"], true),
    ]),
    ("UAZ", &["uaz", "уаз"], &[
        ("Patriot", &["patriot", "патриот"], false),
        ("Bukhanka", &["буханка"], true),
    ]),
    ("GAZ", &["gaz"], &[("Gazelle", &["газель", "gazelle"], true)]),
    ("Changan", &["changan", "чанган"], &[
        ("CS35", &["cs35"], false),
        ("UNI-K", &["uni k"], false),
    ]),
    ("Exeed", &["exeed", "эксид"], &[]),
    ("Omoda", &["omoda", "омода"], &[]),
    ("Daewoo", &["daewoo", "дэу", "деу"], &[
        ("Nexia", &["nexia", "нексия"], true),
        ("Matiz", &["matiz", "матиз"], true),
        ("Gentra", &["gentra", "джентра"], true),
    ]),
    ("Datsun", &["datsun", "датсун"], &[]),
    ("Infiniti", &["infiniti", "инфинити"], &[]),
    ("Land Rover", &["land rover", "ленд ровер", "лэнд ровер"], &[
        ("Range Rover", &["range rover", "рендж ровер"], true),
    ]),
    ("Porsche", &["porsche", "порше"], &[("Cayenne", &["cayenne", "кайен"], true)]),
];

/// Cyrillic letters that look like Latin ones: people type `Х5`, `А4`, `СХ5`
/// on a Russian keyboard.
fn latinize_lookalikes(w: &str) -> String {
    w.chars()
        .map(|c| match c {
            'а' => 'a',
            'в' => 'b',
            'е' => 'e',
            'к' => 'k',
            'м' => 'm',
            'о' => 'o',
            'р' => 'p',
            'с' => 'c',
            'т' => 't',
            'у' => 'y',
            'х' => 'x',
            other => other,
        })
        .collect()
}

/// Does `word` spell `name`, allowing Russian case endings on Cyrillic names
/// (`Шкоде`, `Октавии`, `Хендая`, `Солярисе`) but not on indeclinable ones
/// (`Поло` must not match `поле`)?
fn spells(word: &str, name: &str) -> bool {
    if word == name {
        return true;
    }
    let cyrillic = name.chars().all(|c| ('а'..='я').contains(&c));
    if !cyrillic {
        // `х5` typed in Cyrillic is the BMW X5.
        return word.chars().any(|c| c.is_ascii_digit()) && latinize_lookalikes(word) == name;
    }
    let Some(last) = name.chars().last() else {
        return false;
    };
    let (stem, endings): (&str, &[&str]) = match last {
        'а' | 'я' => (
            &name[..name.len() - last.len_utf8()],
            &["а", "у", "е", "ы", "и", "ой", "ою", "ей", "ю", "я", "ее"],
        ),
        'й' => (
            &name[..name.len() - last.len_utf8()],
            &["я", "ю", "е", "ем", "и"],
        ),
        c if !is_ru_vowel(c) && c != 'ь' => (
            name,
            &["а", "у", "е", "ом", "ы", "ов", "ам", "ами", "ах", "ой"],
        ),
        _ => return false,
    };
    word.strip_prefix(stem)
        .is_some_and(|rest| endings.contains(&rest))
}

/// Matches a (possibly multi-word) spelling at token `i`; returns tokens used.
fn spelling_at(words: &[String], i: usize, parts: &[&str]) -> Option<usize> {
    if i + parts.len() > words.len() {
        return None;
    }
    parts
        .iter()
        .zip(&words[i..])
        .all(|(p, w)| spells(w, p))
        .then_some(parts.len())
}

/// One spelling of a make (`model == None`) or of a model.
struct CarSpelling {
    make: usize,
    model: Option<usize>,
    parts: Vec<&'static str>,
}

/// All make/model spellings, indexed by their first character so each token is
/// compared only with the few spellings that can match it.
fn car_index() -> &'static HashMap<char, Vec<CarSpelling>> {
    static INDEX: OnceLock<HashMap<char, Vec<CarSpelling>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut idx: HashMap<char, Vec<CarSpelling>> = HashMap::new();
        let mut add = |make: usize, model: Option<usize>, spelling: &'static str| {
            if let Some(first) = spelling.chars().next() {
                idx.entry(first).or_default().push(CarSpelling {
                    make,
                    model,
                    parts: spelling.split(' ').collect(),
                });
            }
        };
        for (mi, (_, spellings, models)) in MAKES.iter().enumerate() {
            for sp in spellings.iter() {
                add(mi, None, sp);
            }
            for (di, (_, sps, _)) in models.iter().enumerate() {
                for sp in sps.iter() {
                    add(mi, Some(di), sp);
                }
            }
        }
        idx
    })
}

/// Spellings that may start at `word` (its first letter, or the Latin
/// lookalike of it for `х5`-style tokens).
fn car_candidates(word: &str) -> impl Iterator<Item = &'static CarSpelling> {
    let idx = car_index();
    let first = word.chars().next();
    let latin = first.and_then(|c| latinize_lookalikes(&c.to_string()).chars().next());
    let alt = latin.filter(|l| Some(*l) != first && word.chars().any(|c| c.is_ascii_digit()));
    [first, alt]
        .into_iter()
        .flatten()
        .filter_map(move |c| idx.get(&c))
        .flatten()
}

/// Is `word` one word of a make's or model's spelling (`toyota`, `camry`, `land`)? Such words
/// are not transliterated in a message typed in Latin letters.
pub(super) fn is_car_name(word: &str) -> bool {
    car_candidates(word).any(|c| c.parts.contains(&word))
}

pub(super) fn find_make_model(words: &[String]) -> (Option<String>, Option<String>) {
    // The first make mentioned; then a model of it, either right after it or,
    // for models unambiguous on their own, anywhere.
    let mut make_at: Option<(usize, usize)> = None; // (make, token after it)
    'outer: for i in 0..words.len() {
        for c in car_candidates(&words[i]) {
            if c.model.is_none() {
                if let Some(len) = spelling_at(words, i, &c.parts) {
                    make_at = Some((c.make, i + len));
                    break 'outer;
                }
            }
        }
    }
    for j in 0..words.len() {
        for c in car_candidates(&words[j]) {
            let Some(model) = c.model else { continue };
            let (_, _, models) = MAKES[c.make];
            let (model_name, _, standalone) = models[model];
            let fits = match make_at {
                Some((mk, after)) => {
                    mk == c.make && (standalone || (after..after + 2).contains(&j))
                }
                None => standalone,
            };
            if fits && spelling_at(words, j, &c.parts).is_some() {
                return (
                    Some(MAKES[c.make].0.to_string()),
                    Some(model_name.to_string()),
                );
            }
        }
    }
    (make_at.map(|(mk, _)| MAKES[mk].0.to_string()), None)
}

#[cfg(test)]
mod tests {
    use super::super::{ExtractedCar, RulesEngine};

    fn car_of(text: &str) -> ExtractedCar {
        RulesEngine::new(Vec::new()).analyze(text).car
    }

    #[test]
    fn makes_and_models() {
        let mm = |t: &str| {
            let c = car_of(t);
            (c.make, c.model)
        };
        let s = |a: &str, b: Option<&str>| (Some(a.to_string()), b.map(str::to_string));
        assert_eq!(mm("Лада Веста"), s("Lada", Some("Vesta")));
        assert_eq!(mm("у меня ваз 2110"), s("Lada", Some("2110")));
        assert_eq!(mm("Kia Rio"), s("Kia", Some("Rio")));
        assert_eq!(mm("киа рио"), s("Kia", Some("Rio")));
        assert_eq!(mm("Хендай Солярис"), s("Hyundai", Some("Solaris")));
        assert_eq!(mm("на солярисе стучит"), s("Hyundai", Some("Solaris")));
        assert_eq!(mm("Тойота Камри"), s("Toyota", Some("Camry")));
        assert_eq!(mm("VW Polo"), s("Volkswagen", Some("Polo")));
        assert_eq!(mm("Фольксваген Поло"), s("Volkswagen", Some("Polo")));
        assert_eq!(mm("на Шкоде Октавии"), s("Skoda", Some("Octavia")));
        assert_eq!(mm("Рено Логан"), s("Renault", Some("Logan")));
        assert_eq!(mm("БМВ Х5"), s("BMW", Some("X5")));
        assert_eq!(mm("Мерседес е класс"), s("Mercedes-Benz", Some("E-Class")));
        assert_eq!(mm("Форд Фокус"), s("Ford", Some("Focus")));
        assert_eq!(mm("nissan qashqai"), s("Nissan", Some("Qashqai")));
        assert_eq!(mm("Mazda 6"), s("Mazda", Some("6")));
        assert_eq!(mm("Chery Tiggo 7"), s("Chery", Some("Tiggo")));
        assert_eq!(mm("Хавал Джолион"), s("Haval", Some("Jolion")));
        assert_eq!(mm("Geely Coolray"), s("Geely", Some("Coolray")));
        assert_eq!(mm("Ауди А4"), s("Audi", Some("A4")));
        assert_eq!(mm("Ауди"), s("Audi", None));
        // Ordinary words are not models: "фокус", "поле", "ладно".
        assert_eq!(mm("какой-то фокус с подвеской"), (None, None));
        assert_eq!(mm("ладно, поле"), (None, None));
    }
}
