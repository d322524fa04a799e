//! The calendar's switch (previous/next, day or week, shop and date) and its time grid: a column
//! per bay for each day shown, visits as cards placed by time, free slots as buttons.

use leptos::prelude::*;

use super::schedule::MoveVisit;
use super::{
    calendar_link, clock, Schedule, ScheduleDay, SlotChoice, Span, Visit, DAY_PX_PER_MINUTE,
    WEEK_PX_PER_MINUTE,
};

/// Moving a visit by dragging its card onto a free slot (the panel's move form is the keyboard
/// way): the card being dragged, and the move it becomes when dropped. Provided by the calendar.
#[derive(Clone, Copy)]
pub(super) struct DragMove {
    pub dragging: RwSignal<Option<i64>>,
    pub relocate: ServerAction<MoveVisit>,
}
use crate::components::feedback::EmptyState;
use crate::public_path::public_url;

/// Previous/next, day or week, shop and date. The shop and date switch is a plain GET form, so
/// it works before the page is hydrated.
#[component]
pub(super) fn ScheduleSwitch(schedule: Schedule) -> impl IntoView {
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

/// The time grid: for each day shown a column per bay, cards placed by time, free slots as
/// buttons.
#[component]
pub(super) fn ScheduleGrid(
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
    let bay_names = schedule.bay_names;
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
                        <DayColumns day visits=day_visits bays bay_names=bay_names.clone() week rows shop_id selected_visit selected_slot/>
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

/// Whole pixels: a grid never needs fractions, and formatting integers keeps the float
/// formatting code out of the WASM bundle.
impl Rows {
    fn px(self, minutes: i32) -> i32 {
        (f64::from(minutes) * self.px).round() as i32
    }

    fn height(self) -> i32 {
        self.px(self.close - self.open)
    }

    fn top(self, minute: i32) -> i32 {
        self.px(minute - self.open)
    }

    fn length(self, from: i32, to: i32) -> i32 {
        self.px(to - from)
    }
}

/// One day: a column per bay. In the week view the day's name above links to its day view.
#[allow(clippy::too_many_arguments)]
#[component]
fn DayColumns(
    day: ScheduleDay,
    visits: Vec<Visit>,
    bays: i32,
    /// One per bay (see `Schedule::bay_names`).
    bay_names: Vec<String>,
    week: bool,
    rows: Rows,
    shop_id: i64,
    selected_visit: RwSignal<Option<i64>>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) -> impl IntoView {
    // A day off has no free slots.
    let (open, close) = day.open_minutes.unwrap_or((rows.open, rows.open));
    let drag = expect_context::<DragMove>();
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
                            <BayHeader bay name=bay_names.get(usize::try_from(bay - 1).unwrap_or(0)).cloned() week/>
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
                                    let target = choice.clone();
                                    view! {
                                        <button
                                            type="button"
                                            class="absolute inset-x-0 border-t border-slate-100 hover:bg-blue-50 focus:bg-blue-50 focus:outline-none"
                                            style=format!("top:{}px;height:{}px", rows.top(minute), rows.length(0, rows.step))
                                            aria-label=label
                                            data-slot=format!("{} {bay}", clock(minute))
                                            on:click=move |_| {
                                                selected_visit.set(None);
                                                selected_slot.set(Some(choice.clone()));
                                            }
                                            on:dragover=move |ev| {
                                                if drag.dragging.get_untracked().is_some() {
                                                    ev.prevent_default();
                                                }
                                            }
                                            on:drop=move |ev| {
                                                ev.prevent_default();
                                                if let Some(id) = drag.dragging.get_untracked() {
                                                    drag.dragging.set(None);
                                                    // The panel shows the result (a refusal with its reason).
                                                    selected_slot.set(None);
                                                    selected_visit.set(Some(id));
                                                    drag.relocate.dispatch(MoveVisit {
                                                        id,
                                                        date: target.date.clone(),
                                                        time: clock(target.minute),
                                                        bay: target.bay.to_string(),
                                                    });
                                                }
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
/// A bay's column heading: its name in the day view, its number in the narrow week view; the
/// name is its tooltip either way (a long one is cut short in the column).
#[component]
fn BayHeader(bay: i32, name: Option<String>, week: bool) -> impl IntoView {
    let name = name.unwrap_or_else(|| format!("Пост {bay}"));
    let text = if week {
        format!("П{bay}")
    } else {
        name.clone()
    };
    view! {
        <div class="flex h-9 items-center justify-center border-b border-slate-200 px-1 text-sm font-medium" title=name>
            <span class="truncate">{text}</span>
        </div>
    }
}

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
        rows.length(from, to).max(18)
    );
    let text = if week {
        "px-1 text-[10px] leading-tight"
    } else {
        "px-2 py-1 text-xs"
    };
    // Clients who often do not come are marked, so that staff call to confirm.
    let no_shows =
        (visit.client_no_shows > 0).then(|| format!("не приезжал {} р.", visit.client_no_shows));
    let title = format!(
        "{} {}{} — {}",
        visit.time,
        visit.client_name,
        no_shows
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        visit.services.join(", ")
    );
    let no_show_mark = no_shows.map(|text| view! {
        <span class="ml-1 rounded bg-rose-600 px-1 font-bold text-white" data-testid="no-show-mark" title=text.clone()>
            "!"<span class="sr-only">{text.clone()}</span>
        </span>
    });
    let drag = expect_context::<DragMove>();
    let on_drag_start = move |ev: leptos::ev::DragEvent| {
        // Firefox starts a drag only with data in it.
        #[cfg(feature = "hydrate")]
        if let Some(data) = ev.data_transfer() {
            let _ = data.set_data("text/plain", &id.to_string());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
        drag.dragging.set(Some(id));
    };
    view! {
        <button
            type="button"
            data-visit=id
            data-status=visit.status.as_str()
            draggable=if visit.can_move() { "true" } else { "false" }
            on:dragstart=on_drag_start
            on:dragend=move |_| drag.dragging.set(None)
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
                    <span class="block truncate">{visit.client_name.clone()} {no_show_mark}</span>
                }.into_any()
            } else {
                view! {
                    <span class="block font-semibold">{visit.time.clone()} " " {visit.client_name.clone()} {no_show_mark}</span>
                    {visit.car.clone().map(|car| view! { <span class="block">{car}</span> })}
                    <span class="block opacity-80">{visit.services.join(", ")}</span>
                }.into_any()
            }}
            <span class="sr-only">{visit.status.label()}</span>
        </button>
    }
}
