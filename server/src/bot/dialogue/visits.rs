//! «Мои записи»: the customer's upcoming visits, each with «Перенести» and «Отменить» while it
//! has not started. Moving goes day → free time → `booking::change`, by the same rules as staff
//! moving it. Only the customer's own visits; a press for any other is stale.

use app::domain::{
    booking::{self, Appointment, AppointmentFilter, Channel, Status},
    company,
    concierge::rules::Intent,
    db::{TenantId, Tx},
    shops::{self, Shop},
    AppState, Error,
};
use chrono::{DateTime, NaiveDate};

use app::model::EventKind;

use super::{
    keyboards::{button, keyboard, move_day_keyboard, move_slot_keyboard, Press, Step},
    BotError, Conversation, Customer, Outcome, Reply,
};

/// The customer's visits from today on that are still ahead (not completed or cancelled).
pub(super) async fn my_appointments(
    state: &AppState,
    tenant: TenantId,
    customer: &Customer,
    request_no: i64,
) -> Result<Reply, BotError> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let (appointments, shops) = todays_and_later(&mut tx, customer).await?;
    tx.commit().await?;
    Ok(list_reply(
        &appointments,
        &shops,
        request_no,
        "Ваши записи:",
    ))
}

/// The customer's visits from today on, and the company's shops.
async fn todays_and_later(
    tx: &mut Tx,
    customer: &Customer,
) -> Result<(Vec<Appointment>, Vec<Shop>), BotError> {
    let today = company::today(tx).await?;
    let appointments = booking::list(
        tx,
        &AppointmentFilter {
            client_id: Some(customer.client_id),
            date_from: Some(today),
            limit: 20,
            ..AppointmentFilter::default()
        },
    )
    .await?;
    Ok((appointments, shops::list(tx, 0, 100).await?))
}

/// The upcoming visits under `heading`, each with «Перенести» and «Отменить» while it has not
/// started.
fn list_reply(
    appointments: &[Appointment],
    shops: &[Shop],
    request_no: i64,
    heading: &str,
) -> Reply {
    let upcoming: Vec<&Appointment> = appointments
        .iter()
        .filter(|a| !a.status.is_final())
        .collect();
    if upcoming.is_empty() {
        return Reply::text(
            "Предстоящих записей нет. Напишите, что нужно сделать, — подберу работы и цены.",
        );
    }
    let lines: Vec<String> = upcoming.iter().map(|a| visit_line(a, shops)).collect();
    let buttons = upcoming
        .iter()
        .filter(|a| not_started(a))
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
    keyboard(format!("{heading}\n{}", lines.join("\n")), buttons, 2)
}

/// A message about a visit the customer has, understood by the concierge: moving one goes
/// straight to choosing the day when there is one visit to move (otherwise the list asks which),
/// cancelling shows the visits with «Отменить» (the press is the confirmation), and «когда будет
/// готова?» is answered from the visits' statuses. The flag says whether a visit was found to
/// answer about; when none was, a person should look.
pub(super) async fn about_my_visit(
    state: &AppState,
    tenant: TenantId,
    customer: &Customer,
    conversation: &mut Conversation,
    intent: Intent,
) -> Result<(Reply, bool), BotError> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let (appointments, shops) = todays_and_later(&mut tx, customer).await?;
    let movable: Vec<&Appointment> = appointments.iter().filter(|a| not_started(a)).collect();
    let n = conversation.request_no;
    // A car may stay in the works overnight: those count whatever their day.
    let in_works = booking::list(
        &mut tx,
        &AppointmentFilter {
            client_id: Some(customer.client_id),
            status: Some(Status::InProgress),
            limit: 5,
            ..AppointmentFilter::default()
        },
    )
    .await?;
    let found = match intent {
        Intent::VisitStatus => !in_works.is_empty() || !appointments.is_empty(),
        _ => !movable.is_empty(),
    };
    let reply = match intent {
        Intent::Reschedule if movable.len() == 1 => {
            let appointment = movable[0];
            conversation.moving = Some(appointment.id);
            let mut reply = move_day_keyboard(&mut tx, n, appointment).await?;
            reply.text = format!(
                "Переносим запись {} ({}). {}",
                appointment.start_time.format("%d.%m %H:%M"),
                appointment.service_names(),
                reply.text
            );
            reply
        }
        Intent::Reschedule => list_reply(&appointments, &shops, n, "Какую запись перенести?"),
        Intent::Cancel => list_reply(
            &appointments,
            &shops,
            n,
            "Какую запись отменить? Нажмите «Отменить» под ней.",
        ),
        _ => Reply::text(progress(&in_works, &appointments)),
    };
    tx.commit().await?;
    Ok((reply, found))
}

/// «Когда будет готова?» from the visits in the works and those from today on: in the works,
/// ready, or not started yet.
fn progress(in_works: &[Appointment], appointments: &[Appointment]) -> String {
    let when = |a: &Appointment| a.start_time.format("%d.%m %H:%M").to_string();
    if let Some(a) = in_works.first() {
        return format!(
            "Машина в работе (запись {}: {}). Как только закончим, напишем здесь.",
            when(a),
            a.service_names()
        );
    }
    if let Some(a) = appointments.iter().find(|a| a.status == Status::Completed) {
        return format!(
            "Машина готова: работы по записи {} выполнены ({}). Можно забирать.",
            when(a),
            a.service_names()
        );
    }
    if let Some(a) = appointments.iter().find(|a| not_started(a)) {
        return format!(
            "Работы ещё не начались: ваша запись {} ({}), {}.",
            when(a),
            a.service_names(),
            status_text(a.status)
        );
    }
    "Не вижу вашей машины в работе. Если вы оставили её у нас, позовите менеджера — он \
     уточнит здесь же."
        .to_string()
}

/// «• 28.11 10:00 — Сервис на Ленина, Замена масла (подтверждена)».
fn visit_line(appointment: &Appointment, shops: &[Shop]) -> String {
    let shop = shops
        .iter()
        .find(|s| s.id == appointment.shop_id)
        .map(|s| s.name.as_str())
        .unwrap_or_default();
    format!(
        "• {} — {}, {} ({})",
        appointment.start_time.format("%d.%m %H:%M"),
        shop,
        appointment.service_names(),
        status_text(appointment.status)
    )
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

/// A visit that has not started (new or confirmed) may still be moved or cancelled.
fn not_started(appointment: &Appointment) -> bool {
    Status::can_transition(appointment.status, Status::Cancelled)
}

/// Visit `id` when it is this customer's and has not started; `None` when it is someone
/// else's, already cancelled, started or gone.
async fn own_upcoming_visit(
    tx: &mut Tx,
    customer: &Customer,
    id: i64,
) -> Result<Option<Appointment>, BotError> {
    let appointment = match booking::get(tx, id).await {
        Ok(appointment) => appointment,
        Err(Error::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(
        (appointment.client_id == customer.client_id && not_started(&appointment))
            .then_some(appointment),
    )
}

/// Cancels one of the customer's own visits that has not started.
pub(super) async fn cancel_visit(
    tx: &mut Tx,
    tenant: TenantId,
    customer: &Customer,
    press: &Press,
) -> Result<Outcome, BotError> {
    let Ok(id) = press.value.parse::<i64>() else {
        return Ok(None);
    };
    let Some(appointment) = own_upcoming_visit(tx, customer, id).await? else {
        return Ok(None);
    };
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

/// One step of moving a visit: «Перенести» carries the visit's id, the day and time buttons
/// `<id>/<value>`; those for another visit than the one being moved are stale.
pub(super) async fn reschedule_step(
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
    let Some(appointment) = own_upcoming_visit(tx, customer, id).await? else {
        return Ok(None);
    };
    let n = conversation.request_no;
    match press.step {
        Step::Reschedule => {
            conversation.moving = Some(id);
            let mut reply = move_day_keyboard(tx, n, &appointment).await?;
            reply.text = format!(
                "Переносим запись {} ({}). {}",
                appointment.start_time.format("%d.%m %H:%M"),
                appointment.service_names(),
                reply.text
            );
            Ok(Some((reply, None)))
        }
        Step::MoveDay => {
            let Ok(day) = value.parse::<NaiveDate>() else {
                return Ok(None);
            };
            let reply = move_slot_keyboard(tx, n, &appointment, day).await?;
            Ok(Some((reply, None)))
        }
        _ => move_visit(tx, tenant, conversation, &appointment, value).await,
    }
}

/// The new start time picked: the visit is moved, or, when the time was taken meanwhile, the
/// free times of that day are offered again.
async fn move_visit(
    tx: &mut Tx,
    tenant: TenantId,
    conversation: &mut Conversation,
    appointment: &Appointment,
    value: &str,
) -> Result<Outcome, BotError> {
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
        appointment.id,
        booking::Change {
            start_time: Some(start),
            ..booking::Change::default()
        },
        None,
        Channel::Telegram,
    )
    .await;
    let reply = match moved {
        Ok(()) => {
            conversation.moving = None;
            let moved = booking::get(tx, appointment.id).await?;
            let reply = Reply::text(format!(
                "Готово: запись перенесена на {}. Мастер увидит изменение сразу.",
                moved.start_time.format("%d.%m %H:%M")
            ));
            return Ok(Some((
                reply,
                Some((EventKind::AppointmentUpdated, appointment.id)),
            )));
        }
        Err(Error::Conflict(_)) => {
            let day = start
                .with_timezone(appointment.start_time.offset())
                .date_naive();
            let n = conversation.request_no;
            let mut reply = move_slot_keyboard(tx, n, appointment, day).await?;
            reply.text = format!("Это время только что заняли. {}", reply.text);
            reply
        }
        Err(Error::Validation(reason) | Error::Unprocessable(reason)) => Reply::text(format!(
            "Не получилось перенести запись: {reason}. Выберите другое время в «Мои записи»."
        )),
        Err(e) => return Err(e.into()),
    };
    Ok(Some((reply, None)))
}
