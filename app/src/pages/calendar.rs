//! Календарь: one shop's day or week, a column per bay. Cards open a panel with the visit, the
//! status changes allowed from where it is and a form to move it; an empty slot opens the
//! booking form.

use crate::error::AppError;
use crate::model::Status;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::appointment_status::ChangeStatus;
use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    form::ActionForm,
    live::reload_on_appointment_events,
    loaded::load,
    status::source_label,
};
use crate::public_path::public_url;

/// Height of one minute on screen, in pixels: the day view has room for the details of a visit,
/// the week view shows seven days at once.
const DAY_PX_PER_MINUTE: f64 = 1.2;
const WEEK_PX_PER_MINUTE: f64 = 0.8;

/// What the calendar shows: one day, or the week (Monday to Sunday) around a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Span {
    Day,
    Week,
}

impl Span {
    fn query_value(self) -> &'static str {
        match self {
            Span::Day => "day",
            Span::Week => "week",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Every shop of the company, `(id, name)`, for the shop switch.
    pub shops: Vec<(i64, String)>,
    /// `None` when the company has no shop yet.
    pub shop_id: Option<i64>,
    pub span: Span,
    /// `YYYY-MM-DD`: the date asked for, and where the previous and next day (or week) start.
    pub date: String,
    pub prev_date: String,
    pub next_date: String,
    /// As people read it: «пятница, 27.11.2026» or «23.11 – 29.11.2026».
    pub label: String,
    pub bays: i32,
    pub slot_minutes: i32,
    /// The days shown: one, or seven from Monday.
    pub days: Vec<ScheduleDay>,
    pub visits: Vec<Visit>,
    /// Active services the shop offers, for the booking form.
    pub services: Vec<ServiceChoice>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// «пт 27.11».
    pub short_label: String,
    /// Opening hours of the day in minutes since local midnight; `None` on a day off.
    pub open_minutes: Option<(i32, i32)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: i64,
    pub bay: i32,
    /// The shop's local date of the start, `YYYY-MM-DD`.
    pub date: String,
    /// Minutes since local midnight of `date`.
    pub start_minute: i32,
    pub end_minute: i32,
    /// «09:00».
    pub start_clock: String,
    /// «09:00–10:30».
    pub time: String,
    pub status: Status,
    /// Statuses `Status::can_transition` allows from this one.
    pub next_statuses: Vec<Status>,
    pub source: String,
    pub client_id: i64,
    pub client_name: String,
    pub client_phone: Option<String>,
    pub car: Option<String>,
    pub services: Vec<String>,
    pub total_price: String,
    pub customer_note: String,
    pub ai_summary: String,
    /// The concierge's causes and suggested services with their confidence, as staff read them.
    pub ai_findings: Vec<String>,
    pub cancel_reason: Option<String>,
}

impl Visit {
    /// Completed, cancelled and no-show visits are history: they are not moved.
    fn can_move(&self) -> bool {
        !self.status.is_final()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceChoice {
    pub id: i64,
    pub name: String,
    /// Kopecks, so the browser can add prices up exactly.
    pub price_kopecks: i64,
    pub duration_minutes: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientHit {
    pub id: i64,
    pub full_name: String,
    pub phone: Option<String>,
}

/// The shop's day or week with its visits. Without `shop` the company's first shop, without
/// `date` the shop's today.
#[server]
pub async fn calendar(
    shop: Option<i64>,
    date: Option<String>,
    span: Span,
) -> Result<Schedule, AppError> {
    use chrono::{Datelike, Duration, NaiveDate, Utc};

    use crate::domain::{
        booking::{self, AppointmentFilter},
        hours::WorkingHours,
        services, shops,
    };
    use crate::session::ssr::refused;

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let all_shops = shops::list(&mut tx, 0, 100).await?;
    let shop = match shop {
        Some(id) => Some(shops::get(&mut tx, id).await?),
        None => all_shops.first().cloned(),
    };
    let shop_list = all_shops.iter().map(|s| (s.id, s.name.clone())).collect();
    let Some(shop) = shop else {
        let today = Utc::now().date_naive().to_string();
        return Ok(Schedule {
            shops: shop_list,
            shop_id: None,
            span,
            date: today.clone(),
            prev_date: today.clone(),
            next_date: today,
            label: String::new(),
            bays: 0,
            slot_minutes: 30,
            days: Vec::new(),
            visits: Vec::new(),
            services: Vec::new(),
        });
    };
    let tz = shop.tz()?;
    let date = match date.as_deref().filter(|d| !d.is_empty()) {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            // Far from the ends of chrono's calendar, so that the arithmetic below cannot overflow.
            .filter(|d| (1971..=9998).contains(&d.year()))
            .ok_or_else(|| refused("Дата в формате ГГГГ-ММ-ДД"))?,
        None => Utc::now().with_timezone(&tz).date_naive(),
    };
    let (first, count) = match span {
        Span::Day => (date, 1),
        Span::Week => (
            date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            7,
        ),
    };
    let last = first + Duration::days(count - 1);
    let hours = WorkingHours::from_json(&shop.working_hours)?;
    let days = (0..count)
        .map(|offset| {
            let day = first + Duration::days(offset);
            let periods = hours.open_periods(day, tz);
            let open_minutes = match (periods.first(), periods.last()) {
                (Some((open, _)), Some((_, close))) => Some((
                    ssr::minute_of_day(*open, day, tz),
                    ssr::minute_of_day(*close, day, tz),
                )),
                _ => None,
            };
            ScheduleDay {
                date: day.to_string(),
                short_label: format!(
                    "{} {}",
                    crate::domain::format::weekday_short(day),
                    day.format("%d.%m")
                ),
                open_minutes,
            }
        })
        .collect();

    let appointments = booking::list(
        &mut tx,
        &AppointmentFilter {
            shop_id: Some(shop.id),
            date_from: Some(first),
            date_to: Some(last),
            limit: booking::MAX_PAGE,
            ..AppointmentFilter::default()
        },
    )
    .await?;
    let visits = ssr::visits(&mut tx, appointments, tz).await?;
    let services = services::list(&mut tx, Some(shop.id), 0, 500)
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
        .collect();
    tx.commit().await?;

    let (prev_date, next_date, label) = match span {
        Span::Day => (
            date - Duration::days(1),
            date + Duration::days(1),
            format!(
                "{}, {}",
                crate::domain::format::weekday_name(date),
                date.format("%d.%m.%Y")
            ),
        ),
        Span::Week => (
            first - Duration::days(7),
            first + Duration::days(7),
            format!("{} – {}", first.format("%d.%m"), last.format("%d.%m.%Y")),
        ),
    };
    Ok(Schedule {
        shops: shop_list,
        shop_id: Some(shop.id),
        span,
        date: date.to_string(),
        prev_date: prev_date.to_string(),
        next_date: next_date.to_string(),
        label,
        bays: shop.bays,
        slot_minutes: shop.slot_minutes,
        days,
        visits,
        services,
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::{hash_map::Entry, HashMap};

    use chrono::{DateTime, NaiveDate, Timelike, Utc};
    use chrono_tz::Tz;

    use super::Visit;
    use crate::domain::{
        booking::{Appointment, Status},
        clients,
        db::Tx,
        Result,
    };

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

    /// The appointments as calendar cards, each placed on its local start date.
    pub async fn visits(tx: &mut Tx, appointments: Vec<Appointment>, tz: Tz) -> Result<Vec<Visit>> {
        // A client's cars are loaded once however many of their visits the week holds.
        let mut cars: HashMap<i64, Vec<clients::Vehicle>> = HashMap::new();
        let mut visits = Vec::with_capacity(appointments.len());
        for a in appointments {
            let car = match a.vehicle_id {
                Some(vehicle_id) => {
                    let list = match cars.entry(a.client_id) {
                        Entry::Occupied(known) => known.into_mut(),
                        Entry::Vacant(slot) => {
                            slot.insert(clients::vehicles(tx, a.client_id).await?)
                        }
                    };
                    list.iter().find(|v| v.id == vehicle_id).map(|v| {
                        let name = format!("{} {}", v.make, v.model);
                        match &v.plate {
                            Some(plate) => format!("{} · {plate}", name.trim()),
                            None => name.trim().to_string(),
                        }
                    })
                }
                None => None,
            };
            let (start, end) = (a.start_time.to_utc(), a.end_time.to_utc());
            let (local_start, local_end) = (start.with_timezone(&tz), end.with_timezone(&tz));
            let date = local_start.date_naive();
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
                source: a.source.as_str().to_string(),
                client_id: a.client_id,
                client_name: a.client.full_name,
                client_phone: a.client.phone,
                car,
                services: a.services.into_iter().map(|s| s.name).collect(),
                total_price: crate::domain::format::rubles(a.total_price),
                customer_note: a.customer_note,
                ai_summary: a.ai_summary,
                ai_findings: ai_findings(a.ai_analysis.and_then(|raw| raw.parse()).as_ref()),
                cancel_reason: a.cancel_reason,
            });
        }
        Ok(visits)
    }
}

/// Clients by name, phone or plate, for the booking form.
#[server]
pub async fn find_clients(query: String) -> Result<Vec<ClientHit>, AppError> {
    use crate::domain::clients;

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let found = clients::search(&mut tx, Some(&query), 0, 8).await?;
    tx.commit().await?;
    Ok(found
        .into_iter()
        .map(|c| ClientHit {
            id: c.id,
            full_name: c.full_name,
            phone: c.phone,
        })
        .collect())
}

/// Books a visit from the calendar (source `web`) for an existing client or a new one given by
/// name and phone. `start` is the shop's local time, `YYYY-MM-DDTHH:MM`.
#[server]
pub async fn book_visit(
    shop_id: i64,
    bay: i32,
    start: String,
    client_id: Option<i64>,
    new_client_name: String,
    new_client_phone: String,
    service_ids: Vec<i64>,
) -> Result<i64, AppError> {
    use chrono::{NaiveDateTime, TimeZone, Utc};

    use crate::domain::{
        booking::{self, Channel, NewBooking},
        clients::ClientRef,
        shops,
    };
    use crate::session::ssr::refused;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff_changing().await?;
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
    let appointment = booking::book_visit(&state, tenant, &client, |client_id| NewBooking {
        shop_id: shop.id,
        client_id,
        vehicle_id: None,
        service_ids,
        start_time,
        end_time: None,
        bay: Some(bay),
        source: Channel::Web,
        customer_note: String::new(),
        ai_summary: String::new(),
        ai_analysis: None,
        created_by: Some(user.id),
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

/// Where a click on the grid asks to book.
#[derive(Clone, Debug, PartialEq)]
struct SlotChoice {
    /// `YYYY-MM-DD` and «пт 27.11».
    date: String,
    day_label: String,
    bay: i32,
    minute: i32,
}

/// The calendar at a shop, date and span, within the app (`public_url` adds the public path
/// prefix).
fn calendar_link(shop_id: i64, date: &str, span: Span) -> String {
    format!(
        "/calendar?shop={shop_id}&date={date}&view={}",
        span.query_value()
    )
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let (shop, date, span, open_visit) = use_query_map().with_untracked(|q| {
        let span = match q.get("view").as_deref() {
            Some("week") => Span::Week,
            _ => Span::Day,
        };
        (
            q.get("shop").and_then(|s| s.parse::<i64>().ok()),
            q.get("date"),
            span,
            q.get("visit").and_then(|s| s.parse::<i64>().ok()),
        )
    });
    view! {
        <Title text="Календарь — Auto-Concierge"/>
        <CalendarBoard shop date span open_visit/>
    }
}

/// The shop's day or week as asked for in the URL (another day or shop is another page), with
/// the card of `open_visit` open: the grid, the panels and the live reload, all of it the
/// page's island.
#[island]
fn CalendarBoard(
    shop: Option<i64>,
    date: Option<String>,
    span: Span,
    open_visit: Option<i64>,
) -> impl IntoView {
    let change = ServerAction::<ChangeStatus>::new();
    let book = ServerAction::<BookVisit>::new();
    let relocate = ServerAction::<MoveVisit>::new();
    let schedule = load(|| (), move |_| calendar(shop, date.clone(), span));
    reload_on_appointment_events(move || schedule.refetch());
    let selected_visit = RwSignal::new(None::<i64>);
    // Opened once hydrated (effects run only in the browser): the server's HTML has no panel.
    Effect::new(move |_| {
        if open_visit.is_some() {
            selected_visit.set(open_visit);
        }
    });
    let selected_slot = RwSignal::new(None::<SlotChoice>);
    // Only successful changes reload: a refused one keeps the open form and its message.
    Effect::new(move |_| {
        if let Some(Ok(_)) = book.value().get() {
            selected_slot.set(None);
            schedule.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            schedule.refetch();
        }
    });
    // A visit moved to a day not on screen: the calendar goes to that day, its card open.
    Effect::watch(
        move || relocate.version().get(),
        move |_, _, _| {
            if let Some(Ok(date)) = relocate.value().get_untracked() {
                let shown = schedule.get_untracked().and_then(Result::ok);
                match shown {
                    Some(s) if !s.days.iter().any(|d| d.date == date) => {
                        let mut link = calendar_link(s.shop_id.unwrap_or_default(), &date, s.span);
                        if let Some(id) = selected_visit.get_untracked() {
                            link.push_str(&format!("&visit={id}"));
                        }
                        let _ = window().location().set_href(&public_url(&link));
                    }
                    _ => schedule.refetch(),
                }
            }
        },
        false,
    );

    // While the schedule reloads (a change here or elsewhere), the current one stays on screen
    // with a note.
    let loading = RwSignal::new(false);

    view! {
        <div class="mb-3 flex items-baseline gap-3">
            <h1 class="text-2xl font-semibold">"Календарь"</h1>
            <span class="text-sm text-slate-500" role="status" aria-live="polite">
                {move || loading.get().then_some("Загрузка…")}
            </span>
        </div>
        <Transition fallback=Loading set_pending=loading>
            {move || Suspend::new(async move {
                match schedule.await {
                    Ok(schedule) if schedule.shop_id.is_none() => view! {
                        <EmptyState text="Точек пока нет: добавьте первую в разделе «Точки»." next=("/shops", "Добавить точку")/>
                    }.into_any(),
                    Ok(schedule) => view! {
                        <ScheduleSwitch schedule=schedule.clone()/>
                        <ScheduleGrid schedule selected_visit selected_slot/>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
        // The panels sit outside the Transition. The visit panel follows reloads (a status
        // changed elsewhere shows at once); the booking form reads the schedule once, so a live
        // update does not wipe what is being typed.
        {move || {
            selected_visit
                .get()
                .and_then(|id| {
                    let schedule = schedule.get()?.ok()?;
                    let visit = schedule.visits.into_iter().find(|v| v.id == id)?;
                    Some((visit, schedule.bays))
                })
                .map(|(visit, bays)| view! { <VisitPanel visit bays change relocate selected_visit/> })
        }}
        {move || {
            selected_slot
                .get()
                .and_then(|at| Some((at, schedule.get_untracked()?.ok()?)))
                .map(|(at, schedule)| view! {
                    <BookingPanel
                        services=schedule.services
                        shop_id=schedule.shop_id.unwrap_or_default()
                        at
                        book
                        selected_slot
                    />
                })
        }}
    }
}

/// Previous/next, day or week, shop and date. The shop and date switch is a plain GET form, so
/// it works before the page is hydrated.
#[component]
fn ScheduleSwitch(schedule: Schedule) -> impl IntoView {
    let shop_id = schedule.shop_id.unwrap_or_default();
    let span = schedule.span;
    let (prev_label, next_label) = match span {
        Span::Day => ("Предыдущий день", "Следующий день"),
        Span::Week => ("Предыдущая неделя", "Следующая неделя"),
    };
    let arrow = "rounded-lg border bg-white px-3 py-2 text-sm hover:bg-slate-50";
    // The view shown is marked, the other one is a link to the same date.
    let date = schedule.date.clone();
    let span_choice = move |choice: Span, label: &'static str| {
        if choice == span {
            view! { <span aria-current="true" class="rounded-md bg-blue-700 px-3 py-1.5 text-white">{label}</span> }.into_any()
        } else {
            view! {
                <a href=public_url(&calendar_link(shop_id, &date, choice)) class="rounded-md px-3 py-1.5 text-slate-700 hover:bg-slate-100">{label}</a>
            }
            .into_any()
        }
    };
    view! {
        <div class="mb-3 flex flex-wrap items-end gap-2">
            <div class="flex items-center gap-2">
                <a href=public_url(&calendar_link(shop_id, &schedule.prev_date, span)) class=arrow aria-label=prev_label>"←"</a>
                <p class="min-w-44 text-center font-medium" data-testid="calendar-date">{schedule.label.clone()}</p>
                <a href=public_url(&calendar_link(shop_id, &schedule.next_date, span)) class=arrow aria-label=next_label>"→"</a>
            </div>
            <nav aria-label="Вид календаря" class="flex rounded-lg border bg-white p-0.5 text-sm">
                {span_choice(Span::Day, "День")}
                {span_choice(Span::Week, "Неделя")}
            </nav>
            <form method="get" action=public_url("/calendar") class="flex flex-wrap items-end gap-2">
                <input type="hidden" name="view" value=span.query_value()/>
                <label class="text-sm">
                    <span class="block text-slate-600">"Точка"</span>
                    <select name="shop" class="rounded-lg border bg-white px-2 py-2">
                        {schedule.shops.iter().map(|(id, name)| view! {
                            <option value=*id selected=Some(*id) == schedule.shop_id>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="text-sm">
                    <span class="block text-slate-600">"Дата"</span>
                    <input type="date" name="date" value=schedule.date.clone() class="rounded-lg border bg-white px-2 py-1.5"/>
                </label>
                <button type="submit" class="rounded-lg bg-slate-800 px-3 py-2 text-sm text-white">"Показать"</button>
            </form>
        </div>
    }
}

/// `2026-12-31` as people here write it: `31.12.2026`.
fn russian_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [year, month, day] => format!("{day}.{month}.{year}"),
        _ => iso.to_string(),
    }
}

fn clock(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The time grid: for each day shown a column per bay, cards placed by time, free slots as
/// buttons.
#[component]
fn ScheduleGrid(
    schedule: Schedule,
    selected_visit: RwSignal<Option<i64>>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) -> impl IntoView {
    let week = schedule.span == Span::Week;
    // The rows run from the earliest opening to the latest closing of the days shown.
    let open = schedule
        .days
        .iter()
        .filter_map(|d| d.open_minutes)
        .map(|(open, _)| open)
        .min();
    let close = schedule
        .days
        .iter()
        .filter_map(|d| d.open_minutes)
        .map(|(_, close)| close)
        .max();
    let (Some(open), Some(close)) = (open, close) else {
        let text = if week {
            "На этой неделе точка не работает."
        } else {
            "В этот день точка не работает."
        };
        return view! { <EmptyState text/> }.into_any();
    };
    let rows = Rows {
        open,
        close,
        px: if week {
            WEEK_PX_PER_MINUTE
        } else {
            DAY_PX_PER_MINUTE
        },
        step: schedule.slot_minutes.max(5),
    };
    let hours: Vec<i32> = (open..close)
        .filter(|m| m % 60 == 0 || *m == open)
        .collect();
    let header = if week { "h-16" } else { "h-9" };
    let shop_id = schedule.shop_id.unwrap_or_default();
    let bays = schedule.bays;
    let visits = schedule.visits;

    view! {
        <div class="overflow-x-auto rounded-xl bg-white shadow">
            <div class="flex min-w-max">
                <div class="w-14 shrink-0 border-r border-slate-200">
                    <div class=format!("{header} border-b border-slate-200")></div>
                    <div class="relative" style=format!("height:{}px", rows.height())>
                        {hours.into_iter().map(|m| view! {
                            <span class="absolute right-1 -translate-y-1/2 text-xs text-slate-500" style=format!("top:{}px", rows.top(m))>{clock(m)}</span>
                        }).collect_view()}
                    </div>
                </div>
                {schedule.days.into_iter().map(|day| {
                    let day_visits: Vec<Visit> = visits.iter().filter(|v| v.date == day.date).cloned().collect();
                    view! {
                        <DayColumns day visits=day_visits bays week rows shop_id selected_visit selected_slot/>
                    }
                }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}

/// The vertical scale of the grid.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rows {
    /// Minutes since midnight of the first and the last row.
    open: i32,
    close: i32,
    px: f64,
    step: i32,
}

impl Rows {
    fn height(self) -> f64 {
        f64::from(self.close - self.open) * self.px
    }

    fn top(self, minute: i32) -> f64 {
        f64::from(minute - self.open) * self.px
    }

    fn length(self, from: i32, to: i32) -> f64 {
        f64::from(to - from) * self.px
    }
}

/// One day: a column per bay. In the week view the day's name above links to its day view.
#[allow(clippy::too_many_arguments)]
#[component]
fn DayColumns(
    day: ScheduleDay,
    visits: Vec<Visit>,
    bays: i32,
    week: bool,
    rows: Rows,
    shop_id: i64,
    selected_visit: RwSignal<Option<i64>>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) -> impl IntoView {
    // A day off has no free slots.
    let (open, close) = day.open_minutes.unwrap_or((rows.open, rows.open));
    let column = if week { "w-14" } else { "w-44" };
    let date = day.date.clone();
    let day_label = day.short_label.clone();
    view! {
        <div class="shrink-0 border-r-2 border-slate-300 last:border-r-0" data-day=day.date.clone()>
            {week.then(|| view! {
                <a href=public_url(&calendar_link(shop_id, &day.date, Span::Day)) class="flex h-7 items-center justify-center border-b border-slate-200 text-xs font-medium text-blue-800 hover:underline">
                    {day.short_label.clone()}
                </a>
            })}
            <div class="relative flex">
                {day.open_minutes.is_none().then(|| view! {
                    <p class="pointer-events-none absolute inset-x-0 top-12 z-10 text-center text-xs text-slate-500">"Выходной"</p>
                })}
                {(1..=bays).map(|bay| {
                    let bay_visits: Vec<Visit> = visits.iter().filter(|v| v.bay == bay).cloned().collect();
                    let date = date.clone();
                    let day_label = day_label.clone();
                    view! {
                        <div class=format!("{column} border-r border-slate-200 last:border-r-0") data-bay=bay>
                            <div class="flex h-9 items-center justify-center border-b border-slate-200 text-sm font-medium">
                                {if week { format!("П{bay}") } else { format!("Пост {bay}") }}
                            </div>
                            <div class="relative bg-slate-100" style=format!("height:{}px", rows.height())>
                                {(close > open).then(|| view! {
                                    <div class="absolute inset-x-0 bg-white" style=format!("top:{}px;height:{}px", rows.top(open), rows.length(open, close))></div>
                                })}
                                {(open..close).step_by(rows.step as usize).map(|minute| {
                                    let label = if week {
                                        format!("Записать: {day_label}, пост {bay}, {}", clock(minute))
                                    } else {
                                        format!("Записать: пост {bay}, {}", clock(minute))
                                    };
                                    let choice = SlotChoice { date: date.clone(), day_label: day_label.clone(), bay, minute };
                                    view! {
                                        <button
                                            type="button"
                                            class="absolute inset-x-0 border-t border-slate-100 hover:bg-blue-50 focus:bg-blue-50 focus:outline-none"
                                            style=format!("top:{}px;height:{}px", rows.top(minute), rows.length(0, rows.step))
                                            aria-label=label
                                            on:click=move |_| {
                                                selected_visit.set(None);
                                                selected_slot.set(Some(choice.clone()));
                                            }
                                        ></button>
                                    }
                                }).collect_view()}
                                {bay_visits.into_iter().map(|visit| view! { <VisitCard visit week rows selected_visit selected_slot/> }).collect_view()}
                            </div>
                        </div>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}

/// A visit on the grid, coloured by status; a click opens its panel.
#[component]
fn VisitCard(
    visit: Visit,
    week: bool,
    rows: Rows,
    selected_visit: RwSignal<Option<i64>>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) -> impl IntoView {
    let id = visit.id;
    let (from, to) = (
        visit.start_minute.max(rows.open),
        visit.end_minute.min(rows.close),
    );
    let style = format!(
        "top:{}px;height:{}px",
        rows.top(from),
        rows.length(from, to).max(18.0)
    );
    let text = if week {
        "px-1 text-[10px] leading-tight"
    } else {
        "px-2 py-1 text-xs"
    };
    let title = format!(
        "{} {} — {}",
        visit.time,
        visit.client_name,
        visit.services.join(", ")
    );
    view! {
        <button
            type="button"
            data-visit=id
            data-status=visit.status.as_str()
            title=title
            class=format!("absolute inset-x-0.5 z-10 overflow-hidden rounded-md border-l-4 text-left shadow-sm {text} {}", visit.status.classes())
            style=style
            on:click=move |_| {
                selected_slot.set(None);
                selected_visit.set(Some(id));
            }
        >
            {if week {
                view! {
                    <span class="block font-semibold">{visit.start_clock.clone()}</span>
                    <span class="block truncate">{visit.client_name.clone()}</span>
                }.into_any()
            } else {
                view! {
                    <span class="block font-semibold">{visit.time.clone()} " " {visit.client_name.clone()}</span>
                    {visit.car.clone().map(|car| view! { <span class="block">{car}</span> })}
                    <span class="block opacity-80">{visit.services.join(", ")}</span>
                }.into_any()
            }}
            <span class="sr-only">{visit.status.label()}</span>
        </button>
    }
}

/// A side panel (a sheet from the bottom on a phone) with a close button; Escape closes it too.
#[component]
fn Panel(title: String, on_close: impl Fn() + 'static, children: Children) -> impl IntoView {
    let label = title.clone();
    let on_close = std::rc::Rc::new(on_close);
    let on_escape = {
        let on_close = on_close.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Escape" {
                on_close();
            }
        }
    };
    view! {
        <aside
            role="dialog"
            aria-label=label
            on:keydown=on_escape
            class="fixed inset-x-0 bottom-0 z-30 max-h-[85vh] overflow-y-auto rounded-t-2xl bg-white p-4 shadow-2xl md:inset-y-0 md:left-auto md:right-0 md:max-h-none md:w-96 md:rounded-none"
        >
            <div class="mb-3 flex items-center justify-between">
                <h2 class="text-lg font-semibold">{title}</h2>
                <button type="button" class="rounded px-2 py-1 text-slate-600 hover:bg-slate-100" on:click=move |_| on_close()>"Закрыть"</button>
            </div>
            {children()}
        </aside>
    }
}

/// The error of `action` that arrived after `opened_at` (the action is shared by every panel).
fn error_since<A: Send + Sync + 'static, O: Clone + Send + Sync + 'static>(
    action: Action<A, Result<O, AppError>>,
    opened_at: usize,
) -> impl Fn() -> Option<AppError> + Copy {
    move || {
        (action.version().get() > opened_at)
            .then(|| action.value().get())
            .flatten()
            .and_then(Result::err)
    }
}

#[component]
fn VisitPanel(
    visit: Visit,
    bays: i32,
    change: ServerAction<ChangeStatus>,
    relocate: ServerAction<MoveVisit>,
    selected_visit: RwSignal<Option<i64>>,
) -> impl IntoView {
    let error = error_since(change.into(), change.version().get_untracked());
    let move_error = error_since(relocate.into(), relocate.version().get_untracked());
    let can_cancel = visit.next_statuses.contains(&Status::Cancelled);
    let can_move = visit.can_move();
    let id = visit.id;
    let next_statuses = visit.next_statuses.clone();
    view! {
        <Panel title=format!("Запись № {}", visit.id) on_close=move || selected_visit.set(None)>
            <p class=format!("mb-2 inline-block rounded-full border px-3 py-1 text-sm {}", visit.status.classes()) data-testid="visit-status">
                {visit.status.label()}
            </p>
            <dl class="space-y-1 text-sm">
                <div><dt class="inline text-slate-500">"Время: "</dt><dd class="inline" data-testid="visit-time">{russian_date(&visit.date)} " " {visit.time.clone()} ", пост " {visit.bay}</dd></div>
                <div><dt class="inline text-slate-500">"Клиент: "</dt><dd class="inline">
                    <a href=public_url(&format!("/clients/{}", visit.client_id)) class="text-blue-700 underline">{visit.client_name.clone()}</a>
                    {visit.client_phone.clone().map(|p| view! { " · " {p} })}
                </dd></div>
                {visit.car.clone().map(|car| view! { <div><dt class="inline text-slate-500">"Автомобиль: "</dt><dd class="inline">{car}</dd></div> })}
                <div><dt class="inline text-slate-500">"Услуги: "</dt><dd class="inline">{visit.services.join(", ")}</dd></div>
                <div><dt class="inline text-slate-500">"Сумма: "</dt><dd class="inline">{visit.total_price.clone()}</dd></div>
                <div><dt class="inline text-slate-500">"Источник: "</dt><dd class="inline">{source_label(&visit.source)}</dd></div>
                {(!visit.customer_note.is_empty()).then(|| view! { <div><dt class="text-slate-500">"Слова клиента:"</dt><dd class="italic">"«" {visit.customer_note.clone()} "»"</dd></div> })}
                {(!visit.ai_summary.is_empty() || !visit.ai_findings.is_empty()).then(|| view! {
                    <div data-testid="visit-ai">
                        <dt class="text-slate-500">"Разбор консьержа:"</dt>
                        <dd>{visit.ai_summary.clone()}</dd>
                        <ul class="mt-1 list-disc pl-5 text-slate-700">
                            {visit.ai_findings.clone().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                        </ul>
                    </div>
                })}
                {visit.cancel_reason.clone().map(|r| view! { <div><dt class="inline text-slate-500">"Причина отмены: "</dt><dd class="inline">{r}</dd></div> })}
            </dl>
            {move || error().map(|error| view! { <div class="mt-3"><ErrorNotice error/></div> })}
            <div class="mt-4 flex flex-wrap gap-2">
                {next_statuses.into_iter().filter(|s| *s != Status::Cancelled).map(|status| {
                    let label = status.action();
                    view! {
                        <ActionForm action=change>
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="status" value=status.as_str()/>
                            <button type="submit" class="rounded-lg bg-blue-700 px-3 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60" disabled=move || change.pending().get()>
                                {label}
                            </button>
                        </ActionForm>
                    }
                }).collect_view()}
            </div>
            {can_move.then(|| view! {
                <section class="mt-4 border-t pt-4" aria-labelledby="move-title">
                    <h3 id="move-title" class="mb-2 text-sm font-medium">"Перенести"</h3>
                    <ActionForm action=relocate attr:class="space-y-2">
                        <input type="hidden" name="id" value=id/>
                        <div class="grid grid-cols-3 gap-2">
                            <div>
                                <label for="move-date" class="block text-sm text-slate-600">"Дата"</label>
                                <input id="move-date" name="date" type="date" required value=visit.date.clone() class="w-full rounded-lg border px-2 py-1.5 text-sm"/>
                            </div>
                            <div>
                                <label for="move-time" class="block text-sm text-slate-600">"Время"</label>
                                <input id="move-time" name="time" type="time" step="300" required value=visit.start_clock.clone() class="w-full rounded-lg border px-2 py-1.5 text-sm"/>
                            </div>
                            <div>
                                <label for="move-bay" class="block text-sm text-slate-600">"Пост"</label>
                                <select id="move-bay" name="bay" class="w-full rounded-lg border bg-white px-2 py-2 text-sm">
                                    <option value="">"любой"</option>
                                    {(1..=bays).map(|bay| view! { <option value=bay selected=bay == visit.bay>{bay}</option> }).collect_view()}
                                </select>
                            </div>
                        </div>
                        {move || move_error().map(|error| view! { <ErrorNotice error/> })}
                        <button type="submit" class="rounded-lg border border-blue-300 px-3 py-2 text-sm font-medium text-blue-800 hover:bg-blue-50 disabled:opacity-60" disabled=move || relocate.pending().get()>
                            {move || if relocate.pending().get() { "Переносим…" } else { "Перенести запись" }}
                        </button>
                    </ActionForm>
                </section>
            })}
            {can_cancel.then(|| view! {
                <ActionForm action=change attr:class="mt-4 space-y-2 border-t pt-4">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="status" value="cancelled"/>
                    <label for="cancel-reason" class="block text-sm font-medium">"Причина отмены"</label>
                    <input id="cancel-reason" name="reason" required class="w-full rounded-lg border px-3 py-2"/>
                    <button type="submit" class="rounded-lg border border-red-300 px-3 py-2 text-sm text-red-700 hover:bg-red-50">"Отменить запись"</button>
                </ActionForm>
            })}
            <crate::components::conversation::Conversation client_id=visit.client_id/>
        </Panel>
    }
}

#[component]
fn BookingPanel(
    services: Vec<ServiceChoice>,
    shop_id: i64,
    at: SlotChoice,
    book: ServerAction<BookVisit>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let client = RwSignal::new(None::<i64>);
    let new_name = RwSignal::new(String::new());
    let new_phone = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<i64>::new());
    let hits = load(
        move || search.get(),
        |text| async move {
            if text.trim().chars().count() < 2 {
                Ok(Vec::new())
            } else {
                find_clients(text).await
            }
        },
    );
    let catalogue = StoredValue::new(services.clone());
    let totals = move || {
        let ids = chosen.get();
        catalogue.with_value(|list| {
            list.iter()
                .filter(|s| ids.contains(&s.id))
                .fold((0, 0), |(minutes, kopecks), s| {
                    (minutes + s.duration_minutes, kopecks + s.price_kopecks)
                })
        })
    };
    // The action outlives this form: only results that arrive after the form opened are its own.
    let error = error_since(book.into(), book.version().get_untracked());
    let start = format!("{}T{}", at.date, clock(at.minute));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        book.dispatch(BookVisit {
            shop_id,
            bay: at.bay,
            start: start.clone(),
            client_id: client.get_untracked(),
            new_client_name: new_name.get_untracked(),
            new_client_phone: new_phone.get_untracked(),
            service_ids: chosen.get_untracked(),
        });
    };

    view! {
        <Panel title=format!("Новая запись: пост {}, {} ({})", at.bay, clock(at.minute), at.day_label) on_close=move || selected_slot.set(None)>
            <form on:submit=submit class="space-y-4">
                <fieldset class="space-y-2">
                    <legend class="text-sm font-medium">"Клиент"</legend>
                    <label for="client-search" class="block text-sm text-slate-600">"Поиск по имени, телефону или номеру авто"</label>
                    <input id="client-search" type="search" autocomplete="off" class="w-full rounded-lg border px-3 py-2"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))/>
                    <Transition fallback=Loading>
                        {move || Suspend::new(async move {
                            match hits.await {
                                Ok(found) => found.into_iter().map(|hit| {
                                    let id = hit.id;
                                    view! {
                                        <label class="flex items-center gap-2 text-sm">
                                            <input type="radio" name="client" prop:checked=move || client.get() == Some(id) on:change=move |_| client.set(Some(id))/>
                                            {hit.full_name} {hit.phone.map(|p| format!(" · {p}"))}
                                        </label>
                                    }
                                }).collect_view().into_any(),
                                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                            }
                        })}
                    </Transition>
                    <label class="flex items-center gap-2 text-sm">
                        <input type="radio" name="client" prop:checked=move || client.get().is_none() on:change=move |_| client.set(None)/>
                        "Новый клиент"
                    </label>
                    <div class="grid gap-2 sm:grid-cols-2" class:hidden=move || client.get().is_some()>
                        <div>
                            <label for="new-client-name" class="block text-sm text-slate-600">"Имя"</label>
                            <input id="new-client-name" class="w-full rounded-lg border px-3 py-2" on:input=move |ev| new_name.set(event_target_value(&ev))/>
                        </div>
                        <div>
                            <label for="new-client-phone" class="block text-sm text-slate-600">"Телефон"</label>
                            <input id="new-client-phone" type="tel" class="w-full rounded-lg border px-3 py-2" on:input=move |ev| new_phone.set(event_target_value(&ev))/>
                        </div>
                    </div>
                </fieldset>
                <fieldset>
                    <legend class="mb-1 text-sm font-medium">"Услуги"</legend>
                    <div class="max-h-56 space-y-1 overflow-y-auto rounded-lg border p-2">
                        {services.into_iter().map(|service| {
                            let id = service.id;
                            view! {
                                <label class="flex items-start gap-2 text-sm">
                                    <input type="checkbox" class="mt-1" on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|ids| if on { ids.push(id) } else { ids.retain(|x| *x != id) });
                                    }/>
                                    <span>{service.name} <span class="text-slate-500">{format!(" · {} мин · {}\u{a0}₽", service.duration_minutes, service.price_kopecks / 100)}</span></span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <p class="mt-1 text-sm" data-testid="booking-total">
                        {move || { let (minutes, kopecks) = totals(); format!("Итого: {minutes} мин, {},{:02}\u{a0}₽", kopecks / 100, kopecks % 100) }}
                    </p>
                </fieldset>
                {move || error().map(|error| view! { <ErrorNotice error/> })}
                <button type="submit" class="w-full rounded-lg bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60" disabled=move || book.pending().get()>
                    {move || if book.pending().get() { "Записываем…" } else { "Записать" }}
                </button>
            </form>
        </Panel>
    }
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
