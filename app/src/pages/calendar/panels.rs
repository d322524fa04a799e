//! The calendar's side panels: a visit (its details, the status changes allowed from where it
//! is, the move and cancel forms, the chat with the client) and the booking form of a free slot.

use leptos::prelude::*;

use super::edit::{EditVisit, EditVisitForm, Timeline};
use super::schedule::{find_clients, BookVisit, MoveVisit};
use super::{clock, BookingForm, NewCar, ServiceChoice, SlotChoice, Visit};
use crate::components::{
    feedback::{ErrorNotice, Loading},
    form::{error_since, ActionForm},
    loaded::load,
};
use crate::format::russian_date;
use crate::model::Status;
use crate::pages::appointment_status::ChangeStatus;
use crate::public_path::public_url;

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

/// The actions of the visit panel, made once by the calendar (their results outlive a panel).
#[derive(Clone, Copy)]
pub(super) struct VisitActions {
    pub change: ServerAction<ChangeStatus>,
    pub relocate: ServerAction<MoveVisit>,
    pub edit: ServerAction<EditVisit>,
}

#[component]
pub(super) fn VisitPanel(
    visit: Visit,
    bays: i32,
    services: Vec<ServiceChoice>,
    actions: VisitActions,
    selected_visit: RwSignal<Option<i64>>,
) -> impl IntoView {
    let VisitActions {
        change,
        relocate,
        edit,
    } = actions;
    let error = error_since(change.into(), change.version().get_untracked());
    let can_cancel = visit.next_statuses.contains(&Status::Cancelled);
    let id = visit.id;
    let client_id = visit.client_id;
    let next_statuses = visit.next_statuses.clone();
    view! {
        <Panel title=format!("Запись № {}", visit.id) on_close=move || selected_visit.set(None)>
            <p class=format!("mb-2 inline-block rounded-full border px-3 py-1 text-sm {}", visit.status.classes()) data-testid="visit-status">
                {visit.status.label()}
            </p>
            <VisitDetails visit=visit.clone()/>
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
            <EditVisitForm visit=visit.clone() services edit/>
            {visit.can_move().then(|| view! { <MoveForm visit=visit.clone() bays relocate/> })}
            {can_cancel.then(|| view! { <CancelForm id change/> })}
            <Timeline history=visit.history/>
            <crate::components::conversation::Conversation client_id/>
        </Panel>
    }
}

/// What staff read about a visit: time and bay, client, car, services, price, where it came
/// from, the client's words and the concierge's analysis.
#[component]
fn VisitDetails(visit: Visit) -> impl IntoView {
    view! {
        <dl class="space-y-1 text-sm">
            <div><dt class="inline text-slate-500">"Время: "</dt><dd class="inline" data-testid="visit-time">{russian_date(&visit.date)} " " {visit.time.clone()} ", пост " {visit.bay}</dd></div>
            <div><dt class="inline text-slate-500">"Клиент: "</dt><dd class="inline">
                <a href=public_url(&format!("/clients/{}", visit.client_id)) class="text-blue-700 underline">{visit.client_name.clone()}</a>
                {visit.client_phone.clone().map(|p| view! { " · " {p} })}
                {(visit.client_no_shows > 0).then(|| view! {
                    <span class="ml-1 rounded-full border border-rose-300 bg-rose-50 px-2 text-xs text-rose-900">
                        "не приезжал " {visit.client_no_shows} " р."
                    </span>
                })}
            </dd></div>
            {visit.car.clone().map(|car| view! { <div><dt class="inline text-slate-500">"Автомобиль: "</dt><dd class="inline">{car}</dd></div> })}
            <div><dt class="inline text-slate-500">"Услуги: "</dt><dd class="inline">{visit.services.join(", ")}</dd></div>
            <div><dt class="inline text-slate-500">"Сумма: "</dt><dd class="inline">{visit.total_price.clone()}</dd></div>
            <div><dt class="inline text-slate-500">"Источник: "</dt><dd class="inline">{visit.source.label()}</dd></div>
            {(!visit.customer_note.is_empty()).then(|| view! { <div><dt class="text-slate-500">"Слова клиента:"</dt><dd class="italic">"«" {visit.customer_note.clone()} "»"</dd></div> })}
            {(!visit.staff_note.is_empty()).then(|| view! { <div data-testid="visit-staff-note"><dt class="text-slate-500">"Заметка сотрудника:"</dt><dd class="whitespace-pre-line">{visit.staff_note.clone()}</dd></div> })}
            {visit.edited_findings.clone().map(|edited| view! {
                <div data-testid="visit-ai-edited">
                    <dt class="text-slate-500">"Разбор:"</dt>
                    <dd>{edited.summary}</dd>
                    <ul class="mt-1 list-disc pl-5 text-slate-700">
                        {edited.causes.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                    </ul>
                    <dd class="mt-1 text-xs text-amber-800">{edited.mark}</dd>
                </div>
            })}
            {(!visit.ai_summary.is_empty() || !visit.ai_findings.is_empty()).then(|| {
                let original = view! {
                    <dd>{visit.ai_summary.clone()}</dd>
                    <ul class="mt-1 list-disc pl-5 text-slate-700">
                        {visit.ai_findings.clone().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                    </ul>
                };
                if visit.edited_findings.is_some() {
                    view! {
                        <details data-testid="visit-ai">
                            <summary class="cursor-pointer text-slate-500">"Исходный разбор консьержа"</summary>
                            {original}
                        </details>
                    }.into_any()
                } else {
                    view! {
                        <div data-testid="visit-ai">
                            <dt class="text-slate-500">"Разбор консьержа:"</dt>
                            {original}
                        </div>
                    }.into_any()
                }
            })}
            {visit.cancel_reason.clone().map(|r| view! { <div><dt class="inline text-slate-500">"Причина отмены: "</dt><dd class="inline">{r}</dd></div> })}
        </dl>
    }
}

/// Another day, time or bay for a visit that has not ended («любой»: the visit's bay if free,
/// else the lowest free one).
#[component]
fn MoveForm(visit: Visit, bays: i32, relocate: ServerAction<MoveVisit>) -> impl IntoView {
    let move_error = error_since(relocate.into(), relocate.version().get_untracked());
    view! {
        <section class="mt-4 border-t pt-4" aria-labelledby="move-title">
            <h3 id="move-title" class="mb-2 text-sm font-medium">"Перенести"</h3>
            <ActionForm action=relocate attr:class="space-y-2">
                <input type="hidden" name="id" value=visit.id/>
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
    }
}

/// Cancelling asks for the reason, which is kept with the visit.
#[component]
fn CancelForm(id: i64, change: ServerAction<ChangeStatus>) -> impl IntoView {
    view! {
        <ActionForm action=change attr:class="mt-4 space-y-2 border-t pt-4">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="status" value="cancelled"/>
            <label for="cancel-reason" class="block text-sm font-medium">"Причина отмены"</label>
            <input id="cancel-reason" name="reason" required class="w-full rounded-lg border px-3 py-2"/>
            <button type="submit" class="rounded-lg border border-red-300 px-3 py-2 text-sm text-red-700 hover:bg-red-50">"Отменить запись"</button>
        </ActionForm>
    }
}

#[component]
pub(super) fn BookingPanel(
    services: Vec<ServiceChoice>,
    shop_id: i64,
    at: SlotChoice,
    book: ServerAction<BookVisit>,
    selected_slot: RwSignal<Option<SlotChoice>>,
) -> impl IntoView {
    let client = RwSignal::new(None::<i64>);
    let new_name = RwSignal::new(String::new());
    let new_phone = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<i64>::new());
    // The chosen client's cars; the car picked: one of them (id), none (0) or a new one (-1).
    let cars = RwSignal::new(Vec::<(i64, String)>::new());
    let car = RwSignal::new(0_i64);
    let new_car = RwSignal::new(NewCar::default());
    let note = RwSignal::new(String::new());
    // The action outlives this form: only results that arrive after the form opened are its own.
    let error = error_since(book.into(), book.version().get_untracked());
    let start = format!("{}T{}", at.date, clock(at.minute));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let car = car.get_untracked();
        book.dispatch(BookVisit {
            form: BookingForm {
                shop_id,
                bay: at.bay,
                start: start.clone(),
                client_id: client.get_untracked(),
                new_client_name: new_name.get_untracked(),
                new_client_phone: new_phone.get_untracked(),
                service_ids: chosen.get_untracked(),
                vehicle_id: (car > 0).then_some(car),
                new_car: if car < 0 {
                    new_car.get_untracked()
                } else {
                    NewCar::default()
                },
                note: note.get_untracked(),
            },
        });
    };

    view! {
        <Panel title=format!("Новая запись: пост {}, {} ({})", at.bay, clock(at.minute), at.day_label) on_close=move || selected_slot.set(None)>
            <form on:submit=submit class="space-y-4">
                <ClientPicker client new_name new_phone cars car/>
                <CarPicker cars car new_car/>
                <ServicePicker services chosen/>
                <div>
                    <label for="booking-note" class="block text-sm font-medium">"Что беспокоит клиента"</label>
                    <textarea id="booking-note" rows="2" class="w-full rounded-lg border px-3 py-2" on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                </div>
                {move || error().map(|error| view! { <ErrorNotice error/> })}
                <button type="submit" class="w-full rounded-lg bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60" disabled=move || book.pending().get()>
                    {move || if book.pending().get() { "Записываем…" } else { "Записать" }}
                </button>
            </form>
        </Panel>
    }
}

/// A known client found by name, phone, plate or VIN, or a new one by name and phone. Picking
/// a client shows their cars below.
#[component]
fn ClientPicker(
    client: RwSignal<Option<i64>>,
    new_name: RwSignal<String>,
    new_phone: RwSignal<String>,
    cars: RwSignal<Vec<(i64, String)>>,
    car: RwSignal<i64>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
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
    let pick = move |id: Option<i64>, their_cars: Vec<(i64, String)>| {
        client.set(id);
        // The only car is the likely one; with several (or none) staff say which.
        car.set(match their_cars.as_slice() {
            [(only, _)] => *only,
            _ => 0,
        });
        cars.set(their_cars);
    };
    view! {
        <fieldset class="space-y-2">
            <legend class="text-sm font-medium">"Клиент"</legend>
            <label for="client-search" class="block text-sm text-slate-600">"Поиск по имени, телефону, номеру авто или VIN"</label>
            <input id="client-search" type="search" autocomplete="off" class="w-full rounded-lg border px-3 py-2"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))/>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match hits.await {
                        Ok(found) => found.into_iter().map(|hit| {
                            let id = hit.id;
                            let their_cars = hit.cars;
                            view! {
                                <label class="flex items-center gap-2 text-sm">
                                    <input type="radio" name="client" prop:checked=move || client.get() == Some(id) on:change=move |_| pick(Some(id), their_cars.clone())/>
                                    {hit.full_name} {hit.phone.map(|p| format!(" · {p}"))}
                                </label>
                            }
                        }).collect_view().into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
            <label class="flex items-center gap-2 text-sm">
                <input type="radio" name="client" prop:checked=move || client.get().is_none() on:change=move |_| pick(None, Vec::new())/>
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
    }
}

/// The visit's car: one of the client's, none, or a new one (added to the card with the visit).
#[component]
fn CarPicker(
    cars: RwSignal<Vec<(i64, String)>>,
    car: RwSignal<i64>,
    new_car: RwSignal<NewCar>,
) -> impl IntoView {
    let option = move |value: i64, label: String| {
        view! {
            <label class="flex items-center gap-2 text-sm">
                <input type="radio" name="car" prop:checked=move || car.get() == value on:change=move |_| car.set(value)/>
                {label}
            </label>
        }
    };
    let typed = move |ev: leptos::ev::Event, set: fn(&mut NewCar, String)| {
        let value = event_target_value(&ev);
        new_car.update(|c| set(c, value));
    };
    view! {
        <fieldset class="space-y-1">
            <legend class="text-sm font-medium">"Автомобиль"</legend>
            {move || cars.get().into_iter().map(|(id, label)| option(id, label)).collect_view()}
            {option(0, "Не указан".to_owned())}
            {option(-1, "Новый автомобиль".to_owned())}
            <div class="grid grid-cols-3 gap-2" class:hidden=move || { car.get() >= 0 }>
                <div>
                    <label for="new-car-make" class="block text-sm text-slate-600">"Марка"</label>
                    <input id="new-car-make" class="w-full rounded-lg border px-2 py-1.5 text-sm" on:input=move |ev| typed(ev, |c, v| c.make = v)/>
                </div>
                <div>
                    <label for="new-car-model" class="block text-sm text-slate-600">"Модель"</label>
                    <input id="new-car-model" class="w-full rounded-lg border px-2 py-1.5 text-sm" on:input=move |ev| typed(ev, |c, v| c.model = v)/>
                </div>
                <div>
                    <label for="new-car-plate" class="block text-sm text-slate-600">"Госномер"</label>
                    <input id="new-car-plate" class="w-full rounded-lg border px-2 py-1.5 text-sm" on:input=move |ev| typed(ev, |c, v| c.plate = v)/>
                </div>
            </div>
        </fieldset>
    }
}

/// The shop's services as checkboxes, with the total time and price of those chosen.
#[component]
fn ServicePicker(services: Vec<ServiceChoice>, chosen: RwSignal<Vec<i64>>) -> impl IntoView {
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
    view! {
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
                            <span>{service.name} <span class="text-slate-500">{format!(" · {} мин · {}", service.duration_minutes, crate::format::kopecks(service.price_kopecks))}</span></span>
                        </label>
                    }
                }).collect_view()}
            </div>
            <p class="mt-1 text-sm" data-testid="booking-total">
                {move || { let (minutes, kopecks) = totals(); format!("Итого: {minutes} мин, {}", crate::format::kopecks(kopecks)) }}
            </p>
        </fieldset>
    }
}
