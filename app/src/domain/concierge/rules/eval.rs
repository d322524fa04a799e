//! The rules engine measured on the labelled sets: intent accuracy and category hit@3 on
//! `data/concierge-eval.jsonl` and on the held-out sets. Run with `--nocapture` to see the
//! scores and the misses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{CatalogueEntry, RulesEngine};

/// The project's copy of the demo catalogue (ids are 1-based positions, as in the
/// evaluation sets).
fn catalogue_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/catalogue.json")
}

/// Loads the demo catalogue; returns the engine and each id's category.
fn load_catalogue(path: &Path) -> (RulesEngine, HashMap<i64, String>) {
    let raw = std::fs::read_to_string(path).expect("read catalogue");
    let v: serde_json::Value = serde_json::from_str(&raw).expect("catalogue json");
    let services = v["services"].as_array().expect("services array");
    let mut cats = HashMap::new();
    let entries = services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let id = i as i64 + 1;
            let field = |k: &str| s[k].as_str().unwrap_or_default().to_string();
            cats.insert(id, field("category"));
            CatalogueEntry {
                id,
                name: field("name"),
                category: field("category"),
                description: field("description"),
                keywords: field("keywords"),
            }
        })
        .collect();
    (RulesEngine::new(entries), cats)
}

struct Score {
    intent_acc: f64,
    hit3: f64,
    n: usize,
    n_hit: usize,
}

fn evaluate(engine: &RulesEngine, cats: &HashMap<i64, String>, jsonl: &str) -> Score {
    let (mut n, mut ok, mut n_hit, mut hits) = (0, 0, 0, 0);
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("jsonl line");
        let text = v["text"].as_str().expect("text");
        let want_intent = v["intent"].as_str().expect("intent");
        let want: Vec<&str> = v["categories"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
            .unwrap_or_default();
        let a = engine.analyze(text);
        n += 1;
        let intent_ok = a.intent.as_str() == want_intent;
        ok += usize::from(intent_ok);
        let got: Vec<&str> = a
            .services
            .iter()
            .take(3)
            .filter_map(|s| cats.get(&s.id).map(String::as_str))
            .collect();
        let hit = want.iter().any(|c| got.contains(c));
        if !want.is_empty() {
            n_hit += 1;
            hits += usize::from(hit);
        }
        if !intent_ok || (!want.is_empty() && !hit) {
            println!(
                "MISS {text:?}: intent {} (want {want_intent}), top3 {got:?} (want {want:?}), diag {:?}",
                a.intent.as_str(),
                a.diagnoses.iter().map(|d| &d.title).collect::<Vec<_>>()
            );
        }
    }
    Score {
        intent_acc: ok as f64 / n.max(1) as f64,
        hit3: hits as f64 / n_hit.max(1) as f64,
        n,
        n_hit,
    }
}

/// The labelled set of `shared/eval/concierge.jsonl`, copied into the project (like the
/// catalogue) so that the tests do not depend on what lies beside the checkout.
#[test]
fn eval_concierge_set() {
    let (engine, cats) = load_catalogue(&catalogue_path());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/concierge-eval.jsonl");
    let jsonl =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let s = evaluate(&engine, &cats, &jsonl);
    println!(
        "concierge.jsonl: intent accuracy {:.3} ({} msgs), hit@3 {:.3} ({} with categories)",
        s.intent_acc, s.n, s.hit3, s.n_hit
    );
    assert!(s.n >= 150, "{} messages", s.n);
    assert!(s.intent_acc >= 0.96, "intent accuracy {}", s.intent_acc);
    assert!(s.hit3 >= 0.97, "hit@3 {}", s.hit3);
}

/// Held-out messages (`data/concierge-heldout/*.jsonl`), written by hand before the engine
/// was measured on them: the guard against tuning the rules to the shared set only.
#[test]
fn eval_heldout_set() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/concierge-heldout");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read data/concierge-heldout")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no held-out files in {}", dir.display());
    let (engine, cats) = load_catalogue(&catalogue_path());
    let mut all = String::new();
    for f in &files {
        let jsonl = std::fs::read_to_string(f).expect("read held-out file");
        let s = evaluate(&engine, &cats, &jsonl);
        println!(
            "{}: intent accuracy {:.3} ({} msgs), hit@3 {:.3} ({} with categories)",
            f.display(),
            s.intent_acc,
            s.n,
            s.hit3,
            s.n_hit
        );
        all.push_str(&jsonl);
        all.push('\n');
    }
    let s = evaluate(&engine, &cats, &all);
    println!(
        "held-out total: intent accuracy {:.3} ({} msgs), hit@3 {:.3} ({} with categories)",
        s.intent_acc, s.n, s.hit3, s.n_hit
    );
    assert!(s.intent_acc >= 0.85, "intent accuracy {}", s.intent_acc);
    assert!(s.hit3 >= 0.85, "hit@3 {}", s.hit3);
}
