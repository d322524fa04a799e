//! Календарь: one shop's day or week, a column per bay. Cards open a panel with the visit, the
//! status changes allowed from where it is and a form to move it; an empty slot opens the
//! booking form.
//!
//! - [`schedule`]: the server functions (what the page reads and the changes it makes);
//! - [`grid`]: the switch between days, weeks and shops, and the time grid with its cards;
//! - [`panels`]: the visit panel (status, move, cancel) and the booking form;
//! - [`edit`]: the visit's corrections (services, car, notes, findings) and its timeline.

mod edit;
mod grid;
mod panels;
mod schedule;

use crate::model::Status;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::appointment_status::ChangeStatus;
use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    live::reload_on_appointment_events,
    loaded::{load, Loaded},
};
use crate::public_path::public_url;
use edit::EditVisit;
use grid::{DragMove, ScheduleGrid, ScheduleSwitch};
use panels::{BookingPanel, VisitActions, VisitPanel};
use schedule::{calendar, BookVisit, MoveVisit};

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
    /// What staff call each bay, one per bay: «Подъёмник», or «Пост 2» for one without a name.
    pub bay_names: Vec<String>,
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
    pub source: crate::model::Channel,
    pub client_id: i64,
    pub client_name: String,
    pub client_phone: Option<String>,
    /// The client's no-shows, when they are repeated (`clients::REPEATED_NO_SHOWS`), else 0.
    pub client_no_shows: i64,
    pub car: Option<String>,
    pub services: Vec<String>,
    pub total_price: String,
    pub customer_note: String,
    pub ai_summary: String,
    /// The concierge's causes and suggested services with their confidence, as staff read them.
    pub ai_findings: Vec<String>,
    /// The concierge's causes alone (the start of a correction).
    pub ai_causes: Vec<String>,
    /// The findings as staff corrected them; the concierge's own above stay as they were.
    pub edited_findings: Option<EditedFindings>,
    pub staff_note: String,
    pub cancel_reason: Option<String>,
    /// For the edit form: the booked services, the car and the client's cars `(id, label)`.
    pub service_ids: Vec<i64>,
    pub vehicle_id: Option<i64>,
    pub client_cars: Vec<(i64, String)>,
    /// The status history, oldest first.
    pub history: Vec<HistoryLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditedFindings {
    pub summary: String,
    pub causes: Vec<String>,
    /// «Изменено сотрудником: Анна Петрова, 07.12.2026 11:30».
    pub mark: String,
}

/// A line of a visit's timeline, as staff read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryLine {
    /// «07.12.2026 11:30» in the shop's time zone.
    pub when: String,
    /// «Записан» for the booking, else «Новая → Подтверждена».
    pub what: String,
    /// «Анна Петрова · Админка», «Клиент · Telegram», «Система».
    pub who: String,
    pub reason: Option<String>,
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
    /// The client's cars, `(id, label)`.
    pub cars: Vec<(i64, String)>,
}

/// The booking form of a free slot, as it is sent: `start` is the shop's local time
/// (`YYYY-MM-DDTHH:MM`); the client an existing one (`client_id`) or a new one by name and
/// phone; the car one of the client's (`vehicle_id`), a new one, or none.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BookingForm {
    pub shop_id: i64,
    pub bay: i32,
    pub start: String,
    pub client_id: Option<i64>,
    pub new_client_name: String,
    pub new_client_phone: String,
    pub service_ids: Vec<i64>,
    pub vehicle_id: Option<i64>,
    pub new_car: NewCar,
    pub note: String,
}

/// A car typed into the booking form: added to the client's card with the visit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewCar {
    pub make: String,
    pub model: String,
    pub plate: String,
}

impl NewCar {
    pub fn is_empty(&self) -> bool {
        [&self.make, &self.model, &self.plate]
            .iter()
            .all(|s| s.trim().is_empty())
    }
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
/// page's island. (A little over 80 lines: one island holds the signals that tie the grid to the
/// panels, and most of its length is the view that places them.)
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
    let edit = ServerAction::<EditVisit>::new();
    let actions = VisitActions {
        change,
        relocate,
        edit,
    };
    provide_context(DragMove {
        dragging: RwSignal::new(None),
        relocate,
    });
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
    follow_changes(schedule, book, actions, selected_visit, selected_slot);

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
                    Some((visit, schedule.bays, schedule.services))
                })
                .map(|(visit, bays, services)| view! { <VisitPanel visit bays services actions selected_visit/> })
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

fn clock(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// After a change made here: a booking closes its form, and a booking, status change or edit reloads
/// the schedule (a refused change keeps the open form and its message). A visit moved to a day
/// not on screen takes the calendar to that day with its card open.
fn follow_changes(
    schedule: Loaded<Schedule>,
    book: ServerAction<BookVisit>,
    actions: VisitActions,
    selected_visit: RwSignal<Option<i64>>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) {
    let VisitActions {
        change,
        relocate,
        edit,
    } = actions;
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
    Effect::new(move |_| {
        if let Some(Ok(())) = edit.value().get() {
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
}
