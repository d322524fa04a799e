//! The front desk over the REST API: a client's cars (VIN, mileage with its day), search by
//! VIN, the card's visit totals, and merging two cards as a staff decision.

use super::*;

/// A demo client of "Север" with visits and the car those visits name.
async fn client_with_visits(api: &Api) -> (i64, Value) {
    let (_, clients) = api.get("/api/v1/clients?limit=100").await;
    for client in clients.as_array().unwrap() {
        let (_, detail) = api.get(&format!("/api/v1/clients/{}", client["id"])).await;
        if !detail["appointments"].as_array().unwrap().is_empty() && detail["telegram_id"].is_null()
        {
            return (client["id"].as_i64().unwrap(), detail);
        }
    }
    panic!("the demo has clients with visits");
}

#[tokio::test]
async fn cars_are_added_corrected_and_removed_and_found_by_vin() {
    let (_db, server) = demo_server(&[]).await;
    let sever = as_user(&server, "manager@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let (status, client) = sever
        .post(
            "/api/v1/clients",
            json!({"full_name": "Орлов Пётр", "phone": "+79160000001"}),
        )
        .await;
    assert_eq!(status, 201, "{client}");
    let id = client["id"].as_i64().unwrap();
    let cars = format!("/api/v1/clients/{id}/vehicles");

    // A VIN is 17 Latin letters and digits without I, O, Q; a year is not far in the future.
    for bad in [
        json!({"make": "Kia", "vin": "XW8ZZZ61ZEG06173"}),
        json!({"make": "Kia", "vin": "XW8ZZZ61ZEG06173O"}),
        json!({"make": "Kia", "year": 2100}),
        json!({"make": "Kia", "mileage_km": -5}),
        json!({"make": "Kia", "mileage_km": 5, "mileage_read_on": "2999-01-01"}),
        json!({"make": "Kia", "colour": "red"}),
    ] {
        let (status, body) = sever.post(&cars, bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
    }
    let (status, car) = sever
        .post(
            &cars,
            json!({"make": "Kia", "model": "Rio", "year": 2017, "plate": "а 123 вс 77",
                   "vin": " xw8zzz61zeg061733 ", "mileage_km": 120000}),
        )
        .await;
    assert_eq!(status, 201, "{car}");
    assert_eq!(car["vin"], "XW8ZZZ61ZEG061733");
    assert_eq!(car["plate"], "А123ВС77");
    assert!(
        car["mileage_read_on"].is_string(),
        "a reading without its day is today's: {car}"
    );
    let car_id = car["id"].as_i64().unwrap();

    // Corrections: a new reading with its day; `null` clears the plate.
    let (status, corrected) = sever
        .patch(
            &format!("{cars}/{car_id}"),
            json!({"mileage_km": 125000, "mileage_read_on": "2026-11-30", "plate": null, "model": "Rio X"}),
        )
        .await;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(corrected["mileage_km"], 125000);
    assert_eq!(corrected["mileage_read_on"], "2026-11-30");
    assert!(corrected["plate"].is_null());
    assert_eq!(corrected["model"], "Rio X");
    assert_eq!(
        corrected["vin"], "XW8ZZZ61ZEG061733",
        "untouched fields stay"
    );
    let (status, _) = sever
        .patch(&format!("{cars}/{car_id}"), json!({"vin": "1234"}))
        .await;
    assert_eq!(status, 422);

    // Found by part of the VIN, typed in lower case.
    let (_, found) = sever.get("/api/v1/clients?search=zeg061").await;
    let ids: Vec<i64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![id]);

    // Another company sees neither the card nor the car, and cannot change or remove it.
    let (_, nothing) = garage.get("/api/v1/clients?search=zeg061").await;
    assert_eq!(nothing, json!([]));
    assert_eq!(
        garage
            .patch(&format!("{cars}/{car_id}"), json!({"model": "X"}))
            .await
            .0,
        404
    );
    assert_eq!(garage.delete(&format!("{cars}/{car_id}")).await.0, 404);
    assert_eq!(garage.post(&cars, json!({"make": "X"})).await.0, 404);

    // A car of another card of the same company is not found under this card.
    let (other, _) = client_with_visits(&sever).await;
    assert_eq!(
        sever
            .delete(&format!("/api/v1/clients/{other}/vehicles/{car_id}"))
            .await
            .0,
        404
    );

    let (status, _) = sever.delete(&format!("{cars}/{car_id}")).await;
    assert_eq!(status, 204);
    let (_, detail) = sever.get(&format!("/api/v1/clients/{id}")).await;
    assert_eq!(detail["vehicles"], json!([]));
}

#[tokio::test]
async fn a_car_that_visits_name_stays_and_the_card_counts_its_visits() {
    let (_db, server) = demo_server(&[]).await;
    let sever = as_user(&server, "admin@sever.demo").await;
    let (id, detail) = client_with_visits(&sever).await;
    let visits = detail["appointments"].as_array().unwrap();
    let car = visits
        .iter()
        .find_map(|a| a["vehicle_id"].as_i64())
        .expect("demo visits name the car");
    let (status, body) = sever
        .delete(&format!("/api/v1/clients/{id}/vehicles/{car}"))
        .await;
    assert_eq!(status, 409, "{body}");

    // The totals are the visits' own numbers.
    let count = |status: &str| visits.iter().filter(|a| a["status"] == status).count() as i64;
    let completed_total: f64 = visits
        .iter()
        .filter(|a| a["status"] == "completed")
        .map(|a| a["total_price"].as_f64().unwrap())
        .sum();
    let totals = &detail["totals"];
    assert_eq!(totals["visits"], visits.len() as i64, "{totals}");
    assert_eq!(totals["completed"], count("completed"));
    assert_eq!(totals["no_shows"], count("no_show"));
    assert_eq!(totals["cancelled"], count("cancelled"));
    assert!((totals["completed_total"].as_f64().unwrap() - completed_total).abs() < 0.005);
}

#[tokio::test]
async fn staff_merge_two_cards_after_a_preview_and_nothing_is_left_behind() {
    let (db, server) = demo_server(&[]).await;
    let sever = as_user(&server, "manager@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let (drop, before) = client_with_visits(&sever).await;
    let visits = before["appointments"].as_array().unwrap().len() as i64;
    let cars = before["vehicles"].as_array().unwrap().len() as i64;
    // A reminder queued for the card that goes.
    sqlx::query(
        "INSERT INTO jobs (tenant_id, kind, payload, dedupe_key, run_at)
         SELECT tenant_id, 'telegram.message',
                jsonb_build_object('client_id', id, 'text', 'Напоминание'), 'merge-test',
                now() + interval '1 day'
         FROM clients WHERE id = $1",
    )
    .bind(drop)
    .execute(&db.owner)
    .await
    .unwrap();
    let (status, keep) = sever
        .post(
            "/api/v1/clients",
            json!({"full_name": "", "email": "same.person@example.com", "telegram_id": 777000111, "notes": "Звонить после 18"}),
        )
        .await;
    assert_eq!(status, 201, "{keep}");
    let keep = keep["id"].as_i64().unwrap();

    let preview_path = format!("/api/v1/clients/{keep}/merge?other_id={drop}");
    let (status, preview) = sever.get(&preview_path).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["visits"], visits);
    assert_eq!(preview["cars"], cars);
    assert_eq!(preview["queued"], 1);
    assert_eq!(
        preview["result"]["full_name"], before["full_name"],
        "an empty name is filled"
    );
    assert_eq!(preview["result"]["phone"], before["phone"]);
    assert_eq!(preview["result"]["email"], "same.person@example.com");
    assert_eq!(preview["result"]["telegram_id"], 777000111);

    // Nothing changed by looking; another company cannot look or merge.
    assert_eq!(garage.get(&preview_path).await.0, 404);
    assert_eq!(
        garage
            .post(
                &format!("/api/v1/clients/{keep}/merge"),
                json!({"other_id": drop})
            )
            .await
            .0,
        404
    );
    assert_eq!(
        sever
            .post(
                &format!("/api/v1/clients/{keep}/merge"),
                json!({"other_id": keep})
            )
            .await
            .0,
        422
    );

    let (status, merged) = sever
        .post(
            &format!("/api/v1/clients/{keep}/merge"),
            json!({"other_id": drop}),
        )
        .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["phone"], before["phone"]);
    assert_eq!(sever.get(&format!("/api/v1/clients/{drop}")).await.0, 404);
    let (_, after) = sever.get(&format!("/api/v1/clients/{keep}")).await;
    assert_eq!(
        after["appointments"].as_array().unwrap().len() as i64,
        visits
    );
    assert_eq!(after["vehicles"].as_array().unwrap().len() as i64, cars);
    let queued_for: i64 = sqlx::query_scalar(
        "SELECT (payload ->> 'client_id')::bigint FROM jobs WHERE dedupe_key = 'merge-test'",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(queued_for, keep, "the queued reminder follows the card");

    // Two Telegram chats do not become one card.
    let (_, other) = sever
        .post(
            "/api/v1/clients",
            json!({"full_name": "Другой", "telegram_id": 777000222}),
        )
        .await;
    let (status, body) = sever
        .post(
            &format!("/api/v1/clients/{keep}/merge"),
            json!({"other_id": other["id"]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test]
async fn an_admin_deactivates_a_manager_whose_tokens_and_stream_stop_and_stay_stopped() {
    use futures::StreamExt;

    let (_db, server) = demo_server(&[("STREAM_RECHECK_SECONDS", "1")]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    let manager_token = token(&server, "manager@sever.demo", PASSWORD).await;
    let manager = Api::new(&server, manager_token.clone());
    let garage = as_user(&server, "admin@garage24.demo").await;
    let (_, staff) = admin.get("/api/v1/users").await;
    let find = |email: &str| {
        staff
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()
            .clone()
    };
    let (manager_id, admin_id) = (
        find("manager@sever.demo")["id"].as_i64().unwrap(),
        find("admin@sever.demo")["id"].as_i64().unwrap(),
    );
    assert!(
        find("manager@sever.demo")["last_login_at"].is_string(),
        "{staff}"
    );
    let user = |id: i64| format!("/api/v1/users/{id}");

    // Managers do not manage staff; another company does not see this one's.
    assert_eq!(
        manager
            .patch(&user(admin_id), json!({"is_active": false}))
            .await
            .0,
        403
    );
    assert_eq!(
        garage
            .patch(&user(manager_id), json!({"is_active": false}))
            .await
            .0,
        404
    );
    // The company's only admin stays one.
    let (status, body) = admin
        .patch(&user(admin_id), json!({"role": "manager"}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        admin
            .patch(&user(admin_id), json!({"is_active": false}))
            .await
            .0,
        409
    );
    assert_eq!(
        admin
            .patch(&user(manager_id), json!({"role": "owner"}))
            .await
            .0,
        422
    );

    // The manager's live stream is open; then they are deactivated.
    let stream = reqwest::Client::new()
        .get(server.url(&format!("/api/v1/events?token={manager_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let (status, changed) = admin
        .patch(&user(manager_id), json!({"is_active": false}))
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["is_active"], false);
    assert_eq!(manager.get("/api/v1/appointments/").await.0, 401);
    let mut events = stream.bytes_stream();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = events.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "a deactivated manager's stream kept running");

    // Reactivated: the old token stays dead; a new login works.
    let (status, _) = admin
        .patch(&user(manager_id), json!({"is_active": true}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(manager.get("/api/v1/appointments/").await.0, 401);
    let fresh = Api::new(
        &server,
        token(&server, "manager@sever.demo", PASSWORD).await,
    );
    assert_eq!(fresh.get("/api/v1/appointments/").await.0, 200);

    // Promoted: now two admins, so the first may step down.
    let (status, promoted) = admin
        .patch(&user(manager_id), json!({"role": "admin"}))
        .await;
    assert_eq!((status, promoted["role"].as_str()), (200, Some("admin")));
    let (status, _) = admin
        .patch(&user(admin_id), json!({"role": "manager"}))
        .await;
    assert_eq!(status, 200);
}
