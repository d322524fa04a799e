//! Phone numbers in E.164, the form they are stored and compared in.

/// Normalises a phone number typed by a person into E.164 (`+79161234567`).
/// Russian habits are understood: a leading `8` or a bare 10-digit number means +7.
pub fn normalize(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let has_plus = trimmed.starts_with('+');
    if trimmed
        .chars()
        .any(|c| !(c.is_ascii_digit() || " +-()\u{a0}.".contains(c)))
    {
        return None;
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let e164 = match (has_plus, digits.len(), digits.chars().next()) {
        (false, 11, Some('8')) => format!("7{}", &digits[1..]),
        (false, 10, Some('9')) => format!("7{digits}"),
        (_, 7..=15, Some(first)) if first != '0' => digits,
        _ => return None,
    };
    Some(format!("+{e164}"))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn russian_forms_become_e164() {
        assert_eq!(
            normalize("8 (916) 123-45-67").as_deref(),
            Some("+79161234567")
        );
        assert_eq!(
            normalize("+7 916 123 45 67").as_deref(),
            Some("+79161234567")
        );
        assert_eq!(normalize("9161234567").as_deref(), Some("+79161234567"));
        assert_eq!(normalize("79161234567").as_deref(), Some("+79161234567"));
        assert_eq!(normalize("+49 30 1234567").as_deref(), Some("+49301234567"));
    }

    #[test]
    fn garbage_is_rejected() {
        assert_eq!(normalize(""), None);
        assert_eq!(normalize("abc"), None);
        assert_eq!(normalize("12"), None);
        assert_eq!(normalize("+0123456789"), None);
        assert_eq!(normalize("8916123456x"), None);
    }
}
