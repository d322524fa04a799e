//! Booking: what is written, what is refused, and concurrent bookings of one slot.

use super::*;

#[tokio::test]
async fn booking_writes_the_visit_its_services_price_and_history() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север в Химках").await;
    // 30 min, 1200 ₽ and 60 min, 2000 ₽.
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let pads = service_id(&db, sever, "Замена тормозных колодок (ось)").await;
    let (client, car) = client_with_car(&db, sever, 0).await;
    let admin = user_id(&db, sever, "admin@sever.demo").await;
    // The catalogue's buffer time holds the bay after the job.
    let sql =
        "UPDATE services SET buffer_minutes = 15 WHERE tenant_id = $1 AND id = $2 RETURNING id";
    insert(&db, sever, sql, &[json!(pads)]).await;

    let analysis =
        json!({"intent": "booking", "diagnoses": [{"title": "Износ колодок", "confidence": 0.8}]});
    let new = with(
        &visit(shop, client, &[pads, oil], "2030-01-14T10:00:00+03:00"),
        |b| {
            b.vehicle_id = Some(car);
            b.source = Channel::Telegram;
            b.customer_note = "Скрипят тормоза".into();
            b.ai_summary = "Замена колодок".into();
            b.ai_analysis = Some(analysis.clone());
            b.created_by = Some(admin);
        },
    );
    let id = book(&db.app, sever, new).await.unwrap();

    let appointment = get(&db, sever, id).await.unwrap();
    assert_eq!(appointment.bay, 1, "the lowest free bay");
    assert_eq!(appointment.status, Status::New);
    assert_eq!(appointment.source, Channel::Telegram);
    assert_eq!(appointment.vehicle_id, Some(car));
    assert_eq!(
        appointment.ai_analysis.as_ref().and_then(|raw| raw.parse()),
        Some(analysis)
    );
    // 60 + 15 buffer + 30 minutes; 2000 + 1200 ₽.
    assert_eq!(
        appointment.end_time.to_rfc3339(),
        "2030-01-14T11:45:00+03:00"
    );
    assert_eq!(appointment.total_price, Decimal::from(3200));

    // The JSON is v1's shape, prices as numbers, times with the shop's offset.
    let json = serde_json::to_value(&appointment).unwrap();
    let keys: BTreeSet<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "id",
        "tenant_id",
        "shop_id",
        "client_id",
        "client",
        "vehicle_id",
        "service_ids",
        "services",
        "bay",
        "start_time",
        "end_time",
        "status",
        "source",
        "customer_note",
        "ai_summary",
        "total_price",
        "created_at",
        "updated_at",
        "ai_analysis",
        "cancel_reason",
        // Beyond v1 (additive): staff's note and staff's correction of the findings.
        "staff_note",
        "ai_edit",
    ]
    .into();
    assert_eq!(keys, expected);
    assert_eq!(json["tenant_id"], json!(sever.0));
    assert_eq!(json["client"]["id"], json!(client));
    assert!(json["client"]["full_name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert!(json["client"]["phone"]
        .as_str()
        .is_some_and(|p| p.starts_with("+7")));
    assert_eq!(json["total_price"], json!(3200.0));
    assert_eq!(json["status"], json!("new"));
    assert_eq!(json["source"], json!("telegram"));
    assert_eq!(json["start_time"], json!("2030-01-14T10:00:00+03:00"));
    assert_eq!(json["service_ids"], json!([oil.min(pads), oil.max(pads)]));
    assert!(json["services"].as_array().unwrap().contains(&json!({
        "id": pads, "name": "Замена тормозных колодок (ось)", "price": 2000.0, "duration_minutes": 60
    })));
    // Reading the JSON back gives the same appointment.
    let parsed: Appointment = serde_json::from_value(json).unwrap();
    assert_eq!(parsed, appointment);

    // The booking itself is the first entry of the history.
    let entries = history(&db, sever, id).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].from_status, entries[0].to_status),
        (None, Status::New)
    );
    assert_eq!(entries[0].changed_by, Some(admin));
    assert_eq!(entries[0].channel, Channel::Telegram);

    // An explicit end time wins over the services' durations; an explicit bay is kept.
    let explicit = with(
        &visit(shop, client, &[oil], "2030-01-14T10:00:00+03:00"),
        |b| {
            b.end_time = Some(at("2030-01-14T12:00:00+03:00"));
            b.bay = Some(2);
        },
    );
    let id = book(&db.app, sever, explicit).await.unwrap();
    let explicit = get(&db, sever, id).await.unwrap();
    assert_eq!(explicit.end_time.to_rfc3339(), "2030-01-14T12:00:00+03:00");
    assert_eq!(explicit.bay, 2);
    db.drop().await;
}

#[tokio::test]
async fn invalid_bookings_are_refused_and_write_nothing() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север на Ленинградке").await; // 3 bays, 09–20
    let other_shop = shop_id(&db, sever, "Север в Химках").await;
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let (client, car) = client_with_car(&db, sever, 0).await;
    let (other_client, other_car) = client_with_car(&db, sever, 1).await;
    assert_ne!(client, other_client);
    let retired = insert(
        &db,
        sever,
        "INSERT INTO services (tenant_id, name, price, duration_minutes, is_active)
         VALUES ($1, 'Снятая услуга', 100, 30, false) RETURNING id",
        &[],
    )
    .await;
    let elsewhere = insert(
        &db,
        sever,
        "INSERT INTO services (tenant_id, shop_id, name, price, duration_minutes)
         VALUES ($1, $2, 'Только в Химках', 100, 30) RETURNING id",
        &[json!(other_shop)],
    )
    .await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM appointments")
            .fetch_one(&db.owner)
            .await
            .unwrap()
    };
    let before = count().await;
    let ok = visit(shop, client, &[oil], "2030-01-14T10:00:00+03:00");

    let outside = [
        "2030-01-14T08:30:00+03:00", // before opening
        "2030-01-14T19:45:00+03:00", // runs past closing
        "2030-01-13T12:00:00+03:00", // Sunday: closed
    ];
    for start in outside {
        let result = book(&db.app, sever, visit(shop, client, &[oil], start)).await;
        assert_validation(result, "вне рабочего времени");
    }
    let refused = [
        (
            with(&ok, |b| b.end_time = Some(b.start_time)),
            "позже времени начала",
        ),
        (with(&ok, |b| b.bay = Some(4)), "от 1 до 3"),
        (with(&ok, |b| b.bay = Some(0)), "от 1 до 3"),
        (with(&ok, |b| b.service_ids = vec![]), "хотя бы одну"),
        (
            with(&ok, |b| b.service_ids = (1..=21).collect()),
            "не больше 20",
        ),
        (
            with(&ok, |b| b.service_ids = vec![retired]),
            "сейчас не оказывается",
        ),
        (
            with(&ok, |b| b.service_ids = vec![oil, elsewhere]),
            "не оказывается в этом",
        ),
        (with(&ok, |b| b.client_id = 999_999), "Клиент не найден"),
        (
            with(&ok, |b| b.vehicle_id = Some(999_999)),
            "Автомобиль не найден",
        ),
        (
            with(&ok, |b| b.vehicle_id = Some(other_car)),
            "другому клиенту",
        ),
        (with(&ok, |b| b.source = Channel::System), "Источник"),
        (
            with(&ok, |b| b.start_time = DateTime::<Utc>::MAX_UTC),
            "между 1970 и 9999",
        ),
        (
            with(&ok, |b| b.end_time = Some(DateTime::<Utc>::MAX_UTC)),
            "между 1970 и 9999",
        ),
    ];
    for (new, needle) in refused {
        assert_validation(book(&db.app, sever, new).await, needle);
    }
    assert_not_found(book(&db.app, sever, with(&ok, |b| b.shop_id = 999_999)).await);
    assert_eq!(count().await, before, "nothing may be written");

    // The visit itself is fine, also with the client's own car.
    book(&db.app, sever, with(&ok, |b| b.vehicle_id = Some(car)))
        .await
        .unwrap();
    let theirs = with(&ok, |b| {
        b.client_id = other_client;
        b.vehicle_id = Some(other_car);
    });
    book(&db.app, sever, theirs).await.unwrap();
    assert_eq!(count().await, before + 2);
    db.drop().await;
}

#[tokio::test]
async fn no_free_bay_is_a_conflict() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север в Химках").await; // 2 bays
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, sever, 0).await;
    let ten = visit(shop, client, &[oil], "2030-01-14T10:00:00+03:00");

    // Bay 2 asked for by number; the next booking gets the lowest free one, bay 1.
    let second = book(&db.app, sever, with(&ten, |b| b.bay = Some(2)))
        .await
        .unwrap();
    let first = book(&db.app, sever, ten.clone()).await.unwrap();
    assert_eq!(get(&db, sever, second).await.unwrap().bay, 2);
    assert_eq!(get(&db, sever, first).await.unwrap().bay, 1);

    assert_conflict(book(&db.app, sever, ten.clone()).await, NO_FREE_BAY);
    // Overlapping by a minute is overlapping; a taken bay asked for by number is named.
    let overlapping = visit(shop, client, &[oil], "2030-01-14T10:29:00+03:00");
    assert_conflict(book(&db.app, sever, overlapping).await, NO_FREE_BAY);
    let taken = with(&ten, |b| b.bay = Some(1));
    assert_conflict(book(&db.app, sever, taken).await, "Пост 1 занят");
    // Back to back is not overlapping.
    let next = visit(shop, client, &[oil], "2030-01-14T10:30:00+03:00");
    book(&db.app, sever, next).await.unwrap();
    db.drop().await;
}

/// Several worker threads, so that the contenders really run side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_bookings_of_one_slot_in_a_two_bay_shop_two_win() {
    let db = TestDb::new().await;
    let (_, garage) = demo_companies(&db).await;
    let shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await; // 2 bays
    let oil = service_id(&db, garage, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, garage, 0).await;
    // One connection per contender, so that all 40 transactions really are open at once.
    let contenders = Db::connect_app(&db.config, &db.owner_url, 40)
        .await
        .unwrap();
    // A lucky interleaving can hide a race in one contest; three contests rarely all do.
    for start in [
        "2030-01-14T12:00:00+03:00",
        "2030-01-14T14:00:00+03:00",
        "2030-01-14T16:00:00+03:00",
    ] {
        let barrier = Arc::new(tokio::sync::Barrier::new(40));
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let app = contenders.clone();
            let barrier = barrier.clone();
            let new = visit(shop, client, &[oil], start);
            tasks.push(tokio::spawn(async move {
                let mut tx = app.tenant_tx(garage).await.unwrap();
                barrier.wait().await;
                match booking::book(&mut tx, garage, new).await {
                    Ok(id) => tx.commit().await.map(|_| Some(id)).map_err(Error::from),
                    Err(Error::Conflict(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            }));
        }
        let mut won = Vec::new();
        for task in tasks {
            if let Some(id) = task.await.unwrap().expect("only conflicts are acceptable") {
                won.push(id);
            }
        }
        assert_eq!(won.len(), 2, "{start}: exactly as many bookings as bays");
        let mut bays = Vec::new();
        for id in won {
            bays.push(get(&db, garage, id).await.unwrap().bay);
        }
        bays.sort();
        assert_eq!(bays, [1, 2], "{start}");
    }
    contenders.pool().close().await;
    db.drop().await;
}

#[tokio::test]
async fn a_booking_waits_for_a_concurrent_one_and_takes_the_next_bay() {
    let db = TestDb::new().await;
    let (_, garage) = demo_companies(&db).await;
    let shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await; // 2 bays
    let oil = service_id(&db, garage, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, garage, 0).await;
    let noon = visit(shop, client, &[oil], "2030-01-14T12:00:00+03:00");

    // The first booking has taken bay 1 but not committed yet.
    let mut first = db.app.tenant_tx(garage).await.unwrap();
    let first_id = booking::book(&mut first, garage, noon.clone())
        .await
        .unwrap();
    // The second must wait for it rather than decide on what it cannot see yet: picking bay 1
    // too would end in a conflict although bay 2 is free.
    let app = db.app.clone();
    let second = tokio::spawn(async move { book(&app, garage, noon).await });
    wait_for_a_lock_wait(&db, "the second booking should wait for the first").await;
    first.commit().await.unwrap();
    let second_id = second.await.unwrap().expect("bay 2 is free");
    assert_eq!(get(&db, garage, first_id).await.unwrap().bay, 1);
    assert_eq!(get(&db, garage, second_id).await.unwrap().bay, 2);
    db.drop().await;
}

#[tokio::test]
async fn a_writer_that_races_past_the_check_is_stopped_by_the_exclusion_constraint() {
    let db = TestDb::new().await;
    let (_, garage) = demo_companies(&db).await;
    let shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await;
    let oil = service_id(&db, garage, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, garage, 0).await;

    // Another writer (not through `book`) holds bay 1 at 12:00 in a transaction not yet committed.
    let mut other = db.app.tenant_tx(garage).await.unwrap();
    sqlx::query(
        "INSERT INTO appointments (tenant_id, shop_id, client_id, bay, start_time, end_time, source)
         VALUES ($1, $2, $3, 1, '2030-01-14 12:00+03', '2030-01-14 12:30+03', 'api')",
    )
    .bind(garage.0)
    .bind(shop)
    .bind(client)
    .execute(&mut *other)
    .await
    .unwrap();

    // `book` cannot see it yet, finds bay 1 free and inserts — which must wait for the other.
    let app = db.app.clone();
    let noon = visit(shop, client, &[oil], "2030-01-14T12:00:00+03:00");
    let racing =
        tokio::spawn(async move { book(&app, garage, with(&noon, |b| b.bay = Some(1))).await });
    wait_for_a_lock_wait(&db, "the booking should wait for the other writer's row").await;
    other.commit().await.unwrap();
    assert_conflict(racing.await.unwrap(), NO_FREE_BAY);
    db.drop().await;
}
