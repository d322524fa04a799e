//! Status transitions, moving a visit, and listing visits by date in each shop's time zone.

use super::*;

#[tokio::test]
async fn every_allowed_transition_works_and_every_other_is_refused() {
    use Status::*;
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север на Ленинградке").await;
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let (client, _) = client_with_car(&db, sever, 0).await;
    let manager = user_id(&db, sever, "manager@sever.demo").await;
    let reason = "Клиент заболел";

    // Every allowed transition, walked from a new booking. The first path only cancels a
    // confirmed visit; the others leave one visit in each status.
    let paths: [&[Status]; 7] = [
        &[Confirmed, Cancelled],
        &[],
        &[Confirmed],
        &[Confirmed, InProgress],
        &[Confirmed, InProgress, Completed],
        &[Cancelled],
        &[Confirmed, NoShow],
    ];
    let mut in_each_status = Vec::new();
    for (hour, path) in (9..).zip(paths) {
        let start = format!("2030-01-14T{hour:02}:00:00+03:00");
        let id = book(&db.app, sever, visit(shop, client, &[oil], &start))
            .await
            .unwrap();
        for &status in path {
            let change = changing(|c| {
                c.status = Some(status);
                c.reason = (status == Cancelled).then(|| reason.to_string());
            });
            change_as(&db, sever, id, change, (Some(manager), Channel::Api))
                .await
                .unwrap();
        }
        let appointment = get(&db, sever, id).await.unwrap();
        let status = path.last().copied().unwrap_or(New);
        assert_eq!(appointment.status, status);
        // The history: the booking, then each step with who, where and why.
        let entries = history(&db, sever, id).await.unwrap();
        let steps: Vec<_> = entries[1..]
            .iter()
            .map(|e| (e.from_status, e.to_status, e.changed_by, e.channel))
            .collect();
        let froms = std::iter::once(New).chain(path.iter().copied());
        let expected: Vec<_> = froms
            .zip(path.iter().copied())
            .map(|(from, to)| (Some(from), to, Some(manager), Channel::Api))
            .collect();
        assert_eq!(steps, expected);
        let cancelled = status == Cancelled;
        assert_eq!(
            appointment.cancel_reason.as_deref(),
            cancelled.then_some(reason)
        );
        assert_eq!(
            entries.last().unwrap().reason.as_deref(),
            cancelled.then_some(reason)
        );
        in_each_status.push((status, id));
    }

    // From every status, every transition outside the rules is refused and changes nothing.
    for (from, id) in in_each_status.into_iter().skip(1) {
        for target in Status::ALL {
            if Status::can_transition(from, target) {
                continue;
            }
            let result = edit(&db, sever, id, to(target)).await;
            let expected = format!(
                "Недопустимая смена статуса: {} → {}",
                from.as_str(),
                target.as_str()
            );
            assert!(
                matches!(&result, Err(Error::Unprocessable(m)) if *m == expected),
                "{from:?} → {target:?}: {result:?}"
            );
            assert_eq!(get(&db, sever, id).await.unwrap().status, from);
        }
    }

    assert_not_found(get(&db, sever, 999_999).await);
    assert_not_found(edit(&db, sever, 999_999, to(Confirmed)).await);
    db.drop().await;
}

#[tokio::test]
async fn moving_a_visit_rechecks_hours_bays_and_prices() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let shop = shop_id(&db, sever, "Север в Химках").await; // 2 bays, 09–20
                                                            // 30 min, 1200 ₽ and 60 min, 2000 ₽.
    let oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let pads = service_id(&db, sever, "Замена тормозных колодок (ось)").await;
    let (client, _) = client_with_car(&db, sever, 0).await;
    let ten = visit(shop, client, &[oil], "2030-01-14T10:00:00+03:00");
    let noon = visit(shop, client, &[oil], "2030-01-14T12:00:00+03:00");

    let a = book(&db.app, sever, ten.clone()).await.unwrap();
    let b = book(&db.app, sever, noon).await.unwrap();
    assert_eq!(get(&db, sever, b).await.unwrap().bay, 1);

    // B moves to 10:00: its bay 1 is taken there, so it gets bay 2; its length stays.
    edit(&db, sever, b, move_to("2030-01-14T10:00:00+03:00"))
        .await
        .unwrap();
    let moved = get(&db, sever, b).await.unwrap();
    assert_eq!(moved.bay, 2);
    assert_eq!(moved.end_time.to_rfc3339(), "2030-01-14T10:30:00+03:00");
    assert!(
        moved.updated_at > moved.created_at,
        "a move sets updated_at"
    );
    // Now 10:00 is full: a third visit there, or A asking for bay 2, conflicts.
    assert_conflict(book(&db.app, sever, ten).await, NO_FREE_BAY);
    let to_bay_2 = changing(|c| c.bay = Some(2));
    assert_conflict(edit(&db, sever, a, to_bay_2).await, "Пост 2 занят");
    // Moving within its own time (10:15, overlapping itself) is fine and keeps the bay.
    edit(&db, sever, a, move_to("2030-01-14T10:15:00+03:00"))
        .await
        .unwrap();
    assert_eq!(get(&db, sever, a).await.unwrap().bay, 1);

    // Outside hours, bad bays, no services, end before start: refused, nothing changes.
    let refused = [
        (move_to("2030-01-14T19:45:00+03:00"), "вне рабочего времени"),
        (changing(|c| c.bay = Some(3)), "от 1 до 2"),
        (changing(|c| c.service_ids = Some(vec![])), "хотя бы одну"),
        (
            changing(|c| c.end_time = Some(at("2030-01-14T10:15:00+03:00"))),
            "позже времени начала",
        ),
        (
            changing(|c| c.reason = Some("просто так".into())),
            "Причина",
        ),
    ];
    for (change, needle) in refused {
        assert_validation(edit(&db, sever, a, change).await, needle);
    }
    let unchanged = get(&db, sever, a).await.unwrap();
    assert_eq!(unchanged.start_time, at("2030-01-14T10:15:00+03:00"));
    assert_eq!(
        (unchanged.bay, unchanged.service_ids.clone()),
        (1, vec![oil])
    );

    // New services: the end and the total follow. A service already on the visit keeps the
    // price it was booked at, although the catalogue has changed since.
    let sql = "UPDATE services SET price = 9999 WHERE tenant_id = $1 AND id = $2 RETURNING id";
    insert(&db, sever, sql, &[json!(oil)]).await;
    let both = changing(|c| c.service_ids = Some(vec![oil, pads]));
    edit(&db, sever, a, both).await.unwrap();
    let repriced = get(&db, sever, a).await.unwrap();
    assert_eq!(repriced.end_time.to_rfc3339(), "2030-01-14T11:45:00+03:00");
    assert_eq!(repriced.total_price, Decimal::from(3200));
    assert_eq!(repriced.services.len(), 2);
    // Dropping a service shortens the visit.
    edit(&db, sever, a, changing(|c| c.service_ids = Some(vec![oil])))
        .await
        .unwrap();
    let shorter = get(&db, sever, a).await.unwrap();
    assert_eq!(shorter.end_time.to_rfc3339(), "2030-01-14T10:45:00+03:00");
    assert_eq!(shorter.total_price, Decimal::from(1200));

    // A move and a status change in one call.
    let confirm_later = changing(|c| {
        c.status = Some(Status::Confirmed);
        c.start_time = Some(at("2030-01-14T15:00:00+03:00"));
    });
    edit(&db, sever, a, confirm_later).await.unwrap();
    let confirmed = get(&db, sever, a).await.unwrap();
    assert_eq!(confirmed.status, Status::Confirmed);
    assert_eq!(confirmed.start_time, at("2030-01-14T15:00:00+03:00"));
    // Finished visits cannot be moved any more.
    edit(&db, sever, b, to(Status::Cancelled)).await.unwrap();
    let far = changing(|c| c.start_time = Some(DateTime::<Utc>::MIN_UTC));
    assert_validation(edit(&db, sever, a, far).await, "между 1970 и 9999");
    let frozen = edit(&db, sever, b, move_to("2030-01-14T16:00:00+03:00")).await;
    assert!(matches!(frozen, Err(Error::Unprocessable(_))), "{frozen:?}");
    db.drop().await;
}

// ---------------------------------------------------------------------------------------------
// Listing.

#[tokio::test]
async fn list_filters_by_dates_in_each_shops_time_zone() {
    let db = TestDb::new().await;
    let tenant = company(&db, "zones").await;
    let all_day = json!([["00:00", "24:00"]]);
    let hours = json!({"mon": all_day, "tue": all_day, "sun": all_day});
    let moscow = add_shop(&db, tenant, "Europe/Moscow", (2, hours.clone(), 30)).await;
    let new_york = add_shop(&db, tenant, "America/New_York", (2, hours, 30)).await;
    let service = add_service(&db, tenant, "Диагностика", 30).await;
    let ann = add_client(&db, tenant, "Анна", "+79160000001").await;
    let boris = add_client(&db, tenant, "Борис", "+79160000002").await;
    let booked = |shop, client, start: &'static str| {
        book(&db.app, tenant, visit(shop, client, &[service], start))
    };

    // 00:30 Monday in Moscow is still Sunday in UTC.
    let m1 = booked(moscow, ann, "2030-01-14T00:30:00+03:00")
        .await
        .unwrap();
    // 23:30 Monday in New York is already Tuesday in UTC.
    let n1 = booked(new_york, boris, "2030-01-14T23:30:00-05:00")
        .await
        .unwrap();
    let m2 = booked(moscow, boris, "2030-01-15T12:00:00+03:00")
        .await
        .unwrap();
    let n0 = booked(new_york, ann, "2030-01-13T12:00:00-05:00")
        .await
        .unwrap();

    let filter = |set: &dyn Fn(&mut AppointmentFilter)| {
        let mut filter = AppointmentFilter::default();
        set(&mut filter);
        filter
    };
    let days = |from: &str, to: &str| {
        filter(&|f| {
            f.date_from = Some(date(from));
            f.date_to = Some(date(to));
        })
    };
    let cases = [
        (days("2030-01-14", "2030-01-14"), vec![m1, n1]),
        (days("2030-01-13", "2030-01-13"), vec![n0]),
        (days("2030-01-15", "2030-01-15"), vec![m2]),
        (days("2030-01-13", "2030-01-15"), vec![n0, m1, n1, m2]),
        (days("2030-01-15", "2030-01-14"), Vec::new()),
        (
            filter(&|f| f.date_from = Some(date("2030-01-15"))),
            vec![m2],
        ),
        (filter(&|f| f.date_to = Some(date("2030-01-13"))), vec![n0]),
        (
            AppointmentFilter {
                shop_id: Some(moscow),
                ..days("2030-01-14", "2030-01-15")
            },
            vec![m1, m2],
        ),
        (filter(&|f| f.client_id = Some(ann)), vec![n0, m1]),
        (
            filter(&|f| {
                f.skip = 1;
                f.limit = 2;
            }),
            vec![m1, n1],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            list(&db, tenant, filter.clone()).await.unwrap(),
            expected,
            "{filter:?}"
        );
    }
    edit(&db, tenant, m2, to(Status::Confirmed)).await.unwrap();
    let confirmed = filter(&|f| f.status = Some(Status::Confirmed));
    assert_eq!(list(&db, tenant, confirmed).await.unwrap(), [m2]);

    // Each appointment carries its own shop's offset.
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    let monday = booking::list(&mut tx, &days("2030-01-14", "2030-01-14"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        monday[0].start_time.to_rfc3339(),
        "2030-01-14T00:30:00+03:00"
    );
    assert_eq!(
        monday[1].start_time.to_rfc3339(),
        "2030-01-14T23:30:00-05:00"
    );
    assert_eq!(monday[1].client.full_name, "Борис");

    let edge = filter(&|f| f.date_to = Some(NaiveDate::MAX));
    assert_validation(list(&db, tenant, edge).await, "между 1970 и 9999");
    let edge = filter(&|f| f.date_from = Some(NaiveDate::MIN));
    assert_validation(list(&db, tenant, edge).await, "между 1970 и 9999");
    for (skip, limit, needle) in [(-1, 10, "skip"), (0, 0, "limit"), (0, 1001, "limit")] {
        let bad = filter(&|f| {
            f.skip = skip;
            f.limit = limit;
        });
        assert_validation(list(&db, tenant, bad).await, needle);
    }
    db.drop().await;
}

#[tokio::test]
async fn list_of_the_demo_week_loads_every_rows_services() {
    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let page = AppointmentFilter {
        limit: 50,
        ..AppointmentFilter::default()
    };
    let page = booking::list(&mut tx, &page).await.unwrap();
    tx.rollback().await.unwrap();
    let sql = "SELECT count(*) FROM appointments WHERE tenant_id = $1";
    let (rows,): (i64,) = read(&db, sever, sql, sever.0).await;
    assert_eq!(page.len() as i64, rows.min(50));
    assert!(page.windows(2).all(|w| w[0].start_time <= w[1].start_time));
    for a in &page {
        assert!(
            !a.services.is_empty(),
            "appointment {} lost its services",
            a.id
        );
        let sum: Decimal = a.services.iter().map(|s| s.price).sum();
        assert_eq!(sum, a.total_price);
        assert_eq!(a.tenant_id, sever.0);
    }
    db.drop().await;
}
