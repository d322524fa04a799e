//! Календарь: one shop's day, a column per bay. Cards open a panel with the visit and the status
//! changes allowed from where it is; an empty slot opens the booking form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};
use serde::{Deserialize, Serialize};

use super::appointment_status::ChangeStatus;
use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    live::reload_on_appointment_events,
    status::{source_label, status_classes, status_label},
};

/// Height of one minute of the day on screen, in pixels.
const PX_PER_MINUTE: f64 = 1.2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaySchedule {
    /// Every shop of the company, `(id, name)`, for the shop switch.
    pub shops: Vec<(i64, String)>,
    /// `None` when the company has no shop yet.
    pub shop_id: Option<i64>,
    /// `YYYY-MM-DD`, with the neighbouring days for the day switch.
    pub date: String,
    pub prev_date: String,
    pub next_date: String,
    /// The day as people read it: «пятница, 27.11.2026».
    pub date_label: String,
    pub bays: i32,
    pub slot_minutes: i32,
    /// Opening hours of the day in minutes since local midnight; `None` on a day off.
    pub open_minutes: Option<(i32, i32)>,
    pub visits: Vec<Visit>,
    /// Active services the shop offers, for the booking form.
    pub services: Vec<ServiceChoice>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: i64,
    pub bay: i32,
    /// Minutes since local midnight.
    pub start_minute: i32,
    pub end_minute: i32,
    /// «09:00–10:30».
    pub time: String,
    pub status: String,
    /// Statuses `booking::Status::can_transition` allows from this one.
    pub next_statuses: Vec<String>,
    pub source: String,
    pub client_id: i64,
    pub client_name: String,
    pub client_phone: Option<String>,
    pub car: Option<String>,
    pub services: Vec<String>,
    pub total_price: String,
    pub customer_note: String,
    pub ai_summary: String,
    pub cancel_reason: Option<String>,
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

#[server]
pub async fn calendar_day(
    shop: Option<i64>,
    date: Option<String>,
) -> Result<DaySchedule, ServerFnError> {
    use chrono::{Duration, NaiveDate, Timelike, Utc};

    use crate::domain::{
        booking::{self, AppointmentFilter, Status},
        clients,
        hours::WorkingHours,
        services, shops, AppState,
    };
    use crate::session::ssr::{failed, refused, require_staff};

    // Taken before the first await: during server rendering a resumed future may run outside
    // the request's reactive owner.
    let state = expect_context::<AppState>();
    let (_, tenant) = require_staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await.map_err(failed)?;
    let all_shops = shops::list(&mut tx, 0, 100).await.map_err(failed)?;
    let shop = match shop {
        Some(id) => Some(shops::get(&mut tx, id).await.map_err(failed)?),
        None => all_shops.first().cloned(),
    };
    let shop_list = all_shops.iter().map(|s| (s.id, s.name.clone())).collect();
    let Some(shop) = shop else {
        let today = Utc::now().date_naive();
        return Ok(DaySchedule {
            shops: shop_list,
            shop_id: None,
            date: today.to_string(),
            prev_date: today.to_string(),
            next_date: today.to_string(),
            date_label: String::new(),
            bays: 0,
            slot_minutes: 30,
            open_minutes: None,
            visits: Vec::new(),
            services: Vec::new(),
        });
    };
    let tz: chrono_tz::Tz = shop.timezone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let date = match date.as_deref().filter(|d| !d.is_empty()) {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| refused("Дата в формате ГГГГ-ММ-ДД"))?,
        None => Utc::now().with_timezone(&tz).date_naive(),
    };
    let minute_of_day = |at: chrono::DateTime<Utc>| {
        let local = at.with_timezone(&tz);
        let minutes = (local.date_naive() - date).num_days() * 1440
            + i64::from(local.hour() * 60 + local.minute());
        i32::try_from(minutes.clamp(0, 1440)).unwrap_or(0)
    };
    let periods = WorkingHours::from_json(&shop.working_hours)
        .map_err(failed)?
        .open_periods(date, tz);
    let open_minutes = match (periods.first(), periods.last()) {
        (Some((open, _)), Some((_, close))) => Some((minute_of_day(*open), minute_of_day(*close))),
        _ => None,
    };

    let appointments = booking::list(
        &mut tx,
        &AppointmentFilter {
            shop_id: Some(shop.id),
            date_from: Some(date),
            date_to: Some(date),
            limit: booking::MAX_PAGE,
            ..AppointmentFilter::default()
        },
    )
    .await
    .map_err(failed)?;
    let mut visits = Vec::with_capacity(appointments.len());
    for a in appointments {
        let car = match a.vehicle_id {
            Some(vehicle_id) => clients::vehicles(&mut tx, a.client_id)
                .await
                .map_err(failed)?
                .into_iter()
                .find(|v| v.id == vehicle_id)
                .map(|v| {
                    let name = format!("{} {}", v.make, v.model);
                    match v.plate {
                        Some(plate) => format!("{} · {plate}", name.trim()),
                        None => name.trim().to_string(),
                    }
                }),
            None => None,
        };
        let (start, end) = (a.start_time.to_utc(), a.end_time.to_utc());
        visits.push(Visit {
            id: a.id,
            bay: a.bay,
            start_minute: minute_of_day(start),
            end_minute: minute_of_day(end),
            time: format!(
                "{}–{}",
                start.with_timezone(&tz).format("%H:%M"),
                end.with_timezone(&tz).format("%H:%M")
            ),
            status: a.status.as_str().to_string(),
            next_statuses: Status::ALL
                .into_iter()
                .filter(|to| Status::can_transition(a.status, *to))
                .map(|to| to.as_str().to_string())
                .collect(),
            source: a.source.as_str().to_string(),
            client_id: a.client_id,
            client_name: a.client.full_name,
            client_phone: a.client.phone,
            car,
            services: a.services.into_iter().map(|s| s.name).collect(),
            total_price: format!("{}\u{a0}₽", a.total_price.round_dp(2).normalize()),
            customer_note: a.customer_note,
            ai_summary: a.ai_summary,
            cancel_reason: a.cancel_reason,
        });
    }
    let services = services::list(&mut tx, Some(shop.id), 0, 500)
        .await
        .map_err(failed)?
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
    tx.commit().await.map_err(|e| failed(e.into()))?;

    Ok(DaySchedule {
        shops: shop_list,
        shop_id: Some(shop.id),
        date: date.to_string(),
        prev_date: (date - Duration::days(1)).to_string(),
        next_date: (date + Duration::days(1)).to_string(),
        date_label: format!("{}, {}", weekday_name(date), date.format("%d.%m.%Y")),
        bays: shop.bays,
        slot_minutes: shop.slot_minutes,
        open_minutes,
        visits,
        services,
    })
}

#[cfg(feature = "ssr")]
fn weekday_name(date: chrono::NaiveDate) -> &'static str {
    use chrono::{Datelike, Weekday};
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

/// Clients by name, phone or plate, for the booking form.
#[server]
pub async fn find_clients(query: String) -> Result<Vec<ClientHit>, ServerFnError> {
    use crate::domain::{clients, AppState};
    use crate::session::ssr::{failed, require_staff};

    // Taken before the first await: during server rendering a resumed future may run outside
    // the request's reactive owner.
    let state = expect_context::<AppState>();
    let (_, tenant) = require_staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await.map_err(failed)?;
    let found = clients::search(&mut tx, Some(&query), 0, 8)
        .await
        .map_err(failed)?;
    tx.commit().await.map_err(|e| failed(e.into()))?;
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
) -> Result<i64, ServerFnError> {
    use chrono::{NaiveDateTime, TimeZone, Utc};

    use crate::domain::{
        booking::{self, Channel, NewBooking},
        clients, shops, AppState,
    };
    use crate::session::ssr::{failed, refused, require_same_origin, require_staff};

    // Taken before the first await: during server rendering a resumed future may run outside
    // the request's reactive owner.
    let state = expect_context::<AppState>();
    require_same_origin().await?;
    let (user, tenant) = require_staff().await?;
    if service_ids.is_empty() {
        return Err(refused("Выберите хотя бы одну услугу"));
    }
    let mut tx = state.db.tenant_tx(tenant).await.map_err(failed)?;
    let shop = shops::get(&mut tx, shop_id).await.map_err(failed)?;
    let tz: chrono_tz::Tz = shop.timezone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let local = NaiveDateTime::parse_from_str(&start, "%Y-%m-%dT%H:%M")
        .map_err(|_| refused("Время записи в формате ГГГГ-ММ-ДДTЧЧ:ММ"))?;
    let start_time = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| refused("Такого времени в этот день нет (перевод часов)"))?
        .with_timezone(&Utc);
    let (client_id, new_client) = match client_id {
        Some(id) => (clients::get(&mut tx, id).await.map_err(failed)?.id, None),
        None => {
            if new_client_name.trim().is_empty() {
                return Err(refused("Выберите клиента или введите имя нового"));
            }
            let (client, created) = clients::find_or_create_by_phone(
                &mut tx,
                tenant.0,
                new_client_name.trim(),
                &new_client_phone,
            )
            .await
            .map_err(failed)?;
            (client.id, created.then_some(client))
        }
    };
    let id = booking::book(
        &mut tx,
        tenant,
        NewBooking {
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
        },
    )
    .await
    .map_err(failed)?;
    let appointment = booking::get(&mut tx, id).await.map_err(failed)?;
    tx.commit().await.map_err(|e| failed(e.into()))?;
    if let Some(client) = new_client {
        state
            .events
            .publish(tenant, "client.created", &client)
            .await;
    }
    state
        .events
        .publish(tenant, "appointment.created", &appointment)
        .await;
    Ok(id)
}

/// Where a click on the grid asks to book.
#[derive(Clone, Copy, Debug, PartialEq)]
struct SlotChoice {
    bay: i32,
    minute: i32,
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let wanted = move || {
        query.with(|q| {
            (
                q.get("shop").and_then(|s| s.parse::<i64>().ok()),
                q.get("date"),
            )
        })
    };
    let change = ServerAction::<ChangeStatus>::new();
    let book = ServerAction::<BookVisit>::new();
    let day = Resource::new(wanted, |(shop, date)| calendar_day(shop, date));
    reload_on_appointment_events(move || day.refetch());
    let selected_visit = RwSignal::new(None::<i64>);
    let selected_slot = RwSignal::new(None::<SlotChoice>);
    // Only successful changes reload the day: a refused one keeps the open form and its message.
    Effect::new(move |_| {
        if let Some(Ok(_)) = book.value().get() {
            selected_slot.set(None);
            day.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            day.refetch();
        }
    });

    view! {
        <Title text="Календарь — Auto-Concierge"/>
        <h1 class="mb-3 text-2xl font-semibold">"Календарь"</h1>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match day.await {
                    Ok(day) if day.shop_id.is_none() => view! {
                        <EmptyState text="Точек пока нет: добавьте первую в разделе «Точки»."/>
                    }.into_any(),
                    Ok(day) => view! {
                        <DaySwitch day=day.clone()/>
                        <DayGrid day selected_visit selected_slot/>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
        // The panels sit outside the Transition. The visit panel follows reloads (a status
        // changed elsewhere shows at once); the booking form reads the day once, so a live update
        // does not wipe what is being typed.
        {move || {
            selected_visit
                .get()
                .and_then(|id| day.get()?.ok()?.visits.into_iter().find(|v| v.id == id))
                .map(|visit| view! { <VisitPanel visit change selected_visit/> })
        }}
        {move || {
            selected_slot
                .get()
                .and_then(|at| Some((at, day.get_untracked()?.ok()?)))
                .map(|(at, day)| view! { <BookingPanel day at book selected_slot/> })
        }}
    }
}

/// Shop and day switches. A plain GET form, so it works before the page is hydrated.
#[component]
fn DaySwitch(day: DaySchedule) -> impl IntoView {
    let shop_id = day.shop_id.unwrap_or_default();
    let link = move |date: &str| format!("/calendar?shop={shop_id}&date={date}");
    view! {
        <div class="mb-3 flex flex-wrap items-end gap-2">
            <A href=link(&day.prev_date) attr:class="rounded-lg border bg-white px-3 py-2 text-sm" attr:aria-label="Предыдущий день">"←"</A>
            <p class="min-w-48 text-center font-medium" data-testid="calendar-date">{day.date_label.clone()}</p>
            <A href=link(&day.next_date) attr:class="rounded-lg border bg-white px-3 py-2 text-sm" attr:aria-label="Следующий день">"→"</A>
            <form method="get" action="/calendar" class="flex flex-wrap items-end gap-2">
                <label class="text-sm">
                    <span class="block text-slate-600">"Точка"</span>
                    <select name="shop" class="rounded-lg border bg-white px-2 py-2">
                        {day.shops.iter().map(|(id, name)| view! {
                            <option value=*id selected=Some(*id) == day.shop_id>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="text-sm">
                    <span class="block text-slate-600">"Дата"</span>
                    <input type="date" name="date" value=day.date.clone() class="rounded-lg border bg-white px-2 py-1.5"/>
                </label>
                <button type="submit" class="rounded-lg bg-slate-800 px-3 py-2 text-sm text-white">"Показать"</button>
            </form>
        </div>
    }
}

fn clock(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The time grid: one column per bay, cards placed by time, free slots as buttons.
#[component]
fn DayGrid(
    day: DaySchedule,
    selected_visit: RwSignal<Option<i64>>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) -> impl IntoView {
    let Some((open, close)) = day.open_minutes else {
        return view! { <EmptyState text="В этот день точка не работает."/> }.into_any();
    };
    let height = f64::from(close - open) * PX_PER_MINUTE;
    let top = move |minute: i32| f64::from(minute - open) * PX_PER_MINUTE;
    let step = day.slot_minutes.max(5);
    let hours: Vec<i32> = (open..close)
        .filter(|m| m % 60 == 0 || *m == open)
        .collect();
    let bays = 1..=day.bays;

    view! {
        <div class="overflow-x-auto rounded-xl bg-white shadow">
            <div class="flex min-w-max">
                <div class="w-14 shrink-0 border-r border-slate-200">
                    <div class="h-9 border-b border-slate-200"></div>
                    <div class="relative" style=format!("height:{height}px")>
                        {hours.into_iter().map(|m| view! {
                            <span class="absolute right-1 -translate-y-1/2 text-xs text-slate-500" style=format!("top:{}px", top(m))>{clock(m)}</span>
                        }).collect_view()}
                    </div>
                </div>
                {bays.map(|bay| {
                    let visits: Vec<Visit> = day.visits.iter().filter(|v| v.bay == bay).cloned().collect();
                    view! {
                        <div class="w-44 shrink-0 border-r border-slate-200 last:border-r-0" data-bay=bay>
                            <div class="flex h-9 items-center justify-center border-b border-slate-200 text-sm font-medium">"Пост " {bay}</div>
                            <div class="relative" style=format!("height:{height}px")>
                                {(open..close).step_by(step as usize).map(|minute| view! {
                                    <button
                                        type="button"
                                        class="absolute inset-x-0 border-t border-slate-100 hover:bg-blue-50 focus:bg-blue-50 focus:outline-none"
                                        style=format!("top:{}px;height:{}px", top(minute), f64::from(step) * PX_PER_MINUTE)
                                        aria-label=format!("Записать: пост {bay}, {}", clock(minute))
                                        on:click=move |_| {
                                            selected_visit.set(None);
                                            selected_slot.set(Some(SlotChoice { bay, minute }));
                                        }
                                    ></button>
                                }).collect_view()}
                                {visits.into_iter().map(|visit| {
                                    let id = visit.id;
                                    let style = format!(
                                        "top:{}px;height:{}px",
                                        top(visit.start_minute.max(open)),
                                        (f64::from(visit.end_minute.min(close) - visit.start_minute.max(open)) * PX_PER_MINUTE).max(18.0)
                                    );
                                    view! {
                                        <button
                                            type="button"
                                            data-visit=id
                                            data-status=visit.status.clone()
                                            class=format!("absolute inset-x-1 z-10 overflow-hidden rounded-md border-l-4 px-2 py-1 text-left text-xs shadow-sm {}", status_classes(&visit.status))
                                            style=style
                                            on:click=move |_| {
                                                selected_slot.set(None);
                                                selected_visit.set(Some(id));
                                            }
                                        >
                                            <span class="block font-semibold">{visit.time.clone()} " " {visit.client_name.clone()}</span>
                                            {visit.car.clone().map(|car| view! { <span class="block">{car}</span> })}
                                            <span class="block opacity-80">{visit.services.join(", ")}</span>
                                            <span class="sr-only">{status_label(&visit.status)}</span>
                                        </button>
                                    }
                                }).collect_view()}
                            </div>
                        </div>
                    }
                }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}

/// A side panel (a sheet from the bottom on a phone) with a close button.
#[component]
fn Panel(title: String, on_close: impl Fn() + 'static, children: Children) -> impl IntoView {
    let label = title.clone();
    view! {
        <aside
            role="dialog"
            aria-label=label
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

#[component]
fn VisitPanel(
    visit: Visit,
    change: ServerAction<ChangeStatus>,
    selected_visit: RwSignal<Option<i64>>,
) -> impl IntoView {
    // The action is shared by every card: only results that arrive after this panel opened count.
    let opened_at = change.version().get_untracked();
    let error = move || {
        (change.version().get() > opened_at)
            .then(|| change.value().get())
            .flatten()
            .and_then(Result::err)
    };
    let can_cancel = visit.next_statuses.iter().any(|s| s == "cancelled");
    let id = visit.id;
    let next_statuses = visit.next_statuses.clone();
    view! {
        <Panel title=format!("Запись № {}", visit.id) on_close=move || selected_visit.set(None)>
            <p class=format!("mb-2 inline-block rounded-full border px-3 py-1 text-sm {}", status_classes(&visit.status)) data-testid="visit-status">
                {status_label(&visit.status)}
            </p>
            <dl class="space-y-1 text-sm">
                <div><dt class="inline text-slate-500">"Время: "</dt><dd class="inline">{visit.time.clone()} ", пост " {visit.bay}</dd></div>
                <div><dt class="inline text-slate-500">"Клиент: "</dt><dd class="inline">
                    <a class="text-blue-700 underline" href=format!("/clients/{}", visit.client_id)>{visit.client_name.clone()}</a>
                    {visit.client_phone.clone().map(|p| view! { " · " {p} })}
                </dd></div>
                {visit.car.clone().map(|car| view! { <div><dt class="inline text-slate-500">"Автомобиль: "</dt><dd class="inline">{car}</dd></div> })}
                <div><dt class="inline text-slate-500">"Услуги: "</dt><dd class="inline">{visit.services.join(", ")}</dd></div>
                <div><dt class="inline text-slate-500">"Сумма: "</dt><dd class="inline">{visit.total_price.clone()}</dd></div>
                <div><dt class="inline text-slate-500">"Источник: "</dt><dd class="inline">{source_label(&visit.source)}</dd></div>
                {(!visit.customer_note.is_empty()).then(|| view! { <div><dt class="text-slate-500">"Слова клиента:"</dt><dd class="italic">"«" {visit.customer_note.clone()} "»"</dd></div> })}
                {(!visit.ai_summary.is_empty()).then(|| view! { <div><dt class="text-slate-500">"Разбор консьержа:"</dt><dd>{visit.ai_summary.clone()}</dd></div> })}
                {visit.cancel_reason.clone().map(|r| view! { <div><dt class="inline text-slate-500">"Причина отмены: "</dt><dd class="inline">{r}</dd></div> })}
            </dl>
            {move || error().map(|error| view! { <div class="mt-3"><ErrorNotice error/></div> })}
            <div class="mt-4 flex flex-wrap gap-2">
                {next_statuses.into_iter().filter(|s| s != "cancelled").map(|status| {
                    let label = transition_label(&status);
                    view! {
                        <ActionForm action=change>
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="status" value=status/>
                            <button type="submit" class="rounded-lg bg-blue-700 px-3 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60" disabled=move || change.pending().get()>
                                {label}
                            </button>
                        </ActionForm>
                    }
                }).collect_view()}
            </div>
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

/// What a status button does, as a verb.
fn transition_label(status: &str) -> &'static str {
    match status {
        "confirmed" => "Подтвердить",
        "in_progress" => "Начать работу",
        "completed" => "Завершить",
        "no_show" => "Не приехал",
        _ => "Сменить статус",
    }
}

#[component]
fn BookingPanel(
    day: DaySchedule,
    at: SlotChoice,
    book: ServerAction<BookVisit>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let client = RwSignal::new(None::<i64>);
    let new_name = RwSignal::new(String::new());
    let new_phone = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<i64>::new());
    let hits = Resource::new(
        move || search.get(),
        |text| async move {
            if text.trim().chars().count() < 2 {
                Ok(Vec::new())
            } else {
                find_clients(text).await
            }
        },
    );
    let services = StoredValue::new(day.services.clone());
    let totals = move || {
        let ids = chosen.get();
        services.with_value(|list| {
            list.iter()
                .filter(|s| ids.contains(&s.id))
                .fold((0, 0), |(minutes, kopecks), s| {
                    (minutes + s.duration_minutes, kopecks + s.price_kopecks)
                })
        })
    };
    // The action outlives this form: only results that arrive after the form opened are its own.
    let opened_at = book.version().get_untracked();
    let error = move || {
        (book.version().get() > opened_at)
            .then(|| book.value().get())
            .flatten()
            .and_then(Result::err)
    };
    let shop_id = day.shop_id.unwrap_or_default();
    let start = format!("{}T{}", day.date, clock(at.minute));
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
        <Panel title=format!("Новая запись: пост {}, {}", at.bay, clock(at.minute)) on_close=move || selected_slot.set(None)>
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
                        {day.services.into_iter().map(|service| {
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
