//! Corrections that do not move a visit: its car, the client's words, staff's note and the
//! concierge's findings as staff see them.

use super::*;

/// Notes and summaries longer than this are pasted by mistake, not written.
const MAX_NOTE: usize = 2000;
const MAX_CAUSES: usize = 10;
const MAX_CAUSE: usize = 300;

/// Writes the details `change` gives (nothing when it gives none), on the locked visit.
pub(super) async fn edit(
    tx: &mut Tx,
    current: &CurrentVisit,
    change: &Change,
    by: Option<i64>,
) -> Result<()> {
    let touches = change.vehicle_id.is_some()
        || change.customer_note.is_some()
        || change.staff_note.is_some()
        || change.findings.is_some();
    if !touches {
        return Ok(());
    }
    if let Some(vehicle_id) = change.vehicle_id {
        check_client_and_vehicle(tx, current.client_id, vehicle_id).await?;
    }
    let customer_note = change
        .customer_note
        .as_deref()
        .map(|text| note(text, "Слова клиента"))
        .transpose()?;
    let staff_note = change
        .staff_note
        .as_deref()
        .map(|text| note(text, "Заметка сотрудника"))
        .transpose()?;
    let findings = change.findings.as_ref().map(checked).transpose()?;
    sqlx::query!(
        "UPDATE appointments
         SET vehicle_id = CASE WHEN $2 THEN $3 ELSE vehicle_id END,
             customer_note = coalesce($4, customer_note),
             staff_note = coalesce($5, staff_note),
             ai_edited_summary = CASE WHEN $6 THEN $7 ELSE ai_edited_summary END,
             ai_edited_causes = CASE WHEN $6 THEN $8::text[] ELSE ai_edited_causes END,
             ai_edited_by = CASE WHEN $6 THEN $9 ELSE ai_edited_by END,
             ai_edited_at = CASE WHEN $6 THEN now() ELSE ai_edited_at END,
             updated_at = now()
         WHERE id = $1",
        current.id,
        change.vehicle_id.is_some(),
        change.vehicle_id.flatten(),
        customer_note,
        staff_note,
        findings.is_some(),
        findings.as_ref().map(|f| f.summary.as_str()),
        findings.as_ref().map(|f| f.causes.as_slice()),
        by,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn note(text: &str, what: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > MAX_NOTE {
        return Err(Error::validation(format!(
            "{what}: не длиннее {MAX_NOTE} символов"
        )));
    }
    Ok(text.to_owned())
}

/// Trimmed, blank causes dropped, within the limits.
fn checked(findings: &Findings) -> Result<Findings> {
    let summary = note(&findings.summary, "Вывод")?;
    let causes: Vec<String> = findings
        .causes
        .iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if causes.len() > MAX_CAUSES {
        return Err(Error::validation(format!("Не больше {MAX_CAUSES} причин")));
    }
    if causes.iter().any(|c| c.chars().count() > MAX_CAUSE) {
        return Err(Error::validation(format!(
            "Причина: не длиннее {MAX_CAUSE} символов"
        )));
    }
    if summary.is_empty() && causes.is_empty() {
        return Err(Error::validation("Укажите вывод или хотя бы одну причину"));
    }
    Ok(Findings { summary, causes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_trimmed_and_bounded() {
        let ok = checked(&Findings {
            summary: "  Стук спереди справа ".into(),
            causes: vec!["Стойка стабилизатора".into(), "  ".into()],
        })
        .unwrap();
        assert_eq!(ok.summary, "Стук спереди справа");
        assert_eq!(ok.causes, vec!["Стойка стабилизатора"]);
        assert!(checked(&Findings::default()).is_err());
        assert!(checked(&Findings {
            summary: String::new(),
            causes: vec!["x".into(); MAX_CAUSES + 1],
        })
        .is_err());
        assert!(checked(&Findings {
            summary: String::new(),
            causes: vec!["я".repeat(MAX_CAUSE + 1)],
        })
        .is_err());
        assert!(note(&"я".repeat(MAX_NOTE + 1), "Заметка").is_err());
        assert_eq!(
            note(&"я".repeat(MAX_NOTE), "Заметка")
                .unwrap()
                .chars()
                .count(),
            MAX_NOTE
        );
    }
}
