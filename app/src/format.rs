//! How amounts, days and cars read in Russian: one way for the web admin (server and browser)
//! and the bot alike. What needs dates or decimals is server-side, like those crates.

#[cfg(feature = "ssr")]
use chrono::{Datelike, NaiveDate, Weekday};
#[cfg(feature = "ssr")]
use rust_decimal::Decimal;

/// `12 345 ₽`, `990,50 ₽` (kopecks only when there are any), digits grouped the Russian way
/// with non-breaking spaces; the amount in kopecks.
pub fn kopecks(amount: i64) -> String {
    let grouped = grouped((amount / 100).unsigned_abs());
    let sign = if amount < 0 { "−" } else { "" };
    match (amount % 100).unsigned_abs() {
        0 => format!("{sign}{grouped}\u{a0}₽"),
        cents => format!("{sign}{grouped},{cents:02}\u{a0}₽"),
    }
}

/// `12 345`: digits grouped by three with non-breaking spaces, the Russian way.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(digit);
    }
    out
}

/// [`kopecks`] of an amount in rubles (rounded to the kopeck).
#[cfg(feature = "ssr")]
pub fn rubles(amount: Decimal) -> String {
    let cents = (amount * Decimal::from(100)).round();
    // Prices are NUMERIC(10,2): far inside i64 kopecks.
    kopecks(i64::try_from(cents).unwrap_or_default())
}

/// «Toyota Camry 2015 · А123ВС77»: what is known of a car, or «Автомобиль» when nothing is.
pub fn car_label(make: &str, model: &str, year: Option<i32>, plate: Option<&str>) -> String {
    let mut label = [make.trim(), model.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(year) = year {
        label = format!("{label} {year}").trim_start().to_string();
    }
    match plate.map(str::trim).filter(|p| !p.is_empty()) {
        Some(plate) if label.is_empty() => plate.to_string(),
        Some(plate) => format!("{label} · {plate}"),
        None if label.is_empty() => "Автомобиль".to_string(),
        None => label,
    }
}

/// «понедельник».
#[cfg(feature = "ssr")]
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
#[cfg(feature = "ssr")]
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

/// What the day pickers say when a shop has no free time in the weeks they search, with its
/// phone to call when it has one.
#[cfg(feature = "ssr")]
pub fn no_free_time(shop: &str, phone: &str) -> String {
    let call = match phone.trim() {
        "" => String::new(),
        phone => format!(" Позвоните, пожалуйста: {phone}."),
    };
    format!("В ближайшие три недели в «{shop}» свободного времени нет.{call}")
}

/// A day as the pickers show it: «пт 28.11».
#[cfg(feature = "ssr")]
pub fn day_label(date: NaiveDate) -> String {
    format!("{} {}", weekday_short(date), date.format("%d.%m"))
}

/// `2026-12-31` as people here write it: `31.12.2026` (anything else as it is).
pub fn russian_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [year, month, day] => format!("{day}.{month}.{year}"),
        _ => iso.to_string(),
    }
}

/// The Russian form of a noun after a count: `forms` are for 1, 2 and 5 (визит, визита,
/// визитов).
pub fn plural(n: i64, forms: [&'static str; 3]) -> &'static str {
    let n = n.unsigned_abs();
    match (n % 10, n % 100) {
        (_, 11..=14) => forms[2],
        (1, _) => forms[0],
        (2..=4, _) => forms[1],
        _ => forms[2],
    }
}

/// A service category as customers read it: the demo catalogue's codes (`suspension`…) in
/// Russian, a company's own words as typed, «Другое» for none.
pub fn category_label(category: &str) -> String {
    let label = match category.trim() {
        "" => "Другое",
        "aircon" => "Кондиционер",
        "alignment" => "Развал-схождение",
        "brakes" => "Тормоза",
        "cooling" => "Охлаждение",
        "diagnostics" => "Диагностика",
        "electrical" => "Электрика",
        "engine" => "Двигатель",
        "exhaust" => "Выхлопная система",
        "maintenance" => "Техобслуживание",
        "oil" => "Масло и жидкости",
        "steering" => "Рулевое управление",
        "suspension" => "Подвеска",
        "tires" => "Шины и колёса",
        "transmission" => "Трансмиссия",
        other => other,
    };
    label.to_string()
}

/// The days of the week, Monday first, as tables and schedules abbreviate them.
pub const WEEKDAYS: [&str; 7] = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"];

#[cfg(all(test, feature = "ssr"))]
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
    fn kopecks_are_exact() {
        assert_eq!(kopecks(300_000), "3\u{a0}000\u{a0}₽");
        assert_eq!(kopecks(5), "0,05\u{a0}₽");
        assert_eq!(kopecks(-15_050), "−150,50\u{a0}₽");
        assert_eq!(kopecks(0), "0\u{a0}₽");
    }

    #[test]
    fn car_labels_say_what_is_known() {
        assert_eq!(
            car_label("Toyota", "Camry", Some(2015), Some("А123ВС77")),
            "Toyota Camry 2015 · А123ВС77"
        );
        assert_eq!(car_label("Lada", "", None, None), "Lada");
        assert_eq!(car_label(" ", "", None, Some("А123ВС77")), "А123ВС77");
        assert_eq!(car_label("", "", None, Some(" ")), "Автомобиль");
    }

    #[test]
    fn weekdays() {
        let monday = NaiveDate::from_ymd_opt(2030, 1, 14).unwrap();
        assert_eq!(weekday_name(monday), "понедельник");
        assert_eq!(weekday_short(monday.succ_opt().unwrap()), "вт");
    }

    #[test]
    fn counts_take_the_russian_plural() {
        let forms = ["визит", "визита", "визитов"];
        for (n, form) in [
            (1, "визит"),
            (2, "визита"),
            (4, "визита"),
            (5, "визитов"),
            (11, "визитов"),
            (12, "визитов"),
            (14, "визитов"),
            (21, "визит"),
            (22, "визита"),
            (111, "визитов"),
            (0, "визитов"),
        ] {
            assert_eq!(plural(n, forms), form, "{n}");
        }
    }
}
