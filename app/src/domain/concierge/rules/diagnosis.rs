//! Step 4 of the pipeline: diagnosis. The symptom rules ([`super::symptoms`]) turn the
//! concepts of a message into likely causes with a confidence, the categories of the services
//! that address them and the part concepts a repair would touch.

use super::concepts::{Category, Concept, ConceptSet};
use super::symptoms::RULES;

/// A likely cause: its Russian title, base confidence, the categories of the
/// services that address it, and the part concepts (with weights) a catalogue
/// entry should mention to be the fix.
pub(super) struct Cause {
    pub(super) title: &'static str,
    pub(super) conf: f32,
    pub(super) cats: &'static [Category],
    pub(super) parts: &'static [(Concept, f32)],
}

/// Fires when every group in `when` has at least one concept present and none
/// of `unless` is present. Each `boost` concept present adds 10 % confidence.
pub(super) struct Rule {
    pub(super) when: &'static [&'static [Concept]],
    pub(super) unless: &'static [Concept],
    pub(super) boost: &'static [Concept],
    pub(super) causes: &'static [Cause],
}

pub(super) const fn cause(
    title: &'static str,
    conf: f32,
    cats: &'static [Category],
    parts: &'static [(Concept, f32)],
) -> Cause {
    Cause {
        title,
        conf,
        cats,
        parts,
    }
}

/// Applies the rules; returns causes sorted by confidence (best first), one per title.
pub(super) fn diagnose(cs: ConceptSet) -> Vec<(&'static Cause, f32)> {
    let mut out: Vec<(&'static Cause, f32)> = Vec::new();
    for rule in RULES {
        let fires = rule.when.iter().all(|g| cs.any(g)) && !cs.any(rule.unless);
        if !fires {
            continue;
        }
        let boosts = rule.boost.iter().filter(|&&c| cs.has(c)).count() as f32;
        for c in rule.causes {
            let conf = (c.conf * (1.0 + 0.1 * boosts)).min(0.95);
            match out.iter_mut().find(|(o, _)| o.title == c.title) {
                Some(existing) if existing.1 < conf => *existing = (c, conf),
                Some(_) => {}
                None => out.push((c, conf)),
            }
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}
