//! The bot's keyboards: the menu, the «send phone» button, and the inline buttons of booking
//! and of «Мои записи», with what a press of each carries back ([`Press`]).

use app::domain::{
    booking::{self, Appointment, Slot},
    db::Tx,
    shops,
};
use app::format;
use chrono::NaiveDate;
use teloxide::types::{
    ButtonRequest, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup,
    ReplyMarkup,
};

use super::{BotError, Reply};

pub(super) const MENU_BOOK: &str = "Записаться";
pub(super) const MENU_ASK: &str = "Задать вопрос";
pub(super) const MENU_MINE: &str = "Мои записи";
const SHARE_PHONE: &str = "📱 Отправить номер";
pub(super) const CALL_STAFF: &str = "Позвать менеджера";
pub(super) const CATALOGUE: &str = "Выбрать из каталога";
/// How many days the customer is offered: the first days with free time.
const BOOKING_DAYS: usize = 7;
/// Most start times offered at once (Telegram keyboards get unwieldy beyond that).
const MAX_SLOTS: usize = 24;

/// A parsed button press: `<step>:<request number>[:<value>]`.
pub(super) struct Press {
    pub(super) step: Step,
    pub(super) request_no: i64,
    pub(super) value: String,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Step {
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
    CallStaff,
    Category,
    Pick,
    Done,
}

impl Step {
    const ALL: [(Step, &'static str); 17] = [
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
        (Step::CallStaff, "staff"),
        (Step::Category, "cat"),
        (Step::Pick, "pick"),
        (Step::Done, "done"),
    ];

    fn code(self) -> &'static str {
        Step::ALL
            .iter()
            .find(|(step, _)| *step == self)
            .map_or("", |(_, code)| code)
    }
}

impl Press {
    pub(super) fn parse(data: &str) -> Option<Press> {
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
    pub(super) fn label(&self) -> &'static str {
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
            Step::CallStaff => CALL_STAFF,
            Step::Category => "(раздел каталога)",
            Step::Pick => "(добавлена услуга)",
            Step::Done => "Выбрать сервис и время",
        }
    }
}

pub(super) fn button(
    text: impl Into<String>,
    step: Step,
    request_no: i64,
    value: impl std::fmt::Display,
) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, format!("{}:{request_no}:{value}", step.code()))
}

/// An answer with inline buttons, `per_row` in a row.
pub(super) fn keyboard(text: String, buttons: Vec<InlineKeyboardButton>, per_row: usize) -> Reply {
    let rows: Vec<Vec<InlineKeyboardButton>> = buttons.chunks(per_row).map(<[_]>::to_vec).collect();
    Reply {
        before: None,
        text,
        markup: Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows))),
        analysis: None,
    }
}

/// The menu under the input field: «Записаться», «Задать вопрос», «Мои записи».
pub(super) fn menu() -> ReplyMarkup {
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

/// Telegram's «share contact» button, in place of the menu until it is pressed.
pub(super) fn share_phone() -> ReplyMarkup {
    ReplyMarkup::Keyboard(
        KeyboardMarkup::new(vec![vec![
            KeyboardButton::new(SHARE_PHONE).request(ButtonRequest::Contact)
        ]])
        .resize_keyboard()
        .one_time_keyboard(),
    )
}

/// The days a customer may pick, with their labels («пт 28.11»): see [`booking::free_days`].
async fn booking_days(
    tx: &mut Tx,
    shop: i64,
    services: &[i64],
) -> Result<Vec<(String, NaiveDate)>, BotError> {
    Ok(booking::free_days(tx, shop, services, BOOKING_DAYS)
        .await?
        .into_iter()
        .map(|day| (format::day_label(day), day))
        .collect())
}

/// The days as buttons, or — when the weeks ahead are full — the shop's phone, so that the
/// customer is never left without a way on.
async fn days_or_phone(
    tx: &mut Tx,
    shop: i64,
    days: Vec<(String, NaiveDate)>,
    text: &str,
    press: impl Fn(NaiveDate) -> (Step, String),
    n: i64,
) -> Result<Reply, BotError> {
    if days.is_empty() {
        let shop = shops::get(tx, shop).await?;
        return Ok(Reply::text(format!(
            "{} Или напишите здесь — ответит сотрудник.",
            format::no_free_time(&shop.name, &shop.phone)
        )));
    }
    let buttons = days
        .into_iter()
        .map(|(label, day)| {
            let (step, value) = press(day);
            button(label, step, n, value)
        })
        .collect();
    Ok(keyboard(text.into(), buttons, 4))
}

/// Free start times of `day`, each a button made by `press`.
fn times(day: NaiveDate, slots: &[Slot], press: impl Fn(&Slot) -> InlineKeyboardButton) -> Reply {
    let buttons = slots.iter().take(MAX_SLOTS).map(press).collect();
    keyboard(
        format!("Свободное время {}:", day.format("%d.%m")),
        buttons,
        4,
    )
}

/// The days again, when `day` has no free time left.
fn no_time_on(day: NaiveDate, mut days: Reply) -> Reply {
    days.text = format!(
        "На {} свободного времени нет. Выберите другой день:",
        day.format("%d.%m")
    );
    days
}

/// Booking: the day.
pub(super) async fn day_keyboard(
    tx: &mut Tx,
    n: i64,
    shop: i64,
    services: &[i64],
) -> Result<Reply, BotError> {
    let days = booking_days(tx, shop, services).await?;
    days_or_phone(
        tx,
        shop,
        days,
        "Выберите день:",
        |day| (Step::Day, day.to_string()),
        n,
    )
    .await
}

/// Booking: the start time, or the days again when that day is full.
pub(super) async fn slot_keyboard(
    tx: &mut Tx,
    n: i64,
    shop: i64,
    day: NaiveDate,
    services: &[i64],
) -> Result<Reply, BotError> {
    let slots = booking::free_slots(tx, shop, day, services).await?;
    if slots.is_empty() {
        return Ok(no_time_on(day, day_keyboard(tx, n, shop, services).await?));
    }
    Ok(times(day, &slots, |slot| {
        button(
            slot.start_time.format("%H:%M").to_string(),
            Step::Slot,
            n,
            slot.start_time.timestamp(),
        )
    }))
}

/// Moving a visit: the new day.
pub(super) async fn move_day_keyboard(
    tx: &mut Tx,
    n: i64,
    appointment: &Appointment,
) -> Result<Reply, BotError> {
    let id = appointment.id;
    let days = booking_days(tx, appointment.shop_id, &appointment.service_ids).await?;
    days_or_phone(
        tx,
        appointment.shop_id,
        days,
        "Выберите новый день:",
        |day| (Step::MoveDay, format!("{id}/{day}")),
        n,
    )
    .await
}

/// Moving a visit: the new start time (not the one it has), or the days again.
pub(super) async fn move_slot_keyboard(
    tx: &mut Tx,
    n: i64,
    appointment: &Appointment,
    day: NaiveDate,
) -> Result<Reply, BotError> {
    let slots: Vec<Slot> =
        booking::free_slots(tx, appointment.shop_id, day, &appointment.service_ids)
            .await?
            .into_iter()
            .filter(|slot| slot.start_time != appointment.start_time)
            .collect();
    if slots.is_empty() {
        return Ok(no_time_on(
            day,
            move_day_keyboard(tx, n, appointment).await?,
        ));
    }
    Ok(times(day, &slots, |slot| {
        button(
            slot.start_time.format("%H:%M").to_string(),
            Step::MoveSlot,
            n,
            format!("{}/{}", appointment.id, slot.start_time.timestamp()),
        )
    }))
}
