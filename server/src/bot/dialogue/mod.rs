//! The conversation with a car owner. Each update is handled in short tenant-scoped
//! transactions (none is held open while Telegram or the concierge answers); the conversation
//! state lives in `bot_conversations` and every message in and out in `bot_messages`, so a
//! restart or a takeover by another process loses nothing.

use app::domain::{
    booking::{self, AppointmentFilter, Channel, NewBooking, Status},
    clients::{self, NewVehicle, PhoneAttached, PhoneSource},
    db::{TenantId, Tx},
    format, phone, shops, AppState, Error,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use teloxide::{
    prelude::*,
    types::{
        ButtonRequest, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton,
        KeyboardMarkup, ReplyMarkup, UpdateKind, User,
    },
};

use app::{domain::work::Work, model::EventKind};

use super::BotError;

const MENU_BOOK: &str = "Записаться";
const MENU_ASK: &str = "Задать вопрос";
const MENU_MINE: &str = "Мои записи";
const SHARE_PHONE: &str = "📱 Отправить номер";
/// How many days ahead the customer may pick.
const BOOKING_DAYS: i64 = 7;
/// Most start times offered at once (Telegram keyboards get unwieldy beyond that).
const MAX_SLOTS: usize = 24;

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
    service_id: Option<i64>,
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
    let chat_id = message.chat.id.0;

    let mut work = Work::begin(&state.db, tenant).await?;
    let mut customer = find_or_create_client(&mut work, from, chat_id).await?;
    let mut conversation = load_conversation(work.tx(), chat_id).await?;
    let message_id = record(
        work.tx(),
        &customer,
        "in",
        text.as_deref()
            .or(shared_phone.as_deref())
            .unwrap_or("(без текста)"),
    )
    .await?;
    work.commit(&state.events).await?;

    let text = text.as_deref().map(str::trim);
    // The menu and /start leave a half-answered question behind.
    if text.is_some_and(|t| is_start(t) || [MENU_BOOK, MENU_ASK, MENU_MINE].contains(&t)) {
        conversation.awaiting = None;
    }
    let reply = match (text, conversation.awaiting, shared_phone) {
        (_, _, Some(phone)) => {
            let source = PhoneSource::OwnContact;
            phone_answer(
                state,
                tenant,
                &mut customer,
                &mut conversation,
                &phone,
                source,
            )
            .await?
        }
        (None, _, None) => {
            Reply::text("Пока я понимаю только текст — напишите, пожалуйста, словами.")
        }
        (Some(text), _, _) if is_start(text) => greeting(state, tenant).await?,
        (Some(MENU_BOOK), _, _) => how_to_book(state, tenant).await?,
        (Some(MENU_ASK), _, _) => Reply::text(
            "Опишите, что происходит с машиной: что, где и когда стучит, горит или течёт. \
             Я подскажу возможные причины и подходящие работы с ценами.",
        ),
        (Some(MENU_MINE), _, _) => {
            my_appointments(state, tenant, &customer, conversation.request_no).await?
        }
        (Some(text), Some(Awaiting::Phone), _) => {
            let source = PhoneSource::Typed;
            phone_answer(
                state,
                tenant,
                &mut customer,
                &mut conversation,
                text,
                source,
            )
            .await?
        }
        (Some(text), Some(Awaiting::Car), _) => {
            car_answer(state, tenant, &customer, &mut conversation, text).await?
        }
        (Some(text), None, _) => concierge_answer(state, tenant, &mut conversation, text).await,
    };

    send(bot, &customer, &reply).await?;

    let mut tx = state.db.tenant_tx(tenant).await?;
    if let Some(analysis) = &reply.analysis {
        sqlx::query("UPDATE bot_messages SET analysis = $1 WHERE id = $2")
            .bind(analysis)
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
    }
    save_conversation(&mut tx, &customer, &conversation).await?;
    if let Some((before, _)) = &reply.before {
        record(&mut tx, &customer, "out", before).await?;
    }
    record(&mut tx, &customer, "out", &reply.text).await?;
    tx.commit().await?;
    Ok(())
}

/// Button presses of the booking: `<step>:<request number>[:<value>]`. The request number ties
/// a button to the concierge answer it was made for; a press under an older answer, or a step
/// the conversation is not at, is stale and gets a polite toast instead of an action.
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
    let customer = find_or_create_client(&mut work, &query.from, chat_id).await?;
    let tx = work.tx();
    let mut conversation = load_conversation(tx, chat_id).await?;
    let outcome = match press.step {
        // A visit's own id says what to cancel; later answers do not make the button stale.
        Step::CancelVisit => cancel_visit(tx, tenant, &customer, &press).await?,
        Step::Reschedule | Step::MoveDay | Step::MoveSlot => {
            reschedule_step(tx, tenant, &customer, &mut conversation, &press).await?
        }
        _ if press.request_no == conversation.request_no => {
            booking_step(tx, tenant, &customer, &mut conversation, &press).await?
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
    record(tx, &customer, "in", press.label()).await?;
    save_conversation(tx, &customer, &conversation).await?;
    record(tx, &customer, "out", &reply.text).await?;
    if let Some((kind, id)) = changed {
        let appointment = booking::get(work.tx(), id).await?;
        work.publish(kind, &appointment)?;
    }
    work.commit(&state.events).await?;

    bot.answer_callback_query(query.id).await?;
    send(bot, &customer, &reply).await
}

/// A parsed button press.
struct Press {
    step: Step,
    request_no: i64,
    value: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Book,
    Service,
    Shop,
    Day,
    Slot,
    Car,
    SkipCar,
    Confirm,
    Cancel,
    CancelVisit,
    Reschedule,
    MoveDay,
    MoveSlot,
}

impl Step {
    const ALL: [(Step, &'static str); 13] = [
        (Step::Book, "book"),
        (Step::Service, "svc"),
        (Step::Shop, "shop"),
        (Step::Day, "day"),
        (Step::Slot, "slot"),
        (Step::Car, "car"),
        (Step::SkipCar, "nocar"),
        (Step::Confirm, "ok"),
        (Step::Cancel, "no"),
        (Step::CancelVisit, "cancel"),
        (Step::Reschedule, "move"),
        (Step::MoveDay, "mday"),
        (Step::MoveSlot, "mslot"),
    ];

    fn code(self) -> &'static str {
        Step::ALL
            .iter()
            .find(|(step, _)| *step == self)
            .map_or("", |(_, code)| code)
    }
}

impl Press {
    fn parse(data: &str) -> Option<Press> {
        let mut parts = data.splitn(3, ':');
        let code = parts.next()?;
        let step = Step::ALL.iter().find(|(_, c)| *c == code)?.0;
        let request_no = parts.next()?.parse().ok()?;
        Some(Press {
            step,
            request_no,
            value: parts.next().unwrap_or_default().to_string(),
        })
    }

    /// How the press appears in the transcript.
    fn label(&self) -> &'static str {
        match self.step {
            Step::Book => MENU_BOOK,
            Step::Service => "(выбрана услуга)",
            Step::Shop => "(выбран сервис)",
            Step::Day => "(выбран день)",
            Step::Slot => "(выбрано время)",
            Step::Car => "(выбран автомобиль)",
            Step::SkipCar => "Пропустить",
            Step::Confirm => "Подтвердить",
            Step::Cancel => "Отменить",
            Step::CancelVisit => "Отменить запись",
            Step::Reschedule => "Перенести запись",
            Step::MoveDay => "(выбран день переноса)",
            Step::MoveSlot => "(выбрано время переноса)",
        }
    }
}

fn button(
    text: impl Into<String>,
    step: Step,
    request_no: i64,
    value: impl std::fmt::Display,
) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, format!("{}:{request_no}:{value}", step.code()))
}

fn keyboard(text: String, buttons: Vec<InlineKeyboardButton>, per_row: usize) -> Reply {
    let rows: Vec<Vec<InlineKeyboardButton>> = buttons.chunks(per_row).map(<[_]>::to_vec).collect();
    Reply {
        before: None,
        text,
        markup: Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows))),
        analysis: None,
    }
}

/// An answer to a press, and the event to publish about an appointment it created or changed.
type Outcome = Option<(Reply, Option<(EventKind, i64)>)>;

/// Cancels one of the customer's own visits that has not started. Someone else's visit, or one
/// already cancelled, started or gone, is a stale press.
async fn cancel_visit(
    tx: &mut Tx,
    tenant: TenantId,
    customer: &Customer,
    press: &Press,
) -> Result<Outcome, BotError> {
    let Ok(id) = press.value.parse::<i64>() else {
        return Ok(None);
    };
    let appointment = match booking::get(tx, id).await {
        Ok(appointment) => appointment,
        Err(Error::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if appointment.client_id != customer.client_id
        || !Status::can_transition(appointment.status, Status::Cancelled)
    {
        return Ok(None);
    }
    booking::change(
        tx,
        tenant,
        id,
        booking::Change {
            status: Some(Status::Cancelled),
            reason: Some("Клиент отменил запись в Telegram".into()),
            ..booking::Change::default()
        },
        None,
        Channel::Telegram,
    )
    .await?;
    Ok(Some((
        Reply::text(format!(
            "Запись на {} отменена. Если понадобится, напишите — подберём другое время.",
            appointment.start_time.format("%d.%m %H:%M")
        )),
        Some((EventKind::AppointmentUpdated, id)),
    )))
}

/// One step of booking by buttons: service → shop (when there are several) → day → start
/// time → confirmation. Returns the answer and, when booked, the new appointment's id; `None`
/// when the press does not fit the conversation (stale).
async fn booking_step(
    tx: &mut Tx,
    tenant: TenantId,
    customer: &Customer,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Outcome, BotError> {
    let n = conversation.request_no;
    let Some(request) = &conversation.last_request else {
        return Ok(None);
    };
    let draft = conversation.draft.get_or_insert_with(Draft::default);
    let reply = match press.step {
        Step::Book => {
            *draft = Draft::default();
            let buttons = request
                .services
                .iter()
                .map(|s| button(s.name.clone(), Step::Service, n, s.id))
                .collect();
            keyboard("Какую работу записать?".into(), buttons, 1)
        }
        Step::Service => {
            let Some(service) = press
                .value
                .parse::<i64>()
                .ok()
                .filter(|id| request.services.iter().any(|s| s.id == *id))
            else {
                return Ok(None);
            };
            *draft = Draft {
                service_id: Some(service),
                ..Draft::default()
            };
            let shops = shops::list(tx, 0, 100).await?;
            match shops.as_slice() {
                [] => Reply::text("Запись пока недоступна: у компании не указан ни один сервис."),
                [shop] => {
                    draft.shop_id = Some(shop.id);
                    day_keyboard(tx, n).await?
                }
                shops => keyboard(
                    "В какой сервис удобнее приехать?".into(),
                    shops
                        .iter()
                        .map(|s| button(format!("{}, {}", s.name, s.address), Step::Shop, n, s.id))
                        .collect(),
                    1,
                ),
            }
        }
        Step::Shop => {
            let Some(shop) = press.value.parse::<i64>().ok() else {
                return Ok(None);
            };
            if draft.service_id.is_none() {
                return Ok(None);
            }
            match shops::get(tx, shop).await {
                Ok(shop) => draft.shop_id = Some(shop.id),
                Err(Error::NotFound) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
            draft.day = None;
            day_keyboard(tx, n).await?
        }
        Step::Day => {
            let (Some(service), Some(shop), Ok(day)) = (
                draft.service_id,
                draft.shop_id,
                press.value.parse::<NaiveDate>(),
            ) else {
                return Ok(None);
            };
            draft.day = Some(day);
            slot_keyboard(tx, n, shop, day, service).await?
        }
        Step::Slot => {
            let (Some(service), Some(shop), Some(day), Some(start)) = (
                draft.service_id,
                draft.shop_id,
                draft.day,
                press
                    .value
                    .parse::<i64>()
                    .ok()
                    .and_then(|ts| DateTime::from_timestamp(ts, 0)),
            ) else {
                return Ok(None);
            };
            // Checked again: the time may have been taken since the keyboard was shown.
            let slots = booking::free_slots(tx, shop, day, &[service]).await?;
            match slots.iter().find(|slot| slot.start_time == start) {
                Some(_) => {
                    draft.start = Some(start);
                    draft.vehicle_id = None;
                    draft.vehicle = None;
                    if clients::needs_phone(tx, customer.client_id).await? {
                        conversation.awaiting = Some(Awaiting::Phone);
                        phone_question()
                    } else {
                        conversation.awaiting = Some(Awaiting::Car);
                        car_question(tx, n, customer).await?
                    }
                }
                None => {
                    let mut reply = slot_keyboard(tx, n, shop, day, service).await?;
                    reply.text = format!("Это время уже заняли. {}", reply.text);
                    reply
                }
            }
        }
        Step::Car | Step::SkipCar => {
            if draft.start.is_none() {
                return Ok(None);
            }
            let vehicle = if press.step == Step::Car {
                let Ok(id) = press.value.parse::<i64>() else {
                    return Ok(None);
                };
                // Only the customer's own cars.
                match clients::vehicles(tx, customer.client_id)
                    .await?
                    .into_iter()
                    .find(|v| v.id == id)
                {
                    Some(v) => Some((v.id, car_label(&v))),
                    None => return Ok(None),
                }
            } else {
                None
            };
            draft.vehicle_id = vehicle.as_ref().map(|v| v.0);
            draft.vehicle = vehicle.map(|v| v.1);
            conversation.awaiting = None;
            confirmation(tx, n, request, draft).await?
        }
        Step::Confirm => {
            let (Some(service), Some(shop), Some(day), Some(start)) =
                (draft.service_id, draft.shop_id, draft.day, draft.start)
            else {
                return Ok(None);
            };
            conversation.awaiting = None;
            let booked = booking::book(
                tx,
                tenant,
                NewBooking {
                    shop_id: shop,
                    client_id: customer.client_id,
                    vehicle_id: draft.vehicle_id,
                    service_ids: vec![service],
                    start_time: start,
                    end_time: None,
                    bay: None,
                    source: Channel::Telegram,
                    customer_note: request.text.clone(),
                    ai_summary: request.summary.clone(),
                    ai_analysis: request.analysis.clone(),
                    created_by: None,
                },
            )
            .await;
            match booked {
                Ok(id) => {
                    // The booking is done: its buttons must not book it twice.
                    conversation.request_no += 1;
                    conversation.draft = None;
                    return Ok(Some((
                        Reply::text(
                            "Готово, вы записаны! Мастер подтвердит запись, а посмотреть её \
                             можно в «Мои записи».",
                        ),
                        Some((EventKind::AppointmentCreated, id)),
                    )));
                }
                // Taken between the choice and the confirmation (another customer or staff).
                Err(Error::Conflict(_)) => {
                    let mut reply = slot_keyboard(tx, n, shop, day, service).await?;
                    reply.text = format!("Это время только что заняли. {}", reply.text);
                    reply
                }
                Err(e) => return Err(e.into()),
            }
        }
        Step::Cancel => {
            conversation.draft = None;
            conversation.awaiting = None;
            Reply::text("Хорошо, не записываю. Напишите, если понадобится помощь.")
        }
        // Handled by `cancel_visit` and `reschedule_step`.
        Step::CancelVisit | Step::Reschedule | Step::MoveDay | Step::MoveSlot => return Ok(None),
    };
    Ok(Some((reply, None)))
}

/// The phone step: a reply keyboard with Telegram's «share contact» button; typing works too.
fn phone_question() -> Reply {
    Reply {
        before: None,
        text: "Оставьте, пожалуйста, номер телефона — мастер позвонит, если что-то изменится. \
               Нажмите «Отправить номер» внизу или напишите его сообщением."
            .into(),
        markup: Some(ReplyMarkup::Keyboard(
            KeyboardMarkup::new(vec![vec![
                KeyboardButton::new(SHARE_PHONE).request(ButtonRequest::Contact)
            ]])
            .resize_keyboard()
            .one_time_keyboard(),
        )),
        analysis: None,
    }
}

/// The car step (optional): the client's cars as buttons, a typed description, or «Пропустить».
async fn car_question(tx: &mut Tx, n: i64, customer: &Customer) -> Result<Reply, BotError> {
    let mut buttons: Vec<InlineKeyboardButton> = clients::vehicles(tx, customer.client_id)
        .await?
        .iter()
        .take(5)
        .map(|v| button(car_label(v), Step::Car, n, v.id))
        .collect();
    buttons.push(button("Пропустить", Step::SkipCar, n, ""));
    Ok(keyboard(
        "На какой машине приедете? Напишите марку, модель и госномер, например: \
         «Kia Rio А123ВС77» — или нажмите «Пропустить»."
            .into(),
        buttons,
        1,
    ))
}

fn car_label(v: &clients::Vehicle) -> String {
    let mut label = format!("{} {}", v.make, v.model).trim().to_string();
    if let Some(plate) = &v.plate {
        label = format!("{label} {plate}").trim().to_string();
    }
    if label.is_empty() {
        "Автомобиль".into()
    } else {
        label
    }
}

/// The booking as it will be made, with «Подтвердить» and «Отменить».
async fn confirmation(
    tx: &mut Tx,
    n: i64,
    request: &Request,
    draft: &Draft,
) -> Result<Reply, BotError> {
    let (Some(service), Some(shop), Some(start)) = (draft.service_id, draft.shop_id, draft.start)
    else {
        return Ok(Reply::text(
            "Запись сбилась — напишите, что нужно сделать, и начнём заново.",
        ));
    };
    let shop = shops::get(tx, shop).await?;
    let tz = shop.tz()?;
    let name = request
        .services
        .iter()
        .find(|s| s.id == service)
        .map_or("", |s| s.name.as_str());
    let car = draft
        .vehicle
        .as_ref()
        .map(|car| format!("\nАвтомобиль: {car}"))
        .unwrap_or_default();
    Ok(keyboard(
        format!(
            "Проверьте запись:\n{name}\n{}, {}\n{}{car}",
            shop.name,
            shop.address,
            start.with_timezone(&tz).format("%d.%m.%Y %H:%M")
        ),
        vec![
            button("Подтвердить", Step::Confirm, n, ""),
            button("Отменить", Step::Cancel, n, ""),
        ],
        2,
    ))
}

/// A phone typed or shared during booking: stored on the client's card, then the car question.
/// Only a contact Telegram vouches for joins the chat to staff's card with that phone; a typed
/// one that another card has leaves both cards as they are, marked for staff to check.
async fn phone_answer(
    state: &AppState,
    tenant: TenantId,
    customer: &mut Customer,
    conversation: &mut Conversation,
    input: &str,
    source: PhoneSource,
) -> Result<Reply, BotError> {
    let Some(phone) = phone::normalize(input) else {
        let mut reply = phone_question();
        reply.text = "Не похоже на номер телефона. Напишите его так: +7 916 123-45-67 — \
                      или нажмите «Отправить номер» внизу."
            .into();
        return Ok(reply);
    };
    let mut work = Work::begin(&state.db, tenant).await?;
    let tx = work.tx();
    let (client_id, attached) =
        clients::attach_phone(tx, customer.client_id, &phone, source).await?;
    customer.client_id = client_id;
    let thanks = match attached {
        PhoneAttached::Saved | PhoneAttached::Noted | PhoneAttached::Merged => {
            format!("Спасибо, записал номер {phone}.")
        }
        PhoneAttached::PossibleDuplicate => {
            "Спасибо! Этот номер уже есть в нашей базе — администратор сверит его при подтверждении записи."
                .to_string()
        }
    };
    let booking = conversation
        .draft
        .as_ref()
        .is_some_and(|draft| draft.start.is_some());
    let reply = if booking {
        conversation.awaiting = Some(Awaiting::Car);
        let mut reply = car_question(tx, conversation.request_no, customer).await?;
        reply.before = Some((thanks, menu()));
        reply
    } else {
        conversation.awaiting = None;
        Reply {
            before: None,
            text: thanks,
            markup: Some(menu()),
            analysis: None,
        }
    };
    let client = clients::get(work.tx(), client_id).await?;
    work.publish(EventKind::ClientUpdated, &client)?;
    work.commit(&state.events).await?;
    Ok(reply)
}

/// A car described in words during booking: added to the client's cars and to the booking.
async fn car_answer(
    state: &AppState,
    tenant: TenantId,
    customer: &Customer,
    conversation: &mut Conversation,
    text: &str,
) -> Result<Reply, BotError> {
    let n = conversation.request_no;
    let (Some(request), Some(draft)) = (&conversation.last_request, conversation.draft.as_mut())
    else {
        conversation.awaiting = None;
        return Ok(Reply::text(
            "Запись сбилась — напишите, что нужно сделать, и начнём заново.",
        ));
    };
    let Some(car) = parse_car(text) else {
        let mut tx = state.db.tenant_tx(tenant).await?;
        let mut reply = car_question(&mut tx, n, customer).await?;
        tx.commit().await?;
        reply.text = format!("Не понял, какая машина. {}", reply.text);
        return Ok(reply);
    };
    let mut tx = state.db.tenant_tx(tenant).await?;
    let vehicle = match clients::add_vehicle(&mut tx, tenant, customer.client_id, car).await {
        Ok(vehicle) => vehicle,
        Err(Error::Validation(reason)) => return Ok(Reply::text(reason)),
        Err(e) => return Err(e.into()),
    };
    draft.vehicle_id = Some(vehicle.id);
    draft.vehicle = Some(car_label(&vehicle));
    conversation.awaiting = None;
    let reply = confirmation(&mut tx, n, request, draft).await?;
    tx.commit().await?;
    Ok(reply)
}

/// «Kia Rio А123ВС77», «тойота камри 2015 о777оо199»: the word with digits and letters is the
/// plate, a year-like number the year, the first remaining word the make, the rest the model.
fn parse_car(text: &str) -> Option<NewVehicle> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 100 || !text.chars().any(char::is_alphabetic) {
        return None;
    }
    let mut plate = None;
    let mut year = None;
    let mut words = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == ',') {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        if word.is_empty() {
            continue;
        }
        let digits = word.chars().filter(char::is_ascii_digit).count();
        let letters = word.chars().filter(|c| c.is_alphabetic()).count();
        match word.parse::<i32>() {
            Ok(y) if (1950..=2100).contains(&y) && year.is_none() => year = Some(y),
            _ if plate.is_none() && digits >= 3 && letters >= 1 && word.chars().count() >= 6 => {
                plate = Some(word.to_string());
            }
            _ => words.push(word.to_string()),
        }
    }
    let make = words.first().cloned().unwrap_or_default();
    let model = words
        .get(1..)
        .map(|rest| rest.join(" "))
        .unwrap_or_default();
    if make.is_empty() && plate.is_none() {
        return None;
    }
    Some(NewVehicle {
        make: capitalize(&make),
        model,
        year,
        plate,
        vin: None,
        mileage_km: None,
    })
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Moving a visit from «Мои записи»: «Перенести» (the visit's id) → day → free time →
/// `booking::change`, with the same rules as staff moving it. Only the customer's own visits
/// that have not started; presses for another visit than the one being moved are stale.
async fn reschedule_step(
    tx: &mut Tx,
    tenant: TenantId,
    customer: &Customer,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Outcome, BotError> {
    let (id, value) = match press.step {
        Step::Reschedule => (press.value.parse::<i64>().ok(), ""),
        _ => match press.value.split_once('/') {
            Some((id, value)) => (id.parse::<i64>().ok(), value),
            None => (None, ""),
        },
    };
    let Some(id) = id else {
        return Ok(None);
    };
    if press.step != Step::Reschedule && conversation.moving != Some(id) {
        return Ok(None);
    }
    let appointment = match booking::get(tx, id).await {
        Ok(appointment) => appointment,
        Err(Error::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if appointment.client_id != customer.client_id
        || !matches!(appointment.status, Status::New | Status::Confirmed)
    {
        return Ok(None);
    }
    let n = conversation.request_no;
    let reply = match press.step {
        Step::Reschedule => {
            conversation.moving = Some(id);
            let mut reply = move_day_keyboard(tx, n, id).await?;
            reply.text = format!(
                "Переносим запись {} ({}). {}",
                appointment.start_time.format("%d.%m %H:%M"),
                appointment.service_names(),
                reply.text
            );
            reply
        }
        Step::MoveDay => {
            let Ok(day) = value.parse::<NaiveDate>() else {
                return Ok(None);
            };
            move_slot_keyboard(tx, n, &appointment, day).await?
        }
        _ => {
            let Some(start) = value
                .parse::<i64>()
                .ok()
                .and_then(|ts| DateTime::from_timestamp(ts, 0))
            else {
                return Ok(None);
            };
            let moved = booking::change(
                tx,
                tenant,
                id,
                booking::Change {
                    start_time: Some(start),
                    ..booking::Change::default()
                },
                None,
                Channel::Telegram,
            )
            .await;
            match moved {
                Ok(()) => {
                    conversation.moving = None;
                    let moved = booking::get(tx, id).await?;
                    return Ok(Some((
                        Reply::text(format!(
                            "Готово: запись перенесена на {}. Мастер увидит изменение сразу.",
                            moved.start_time.format("%d.%m %H:%M")
                        )),
                        Some((EventKind::AppointmentUpdated, id)),
                    )));
                }
                Err(Error::Conflict(_)) => {
                    let day = start
                        .with_timezone(appointment.start_time.offset())
                        .date_naive();
                    let mut reply = move_slot_keyboard(tx, n, &appointment, day).await?;
                    reply.text = format!("Это время только что заняли. {}", reply.text);
                    reply
                }
                Err(Error::Validation(reason) | Error::Unprocessable(reason)) => Reply::text(
                    format!("Не получилось перенести запись: {reason}. Выберите другое время в «Мои записи»."),
                ),
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(Some((reply, None)))
}

async fn move_day_keyboard(tx: &mut Tx, n: i64, id: i64) -> Result<Reply, BotError> {
    let buttons = booking_days(tx)
        .await?
        .into_iter()
        .map(|(label, day)| button(label, Step::MoveDay, n, format!("{id}/{day}")))
        .collect();
    Ok(keyboard("Выберите новый день:".into(), buttons, 4))
}

async fn move_slot_keyboard(
    tx: &mut Tx,
    n: i64,
    appointment: &booking::Appointment,
    day: NaiveDate,
) -> Result<Reply, BotError> {
    let slots: Vec<booking::Slot> =
        booking::free_slots(tx, appointment.shop_id, day, &appointment.service_ids)
            .await?
            .into_iter()
            .filter(|slot| slot.start_time != appointment.start_time)
            .collect();
    if slots.is_empty() {
        let mut reply = move_day_keyboard(tx, n, appointment.id).await?;
        reply.text = format!(
            "На {} свободного времени нет. Выберите другой день:",
            day.format("%d.%m")
        );
        return Ok(reply);
    }
    let buttons = slots
        .iter()
        .take(MAX_SLOTS)
        .map(|slot| {
            button(
                slot.start_time.format("%H:%M").to_string(),
                Step::MoveSlot,
                n,
                format!("{}/{}", appointment.id, slot.start_time.timestamp()),
            )
        })
        .collect();
    Ok(keyboard(
        format!("Свободное время {}:", day.format("%d.%m")),
        buttons,
        4,
    ))
}

/// The days a customer may pick, with their labels («пт 28.11»).
async fn booking_days(tx: &mut Tx) -> Result<Vec<(String, NaiveDate)>, BotError> {
    let today = company_today(tx).await?;
    Ok((0..BOOKING_DAYS)
        .map(|offset| {
            let day = today + Duration::days(offset);
            let weekday = format::weekday_short(day);
            (format!("{weekday} {}", day.format("%d.%m")), day)
        })
        .collect())
}

async fn day_keyboard(tx: &mut Tx, n: i64) -> Result<Reply, BotError> {
    let buttons = booking_days(tx)
        .await?
        .into_iter()
        .map(|(label, day)| button(label, Step::Day, n, day))
        .collect();
    Ok(keyboard("Выберите день:".into(), buttons, 4))
}

async fn slot_keyboard(
    tx: &mut Tx,
    n: i64,
    shop: i64,
    day: NaiveDate,
    service: i64,
) -> Result<Reply, BotError> {
    let slots = booking::free_slots(tx, shop, day, &[service]).await?;
    if slots.is_empty() {
        let mut reply = day_keyboard(tx, n).await?;
        reply.text = format!(
            "На {} свободного времени нет. Выберите другой день:",
            day.format("%d.%m")
        );
        return Ok(reply);
    }
    let buttons = slots
        .iter()
        .take(MAX_SLOTS)
        .map(|slot| {
            button(
                slot.start_time.format("%H:%M").to_string(),
                Step::Slot,
                n,
                slot.start_time.timestamp(),
            )
        })
        .collect();
    Ok(keyboard(
        format!("Свободное время {}:", day.format("%d.%m")),
        buttons,
        4,
    ))
}

/// "Today" of the company, not of the server.
async fn company_today(tx: &mut Tx) -> Result<NaiveDate, BotError> {
    Ok(
        sqlx::query_scalar("SELECT (now() AT TIME ZONE timezone)::date FROM tenants")
            .fetch_one(&mut **tx)
            .await?,
    )
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

/// The client with this Telegram id in this company, created on first contact (and then
/// announced to staff once `work` commits). The chat id is refreshed each time (a user who
/// deleted and restarted the chat keeps their client card).
async fn find_or_create_client(
    work: &mut Work,
    user: &User,
    chat_id: i64,
) -> Result<Customer, BotError> {
    let telegram_id = i64::try_from(user.id.0)
        .map_err(|_| Error::validation(format!("Telegram id {} out of range", user.id.0)))?;
    let tenant = work.tenant();
    let (client_id, created): (i64, bool) = sqlx::query_as(
        "INSERT INTO clients (tenant_id, full_name, telegram_id, telegram_chat_id)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, telegram_id)
         DO UPDATE SET telegram_chat_id = EXCLUDED.telegram_chat_id, updated_at = now()
         RETURNING id, (xmax = 0) AS created",
    )
    .bind(tenant.0)
    .bind(user.full_name())
    .bind(telegram_id)
    .bind(chat_id)
    .fetch_one(&mut **work.tx())
    .await?;
    if created {
        let client = clients::get(work.tx(), client_id).await?;
        work.publish(EventKind::ClientCreated, &client)?;
    }
    Ok(Customer { chat_id, client_id })
}

async fn load_conversation(tx: &mut Tx, chat_id: i64) -> Result<Conversation, BotError> {
    let state: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT state FROM bot_conversations WHERE chat_id = $1")
            .bind(chat_id)
            .fetch_optional(&mut **tx)
            .await?;
    // A state written by an older version that no longer parses starts the dialogue afresh.
    Ok(state
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default())
}

async fn save_conversation(
    tx: &mut Tx,
    customer: &Customer,
    conversation: &Conversation,
) -> Result<(), BotError> {
    let state = serde_json::to_value(conversation)
        .map_err(|e| Error::Internal(format!("conversation state: {e}")))?;
    sqlx::query(
        "INSERT INTO bot_conversations (tenant_id, chat_id, client_id, state)
         VALUES (app_current_tenant(), $1, $2, $3)
         ON CONFLICT (tenant_id, chat_id)
         DO UPDATE SET client_id = EXCLUDED.client_id, state = EXCLUDED.state, updated_at = now()",
    )
    .bind(customer.chat_id)
    .bind(customer.client_id)
    .bind(state)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores a message of the transcript; `direction` is `in` (the customer) or `out` (the bot).
async fn record(
    tx: &mut Tx,
    customer: &Customer,
    direction: &str,
    text: &str,
) -> Result<i64, BotError> {
    let author = if direction == "in" { "customer" } else { "bot" };
    Ok(sqlx::query_scalar(
        "INSERT INTO bot_messages (tenant_id, chat_id, client_id, direction, author, text)
         VALUES (app_current_tenant(), $1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(customer.chat_id)
    .bind(customer.client_id)
    .bind(direction)
    .bind(author)
    .bind(text)
    .fetch_one(&mut **tx)
    .await?)
}

/// `/start`, also as `/start@bot_name` and with a deep-link parameter (`/start promo`).
fn is_start(text: &str) -> bool {
    text.split_whitespace()
        .next()
        .and_then(|command| command.split('@').next())
        == Some("/start")
}

fn menu() -> ReplyMarkup {
    ReplyMarkup::Keyboard(
        KeyboardMarkup::new(vec![
            vec![
                KeyboardButton::new(MENU_BOOK),
                KeyboardButton::new(MENU_ASK),
            ],
            vec![KeyboardButton::new(MENU_MINE)],
        ])
        .resize_keyboard(),
    )
}

async fn greeting(state: &AppState, tenant: TenantId) -> Result<Reply, BotError> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let company: String = sqlx::query_scalar("SELECT name FROM tenants")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Reply {
        before: None,
        text: format!(
            "Здравствуйте! Это бот «{company}».\n\
             Напишите, что беспокоит в машине, — подскажу возможные причины, подходящие работы \
             и цены. Или выберите в меню ниже."
        ),
        markup: Some(menu()),
        analysis: None,
    })
}

/// The concierge's answer: likely causes and matching services with prices, and a button to
/// book them. A message the concierge refuses (too long, empty) gets its reason.
async fn concierge_answer(
    state: &AppState,
    tenant: TenantId,
    conversation: &mut Conversation,
    text: &str,
) -> Reply {
    let answer = match state
        .concierge
        .analyze_for_tenant(&state.db, tenant, text)
        .await
    {
        Ok(answer) => answer,
        Err(Error::Validation(reason)) => return Reply::text(reason),
        Err(e) => {
            tracing::error!(tenant = tenant.0, error = %e, "concierge failed");
            return Reply::text(
                "Не получилось разобрать сообщение. Попробуйте ещё раз чуть позже.",
            );
        }
    };
    let mut lines = Vec::new();
    if !answer.diagnoses.is_empty() {
        lines.push("Возможные причины:".to_string());
        lines.extend(answer.diagnoses.iter().map(|d| format!("• {}", d.title)));
        lines.push(String::new());
    }
    if answer.services.is_empty() {
        lines.push(
            "Подходящей услуги в нашем каталоге я не нашёл. Опишите подробнее, что происходит, \
             или нажмите «Записаться» в меню — подскажу, как связаться с мастерами."
                .to_string(),
        );
    } else {
        lines.push("Подходящие работы:".to_string());
        lines.extend(answer.services.iter().map(|s| {
            format!(
                "• {} — {} (≈ {} мин)",
                s.name,
                format::rubles(s.price),
                s.duration_minutes
            )
        }));
    }
    let analysis = serde_json::to_value(&answer).ok();
    let markup = if answer.services.is_empty() {
        None
    } else {
        conversation.request_no += 1;
        conversation.draft = None;
        conversation.last_request = Some(Request {
            text: text.to_string(),
            summary: answer
                .diagnoses
                .iter()
                .map(|d| d.title.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            analysis: analysis.clone(),
            services: answer
                .services
                .iter()
                .map(|s| OfferedService {
                    id: s.id,
                    name: s.name.clone(),
                })
                .collect(),
        });
        Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(
            vec![vec![button(
                MENU_BOOK,
                Step::Book,
                conversation.request_no,
                "",
            )]],
        )))
    };
    Reply {
        before: None,
        text: lines.join("\n"),
        markup,
        analysis,
    }
}

/// How to book without the concierge: describe the job, or call one of the shops.
async fn how_to_book(state: &AppState, tenant: TenantId) -> Result<Reply, BotError> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let shops = shops::list(&mut tx, 0, 100).await?;
    tx.commit().await?;
    let mut lines = vec![
        "Опишите, что нужно сделать с машиной, — подберу работы, цены и свободное время. \
         Или позвоните:"
            .to_string(),
    ];
    lines.extend(shops.iter().map(|shop| {
        let mut line = format!("• {}", shop.name);
        for part in [&shop.address, &shop.phone] {
            if !part.trim().is_empty() {
                line.push_str(", ");
                line.push_str(part.trim());
            }
        }
        line
    }));
    Ok(Reply {
        before: None,
        text: lines.join("\n"),
        markup: None,
        analysis: None,
    })
}

/// The customer's visits from today on that are still ahead (not completed or cancelled).
async fn my_appointments(
    state: &AppState,
    tenant: TenantId,
    customer: &Customer,
    request_no: i64,
) -> Result<Reply, BotError> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let today = company_today(&mut tx).await?;
    let appointments = booking::list(
        &mut tx,
        &AppointmentFilter {
            client_id: Some(customer.client_id),
            date_from: Some(today),
            limit: 20,
            ..AppointmentFilter::default()
        },
    )
    .await?;
    let shops = shops::list(&mut tx, 0, 100).await?;
    tx.commit().await?;
    let upcoming: Vec<&booking::Appointment> = appointments
        .iter()
        .filter(|a| !a.status.is_final())
        .collect();
    let lines: Vec<String> = upcoming
        .iter()
        .map(|a| {
            let shop = shops
                .iter()
                .find(|s| s.id == a.shop_id)
                .map(|s| s.name.as_str())
                .unwrap_or_default();
            format!(
                "• {} — {}, {} ({})",
                a.start_time.format("%d.%m %H:%M"),
                shop,
                a.service_names(),
                status_text(a.status)
            )
        })
        .collect();
    if lines.is_empty() {
        return Ok(Reply::text(
            "Предстоящих записей нет. Напишите, что нужно сделать, — подберу работы и цены.",
        ));
    }
    // Visits not yet started may be moved or cancelled from here.
    let buttons = upcoming
        .iter()
        .filter(|a| Status::can_transition(a.status, Status::Cancelled))
        .flat_map(|a| {
            let when = a.start_time.format("%d.%m %H:%M");
            [
                button(
                    format!("Перенести {when}"),
                    Step::Reschedule,
                    request_no,
                    a.id,
                ),
                button(
                    format!("Отменить {when}"),
                    Step::CancelVisit,
                    request_no,
                    a.id,
                ),
            ]
        })
        .collect();
    Ok(keyboard(
        format!("Ваши записи:\n{}", lines.join("\n")),
        buttons,
        2,
    ))
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::New => "ждёт подтверждения",
        Status::Confirmed => "подтверждена",
        Status::InProgress => "машина в работе",
        Status::Completed => "выполнена",
        Status::Cancelled => "отменена",
        Status::NoShow => "неявка",
    }
}

#[cfg(test)]
mod tests {
    use super::{is_start, parse_car};

    #[test]
    fn cars_described_in_words() {
        let car = parse_car("kia rio а123вс77").unwrap();
        assert_eq!(
            (car.make.as_str(), car.model.as_str(), car.plate.as_deref()),
            ("Kia", "rio", Some("а123вс77"))
        );
        let car = parse_car("Тойота Камри 2015, о777оо199").unwrap();
        assert_eq!(
            (
                car.make.as_str(),
                car.model.as_str(),
                car.year,
                car.plate.as_deref()
            ),
            ("Тойота", "Камри", Some(2015), Some("о777оо199"))
        );
        let car = parse_car("Lada Granta").unwrap();
        assert_eq!(
            (car.make.as_str(), car.model.as_str(), car.plate),
            ("Lada", "Granta", None)
        );
        assert!(parse_car("   ").is_none());
        assert!(parse_car("12345").is_none());
        assert!(parse_car(&"ы".repeat(101)).is_none());
    }

    #[test]
    fn start_command_forms() {
        assert!(is_start("/start"));
        assert!(is_start("/start@sever_bot"));
        assert!(is_start("/start promo"));
        assert!(!is_start("/starter"));
        assert!(!is_start("start"));
    }
}
