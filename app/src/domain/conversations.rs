//! The bot's side of a chat: which client card a Telegram user is, and what the dialogue
//! remembers between their messages (`bot_conversations`), so that a restart or a takeover by
//! another process loses nothing. What the state holds is the dialogue's business; here it is
//! stored and read back.

use serde::{de::DeserializeOwned, Serialize};

use super::events::Event;

use super::{clients, db::Tx, work::Work, Error, Result};

/// The client with this Telegram id in this company, created on first contact (and then
/// announced to staff as `client.created` once `work` commits). The chat id is refreshed each
/// time: a user who deleted and restarted the chat keeps their client card.
pub async fn telegram_client(
    work: &mut Work,
    telegram_id: i64,
    full_name: &str,
    chat_id: i64,
) -> Result<i64> {
    let tenant = work.tenant();
    // `xmax = 0`: the row was inserted, not updated.
    let row = sqlx::query!(
        r#"INSERT INTO clients (tenant_id, full_name, telegram_id, telegram_chat_id)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, telegram_id)
           DO UPDATE SET telegram_chat_id = EXCLUDED.telegram_chat_id, updated_at = now()
           RETURNING id, (xmax = 0) AS "created!""#,
        tenant.0,
        full_name,
        telegram_id,
        chat_id
    )
    .fetch_one(&mut **work.tx())
    .await?;
    if row.created {
        let client = clients::get(work.tx(), row.id).await?;
        work.publish(Event::ClientCreated(&client))?;
    }
    Ok(row.id)
}

/// The chat's dialogue state; the default for a new chat. A state written by an older version
/// that no longer parses starts the dialogue afresh.
pub async fn load<S: DeserializeOwned + Default>(tx: &mut Tx, chat_id: i64) -> Result<S> {
    let state = sqlx::query_scalar!(
        "SELECT state FROM bot_conversations WHERE chat_id = $1",
        chat_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(state
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default())
}

/// Stores the chat's dialogue state, and the card the chat belongs to now.
pub async fn save<S: Serialize>(
    tx: &mut Tx,
    chat_id: i64,
    client_id: i64,
    state: &S,
) -> Result<()> {
    let state = serde_json::to_value(state)
        .map_err(|e| Error::Internal(format!("conversation state: {e}")))?;
    sqlx::query!(
        "INSERT INTO bot_conversations (tenant_id, chat_id, client_id, state)
         VALUES (app_current_tenant(), $1, $2, $3)
         ON CONFLICT (tenant_id, chat_id)
         DO UPDATE SET client_id = EXCLUDED.client_id, state = EXCLUDED.state, updated_at = now()",
        chat_id,
        client_id,
        state
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
