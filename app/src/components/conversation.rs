//! The client's conversation with the company's bot, and staff's reply that goes out through
//! the bot: staff take the chat over from the web admin (client card, appointment card).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::feedback::{EmptyState, ErrorNotice, Loading};
use crate::components::form::ActionForm;

/// One message as staff read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatLine {
    pub id: i64,
    /// «Клиент», «Бот», or the staff member's name.
    pub who: String,
    /// From the company (bot or staff) rather than from the client.
    pub outgoing: bool,
    pub text: String,
    /// `ДД.ММ ЧЧ:ММ` in the company's time zone.
    pub at: String,
    /// What the client sent besides words (a photo, a voice message, a video, a file): the
    /// path that opens it.
    pub attachment: Option<String>,
}

/// The last messages with the client, oldest first.
#[server(endpoint = "client_chat")]
pub async fn client_chat(client_id: i64) -> Result<Vec<ChatLine>, AppError> {
    use crate::domain::{
        chat::{self, Author, Direction},
        company,
    };

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    // Staff see the messages now: they are read (the inbox and its badge follow).
    crate::domain::inbox::mark_read(&state, tenant, client_id).await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let messages = chat::transcript(&mut tx, client_id, 200).await?;
    let tz = company::zone(&mut tx).await?;
    tx.commit().await?;
    Ok(messages
        .into_iter()
        .map(|m| ChatLine {
            id: m.id,
            who: match m.author {
                Author::Customer => "Клиент".to_string(),
                Author::Staff => m.staff_name.unwrap_or_else(|| "Сотрудник".into()),
                Author::Bot => "Бот".to_string(),
            },
            outgoing: m.direction == Direction::Out,
            attachment: m
                .attachment
                .map(|_| format!("/api/v1/inbox/messages/{}/attachment", m.id)),
            text: m.text,
            at: m
                .created_at
                .with_timezone(&tz)
                .format("%d.%m %H:%M")
                .to_string(),
        })
        .collect())
}

/// Sends staff's answer to the client through the company's bot.
#[server(endpoint = "reply_to_client")]
pub async fn reply_to_client(client_id: i64, text: String) -> Result<(), AppError> {
    use crate::domain::chat;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff_changing().await?;
    chat::staff_reply(&state.db, &state.config, tenant, client_id, user.id, &text).await?;
    Ok(())
}

/// The conversation on the client's card, where it is the page's island. (The calendar's
/// visit panel, itself inside an island, uses [`Conversation`] directly.)
#[island]
pub fn ClientConversation(client_id: i64) -> impl IntoView {
    view! { <Conversation client_id/> }
}

/// The transcript and a reply form. Reloads after each reply and whenever `refresh` moves on
/// (the inbox: a message arrived); errors are shown under the form.
#[component]
pub fn Conversation(
    client_id: i64,
    #[prop(optional, into)] refresh: Option<Signal<usize>>,
) -> impl IntoView {
    let reply = ServerAction::<ReplyToClient>::new();
    // Loaded in the browser only, after hydration (effects do not run on the server): the page
    // renders «Загрузка…» on both sides, so hydration never depends on this request, and the
    // client card's own suspense never waits for it. Reloaded after each reply.
    let chat = RwSignal::new(None::<Result<Vec<ChatLine>, AppError>>);
    // Loads overlap when messages arrive close together; only the latest one's answer is
    // shown, so a slow older answer never replaces a newer transcript.
    let latest = StoredValue::new(0_u64);
    Effect::new(move |_| {
        reply.version().track();
        if let Some(refresh) = refresh {
            refresh.track();
        }
        let this = latest.get_value() + 1;
        latest.set_value(this);
        leptos::task::spawn_local(async move {
            let loaded = client_chat(client_id).await;
            // The panel may be gone by now (the calendar redraws it on each reload).
            if latest.try_get_value() == Some(this) {
                chat.try_set(Some(loaded));
            }
        });
    });
    // A reply sent leaves an empty box for the next one; a refused one keeps its text.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let (Some(Ok(())), Some(form)) = (reply.value().get(), form.get()) {
            form.reset();
        }
    });
    let outcome = move || match reply.value().get() {
        Some(Ok(())) => Some(
            view! { <p role="status" class="text-sm text-emerald-700">"Отправлено"</p> }.into_any(),
        ),
        Some(Err(error)) => Some(view! { <ErrorNotice error/> }.into_any()),
        None => None,
    };
    view! {
        <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="chat-title" data-testid="conversation">
            <h2 id="chat-title" class="mb-2 font-semibold">"Переписка в Telegram"</h2>
            {move || match chat.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Ok(lines)) if lines.is_empty() => view! { <EmptyState text="Клиент ещё не писал боту."/> }.into_any(),
                Some(Ok(lines)) => view! { <ChatLines lines/> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            }}
            <ActionForm action=reply node_ref=form attr:class="mt-3 space-y-2">
                <input type="hidden" name="client_id" value=client_id/>
                <label for="chat-reply" class="block text-sm font-medium">"Ответ клиенту (уйдёт через бота)"</label>
                <textarea id="chat-reply" name="text" rows="3" required maxlength="4096" class="w-full rounded-lg border px-3 py-2"></textarea>
                <button type="submit" class="rounded-lg bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60" disabled=move || reply.pending().get()>"Отправить в Telegram"</button>
                {outcome}
            </ActionForm>
        </section>
    }
}

#[component]
fn ChatLines(lines: Vec<ChatLine>) -> impl IntoView {
    view! {
        <ol class="max-h-96 space-y-2 overflow-y-auto" aria-label="Сообщения">
            {lines.into_iter().map(|line| {
                let bubble = if line.outgoing {
                    "ml-8 rounded-lg bg-blue-50 px-3 py-2"
                } else {
                    "mr-8 rounded-lg bg-slate-100 px-3 py-2"
                };
                view! {
                    <li class=bubble data-message=line.id>
                        <p class="text-xs text-slate-500">{line.who} " · " {line.at}</p>
                        <p class="whitespace-pre-line">{line.text}</p>
                        {line.attachment.map(|path| view! {
                            <a href=crate::public_path::public_url(&path) target="_blank" rel="noopener" class="text-sm text-blue-700 underline">"Открыть"</a>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
