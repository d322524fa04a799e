//! Входящие: the company's bot conversations, the latest first, with what is unread and which
//! need a person; a conversation opens beside the list with its transcript, the reply form and
//! «Взять разговор» / «Вернуть боту». New messages arrive live.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{
    conversation::Conversation,
    feedback::{EmptyState, ErrorNotice, Loading},
    live::reload_on_events,
    loaded::load,
};
use crate::error::AppError;
use crate::model::EventKind;
use crate::public_path::public_url;

/// A conversation as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxRow {
    pub client_id: Option<i64>,
    pub client_name: String,
    /// «Клиент: …», «Бот: …», «Анна: …», shortened.
    pub preview: String,
    /// «07.12 14:05» in the company's time zone.
    pub at: String,
    pub unread: i64,
    pub needs_human: Option<String>,
    /// «Ведёт Анна Петрова до 16:05»: the bot is silent meanwhile.
    pub taken: Option<String>,
}

/// The company's conversations for the inbox.
#[server(endpoint = "inbox")]
pub async fn inbox() -> Result<Vec<InboxRow>, AppError> {
    use crate::domain::{chat::Author, company, inbox};

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let items = inbox::list(&mut tx, 200).await?;
    let tz = company::zone(&mut tx).await?;
    tx.commit().await?;
    let at = |t: chrono::DateTime<chrono::Utc>, format: &str| {
        t.with_timezone(&tz).format(format).to_string()
    };
    Ok(items
        .into_iter()
        .map(|item| {
            let who = match item.last_author {
                Author::Customer => "Клиент",
                Author::Bot => "Бот",
                Author::Staff => "Сотрудник",
            };
            let mut text: String = item.last_text.chars().take(90).collect();
            if text.len() < item.last_text.len() {
                text.push('…');
            }
            InboxRow {
                client_id: item.client_id,
                client_name: item.client_name,
                preview: format!("{who}: {text}"),
                at: item
                    .last_at
                    .map(|t| at(t, "%d.%m %H:%M"))
                    .unwrap_or_default(),
                unread: item.unread,
                needs_human: item.needs_human,
                taken: item.taken_until.map(|until| {
                    format!(
                        "Ведёт {} до {}",
                        item.taken_by_name.as_deref().unwrap_or("сотрудник"),
                        at(until, "%H:%M")
                    )
                }),
            }
        })
        .collect())
}

/// «Взять разговор» (`take`) or «Вернуть боту».
#[server(endpoint = "take_conversation")]
pub async fn take_conversation(client_id: i64, take: bool) -> Result<(), AppError> {
    use crate::domain::inbox;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff_changing().await?;
    if take {
        inbox::take_over(&state, tenant, client_id, user.id, &user.full_name).await?;
    } else {
        inbox::hand_back(&state, tenant, client_id).await?;
    }
    Ok(())
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let open = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("client").and_then(|c| c.parse::<i64>().ok()));
    view! {
        <Title text="Входящие — Auto-Concierge"/>
        <h1 class="mb-4 text-2xl font-semibold">"Входящие"</h1>
        <InboxBoard open/>
    }
}

/// The list and the open conversation, reloaded as messages arrive: the page's island.
#[island]
fn InboxBoard(open: Option<i64>) -> impl IntoView {
    let take = ServerAction::<TakeConversation>::new();
    // Moves on with every message or conversation change the stream reports.
    let changes = RwSignal::new(0_usize);
    let rows = load(move || (changes.get(), take.version().get()), |_| inbox());
    reload_on_events(
        &[EventKind::MessageReceived, EventKind::ConversationUpdated],
        move || changes.update(|n| *n += 1),
    );
    let selected = RwSignal::new(open);
    view! {
        <div class="grid gap-4 md:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <EmptyState text="Клиенты ещё не писали боту компании."/>
                        }.into_any(),
                        Ok(rows) => view! { <InboxList rows=rows.clone() selected/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
            // Only another selection makes a new conversation view: a live reload of the list
            // updates its header and leaves the reply being typed alone.
            {move || match selected.get() {
                None => view! {
                    <p class="hidden text-sm text-slate-500 md:block">"Выберите разговор слева."</p>
                }.into_any(),
                Some(client_id) => view! { <OpenConversation client_id rows take changes/> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn InboxList(rows: Vec<InboxRow>, selected: RwSignal<Option<i64>>) -> impl IntoView {
    view! {
        <ul class="space-y-1" aria-label="Разговоры">
            {rows.into_iter().map(|row| {
                let id = row.client_id;
                view! {
                    <li>
                        <button
                            type="button"
                            data-conversation=id
                            disabled=id.is_none()
                            aria-current=move || (id.is_some() && selected.get() == id).then_some("true")
                            class="w-full rounded-lg bg-white p-3 text-left shadow hover:bg-slate-50 aria-[current=true]:ring-2 aria-[current=true]:ring-blue-600"
                            on:click=move |_| selected.set(id)
                        >
                            <span class="flex items-center gap-2">
                                <span class="flex-1 truncate font-medium">{row.client_name}</span>
                                {(row.unread > 0).then(|| view! {
                                    <span class="rounded-full bg-blue-700 px-2 text-xs font-semibold text-white" data-testid="unread">
                                        {row.unread}<span class="sr-only">" непрочитанных"</span>
                                    </span>
                                })}
                                <span class="text-xs text-slate-500">{row.at}</span>
                            </span>
                            <span class="mt-1 block truncate text-sm text-slate-600">{row.preview}</span>
                            <span class="mt-1 flex flex-wrap gap-1 text-xs">
                                {row.needs_human.map(|why| view! {
                                    <span class="rounded-full border border-rose-300 bg-rose-50 px-2 text-rose-900" title=why>"нужен человек"</span>
                                })}
                                {row.taken.map(|taken| view! {
                                    <span class="rounded-full border border-amber-300 bg-amber-50 px-2 text-amber-900">{taken}</span>
                                })}
                            </span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The open conversation: who it is, the takeover, the transcript and the reply form.
#[component]
fn OpenConversation(
    client_id: i64,
    rows: crate::components::loaded::Loaded<Vec<InboxRow>>,
    take: ServerAction<TakeConversation>,
    changes: RwSignal<usize>,
) -> impl IntoView {
    let opened_at = take.version().get_untracked();
    let error = move || {
        (take.version().get() > opened_at)
            .then(|| take.value().get())
            .flatten()
            .and_then(Result::err)
    };
    let row = move || {
        rows.get()
            .and_then(Result::ok)
            .and_then(|rows| rows.into_iter().find(|r| r.client_id == Some(client_id)))
    };
    let is_taken = move || row().is_some_and(|r| r.taken.is_some());
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-label="Открытый разговор" data-testid="open-conversation">
            {move || row().map(|row| view! {
                <div class="flex flex-wrap items-center gap-2">
                    <a class="font-semibold text-blue-700 underline" href=public_url(&format!("/clients/{client_id}"))>{row.client_name}</a>
                    {row.needs_human.map(|why| view! { <span class="text-sm text-rose-800">{why}</span> })}
                </div>
                <p class="mt-1 text-sm text-slate-600" role="status">
                    {row.taken.unwrap_or_else(|| "Отвечает бот-консьерж.".to_owned())}
                </p>
            })}
            {move || error().map(|error| view! { <ErrorNotice error/> })}
            <button
                type="button"
                class="mt-2 rounded-lg border border-blue-300 px-3 py-2 text-sm font-medium text-blue-800 hover:bg-blue-50 disabled:opacity-60"
                disabled=move || take.pending().get()
                on:click=move |_| { take.dispatch(TakeConversation { client_id, take: !is_taken() }); }
            >
                {move || if is_taken() { "Вернуть боту" } else { "Взять разговор" }}
            </button>
            <Conversation client_id refresh=Signal::from(changes)/>
        </section>
    }
}
