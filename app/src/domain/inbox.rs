//! The inbox: the company's bot conversations as staff work them. Which need a person (the
//! customer asked for one, or the concierge had nothing to offer), what is unread, and who has
//! taken a conversation over — while a staff member has, the bot stays silent in it; «Вернуть
//! боту» or [`TAKEOVER`] without a staff message hands it back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    chat::{self, Author},
    db::{TenantId, Tx},
    events::Event,
    work::Work,
    AppState, Error, Result,
};

/// How long a takeover lasts after the staff member's last message.
pub const TAKEOVER_HOURS: i32 = 2;

/// Why a conversation needs a person.
pub const ASKED_FOR_PERSON: &str = "Клиент просит сотрудника";
pub const NOTHING_TO_OFFER: &str = "Консьерж не нашёл подходящей услуги";
pub const SENT_MEDIA: &str = "Клиент прислал фото, голос или файл";

/// A conversation in the inbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InboxItem {
    pub chat_id: i64,
    /// The client's card; `None` once it is gone (deleted).
    pub client_id: Option<i64>,
    pub client_name: String,
    /// The latest message and who wrote it.
    pub last_text: String,
    pub last_author: Author,
    pub last_at: Option<DateTime<Utc>>,
    /// The customer's messages staff have not opened yet.
    pub unread: i64,
    /// Why the conversation needs a person, if it does.
    pub needs_human: Option<String>,
    /// The staff member answering in it now (the bot is silent), until `taken_until`.
    pub taken_by: Option<i64>,
    pub taken_by_name: Option<String>,
    pub taken_until: Option<DateTime<Utc>>,
}

/// What `conversation.updated` carries: the conversation as the inbox shows it.
pub type ConversationState = InboxItem;

/// The company's conversations, the latest first. A takeover counts while the staff member's
/// last message is younger than [`TAKEOVER_HOURS`].
pub async fn list(tx: &mut Tx, limit: i64) -> Result<Vec<InboxItem>> {
    select(tx, limit, None).await
}

/// One conversation as the inbox shows it, by its client.
pub async fn item(tx: &mut Tx, client_id: i64) -> Result<InboxItem> {
    let chat_id = chat_of(tx, client_id).await?;
    select(tx, 1, Some(chat_id))
        .await?
        .pop()
        .ok_or(Error::NotFound)
}

async fn select(tx: &mut Tx, limit: i64, chat_id: Option<i64>) -> Result<Vec<InboxItem>> {
    let rows = sqlx::query!(
        r#"SELECT bc.chat_id, bc.client_id, coalesce(c.full_name, 'Без карточки') AS "client_name!",
                  m.text AS "last_text?", m.author AS "last_author?", m.created_at AS "last_at?",
                  (SELECT count(*) FROM bot_messages u
                   WHERE u.tenant_id = bc.tenant_id AND u.chat_id = bc.chat_id
                     AND u.direction = 'in' AND u.id > bc.read_up_to) AS "unread!",
                  bc.needs_human,
                  CASE WHEN bc.last_staff_at > now() - make_interval(hours => $2) THEN bc.taken_by END
                      AS taken_by,
                  CASE WHEN bc.last_staff_at > now() - make_interval(hours => $2) THEN e.full_name END
                      AS "taken_by_name?",
                  CASE WHEN bc.last_staff_at > now() - make_interval(hours => $2) AND bc.taken_by IS NOT NULL
                       THEN bc.last_staff_at + make_interval(hours => $2) END AS taken_until
           FROM bot_conversations bc
           LEFT JOIN clients c ON c.id = bc.client_id
           LEFT JOIN users e ON e.id = bc.taken_by
           LEFT JOIN LATERAL (SELECT x.text, x.author, x.created_at FROM bot_messages x
                              WHERE x.tenant_id = bc.tenant_id AND x.chat_id = bc.chat_id
                              ORDER BY x.id DESC LIMIT 1) m ON true
           WHERE $3::bigint IS NULL OR bc.chat_id = $3
           ORDER BY bc.last_message_at DESC NULLS LAST, bc.chat_id DESC
           LIMIT $1"#,
        limit.clamp(1, 500),
        TAKEOVER_HOURS,
        chat_id
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(InboxItem {
                chat_id: row.chat_id,
                client_id: row.client_id,
                client_name: row.client_name,
                last_text: row.last_text.unwrap_or_default(),
                last_author: match row.last_author {
                    Some(author) => author.try_into()?,
                    None => Author::Customer,
                },
                last_at: row.last_at,
                unread: row.unread,
                needs_human: row.needs_human,
                taken_by: row.taken_by,
                taken_by_name: row.taken_by_name,
                taken_until: row.taken_until,
            })
        })
        .collect()
}

/// The customer's unread messages in all of the company's conversations (the badge).
pub async fn unread_total(tx: &mut Tx) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM bot_messages m
           JOIN bot_conversations bc ON bc.tenant_id = m.tenant_id AND bc.chat_id = m.chat_id
           WHERE m.direction = 'in' AND m.id > bc.read_up_to"#
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Whether a staff member answers in this chat now: the bot then stays silent.
pub async fn taken(tx: &mut Tx, chat_id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM bot_conversations
                          WHERE chat_id = $1 AND taken_by IS NOT NULL
                            AND last_staff_at > now() - make_interval(hours => $2)) AS "taken!""#,
        chat_id,
        TAKEOVER_HOURS
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// A step of the bot's unit of work: the client's conversation needs a person (`why`), for
/// staff to see in the inbox; `conversation.updated` once `work` commits.
pub async fn needs_person(work: &mut Work, client_id: i64, why: &str) -> Result<()> {
    let chat_id = chat_of(work.tx(), client_id).await?;
    sqlx::query!(
        "UPDATE bot_conversations SET needs_human = $2 WHERE chat_id = $1",
        chat_id,
        why
    )
    .execute(&mut **work.tx())
    .await?;
    updated(work, client_id).await?;
    Ok(())
}

/// The Telegram chat of a client's conversation; `NotFound` for another company's client,
/// a validation error for a client who never wrote to the bot.
async fn chat_of(tx: &mut Tx, client_id: i64) -> Result<i64> {
    sqlx::query_scalar!(
        "SELECT telegram_chat_id FROM clients WHERE id = $1",
        client_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?
    .ok_or_else(|| Error::validation("Клиент ещё не писал боту компании"))
}

/// Use case: staff opened the conversation; its messages so far are read. Nothing happens (no
/// event either) when nothing was unread, or the client never wrote to the bot.
pub async fn mark_read(state: &AppState, tenant: TenantId, client_id: i64) -> Result<()> {
    let mut work = Work::begin(&state.db, tenant).await?;
    let chat_id = match chat_of(work.tx(), client_id).await {
        Ok(chat_id) => chat_id,
        Err(Error::Validation(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let read = sqlx::query!(
        "UPDATE bot_conversations c
         SET read_up_to = m.last
         FROM (SELECT max(id) AS last FROM bot_messages WHERE chat_id = $1) m
         WHERE c.chat_id = $1 AND m.last > c.read_up_to",
        chat_id
    )
    .execute(&mut **work.tx())
    .await?
    .rows_affected();
    if read > 0 {
        updated(&mut work, client_id).await?;
    }
    work.commit(&state.events).await
}

/// Use case: a staff member takes the conversation over. The customer is told a person is
/// answering (through the bot, as the staff member's message); the bot then stays silent in it
/// until handed back or [`TAKEOVER_HOURS`] pass without a staff message.
pub async fn take_over(
    state: &AppState,
    tenant: TenantId,
    client_id: i64,
    user_id: i64,
    user_name: &str,
) -> Result<InboxItem> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    chat_of(&mut tx, client_id).await?;
    let company = super::company::name(&mut tx).await?;
    tx.commit().await?;
    let name = user_name.trim();
    let who = if name.is_empty() {
        "сотрудник"
    } else {
        name
    };
    let notice =
        format!("Здравствуйте! На связи {who}, «{company}». Отвечу вам здесь, в этом чате.");
    chat::staff_reply(
        &state.db,
        &state.config,
        tenant,
        client_id,
        user_id,
        &notice,
    )
    .await?;
    let mut work = Work::begin(&state.db, tenant).await?;
    let chat_id = chat_of(work.tx(), client_id).await?;
    sqlx::query!(
        "UPDATE bot_conversations SET taken_by = $2, last_staff_at = now(), needs_human = NULL
         WHERE chat_id = $1",
        chat_id,
        user_id
    )
    .execute(&mut **work.tx())
    .await?;
    let item = updated(&mut work, client_id).await?;
    work.commit(&state.events).await?;
    Ok(item)
}

/// Use case: «Вернуть боту» — the bot answers in the conversation again.
pub async fn hand_back(state: &AppState, tenant: TenantId, client_id: i64) -> Result<InboxItem> {
    let mut work = Work::begin(&state.db, tenant).await?;
    let chat_id = chat_of(work.tx(), client_id).await?;
    sqlx::query!(
        "UPDATE bot_conversations SET taken_by = NULL WHERE chat_id = $1",
        chat_id
    )
    .execute(&mut **work.tx())
    .await?;
    let item = updated(&mut work, client_id).await?;
    work.commit(&state.events).await?;
    Ok(item)
}

/// `conversation.updated` with the conversation as it is now (once `work` commits).
async fn updated(work: &mut Work, client_id: i64) -> Result<InboxItem> {
    let item = item(work.tx(), client_id).await?;
    work.publish(Event::ConversationUpdated(&item))?;
    Ok(item)
}

/// Whether a customer's words ask for a person rather than the bot.
pub fn asks_for_person(text: &str) -> bool {
    let text = text.to_lowercase();
    const PERSON: [&str; 9] = [
        "оператор",
        "живой человек",
        "живого человека",
        "с человеком",
        "менеджер",
        "администратор",
        "сотрудник",
        "позовите",
        "позвать человека",
    ];
    PERSON.iter().any(|word| text.contains(word))
}

#[cfg(test)]
mod tests {
    use super::asks_for_person;

    #[test]
    fn a_request_for_a_person_is_recognised() {
        for text in [
            "Позовите оператора",
            "можно с человеком поговорить?",
            "Соедините с менеджером",
            "Хочу живого человека",
        ] {
            assert!(asks_for_person(text), "{text}");
        }
        for text in ["Стучит спереди справа", "Сколько стоит замена масла?"]
        {
            assert!(!asks_for_person(text), "{text}");
        }
    }
}
