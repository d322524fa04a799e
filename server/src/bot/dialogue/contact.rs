//! The questions of booking that are answered by typing: the phone (or Telegram's «share
//! contact» button) when the client's card has none, then the car (optional).

use app::domain::{
    clients::{self, NewVehicle, PhoneAttached, PhoneSource, Vehicle},
    db::{TenantId, Tx},
    phone,
    work::Work,
    AppState, Error,
};

use app::domain::events::Event;

use super::{
    booking::confirmation,
    keyboards::{button, keyboard, menu, share_phone, Step},
    Awaiting, BotError, Conversation, Customer, Reply,
};

/// The phone step: a reply keyboard with Telegram's «share contact» button; typing works too.
pub(super) fn phone_question() -> Reply {
    Reply {
        before: None,
        text: "Оставьте, пожалуйста, номер телефона — мастер позвонит, если что-то изменится. \
               Нажмите «Отправить номер» внизу или напишите его сообщением."
            .into(),
        markup: Some(share_phone()),
        analysis: None,
    }
}

/// The car step (optional): the client's cars as buttons, a typed description, or «Пропустить».
pub(super) async fn car_question(
    tx: &mut Tx,
    n: i64,
    customer: &Customer,
) -> Result<Reply, BotError> {
    let mut buttons: Vec<_> = clients::cars::list(tx, customer.client_id)
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

pub(super) fn car_label(v: &Vehicle) -> String {
    app::format::car_label(&v.make, &v.model, v.year, v.plate.as_deref())
}

/// A phone typed or shared during booking: stored on the client's card, then the car question.
/// Only a contact Telegram vouches for joins the chat to staff's card with that phone; a typed
/// one that another card has leaves both cards as they are, marked for staff to check.
pub(super) async fn phone_answer(
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
    work.publish(Event::ClientUpdated(&client))?;
    work.commit(&state.events).await?;
    Ok(reply)
}

/// A car described in words during booking: added to the client's cars and to the booking.
pub(super) async fn car_answer(
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
    let mut work = Work::begin(&state.db, tenant).await?;
    let vehicle = match clients::cars::add_in(&mut work, customer.client_id, car).await {
        Ok(vehicle) => vehicle,
        Err(Error::Validation(reason)) => return Ok(Reply::text(reason)),
        Err(e) => return Err(e.into()),
    };
    draft.vehicle_id = Some(vehicle.id);
    draft.vehicle = Some(car_label(&vehicle));
    conversation.awaiting = None;
    let reply = confirmation(work.tx(), n, request, draft).await?;
    work.commit(&state.events).await?;
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
        mileage_read_on: None,
    })
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_car;

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
}
