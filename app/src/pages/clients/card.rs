//! A client's card: contacts, cars, visit history with totals, possible duplicates, and the
//! conversation. Rendered on the server; the forms on it are small islands that reload the card
//! once a change is saved.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};
use serde::{Deserialize, Serialize};

use super::edit::{CarForm, ClientContact, MergeCard, RemoveCarButton};
use super::ClientRow;
use crate::components::{
    conversation::ClientConversation,
    feedback::{EmptyState, ErrorNotice, Loading},
};
use crate::error::AppError;
use crate::model::Status;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientCard {
    pub client: ClientRow,
    pub notes: String,
    pub cars: Vec<CarRow>,
    /// Newest first.
    pub visits: Vec<PastVisit>,
    pub totals: Totals,
    /// Cards that may be the same person, for staff to check and merge.
    pub possible_duplicates: Vec<Duplicate>,
    pub no_messages: bool,
    /// Newest first.
    pub deliveries: Vec<DeliveryRow>,
}

/// A notification to the client and how it went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    /// «07.12.2026 14:05», the company's clock.
    pub at: String,
    /// «Напоминание».
    pub event: String,
    /// «SMS»; «—» when no channel could be tried.
    pub channel: String,
    pub sent: bool,
    pub detail: String,
}

/// A car as the card shows it and as its form is filled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CarRow {
    pub id: i64,
    /// «Kia Rio 2017 · А123ВС77».
    pub label: String,
    pub make: String,
    pub model: String,
    pub year: String,
    pub plate: String,
    pub vin: String,
    pub mileage_km: String,
    /// `2026-12-07`, as a date field takes it.
    pub mileage_read_on: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PastVisit {
    pub id: i64,
    /// Shop-local `ДД.ММ.ГГГГ ЧЧ:ММ`.
    pub start: String,
    pub status: Status,
    pub services: String,
    pub total_price: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub visits: i64,
    pub completed: i64,
    /// «45 300 ₽».
    pub completed_total: String,
    pub cancelled: i64,
    pub no_shows: i64,
    pub upcoming: i64,
    /// No-shows enough to warn staff.
    pub repeated_no_shows: bool,
}

/// A possible duplicate and what merging it into this card would move, or why it cannot be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    pub card: ClientRow,
    /// «3 визита, 1 автомобиль, 12 сообщений», or the reason the cards cannot be merged.
    pub moves: Result<String, String>,
}

#[server]
pub async fn load_client_card(id: i64) -> Result<ClientCard, AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let card = ssr::card(&mut tx, id).await?;
    tx.commit().await?;
    Ok(card)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::domain::{clients, db::Tx, deliveries, Error};
    use crate::format::{car_label, rubles};

    pub(super) async fn card(tx: &mut Tx, id: i64) -> Result<ClientCard, AppError> {
        let detail = clients::detail(tx, id).await?;
        let mut visits: Vec<PastVisit> = detail
            .appointments
            .into_iter()
            .rev()
            .map(|a| PastVisit {
                id: a.id,
                start: a.start_time.format("%d.%m.%Y %H:%M").to_string(),
                status: a.status,
                services: a.service_names(),
                total_price: rubles(a.total_price),
            })
            .collect();
        visits.truncate(100);
        let mut possible_duplicates = Vec::new();
        for other in detail.possible_duplicates {
            let moves = match clients::merge_preview(tx, id, other.id).await {
                Ok(preview) => Ok(moves(&preview)),
                Err(Error::Conflict(why) | Error::Validation(why)) => Err(why),
                Err(e) => return Err(e.into()),
            };
            possible_duplicates.push(Duplicate {
                card: ClientRow::from_client(other),
                moves,
            });
        }
        let t = detail.totals;
        let zone = crate::domain::company::zone(tx).await?;
        let deliveries = detail
            .deliveries
            .into_iter()
            .map(|d| DeliveryRow {
                at: d
                    .created_at
                    .with_timezone(&zone)
                    .format("%d.%m.%Y %H:%M")
                    .to_string(),
                event: deliveries::event_label(&d.event).into(),
                channel: deliveries::channel_label(d.channel.as_deref()).into(),
                sent: d.status == "sent",
                detail: d.detail,
            })
            .collect();
        Ok(ClientCard {
            no_messages: detail.no_messages,
            deliveries,
            notes: detail.client.notes.clone(),
            client: ClientRow::from_client(detail.client),
            cars: detail.vehicles.into_iter().map(car_row).collect(),
            visits,
            totals: Totals {
                visits: t.visits,
                completed: t.completed,
                completed_total: rubles(t.completed_total),
                cancelled: t.cancelled,
                no_shows: t.no_shows,
                upcoming: t.upcoming,
                repeated_no_shows: t.no_shows >= clients::REPEATED_NO_SHOWS,
            },
            possible_duplicates,
        })
    }

    fn car_row(v: clients::Vehicle) -> CarRow {
        CarRow {
            id: v.id,
            label: car_label(&v.make, &v.model, v.year, v.plate.as_deref()),
            year: v.year.map(|y| y.to_string()).unwrap_or_default(),
            plate: v.plate.unwrap_or_default(),
            vin: v.vin.unwrap_or_default(),
            mileage_km: v.mileage_km.map(|km| km.to_string()).unwrap_or_default(),
            mileage_read_on: v
                .mileage_read_on
                .map(|day| day.to_string())
                .unwrap_or_default(),
            make: v.make,
            model: v.model,
        }
    }

    /// «Перейдут: 3 визита, 1 автомобиль, 12 сообщений».
    fn moves(preview: &clients::MergePreview) -> String {
        let parts: Vec<String> = [
            (preview.visits, ["визит", "визита", "визитов"]),
            (preview.cars, ["автомобиль", "автомобиля", "автомобилей"]),
            (preview.messages, ["сообщение", "сообщения", "сообщений"]),
            (
                preview.queued,
                [
                    "сообщение в очереди",
                    "сообщения в очереди",
                    "сообщений в очереди",
                ],
            ),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, forms)| format!("{n} {}", crate::format::plural(n, forms)))
        .collect();
        if parts.is_empty() {
            "Переносить нечего: карточка пустая".into()
        } else {
            format!("Перейдут: {}", parts.join(", "))
        }
    }
}

#[component]
pub fn ClientPage() -> impl IntoView {
    let params = use_params_map();
    let card = Resource::new(
        move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())),
        |id| async move {
            match id {
                Some(id) => load_client_card(id).await,
                None => Err(AppError {
                    status: 404,
                    message: "Не найдено".into(),
                }),
            }
        },
    );

    view! {
        <Title text="Клиент — Auto-Concierge"/>
        <A href=crate::public_path::public_url("/clients") attr:class="text-sm text-blue-700 hover:underline">"← Все клиенты"</A>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match card.await {
                    Ok(card) => view! { <ClientCardView card/> }.into_any(),
                    Err(error) => view! { <div class="mt-3"><ErrorNotice error/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClientCardView(card: ClientCard) -> impl IntoView {
    let id = card.client.id;
    let name = if card.client.full_name.trim().is_empty() {
        "Без имени".to_string()
    } else {
        card.client.full_name.clone()
    };
    view! {
        <h1 class="mt-2 text-2xl font-semibold">{name}</h1>
        <p class="text-slate-600">
            {card.client.phone_text()} " " {card.client.email.clone().unwrap_or_default()}
        </p>
        <TotalsLine totals=card.totals/>
        <PossibleDuplicates keep=id cards=card.possible_duplicates/>
        <div class="mt-4 grid gap-4 md:grid-cols-2">
            <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="contact-title">
                <h2 id="contact-title" class="mb-2 font-semibold">"Контакты и заметки"</h2>
                <ClientContact
                    id
                    full_name=card.client.full_name
                    phone=card.client.phone.unwrap_or_default()
                    email=card.client.email.unwrap_or_default()
                    notes=card.notes
                    no_messages=card.no_messages
                />
            </section>
            <Cars client_id=id cars=card.cars/>
        </div>
        <History visits=card.visits/>
        <Deliveries deliveries=card.deliveries/>
        <ClientConversation client_id=id/>
    }
}

/// «Визитов: 12 · выполнено 9 на 45 300 ₽ · отменено 1 · не приехал 2 · впереди 1».
#[component]
fn TotalsLine(totals: Totals) -> impl IntoView {
    view! {
        <p class="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-slate-700" data-testid="client-totals">
            <span>"Визитов: " {totals.visits}</span>
            <span>"выполнено " {totals.completed} " на " {totals.completed_total}</span>
            <span>"отменено " {totals.cancelled}</span>
            <span>"впереди " {totals.upcoming}</span>
            <span class=if totals.repeated_no_shows { "rounded-full border border-rose-300 bg-rose-50 px-2 text-rose-900" } else { "" }>
                "не приехал " {totals.no_shows}
                {totals.repeated_no_shows.then_some(" — часто не приезжает")}
            </span>
        </p>
    }
}

#[component]
fn Cars(client_id: i64, cars: Vec<CarRow>) -> impl IntoView {
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="vehicles">
            <h2 id="vehicles" class="mb-2 font-semibold">"Автомобили"</h2>
            {cars.is_empty().then(|| view! { <EmptyState text="Автомобилей нет."/> })}
            <ul class="space-y-2">
                {cars.into_iter().map(|car| view! {
                    <li class="rounded-lg border px-3 py-2" data-car=car.id>
                        <p class="font-medium">{car.label.clone()}</p>
                        <p class="text-xs text-slate-600">
                            {(!car.vin.is_empty()).then(|| format!("VIN {} ", car.vin))}
                            {(!car.mileage_km.is_empty()).then(|| format!("· пробег {} км на {}", car.mileage_km, crate::format::russian_date(&car.mileage_read_on)))}
                        </p>
                        <details class="mt-1">
                            <summary class="cursor-pointer text-sm text-blue-700">"Изменить"<span class="sr-only">" " {car.label.clone()}</span></summary>
                            <CarForm client_id car=Some(car.clone())/>
                            <RemoveCarButton client_id id=car.id label=car.label.clone()/>
                        </details>
                    </li>
                }).collect_view()}
            </ul>
            <details class="mt-3">
                <summary class="cursor-pointer text-sm font-medium text-blue-700">"Добавить автомобиль"</summary>
                <CarForm client_id car=None/>
            </details>
        </section>
    }
}

/// Notifications to the client: on which channel each went, or why it did not.
#[component]
pub fn Deliveries(deliveries: Vec<DeliveryRow>) -> impl IntoView {
    view! {
        <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="deliveries">
            <h2 id="deliveries" class="mb-2 font-semibold">"Сообщения клиенту"</h2>
            {if deliveries.is_empty() {
                view! { <EmptyState text="Сообщений ещё не было."/> }.into_any()
            } else {
                view! {
                    <ul class="divide-y" data-testid="deliveries">
                        {deliveries.into_iter().map(|d| view! {
                            <li class="flex flex-col gap-1 py-2 text-sm sm:flex-row sm:items-center sm:gap-4">
                                <span class="w-36">{d.at}</span>
                                <span class="w-44">{d.event}</span>
                                <span class="w-20">{d.channel}</span>
                                <span class=if d.sent { "w-fit rounded-full border border-emerald-300 bg-emerald-50 px-2 text-emerald-900" } else { "w-fit rounded-full border border-rose-300 bg-rose-50 px-2 text-rose-900" }>
                                    {if d.sent { "отправлено" } else { "не отправлено" }}
                                </span>
                                <span class="flex-1 text-slate-600">{d.detail}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn History(visits: Vec<PastVisit>) -> impl IntoView {
    view! {
        <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="history">
            <h2 id="history" class="mb-2 font-semibold">"История визитов"</h2>
            {if visits.is_empty() {
                view! { <EmptyState text="Визитов ещё не было."/> }.into_any()
            } else {
                view! {
                    <ul class="divide-y">
                        {visits.into_iter().map(|visit| view! {
                            <li class="flex flex-col gap-1 py-2 sm:flex-row sm:items-center sm:gap-4" data-visit=visit.id>
                                <span class="w-36 text-sm">{visit.start}</span>
                                <span class=format!("w-fit rounded-full border px-2 py-0.5 text-xs {}", visit.status.classes())>{visit.status.label()}</span>
                                <span class="flex-1 text-sm">{visit.services}</span>
                                <span class="text-sm font-medium">{visit.total_price}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Cards that may be this client too: shown so that staff check before they call or book, and
/// merge them when they are.
#[component]
fn PossibleDuplicates(keep: i64, cards: Vec<Duplicate>) -> impl IntoView {
    (!cards.is_empty()).then(|| view! {
        <section class="mt-4 rounded-xl border border-amber-300 bg-amber-50 p-4" aria-labelledby="duplicates">
            <h2 id="duplicates" class="mb-1 font-semibold">"Возможно, это тот же клиент"</h2>
            <p class="mb-2 text-sm text-slate-700">
                "Номер телефона, набранный в Telegram-боте, уже есть в другой карточке. Бот не объединяет карточки сам: проверьте, тот ли это человек, и объедините их."
            </p>
            <ul class="space-y-3">
                {cards.into_iter().map(|d| { let phone = d.card.phone_text(); let name = if d.card.full_name.trim().is_empty() { "Без имени".to_string() } else { d.card.full_name.clone() }; view! {
                    <li data-duplicate=d.card.id>
                        <a class="text-blue-700 hover:underline" href=crate::public_path::public_url(&format!("/clients/{}", d.card.id))>{name.clone()}</a>
                        " " <span class="text-sm text-slate-600">{phone}</span>
                        {match d.moves {
                            Ok(moves) => view! { <MergeCard keep drop=d.card.id name moves/> }.into_any(),
                            Err(why) => view! { <p class="text-sm text-slate-600">{why}</p> }.into_any(),
                        }}
                    </li>
                }}).collect_view()}
            </ul>
        </section>
    })
}
