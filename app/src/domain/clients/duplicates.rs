//! Two cards for one person: the bot records a phone it cannot trust and marks the pair; staff
//! look at the pair and merge it. Only a contact Telegram vouches for merges by itself.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{duplicate, get, Client};
use crate::domain::{
    db::{TenantId, Tx},
    events::Event,
    work::Work,
    AppState, Error, Result,
};

/// How the bot learnt a phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneSource {
    /// Shared with Telegram's «send my phone» button, and the contact's user id is the sender's:
    /// Telegram vouches that the number belongs to this chat.
    OwnContact,
    /// Typed by the customer: anybody can type anybody's number.
    Typed,
}

/// What became of a phone a Telegram client gave the bot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneAttached {
    /// Telegram vouched for it: it is the card's phone now.
    Saved,
    /// Typed, and no other card has it: kept on the card as the client's word
    /// (`unverified_phone`).
    Noted,
    /// Staff already had a card with this phone and no Telegram, and Telegram vouched for the
    /// phone: the same person. The bot's card was merged into staff's (visits, cars, transcript,
    /// conversation, queued messages), which now holds the chat.
    Merged,
    /// Another card has this phone and nothing proves the chat owns it: the cards stay apart
    /// and the pair is marked as a possible duplicate for staff (`client_duplicates`).
    PossibleDuplicate,
}

/// Records the phone a client gave in the bot (already normalised to E.164). Returns the id of
/// the card the chat belongs to afterwards (another one after a merge).
pub async fn attach_phone(
    tx: &mut Tx,
    client_id: i64,
    phone: &str,
    source: PhoneSource,
) -> Result<(i64, PhoneAttached)> {
    let holder = sqlx::query!(
        "SELECT id, telegram_id FROM clients WHERE phone = $1",
        phone
    )
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| (row.id, row.telegram_id));
    match (holder, source) {
        (Some((id, _)), _) if id == client_id => Ok((client_id, PhoneAttached::Saved)),
        (None, PhoneSource::OwnContact) => {
            sqlx::query!(
                "UPDATE clients SET phone = $2, unverified_phone = NULL, updated_at = now()
                 WHERE id = $1",
                client_id,
                phone
            )
            .execute(&mut **tx)
            .await
            .map_err(duplicate)?;
            Ok((client_id, PhoneAttached::Saved))
        }
        (Some((card, None)), PhoneSource::OwnContact) => {
            merge_cards(tx, client_id, card).await?;
            Ok((card, PhoneAttached::Merged))
        }
        (None, PhoneSource::Typed) => {
            note_typed_phone(tx, client_id, phone).await?;
            mark_typed_phone_twins(tx, client_id, phone).await?;
            Ok((client_id, PhoneAttached::Noted))
        }
        (Some((card, _)), source) => {
            if source == PhoneSource::Typed {
                note_typed_phone(tx, client_id, phone).await?;
            }
            mark_possible_duplicate(tx, client_id, card, "phone").await?;
            Ok((client_id, PhoneAttached::PossibleDuplicate))
        }
    }
}

async fn note_typed_phone(tx: &mut Tx, client_id: i64, phone: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE clients SET unverified_phone = $2, updated_at = now() WHERE id = $1",
        client_id,
        phone
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Other cards on which a client typed this phone in the bot: possible duplicates of `client_id`.
pub(super) async fn mark_typed_phone_twins(tx: &mut Tx, client_id: i64, phone: &str) -> Result<()> {
    sqlx::query!(
        "INSERT INTO client_duplicates (tenant_id, client_id, other_id, reason)
         SELECT app_current_tenant(), least($1::bigint, c.id), greatest($1::bigint, c.id), 'phone'
         FROM clients c WHERE c.unverified_phone = $2 AND c.id <> $1
         ON CONFLICT DO NOTHING",
        client_id,
        phone
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the bot should ask this client for a phone: the card has none, not even a typed one,
/// and the client has not given one that another card holds (staff will sort that pair out).
pub async fn needs_phone(tx: &mut Tx, client_id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT c.phone IS NULL AND c.unverified_phone IS NULL AND NOT EXISTS (
                SELECT 1 FROM client_duplicates d
                WHERE d.reason = 'phone' AND (d.client_id = c.id OR d.other_id = c.id))
                AS "needs!"
         FROM clients c WHERE c.id = $1"#,
        client_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .unwrap_or(false))
}

/// Cards marked as possible duplicates of this one (`client_duplicates`), for staff.
pub async fn possible_duplicates(tx: &mut Tx, client_id: i64) -> Result<Vec<Client>> {
    Ok(sqlx::query_as!(
        Client,
        "SELECT c.id, c.tenant_id, c.full_name, c.phone, c.unverified_phone, c.email,
                c.telegram_id, c.notes, c.created_at
         FROM client_duplicates d
         JOIN clients c ON c.id = CASE WHEN d.client_id = $1 THEN d.other_id ELSE d.client_id END
         WHERE d.client_id = $1 OR d.other_id = $1
         ORDER BY c.id",
        client_id
    )
    .fetch_all(&mut **tx)
    .await?)
}

async fn mark_possible_duplicate(tx: &mut Tx, a: i64, b: i64, reason: &str) -> Result<()> {
    sqlx::query!(
        "INSERT INTO client_duplicates (tenant_id, client_id, other_id, reason)
         VALUES (app_current_tenant(), least($1::bigint, $2::bigint), greatest($1::bigint, $2::bigint), $3)
         ON CONFLICT DO NOTHING",
        a,
        b,
        reason
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What merging one card into another does, for staff to confirm before they do it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MergePreview {
    /// The card that stays.
    pub keep: Client,
    /// The card that goes; everything it holds moves to `keep`.
    pub drop: Client,
    /// `keep` as it will read: its own name, phone, e-mail and Telegram, each filled from
    /// `drop` where `keep` has none; both notes.
    pub result: Client,
    /// What moves from `drop`: visits, cars, bot messages, queued messages.
    pub visits: i64,
    pub cars: i64,
    pub messages: i64,
    pub queued: i64,
}

/// `keep` with what it lacks taken from `drop`. Two Telegram chats cannot become one card: the
/// bot would not know which chat the customer is.
fn merged(keep: &Client, drop: &Client) -> Result<Client> {
    if keep.id == drop.id {
        return Err(Error::validation(
            "Выберите другую карточку для объединения",
        ));
    }
    if keep.telegram_id.is_some() && drop.telegram_id.is_some() {
        return Err(Error::Conflict(
            "Обе карточки связаны с разными чатами Telegram — их нельзя объединить".into(),
        ));
    }
    let notes = match (keep.notes.trim(), drop.notes.trim()) {
        (a, "") => a.to_string(),
        ("", b) => b.to_string(),
        (a, b) if a == b => a.to_string(),
        (a, b) => format!("{a}\n{b}"),
    };
    Ok(Client {
        full_name: if keep.full_name.trim().is_empty() {
            drop.full_name.clone()
        } else {
            keep.full_name.clone()
        },
        phone: keep.phone.clone().or_else(|| drop.phone.clone()),
        unverified_phone: keep
            .unverified_phone
            .clone()
            .or_else(|| drop.unverified_phone.clone()),
        email: keep.email.clone().or_else(|| drop.email.clone()),
        telegram_id: keep.telegram_id.or(drop.telegram_id),
        notes,
        ..keep.clone()
    })
}

/// What merging `drop` into `keep` would do.
pub async fn merge_preview(tx: &mut Tx, keep: i64, drop: i64) -> Result<MergePreview> {
    let keep = get(tx, keep).await?;
    let drop = get(tx, drop).await?;
    let result = merged(&keep, &drop)?;
    let counts = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM appointments WHERE client_id = $1) AS "visits!",
                  (SELECT count(*) FROM vehicles WHERE client_id = $1) AS "cars!",
                  (SELECT count(*) FROM bot_messages WHERE client_id = $1) AS "messages!",
                  (SELECT count(*) FROM jobs
                   WHERE status = 'pending' AND payload ->> 'client_id' = $1::bigint::text)
                      AS "queued!""#,
        drop.id
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(MergePreview {
        keep,
        drop,
        result,
        visits: counts.visits,
        cars: counts.cars,
        messages: counts.messages,
        queued: counts.queued,
    })
}

/// Moves card `from` into card `into` (see [`merged`]) and deletes it: visits, cars, the
/// transcript, the conversation, queued messages and the possible-duplicate marks follow.
async fn merge_cards(tx: &mut Tx, from: i64, into: i64) -> Result<Client> {
    let drop = get(tx, from).await?;
    let result = merged(&get(tx, into).await?, &drop)?;
    let drop_chat = sqlx::query_scalar!("SELECT telegram_chat_id FROM clients WHERE id = $1", from)
        .fetch_one(&mut **tx)
        .await?;
    // The phone and the Telegram ids are unique per company: they leave `from` first.
    sqlx::query!(
        "UPDATE clients SET phone = NULL, telegram_id = NULL, telegram_chat_id = NULL WHERE id = $1",
        from
    )
    .execute(&mut **tx)
    .await?;
    let client = sqlx::query_as!(
        Client,
        "UPDATE clients c SET full_name = $2, phone = $3, unverified_phone = $4, email = $5,
                telegram_chat_id = CASE WHEN c.telegram_id IS NULL THEN $8 ELSE c.telegram_chat_id END,
                telegram_id = $6, notes = $7, updated_at = now()
         WHERE c.id = $1
         RETURNING c.id, c.tenant_id, c.full_name, c.phone, c.unverified_phone, c.email,
                   c.telegram_id, c.notes, c.created_at",
        into,
        result.full_name,
        result.phone,
        result.unverified_phone,
        result.email,
        result.telegram_id,
        result.notes,
        drop_chat,
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(duplicate)?;
    move_belongings(tx, from, into).await?;
    sqlx::query!("DELETE FROM clients WHERE id = $1", from)
        .execute(&mut **tx)
        .await?;
    Ok(client)
}

/// Everything that names card `from` names `into` afterwards.
async fn move_belongings(tx: &mut Tx, from: i64, into: i64) -> Result<()> {
    sqlx::query!(
        "UPDATE appointments SET client_id = $1 WHERE client_id = $2",
        into,
        from
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "UPDATE vehicles SET client_id = $1 WHERE client_id = $2",
        into,
        from
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "UPDATE bot_messages SET client_id = $1 WHERE client_id = $2",
        into,
        from
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "UPDATE bot_conversations SET client_id = $1 WHERE client_id = $2",
        into,
        from
    )
    .execute(&mut **tx)
    .await?;
    // Messages queued for `from` (reminders, status messages): a job left naming a deleted card
    // could not be recorded once sent.
    crate::domain::outbox::reassign_client(tx, from, into).await?;
    // Other cards marked as possible duplicates of `from` may be duplicates of `into`.
    sqlx::query!(
        "INSERT INTO client_duplicates (tenant_id, client_id, other_id, reason)
         SELECT d.tenant_id, least($1::bigint, o.other), greatest($1::bigint, o.other), d.reason
         FROM client_duplicates d
         CROSS JOIN LATERAL (SELECT CASE WHEN d.client_id = $2 THEN d.other_id ELSE d.client_id END
                             AS other) o
         WHERE (d.client_id = $2 OR d.other_id = $2) AND o.other <> $1
         ON CONFLICT DO NOTHING",
        into,
        from
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Use case: staff merge card `drop` into card `keep` (after [`merge_preview`]); the kept card
/// is `client.updated` once committed.
pub async fn merge(state: &AppState, tenant: TenantId, keep: i64, drop: i64) -> Result<Client> {
    let mut work = Work::begin(&state.db, tenant).await?;
    let client = merge_cards(work.tx(), drop, keep).await?;
    work.publish(Event::ClientUpdated(&client))?;
    work.commit(&state.events).await?;
    Ok(client)
}
