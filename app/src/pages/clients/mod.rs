//! Клиенты: search as you type, a new client's form, and (in `card`) a client's card.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    loaded::load,
};

mod card;
mod edit;

pub use card::ClientPage;

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
    pub(crate) fn from_client(c: crate::domain::clients::Client) -> ClientRow {
        ClientRow {
            id: c.id,
            full_name: c.full_name,
            phone: c.phone,
            unverified_phone: c.unverified_phone,
            email: c.email,
        }
    }

    /// The phone to show: the card's, or the one typed in the bot, marked as such.
    pub(crate) fn phone_text(&self) -> String {
        match (&self.phone, &self.unverified_phone) {
            (Some(phone), _) => phone.clone(),
            (None, Some(typed)) => format!("{typed} (указан в Telegram, не подтверждён)"),
            (None, None) => String::new(),
        }
    }
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

#[component]
pub fn ClientsPage() -> impl IntoView {
    // `?q=` renders the first results on the server (and serves the form without JavaScript);
    // after hydration every keystroke searches.
    let initial = use_query_map().with_untracked(|q| q.get("q").unwrap_or_default());

    view! {
        <Title text="Клиенты — Auto-Concierge"/>
        <h1 class="mb-3 text-2xl font-semibold">"Клиенты"</h1>
        <details class="mb-4 rounded-xl bg-white p-4 shadow">
            <summary class="cursor-pointer font-medium text-blue-700">"Новый клиент"</summary>
            <edit::NewClientForm/>
        </details>
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
            <label for="client-query" class="mb-1 block text-sm font-medium">"Поиск по имени, телефону, госномеру или VIN"</label>
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
