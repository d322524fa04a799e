//! Built-in Russian rule-based concierge.
//!
//! This is the fallback used when no AI backend is configured or it fails: it must
//! always answer, instantly, without network or models. The pipeline mirrors the
//! AI one, one module a step:
//!
//! 1. `text` — **normalise + tokenise**: lowercase, `ё`→`е`, alphanumeric tokens, hyphen
//!    particles (`что-то`) dropped, the abbreviation `ТО` told apart from the word `то`; a
//!    message typed mostly in Latin letters (`mozhno zapisatsya`) transliterated into Cyrillic,
//!    car names and `check engine` kept;
//! 2. `lexicon` — **concepts**: the lexicon, a data file (`app/data/concierge-lexicon.txt`)
//!    of prefixes, exact forms and short phrases, maps colloquial spellings and synonyms
//!    (`кондей`, `тосол`, `чек энджин`, `акб`, `переобуться`…) onto the closed set of
//!    `concepts`;
//! 3. `intent` — booking / consultation / other, with explicit precedence;
//! 4. `diagnosis` — the symptom rules of `symptoms` (concept combinations) → likely causes
//!    with a confidence, the categories they belong to and the part concepts a repair would
//!    touch;
//! 5. `planner` — the company's catalogue, mapped onto the same concepts and stems once
//!    in [`RulesEngine::new`], scored against the message and the diagnoses;
//! 6. `car` and `makes` — make/model (Latin or Cyrillic, declined), year, plate, mileage.
//!
//! Allocation-light: a typical message is analysed in a few microseconds.

mod car;
mod concepts;
mod diagnosis;
#[cfg(test)]
mod eval;
mod intent;
mod lexicon;
mod makes;
mod planner;
mod stem;
mod symptoms;
mod text;

pub use car::ExtractedCar;
pub use intent::Intent;
pub use stem::stem;

use concepts::Concept;
use planner::Planner;

/// One service of a tenant's catalogue.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub description: String,
    pub keywords: String,
}

/// A likely cause of the described symptoms, in Russian.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    pub title: String,
    pub confidence: f32,
}

/// A catalogue entry suggested for the message; `score` is in `0..=1`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceMatch {
    pub id: i64,
    pub score: f32,
}

/// Result of [`RulesEngine::analyze`].
#[derive(Debug, Clone)]
pub struct Analysis {
    pub intent: Intent,
    /// 0–3 likely causes, most confident first (empty when no symptom is described).
    pub diagnoses: Vec<Diagnosis>,
    /// 0–5 catalogue services, best first.
    pub services: Vec<ServiceMatch>,
    pub car: ExtractedCar,
}

const MAX_DIAGNOSES: usize = 3;
/// Only the strongest causes steer the planner, so a long tail of weak
/// guesses cannot outvote them.
const DIAGNOSES_FOR_PLANNER: usize = 5;

/// Pre-processes a tenant's catalogue once (concepts and stems of names,
/// descriptions and keywords), reused for every message.
pub struct RulesEngine {
    planner: Planner,
}

impl RulesEngine {
    pub fn new(catalogue: Vec<CatalogueEntry>) -> Self {
        RulesEngine {
            planner: Planner::new(&catalogue),
        }
    }

    /// Runs the pipeline of the module docs on one message.
    pub fn analyze(&self, text: &str) -> Analysis {
        let (norm, mut toks) = text::tokenize(text);
        text::transliterate_latin(&mut toks, makes::is_car_name);
        let words = text::words_for_matching(&toks, false);
        let hits = lexicon::detect_concepts(&words);
        let cs = lexicon::concept_set(&hits);
        let question = text.contains('?');

        let signals = intent::intent_signals(&words, &hits, question);
        let intent = intent::decide_intent(&signals);
        let car = car::extract_car(&norm, &toks, &words);

        // Spam, FAQ and thanks get no suggestions, whatever words they contain
        // ("спасибо, стук пропал" needs no diagnosis); nor does a question about a visit the
        // customer has (moving, cancelling, how the car is getting on).
        if intent == Intent::Other || intent.is_about_a_visit() {
            return Analysis {
                intent,
                diagnoses: Vec::new(),
                services: Vec::new(),
                car,
            };
        }

        let causes = diagnosis::diagnose(cs);
        let diagnoses = causes
            .iter()
            .take(MAX_DIAGNOSES)
            .map(|(c, conf)| Diagnosis {
                title: c.title.to_string(),
                confidence: *conf,
            })
            .collect();
        let mut concepts: Vec<Concept> = hits.iter().map(|&(_, c)| c).collect();
        concepts.sort_by_key(|&c| c as u8);
        concepts.dedup();
        let planner_causes = &causes[..causes.len().min(DIAGNOSES_FOR_PLANNER)];
        let services = self.planner.plan(cs, &concepts, &words, planner_causes);
        Analysis {
            intent,
            diagnoses,
            services,
            car,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::planner::MAX_SERVICES;
    use super::*;

    #[test]
    fn odd_inputs_do_not_panic() {
        let engine = RulesEngine::new(vec![CatalogueEntry {
            id: 1,
            name: "Плановое ТО".to_string(),
            category: "maintenance".to_string(),
            description: String::new(),
            keywords: "то".to_string(),
        }]);
        let long = "стучит подвеска ".repeat(500);
        for t in [
            "",
            " ",
            "???",
            "😀🚗💨",
            "İstanbul ǅ ß ﬁ",
            "1 000 000 000 000 000 000 000 000 км",
            "99999999999999999999 км",
            "пробег",
            "а 123",
            "x",
            "-то",
            "ТО",
            long.as_str(),
        ] {
            let a = engine.analyze(t);
            assert!(a.diagnoses.len() <= MAX_DIAGNOSES);
            assert!(a.services.len() <= MAX_SERVICES);
        }
        // An empty catalogue works too.
        let a = RulesEngine::new(Vec::new()).analyze("стучит на кочках");
        assert!(a.services.is_empty() && !a.diagnoses.is_empty());
    }
}
