//! Клиенты: search as you type, and a client's card with cars, visit history and notes.

use crate::error::AppError;
use crate::model::Status;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};

use crate::components::{
    conversation::ClientConversation,
    feedback::{EmptyState, ErrorNotice, Loading},
    form::ActionForm,
    loaded::load,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientRow {
    pub id: i64,
    pub full_name: String,
    pub phone: Option<String>,
    /// Typed by the client in the bot: shown as their word, not as the card's phone.
    pub unverified_phone: Option<String>,
    pub email: Option<String>,
}

impl ClientRow {
    #[cfg(feature = "ssr")]
    fn from_client(c: crate::domain::clients::Client) -> ClientRow {
        ClientRow {
            id: c.id,
            full_name: c.full_name,
            phone: c.phone,
            unverified_phone: c.unverified_phone,
            email: c.email,
        }
    }

    /// The phone to show: the card's, or the one typed in the bot, marked as such.
    fn phone_text(&self) -> String {
        match (&self.phone, &self.unverified_phone) {
            (Some(phone), _) => phone.clone(),
            (None, Some(typed)) => format!("{typed} (указан в Telegram, не подтверждён)"),
            (None, None) => String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientCard {
    pub client: ClientRow,
    pub notes: String,
    /// «Kia Rio 2017 · А123ВС77».
    pub vehicles: Vec<String>,
    /// Newest first.
    pub visits: Vec<PastVisit>,
    /// Cards that may be the same person, for staff to check.
    pub possible_duplicates: Vec<ClientRow>,
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

#[server]
pub async fn search_clients(query: String) -> Result<Vec<ClientRow>, AppError> {
    use crate::domain::clients;

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let found = clients::search(&mut tx, Some(&query), 0, 50).await?;
    tx.commit().await?;
    Ok(found.into_iter().map(ClientRow::from_client).collect())
}

#[server]
pub async fn load_client_card(id: i64) -> Result<ClientCard, AppError> {
    use crate::domain::clients;

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let detail = clients::detail(&mut tx, id).await?;
    tx.commit().await?;
    let mut visits: Vec<PastVisit> = detail
        .appointments
        .into_iter()
        .rev()
        .map(|a| PastVisit {
            id: a.id,
            start: a.start_time.format("%d.%m.%Y %H:%M").to_string(),
            status: a.status,
            services: a.service_names(),
            total_price: crate::format::rubles(a.total_price),
        })
        .collect();
    visits.truncate(100);
    Ok(ClientCard {
        possible_duplicates: detail
            .possible_duplicates
            .into_iter()
            .map(ClientRow::from_client)
            .collect(),
        notes: detail.client.notes.clone(),
        client: ClientRow::from_client(detail.client),
        vehicles: detail
            .vehicles
            .into_iter()
            .map(|v| crate::format::car_label(&v.make, &v.model, v.year, v.plate.as_deref()))
            .collect(),
        visits,
    })
}

#[server]
pub async fn save_client_notes(id: i64, notes: String) -> Result<(), AppError> {
    use crate::domain::clients;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::staff_changing().await?;
    clients::change(
        &state,
        tenant,
        id,
        clients::ClientPatch {
            notes: Some(notes),
            ..clients::ClientPatch::default()
        },
    )
    .await?;
    Ok(())
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    // `?q=` renders the first results on the server (and serves the form without JavaScript);
    // after hydration every keystroke searches.
    let initial = use_query_map().with_untracked(|q| q.get("q").unwrap_or_default());

    view! {
        <Title text="Клиенты — Auto-Concierge"/>
        <h1 class="mb-3 text-2xl font-semibold">"Клиенты"</h1>
        <ClientSearch initial/>
    }
}

/// The search field and its results: the page's island.
#[island]
fn ClientSearch(initial: String) -> impl IntoView {
    let query = RwSignal::new(initial.clone());
    let results = load(move || query.get(), search_clients);
    // The field is the server's (`value`), never rebuilt here: text typed before the island
    // hydrated stays in it, and is searched for once the island runs.
    let field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(field) = field.get() {
            let typed = field.value();
            if typed != query.get_untracked() {
                query.set(typed);
            }
        }
    });

    view! {
        <form method="get" action=crate::public_path::public_url("/clients") class="mb-4" on:submit=|ev| ev.prevent_default()>
            <label for="client-query" class="mb-1 block text-sm font-medium">"Поиск по имени, телефону или номеру авто"</label>
            <input
                id="client-query"
                name="q"
                type="search"
                autocomplete="off"
                class="w-full max-w-md rounded-lg border px-3 py-2"
                node_ref=field
                value=initial
                on:input=move |ev| query.set(event_target_value(&ev))
            />
        </form>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(rows) if rows.is_empty() => view! { <EmptyState text="Никого не нашли."/> }.into_any(),
                    Ok(rows) => view! { <ClientList rows/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClientList(rows: Vec<ClientRow>) -> impl IntoView {
    view! {
        <ul class="divide-y rounded-xl bg-white shadow" aria-label="Найденные клиенты">
            {rows.into_iter().map(|row| { let phone = row.phone_text(); view! {
                <li>
                    <a href=crate::public_path::public_url(&format!("/clients/{}", row.id)) class="flex flex-col px-4 py-3 hover:bg-slate-50 sm:flex-row sm:gap-4">
                        <span class="font-medium">{row.full_name}</span>
                        <span class="text-sm text-slate-600">{phone}</span>
                        <span class="text-sm text-slate-500">{row.email.unwrap_or_default()}</span>
                    </a>
                </li>
            }}).collect_view()}
        </ul>
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
    view! {
        <h1 class="mt-2 text-2xl font-semibold">{card.client.full_name.clone()}</h1>
        <p class="text-slate-600">
            {card.client.phone_text()} " " {card.client.email.clone().unwrap_or_default()}
        </p>
        <PossibleDuplicates cards=card.possible_duplicates/>
        <div class="mt-4 grid gap-4 md:grid-cols-2">
            <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="vehicles">
                <h2 id="vehicles" class="mb-2 font-semibold">"Автомобили"</h2>
                {if card.vehicles.is_empty() {
                    view! { <EmptyState text="Автомобилей нет."/> }.into_any()
                } else {
                    view! { <ul class="space-y-1">{card.vehicles.into_iter().map(|v| view! { <li>{v}</li> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="notes-title">
                <h2 id="notes-title" class="mb-2 font-semibold">"Заметки"</h2>
                <ClientNotes id=card.client.id notes=card.notes/>
            </section>
        </div>
        <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="history">
            <h2 id="history" class="mb-2 font-semibold">"История визитов"</h2>
            {if card.visits.is_empty() {
                view! { <EmptyState text="Визитов ещё не было."/> }.into_any()
            } else {
                view! {
                    <ul class="divide-y">
                        {card.visits.into_iter().map(|visit| view! {
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
        <ClientConversation client_id=card.client.id/>
    }
}

/// Cards that may be this client too: shown so that staff check before they call or book.
#[component]
fn PossibleDuplicates(cards: Vec<ClientRow>) -> impl IntoView {
    (!cards.is_empty()).then(|| view! {
        <section class="mt-4 rounded-xl border border-amber-300 bg-amber-50 p-4" aria-labelledby="duplicates">
            <h2 id="duplicates" class="mb-1 font-semibold">"Возможно, это тот же клиент"</h2>
            <p class="mb-2 text-sm text-slate-700">
                "Номер телефона, набранный в Telegram-боте, уже есть в другой карточке. Бот не объединяет карточки сам: проверьте, тот ли это человек."
            </p>
            <ul class="space-y-1">
                {cards.into_iter().map(|c| { let phone = c.phone_text(); view! {
                    <li>
                        <a class="text-blue-700 hover:underline" href=crate::public_path::public_url(&format!("/clients/{}", c.id))>
                            {if c.full_name.trim().is_empty() { "Без имени".to_string() } else { c.full_name }}
                        </a>
                        " " <span class="text-sm text-slate-600">{phone}</span>
                    </li>
                }}).collect_view()}
            </ul>
        </section>
    })
}

/// The notes form: says «Сохранено» (or why not) in place. The textarea holds the server's
/// text and is never rebuilt in the browser, so hydration leaves what was typed before it alone.
#[island]
fn ClientNotes(id: i64, notes: String) -> impl IntoView {
    let save = ServerAction::<SaveClientNotes>::new();
    let saved = move || match save.value().get() {
        Some(Ok(())) => Some(
            view! { <p role="status" class="text-sm text-emerald-700">"Сохранено"</p> }.into_any(),
        ),
        Some(Err(error)) => Some(view! { <ErrorNotice error/> }.into_any()),
        None => None,
    };
    view! {
        <ActionForm action=save attr:class="space-y-2">
            <input type="hidden" name="id" value=id/>
            <label for="notes" class="sr-only">"Заметки о клиенте"</label>
            <textarea id="notes" name="notes" rows="4" class="w-full rounded-lg border px-3 py-2">{notes}</textarea>
            <button type="submit" class="rounded-lg bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60" disabled=move || save.pending().get()>"Сохранить заметки"</button>
            {saved}
        </ActionForm>
    }
}
