//! The dialogue end to end: greeting, symptoms answered by the concierge, booking, the transcript.

use super::*;

#[tokio::test]
async fn dialogue_greets_answers_symptoms_and_keeps_the_transcript() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let user = 5_550_001;
    // Staff's live stream: the bot's new client and booking must show up there.
    let staff = staff_events(&server, "admin@sever.demo").await;

    fake.write(SEVER_TOKEN, user, "/start");
    let greeting = fake
        .wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    let menu = greeting["reply_markup"]["keyboard"].to_string();
    for button in ["Записаться", "Задать вопрос", "Мои записи"] {
        assert!(menu.contains(button), "menu {menu}");
    }

    let symptom = "стучит спереди справа на кочках";
    fake.write(SEVER_TOKEN, user, symptom);
    let answer = fake
        .wait_message(SEVER_TOKEN, user, "Подходящие работы")
        .await;
    let text = answer["text"].as_str().unwrap();
    let suspension: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, price::bigint FROM services WHERE tenant_id = $1 AND category = 'suspension'",
    )
    .bind(sever.0)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert!(
        suspension
            .iter()
            .any(|(name, price)| text.contains(&format!("{name} — {}", rubles(*price)))),
        "no suspension service with its price in {text:?}"
    );
    assert_eq!(
        answer["reply_markup"]["inline_keyboard"][0][0],
        json!({"text": "Записаться", "callback_data": "book:1:"})
    );

    // The transcript: the customer's words with the concierge's analysis, and the answer.
    let transcript: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT direction, text, analysis IS NOT NULL FROM bot_messages
         WHERE tenant_id = $1 AND chat_id = $2 ORDER BY id",
    )
    .bind(sever.0)
    .bind(user)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(transcript.len(), 4, "{transcript:?}");
    // Which engine answered and how long it took, per message (the AI fallback rate's source).
    let (engine, latency, fallback): (Option<String>, Option<i64>, Option<String>) =
        sqlx::query_as(
            "SELECT analysis ->> 'engine', (analysis ->> 'latency_ms')::bigint, analysis ->> 'fallback'
             FROM bot_messages WHERE tenant_id = $1 AND chat_id = $2 AND analysis IS NOT NULL",
        )
        .bind(sever.0)
        .bind(user)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(engine.as_deref(), Some("rules"));
    assert!(latency.is_some_and(|ms| ms >= 0));
    assert_eq!(fallback, None, "no LLM configured: not a fallback");
    assert_eq!(transcript[2], ("in".into(), symptom.into(), true));
    assert_eq!(transcript[3].0, "out");
    assert_eq!(transcript[3].1, text);

    // The client exists once, in this company, with the Telegram ids.
    let clients: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT tenant_id, full_name, telegram_chat_id FROM clients WHERE telegram_id = $1",
    )
    .bind(user)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(clients, vec![(sever.0, "Иван Петров".into(), Some(user))]);

    // «Записаться» under the answer: service → shop → day → time → confirmation.
    fake.press(SEVER_TOKEN, user, "book:1:");
    let services = fake
        .wait_message(SEVER_TOKEN, user, "Какую работу записать?")
        .await;
    let (service_name, data) = buttons(&services)
        .into_iter()
        .find(|(text, _)| suspension.iter().any(|(name, _)| name == text))
        .expect("a suspension service offered");
    let service_id: i64 = data.rsplit(':').next().unwrap().parse().unwrap();
    fake.press(SEVER_TOKEN, user, &data);
    let shops = fake
        .wait_message(SEVER_TOKEN, user, "В какой сервис удобнее приехать?")
        .await;
    let shop_buttons = buttons(&shops);
    assert_eq!(shop_buttons.len(), 2, "Север has two shops");
    fake.press(SEVER_TOKEN, user, &shop_buttons[0].1);
    let days = fake.wait_message(SEVER_TOKEN, user, "Выберите день").await;
    // Only days with free time: seven of them, never a Sunday (the shop is closed then).
    let day_buttons = buttons(&days);
    assert_eq!(day_buttons.len(), 7, "{day_buttons:?}");
    assert!(
        day_buttons.iter().all(|(text, _)| !text.starts_with("вс")),
        "a closed day offered: {day_buttons:?}"
    );
    // Not the first (today's last hours may be taken by the demo).
    let (_, day) = day_buttons.into_iter().nth(1).unwrap();
    fake.press(SEVER_TOKEN, user, &day);
    let slots = fake
        .wait_message(SEVER_TOKEN, user, "Свободное время")
        .await;
    let (time, slot) = buttons(&slots).into_iter().next().unwrap();
    fake.press(SEVER_TOKEN, user, &slot);
    // The phone is unknown: a reply keyboard with Telegram's «share contact» button.
    let ask_phone = fake.wait_message(SEVER_TOKEN, user, "номер телефона").await;
    assert_eq!(
        ask_phone["reply_markup"]["keyboard"][0][0]["request_contact"],
        json!(true),
        "{ask_phone}"
    );
    fake.share_contact(SEVER_TOKEN, user, "79161112233");
    let ask_car = fake
        .wait_message(SEVER_TOKEN, user, "На какой машине")
        .await;
    assert!(buttons(&ask_car)
        .iter()
        .any(|(text, _)| text == "Пропустить"));
    fake.wait_message(SEVER_TOKEN, user, "+79161112233").await;
    fake.write(SEVER_TOKEN, user, "kia rio а123вс77");
    let confirm = fake
        .wait_message(SEVER_TOKEN, user, "Проверьте запись")
        .await;
    assert!(confirm["text"].as_str().unwrap().contains(&service_name));
    assert!(confirm["text"].as_str().unwrap().contains(&time));
    assert!(
        confirm["text"]
            .as_str()
            .unwrap()
            .contains("Kia rio · А123ВС77"),
        "{confirm}"
    );
    let ok = buttons(&confirm)
        .into_iter()
        .find(|(text, _)| text == "Подтвердить")
        .unwrap()
        .1;
    fake.press(SEVER_TOKEN, user, &ok);
    fake.wait_message(SEVER_TOKEN, user, "Готово, вы записаны")
        .await;
    // The phone is on the client's card, the car among their cars and on the visit.
    let (phone, make, model, plate): (Option<String>, String, String, Option<String>) =
        sqlx::query_as(
            "SELECT c.phone, v.make, v.model, v.plate FROM appointments a
             JOIN clients c ON c.id = a.client_id
             JOIN vehicles v ON v.id = a.vehicle_id AND v.client_id = c.id
             WHERE c.telegram_id = $1 AND a.tenant_id = $2",
        )
        .bind(user)
        .bind(sever.0)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(phone.as_deref(), Some("+79161112233"));
    assert_eq!(
        (make.as_str(), model.as_str(), plate.as_deref()),
        ("Kia", "rio", Some("А123ВС77"))
    );
    let booked: Vec<(String, String, String, String, bool, Vec<i64>)> = sqlx::query_as(
        "SELECT a.status, a.source, a.customer_note, a.ai_summary, a.ai_analysis IS NOT NULL,
                array_agg(s.service_id)
         FROM appointments a JOIN clients c ON c.id = a.client_id
         JOIN appointment_services s ON s.appointment_id = a.id
         WHERE c.telegram_id = $1 AND a.tenant_id = $2 GROUP BY a.id",
    )
    .bind(user)
    .bind(sever.0)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(booked.len(), 1, "{booked:?}");
    let (status, source, note, summary, analysed, services) = &booked[0];
    assert_eq!((status.as_str(), source.as_str()), ("new", "telegram"));
    assert_eq!(note, symptom);
    assert!(!summary.is_empty() && *analysed);
    assert_eq!(services, &vec![service_id]);
    let started = Instant::now();
    let created = loop {
        let events = staff.lock().unwrap().clone();
        if let Some(event) = sse_events(&events)
            .into_iter()
            .find(|e| e["type"] == "appointment.created")
        {
            break event;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no event in {events}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(created["data"]["source"], "telegram");
    assert_eq!(created["data"]["service_ids"], json!([service_id]));
    assert!(sse_events(&staff.lock().unwrap())
        .iter()
        .any(|e| e["type"] == "client.created" && e["data"]["telegram_id"] == json!(user)));
    // The card changed twice in the dialogue — the shared phone, then the car typed in — and
    // staff's stream heard of both, as when staff change a card themselves.
    let client_id = created["data"]["client_id"].clone();
    let updates = sse_events(&staff.lock().unwrap())
        .into_iter()
        .filter(|e| e["type"] == "client.updated" && e["data"]["id"] == client_id)
        .count();
    assert_eq!(updates, 2, "{}", staff.lock().unwrap());
    // Confirming again does not book twice.
    let again = fake.press(SEVER_TOKEN, user, &ok);
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(again)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));

    // A press under an older answer, and a button the bot never made: a polite toast.
    let stale = fake.press(SEVER_TOKEN, user, "book:0");
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(stale)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));
    let foreign = fake.press(SEVER_TOKEN, user, "something-else");
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(foreign)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("не действует"));

    fake.write(SEVER_TOKEN, user, "Мои записи");
    let mine = fake.wait_message(SEVER_TOKEN, user, "Ваши записи").await;
    let text = mine["text"].as_str().unwrap();
    assert!(
        text.contains(&service_name) && text.contains("ждёт подтверждения"),
        "{text}"
    );

    // Someone else's visit cannot be cancelled with a forged button.
    let (other, other_status): (i64, String) = sqlx::query_as(
        "SELECT a.id, a.status FROM appointments a JOIN clients c ON c.id = a.client_id
         WHERE a.tenant_id = $1 AND c.telegram_id IS DISTINCT FROM $2 AND a.status = 'new' LIMIT 1",
    )
    .bind(sever.0)
    .bind(user)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let forged = fake.press(SEVER_TOKEN, user, &format!("cancel:2:{other}"));
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(forged)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));
    let status: String = sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
        .bind(other)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(status, other_status);

    // The customer's own visit: cancelled from «Мои записи», and staff hear of it.
    let mine_buttons = buttons(&mine);
    assert!(
        mine_buttons
            .iter()
            .any(|(label, _)| label.starts_with("Перенести")),
        "{mine_buttons:?}"
    );
    let (label, cancel) = mine_buttons
        .into_iter()
        .find(|(label, _)| label.starts_with("Отменить"))
        .unwrap();
    assert!(label.contains(&time), "{label}");
    fake.press(SEVER_TOKEN, user, &cancel);
    fake.wait_message(SEVER_TOKEN, user, "отменена").await;
    let status: String = sqlx::query_scalar(
        "SELECT a.status FROM appointments a JOIN clients c ON c.id = a.client_id
         WHERE c.telegram_id = $1 AND a.tenant_id = $2",
    )
    .bind(user)
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(status, "cancelled");
    let started = Instant::now();
    while !sse_events(&staff.lock().unwrap())
        .iter()
        .any(|e| e["type"] == "appointment.updated" && e["data"]["status"] == "cancelled")
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no appointment.updated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Pressing it again: the visit is already cancelled.
    let again = fake.press(SEVER_TOKEN, user, &cancel);
    let toast = fake
        .wait_call(SEVER_TOKEN, "answercallbackquery", |b| {
            b["callback_query_id"] == json!(again)
        })
        .await;
    assert!(toast["text"].as_str().unwrap().contains("устарело"));

    // The conversation state survived in the database (a restart would find it).
    let state: Value = sqlx::query_scalar(
        "SELECT state FROM bot_conversations WHERE tenant_id = $1 AND chat_id = $2",
    )
    .bind(sever.0)
    .bind(user)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    // The booking moved the conversation on: its buttons are stale now.
    assert_eq!(state["request_no"], json!(2));
    assert_eq!(state["last_request"]["text"], json!(symptom));
    db.drop().await;
}

/// A service one shop offers is booked there: the bot does not ask which shop.
#[tokio::test]
async fn a_service_of_one_shop_is_booked_there_without_asking_for_the_shop() {
    let (db, fake, _server) = super::sever_with_bot().await;
    let sever = tenant(&db, "sever").await;
    let second: i64 =
        sqlx::query_scalar("SELECT id FROM shops WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(sever.0)
            .fetch_one(&db.owner)
            .await
            .unwrap();
    sqlx::query("UPDATE services SET shop_id = $2 WHERE tenant_id = $1")
        .bind(sever.0)
        .bind(second)
        .execute(&db.owner)
        .await
        .unwrap();
    let user = 5_550_077;
    fake.write(SEVER_TOKEN, user, "стучит спереди справа на кочках");
    let answer = fake
        .wait_message(SEVER_TOKEN, user, "Подходящие работы")
        .await;
    let (_, book) = buttons(&answer).into_iter().next().unwrap();
    fake.press(SEVER_TOKEN, user, &book);
    let services = fake
        .wait_message(SEVER_TOKEN, user, "Какую работу записать?")
        .await;
    let (_, service) = buttons(&services).into_iter().next().unwrap();
    fake.press(SEVER_TOKEN, user, &service);
    fake.wait_message(SEVER_TOKEN, user, "Выберите день").await;
    assert!(
        fake.calls(SEVER_TOKEN, "sendmessage")
            .iter()
            .all(|m| m["text"] != json!("В какой сервис удобнее приехать?")),
        "the shop question was asked"
    );
}

/// «Записаться» in the menu opens the catalogue: a section, a service, another one, then the
/// shop, the day and the time, and one visit holds both services (issue 15: no describing the
/// problem is needed to book).
#[tokio::test]
async fn the_menu_books_several_services_from_the_catalogue() {
    let (db, fake, _server) = super::sever_with_bot().await;
    let sever = tenant(&db, "sever").await;
    // A section with two services offered in every shop.
    let (category, names): (String, Vec<String>) = sqlx::query_as(
        "SELECT category, (array_agg(name ORDER BY name))[1:2] FROM services
         WHERE tenant_id = $1 AND is_active AND shop_id IS NULL AND category <> ''
         GROUP BY category HAVING count(*) >= 2 ORDER BY category LIMIT 1",
    )
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    let user = 5_550_088;
    fake.write(SEVER_TOKEN, user, "Записаться");
    let sections = fake
        .wait_message(SEVER_TOKEN, user, "Выберите раздел — или просто опишите")
        .await;
    let (_, section) = buttons(&sections)
        .into_iter()
        .find(|(text, _)| *text == app::format::category_label(&category))
        .unwrap_or_else(|| panic!("no section for {category} in {sections}"));

    for (i, name) in names.iter().enumerate() {
        let mark = fake.mark(SEVER_TOKEN);
        fake.press(SEVER_TOKEN, user, &section);
        let services = fake
            .wait_message_after(SEVER_TOKEN, user, "что записать?", mark)
            .await;
        let offered = buttons(&services);
        assert!(
            offered.iter().any(|(text, _)| text == "← Все разделы"),
            "{offered:?}"
        );
        let price: i64 = sqlx::query_scalar(
            "SELECT price::bigint FROM services WHERE tenant_id = $1 AND name = $2",
        )
        .bind(sever.0)
        .bind(name)
        .fetch_one(&db.owner)
        .await
        .unwrap();
        let (_, pick) = offered
            .into_iter()
            .find(|(text, _)| *text == format!("{name} · {}", super::rubles(price)))
            .unwrap_or_else(|| panic!("{name} with its price not offered in {services}"));
        let mark = fake.mark(SEVER_TOKEN);
        fake.press(SEVER_TOKEN, user, &pick);
        let chosen = fake
            .wait_message_after(SEVER_TOKEN, user, "Выбрано:", mark)
            .await;
        let expected = names[..=i].join(", ");
        assert!(
            chosen["text"]
                .as_str()
                .unwrap()
                .starts_with(&format!("Выбрано: {expected}.")),
            "{chosen}"
        );
        let next = if i + 1 < names.len() {
            "Добавить ещё работу"
        } else {
            "Выбрать сервис и время"
        };
        let (_, data) = buttons(&chosen)
            .into_iter()
            .find(|(text, _)| text == next)
            .unwrap();
        let mark = fake.mark(SEVER_TOKEN);
        fake.press(SEVER_TOKEN, user, &data);
        if i + 1 < names.len() {
            fake.wait_message_after(SEVER_TOKEN, user, "Выберите раздел:", mark)
                .await;
        }
    }
    let shops = fake
        .wait_message(SEVER_TOKEN, user, "В какой сервис удобнее приехать?")
        .await;
    fake.press(SEVER_TOKEN, user, &buttons(&shops)[0].1);
    let days = fake.wait_message(SEVER_TOKEN, user, "Выберите день").await;
    fake.press(SEVER_TOKEN, user, &buttons(&days)[1].1);
    let slots = fake
        .wait_message(SEVER_TOKEN, user, "Свободное время")
        .await;
    fake.press(SEVER_TOKEN, user, &buttons(&slots)[0].1);
    fake.wait_message(SEVER_TOKEN, user, "номер телефона").await;
    fake.share_contact(SEVER_TOKEN, user, "79161114455");
    let car = fake
        .wait_message(SEVER_TOKEN, user, "На какой машине")
        .await;
    let (_, skip) = buttons(&car)
        .into_iter()
        .find(|(text, _)| text == "Пропустить")
        .unwrap();
    fake.press(SEVER_TOKEN, user, &skip);
    let confirm = fake
        .wait_message(SEVER_TOKEN, user, "Проверьте запись")
        .await;
    assert!(
        confirm["text"]
            .as_str()
            .unwrap()
            .contains(&names.join(", ")),
        "{confirm}"
    );
    let (_, ok) = buttons(&confirm)
        .into_iter()
        .find(|(text, _)| text == "Подтвердить")
        .unwrap();
    fake.press(SEVER_TOKEN, user, &ok);
    fake.wait_message(SEVER_TOKEN, user, "Готово, вы записаны")
        .await;
    let (source, note, booked, total): (String, String, Vec<String>, i64) = sqlx::query_as(
        "SELECT a.source, a.customer_note, array_agg(s.name ORDER BY s.name),
                a.total_price::bigint
         FROM appointments a JOIN clients c ON c.id = a.client_id
         JOIN appointment_services x ON x.appointment_id = a.id
         JOIN services s ON s.id = x.service_id
         WHERE c.telegram_id = $1 AND a.tenant_id = $2 GROUP BY a.id",
    )
    .bind(user)
    .bind(sever.0)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(source, "telegram");
    assert_eq!(note, "", "nothing was described");
    assert_eq!(booked, names);
    let prices: i64 = sqlx::query_scalar(
        "SELECT sum(price)::bigint FROM services WHERE tenant_id = $1 AND name = ANY($2)",
    )
    .bind(sever.0)
    .bind(&names)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(total, prices);
}

/// A location shared from Telegram's attachment menu (issue 15): while choosing the shop of a
/// booking, the nearest shop that offers the service is chosen and the days follow; otherwise
/// the nearest shop is named with its distance.
#[tokio::test]
async fn a_shared_location_picks_the_nearest_shop() {
    let (db, fake, _server) = super::sever_with_bot().await;
    let sever = tenant(&db, "sever").await;
    let location = |user: i64, latitude: f64, longitude: f64| {
        json!({"message": {
            "message_id": 9, "date": 1_764_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Иван"},
            "from": FakeTelegram::user(user),
            "location": {"latitude": latitude, "longitude": longitude},
        }})
    };
    let khimki: i64 =
        sqlx::query_scalar("SELECT id FROM shops WHERE tenant_id = $1 AND name = 'Север в Химках'")
            .bind(sever.0)
            .fetch_one(&db.owner)
            .await
            .unwrap();

    let user = 5_550_099;
    fake.write(SEVER_TOKEN, user, "стучит спереди справа на кочках");
    let answer = fake
        .wait_message(SEVER_TOKEN, user, "Подходящие работы")
        .await;
    fake.press(SEVER_TOKEN, user, &buttons(&answer)[0].1);
    let services = fake
        .wait_message(SEVER_TOKEN, user, "Какую работу записать?")
        .await;
    fake.press(SEVER_TOKEN, user, &buttons(&services)[0].1);
    fake.wait_message(SEVER_TOKEN, user, "Или отправьте геопозицию")
        .await;
    // A few hundred metres from the Khimki shop.
    fake.push(SEVER_TOKEN, location(user, 55.8870, 37.4460));
    let days = fake
        .wait_message(SEVER_TOKEN, user, "Ближайший к вам — «Север в Химках»")
        .await;
    assert!(days["text"].as_str().unwrap().contains(" м)"), "{days}");
    assert!(!buttons(&days).is_empty(), "the days follow: {days}");
    let chosen: Option<i64> = sqlx::query_scalar(
        "SELECT (state -> 'draft' ->> 'shop_id')::bigint FROM bot_conversations
         WHERE tenant_id = $1 AND chat_id = $2",
    )
    .bind(sever.0)
    .bind(user)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(chosen, Some(khimki));

    // Outside a booking: the nearest shop, its address, phone and distance.
    let other = 5_550_100;
    fake.push(SEVER_TOKEN, location(other, 55.8300, 37.4950));
    let named = fake
        .wait_message(
            SEVER_TOKEN,
            other,
            "Ближайший к вам сервис — «Север на Ленинградке»",
        )
        .await;
    let text = named["text"].as_str().unwrap();
    assert!(
        text.contains("Ленинградское ш., 52")
            && text.contains("+74951234501")
            && text.contains("км)"),
        "{text}"
    );
    let kept: String = sqlx::query_scalar(
        "SELECT text FROM bot_messages WHERE tenant_id = $1 AND chat_id = $2 AND direction = 'in'",
    )
    .bind(sever.0)
    .bind(other)
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(kept, "📍 Геопозиция: 55.83000, 37.49500");
}
