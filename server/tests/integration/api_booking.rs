//! Shops, slots and appointments over HTTP: the booking rules as clients see them.

use std::time::Duration;

use crate::common::{
    server::{token, Api, TestServer},
    TestDb,
};
use chrono::{Datelike, Utc, Weekday};
use serde_json::{json, Value};

async fn demo_server() -> (TestDb, TestServer) {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(&db, &[]).await;
    (db, server)
}

async fn as_user(server: &TestServer, email: &str) -> Api {
    Api::new(server, token(server, email, "demo-password").await)
}

/// A working day at least a week ahead (demo appointments cover only ±3 days), not a Sunday.
fn free_day() -> chrono::NaiveDate {
    let mut day = Utc::now().date_naive() + chrono::Duration::days(10);
    while day.weekday() == Weekday::Sun {
        day += chrono::Duration::days(1);
    }
    day
}

async fn first_id(api: &Api, path: &str) -> i64 {
    api.get(path).await.1[0]["id"].as_i64().unwrap()
}

#[tokio::test]
async fn shops_crud_hours_validation_and_isolation() {
    let (db, server) = demo_server().await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let manager = as_user(&server, "manager@sever.demo").await;

    let (status, shops) = sever.get("/api/v1/shops/").await;
    assert_eq!(status, 200);
    assert_eq!(shops.as_array().unwrap().len(), 2);
    assert_eq!(
        shops[0]["working_hours"]["mon"],
        json!([["09:00", "20:00"]])
    );
    assert_eq!(shops[0]["working_hours"]["sun"], json!([]));

    let hours =
        json!({"mon": [["10:00", "14:00"], ["15:00", "19:00"]], "sat": [["10:00", "16:00"]]});
    let (status, shop) = sever
        .post("/api/v1/shops", json!({"name": "Север-3", "bays": 1, "working_hours": hours, "timezone": "Asia/Yekaterinburg"}))
        .await;
    assert_eq!(status, 201, "{shop}");
    assert_eq!(
        shop["working_hours"]["tue"],
        json!([]),
        "all seven days in the answer"
    );
    assert_eq!(shop["slot_minutes"], 30);
    let id = shop["id"].as_i64().unwrap();

    for bad in [
        json!({"name": "X", "bays": 0, "working_hours": {}}),
        json!({"name": "X", "bays": 1, "working_hours": {"mon": [["18:00", "09:00"]]}}),
        json!({"name": "X", "bays": 1, "working_hours": {"funday": []}}),
        json!({"name": "X", "bays": 1, "working_hours": {"mon": [["9am", "5pm"]]}}),
        json!({"name": "X", "bays": 1, "working_hours": {}, "timezone": "Moon/Base"}),
        json!({"name": "X", "bays": 1, "working_hours": {}, "slot_minutes": 1}),
    ] {
        let (status, body) = sever.post("/api/v1/shops", bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
    }
    assert_eq!(
        manager
            .post(
                "/api/v1/shops",
                json!({"name": "M", "bays": 1, "working_hours": {}})
            )
            .await
            .0,
        403
    );
    assert_eq!(
        manager
            .patch(&format!("/api/v1/shops/{id}"), json!({"bays": 2}))
            .await
            .0,
        403
    );

    let (status, patched) = sever
        .patch(
            &format!("/api/v1/shops/{id}"),
            json!({"bays": 4, "slot_minutes": 15}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (patched["bays"].as_i64(), patched["slot_minutes"].as_i64()),
        (Some(4), Some(15))
    );

    for (status, _) in [
        garage.get(&format!("/api/v1/shops/{id}")).await,
        garage
            .patch(&format!("/api/v1/shops/{id}"), json!({"name": "Чужое"}))
            .await,
        garage.delete(&format!("/api/v1/shops/{id}")).await,
        garage
            .get(&format!(
                "/api/v1/shops/{id}/slots?date={}&service_ids=1",
                free_day()
            ))
            .await,
    ] {
        assert_eq!(status, 404);
    }
    let (_, theirs) = garage.get("/api/v1/shops").await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);

    // A shop with appointments cannot be deleted; an empty one can.
    let busy = shops[0]["id"].as_i64().unwrap();
    assert_eq!(sever.delete(&format!("/api/v1/shops/{busy}")).await.0, 409);
    assert_eq!(sever.delete(&format!("/api/v1/shops/{id}")).await.0, 200);
    assert_eq!(sever.get(&format!("/api/v1/shops/{id}")).await.0, 404);
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn slots_booking_transitions_and_conflicts() {
    let (db, server) = demo_server().await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let (_, shops) = sever.get("/api/v1/shops").await;
    // The 2-bay shop.
    let shop = shops
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["bays"] == 2)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, services) = sever.get("/api/v1/services").await;
    let oil = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Замена масла в двигателе")
        .unwrap();
    let oil_id = oil["id"].as_i64().unwrap();
    let day = free_day();

    let (status, slots) = sever
        .get(&format!(
            "/api/v1/shops/{shop}/slots?date={day}&service_ids={oil_id}"
        ))
        .await;
    assert_eq!(status, 200, "{slots}");
    // 09:00–20:00 every 30 minutes, a 30-minute job: 22 starts, both bays free.
    assert_eq!(slots.as_array().unwrap().len(), 22);
    assert_eq!(slots[0]["free_bays"], json!([1, 2]));
    let start = slots[0]["start_time"].as_str().unwrap().to_string();
    assert!(
        start.ends_with("+03:00"),
        "times in the shop's zone: {start}"
    );
    assert_eq!(
        sever
            .get(&format!(
                "/api/v1/shops/{shop}/slots?date={day}&service_ids="
            ))
            .await
            .0,
        422
    );
    assert_eq!(
        sever
            .get(&format!(
                "/api/v1/shops/{shop}/slots?date=tomorrow&service_ids=1"
            ))
            .await
            .0,
        422
    );

    // A new client by phone, then the same phone again: one client.
    let body = json!({"shop_id": shop, "client": {"full_name": "Новиков Пётр", "phone": "+7 999 555-00-11"},
                      "service_ids": [oil_id], "start_time": start, "customer_note": "Масло своё"});
    let (status, first) = sever.post("/api/v1/appointments/", body.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "new");
    assert_eq!(first["source"], "api");
    assert_eq!(first["total_price"], 1200.0);
    assert_eq!(first["services"][0]["name"], "Замена масла в двигателе");
    assert_eq!(first["client"]["phone"], "+79995550011");
    let (status, second) = sever.post("/api/v1/appointments", body.clone()).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["client_id"], first["client_id"]);
    assert_ne!(second["bay"], first["bay"]);
    // Both bays taken: 409.
    let (status, third) = sever.post("/api/v1/appointments", body.clone()).await;
    assert_eq!(status, 409, "{third}");
    let (_, slots) = sever
        .get(&format!(
            "/api/v1/shops/{shop}/slots?date={day}&service_ids={oil_id}"
        ))
        .await;
    assert_ne!(
        slots[0]["start_time"],
        start.as_str(),
        "a full slot is no longer offered"
    );

    // Invalid input: 422 and nothing written.
    for bad in [
        json!({"shop_id": shop, "client_id": first["client_id"], "service_ids": [], "start_time": start}),
        json!({"shop_id": shop, "client_id": first["client_id"], "service_ids": [oil_id], "start_time": format!("{day}T23:00:00+03:00")}),
        json!({"shop_id": shop, "service_ids": [oil_id], "start_time": start}),
        json!({"shop_id": shop, "client_id": first["client_id"], "service_ids": [oil_id], "start_time": "завтра"}),
        json!({"shop_id": shop, "client_id": first["client_id"], "service_ids": [oil_id], "start_time": start, "price": 0}),
    ] {
        let (status, body) = sever.post("/api/v1/appointments", bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
    }

    // Transitions: new → confirmed → in_progress → completed; anything else 422.
    let id = first["id"].as_i64().unwrap();
    let path = format!("/api/v1/appointments/{id}");
    assert_eq!(
        sever.patch(&path, json!({"status": "completed"})).await.0,
        422
    );
    assert_eq!(
        sever.patch(&path, json!({"status": "sleeping"})).await.0,
        422
    );
    for next in ["confirmed", "in_progress", "completed"] {
        let (status, a) = sever.patch(&path, json!({"status": next})).await;
        assert_eq!(status, 200, "{next}: {a}");
        assert_eq!(a["status"], next);
    }
    assert_eq!(
        sever.patch(&path, json!({"status": "cancelled"})).await.0,
        422
    );

    // Cancel the second with a reason; the bay is free again.
    let second_path = format!("/api/v1/appointments/{}", second["id"]);
    let (status, cancelled) = sever
        .patch(
            &second_path,
            json!({"status": "cancelled", "reason": "Передумал"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["cancel_reason"], "Передумал");
    assert_eq!(
        sever.post("/api/v1/appointments", body.clone()).await.0,
        201
    );

    // Moving to a taken time conflicts; to a free one works.
    let (status, later) = sever
        .post("/api/v1/appointments", json!({"shop_id": shop, "client_id": first["client_id"], "service_ids": [oil_id],
                                              "start_time": format!("{day}T15:00:00+03:00"), "bay": 1}))
        .await;
    assert_eq!(status, 201, "{later}");
    let later_path = format!("/api/v1/appointments/{}", later["id"]);
    let (status, moved) = sever
        .patch(
            &later_path,
            json!({"start_time": format!("{day}T16:00:00+03:00")}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert!(moved["start_time"].as_str().unwrap().contains("T16:00:00"));

    // Lists by the shop's local date; other companies see none of it.
    let (status, listed) = sever
        .get(&format!(
            "/api/v1/appointments?shop_id={shop}&date_from={day}&date_to={day}"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 4);
    assert_eq!(
        sever
            .get(&format!(
                "/api/v1/appointments?date_from={day}&date_to=2000-01-01"
            ))
            .await
            .0,
        422
    );
    assert_eq!(garage.get(&path).await.0, 404);
    assert_eq!(
        garage.patch(&path, json!({"status": "cancelled"})).await.0,
        404
    );
    let (_, theirs) = garage
        .get(&format!(
            "/api/v1/appointments?date_from={day}&date_to={day}"
        ))
        .await;
    assert!(theirs.as_array().unwrap().is_empty());
    // Nor can they book with this company's client or service.
    let (_, garage_shops) = garage.get("/api/v1/shops").await;
    let (status, _) = garage
        .post(
            "/api/v1/appointments",
            json!({"shop_id": garage_shops[0]["id"], "client_id": first["client_id"],
                                              "service_ids": [oil_id], "start_time": start}),
        )
        .await;
    assert!(status == 404 || status == 422, "got {status}");

    // The client card shows the visits.
    let (_, card) = sever
        .get(&format!("/api/v1/clients/{}", first["client_id"]))
        .await;
    assert!(card["appointments"].as_array().unwrap().len() >= 3);
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn forty_concurrent_bookings_of_one_slot_in_a_two_bay_shop() {
    let (db, server) = demo_server().await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let (_, shops) = sever.get("/api/v1/shops").await;
    let shop = shops
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["bays"] == 2)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let service = first_id(&sever, "/api/v1/services").await;
    let client = first_id(&sever, "/api/v1/clients").await;
    let start = format!("{}T11:00:00+03:00", free_day());

    let mut tasks = Vec::new();
    for _ in 0..40 {
        let api = sever.clone();
        let body = json!({"shop_id": shop, "client_id": client, "service_ids": [service], "start_time": start});
        tasks.push(tokio::spawn(async move {
            api.post("/api/v1/appointments", body).await
        }));
    }
    let mut created = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => created.push(body["bay"].as_i64().unwrap()),
            409 => conflicts += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    created.sort();
    assert_eq!(created, [1, 2], "exactly the two bays are booked");
    assert_eq!(conflicts, 38);
    tokio::time::sleep(Duration::from_millis(10)).await;
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn appointment_changes_are_published_as_events() {
    let (db, server) = demo_server().await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let (_, shops) = sever.get("/api/v1/shops").await;
    let shop = shops[0]["id"].as_i64().unwrap();
    let service = first_id(&sever, "/api/v1/services").await;
    let client = first_id(&sever, "/api/v1/clients").await;

    let url =
        server.base.replace("http://", "ws://") + &format!("/api/v1/ws?token={}", sever.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, created) = sever
        .post("/api/v1/appointments", json!({"shop_id": shop, "client_id": client, "service_ids": [service],
                                              "start_time": format!("{}T12:00:00+03:00", free_day())}))
        .await;
    assert_eq!(status, 201);
    let (status, _) = sever
        .patch(
            &format!("/api/v1/appointments/{}", created["id"]),
            json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(status, 200);

    let mut seen: Vec<Value> = Vec::new();
    while seen.len() < 2 {
        use futures::StreamExt;
        let message = tokio::time::timeout(Duration::from_secs(3), ws.next())
            .await
            .expect("event")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            seen.push(serde_json::from_str(&text).unwrap());
        }
    }
    assert_eq!(seen[0]["type"], "appointment.created");
    assert_eq!(seen[0]["data"], created);
    assert_eq!(seen[1]["type"], "appointment.updated");
    assert_eq!(seen[1]["data"]["status"], "confirmed");
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn closures_take_their_days_slots_and_list_the_visits_to_move() {
    let (_db, server) = demo_server().await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let manager = as_user(&server, "manager@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let (_, shops) = sever.get("/api/v1/shops").await;
    let shop = shops
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["bays"] == 2)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let oil = first_id(&sever, "/api/v1/services?limit=1").await;
    let day = free_day();
    let next = day + chrono::Duration::days(if day.weekday() == Weekday::Sat { 2 } else { 1 });
    let slots = |day: chrono::NaiveDate| {
        let path = format!("/api/v1/shops/{shop}/slots?date={day}&service_ids={oil}");
        let sever = &sever;
        async move { sever.get(&path).await.1 }
    };
    let closures = format!("/api/v1/shops/{shop}/closures");

    // A visit booked before the closure is listed for staff to move.
    let start = slots(day).await[4]["start_time"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, visit) = sever
        .post(
            "/api/v1/appointments/",
            json!({"shop_id": shop, "client": {"full_name": "Гаврилов Ян", "phone": "+79995550077"},
                   "service_ids": [oil], "start_time": start, "bay": 2}),
        )
        .await;
    assert_eq!(status, 201, "{visit}");

    // Managers do not close shops; another company's admin does not see this one.
    let closed = json!({"day": day, "reason": "Инвентаризация"});
    assert_eq!(manager.post(&closures, closed.clone()).await.0, 403);
    assert_eq!(garage.post(&closures, closed.clone()).await.0, 404);
    assert_eq!(garage.get(&closures).await.0, 404);
    for bad in [
        json!({"day": "2020-01-01"}),
        json!({"day": day, "bay": 3}),
        json!({"day": day, "opens": "15:00", "closes": "10:00"}),
        json!({"day": day, "opens": "10:00"}),
        json!({"day": day, "bay": 1, "opens": "10:00", "closes": "12:00"}),
    ] {
        let (status, body) = sever.post(&closures, bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
    }

    let (status, added) = sever.post(&closures, closed.clone()).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["visits_to_move"][0]["id"], visit["id"], "{added}");
    assert_eq!(sever.post(&closures, closed).await.0, 409);
    assert_eq!(slots(day).await, json!([]), "a closed day has no slots");
    let (status, body) = sever
        .post(
            "/api/v1/appointments/",
            json!({"shop_id": shop, "client_id": visit["client_id"], "service_ids": [oil], "start_time": start}),
        )
        .await;
    assert_eq!(status, 422, "nothing is booked on a closed day: {body}");
    let (_, listed) = manager.get(&closures).await;
    assert_eq!(listed[0]["reason"], "Инвентаризация");

    // Removed: the day's slots are back.
    let id = added["closure"]["id"].as_i64().unwrap();
    assert_eq!(garage.delete(&format!("{closures}/{id}")).await.0, 404);
    assert_eq!(sever.delete(&format!("{closures}/{id}")).await.0, 204);
    assert!(!slots(day).await.as_array().unwrap().is_empty());

    // A short day: 10:00–14:00 only; the 09:00 visit is outside it.
    let (status, short) = sever
        .post(
            &closures,
            json!({"day": next, "opens": "10:00", "closes": "14:00", "reason": "Предпраздничный"}),
        )
        .await;
    assert_eq!(status, 201, "{short}");
    let short_slots = slots(next).await;
    let starts: Vec<&str> = short_slots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["start_time"].as_str().unwrap()[11..16])
        .collect();
    assert_eq!(starts.first(), Some(&"10:00"), "{starts:?}");
    let last_end = short_slots.as_array().unwrap().last().unwrap()["end_time"]
        .as_str()
        .unwrap();
    assert!(
        &last_end[11..16] <= "14:00",
        "visits end by closing: {short_slots}"
    );
    assert!(
        starts.iter().all(|s| *s >= "10:00" && *s < "14:00"),
        "{starts:?}"
    );

    // One bay out of service: the other stays bookable.
    let (status, _) = sever
        .delete(&format!("{closures}/{}", short["closure"]["id"]))
        .await;
    assert_eq!(status, 204);
    let (status, bay) = sever.post(&closures, json!({"day": next, "bay": 1})).await;
    assert_eq!(status, 201, "{bay}");
    for slot in slots(next).await.as_array().unwrap() {
        assert_eq!(slot["free_bays"], json!([2]), "{slot}");
    }
}
