//! Step 5 of the pipeline: the planner. Every catalogue entry is mapped onto the same concepts
//! (and Snowball stems) once, in [`Planner::new`]; for a message, an entry scores by direct
//! concept overlap, by the diagnoses pointing at its parts or category, and by plain stem
//! overlap (so a tenant's own wording still matches).

use std::collections::HashMap;

use super::concepts::{
    direct_weight, infer_category, is_specific_part, Category, Concept, ConceptSet, N_CONCEPTS,
};
use super::diagnosis::Cause;
use super::lexicon::detect_concepts;
use super::stem::stem;
use super::text::{is_stopword, tokenize, words_for_matching};
use super::{CatalogueEntry, ServiceMatch};

// Tunables, kept together so their interplay is visible.

/// Weight of a concept found in an entry's name / keywords / description.
const FIELD_NAME: f32 = 1.0;
const FIELD_KEYWORDS: f32 = 0.6;
const FIELD_DESCRIPTION: f32 = 0.5;
/// Bonus (times the diagnosis confidence) for an entry in a diagnosis' category.
const CATEGORY_BONUS: f32 = 0.35;
/// Weight of the plain stem-overlap signal relative to concept signals.
const STEM_WEIGHT: f32 = 0.35;
/// Entries below this raw score, or below this share of the best one, are dropped.
const MIN_RAW_SCORE: f32 = 0.3;
const MIN_SHARE_OF_BEST: f32 = 0.25;
/// Factor for an entry whose name carries a specific part nobody asked about
/// (`масло в АКПП` when the customer wrote just `масло`).
const UNREQUESTED_PART_FACTOR: f32 = 0.85;
pub(super) const MAX_SERVICES: usize = 5;

/// A tenant's catalogue, pre-processed for scoring.
pub(super) struct Planner {
    entries: Vec<Entry>,
    /// Inverted index: stem → (entry index, field weight). Built once.
    stem_index: HashMap<String, Vec<(usize, f32)>>,
    /// Inverse document frequency of each catalogue stem, scaled to 0..=1.
    idf: HashMap<String, f32>,
}

/// A catalogue entry reduced to what the planner needs.
struct Entry {
    id: i64,
    /// Canonical category: parsed from the tenant's string, else inferred from the name.
    cat: Option<Category>,
    /// Strength with which the entry is about each concept (name > keywords > description).
    weight: [f32; N_CONCEPTS],
    /// Specific parts named in the entry's name.
    name_parts: ConceptSet,
}

/// Stem → entry index → best field weight, while the catalogue is read.
type StemFields = HashMap<String, HashMap<usize, f32>>;

/// Stems worth matching: content words of three letters or more.
fn content_stems(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| w.chars().count() >= 3 && !is_stopword(w))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| stem(w))
        .collect()
}

impl Planner {
    pub(super) fn new(catalogue: &[CatalogueEntry]) -> Planner {
        let mut stem_fields = StemFields::new();
        let entries: Vec<Entry> = catalogue
            .iter()
            .enumerate()
            .map(|(idx, e)| Entry::read(e, idx, &mut stem_fields))
            .collect();

        // idf scaled to 0..=1 so a stem unique to one service counts fully and one
        // shared by every service ("замена") almost nothing.
        let n = entries.len() as f32;
        let span = (1.0 + n).ln() - 2f32.ln();
        let mut idf = HashMap::new();
        let mut stem_index = HashMap::new();
        for (s, per_entry) in stem_fields {
            let df = per_entry.len() as f32;
            let v = if span > 0.0 {
                ((1.0 + n / df).ln() - 2f32.ln()) / span
            } else {
                1.0
            };
            idf.insert(s.clone(), v);
            stem_index.insert(s, per_entry.into_iter().collect::<Vec<_>>());
        }
        Planner {
            entries,
            stem_index,
            idf,
        }
    }

    /// Scores every catalogue entry; see the module docs for the three signals.
    pub(super) fn plan(
        &self,
        cs: ConceptSet,
        concepts: &[Concept],
        words: &[String],
        causes: &[(&Cause, f32)],
    ) -> Vec<ServiceMatch> {
        let mut raw = self.stem_scores(words);

        // Parts suggested by the diagnoses: an entry naming one of them is
        // not penalised as "unrequested".
        let mut suggested = ConceptSet::default();
        for (c, _) in causes {
            for &(p, _) in c.parts {
                suggested.insert(p);
            }
        }

        for (i, e) in self.entries.iter().enumerate() {
            let mut r = raw[i] + e.direct_score(concepts) + e.diagnosis_score(causes);
            let unrequested = e.name_parts.0 & !(cs.0 | suggested.0) != 0;
            if unrequested {
                r *= UNREQUESTED_PART_FACTOR;
            }
            raw[i] = r;
        }

        let best = raw.iter().copied().fold(0.0f32, f32::max);
        let mut ranked: Vec<(usize, f32)> = raw
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, r)| r >= MIN_RAW_SCORE && r >= best * MIN_SHARE_OF_BEST)
            .collect();
        // Ties keep catalogue order (stable sort), which is the tenant's own order.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
            .into_iter()
            .take(MAX_SERVICES)
            .map(|(i, r)| ServiceMatch {
                id: self.entries[i].id,
                // Squash the unbounded raw score into 0..1.
                score: 1.0 - (-r).exp(),
            })
            .collect()
    }

    /// Stem overlap (generic, the tenant's wording), per entry.
    fn stem_scores(&self, words: &[String]) -> Vec<f32> {
        let mut raw = vec![0.0f32; self.entries.len()];
        let mut stems = content_stems(words);
        stems.sort();
        stems.dedup();
        for s in &stems {
            let (Some(list), Some(idf)) = (self.stem_index.get(s), self.idf.get(s)) else {
                continue;
            };
            for &(e, fw) in list {
                raw[e] += STEM_WEIGHT * idf * fw;
            }
        }
        raw
    }
}

impl Entry {
    /// Reads the concepts of the entry's name, keywords and description, and adds its stems to
    /// `stem_fields` under index `idx`.
    fn read(e: &CatalogueEntry, idx: usize, stem_fields: &mut StemFields) -> Entry {
        let mut weight = [0.0f32; N_CONCEPTS];
        let mut name_hits = Vec::new();
        for (text, field_w) in [
            (&e.name, FIELD_NAME),
            (&e.keywords, FIELD_KEYWORDS),
            (&e.description, FIELD_DESCRIPTION),
        ] {
            let (_, toks) = tokenize(text);
            let words = words_for_matching(&toks, true);
            let hits = detect_concepts(&words);
            for &(_, c) in &hits {
                let slot = &mut weight[c as usize];
                *slot = slot.max(field_w);
            }
            if field_w == FIELD_NAME {
                name_hits = hits;
            }
            for s in content_stems(&words) {
                let slot = stem_fields.entry(s).or_default().entry(idx).or_insert(0.0);
                *slot = slot.max(field_w);
            }
        }
        let mut name_parts = ConceptSet::default();
        for &(_, c) in &name_hits {
            if is_specific_part(c) {
                name_parts.insert(c);
            }
        }
        Entry {
            id: e.id,
            cat: Category::parse(&e.category).or_else(|| infer_category(&name_hits)),
            weight,
            name_parts,
        }
    }

    /// The customer named the part or service.
    fn direct_score(&self, concepts: &[Concept]) -> f32 {
        concepts
            .iter()
            .map(|&c| self.weight[c as usize] * direct_weight(c))
            .sum()
    }

    /// The likely causes are fixed by this entry's part or category.
    fn diagnosis_score(&self, causes: &[(&Cause, f32)]) -> f32 {
        let mut diag = 0.0;
        for (c, conf) in causes {
            let part = c
                .parts
                .iter()
                .map(|&(p, pw)| pw * self.weight[p as usize])
                .fold(0.0f32, f32::max);
            let cat = if self.cat.is_some_and(|k| c.cats.contains(&k)) {
                CATEGORY_BONUS
            } else {
                0.0
            };
            diag += conf * (part + cat);
        }
        diag
    }
}

#[cfg(test)]
mod tests {
    use super::super::RulesEngine;
    use super::*;

    fn entry(id: i64, name: &str, category: &str, keywords: &str) -> CatalogueEntry {
        CatalogueEntry {
            id,
            name: name.to_string(),
            category: category.to_string(),
            description: String::new(),
            keywords: keywords.to_string(),
        }
    }

    #[test]
    fn works_with_a_differently_worded_catalogue() {
        // Russian category names, no keywords: matching relies on the names.
        let engine = RulesEngine::new(vec![
            entry(10, "Замена колодок передних", "Тормозная система", ""),
            entry(11, "Заправка автокондиционера фреоном", "Климат", ""),
            entry(12, "Замена линков стабилизатора", "Ходовая часть", ""),
            entry(13, "Мойка кузова", "Мойка", ""),
        ]);
        let top = |t: &str| engine.analyze(t).services.first().map(|s| s.id);
        assert_eq!(top("скрипят тормоза"), Some(10));
        assert_eq!(top("кондей не холодит"), Some(11));
        assert_eq!(top("стучит на кочках"), Some(12));
        let a = engine.analyze("стучит на кочках");
        assert!(!a.diagnoses.is_empty() && a.diagnoses.len() <= 3);
        assert!(a.services.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(a.services.iter().all(|s| (0.0..=1.0).contains(&s.score)));
        // Spam gets nothing.
        assert!(engine.analyze("Куплю диски R16").services.is_empty());
    }
}
