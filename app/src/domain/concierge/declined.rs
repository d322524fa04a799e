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
    let rest = words
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(w, _)| w.as_str())
        .collect::<Vec<_>>()
        .join(" ");
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

/// Two stems of one word family: one begins the other, and the shorter has four letters or
/// more («покрас» of «покрасить» and «покраск» of «покраска»; «кузов» and «кузовн»).
fn related(a: &str, b: &str) -> bool {
    let (short, long) = if a.chars().count() <= b.chars().count() {
        (a, b)
    } else {
        (b, a)
    };
    short.chars().count() >= 4 && long.starts_with(short)
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
        let (found, _) = find("помял дверь, нужен кузовной ремонт", &jobs());
        assert_eq!(found, vec!["кузовной ремонт".to_string()]);
        // Every word of a job must be there: «ремонт» alone is not body work.
        let (found, rest) = find("ремонт подвески", &jobs());
        assert!(found.is_empty());
        assert_eq!(rest, "ремонт подвески");
        // Short stems do not match by accident.
        assert!(find("пока", &["покраска".to_string()]).0.is_empty());
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
