//! Step 6 of the pipeline: the car mentioned in the message — plate, mileage, year, and make and
//! model ([`super::makes`]).

use super::makes::find_make_model;
use super::text::Token;

/// Car details mentioned in the message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtractedCar {
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub plate: Option<String>,
    pub mileage_km: Option<i32>,
}

pub(super) fn extract_car(norm: &[char], toks: &[Token], words: &[String]) -> ExtractedCar {
    let mut car = ExtractedCar::default();
    // Tokens already read as the plate or the mileage, so that they are not a year too.
    let mut used = vec![false; toks.len()];

    if let Some((plate, s, e)) = find_plate(norm) {
        for (k, t) in toks.iter().enumerate() {
            if t.start < e && t.end > s {
                used[k] = true;
            }
        }
        car.plate = Some(plate);
    }
    car.mileage_km = find_mileage(norm, toks, &mut used);
    car.year = find_year(toks, &used);
    let (make, model) = find_make_model(words);
    car.make = make;
    car.model = model;
    car
}

fn text_at(toks: &[Token], k: usize) -> &str {
    toks.get(k).map(|t| t.text.as_str()).unwrap_or("")
}

/// Mileage: a number with a unit (тыс/км/к), or after the word "пробег". Marks its tokens used.
fn find_mileage(norm: &[char], toks: &[Token], used: &mut [bool]) -> Option<i32> {
    let text_at = |k: usize| text_at(toks, k);
    for i in 0..toks.len() {
        if used[i] {
            continue;
        }
        let Some((value, suffix, next)) = number_at(norm, toks, i) else {
            continue;
        };
        let (unit, after_unit) = if !suffix.is_empty() {
            (unit_of(&suffix), next)
        } else {
            (unit_of(text_at(next)), next + 1)
        };
        let after_mileage = (i.saturating_sub(3)..i).any(|k| text_at(k).starts_with("пробег"));
        let money = is_money(text_at(after_unit))
            || (unit == Some(Unit::Thousand) && is_money(text_at(after_unit + 1)))
            || (i > 0 && matches!(text_at(i - 1), "за" | "стоит" | "цена" | "стоимость"));
        if money {
            continue;
        }
        let km = match unit {
            Some(Unit::Thousand) if value < 10_000 => value * 1000,
            Some(Unit::Thousand) | Some(Unit::Km) => value,
            None if after_mileage && value < 1000 => value * 1000,
            None if after_mileage => value,
            None => continue,
        };
        if (100..=2_000_000).contains(&km) {
            let end = if unit.is_some() { after_unit } else { next };
            for u in used.iter_mut().take(end.min(toks.len())).skip(i) {
                *u = true;
            }
            return i32::try_from(km).ok();
        }
    }
    None
}

/// Year: a plausible 4-digit number not used above ("2015", "2015 года",
/// "2015г"), or two digits followed by "года" ("15 года").
fn find_year(toks: &[Token], used: &[bool]) -> Option<i32> {
    for i in 0..toks.len() {
        if used[i] {
            continue;
        }
        let t = toks[i].text.as_str();
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        let suffix = &t[digits.len()..];
        let next = if suffix.is_empty() {
            text_at(toks, i + 1)
        } else {
            suffix
        };
        let year_word = next.starts_with("год") || next == "г" || next == "гв";
        let Ok(v) = digits.parse::<i32>() else {
            continue;
        };
        let year = match digits.len() {
            4 if unit_of(next).is_none() && !is_money(next) => {
                if (1980..=2035).contains(&v) || ((1950..1980).contains(&v) && year_word) {
                    Some(v)
                } else {
                    None
                }
            }
            2 if year_word => Some(if v <= 35 { 2000 + v } else { 1900 + v }),
            _ => None,
        };
        if year.is_some() {
            return year;
        }
    }
    None
}

/// Maps a plate letter (Cyrillic or its Latin lookalike) to the canonical
/// uppercase Cyrillic letter. Only the 12 letters allowed on Russian plates.
fn plate_letter(c: char) -> Option<char> {
    Some(match c {
        'а' | 'a' => 'А',
        'в' | 'b' => 'В',
        'е' | 'e' => 'Е',
        'к' | 'k' => 'К',
        'м' | 'm' => 'М',
        'н' | 'h' => 'Н',
        'о' | 'o' => 'О',
        'р' | 'p' => 'Р',
        'с' | 'c' => 'С',
        'т' | 't' => 'Т',
        'у' | 'y' => 'У',
        'х' | 'x' => 'Х',
        _ => return None,
    })
}

/// Finds a Russian plate `Л DDD ЛЛ RR(R)` with optional single spaces between
/// groups. Returns the canonical plate (`А123ВС77`) and its char range.
fn find_plate(norm: &[char]) -> Option<(String, usize, usize)> {
    let boundary = |i: usize| i >= norm.len() || !norm[i].is_alphanumeric();
    for start in 0..norm.len() {
        if start > 0 && !boundary(start - 1) {
            continue;
        }
        let mut i = start;
        let mut out = String::new();
        let mut spaced = false;
        let mut ok = true;
        // (kind, count): letters or digits; region may have 2 or 3 digits.
        for (group, (digits, min, max)) in
            [(false, 1, 1), (true, 3, 3), (false, 2, 2), (true, 2, 3)]
                .iter()
                .enumerate()
        {
            if group > 0 && i < norm.len() && norm[i] == ' ' {
                spaced = true;
                i += 1;
            }
            let mut n = 0;
            while n < *max && i < norm.len() {
                let c = norm[i];
                let mapped = if *digits {
                    c.is_ascii_digit().then_some(c)
                } else {
                    plate_letter(c)
                };
                let Some(m) = mapped else { break };
                out.push(m);
                n += 1;
                i += 1;
            }
            if n < *min {
                ok = false;
                break;
            }
        }
        // A spaced "в 100 км 50" is a distance, not a plate.
        if ok && boundary(i) && !(spaced && out.contains("КМ")) {
            return Some((out, start, i));
        }
    }
    None
}

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Thousand,
    Km,
}

fn unit_of(s: &str) -> Option<Unit> {
    if s.starts_with("тыс") || s.starts_with("тыщ") || matches!(s, "т" | "к" | "тк" | "ткм" | "k")
    {
        Some(Unit::Thousand)
    } else if s.starts_with("км") || s.starts_with("километр") || s == "km" {
        Some(Unit::Km)
    } else {
        None
    }
}

fn is_money(s: &str) -> bool {
    s.starts_with("руб") || matches!(s, "р" | "₽" | "rub")
}

/// A number at token `i`, joining thousands groups written with a space
/// (`120 000`). Returns (value, in-token suffix like `к` in `150к`, next token).
fn number_at(norm: &[char], toks: &[Token], i: usize) -> Option<(i64, String, usize)> {
    let t = &toks[i];
    let digits: String = t.text.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 7 {
        return None;
    }
    let suffix: String = t.text.chars().skip(digits.len()).collect();
    let mut value: i64 = digits.parse().ok()?;
    let mut j = i + 1;
    if suffix.is_empty() && digits.len() <= 3 {
        while let Some(n) = toks.get(j) {
            let joined = n.start == toks[j - 1].end + 1
                && norm.get(toks[j - 1].end).is_some_and(|c| c.is_whitespace())
                && n.text.len() == 3
                && n.text.chars().all(|c| c.is_ascii_digit());
            if !joined {
                break;
            }
            // Checked: a run of "000 000 …" must not overflow.
            value = value
                .checked_mul(1000)?
                .checked_add(n.text.parse::<i64>().ok()?)?;
            j += 1;
        }
    }
    Some((value, suffix, j))
}

#[cfg(test)]
mod tests {
    use super::super::RulesEngine;
    use super::*;

    fn car_of(text: &str) -> ExtractedCar {
        RulesEngine::new(Vec::new()).analyze(text).car
    }

    #[test]
    fn plates() {
        assert_eq!(car_of("номер А123ВС77").plate.as_deref(), Some("А123ВС77"));
        assert_eq!(car_of("а 123 вс 777").plate.as_deref(), Some("А123ВС777"));
        // Latin lookalikes are normalised to Cyrillic.
        assert_eq!(
            car_of("гос номер x777kp199").plate.as_deref(),
            Some("Х777КР199")
        );
        assert_eq!(car_of("проехал в 100 км 50 минут").plate, None);
        assert_eq!(car_of("стучит на кочках").plate, None);
    }

    #[test]
    fn mileage_and_year() {
        assert_eq!(car_of("пробег 90 тысяч").mileage_km, Some(90_000));
        assert_eq!(car_of("уже 90 000 км").mileage_km, Some(90_000));
        assert_eq!(car_of("ТО на 60 тысяч").mileage_km, Some(60_000));
        assert_eq!(car_of("пробег 120 000").mileage_km, Some(120_000));
        assert_eq!(car_of("пробег 85").mileage_km, Some(85_000));
        assert_eq!(car_of("150к пробег").mileage_km, Some(150_000));
        assert_eq!(car_of("на скорости больше 90").mileage_km, None);
        assert_eq!(car_of("стоит 5 тысяч рублей?").mileage_km, None);
        let c = car_of("Киа Рио 2015 года, пробег 200 тыс км");
        assert_eq!(c.year, Some(2015));
        assert_eq!(c.mileage_km, Some(200_000));
        assert_eq!(car_of("машина 2012г").year, Some(2012));
        assert_eq!(car_of("аккумулятору 5 лет").year, None);
    }
}
