//! The transcript of the company's bot with a client (`bot_messages`): what the client wrote,
//! what the bot answered, and what staff replied from the web admin — a reply that goes out
//! through the company's bot and joins the transcript as the staff member's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    db::{Db, TenantId, Tx},
    telegram::{self, SendError},
    Config, Error, Result,
};

/// Telegram's limit for one message.
pub const MAX_REPLY_CHARS: usize = 4096;

/// Who wrote a message. The direction follows from it: only the client writes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    Customer,
    Bot,
    Staff,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Customer => "customer",
            Author::Bot => "bot",
            Author::Staff => "staff",
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Author::Customer => Direction::In,
            Author::Bot | Author::Staff => Direction::Out,
        }
    }
}

impl TryFrom<String> for Author {
    type Error = Error;

    fn try_from(s: String) -> Result<Author> {
        [Author::Customer, Author::Bot, Author::Staff]
            .into_iter()
            .find(|author| author.as_str() == s)
            .ok_or_else(|| Error::Internal(format!("unknown message author in the database: {s}")))
    }
}

/// `In`: the client wrote; `Out`: the bot or staff answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

impl TryFrom<String> for Direction {
    type Error = Error;

    fn try_from(s: String) -> Result<Direction> {
        [Direction::In, Direction::Out]
            .into_iter()
            .find(|direction| direction.as_str() == s)
            .ok_or_else(|| {
                Error::Internal(format!("unknown message direction in the database: {s}"))
            })
    }
}

/// One message of the transcript.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatMessage {
    pub id: i64,
    pub direction: Direction,
    pub author: Author,
    /// The staff member's name for `Staff` messages.
    pub staff_name: Option<String>,
    pub text: String,
    /// Which concierge engine analysed an incoming message (`rules`, `llm`), if any.
    pub engine: Option<String>,
    /// What the customer sent besides words (`photo`, `voice`, `audio`, `video`, `video_note`,
    /// `document`), opened by staff at `GET /api/v1/inbox/messages/{id}/attachment`.
    pub attachment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A file a customer sent the bot: its kind and Telegram's id of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub kind: String,
    pub file_id: String,
}

/// The largest file a bot may download from Telegram.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// A message to add to the transcript.
pub struct NewMessage<'a> {
    pub chat_id: i64,
    /// The client's card. One gone by now (deleted, or merged into another) leaves the message
    /// in the chat's transcript without a card rather than fail: it was sent or received already.
    pub client_id: Option<i64>,
    pub author: Author,
    /// Who wrote a `Staff` message.
    pub staff_user_id: Option<i64>,
    pub text: &'a str,
}

/// Adds a message to the transcript; its id. The one place that writes `bot_messages`; the
/// conversation moves to the top of the inbox.
pub async fn record(tx: &mut Tx, message: &NewMessage<'_>) -> Result<i64> {
    sqlx::query!(
        "INSERT INTO bot_conversations (tenant_id, chat_id, client_id, last_message_at)
         VALUES (app_current_tenant(), $1, (SELECT id FROM clients WHERE id = $2), now())
         ON CONFLICT (tenant_id, chat_id) DO UPDATE SET last_message_at = now()",
        message.chat_id,
        message.client_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar!(
        "INSERT INTO bot_messages
             (tenant_id, chat_id, client_id, direction, author, staff_user_id, text)
         VALUES (app_current_tenant(), $1, (SELECT id FROM clients WHERE id = $2), $3, $4, $5, $6)
         RETURNING id",
        message.chat_id,
        message.client_id,
        message.author.direction().as_str(),
        message.author.as_str(),
        message.staff_user_id,
        message.text
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Keeps the concierge's analysis (engine, intent, causes, services) with the client's message.
pub async fn attach_analysis(
    tx: &mut Tx,
    message_id: i64,
    analysis: &serde_json::Value,
) -> Result<()> {
    sqlx::query!(
        "UPDATE bot_messages SET analysis = $1 WHERE id = $2",
        analysis,
        message_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Keeps what a customer's message carried besides words (see [`attachment`]).
pub async fn attach_file(tx: &mut Tx, message_id: i64, file: &Attachment) -> Result<()> {
    let file = serde_json::to_value(file).map_err(|e| Error::Internal(e.to_string()))?;
    sqlx::query!(
        "UPDATE bot_messages SET attachment = $1 WHERE id = $2",
        file,
        message_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Use case: staff open what a customer sent the bot. The file is fetched from Telegram with
/// the company's bot (`getFile`) and handed over as it is, with its content type; the token
/// never leaves the server. `NotFound` for a message of another company or without a file.
pub async fn attachment(
    db: &Db,
    config: &Config,
    tenant: TenantId,
    message_id: i64,
) -> Result<(Vec<u8>, &'static str)> {
    let mut read = db.tenant_read_tx(tenant).await?;
    let tx: &mut Tx = &mut read;
    let stored = sqlx::query_scalar!(
        "SELECT attachment FROM bot_messages WHERE id = $1 AND attachment IS NOT NULL",
        message_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .flatten()
    .ok_or(Error::NotFound)?;
    let bot = telegram::stored_bot(tx).await?;
    drop(read);
    let file: Attachment =
        serde_json::from_value(stored).map_err(|e| Error::Internal(e.to_string()))?;
    let token = bot
        .ok_or_else(|| Error::validation("Бот компании не подключён (Настройки → Telegram)"))?
        .token(config)?;
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let bytes = telegram::download(
        &client,
        &config.telegram_api_url,
        &token,
        &file.file_id,
        MAX_ATTACHMENT_BYTES,
    )
    .await?;
    let content_type = match file.kind.as_str() {
        "photo" => "image/jpeg",
        "voice" => "audio/ogg",
        "audio" => "audio/mpeg",
        "video" | "video_note" => "video/mp4",
        _ => "application/octet-stream",
    };
    Ok((bytes, content_type))
}

/// A transcript message as stored; [`ChatMessage`] once its direction and author are read.
struct MessageRow {
    id: i64,
    direction: String,
    author: String,
    staff_name: Option<String>,
    text: String,
    engine: Option<String>,
    attachment: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<MessageRow> for ChatMessage {
    type Error = Error;

    fn try_from(row: MessageRow) -> Result<ChatMessage> {
        Ok(ChatMessage {
            id: row.id,
            direction: row.direction.try_into()?,
            author: row.author.try_into()?,
            staff_name: row.staff_name,
            text: row.text,
            engine: row.engine,
            attachment: row.attachment,
            created_at: row.created_at,
        })
    }
}

/// The client's last `limit` messages with the bot, oldest first. `NotFound` for a client that
/// is not this company's.
pub async fn transcript(tx: &mut Tx, client_id: i64, limit: i64) -> Result<Vec<ChatMessage>> {
    sqlx::query_scalar!("SELECT id FROM clients WHERE id = $1", client_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)?;
    // The staff member's name beside each message (the left join: only staff messages have one).
    let rows = sqlx::query_as!(
        MessageRow,
        r#"SELECT m.id, m.direction, m.author, u.full_name AS "staff_name?", m.text,
                  m.analysis ->> 'engine' AS engine, m.attachment ->> 'kind' AS attachment,
                  m.created_at
           FROM bot_messages m LEFT JOIN users u ON u.id = m.staff_user_id
           WHERE m.client_id = $1 ORDER BY m.id DESC LIMIT $2"#,
        client_id,
        limit.clamp(1, 500)
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter().rev().map(ChatMessage::try_from).collect()
}

/// Sends `text` to the client through the company's bot on behalf of `staff_user_id` and adds
/// it to the transcript. Fails with a message for staff when the client has no chat with the
/// bot, no bot is connected, or Telegram refuses.
pub async fn staff_reply(
    db: &Db,
    config: &Config,
    tenant: TenantId,
    client_id: i64,
    staff_user_id: i64,
    text: &str,
) -> Result<ChatMessage> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::validation("Напишите текст сообщения"));
    }
    if text.chars().count() > MAX_REPLY_CHARS {
        return Err(Error::validation(format!(
            "Сообщение длиннее {MAX_REPLY_CHARS} символов"
        )));
    }
    // Read what is needed and let the transaction go: none is held while Telegram answers.
    let mut tx = db.tenant_tx(tenant).await?;
    let chat_id = sqlx::query_scalar!(
        "SELECT telegram_chat_id FROM clients WHERE id = $1",
        client_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    let bot = telegram::stored_bot(&mut tx).await?;
    tx.commit().await?;
    let chat_id = chat_id.ok_or_else(|| Error::validation("Клиент ещё не писал боту компании"))?;
    let token = bot
        .ok_or_else(|| Error::validation("Бот компании не подключён (Настройки → Telegram)"))?
        .token(config)?;
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    telegram::send_message(&client, &config.telegram_api_url, &token, chat_id, text)
        .await
        .map_err(|e| match e {
            SendError::Temporary { message, .. } => Error::Unavailable(message),
            SendError::Permanent(message) => Error::Validation(message),
        })?;
    let mut tx = db.tenant_tx(tenant).await?;
    let id = record(
        &mut tx,
        &NewMessage {
            chat_id,
            client_id: Some(client_id),
            author: Author::Staff,
            staff_user_id: Some(staff_user_id),
            text,
        },
    )
    .await?;
    // A staff answer keeps a takeover alive, and the conversation has its person.
    sqlx::query!(
        "UPDATE bot_conversations SET last_staff_at = now(), needs_human = NULL WHERE chat_id = $1",
        chat_id
    )
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query_as!(
        MessageRow,
        r#"SELECT m.id, m.direction, m.author, u.full_name AS "staff_name?", m.text,
                  m.analysis ->> 'engine' AS engine, m.attachment ->> 'kind' AS attachment,
                  m.created_at
           FROM bot_messages m LEFT JOIN users u ON u.id = m.staff_user_id
           WHERE m.id = $1"#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    row.try_into()
}
