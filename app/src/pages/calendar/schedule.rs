//! What the calendar reads (the shop's day or week, clients for the booking form) and the changes
//! it makes (book, move). The rules are the domain's; these functions parse the form and map
//! errors.

use leptos::prelude::*;

use super::{BookingForm, ClientHit, Schedule, Span};
use crate::error::AppError;

/// The shop's day or week with its visits. Without `shop` the company's first shop, without
/// `date` the shop's today.
#[server]
pub async fn calendar(
    shop: Option<i64>,
    date: Option<String>,
    span: Span,
) -> Result<Schedule, AppError> {
    use crate::domain::{
        booking::{self, AppointmentFilter},
        hours::WorkingHours,
        shops,
    };

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let all_shops = shops::list(&mut tx, 0, 100).await?;
    let shop = match shop {
        Some(id) => Some(shops::get(&mut tx, id).await?),
        None => all_shops.first().cloned(),
    };
    let shop_list = all_shops.iter().map(|s| (s.id, s.name.clone())).collect();
    let Some(shop) = shop else {
        return Ok(Schedule::without_shops(shop_list, span));
    };
    let tz = shop.tz()?;
    let date = ssr::requested_date(date.as_deref(), tz)?;
    let days = ssr::Days::around(date, span);
    let hours = WorkingHours::from_json(&shop.working_hours)?;
    let appointments = booking::list(
        &mut tx,
        &AppointmentFilter {
            shop_id: Some(shop.id),
            date_from: Some(days.first),
            date_to: Some(days.last()),
            limit: booking::MAX_PAGE,
            ..AppointmentFilter::default()
        },
    )
    .await?;
    let visits = ssr::visits(&mut tx, appointments, tz).await?;
    let services = ssr::service_choices(&mut tx, shop.id).await?;
    tx.commit().await?;

    let (prev_date, next_date, label) = days.neighbours_and_label(date);
    Ok(Schedule {
        shops: shop_list,
        shop_id: Some(shop.id),
        span,
        date: date.to_string(),
        prev_date: prev_date.to_string(),
        next_date: next_date.to_string(),
        label,
        bays: shop.bays,
        bay_names: shop.bay_labels(),
        slot_minutes: shop.slot_minutes,
        days: days.schedule_days(&hours, tz),
        visits,
        services,
    })
}

#[cfg(feature = "ssr")]
impl Schedule {
    /// The company has no shop yet: the page says so and offers to add one.
    fn without_shops(shops: Vec<(i64, String)>, span: Span) -> Self {
        let today = chrono::Utc::now().date_naive().to_string();
        Schedule {
            shops,
            shop_id: None,
            span,
            date: today.clone(),
            prev_date: today.clone(),
            next_date: today,
            label: String::new(),
            bays: 0,
            bay_names: Vec::new(),
            slot_minutes: 30,
            days: Vec::new(),
            visits: Vec::new(),
            services: Vec::new(),
        }
    }
}

#[cfg(feature = "ssr")]
pub(super) mod ssr {
    use std::collections::{hash_map::Entry, HashMap};

    use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
    use chrono_tz::Tz;

    use super::super::{EditedFindings, HistoryLine, ScheduleDay, ServiceChoice, Span, Visit};
    use crate::domain::{
        booking::{self, Appointment, Channel, FindingsEdit, Status, StatusChange},
        clients,
        db::Tx,
        deliveries::{self, Delivery},
        hours::WorkingHours,
        services, Error, Result,
    };
    use crate::format;

    /// Minutes since the local midnight of `date`, clamped to that day.
    pub fn minute_of_day(at: DateTime<Utc>, date: NaiveDate, tz: Tz) -> i32 {
        let local = at.with_timezone(&tz);
        let minutes = (local.date_naive() - date).num_days() * 1440
            + i64::from(local.hour() * 60 + local.minute());
        i32::try_from(minutes.clamp(0, 1440)).unwrap_or(0)
    }

    /// «Вероятная причина: … — 80 %» and «Предложено: … — 90 %» lines from the analysis the
    /// concierge stored with a visit booked in the bot (`ConciergeAnswer` as JSON).
    pub fn ai_findings(analysis: Option<&serde_json::Value>) -> Vec<String> {
        let Some(analysis) = analysis else {
            return Vec::new();
        };
        let percent = |v: &serde_json::Value| {
            v.as_f64()
                .map(|x| format!(" — {:.0}\u{a0}%", (x * 100.0).clamp(0.0, 100.0)))
                .unwrap_or_default()
        };
        let lines = |key: &str, label: &str, name: &str, score: &str| -> Vec<String> {
            analysis[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|item| {
                    let text = item[name].as_str()?;
                    Some(format!("{label}: {text}{}", percent(&item[score])))
                })
                .collect()
        };
        let mut findings = lines("diagnoses", "Вероятная причина", "title", "confidence");
        findings.extend(lines("services", "Предложено", "name", "score"));
        findings
    }

    /// The concierge's likely causes alone, without their confidence.
    pub fn ai_causes(analysis: Option<&serde_json::Value>) -> Vec<String> {
        analysis
            .and_then(|a| a["diagnoses"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|d| d["title"].as_str().map(str::to_owned))
            .collect()
    }

    /// A status change as a line of the visit's timeline.
    pub fn history_line(change: StatusChange) -> HistoryLine {
        let who = match (change.changed_by_name, change.channel) {
            // Staff on the web are in the admin; nobody logged in on the web is the customer on
            // the company's public page.
            (Some(name), Channel::Web) => format!("{name} · Админка"),
            (Some(name), channel) => format!("{name} · {}", channel.label()),
            (None, Channel::Telegram) => "Клиент · Telegram".to_owned(),
            (None, Channel::Web) => "Клиент · сайт".to_owned(),
            (None, Channel::System) => "Система".to_owned(),
            (None, channel) => channel.label().to_owned(),
        };
        HistoryLine {
            when: change.created_at.format("%d.%m.%Y %H:%M").to_string(),
            what: match change.from_status {
                None => "Запись создана".to_owned(),
                Some(from) => format!("{} → {}", from.label(), change.to_status.label()),
            },
            who,
            reason: change.reason,
        }
    }

    /// A message to the client as a line of the visit's timeline: «SMS: Напоминание»,
    /// «отправлено» or «не отправлено», and why not.
    pub fn delivery_line(delivery: Delivery, tz: Tz) -> HistoryLine {
        HistoryLine {
            when: delivery
                .created_at
                .with_timezone(&tz)
                .format("%d.%m.%Y %H:%M")
                .to_string(),
            what: format!(
                "{}: {}",
                deliveries::channel_label(delivery.channel.as_deref()),
                deliveries::event_label(&delivery.event)
            ),
            who: if delivery.status == "sent" {
                "сообщение отправлено".to_owned()
            } else {
                "сообщение не отправлено".to_owned()
            },
            reason: (!delivery.detail.is_empty()).then_some(delivery.detail),
        }
    }

    /// The visit's status changes and the messages to its client, in the order they happened.
    fn timeline(changes: Vec<StatusChange>, sent: Vec<Delivery>, tz: Tz) -> Vec<HistoryLine> {
        let mut lines: Vec<(DateTime<Utc>, HistoryLine)> = changes
            .into_iter()
            .map(|c| (c.created_at.with_timezone(&Utc), history_line(c)))
            .chain(
                sent.into_iter()
                    .map(|d| (d.created_at, delivery_line(d, tz))),
            )
            .collect();
        lines.sort_by_key(|(at, _)| *at);
        lines.into_iter().map(|(_, line)| line).collect()
    }

    fn edited_findings(edit: FindingsEdit) -> EditedFindings {
        EditedFindings {
            mark: format!(
                "Изменено сотрудником: {}, {}",
                edit.edited_by_name.as_deref().unwrap_or("—"),
                edit.edited_at.format("%d.%m.%Y %H:%M")
            ),
            summary: edit.summary,
            causes: edit.causes,
        }
    }

    /// The appointments as calendar cards, each placed on its local start date.
    pub async fn visits(tx: &mut Tx, appointments: Vec<Appointment>, tz: Tz) -> Result<Vec<Visit>> {
        // A client's cars are loaded once however many of their visits the week holds.
        let mut cars: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
        let client_ids: Vec<i64> = appointments.iter().map(|a| a.client_id).collect();
        let no_shows = clients::repeated_no_shows(tx, &client_ids).await?;
        let ids: Vec<i64> = appointments.iter().map(|a| a.id).collect();
        let mut histories = booking::histories(tx, &ids).await?;
        let mut sent = deliveries::for_visits(tx, &ids).await?;
        let mut visits = Vec::with_capacity(appointments.len());
        for a in appointments {
            let client_cars = match cars.entry(a.client_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => slot.insert(
                    clients::cars::list(tx, a.client_id)
                        .await?
                        .into_iter()
                        .map(|v| {
                            let label =
                                format::car_label(&v.make, &v.model, v.year, v.plate.as_deref());
                            (v.id, label)
                        })
                        .collect(),
                ),
            };
            let car = a
                .vehicle_id
                .and_then(|id| client_cars.iter().find(|(car, _)| *car == id))
                .map(|(_, label)| label.clone());
            let (start, end) = (a.start_time.to_utc(), a.end_time.to_utc());
            let (local_start, local_end) = (start.with_timezone(&tz), end.with_timezone(&tz));
            let date = local_start.date_naive();
            let analysis = a.ai_analysis.and_then(|raw| raw.parse());
            visits.push(Visit {
                id: a.id,
                bay: a.bay,
                date: date.to_string(),
                start_minute: minute_of_day(start, date, tz),
                end_minute: minute_of_day(end, date, tz),
                start_clock: local_start.format("%H:%M").to_string(),
                time: format!(
                    "{}–{}",
                    local_start.format("%H:%M"),
                    local_end.format("%H:%M")
                ),
                status: a.status,
                next_statuses: Status::ALL
                    .into_iter()
                    .filter(|to| Status::can_transition(a.status, *to))
                    .collect(),
                source: a.source,
                client_id: a.client_id,
                client_name: a.client.full_name,
                client_phone: a.client.phone,
                client_no_shows: no_shows.get(&a.client_id).copied().unwrap_or(0),
                car,
                service_ids: a.service_ids,
                services: a.services.into_iter().map(|s| s.name).collect(),
                total_price: format::rubles(a.total_price),
                customer_note: a.customer_note,
                ai_summary: a.ai_summary,
                ai_findings: ai_findings(analysis.as_ref()),
                ai_causes: ai_causes(analysis.as_ref()),
                edited_findings: a.ai_edit.map(edited_findings),
                staff_note: a.staff_note,
                cancel_reason: a.cancel_reason,
                vehicle_id: a.vehicle_id,
                client_cars: client_cars.clone(),
                history: timeline(
                    histories.remove(&a.id).unwrap_or_default(),
                    sent.remove(&a.id).unwrap_or_default(),
                    tz,
                ),
            });
        }
        Ok(visits)
    }

    /// The date asked for (`YYYY-MM-DD`), or the shop's today.
    pub fn requested_date(text: Option<&str>, tz: Tz) -> std::result::Result<NaiveDate, Error> {
        match text.filter(|d| !d.is_empty()) {
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                // Far from the ends of chrono's calendar, so that date arithmetic cannot overflow.
                .filter(|d| (1971..=9998).contains(&d.year()))
                .ok_or_else(|| Error::Validation("Дата в формате ГГГГ-ММ-ДД".into())),
            None => Ok(Utc::now().with_timezone(&tz).date_naive()),
        }
    }

    /// The days on screen: the date itself, or the week (Monday to Sunday) around it.
    pub struct Days {
        pub first: NaiveDate,
        count: i64,
        span: Span,
    }

    impl Days {
        pub fn around(date: NaiveDate, span: Span) -> Self {
            match span {
                Span::Day => Days {
                    first: date,
                    count: 1,
                    span,
                },
                Span::Week => Days {
                    first: date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
                    count: 7,
                    span,
                },
            }
        }

        pub fn last(&self) -> NaiveDate {
            self.first + Duration::days(self.count - 1)
        }

        /// Where the previous and the next day (or week) start, and the heading: «пятница,
        /// 27.11.2026» or «23.11 – 29.11.2026».
        pub fn neighbours_and_label(&self, date: NaiveDate) -> (NaiveDate, NaiveDate, String) {
            match self.span {
                Span::Day => (
                    date - Duration::days(1),
                    date + Duration::days(1),
                    format!(
                        "{}, {}",
                        format::weekday_name(date),
                        date.format("%d.%m.%Y")
                    ),
                ),
                Span::Week => (
                    self.first - Duration::days(7),
                    self.first + Duration::days(7),
                    format!(
                        "{} – {}",
                        self.first.format("%d.%m"),
                        self.last().format("%d.%m.%Y")
                    ),
                ),
            }
        }

        /// Each day with its label and opening hours (from the first opening to the last
        /// closing; `None` on a day off).
        pub fn schedule_days(&self, hours: &WorkingHours, tz: Tz) -> Vec<ScheduleDay> {
            (0..self.count)
                .map(|offset| {
                    let day = self.first + Duration::days(offset);
                    let periods = hours.open_periods(day, tz);
                    let open_minutes = match (periods.first(), periods.last()) {
                        (Some((open, _)), Some((_, close))) => Some((
                            minute_of_day(*open, day, tz),
                            minute_of_day(*close, day, tz),
                        )),
                        _ => None,
                    };
                    ScheduleDay {
                        date: day.to_string(),
                        short_label: format!(
                            "{} {}",
                            format::weekday_short(day),
                            day.format("%d.%m")
                        ),
                        open_minutes,
                    }
                })
                .collect()
        }
    }

    /// The active services of the shop, for the booking form, with prices in kopecks.
    pub async fn service_choices(tx: &mut Tx, shop_id: i64) -> Result<Vec<ServiceChoice>> {
        Ok(services::list(tx, Some(shop_id), 0, 500)
            .await?
            .into_iter()
            .filter(|s| s.is_active)
            .map(|s| ServiceChoice {
                id: s.id,
                name: s.name,
                price_kopecks: (s.price * rust_decimal::Decimal::from(100))
                    .round()
                    .try_into()
                    .unwrap_or(0),
                duration_minutes: s.duration_minutes,
            })
            .collect())
    }
}

/// Clients by name, phone, plate or VIN, with their cars, for the booking form.
#[server]
pub async fn find_clients(query: String) -> Result<Vec<ClientHit>, AppError> {
    use crate::domain::clients;

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let found = clients::search(&mut tx, Some(&query), 0, 8).await?;
    let mut hits = Vec::with_capacity(found.len());
    for c in found {
        let cars = clients::cars::list(&mut tx, c.id)
            .await?
            .into_iter()
            .map(|v| {
                let label = crate::format::car_label(&v.make, &v.model, v.year, v.plate.as_deref());
                (v.id, label)
            })
            .collect();
        hits.push(ClientHit {
            id: c.id,
            full_name: c.full_name,
            phone: c.phone,
            cars,
        });
    }
    tx.commit().await?;
    Ok(hits)
}

/// Books a visit from the calendar (source `web`) for an existing client or a new one given by
/// name and phone, with one of the client's cars (`vehicle_id`) or a new one (make, model,
/// plate; added to the card), and the client's words as the note. `start` is the shop's local
/// time, `YYYY-MM-DDTHH:MM`.
#[server]
pub async fn book_visit(form: BookingForm) -> Result<i64, AppError> {
    use chrono::{NaiveDateTime, TimeZone, Utc};

    use crate::domain::{
        booking::{self, Channel, NewBooking},
        clients::{ClientRef, NewVehicle},
        shops,
    };
    use crate::session::ssr::refused;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff_changing().await?;
    let BookingForm {
        shop_id,
        bay,
        start,
        client_id,
        new_client_name,
        new_client_phone,
        service_ids,
        vehicle_id,
        new_car,
        note,
    } = form;
    if service_ids.is_empty() {
        return Err(refused("Выберите хотя бы одну услугу"));
    }
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let shop = shops::get(&mut tx, shop_id).await?;
    drop(tx);
    let tz = shop.tz()?;
    let local = NaiveDateTime::parse_from_str(&start, "%Y-%m-%dT%H:%M")
        .map_err(|_| refused("Время записи в формате ГГГГ-ММ-ДДTЧЧ:ММ"))?;
    let start_time = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| refused("Такого времени в этот день нет (перевод часов)"))?
        .with_timezone(&Utc);
    let client = match client_id {
        Some(id) => ClientRef::Id(id),
        None if new_client_name.trim().is_empty() => {
            return Err(refused("Выберите клиента или введите имя нового"))
        }
        None => ClientRef::ByPhone {
            full_name: new_client_name,
            phone: new_client_phone,
        },
    };
    // A new car is one with a make, model or plate typed in; its rules are the card's.
    let car = (!new_car.is_empty()).then(|| NewVehicle {
        make: new_car.make,
        model: new_car.model,
        plate: Some(new_car.plate).filter(|p| !p.trim().is_empty()),
        ..NewVehicle::default()
    });
    let appointment = booking::book_visit(&state, tenant, &client, car, |client_id| NewBooking {
        shop_id: shop.id,
        client_id,
        vehicle_id,
        service_ids,
        start_time,
        end_time: None,
        bay: Some(bay),
        source: Channel::Web,
        customer_note: note.trim().to_owned(),
        ai_summary: String::new(),
        ai_analysis: None,
        created_by: Some(user.id),
        manage_link: None,
    })
    .await?;
    Ok(appointment.id)
}

/// Moves a visit to another day, time and/or bay (`date` and `time` are the shop's local
/// ones). `bay` empty: the visit's bay if it is free then, otherwise the lowest free one. The
/// rules (working hours, free bay, final statuses stay put) are `booking::change`'s. Returns the
/// visit's new date, for the calendar to follow it.
// A stable URL (no generated suffix) so that tests and logs can name it.
#[server(endpoint = "move_visit")]
pub async fn move_visit(
    id: i64,
    date: String,
    time: String,
    bay: String,
) -> Result<String, AppError> {
    use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};

    use crate::domain::{
        booking::{self, Change},
        shops,
    };
    use crate::session::ssr::refused;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff_changing().await?;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| refused("Укажите дату переноса"))?;
    // Browsers send «10:00», or «10:00:00» when seconds are shown.
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M:%S"))
        .map_err(|_| refused("Укажите время переноса"))?;
    let bay = match bay.trim() {
        "" => None,
        text => Some(
            text.parse::<i32>()
                .map_err(|_| refused("Пост: номер или «любой»"))?,
        ),
    };
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let current = booking::get(&mut tx, id).await?;
    let shop = shops::get(&mut tx, current.shop_id).await?;
    drop(tx);
    let tz = shop.tz()?;
    let start_time = tz
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .ok_or_else(|| refused("Такого времени в этот день нет (перевод часов)"))?
        .with_timezone(&Utc);
    crate::pages::appointment_status::apply_web_change(
        &state,
        tenant,
        user.id,
        id,
        Change {
            start_time: Some(start_time),
            bay,
            ..Change::default()
        },
    )
    .await?;
    Ok(date.to_string())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::ssr::ai_findings;

    #[test]
    fn ai_findings_list_causes_then_services_with_percentages() {
        let analysis = serde_json::json!({
            "intent": "booking",
            "diagnoses": [{"title": "Износ тормозных колодок", "confidence": 0.8}],
            "services": [
                {"id": 3, "name": "Замена тормозных колодок", "score": 0.934},
                {"id": 4, "name": "Диагностика тормозов"}
            ],
            "engine": "rules"
        });
        assert_eq!(
            ai_findings(Some(&analysis)),
            vec![
                "Вероятная причина: Износ тормозных колодок — 80\u{a0}%",
                "Предложено: Замена тормозных колодок — 93\u{a0}%",
                "Предложено: Диагностика тормозов",
            ]
        );
        assert!(ai_findings(None).is_empty());
        assert!(ai_findings(Some(&serde_json::json!({"unexpected": true}))).is_empty());
    }
}
