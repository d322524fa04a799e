//! Jobs a company does not take (issue 17, item 4): «кузовной ремонт», «покраска». A message
//! that asks for one is answered that the shop does not do it, and the rules look only at the
//! rest of the message, so the customer is offered what the shop does do for the rest of what
//! they wrote — never a wrong service in place of the declined job.

use super::rules::stem;

/// Jobs a company may list.
pub const MAX_JOBS: usize = 30;
/// The longest job, in characters.
pub const MAX_JOB_CHARS: usize = 60;

/// The jobs of `jobs` that `text` asks for, and `text` without their words.
pub fn find(text: &str, jobs: &[String]) -> (Vec<String>, String) {
    let words = words(text);
    let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
    let mut found = Vec::new();
    let mut used = vec![false; words.len()];
    for job in jobs {
        let job_stems: Vec<String> = significant(job).iter().map(|w| stem(w)).collect();
        if job_stems.is_empty() {
            continue;
        }
        let hits: Vec<Vec<usize>> = job_stems
            .iter()
            .map(|j| {
                stems
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| related(s, j))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        if hits.iter().all(|h| !h.is_empty()) {
            found.push(job.clone());
            for i in hits.into_iter().flatten() {
                used[i] = true;
            }
        }
    }
    let mut rest = words
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(w, _)| w.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    // The engines read a question by its mark.
    if text.contains('?') && !rest.is_empty() {
        rest.push('?');
    }
    (found, rest)
}

/// Lowercase words of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words of a job that must be in a message: three letters or more.
fn significant(job: &str) -> Vec<String> {
    words(job)
        .into_iter()
        .filter(|w| w.chars().count() >= 3)
        .collect()
}

/// A message's stem `word` is of the family of a job's stem `job`: the same, or, for a job stem
/// of four letters or more, one begins the other within two letters («покрас» of «покрасить» and
/// «покраск» of «покраска»; «кузов» and «кузовн») — not a longer compound («стекл» is not
/// «стеклоподъемник»). A short job stem («гбо», «шин») must be the word's own.
fn related(word: &str, job: &str) -> bool {
    if word == job {
        return true;
    }
    let (w, j) = (word.chars().count(), job.chars().count());
    let (short, long) = if w <= j { (word, job) } else { (job, word) };
    j >= 4 && short.chars().count() >= 4 && long.starts_with(short) && w.abs_diff(j) <= 2
}

/// The list as an admin typed it: trimmed, without empty lines and repeats, each job checked.
pub fn checked(jobs: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for job in jobs {
        let job = job.split_whitespace().collect::<Vec<_>>().join(" ");
        if job.is_empty() || out.iter().any(|j| j.to_lowercase() == job.to_lowercase()) {
            continue;
        }
        if job.chars().count() > MAX_JOB_CHARS {
            return Err(format!("«{job}»: не длиннее {MAX_JOB_CHARS} символов"));
        }
        if significant(&job).is_empty() {
            return Err(format!("«{job}»: нужно слово хотя бы из трёх букв"));
        }
        out.push(job);
    }
    if out.len() > MAX_JOBS {
        return Err(format!("Не больше {MAX_JOBS} работ"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs() -> Vec<String> {
        vec!["кузовной ремонт".into(), "покраска".into()]
    }

    #[test]
    fn a_declined_job_is_found_in_its_word_forms() {
        let (found, rest) = find("Нужно покрасить крыло и поменять масло", &jobs());
        assert_eq!(found, vec!["покраска".to_string()]);
        assert_eq!(rest, "нужно крыло и поменять масло");
        let (_, rest) = find("Покрасите дверь? И масло поменяете?", &jobs());
        assert_eq!(rest, "дверь и масло поменяете?");
        let (found, _) = find("помял дверь, нужен кузовной ремонт", &jobs());
        assert_eq!(found, vec!["кузовной ремонт".to_string()]);
        // Every word of a job must be there: «ремонт» alone is not body work.
        let (found, rest) = find("ремонт подвески", &jobs());
        assert!(found.is_empty());
        assert_eq!(rest, "ремонт подвески");
        // Short stems do not match by accident.
        assert!(find("пока", &["покраска".to_string()]).0.is_empty());
        // Nor does a longer compound, and a short job is matched whole.
        assert!(find("не работает стеклоподъемник", &["стёкла".to_string()])
            .0
            .is_empty());
        assert_eq!(
            find("ставим ГБО?", &["ГБО".to_string()]).0,
            vec!["ГБО".to_string()]
        );
        assert!(find("гбошник", &["ГБО".to_string()]).0.is_empty());
    }

    #[test]
    fn the_list_is_tidied_and_checked() {
        assert_eq!(
            checked(vec![
                "  покраска ".into(),
                "".into(),
                "Покраска".into(),
                "кузовной  ремонт".into()
            ]),
            Ok(vec!["покраска".to_string(), "кузовной ремонт".to_string()])
        );
        assert!(checked(vec!["ой".into()]).is_err());
        assert!(checked(vec!["я".repeat(61)]).is_err());
    }
}
