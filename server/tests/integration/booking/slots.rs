//! Free slots: opening hours, time zones and daylight saving, bays filling and freeing.

use super::*;

#[tokio::test]
async fn slots_of_an_empty_day_in_a_demo_shop() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    // 3 bays, 09:00–20:00 Monday to Saturday, Europe/Moscow, 30-minute steps.
    let shop = shop_id(&db, sever, "Север на Ленинградке").await;
    let oil = service_id(&db, sever, "Замена масла в двигателе").await; // 30 min
    let chassis = service_id(&db, sever, "Диагностика ходовой части").await; // 45 min

    let day = slots(&db, sever, shop, MONDAY, &[oil]).await.unwrap();
    // 09:00, 09:30, …, 19:30: 22 starts, every bay free.
    assert_eq!(day.len(), 22);
    assert!(day.iter().all(|s| s.free_bays == [1, 2, 3]));
    assert_eq!(day[21].end_time.to_rfc3339(), "2030-01-14T20:00:00+03:00");
    // The API's JSON: ISO-8601 with the shop's offset.
    assert_eq!(
        serde_json::to_value(&day[0]).unwrap(),
        json!({"start_time": "2030-01-14T09:00:00+03:00",
               "end_time": "2030-01-14T09:30:00+03:00",
               "free_bays": [1, 2, 3]})
    );

    // Two services: 75 minutes, so the last start is 18:30 (ends 19:45); repeats count once.
    let longer = slots(&db, sever, shop, MONDAY, &[oil, chassis, oil])
        .await
        .unwrap();
    assert_eq!(longer.len(), 20);
    assert_eq!(
        longer[19].end_time.to_rfc3339(),
        "2030-01-14T19:45:00+03:00"
    );

    // Closed on Sunday; nothing in the past; today only from now on.
    for closed in ["2030-01-13", "2020-01-13"] {
        assert!(slots(&db, sever, shop, closed, &[oil])
            .await
            .unwrap()
            .is_empty());
    }
    let now = Utc::now();
    // Moscow keeps UTC+3 all year.
    let today = (now + chrono::Duration::hours(3)).date_naive().to_string();
    for slot in slots(&db, sever, shop, &today, &[oil]).await.unwrap() {
        assert!(slot.start_time >= now, "{} is in the past", slot.start_time);
    }

    // What cannot be asked for.
    assert_not_found(slots(&db, sever, 999_999, MONDAY, &[oil]).await);
    assert_validation(slots(&db, sever, shop, MONDAY, &[]).await, "хотя бы одну");
    assert_validation(
        slots(&db, sever, shop, MONDAY, &[999_999]).await,
        "не найдена",
    );
    // Dates at the edge of the calendar are refused, not a panic.
    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let edge = booking::free_slots(&mut tx, shop, NaiveDate::MAX, &[oil]).await;
    assert_validation(edge, "между 1970 и 9999");
    tx.rollback().await.unwrap();
    db.drop().await;
}

#[tokio::test]
async fn slots_follow_daylight_saving_time() {
    let db = TestDb::new().await;
    let tenant = company(&db, "berlin").await;
    let all_day = json!([["00:00", "24:00"]]);
    let every_day = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day,
                           "fri": all_day, "sat": all_day, "sun": all_day});
    let round_the_clock = add_shop(&db, tenant, "Europe/Berlin", (2, every_day, 60)).await;
    let office = json!([["09:00", "18:00"]]);
    let weekends = json!({"sat": office, "sun": office});
    let office_hours = add_shop(&db, tenant, "Europe/Berlin", (1, weekends, 30)).await;
    let hour = add_service(&db, tenant, "Час", 60).await;
    let half_hour = add_service(&db, tenant, "Полчаса", 30).await;

    // Spring forward (2030-03-31): 02:00 does not exist, the day has 23 hours.
    let spring = slots(&db, tenant, round_the_clock, "2030-03-31", &[hour])
        .await
        .unwrap();
    assert_eq!(spring.len(), 23);
    assert_eq!(
        starts(&spring[..3]),
        [
            "2030-03-31T00:00:00+01:00",
            "2030-03-31T01:00:00+01:00",
            "2030-03-31T03:00:00+02:00"
        ]
    );
    assert_eq!(
        spring[22].end_time.to_rfc3339(),
        "2030-04-01T00:00:00+02:00"
    );
    // Fall back (2030-10-27): 02:00–03:00 happens twice, the day has 25 hours.
    let autumn = slots(&db, tenant, round_the_clock, "2030-10-27", &[hour])
        .await
        .unwrap();
    assert_eq!(autumn.len(), 25);
    assert_eq!(
        starts(&autumn[2..4]),
        ["2030-10-27T02:00:00+02:00", "2030-10-27T02:00:00+01:00"]
    );
    // An ordinary day has 24.
    let ordinary = slots(&db, tenant, round_the_clock, "2030-03-30", &[hour]).await;
    assert_eq!(ordinary.unwrap().len(), 24);

    // Office hours keep their wall-clock times on both sides of the switch.
    let before = slots(&db, tenant, office_hours, "2030-03-30", &[half_hour]).await;
    let after = slots(&db, tenant, office_hours, "2030-03-31", &[half_hour]).await;
    let (before, after) = (before.unwrap(), after.unwrap());
    assert_eq!((before.len(), after.len()), (18, 18));
    assert_eq!(
        before[0].start_time.to_rfc3339(),
        "2030-03-30T09:00:00+01:00"
    );
    assert_eq!(
        after[0].start_time.to_rfc3339(),
        "2030-03-31T09:00:00+02:00"
    );

    // Booking reads the same clock: 18:00 CEST is closing time, 17:30 the last half hour.
    let client = add_client(&db, tenant, "Клиент", "+491701234567").await;
    let last = visit(
        office_hours,
        client,
        &[half_hour],
        "2030-03-31T17:30:00+02:00",
    );
    let late = visit(
        office_hours,
        client,
        &[half_hour],
        "2030-03-31T17:31:00+02:00",
    );
    book(&db.app, tenant, last).await.unwrap();
    assert_validation(book(&db.app, tenant, late).await, "вне рабочего времени");
    db.drop().await;
}

#[tokio::test]
async fn slots_shrink_as_bays_fill_and_grow_when_visits_are_cancelled() {
    let db = TestDb::new().await;
    let (_, garage) = demo_companies(&db).await;
    // 2 bays, 08:00–22:00 every day.
    let shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await;
    let hour = service_id(&db, garage, "Замена шаровой опоры").await; // 60 min
    let oil = service_id(&db, garage, "Замена масла в двигателе").await; // 30 min
    let (client, _) = client_with_car(&db, garage, 0).await;
    let ten = visit(shop, client, &[hour], "2030-01-14T10:00:00+03:00");

    let empty = slots(&db, garage, shop, MONDAY, &[oil]).await.unwrap();
    assert_eq!(empty.len(), 28);

    let first = book(&db.app, garage, ten.clone()).await.unwrap();
    let one = slots(&db, garage, shop, MONDAY, &[oil]).await.unwrap();
    assert_eq!(one.len(), 28, "one bay is still free all day");
    assert_eq!(bays_at(&one, "2030-01-14T10:00:00+03:00"), Some(vec![2]));
    assert_eq!(bays_at(&one, "2030-01-14T10:30:00+03:00"), Some(vec![2]));
    assert_eq!(bays_at(&one, "2030-01-14T09:30:00+03:00"), Some(vec![1, 2]));
    assert_eq!(bays_at(&one, "2030-01-14T11:00:00+03:00"), Some(vec![1, 2]));

    book(&db.app, garage, ten).await.unwrap();
    let full = slots(&db, garage, shop, MONDAY, &[oil]).await.unwrap();
    assert_eq!(full.len(), 26, "10:00 and 10:30 are gone");
    assert_eq!(bays_at(&full, "2030-01-14T10:00:00+03:00"), None);
    assert_eq!(bays_at(&full, "2030-01-14T10:30:00+03:00"), None);
    // An hour-long visit cannot start at 09:30 either: it would run into 10:00.
    let long = slots(&db, garage, shop, MONDAY, &[hour]).await.unwrap();
    assert_eq!(bays_at(&long, "2030-01-14T09:30:00+03:00"), None);
    assert_eq!(
        bays_at(&long, "2030-01-14T09:00:00+03:00"),
        Some(vec![1, 2])
    );

    // A cancelled visit frees its bay.
    edit(&db, garage, first, to(Status::Cancelled))
        .await
        .unwrap();
    let freed = slots(&db, garage, shop, MONDAY, &[oil]).await.unwrap();
    assert_eq!(freed.len(), 28);
    assert_eq!(bays_at(&freed, "2030-01-14T10:00:00+03:00"), Some(vec![1]));
    db.drop().await;
}
