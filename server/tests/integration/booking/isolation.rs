//! Tenant isolation of booking, and events published only after a commit.

use super::*;

#[tokio::test]
async fn one_company_cannot_book_or_see_anothers_shop_services_clients_or_visits() {
    let db = TestDb::new().await;
    let (sever, garage) = demo_companies(&db).await;
    let sever_shop = shop_id(&db, sever, "Север на Ленинградке").await;
    let sever_oil = service_id(&db, sever, "Замена масла в двигателе").await;
    let (sever_client, sever_car) = client_with_car(&db, sever, 0).await;
    let garage_shop = shop_id(&db, garage, "Гараж 24 на Профсоюзной").await;
    let garage_oil = service_id(&db, garage, "Замена масла в двигателе").await;
    let (garage_client, _) = client_with_car(&db, garage, 0).await;
    let start = "2030-01-14T12:00:00+03:00";
    let sever_visit = visit(sever_shop, sever_client, &[sever_oil], start);
    let sever_visit = book(&db.app, sever, sever_visit).await.unwrap();
    let garage_visit = visit(garage_shop, garage_client, &[garage_oil], start);

    // Garage 24 with Sever's service, client or car: refused as unknown, never booked.
    let refused = [
        (
            with(&garage_visit, |b| b.service_ids = vec![sever_oil]),
            "не найдена",
        ),
        (
            with(&garage_visit, |b| b.client_id = sever_client),
            "Клиент не найден",
        ),
        (
            with(&garage_visit, |b| b.vehicle_id = Some(sever_car)),
            "Автомобиль не найден",
        ),
    ];
    for (new, needle) in refused {
        assert_validation(book(&db.app, garage, new).await, needle);
    }
    let sever_slots = slots(&db, garage, garage_shop, MONDAY, &[sever_oil]).await;
    assert_validation(sever_slots, "не найдена");
    // Sever's shop does not exist for Garage 24.
    let in_sever_shop = with(&garage_visit, |b| b.shop_id = sever_shop);
    assert_not_found(book(&db.app, garage, in_sever_shop).await);
    assert_not_found(slots(&db, garage, sever_shop, MONDAY, &[garage_oil]).await);

    // Nor does Sever's appointment, whatever Garage 24 tries.
    assert_not_found(get(&db, garage, sever_visit).await);
    assert_not_found(history(&db, garage, sever_visit).await);
    assert_not_found(edit(&db, garage, sever_visit, to(Status::Cancelled)).await);
    assert_not_found(edit(&db, garage, sever_visit, move_to(start)).await);
    let everything = AppointmentFilter {
        limit: booking::MAX_PAGE,
        ..AppointmentFilter::default()
    };
    let mut tx = db.app.tenant_tx(garage).await.unwrap();
    let all = booking::list(&mut tx, &everything).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(!all.is_empty() && all.iter().all(|a| a.tenant_id == garage.0));
    let in_sever_shop = AppointmentFilter {
        shop_id: Some(sever_shop),
        ..everything
    };
    assert!(list(&db, garage, in_sever_shop).await.unwrap().is_empty());
    assert_eq!(
        get(&db, sever, sever_visit).await.unwrap().status,
        Status::New
    );
    db.drop().await;
}

/// A use case publishes its events once its transaction has committed, never before and never
/// for a change that did not commit: a unit of work dropped without a commit publishes nothing,
/// and a booking refused after its new client was created in the same transaction announces
/// neither (and leaves no client behind).
#[tokio::test]
async fn a_change_that_does_not_commit_publishes_nothing() {
    use app::domain::{clients::ClientRef, work::Work, AppState};

    let db = TestDb::new().await;
    let (sever, _) = demo_companies(&db).await;
    let state = AppState::new(db.app.clone(), db.config.clone())
        .await
        .unwrap();
    let mut events = state.events.subscribe(sever);

    let mut work = Work::begin(&state.db, sever).await.unwrap();
    let client = app::domain::clients::create(
        work.tx(),
        sever,
        app::domain::clients::NewClient {
            full_name: "Не сохранится".into(),
            phone: None,
            email: None,
            telegram_id: None,
            notes: String::new(),
            vehicles: Vec::new(),
        },
    )
    .await
    .unwrap();
    work.publish(app::domain::events::Event::ClientCreated(&client))
        .unwrap();
    drop(work);
    assert!(quiet(&mut events).await, "a dropped unit of work published");

    let mut tx = db.app.tenant_tx(sever).await.unwrap();
    let shop = booking::list(
        &mut tx,
        &AppointmentFilter {
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()[0]
        .shop_id;
    let service: i64 = sqlx::query_scalar("SELECT id FROM services ORDER BY id LIMIT 1")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let free = booking::free_slots(&mut tx, shop, date(MONDAY), &[service])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let newcomer = ClientRef::ByPhone {
        full_name: "Новый клиент".into(),
        phone: "+79990007788".into(),
    };
    let booking_at = |start: DateTime<Utc>| {
        move |client_id| NewBooking {
            shop_id: shop,
            client_id,
            vehicle_id: None,
            service_ids: vec![service],
            start_time: start,
            end_time: None,
            bay: None,
            source: Channel::Web,
            customer_note: String::new(),
            ai_summary: String::new(),
            ai_analysis: None,
            created_by: None,
            manage_link: None,
        }
    };

    // 03:00 is outside the shop's hours: refused after the client was made in the transaction.
    let refused = booking::book_visit(
        &state,
        sever,
        &newcomer,
        None,
        booking_at(at("2030-01-14T03:00:00+03:00")),
    )
    .await;
    assert!(matches!(refused, Err(Error::Validation(_))), "{refused:?}");
    assert!(quiet(&mut events).await, "a refused booking published");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM clients WHERE phone = '+79990007788'")
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert_eq!(left, 0);

    // At a free time: the client and the visit, announced in that order, after the commit.
    let start = free[0].start_time.to_utc();
    let appointment = booking::book_visit(&state, sever, &newcomer, None, booking_at(start))
        .await
        .unwrap();
    let first = events.next().await.unwrap();
    let second = events.next().await.unwrap();
    assert_eq!(first.kind, "client.created");
    assert_eq!(first.data["id"], json!(appointment.client_id));
    assert_eq!(second.kind, "appointment.created");
    assert_eq!(second.data["id"], json!(appointment.id));
    db.drop().await;
}

/// Whether no event arrives for a moment.
async fn quiet(events: &mut app::domain::events::TenantEvents) -> bool {
    tokio::time::timeout(Duration::from_millis(300), events.next())
        .await
        .is_err()
}
