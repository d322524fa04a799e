//! How amounts and days read in Russian, for the web admin and the bot alike.

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;

/// `12 345 ₽`, `990,50 ₽` (kopecks only when there are any), digits grouped the Russian way
/// with non-breaking spaces.
pub fn rubles(amount: Decimal) -> String {
    let amount = amount.round_dp(2);
    let whole = amount.trunc().abs().to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "−"
    } else {
        ""
    };
    let kopecks = (amount.fract().abs() * Decimal::from(100)).trunc();
    if kopecks.is_zero() {
        format!("{sign}{grouped}\u{a0}₽")
    } else {
        format!("{sign}{grouped},{kopecks:0>2}\u{a0}₽")
    }
}

/// «понедельник».
pub fn weekday_name(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "понедельник",
        Weekday::Tue => "вторник",
        Weekday::Wed => "среда",
        Weekday::Thu => "четверг",
        Weekday::Fri => "пятница",
        Weekday::Sat => "суббота",
        Weekday::Sun => "воскресенье",
    }
}

/// «пн».
pub fn weekday_short(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "пн",
        Weekday::Tue => "вт",
        Weekday::Wed => "ср",
        Weekday::Thu => "чт",
        Weekday::Fri => "пт",
        Weekday::Sat => "сб",
        Weekday::Sun => "вс",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rubles_group_thousands_and_show_kopecks_only_when_present() {
        assert_eq!(rubles(Decimal::new(1234500, 2)), "12\u{a0}345\u{a0}₽");
        assert_eq!(rubles(Decimal::new(99950, 2)), "999,50\u{a0}₽");
        assert_eq!(rubles(Decimal::new(99050, 2)), "990,50\u{a0}₽");
        assert_eq!(rubles(Decimal::ZERO), "0\u{a0}₽");
        assert_eq!(
            rubles(Decimal::new(100000000, 0)),
            "100\u{a0}000\u{a0}000\u{a0}₽"
        );
        assert_eq!(rubles(Decimal::new(-150, 0)), "−150\u{a0}₽");
    }

    #[test]
    fn weekdays() {
        let monday = NaiveDate::from_ymd_opt(2030, 1, 14).unwrap();
        assert_eq!(weekday_name(monday), "понедельник");
        assert_eq!(weekday_short(monday.succ_opt().unwrap()), "вт");
    }
}
