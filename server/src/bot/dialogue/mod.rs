//! The conversation with a car owner. Each update is handled in short tenant-scoped
//! transactions (none is held open while Telegram or the concierge answers); the conversation
//! state lives in `bot_conversations` and every message in and out in `bot_messages`, so a
//! restart or a takeover by another process loses nothing.
//!
//! Here: the entry (a message or a button press) and what the dialogue remembers. The steps
//! live beside it: [`booking`] (service, or services from the catalogue → shop → day → time →
//! confirmation), [`contact`] (the
//! phone and car questions), [`visits`] («Мои записи»: move, cancel), [`replies`] (greeting,
//! the concierge's answer, how to book) and [`keyboards`] (the buttons and what they carry).

mod booking;
mod contact;
mod keyboards;
mod replies;
mod visits;

use app::domain::{
    chat::{self, Author, NewMessage},
    clients::PhoneSource,
    concierge::rules::Intent,
    conversations,
    db::{TenantId, Tx},
    events::ReceivedMessage,
    inbox,
    work::Work,
    AppState, Error,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use teloxide::{
    prelude::*,
    types::{CallbackQuery, ReplyMarkup, UpdateKind, User},
};

use app::{domain::events::Event, model::EventKind};

use super::BotError;
use keyboards::{Press, Step, MENU_ASK, MENU_BOOK, MENU_MINE};

/// The answer to a customer who asks for a person.
const PASSED_ON: &str = "Передал ваш вопрос сотрудникам — вам ответят здесь, в этом чате.";

/// What is remembered between messages of one chat (`bot_conversations.state`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Conversation {
    /// Number of the last analysed request. Its «Записаться» button carries the number, so a
    /// press under an older answer is recognised as stale.
    #[serde(default)]
    request_no: i64,
    /// The last request the concierge answered: the customer's words and the services offered.
    #[serde(default)]
    last_request: Option<Request>,
    /// The booking being put together with the buttons, step by step.
    #[serde(default)]
    draft: Option<Draft>,
    /// A question of the booking the next typed message answers (phone, car).
    #[serde(default)]
    awaiting: Option<Awaiting>,
    /// The visit being moved from «Мои записи».
    #[serde(default)]
    moving: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Awaiting {
    Phone,
    Car,
}

#[derive(Debug, Serialize, Deserialize)]
struct Request {
    text: String,
    services: Vec<OfferedService>,
    /// The concierge's causes, kept as the appointment's AI summary.
    summary: String,
    analysis: Option<serde_json::Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Draft {
    /// One service of the concierge's offer, or those picked from the catalogue.
    #[serde(default)]
    service_ids: Vec<i64>,
    shop_id: Option<i64>,
    day: Option<NaiveDate>,
    start: Option<DateTime<Utc>>,
    /// The car the client picked or described; `None` also when they skipped the question.
    #[serde(default)]
    vehicle_id: Option<i64>,
    #[serde(default)]
    vehicle: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct OfferedService {
    id: i64,
    name: String,
}

/// One answer of the bot.
struct Reply {
    /// A message sent before this one, e.g. to put the menu keyboard back after the «send
    /// phone» keyboard while the answer itself carries inline buttons.
    before: Option<(String, ReplyMarkup)>,
    text: String,
    markup: Option<ReplyMarkup>,
    /// Stored with the customer's message: the concierge's analysis of it.
    analysis: Option<serde_json::Value>,
}

impl Reply {
    fn text(text: impl Into<String>) -> Reply {
        Reply {
            before: None,
            text: text.into(),
            markup: None,
            analysis: None,
        }
    }
}

/// An answer to a press, and the event to publish about an appointment it created or changed;
/// `None` for a stale press.
type Outcome = Option<(Reply, Option<(EventKind, i64)>)>;

/// The chat's customer as the bot knows them.
struct Customer {
    chat_id: i64,
    client_id: i64,
}

pub async fn handle(
    state: &AppState,
    tenant: TenantId,
    bot: &Bot,
    update: Update,
) -> Result<(), BotError> {
    match update.kind {
        UpdateKind::Message(message) => on_message(state, tenant, bot, message).await,
        UpdateKind::CallbackQuery(query) => on_callback(state, tenant, bot, query).await,
        // Only messages and button presses are asked for (see the poller).
        _ => Ok(()),
    }
}

/// A message: written to the transcript at once (so it is kept even when answering fails),
/// answered, then the answer and the conversation are stored.
async fn on_message(
    state: &AppState,
    tenant: TenantId,
    bot: &Bot,
    message: Message,
) -> Result<(), BotError> {
    // A company bot talks to car owners one to one; groups and channels are not served.
    let (true, Some(from)) = (message.chat.is_private(), message.from.as_ref()) else {
        return Ok(());
    };
    let text = message.text().or(message.caption()).map(str::to_string);
    // A phone shared with the «send phone» button: only the user's own contact counts.
    let shared_phone = message
        .contact()
        .filter(|contact| contact.user_id == Some(from.id))
        .map(|contact| contact.phone_number.clone());
    // A location shared from the attachment menu: the nearest shop.
    let location = message.location().map(|l| (l.latitude, l.longitude));
    let chat_id = message.chat.id.0;

    let mut work = Work::begin(&state.db, tenant).await?;
    let mut customer = find_or_create_customer(&mut work, from, chat_id).await?;
    let mut conversation: Conversation = conversations::load(work.tx(), chat_id).await?;
    let written = text.as_deref().or(shared_phone.as_deref());
    // A photo, a voice message, a video or a file without words: kept for staff by what it is.
    let attachment = media_kind(&message);
    let media = attachment.as_ref().map(|(label, _)| *label);
    let shared_place = location.map(|(lat, lon)| format!("📍 Геопозиция: {lat:.5}, {lon:.5}"));
    let written = written
        .or(media)
        .or(shared_place.as_deref())
        .unwrap_or("(без текста)");
    let message_id = record(work.tx(), &customer, Author::Customer, written).await?;
    if let Some((_, file)) = &attachment {
        chat::attach_file(work.tx(), message_id, file).await?;
    }
    work.publish(Event::MessageReceived(&ReceivedMessage {
        id: message_id,
        chat_id,
        client_id: customer.client_id,
        text: written.to_string(),
    }))?;
    // A staff member answers in this chat now: the bot stays silent.
    let taken = inbox::taken(work.tx(), chat_id).await?;
    work.commit(&state.events).await?;
    if taken {
        return Ok(());
    }

    let text = text.as_deref().map(str::trim);
    let reply = answer(
        state,
        tenant,
        &mut customer,
        &mut conversation,
        text,
        shared_phone,
        location,
    )
    .await?;

    send(bot, &customer, &reply).await?;

    let mut work = Work::begin(&state.db, tenant).await?;
    let tx = work.tx();
    if let Some(analysis) = &reply.analysis {
        chat::attach_analysis(tx, message_id, analysis).await?;
    }
    save(tx, &customer, &conversation).await?;
    if let Some((before, _)) = &reply.before {
        record(tx, &customer, Author::Bot, before).await?;
    }
    record(tx, &customer, Author::Bot, &reply.text).await?;
    if let Some(why) = needs_human(text, media, &reply) {
        inbox::needs_person(&mut work, customer.client_id, why).await?;
    }
    work.commit(&state.events).await?;
    Ok(())
}

/// Why the conversation now needs a person: the customer sent what only a person can read
/// (a photo, a voice message…), asked for one, or the concierge had nothing to offer.
fn needs_human(text: Option<&str>, media: Option<&str>, reply: &Reply) -> Option<&'static str> {
    if text.is_none() && media.is_some() {
        return Some(inbox::SENT_MEDIA);
    }
    if text.is_some_and(inbox::asks_for_person) {
        return Some(inbox::ASKED_FOR_PERSON);
    }
    // A question about the customer's own visit is answered from it, with no services — when
    // there was a visit to answer about.
    let about_a_visit = reply.analysis.as_ref().is_some_and(|a| {
        a["intent"]
            .as_str()
            .and_then(Intent::parse)
            .is_some_and(Intent::is_about_a_visit)
            && a["visit_found"] != false
    });
    let offered = reply
        .analysis
        .as_ref()
        .and_then(|a| a["services"].as_array())
        .map(|services| !services.is_empty() || about_a_visit);
    (offered == Some(false)).then_some(inbox::NOTHING_TO_OFFER)
}

/// The answer to a message: a shared contact is the phone; the menu and /start are served
/// whatever was asked before (and leave that question behind); otherwise the text answers the
/// question asked (phone, car) or goes to the concierge.
async fn answer(
    state: &AppState,
    tenant: TenantId,
    customer: &mut Customer,
    conversation: &mut Conversation,
    text: Option<&str>,
    shared_phone: Option<String>,
    location: Option<(f64, f64)>,
) -> Result<Reply, BotError> {
    if text.is_some_and(|t| is_start(t) || [MENU_BOOK, MENU_ASK, MENU_MINE].contains(&t)) {
        conversation.awaiting = None;
    }
    Ok(match (text, conversation.awaiting, shared_phone) {
        (_, _, Some(phone)) => {
            let source = PhoneSource::OwnContact;
            contact::phone_answer(state, tenant, customer, conversation, &phone, source).await?
        }
        (None, _, None) => match location {
            Some(at) => booking::nearest_shop(state, tenant, conversation, at).await?,
            None => Reply::text(
                "Спасибо! Это увидят сотрудники и ответят здесь. А если опишете словами, что \
                 случилось, я сразу подскажу возможные причины и цены.",
            ),
        },
        (Some(text), _, _) if is_start(text) => replies::greeting(state, tenant).await?,
        (Some(MENU_BOOK), _, _) => booking::catalogue(state, tenant, conversation).await?,
        (Some(MENU_ASK), _, _) => replies::how_to_ask(),
        (Some(MENU_MINE), _, _) => {
            visits::my_appointments(state, tenant, customer, conversation.request_no).await?
        }
        (Some(text), Some(Awaiting::Phone), _) => {
            let source = PhoneSource::Typed;
            contact::phone_answer(state, tenant, customer, conversation, text, source).await?
        }
        (Some(text), Some(Awaiting::Car), _) => {
            contact::car_answer(state, tenant, customer, conversation, text).await?
        }
        (Some(text), None, _) if inbox::asks_for_person(text) => {
            Reply::text("Передал ваш вопрос сотрудникам — вам ответят здесь, в этом чате.")
        }
        (Some(text), None, _) => {
            replies::concierge_answer(state, tenant, customer, conversation, text).await?
        }
    })
}

/// Button presses: `<step>:<request number>[:<value>]` (see [`Press`]). The request number ties
/// a booking button to the concierge answer it was made for; a press under an older answer, or
/// a step the conversation is not at, is stale and gets a polite toast instead of an action.
async fn on_callback(
    state: &AppState,
    tenant: TenantId,
    bot: &Bot,
    query: CallbackQuery,
) -> Result<(), BotError> {
    let chat_id = query.message.as_ref().map(|m| m.chat().id.0);
    let press = query.data.as_deref().and_then(Press::parse);
    // A button of another bot version or of a message the bot no longer knows.
    let (Some(chat_id), Some(press)) = (chat_id, press) else {
        bot.answer_callback_query(query.id)
            .text("Эта кнопка больше не действует.")
            .await?;
        return Ok(());
    };

    let mut work = Work::begin(&state.db, tenant).await?;
    let customer = find_or_create_customer(&mut work, &query.from, chat_id).await?;
    let tx = work.tx();
    let mut conversation: Conversation = conversations::load(tx, chat_id).await?;
    let outcome = match press.step {
        // A visit's own id says what to cancel; later answers do not make the button stale.
        Step::CancelVisit => visits::cancel_visit(tx, tenant, &customer, &press).await?,
        // Whenever pressed: the conversation is marked for staff (below).
        Step::CallStaff => Some((Reply::text(PASSED_ON), None)),
        Step::Reschedule | Step::MoveDay | Step::MoveSlot => {
            visits::reschedule_step(tx, tenant, &customer, &mut conversation, &press).await?
        }
        _ if press.request_no == conversation.request_no => {
            booking::booking_step(tx, tenant, &customer, &mut conversation, &press).await?
        }
        _ => None,
    };
    let Some((reply, changed)) = outcome else {
        work.commit(&state.events).await?;
        bot.answer_callback_query(query.id)
            .text("Это предложение устарело — напишите, что нужно, ещё раз.")
            .await?;
        return Ok(());
    };
    record(tx, &customer, Author::Customer, press.label()).await?;
    save(tx, &customer, &conversation).await?;
    record(tx, &customer, Author::Bot, &reply.text).await?;
    if press.step == Step::CallStaff {
        inbox::needs_person(&mut work, customer.client_id, inbox::ASKED_FOR_PERSON).await?;
    }
    if let Some((kind, id)) = changed {
        let appointment = app::domain::booking::get(work.tx(), id).await?;
        work.publish(match kind {
            EventKind::AppointmentCreated => Event::AppointmentCreated(&appointment),
            _ => Event::AppointmentUpdated(&appointment),
        })?;
    }
    work.commit(&state.events).await?;

    bot.answer_callback_query(query.id).await?;
    send(bot, &customer, &reply).await
}

async fn send(bot: &Bot, customer: &Customer, reply: &Reply) -> Result<(), BotError> {
    if let Some((text, markup)) = &reply.before {
        bot.send_message(ChatId(customer.chat_id), text)
            .reply_markup(markup.clone())
            .await?;
    }
    let mut request = bot.send_message(ChatId(customer.chat_id), &reply.text);
    if let Some(markup) = &reply.markup {
        request = request.reply_markup(markup.clone());
    }
    request.await?;
    Ok(())
}

/// The Telegram user's client card in this company (see [`conversations::telegram_client`]).
async fn find_or_create_customer(
    work: &mut Work,
    user: &User,
    chat_id: i64,
) -> Result<Customer, BotError> {
    let telegram_id = i64::try_from(user.id.0)
        .map_err(|_| Error::validation(format!("Telegram id {} out of range", user.id.0)))?;
    let client_id =
        conversations::telegram_client(work, telegram_id, &user.full_name(), chat_id).await?;
    Ok(Customer { chat_id, client_id })
}

async fn save(
    tx: &mut Tx,
    customer: &Customer,
    conversation: &Conversation,
) -> Result<(), BotError> {
    Ok(conversations::save(tx, customer.chat_id, customer.client_id, conversation).await?)
}

/// Adds a message of this chat to the transcript.
async fn record(
    tx: &mut Tx,
    customer: &Customer,
    author: Author,
    text: &str,
) -> Result<i64, BotError> {
    let message = NewMessage {
        chat_id: customer.chat_id,
        client_id: Some(customer.client_id),
        author,
        staff_user_id: None,
        text,
    };
    Ok(chat::record(tx, &message).await?)
}

/// What a message carries besides words: how the transcript names it, and the file for staff
/// to open (the largest size of a photo).
fn media_kind(message: &Message) -> Option<(&'static str, chat::Attachment)> {
    let file = |kind: &str, meta: &teloxide::types::FileMeta| chat::Attachment {
        kind: kind.to_string(),
        file_id: meta.id.0.clone(),
    };
    if let Some(sizes) = message.photo() {
        let largest = sizes
            .iter()
            .max_by_key(|s| u64::from(s.width) * u64::from(s.height))?;
        Some(("(фото)", file("photo", &largest.file)))
    } else if let Some(voice) = message.voice() {
        Some(("(голосовое сообщение)", file("voice", &voice.file)))
    } else if let Some(audio) = message.audio() {
        Some(("(аудио)", file("audio", &audio.file)))
    } else if let Some(video) = message.video() {
        Some(("(видео)", file("video", &video.file)))
    } else if let Some(note) = message.video_note() {
        Some(("(видеосообщение)", file("video_note", &note.file)))
    } else {
        message
            .document()
            .map(|document| ("(файл)", file("document", &document.file)))
    }
}

/// `/start`, also as `/start@bot_name` and with a deep-link parameter (`/start promo`).
fn is_start(text: &str) -> bool {
    text.split_whitespace()
        .next()
        .and_then(|command| command.split('@').next())
        == Some("/start")
}

#[cfg(test)]
mod tests {
    use super::is_start;

    #[test]
    fn start_command_forms() {
        assert!(is_start("/start"));
        assert!(is_start("/start@sever_bot"));
        assert!(is_start("/start promo"));
        assert!(!is_start("/starter"));
        assert!(!is_start("start"));
    }
}
