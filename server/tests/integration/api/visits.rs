//! Correcting visits over the REST API: services (re-checked against the bays), the car, the
//! notes and the concierge's findings (staff's correction kept beside the original), booking
//! with a new car, and the status history on `GET /appointments/{id}`.

use chrono::{Datelike, Utc, Weekday};

use super::*;

/// A working day of the demo shops with nothing booked yet (past the demo week).
fn free_day() -> chrono::NaiveDate {
    let mut day = Utc::now().date_naive() + chrono::Duration::days(12);
    while day.weekday() == Weekday::Sun {
        day += chrono::Duration::days(1);
    }
    day
}

/// The 2-bay shop of "Север", the 30-minute oil change and a service of an hour or more.
async fn shop_and_services(api: &Api) -> (i64, i64, i64) {
    let (_, shops) = api.get("/api/v1/shops").await;
    let shop = shops
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["bays"] == 2)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, services) = api.get("/api/v1/services?limit=500").await;
    let services = services.as_array().unwrap();
    let oil = services
        .iter()
        .find(|s| s["name"] == "Замена масла в двигателе")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let long = services
        .iter()
        .find(|s| s["duration_minutes"].as_i64().unwrap() >= 60 && s["shop_id"].is_null())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    (shop, oil, long)
}

async fn book(api: &Api, body: Value) -> Value {
    let (status, visit) = api.post("/api/v1/appointments", body).await;
    assert_eq!(status, 201, "{visit}");
    visit
}

#[tokio::test]
async fn staff_correct_a_bot_booked_visit_and_the_concierges_original_is_kept() {
    let (_db, server) = demo_server(&[]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let (_, me) = admin.get("/api/v1/users/me").await;

    // A visit the bot booked, with the concierge's analysis, still to come.
    let (_, visits) = admin
        .get("/api/v1/appointments?status=confirmed&limit=1000")
        .await;
    let now = Utc::now().to_rfc3339();
    let visit = visits
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["source"] == "telegram"
                && !v["ai_analysis"].is_null()
                && v["start_time"].as_str().unwrap() > now.as_str()
        })
        .expect("the demo has bot-booked visits to come")
        .clone();
    let id = visit["id"].as_i64().unwrap();
    let path = format!("/api/v1/appointments/{id}");
    assert!(visit["ai_edit"].is_null());
    assert_eq!(visit["staff_note"], "");

    let (status, edited) = admin
        .patch(
            &path,
            json!({
                "findings": {"summary": " Стук справа на кочках ", "causes": ["Стойка стабилизатора", " "]},
                "staff_note": "Позвонить за час",
                "customer_note": "Стучит спереди справа"
            }),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["ai_edit"]["summary"], "Стук справа на кочках");
    assert_eq!(edited["ai_edit"]["causes"], json!(["Стойка стабилизатора"]));
    assert_eq!(edited["ai_edit"]["edited_by"], me["id"]);
    assert_eq!(edited["ai_edit"]["edited_by_name"], me["full_name"]);
    assert!(edited["ai_edit"]["edited_at"].is_string());
    // The concierge's own words stay as they were.
    assert_eq!(edited["ai_summary"], visit["ai_summary"]);
    assert_eq!(edited["ai_analysis"], visit["ai_analysis"]);
    assert_eq!(edited["staff_note"], "Позвонить за час");
    assert_eq!(edited["customer_note"], "Стучит спереди справа");
    // Untouched parts stay.
    assert_eq!(edited["service_ids"], visit["service_ids"]);
    assert_eq!(edited["start_time"], visit["start_time"]);
    assert_eq!(edited["status"], "confirmed");

    // The car: one of the client's (a new one here), none, never another client's.
    let client = visit["client_id"].as_i64().unwrap();
    let (status, car) = admin
        .post(
            &format!("/api/v1/clients/{client}/vehicles"),
            json!({"make": "Lada", "model": "Vesta", "plate": "В777ОР77"}),
        )
        .await;
    assert_eq!(status, 201, "{car}");
    let (status, with_car) = admin.patch(&path, json!({"vehicle_id": car["id"]})).await;
    assert_eq!(status, 200, "{with_car}");
    assert_eq!(with_car["vehicle_id"], car["id"]);
    let (_, others) = admin.get("/api/v1/clients?limit=100").await;
    let stranger = others
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] != json!(client))
        .unwrap()["id"]
        .clone();
    let (_, stranger_car) = admin
        .post(
            &format!("/api/v1/clients/{stranger}/vehicles"),
            json!({"make": "Kia"}),
        )
        .await;
    let (status, body) = admin
        .patch(&path, json!({"vehicle_id": stranger_car["id"]}))
        .await;
    assert_eq!(status, 422, "another client's car: {body}");
    let (status, without) = admin.patch(&path, json!({"vehicle_id": null})).await;
    assert_eq!(status, 200);
    assert!(without["vehicle_id"].is_null());
    assert_eq!(
        without["staff_note"], "Позвонить за час",
        "other parts stay"
    );

    // Bad input is refused whole.
    for bad in [
        json!({"staff_note": "я".repeat(2001)}),
        json!({"findings": {"summary": " ", "causes": []}}),
        json!({"findings": {"summary": "x", "causes": vec!["x"; 11]}}),
        json!({"colour": "red"}),
    ] {
        let (status, body) = admin.patch(&path, bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
    }
    let (_, unchanged) = admin.get(&path).await;
    assert_eq!(unchanged["ai_edit"]["summary"], "Стук справа на кочках");

    // Another company neither reads nor corrects it.
    assert_eq!(garage.get(&path).await.0, 404);
    assert_eq!(
        garage.patch(&path, json!({"staff_note": "чужое"})).await.0,
        404
    );
}

#[tokio::test]
async fn new_services_are_rechecked_against_the_bays_and_the_history_names_who_did_what() {
    let (_db, server) = demo_server(&[]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    let (_, me) = admin.get("/api/v1/users/me").await;
    let (shop, oil, long) = shop_and_services(&admin).await;
    let day = free_day();
    let at = |time: &str| format!("{day}T{time}:00+03:00");

    // Booked with a new car, added to the client's card.
    let first = book(
        &admin,
        json!({"shop_id": shop, "client": {"full_name": "Сидоров Иван", "phone": "+79160000101"},
               "vehicle": {"make": "Skoda", "model": "Octavia", "plate": "м 001 мм 77"},
               "service_ids": [oil], "start_time": at("10:00"), "bay": 1,
               "customer_note": "Масло и фильтр"}),
    )
    .await;
    let car = first["vehicle_id"]
        .as_i64()
        .expect("the new car is the visit's");
    let (_, card) = admin
        .get(&format!("/api/v1/clients/{}", first["client_id"]))
        .await;
    assert_eq!(card["vehicles"][0]["id"], json!(car));
    assert_eq!(card["vehicles"][0]["plate"], "М001ММ77");
    let (status, body) = admin
        .post(
            "/api/v1/appointments",
            json!({"shop_id": shop, "client_id": first["client_id"], "vehicle_id": car,
                   "vehicle": {"make": "Kia"}, "service_ids": [oil], "start_time": at("15:00")}),
        )
        .await;
    assert_eq!(status, 422, "a car picked and a new one: {body}");

    // Both bays are taken from 10:30: the visit cannot grow past it.
    for (bay, phone) in [(1, "+79160000102"), (2, "+79160000103")] {
        book(
            &admin,
            json!({"shop_id": shop, "client": {"full_name": "Сосед", "phone": phone},
                   "service_ids": [oil], "start_time": at("10:30"), "bay": bay}),
        )
        .await;
    }
    let path = format!("/api/v1/appointments/{}", first["id"]);
    let (status, body) = admin
        .patch(&path, json!({"service_ids": [oil, long]}))
        .await;
    assert_eq!(status, 409, "{body}");
    let (_, kept) = admin.get(&path).await;
    assert_eq!(
        kept["service_ids"],
        json!([oil]),
        "a refused change keeps the visit"
    );

    // At a free time it grows: the end and the total follow the services.
    let (status, moved) = admin
        .patch(
            &path,
            json!({"start_time": at("14:00"), "service_ids": [oil, long]}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let minutes: i64 = moved["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["duration_minutes"].as_i64().unwrap())
        .sum();
    let start =
        chrono::DateTime::parse_from_rfc3339(moved["start_time"].as_str().unwrap()).unwrap();
    let end = chrono::DateTime::parse_from_rfc3339(moved["end_time"].as_str().unwrap()).unwrap();
    assert!((end - start).num_minutes() >= minutes, "{moved}");
    let total: f64 = moved["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["price"].as_f64().unwrap())
        .sum();
    assert_eq!(moved["total_price"].as_f64().unwrap(), total);

    // The history: the booking, then each status change with who, how and why.
    let (status, _) = admin.patch(&path, json!({"status": "confirmed"})).await;
    assert_eq!(status, 200);
    let (status, _) = admin
        .patch(
            &path,
            json!({"status": "cancelled", "reason": "Клиент перезвонил"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, detail) = admin.get(&path).await;
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 3, "{detail}");
    assert!(history[0]["from_status"].is_null());
    assert_eq!(history[0]["to_status"], "new");
    assert_eq!(history[1]["to_status"], "confirmed");
    assert_eq!(history[1]["changed_by_name"], me["full_name"]);
    assert_eq!(history[1]["channel"], "api");
    assert_eq!(history[2]["reason"], "Клиент перезвонил");
    // A cancelled visit's notes can still be corrected; its services cannot.
    assert_eq!(
        admin
            .patch(&path, json!({"staff_note": "Перезапишется в январе"}))
            .await
            .0,
        200
    );
    assert_eq!(
        admin.patch(&path, json!({"service_ids": [oil]})).await.0,
        422
    );
}
