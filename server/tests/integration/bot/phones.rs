//! Phones in the bot: a typed phone never takes over another card; a shared contact joins the owner's card.

use super::*;

/// The button whose text satisfies `pick` under a sent message: its callback data.
fn press_data(message: &Value, pick: impl Fn(&str) -> bool) -> String {
    buttons(message)
        .into_iter()
        .find(|(text, _)| pick(text))
        .unwrap_or_else(|| panic!("no such button in {message}"))
        .1
}

/// The bot restarts while it waits for the phone; the typed phone belongs to a card staff made
/// earlier, and typing it does not hand that card to the chat (a stranger who knows the number
/// would get the customer's cars, visits and messages): the two cards stay apart, marked as a
/// possible duplicate. Then the visit is moved from «Мои записи», once to a time taken
/// meanwhile (a polite answer) and once for real.
#[tokio::test]
async fn a_typed_phone_never_takes_over_staffs_card_and_the_visit_is_rescheduled() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let mut server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let api = crate::common::server::Api::new(
        &server,
        crate::common::server::token(&server, "admin@sever.demo", "demo-password").await,
    );
    // Staff know this customer by phone already.
    let (status, card) = api
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Анна Смирнова", "phone": "+7 999 555-66-77"}),
        )
        .await;
    assert_eq!(status, 201, "{card}");
    let card = card["id"].as_i64().unwrap();

    let user = 5_550_777;
    fake.write(SEVER_TOKEN, user, "нужно поменять масло в двигателе");
    let answer = fake
        .wait_message(SEVER_TOKEN, user, "Подходящие работы")
        .await;
    fake.press(
        SEVER_TOKEN,
        user,
        &press_data(&answer, |t| t == "Записаться"),
    );
    let services = fake
        .wait_message(SEVER_TOKEN, user, "Какую работу записать?")
        .await;
    fake.press(SEVER_TOKEN, user, &buttons(&services)[0].1);
    let shops = fake.wait_message(SEVER_TOKEN, user, "В какой сервис").await;
    fake.press(SEVER_TOKEN, user, &buttons(&shops)[0].1);
    let days = fake.wait_message(SEVER_TOKEN, user, "Выберите день").await;
    let day = buttons(&days)
        .into_iter()
        .skip(1)
        .find(|(text, _)| !text.starts_with("вс"))
        .unwrap()
        .1;
    fake.press(SEVER_TOKEN, user, &day);
    let slots = fake
        .wait_message(SEVER_TOKEN, user, "Свободное время")
        .await;
    fake.press(SEVER_TOKEN, user, &buttons(&slots)[0].1);
    fake.wait_message(SEVER_TOKEN, user, "номер телефона").await;

    // The bot process goes away mid-dialogue and another one starts.
    server.stop();
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let api = crate::common::server::Api::new(
        &server,
        crate::common::server::token(&server, "admin@sever.demo", "demo-password").await,
    );
    let mark = fake.mark(SEVER_TOKEN);
    fake.write(SEVER_TOKEN, user, "позвоните мне");
    fake.wait_message_after(SEVER_TOKEN, user, "Не похоже на номер", mark)
        .await;
    fake.write(SEVER_TOKEN, user, "8 (999) 555-66-77");
    let ask_car = fake
        .wait_message_after(SEVER_TOKEN, user, "На какой машине", mark)
        .await;
    fake.press(
        SEVER_TOKEN,
        user,
        &press_data(&ask_car, |t| t == "Пропустить"),
    );
    let confirm = fake
        .wait_message_after(SEVER_TOKEN, user, "Проверьте запись", mark)
        .await;
    assert!(!confirm["text"].as_str().unwrap().contains("Автомобиль"));
    fake.press(
        SEVER_TOKEN,
        user,
        &press_data(&confirm, |t| t == "Подтвердить"),
    );
    fake.wait_message_after(SEVER_TOKEN, user, "Готово, вы записаны", mark)
        .await;

    // Anybody can type anybody's number: the chat keeps its own card, staff's card stays as it
    // was (no Telegram, its visits out of this chat's reach), and the pair waits for staff.
    let (bot_card, bot_phone): (i64, Option<String>) =
        sqlx::query_as("SELECT id, phone FROM clients WHERE telegram_id = $1")
            .bind(user)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_ne!(bot_card, card);
    assert_eq!(bot_phone, None);
    let staff_card: (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT telegram_id, phone FROM clients WHERE id = $1")
            .bind(card)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(staff_card, (None, Some("+79995556677".into())));
    let pairs: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT client_id, other_id, reason FROM client_duplicates")
            .fetch_all(&db.owner)
            .await
            .unwrap();
    assert_eq!(
        pairs,
        vec![(card.min(bot_card), card.max(bot_card), "phone".into())]
    );
    // Staff see the pair on either card.
    for (this, other) in [(bot_card, card), (card, bot_card)] {
        let (status, detail) = api.get(&format!("/api/v1/clients/{this}")).await;
        assert_eq!(status, 200, "{detail}");
        let ids: Vec<i64> = detail["possible_duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![other]);
    }
    let (visit, start): (i64, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT id, start_time FROM appointments WHERE client_id = $1")
            .bind(bot_card)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    let staff_visits: i64 =
        sqlx::query_scalar("SELECT count(*) FROM appointments WHERE client_id = $1")
            .bind(card)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(staff_visits, 0);
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM bot_messages WHERE chat_id = $1 AND client_id IS DISTINCT FROM $2",
    )
    .bind(user)
    .bind(bot_card)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(orphans, 0);

    // «Мои записи» → Перенести → a day → a time that staff fill up meanwhile.
    let staff = staff_events(&server, "admin@sever.demo").await;
    let mark = fake.mark(SEVER_TOKEN);
    fake.write(SEVER_TOKEN, user, "Мои записи");
    let mine = fake
        .wait_message_after(SEVER_TOKEN, user, "Ваши записи", mark)
        .await;
    fake.press(
        SEVER_TOKEN,
        user,
        &press_data(&mine, |t| t.starts_with("Перенести")),
    );
    let days = fake
        .wait_message_after(SEVER_TOKEN, user, "Выберите новый день", mark)
        .await;
    let day = buttons(&days)
        .into_iter()
        .skip(2)
        .find(|(text, _)| !text.starts_with("вс"))
        .unwrap()
        .1;
    fake.press(SEVER_TOKEN, user, &day);
    let slots = fake
        .wait_message_after(SEVER_TOKEN, user, "Свободное время", mark)
        .await;
    let times = buttons(&slots);
    let (_, taken) = times[0].clone();
    let taken_at = chrono::DateTime::from_timestamp(
        taken.rsplit('/').next().unwrap().parse::<i64>().unwrap(),
        0,
    )
    .unwrap();
    let (shop, service): (i64, i64) = sqlx::query_as(
        "SELECT a.shop_id, s.service_id FROM appointments a
         JOIN appointment_services s ON s.appointment_id = a.id WHERE a.id = $1",
    )
    .bind(visit)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let bays: i64 = sqlx::query_scalar("SELECT bays::bigint FROM shops WHERE id = $1")
        .bind(shop)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    for n in 0..bays {
        let (status, body) = api
            .post(
                "/api/v1/appointments/",
                json!({"shop_id": shop, "service_ids": [service], "start_time": taken_at.to_rfc3339(),
                       "client": {"full_name": format!("Занято {n}"), "phone": format!("+7999000000{n}")}}),
            )
            .await;
        // Demo visits may hold some of the bays already.
        if status == 409 {
            break;
        }
        assert_eq!(status, 201, "{body}");
    }
    let mark = fake.mark(SEVER_TOKEN);
    fake.press(SEVER_TOKEN, user, &taken);
    let retry = fake
        .wait_message_after(SEVER_TOKEN, user, "только что заняли", mark)
        .await;
    let (time, free) = buttons(&retry)
        .into_iter()
        .find(|(_, data)| *data != taken)
        .unwrap();
    fake.press(SEVER_TOKEN, user, &free);
    let done = fake
        .wait_message_after(SEVER_TOKEN, user, "перенесена на", mark)
        .await;
    assert!(done["text"].as_str().unwrap().contains(&time), "{done}");
    let moved: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT start_time FROM appointments WHERE id = $1")
            .bind(visit)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_ne!(moved, start);
    assert_eq!(
        moved.timestamp().to_string(),
        free.rsplit('/').next().unwrap()
    );
    let started = Instant::now();
    while !sse_events(&staff.lock().unwrap())
        .iter()
        .any(|e| e["type"] == "appointment.updated" && e["data"]["id"] == json!(visit))
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no appointment.updated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The client moved it themselves: no «staff moved your visit» message is queued.
    let staff_moved: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'moved:%'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert_eq!(staff_moved, 0);

    // Another customer's visit cannot be moved with a forged button.
    let other: i64 = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE tenant_id = $1 AND client_id <> $2 AND status = 'new' LIMIT 1",
    )
    .bind(sever.0)
    .bind(bot_card)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let forged = fake.press(SEVER_TOKEN, user, &format!("move:0:{other}"));
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(forged)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));
    db.drop().await;
}

/// The other order of events: a stranger types a number nobody has yet, then staff book its real
/// owner by phone. The typed number stays the stranger's word (`unverified_phone`), so staff's
/// booking makes a card of its own — its visit and reminders never reach the stranger's chat —
/// and the two cards are marked for staff. Only the owner's own shared contact joins a chat to
/// staff's card.
#[tokio::test]
async fn a_typed_phone_nobody_has_yet_does_not_capture_its_owner_later() {
    use app::domain::clients::{self, PhoneAttached, PhoneSource};

    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let stranger = clients::create(
        &mut tx,
        sever,
        clients::NewClient {
            full_name: "Незнакомец".into(),
            phone: None,
            email: None,
            telegram_id: Some(7_000_001),
            notes: String::new(),
            vehicles: Vec::new(),
        },
    )
    .await
    .unwrap();
    let (card, attached) =
        clients::attach_phone(&mut tx, stranger.id, "+79995550001", PhoneSource::Typed)
            .await
            .unwrap();
    assert_eq!((card, attached), (stranger.id, PhoneAttached::Noted));
    assert!(!clients::needs_phone(&mut tx, stranger.id).await.unwrap());
    let noted = clients::get(&mut tx, stranger.id).await.unwrap();
    assert_eq!(
        (noted.phone, noted.unverified_phone.as_deref()),
        (None, Some("+79995550001"))
    );

    // Staff book the number's real owner by phone: a card of their own.
    let (owner, created) =
        clients::find_or_create_by_phone(&mut tx, sever, "Анна", "+7 999 555-00-01")
            .await
            .unwrap();
    assert!(created);
    assert_ne!(owner.id, stranger.id);
    let marked: Vec<i64> = clients::possible_duplicates(&mut tx, owner.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(marked, vec![stranger.id]);
    // Staff search by the number finds both.
    let found = clients::search(&mut tx, Some("555-00-01"), 0, 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 2);

    // The owner shares their own contact from their own chat: that chat joins staff's card.
    let owner_chat = clients::create(
        &mut tx,
        sever,
        clients::NewClient {
            full_name: String::new(),
            phone: None,
            email: None,
            telegram_id: Some(7_000_002),
            notes: String::new(),
            vehicles: Vec::new(),
        },
    )
    .await
    .unwrap();
    let (card, attached) = clients::attach_phone(
        &mut tx,
        owner_chat.id,
        "+79995550001",
        PhoneSource::OwnContact,
    )
    .await
    .unwrap();
    assert_eq!((card, attached), (owner.id, PhoneAttached::Merged));
    let merged = clients::get(&mut tx, owner.id).await.unwrap();
    assert_eq!(merged.telegram_id, Some(7_000_002));
    tx.rollback().await.unwrap();
    db.drop().await;
}
