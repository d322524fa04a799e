//! A shop's weekly working hours: `{"mon": [["09:00","18:00"]], …, "sun": []}`.
//!
//! Times are wall-clock times of the shop's own time zone; [`WorkingHours::open_periods`] turns
//! them into instants for one date, which is where daylight-saving time is dealt with.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{de, ser::SerializeMap, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{Error, Result};

const MINUTES_PER_DAY: u16 = 24 * 60;

/// JSON keys in the order of the week, and the Russian name used in error messages.
const DAYS: [(&str, &str); 7] = [
    ("mon", "понедельник"),
    ("tue", "вторник"),
    ("wed", "среда"),
    ("thu", "четверг"),
    ("fri", "пятница"),
    ("sat", "суббота"),
    ("sun", "воскресенье"),
];

/// One opening interval of a day, in minutes since local midnight: `start < end <= 24:00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    start: u16,
    end: u16,
}

/// «09:00–13:00».
impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (from, to) = (self.start, self.end);
        write!(
            f,
            "{:02}:{:02}–{:02}:{:02}",
            from / 60,
            from % 60,
            to / 60,
            to % 60
        )
    }
}

impl Interval {
    /// The interval on `date` as local wall-clock times; "24:00" is midnight of the next day
    /// (or the end of time, on the last day chrono can represent: never a panic).
    pub fn on(&self, date: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
        let at = |minutes: u16| {
            date.and_time(NaiveTime::MIN)
                .checked_add_signed(Duration::minutes(minutes.into()))
                .unwrap_or(NaiveDateTime::MAX)
        };
        (at(self.start), at(self.end))
    }
}

/// Opening intervals for each day of the week (index 0 = Monday), sorted and disjoint, and the
/// dates that differ from their weekday (closures and short days, see `closures`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkingHours {
    days: [Vec<Interval>; 7],
    dates: BTreeMap<NaiveDate, Vec<Interval>>,
}

impl WorkingHours {
    /// Parses and validates the JSON form. A missing (or `null`) day means the shop is closed
    /// that day. Intervals that touch (`13:00` ends one, `13:00` starts the next) are merged, so
    /// a visit may run across the join.
    pub fn from_json(value: &Value) -> Result<WorkingHours> {
        let Value::Object(map) = value else {
            return Err(Error::validation(
                "Часы работы: ожидается объект вида {\"mon\": [[\"09:00\", \"18:00\"]], …, \"sun\": []}",
            ));
        };
        let mut hours = WorkingHours::default();
        for (key, day) in map {
            let index = DAYS.iter().position(|(k, _)| k == key).ok_or_else(|| {
                Error::validation(format!(
                    "Часы работы: неизвестный день «{key}» (допустимы mon, tue, wed, thu, fri, sat, sun)"
                ))
            })?;
            hours.days[index] = parse_day(DAYS[index].1, day)?;
        }
        Ok(hours)
    }

    /// The opening intervals of a day of the week; empty when the shop is closed.
    pub fn day(&self, weekday: Weekday) -> &[Interval] {
        &self.days[weekday.num_days_from_monday() as usize]
    }

    /// A day of the week as people write it: «09:00–13:00, 14:00–20:00», or «выходной».
    pub fn day_text(&self, weekday: Weekday) -> String {
        let intervals = self.day(weekday);
        if intervals.is_empty() {
            return "выходной".to_string();
        }
        intervals
            .iter()
            .map(Interval::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The opening intervals of a calendar date; empty when the shop is closed.
    pub fn on(&self, date: NaiveDate) -> &[Interval] {
        match self.dates.get(&date) {
            Some(intervals) => intervals,
            None => self.day(date.weekday()),
        }
    }

    /// `date` closed all day.
    pub fn close(&mut self, date: NaiveDate) {
        self.dates.insert(date, Vec::new());
    }

    /// `date` open only from `opens` to `closes` (local times), within its usual hours: a short
    /// day never opens a shop that is closed that day.
    pub fn shorten(&mut self, date: NaiveDate, opens: NaiveTime, closes: NaiveTime) {
        let minutes = |t: NaiveTime| (t.hour() * 60 + t.minute()) as u16;
        let (from, to) = (minutes(opens), minutes(closes));
        let short = self
            .on(date)
            .iter()
            .filter_map(|i| {
                let (start, end) = (i.start.max(from), i.end.min(to));
                (start < end).then_some(Interval { start, end })
            })
            .collect();
        self.dates.insert(date, short);
    }

    /// The opening intervals of `date` as instants, for a shop in time zone `tz`.
    ///
    /// On daylight-saving switch days the wall clock is read the way people read it (the same
    /// rule as JavaScript Temporal's "compatible" disambiguation): a time that happens twice
    /// (autumn) means its first occurrence, a time that does not exist (spring) is moved forward
    /// by the length of the gap. So an interval from 00:00 to 24:00 lasts 23 hours on the spring
    /// switch day and 25 hours on the autumn one.
    pub fn open_periods(&self, date: NaiveDate, tz: Tz) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        self.on(date)
            .iter()
            .map(|interval| {
                let (start, end) = interval.on(date);
                (instant(tz, start), instant(tz, end))
            })
            // Only a gap longer than the interval could make it empty; such a period is no period.
            .filter(|(start, end)| start < end)
            .collect()
    }

    /// Whether the visit `[start, end)` lies entirely within one opening interval of the day it
    /// starts on (in the shop's time zone).
    pub fn covers(&self, tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let date = start.with_timezone(&tz).date_naive();
        self.open_periods(date, tz)
            .iter()
            .any(|(open, close)| *open <= start && end <= *close)
    }
}

/// The instant a local wall-clock time denotes in `tz` (see [`WorkingHours::open_periods`]).
pub(crate) fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: read the time with the offset in force before the clocks jumped, which
            // lands the same distance past the jump. A day earlier is safely before the gap.
            let before = tz
                .offset_from_utc_datetime(&(local - Duration::days(1)))
                .fix()
                .local_minus_utc();
            (local - Duration::seconds(before.into())).and_utc()
        }
    }
}

fn parse_day(name: &str, value: &Value) -> Result<Vec<Interval>> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => {
            return Err(Error::validation(format!(
                "Часы работы ({name}): ожидается список интервалов вида [[\"09:00\", \"18:00\"]]"
            )))
        }
    };
    let mut intervals: Vec<Interval> = Vec::with_capacity(items.len());
    for item in items {
        let pair = match item.as_array().map(Vec::as_slice) {
            Some([Value::String(a), Value::String(b)]) => (a, b),
            _ => {
                return Err(Error::validation(format!(
                    "Часы работы ({name}): интервал должен быть парой [\"ЧЧ:ММ\", \"ЧЧ:ММ\"]"
                )))
            }
        };
        let start = parse_time(name, pair.0)?;
        let end = parse_time(name, pair.1)?;
        if start >= end {
            return Err(Error::validation(format!(
                "Часы работы ({name}): начало {} должно быть раньше конца {}",
                pair.0, pair.1
            )));
        }
        match intervals.last_mut() {
            Some(last) if start < last.end => {
                return Err(Error::validation(format!(
                    "Часы работы ({name}): интервалы должны идти по порядку и не пересекаться"
                )))
            }
            Some(last) if start == last.end => last.end = end,
            _ => intervals.push(Interval { start, end }),
        }
    }
    Ok(intervals)
}

/// "HH:MM" with two-digit hours and minutes, from "00:00" to "24:00" inclusive.
fn parse_time(name: &str, text: &str) -> Result<u16> {
    let invalid = || {
        Error::validation(format!(
            "Часы работы ({name}): неверное время «{text}», ожидается ЧЧ:ММ от 00:00 до 24:00"
        ))
    };
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return Err(invalid());
    }
    let number = |digits: &[u8]| -> Option<u16> {
        digits.iter().try_fold(0u16, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u16::from(d - b'0'))
        })
    };
    let (hours, minutes) = number(&bytes[..2])
        .zip(number(&bytes[3..]))
        .ok_or_else(invalid)?;
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > MINUTES_PER_DAY {
        return Err(invalid());
    }
    Ok(total)
}

fn format_time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Always all seven days, Monday first, closed days as `[]`.
impl Serialize for WorkingHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(DAYS.len()))?;
        for ((key, _), intervals) in DAYS.iter().zip(&self.days) {
            let pairs: Vec<[String; 2]> = intervals
                .iter()
                .map(|i| [format_time(i.start), format_time(i.end)])
                .collect();
            map.serialize_entry(key, &pairs)?;
        }
        map.end()
    }
}

/// Request bodies validate on the way in, with the same Russian messages as [`WorkingHours::from_json`].
impl<'de> Deserialize<'de> for WorkingHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        WorkingHours::from_json(&value).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(value: Value) -> String {
        match WorkingHours::from_json(&value) {
            Err(Error::Validation(m)) => m,
            other => panic!("expected a validation error for {value}, got {other:?}"),
        }
    }

    #[test]
    fn parses_and_serialises_all_seven_days() {
        let hours = WorkingHours::from_json(&json!({
            "mon": [["09:00", "13:00"], ["14:00", "18:00"]],
            "sat": [["10:00", "24:00"]],
            "sun": null,
        }))
        .unwrap();
        assert_eq!(hours.day(Weekday::Mon).len(), 2);
        assert!(hours.day(Weekday::Tue).is_empty());
        assert_eq!(
            serde_json::to_string(&hours).unwrap(),
            r#"{"mon":[["09:00","13:00"],["14:00","18:00"]],"tue":[],"wed":[],"thu":[],"fri":[],"sat":[["10:00","24:00"]],"sun":[]}"#
        );
        // Serialised hours read back to the same value, also through serde.
        let again: WorkingHours =
            serde_json::from_value(serde_json::to_value(&hours).unwrap()).unwrap();
        assert_eq!(again, hours);
        assert_eq!(
            WorkingHours::from_json(&json!({})).unwrap(),
            WorkingHours::default()
        );
    }

    #[test]
    fn touching_intervals_merge() {
        let hours =
            WorkingHours::from_json(&json!({"mon": [["09:00", "13:00"], ["13:00", "18:00"]]}))
                .unwrap();
        assert_eq!(
            serde_json::to_value(&hours).unwrap()["mon"],
            json!([["09:00", "18:00"]])
        );
    }

    #[test]
    fn rejects_malformed_hours_with_a_clear_message() {
        assert!(message(json!([])).contains("ожидается объект"));
        assert!(message(json!({"monday": []})).contains("неизвестный день «monday»"));
        assert!(message(json!({"mon": "09:00-18:00"})).contains("список интервалов"));
        assert!(message(json!({"mon": [["09:00"]]})).contains("парой"));
        assert!(message(json!({"mon": [["09:00", 18]]})).contains("парой"));
        for bad in [
            "9:00", "09.00", "24:01", "25:00", "09:60", "０9:00", "-1:00", "09:0a",
        ] {
            let m = message(json!({"tue": [[bad, "18:00"]]}));
            assert!(m.contains(&format!("«{bad}»")), "{bad}: {m}");
            assert!(m.contains("вторник"), "{m}");
        }
        assert!(message(json!({"mon": [["18:00", "09:00"]]})).contains("раньше конца"));
        assert!(message(json!({"mon": [["09:00", "09:00"]]})).contains("раньше конца"));
        assert!(message(json!({"mon": [["24:00", "24:00"]]})).contains("раньше конца"));
        assert!(
            message(json!({"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}))
                .contains("не пересекаться")
        );
        assert!(
            message(json!({"mon": [["14:00", "18:00"], ["09:00", "13:00"]]}))
                .contains("по порядку")
        );
        // Through serde (request bodies) the same message surfaces.
        let err = serde_json::from_value::<WorkingHours>(json!({"xyz": []})).unwrap_err();
        assert!(err.to_string().contains("неизвестный день"));
    }

    #[test]
    fn intervals_of_a_date_follow_its_weekday() {
        let hours = WorkingHours::from_json(&json!({"mon": [["09:00", "24:00"]]})).unwrap();
        let monday = NaiveDate::from_ymd_opt(2030, 1, 14).unwrap();
        let (open, close) = hours.on(monday)[0].on(monday);
        assert_eq!(open.to_string(), "2030-01-14 09:00:00");
        assert_eq!(close.to_string(), "2030-01-15 00:00:00");
        assert!(hours.on(monday.succ_opt().unwrap()).is_empty());
        let (_, end) = Interval {
            start: 0,
            end: 1440,
        }
        .on(NaiveDate::MAX);
        assert_eq!(end, NaiveDateTime::MAX);
    }

    fn length_hours(hours: &WorkingHours, date: &str, tz: Tz) -> i64 {
        let date: NaiveDate = date.parse().unwrap();
        hours
            .open_periods(date, tz)
            .iter()
            .map(|(a, b)| (*b - *a).num_minutes())
            .sum::<i64>()
            / 60
    }

    #[test]
    fn daylight_saving_days_are_23_and_25_hours_long() {
        let day = json!([["00:00", "24:00"]]);
        let hours = WorkingHours::from_json(&json!({"sun": day, "sat": day})).unwrap();
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(length_hours(&hours, "2030-03-30", berlin), 24);
        assert_eq!(length_hours(&hours, "2030-03-31", berlin), 23);
        assert_eq!(length_hours(&hours, "2030-10-27", berlin), 25);
        assert_eq!(
            length_hours(&hours, "2030-03-31", chrono_tz::Europe::Moscow),
            24
        );
    }

    #[test]
    fn times_in_a_gap_move_forward_and_repeated_times_mean_the_first() {
        let berlin = chrono_tz::Europe::Berlin;
        let hours = WorkingHours::from_json(&json!({"sun": [["02:30", "05:00"]]})).unwrap();
        // 02:30 does not exist on 2030-03-31 in Berlin: it is read as 03:30 CEST (01:30 UTC).
        let spring = hours.open_periods("2030-03-31".parse().unwrap(), berlin);
        assert_eq!(spring[0].0.to_rfc3339(), "2030-03-31T01:30:00+00:00");
        assert_eq!(spring[0].1.to_rfc3339(), "2030-03-31T03:00:00+00:00");
        // 02:30 happens twice on 2030-10-27: the first time, still CEST (00:30 UTC).
        let autumn = hours.open_periods("2030-10-27".parse().unwrap(), berlin);
        assert_eq!(autumn[0].0.to_rfc3339(), "2030-10-27T00:30:00+00:00");
    }

    #[test]
    fn a_visit_must_fit_into_one_interval_of_its_day() {
        let hours =
            WorkingHours::from_json(&json!({"mon": [["09:00", "13:00"], ["14:00", "18:00"]]}))
                .unwrap();
        let moscow = chrono_tz::Europe::Moscow;
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 2030-01-14 is a Monday; Moscow is UTC+3.
        assert!(hours.covers(
            moscow,
            at("2030-01-14T06:00:00Z"),
            at("2030-01-14T10:00:00Z")
        ));
        assert!(hours.covers(
            moscow,
            at("2030-01-14T11:00:00Z"),
            at("2030-01-14T15:00:00Z")
        ));
        assert!(!hours.covers(
            moscow,
            at("2030-01-14T05:59:00Z"),
            at("2030-01-14T07:00:00Z")
        ));
        assert!(!hours.covers(
            moscow,
            at("2030-01-14T09:00:00Z"),
            at("2030-01-14T11:30:00Z")
        ));
        assert!(!hours.covers(
            moscow,
            at("2030-01-14T14:30:00Z"),
            at("2030-01-14T15:01:00Z")
        ));
        assert!(!hours.covers(
            moscow,
            at("2030-01-15T06:00:00Z"),
            at("2030-01-15T07:00:00Z")
        ));
    }

    #[test]
    fn weekly_hours_read_as_people_write_them() {
        let hours = WorkingHours::from_json(&json!({
            "mon": [["09:00", "13:00"], ["14:00", "20:00"]], "tue": [], "sat": [["10:00", "24:00"]]
        }))
        .expect("valid hours");
        assert_eq!(hours.day_text(Weekday::Mon), "09:00–13:00, 14:00–20:00");
        assert_eq!(hours.day_text(Weekday::Tue), "выходной");
        assert_eq!(hours.day_text(Weekday::Sun), "выходной");
        assert_eq!(hours.day_text(Weekday::Sat), "10:00–24:00");
    }
}
