//! Days a shop keeps other hours than its week: closed (31 December), open short (a pre-holiday
//! day), or one bay out of service. Free slots, booking and moving a visit honour them (through
//! `booking`'s shop rules); adding one over visits already booked lists those visits for staff
//! to move.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    booking::{self, Appointment, AppointmentFilter},
    company,
    db::{TenantId, Tx},
    hours::{self, WorkingHours},
    work::Work,
    AppState, Error, Result,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Closure {
    pub id: i64,
    pub shop_id: i64,
    pub day: NaiveDate,
    /// `null`: the whole shop; a number: only that bay, closed all day.
    pub bay: Option<i32>,
    /// A short day: open only from `opens` to `closes` (the shop's local time).
    #[schema(value_type = Option<String>, example = "10:00:00")]
    pub opens: Option<NaiveTime>,
    #[schema(value_type = Option<String>, example = "16:00:00")]
    pub closes: Option<NaiveTime>,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClosure {
    pub day: NaiveDate,
    #[serde(default)]
    pub bay: Option<i32>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "10:00")]
    pub opens: Option<NaiveTime>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "16:00")]
    pub closes: Option<NaiveTime>,
    #[serde(default)]
    pub reason: String,
}

/// A closure added, and the live visits of that day it leaves outside the hours or on the
/// closed bay: staff move or cancel them.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ClosureAdded {
    pub closure: Closure,
    pub visits_to_move: Vec<Appointment>,
}

/// The shop's closures from yesterday on (older ones no longer decide anything), by day.
pub async fn upcoming(tx: &mut Tx, shop_id: i64) -> Result<Vec<Closure>> {
    Ok(sqlx::query_as!(
        Closure,
        "SELECT id, shop_id, day, bay, opens, closes, reason FROM shop_closures
         WHERE shop_id = $1 AND day >= current_date - 1
         ORDER BY day, bay NULLS FIRST",
        shop_id
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// A shop's hours and bays as booking sees them on particular dates.
#[derive(Clone, Debug, Default)]
pub struct Exceptions {
    /// `(day, bay)`: a bay out of service all day.
    pub closed_bays: Vec<(NaiveDate, i32)>,
}

/// Applies `closures` to the weekly `hours`; returns what concerns single bays.
pub fn apply(hours: &mut WorkingHours, closures: &[Closure]) -> Exceptions {
    let mut exceptions = Exceptions::default();
    for closure in closures {
        match (closure.bay, closure.opens, closure.closes) {
            (Some(bay), _, _) => exceptions.closed_bays.push((closure.day, bay)),
            (None, Some(opens), Some(closes)) => hours.shorten(closure.day, opens, closes),
            (None, _, _) => hours.close(closure.day),
        }
    }
    exceptions
}

impl Exceptions {
    /// Closed bays as busy spans `(bay, from, to)` overlapping `[from, to)`: a closed bay's
    /// whole local day.
    pub fn busy(
        &self,
        tz: Tz,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(i32, DateTime<Utc>, DateTime<Utc>)> {
        self.closed_bays
            .iter()
            .filter_map(|(day, bay)| {
                let start = local_midnight(tz, *day);
                let end = local_midnight(tz, *day + Duration::days(1));
                (start < to && from < end).then_some((*bay, start, end))
            })
            .collect()
    }
}

/// Local midnight of `day`, read as the working hours read wall-clock times (DST gaps included).
fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    hours::instant(tz, day.and_time(NaiveTime::MIN))
}

/// What a closure's reason may hold («Новый год», «Пост 2 в ремонте»).
const MAX_REASON_CHARS: usize = 200;

fn check(new: &NewClosure, bays: i32, today: NaiveDate) -> Result<()> {
    if new.day < today {
        return Err(Error::validation(
            "Закрытие ставится на сегодня или будущий день",
        ));
    }
    if new.reason.chars().count() > MAX_REASON_CHARS {
        return Err(Error::validation(format!(
            "Причина: не длиннее {MAX_REASON_CHARS} символов"
        )));
    }
    if new.day > today + Duration::days(3 * 366) {
        return Err(Error::validation(
            "Закрытие — не дальше чем на три года вперёд",
        ));
    }
    if let Some(bay) = new.bay {
        if !(1..=bays).contains(&bay) {
            return Err(Error::validation(format!(
                "Номер поста должен быть от 1 до {bays}"
            )));
        }
        if new.opens.is_some() || new.closes.is_some() {
            return Err(Error::validation(
                "Пост закрывается на весь день: часы указываются только для всей точки",
            ));
        }
    }
    match (new.opens, new.closes) {
        (None, None) => Ok(()),
        (Some(opens), Some(closes)) if opens < closes => Ok(()),
        (Some(_), Some(_)) => Err(Error::validation(
            "Сокращённый день: время открытия раньше времени закрытия",
        )),
        _ => Err(Error::validation(
            "Сокращённый день: укажите и открытие, и закрытие",
        )),
    }
}

/// Live visits of `closure`'s day that its hours or its closed bay no longer hold.
pub async fn visits_to_move(
    tx: &mut Tx,
    shop_id: i64,
    closure: &Closure,
) -> Result<Vec<Appointment>> {
    let (hours, tz) = booking::shop_hours(tx, shop_id).await?;
    let visits = booking::list(
        tx,
        &AppointmentFilter {
            shop_id: Some(shop_id),
            date_from: Some(closure.day),
            date_to: Some(closure.day),
            skip: 0,
            limit: 500,
            ..AppointmentFilter::default()
        },
    )
    .await?;
    Ok(visits
        .into_iter()
        .filter(|a| !a.status.is_final())
        .filter(|a| match closure.bay {
            Some(bay) => a.bay == bay,
            None => !hours.covers(tz, a.start_time.to_utc(), a.end_time.to_utc()),
        })
        .collect())
}

/// Use case: an admin closes a shop or a bay for a day, or shortens a day.
pub async fn add(
    state: &AppState,
    tenant: TenantId,
    shop_id: i64,
    new: NewClosure,
) -> Result<ClosureAdded> {
    let mut work = Work::begin(&state.db, tenant).await?;
    let tx = work.tx();
    let bays = super::shops::get(tx, shop_id).await?.bays;
    check(&new, bays, company::today(tx).await?)?;
    let closure = sqlx::query_as!(
        Closure,
        "INSERT INTO shop_closures (tenant_id, shop_id, day, bay, opens, closes, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, shop_id, day, bay, opens, closes, reason",
        tenant.0,
        shop_id,
        new.day,
        new.bay,
        new.opens,
        new.closes,
        new.reason.trim(),
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        Error::on_constraint(e, "shop_closures_day_idx", || {
            Error::Conflict("На этот день уже есть закрытие — удалите его, чтобы заменить".into())
        })
    })?;
    let visits_to_move = visits_to_move(tx, shop_id, &closure).await?;
    work.commit(&state.events).await?;
    Ok(ClosureAdded {
        closure,
        visits_to_move,
    })
}

/// Use case: an admin removes a closure; the day has its weekly hours again.
pub async fn remove(state: &AppState, tenant: TenantId, shop_id: i64, id: i64) -> Result<()> {
    let mut work = Work::begin(&state.db, tenant).await?;
    let removed = sqlx::query!(
        "DELETE FROM shop_closures WHERE id = $1 AND shop_id = $2",
        id,
        shop_id
    )
    .execute(&mut **work.tx())
    .await?;
    if removed.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    work.commit(&state.events).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn closure(d: &str, bay: Option<i32>, hours: Option<(&str, &str)>) -> Closure {
        Closure {
            id: 1,
            shop_id: 1,
            day: day(d),
            bay,
            opens: hours.map(|(o, _)| o.parse().unwrap()),
            closes: hours.map(|(_, c)| c.parse().unwrap()),
            reason: String::new(),
        }
    }

    #[test]
    fn closed_and_short_days_replace_the_week_and_bays_close_alone() {
        let week =
            json!({"mon": [["09:00", "13:00"], ["14:00", "20:00"]], "tue": [["09:00", "20:00"]]});
        let mut hours = WorkingHours::from_json(&week).unwrap();
        let exceptions = apply(
            &mut hours,
            &[
                // Monday 2030-12-30: open 10:00–15:00, which cuts both intervals.
                closure("2030-12-30", None, Some(("10:00", "15:00"))),
                // Tuesday 2030-12-31: closed.
                closure("2030-12-31", None, None),
                // Monday 2031-01-06: bay 2 only.
                closure("2031-01-06", Some(2), None),
            ],
        );
        let tz = chrono_tz::Europe::Moscow;
        let at = |d: &str, t: &str| {
            use chrono::TimeZone;
            tz.from_local_datetime(&day(d).and_time(t.parse().unwrap()))
                .unwrap()
                .with_timezone(&Utc)
        };
        let periods = hours.open_periods(day("2030-12-30"), tz);
        assert_eq!(
            periods,
            vec![
                (at("2030-12-30", "10:00"), at("2030-12-30", "13:00")),
                (at("2030-12-30", "14:00"), at("2030-12-30", "15:00")),
            ]
        );
        assert!(hours.open_periods(day("2030-12-31"), tz).is_empty());
        // Other weeks keep their hours.
        assert_eq!(hours.open_periods(day("2031-01-07"), tz).len(), 1);
        assert_eq!(hours.open_periods(day("2031-01-06"), tz).len(), 2);
        assert_eq!(
            exceptions.busy(tz, at("2031-01-06", "12:00"), at("2031-01-06", "13:00")),
            vec![(2, at("2031-01-06", "00:00"), at("2031-01-07", "00:00"))]
        );
        assert!(exceptions
            .busy(tz, at("2031-01-07", "12:00"), at("2031-01-07", "13:00"))
            .is_empty());
    }

    #[test]
    fn a_closure_is_checked_before_it_is_stored() {
        let today = day("2030-06-01");
        let new =
            |d: &str, bay: Option<i32>, opens: Option<&str>, closes: Option<&str>| NewClosure {
                day: day(d),
                bay,
                opens: opens.map(|t| t.parse().unwrap()),
                closes: closes.map(|t| t.parse().unwrap()),
                reason: String::new(),
            };
        assert!(check(&new("2030-06-01", None, None, None), 2, today).is_ok());
        assert!(check(&new("2030-06-02", Some(2), None, None), 2, today).is_ok());
        assert!(check(
            &new("2030-06-02", None, Some("10:00"), Some("15:00")),
            2,
            today
        )
        .is_ok());
        for (bad, why) in [
            (new("2030-05-31", None, None, None), "будущий"),
            (new("2034-06-02", None, None, None), "три года"),
            (new("2030-06-02", Some(3), None, None), "от 1 до 2"),
            (
                new("2030-06-02", Some(1), Some("10:00"), Some("12:00")),
                "весь день",
            ),
            (
                new("2030-06-02", None, Some("15:00"), Some("10:00")),
                "раньше",
            ),
            (
                new("2030-06-02", None, Some("10:00"), None),
                "и открытие, и закрытие",
            ),
        ] {
            let error = check(&bad, 2, today).unwrap_err().to_string();
            assert!(error.contains(why), "{error} should say {why}");
        }
    }
}
