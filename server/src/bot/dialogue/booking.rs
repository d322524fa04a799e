//! Booking by buttons: «Записаться» under the concierge's answer → one of its services, or
//! «Записаться» in the menu → the catalogue (a section → a service, as many as wanted); then
//! the shop (when several offer them all) → day → start time → phone and car
//! ([`super::contact`]) → confirmation. Each press is one step; a press that does not fit the
//! conversation is stale (`None`).

use app::domain::{
    booking::{self, Channel, NewBooking},
    clients,
    db::{TenantId, Tx},
    services, shops, AppState, Error,
};
use chrono::{DateTime, NaiveDate};

use app::model::EventKind;

use super::{
    contact::{car_label, car_question, phone_question},
    keyboards::{button, day_keyboard, keyboard, slot_keyboard, Press, Step},
    Awaiting, BotError, Conversation, Customer, Draft, OfferedService, Outcome, Reply, Request,
};

/// Most services one visit booked from the catalogue holds.
const MAX_PICKED: usize = 10;

/// One step of booking; when booked, the answer carries the new appointment's id.
pub(super) async fn booking_step(
    tx: &mut Tx,
    tenant: TenantId,
    customer: &Customer,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Outcome, BotError> {
    if conversation.last_request.is_none() {
        return Ok(None);
    }
    let reply = match press.step {
        Step::Book => offer_services(conversation),
        Step::Service => choose_service(tx, conversation, press).await?,
        Step::Shop => choose_shop(tx, conversation, press).await?,
        Step::Day => choose_day(tx, conversation, press).await?,
        Step::Slot => choose_time(tx, customer, conversation, press).await?,
        Step::Car | Step::SkipCar => choose_car(tx, customer, conversation, press).await?,
        Step::Confirm => return confirm(tx, tenant, customer, conversation).await,
        Step::Category => section(tx, conversation, press).await?,
        Step::Pick => pick(tx, conversation, press).await?,
        Step::Done => match conversation.draft.as_mut() {
            Some(draft) if !draft.service_ids.is_empty() => {
                Some(shops_for(tx, conversation.request_no, draft).await?)
            }
            _ => None,
        },
        Step::Cancel => {
            conversation.draft = None;
            conversation.awaiting = None;
            Some(Reply::text(
                "Хорошо, не записываю. Напишите, если понадобится помощь.",
            ))
        }
        // Handled by `visits`, and by the dialogue itself (a call for staff).
        Step::CancelVisit | Step::Reschedule | Step::MoveDay | Step::MoveSlot | Step::CallStaff => {
            None
        }
    };
    Ok(reply.map(|reply| (reply, None)))
}

/// «Записаться»: the services the concierge offered, to pick one; a new draft.
fn offer_services(conversation: &mut Conversation) -> Option<Reply> {
    let n = conversation.request_no;
    let request = conversation.last_request.as_ref()?;
    conversation.draft = Some(Draft::default());
    let buttons = request
        .services
        .iter()
        .map(|s| button(s.name.clone(), Step::Service, n, s.id))
        .collect();
    Some(keyboard("Какую работу записать?".into(), buttons, 1))
}

/// A service of the offer: then the shop, or the day when only one shop offers it.
async fn choose_service(
    tx: &mut Tx,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Option<Reply>, BotError> {
    let n = conversation.request_no;
    let Some(request) = &conversation.last_request else {
        return Ok(None);
    };
    let Some(service) = press
        .value
        .parse::<i64>()
        .ok()
        .filter(|id| request.services.iter().any(|s| s.id == *id))
    else {
        return Ok(None);
    };
    let draft = conversation.draft.insert(Draft {
        service_ids: vec![service],
        ..Draft::default()
    });
    Ok(Some(shops_for(tx, n, draft).await?))
}

/// The shops that offer every service of the draft (a service of one shop is offered there
/// alone): to pick one, or straight the days when only one does.
async fn shops_for(tx: &mut Tx, n: i64, draft: &mut Draft) -> Result<Reply, BotError> {
    let shops = shops::offering(tx, &draft.service_ids).await?;
    draft.shop_id = None;
    // Shops on the map: the customer may send where they are instead of choosing.
    let near = if shops.iter().any(|s| s.latitude.is_some()) {
        " Или отправьте геопозицию (📎 → Геопозиция) — выберу ближайший."
    } else {
        ""
    };
    Ok(match shops.as_slice() {
        [] if draft.service_ids.len() > 1 => Reply::text(
            "Эти работы делают в разных наших сервисах — запишитесь на них по отдельности: \
             нажмите «Записаться» ещё раз.",
        ),
        [] => Reply::text("Запись пока недоступна: у компании не указан ни один сервис."),
        [shop] => {
            draft.shop_id = Some(shop.id);
            day_keyboard(tx, n, shop.id, &draft.service_ids).await?
        }
        shops => keyboard(
            format!("В какой сервис удобнее приехать?{near}"),
            shops
                .iter()
                .map(|s| button(format!("{}, {}", s.name, s.address), Step::Shop, n, s.id))
                .collect(),
            1,
        ),
    })
}

/// A location the customer shared: while they choose the shop of a booking, the nearest that
/// offers its services is chosen and the days follow; otherwise the nearest shop is named.
pub(super) async fn nearest_shop(
    state: &AppState,
    tenant: TenantId,
    conversation: &mut Conversation,
    (latitude, longitude): (f64, f64),
) -> Result<Reply, BotError> {
    let n = conversation.request_no;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let choosing = conversation
        .draft
        .as_mut()
        .filter(|d| !d.service_ids.is_empty() && d.shop_id.is_none() && d.start.is_none());
    if let Some(draft) = choosing {
        let shops = shops::offering(&mut tx, &draft.service_ids).await?;
        if let Some((shop, km)) = shops::nearest(&shops, latitude, longitude) {
            draft.shop_id = Some(shop.id);
            let days = day_keyboard(&mut tx, n, shop.id, &draft.service_ids).await?;
            tx.commit().await?;
            return Ok(Reply {
                text: format!(
                    "Ближайший к вам — «{}», {} ({}).\n{}",
                    shop.name,
                    shop.address,
                    distance(km),
                    days.text
                ),
                ..days
            });
        }
    }
    let shops = shops::list(&mut tx, 0, 100).await?;
    tx.commit().await?;
    let Some((shop, km)) = shops::nearest(&shops, latitude, longitude) else {
        return super::replies::how_to_book(state, tenant).await;
    };
    let phone = match shop.phone.trim() {
        "" => String::new(),
        phone => format!(", телефон {phone}"),
    };
    Ok(Reply::text(format!(
        "Ближайший к вам сервис — «{}»: {}{phone} ({}). Чтобы записаться, нажмите «Записаться» \
         или опишите, что с машиной.",
        shop.name,
        shop.address,
        distance(km)
    )))
}

/// «≈ 800 м», «≈ 12,5 км».
fn distance(km: f64) -> String {
    if km < 1.0 {
        format!("≈ {} м", ((km * 1000.0 / 50.0).round() * 50.0).max(50.0))
    } else {
        format!("≈ {:.1} км", km).replace('.', ",")
    }
}

/// «Записаться» in the menu: the catalogue's sections, for a customer who knows what the car
/// needs. A new request: the buttons of earlier answers go stale.
pub(super) async fn catalogue(
    state: &AppState,
    tenant: TenantId,
    conversation: &mut Conversation,
) -> Result<Reply, BotError> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let sections = services::by_section(&mut tx).await?;
    tx.commit().await?;
    if sections.is_empty() {
        return super::replies::how_to_book(state, tenant).await;
    }
    conversation.request_no += 1;
    conversation.last_request = Some(Request {
        text: String::new(),
        services: Vec::new(),
        summary: String::new(),
        analysis: None,
    });
    conversation.draft = Some(Draft::default());
    Ok(sections_keyboard(
        conversation.request_no,
        &sections,
        "Выберите раздел — или просто опишите словами, что с машиной, и я подберу работы сам.",
    ))
}

/// A section's button carries its place in [`services::by_section`].
fn sections_keyboard(n: i64, sections: &[(String, Vec<services::Service>)], text: &str) -> Reply {
    keyboard(
        text.into(),
        sections
            .iter()
            .enumerate()
            .map(|(i, (name, _))| button(name.clone(), Step::Category, n, i))
            .collect(),
        2,
    )
}

/// A section of the catalogue: its services with prices, and the way back to all sections.
async fn section(
    tx: &mut Tx,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Option<Reply>, BotError> {
    let n = conversation.request_no;
    // Under an answer with nothing to offer, the catalogue starts the booking.
    conversation.draft.get_or_insert_with(Draft::default);
    let sections = services::by_section(tx).await?;
    let Some((name, list)) = press
        .value
        .parse::<usize>()
        .ok()
        .and_then(|i| sections.get(i))
    else {
        return Ok(Some(sections_keyboard(n, &sections, "Выберите раздел:")));
    };
    let mut buttons: Vec<_> = list
        .iter()
        .map(|s| {
            let label = format!("{} · {}", s.name, app::format::rubles(s.price));
            button(label, Step::Pick, n, s.id)
        })
        .collect();
    buttons.push(button("← Все разделы", Step::Category, n, "all"));
    Ok(Some(keyboard(format!("{name}: что записать?"), buttons, 1)))
}

/// A service from the catalogue joins the visit: then another, or the shop and time.
async fn pick(
    tx: &mut Tx,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Option<Reply>, BotError> {
    let n = conversation.request_no;
    let (Some(request), Some(draft)) = (
        conversation.last_request.as_mut(),
        conversation.draft.as_mut(),
    ) else {
        return Ok(None);
    };
    let Ok(id) = press.value.parse::<i64>() else {
        return Ok(None);
    };
    let service = match services::get(tx, id).await {
        Ok(service) if service.is_active => service,
        Ok(_) | Err(Error::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if !draft.service_ids.contains(&id) && draft.service_ids.len() < MAX_PICKED {
        draft.service_ids.push(id);
        request.services.push(OfferedService {
            id,
            name: service.name,
        });
    }
    let chosen: Vec<&str> = request
        .services
        .iter()
        .filter(|s| draft.service_ids.contains(&s.id))
        .map(|s| s.name.as_str())
        .collect();
    Ok(Some(keyboard(
        format!(
            "Выбрано: {}.\nДобавить ещё работу или выбрать сервис и время?",
            chosen.join(", ")
        ),
        vec![
            button("Выбрать сервис и время", Step::Done, n, ""),
            button("Добавить ещё работу", Step::Category, n, "all"),
        ],
        1,
    )))
}

/// A shop of the company (after the service): then the day.
async fn choose_shop(
    tx: &mut Tx,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Option<Reply>, BotError> {
    let n = conversation.request_no;
    let (Ok(shop), Some(draft)) = (press.value.parse::<i64>(), conversation.draft.as_mut()) else {
        return Ok(None);
    };
    if draft.service_ids.is_empty() {
        return Ok(None);
    }
    match shops::get(tx, shop).await {
        Ok(shop) => draft.shop_id = Some(shop.id),
        Err(Error::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    draft.day = None;
    Ok(Some(day_keyboard(tx, n, shop, &draft.service_ids).await?))
}

/// A day: then its free start times.
async fn choose_day(
    tx: &mut Tx,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Option<Reply>, BotError> {
    let n = conversation.request_no;
    let Some(draft) = conversation.draft.as_mut() else {
        return Ok(None);
    };
    let (false, Some(shop), Ok(day)) = (
        draft.service_ids.is_empty(),
        draft.shop_id,
        press.value.parse::<NaiveDate>(),
    ) else {
        return Ok(None);
    };
    draft.day = Some(day);
    Ok(Some(
        slot_keyboard(tx, n, shop, day, &draft.service_ids).await?,
    ))
}

/// A start time, checked again (it may have been taken since the keyboard was shown): then the
/// phone when the card has none, else the car.
async fn choose_time(
    tx: &mut Tx,
    customer: &Customer,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Option<Reply>, BotError> {
    let n = conversation.request_no;
    let Some(draft) = conversation.draft.as_mut() else {
        return Ok(None);
    };
    let (false, Some(shop), Some(day), Some(start)) = (
        draft.service_ids.is_empty(),
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
    let slots = booking::free_slots(tx, shop, day, &draft.service_ids).await?;
    if !slots.iter().any(|slot| slot.start_time == start) {
        let mut reply = slot_keyboard(tx, n, shop, day, &draft.service_ids).await?;
        reply.text = format!("Это время уже заняли. {}", reply.text);
        return Ok(Some(reply));
    }
    draft.start = Some(start);
    draft.vehicle_id = None;
    draft.vehicle = None;
    let reply = if clients::needs_phone(tx, customer.client_id).await? {
        conversation.awaiting = Some(Awaiting::Phone);
        phone_question()
    } else {
        conversation.awaiting = Some(Awaiting::Car);
        car_question(tx, n, customer).await?
    };
    Ok(Some(reply))
}

/// One of the customer's own cars, or «Пропустить»: then the confirmation. (A car described
/// in words is [`super::contact::car_answer`].)
async fn choose_car(
    tx: &mut Tx,
    customer: &Customer,
    conversation: &mut Conversation,
    press: &Press,
) -> Result<Option<Reply>, BotError> {
    let n = conversation.request_no;
    let (Some(request), Some(draft)) = (&conversation.last_request, conversation.draft.as_mut())
    else {
        return Ok(None);
    };
    if draft.start.is_none() {
        return Ok(None);
    }
    let vehicle = if press.step == Step::Car {
        let Ok(id) = press.value.parse::<i64>() else {
            return Ok(None);
        };
        // Only the customer's own cars.
        match clients::cars::list(tx, customer.client_id)
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
    Ok(Some(confirmation(tx, n, request, draft).await?))
}

/// «Подтвердить»: the appointment is booked (source Telegram, status new) by the same rules as
/// staff booking it. A time taken in the meantime offers the free times again.
async fn confirm(
    tx: &mut Tx,
    tenant: TenantId,
    customer: &Customer,
    conversation: &mut Conversation,
) -> Result<Outcome, BotError> {
    let n = conversation.request_no;
    let (Some(request), Some(draft)) = (&conversation.last_request, &conversation.draft) else {
        return Ok(None);
    };
    let (false, Some(shop), Some(day), Some(start)) = (
        draft.service_ids.is_empty(),
        draft.shop_id,
        draft.day,
        draft.start,
    ) else {
        return Ok(None);
    };
    let new = NewBooking {
        shop_id: shop,
        client_id: customer.client_id,
        vehicle_id: draft.vehicle_id,
        service_ids: draft.service_ids.clone(),
        start_time: start,
        end_time: None,
        bay: None,
        source: Channel::Telegram,
        customer_note: request.text.clone(),
        ai_summary: request.summary.clone(),
        ai_analysis: request.analysis.clone(),
        created_by: None,
        manage_link: None,
    };
    conversation.awaiting = None;
    match booking::book(tx, tenant, new).await {
        Ok(id) => {
            // The booking is done: its buttons must not book it twice.
            conversation.request_no += 1;
            conversation.draft = None;
            let reply = Reply::text(
                "Готово, вы записаны! Мастер подтвердит запись, а посмотреть её \
                 можно в «Мои записи».",
            );
            Ok(Some((reply, Some((EventKind::AppointmentCreated, id)))))
        }
        // Taken between the choice and the confirmation (another customer or staff).
        Err(Error::Conflict(_)) => {
            let mut reply = slot_keyboard(tx, n, shop, day, &draft.service_ids).await?;
            reply.text = format!("Это время только что заняли. {}", reply.text);
            Ok(Some((reply, None)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The booking as it will be made, with «Подтвердить» and «Отменить».
pub(super) async fn confirmation(
    tx: &mut Tx,
    n: i64,
    request: &Request,
    draft: &Draft,
) -> Result<Reply, BotError> {
    let (false, Some(shop), Some(start)) =
        (draft.service_ids.is_empty(), draft.shop_id, draft.start)
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
        .filter(|s| draft.service_ids.contains(&s.id))
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
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
