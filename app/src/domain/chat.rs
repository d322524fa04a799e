//! Staff take over the bot's conversation with a client: the transcript (`bot_messages`) and a
//! reply from the web admin that goes out through the company's bot and joins the transcript as
//! the staff member's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    crypto,
    db::{Db, TenantId},
    telegram::{self, SendError},
    Config, Error, Result,
};

/// Telegram's limit for one message.
pub const MAX_REPLY_CHARS: usize = 4096;

/// One message of the transcript.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ChatMessage {
    pub id: i64,
    /// `in` (the client wrote) or `out` (the bot or staff answered).
    pub direction: String,
    /// `customer`, `bot` or `staff`.
    pub author: String,
    /// The staff member's name for `staff` messages.
    pub staff_name: Option<String>,
    pub text: String,
    /// Which concierge engine analysed an incoming message (`rules`, `llm`), if any.
    pub engine: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The client's last `limit` messages with the bot, oldest first. `NotFound` for a client that
/// is not this company's.
pub async fn transcript(
    db: &Db,
    tenant: TenantId,
    client_id: i64,
    limit: i64,
) -> Result<Vec<ChatMessage>> {
    let mut tx = db.tenant_tx(tenant).await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM clients WHERE id = $1")
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
    exists.ok_or(Error::NotFound)?;
    let mut messages: Vec<ChatMessage> = sqlx::query_as(
        "SELECT m.id, m.direction, m.author, u.full_name AS staff_name, m.text,
                m.analysis ->> 'engine' AS engine, m.created_at
         FROM bot_messages m LEFT JOIN users u ON u.id = m.staff_user_id
         WHERE m.client_id = $1
         ORDER BY m.id DESC LIMIT $2",
    )
    .bind(client_id)
    .bind(limit.clamp(1, 500))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    messages.reverse();
    Ok(messages)
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
    let chat_id: Option<i64> =
        sqlx::query_scalar::<_, Option<i64>>("SELECT telegram_chat_id FROM clients WHERE id = $1")
            .bind(client_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
    let token_enc: Option<String> =
        sqlx::query_scalar::<_, Option<String>>("SELECT telegram_bot_token_enc FROM tenants")
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
    tx.commit().await?;
    let chat_id = chat_id.ok_or_else(|| Error::validation("Клиент ещё не писал боту компании"))?;
    let token_enc = token_enc
        .ok_or_else(|| Error::validation("Бот компании не подключён (Настройки → Telegram)"))?;
    let token = crypto::decrypt(config, &token_enc)?;
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
    let message: ChatMessage = sqlx::query_as(
        "WITH m AS (
             INSERT INTO bot_messages (tenant_id, chat_id, client_id, direction, author, staff_user_id, text)
             VALUES (app_current_tenant(), $1, $2, 'out', 'staff', $3, $4)
             RETURNING id, direction, author, staff_user_id, text, created_at)
         SELECT m.id, m.direction, m.author, u.full_name AS staff_name, m.text,
                NULL::text AS engine, m.created_at
         FROM m LEFT JOIN users u ON u.id = m.staff_user_id",
    )
    .bind(chat_id)
    .bind(client_id)
    .bind(staff_user_id)
    .bind(text)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(message)
}
