//! The company's own settings over the REST API: name, time zone and reminder hours (admins
//! change them, managers read them, another company never sees them), the reminders a booking
//! queues by them, and the names of a shop's bays.

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::common::free_day;

/// The `msg` of a 422's first detail.
fn message(body: &Value) -> &str {
    body["detail"][0]["msg"]
        .as_str()
        .or_else(|| body["detail"].as_str())
        .unwrap_or_default()
}

#[tokio::test]
async fn company_name_zone_and_reminders_are_changed_by_admins_only() {
    let (db, server) = demo_server(&[]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    let manager = as_user(&server, "manager@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    // Another notification setting, which the change must keep.
    sqlx::query(
        "UPDATE tenants SET notification_settings = '{\"quiet_hours\": [22, 8]}' WHERE slug = 'sever'",
    )
    .execute(&db.owner)
    .await
    .unwrap();

    let (status, before) = manager.get("/api/v1/tenant").await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["name"], "Автосервис Север");
    assert_eq!(before["slug"], "sever");
    assert_eq!(before["timezone"], "Europe/Moscow");
    assert_eq!(before["reminder_hours"], json!([24, 2]), "the default");
    assert!(before["created_at"].is_string());

    let change = json!({"name": "  Север Плюс ", "timezone": "Asia/Yekaterinburg", "reminder_hours": [2, 48, 2]});
    let (status, body) = manager.patch("/api/v1/tenant", change.clone()).await;
    assert_eq!(status, 403, "{body}");
    let (status, changed) = admin.patch("/api/v1/tenant/", change).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "Север Плюс");
    assert_eq!(changed["timezone"], "Asia/Yekaterinburg");
    assert_eq!(
        changed["reminder_hours"],
        json!([48, 2]),
        "sorted, once each"
    );
    let (_, read) = manager.get("/api/v1/tenant/").await;
    assert_eq!(read, changed);
    let kept: Value = sqlx::query_scalar(
        "SELECT notification_settings -> 'quiet_hours' FROM tenants WHERE slug = 'sever'",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap();
    assert_eq!(kept, json!([22, 8]));

    // What is left out stays.
    let (status, renamed) = admin
        .patch("/api/v1/tenant", json!({"name": "Автосервис Север"}))
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["timezone"], "Asia/Yekaterinburg");
    assert_eq!(renamed["reminder_hours"], json!([48, 2]));

    for (bad, says) in [
        (json!({"timezone": "Europe/Atlantis"}), "часовой пояс"),
        (json!({"name": "   "}), "Укажите название"),
        (json!({"name": "я".repeat(201)}), "не длиннее 200"),
        (json!({"reminder_hours": [0]}), "от 1 до 720"),
        (json!({"reminder_hours": [24, 800]}), "от 1 до 720"),
        (json!({"reminder_hours": [1, 2, 3, 4, 5, 6]}), "не больше 5"),
        (json!({"reminder_hours": [1.5]}), ""),
        (json!({"slug": "other"}), ""),
    ] {
        let (status, body) = admin.patch("/api/v1/tenant", bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
        assert!(message(&body).contains(says), "{bad} → {body}");
    }
    let (_, unchanged) = admin.get("/api/v1/tenant").await;
    assert_eq!(unchanged, renamed, "nothing written");

    // Another company's settings are its own.
    let (_, theirs) = garage.get("/api/v1/tenant").await;
    assert_eq!(theirs["name"], "Гараж 24");
    assert_eq!(theirs["timezone"], "Europe/Moscow");
    assert_eq!(theirs["reminder_hours"], json!([24, 2]));
    assert_ne!(theirs["id"], renamed["id"]);
    drop(server);
    db.drop().await;
}

/// Books the `nth` free time of `day` in the first shop for a client who has the bot; returns
/// the visit's id and start.
async fn book(api: &Api, client: i64, day: NaiveDate, nth: usize) -> (i64, DateTime<Utc>) {
    let shop = api.get("/api/v1/shops/").await.1[0]["id"].as_i64().unwrap();
    let service = api.get("/api/v1/services/").await.1[0]["id"]
        .as_i64()
        .unwrap();
    let (status, slots) = api
        .get(&format!(
            "/api/v1/shops/{shop}/slots?date={day}&service_ids={service}"
        ))
        .await;
    assert_eq!(status, 200, "{slots}");
    let (status, visit) = api
        .post(
            "/api/v1/appointments/",
            json!({"shop_id": shop, "client_id": client, "service_ids": [service],
                   "start_time": slots[nth]["start_time"]}),
        )
        .await;
    assert_eq!(status, 201, "{visit}");
    let start = DateTime::parse_from_rfc3339(visit["start_time"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    (visit["id"].as_i64().unwrap(), start)
}

async fn reminders(db: &crate::common::TestDb, visit: i64) -> Vec<DateTime<Utc>> {
    sqlx::query_scalar(
        "SELECT run_at FROM jobs WHERE dedupe_key LIKE 'reminder:' || $1 || ':%' ORDER BY run_at",
    )
    .bind(visit.to_string())
    .fetch_all(&db.owner)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_company_reminder_hours_decide_the_reminders_a_booking_queues() {
    let (db, server) = demo_server(&[]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    let (status, client) = admin
        .post(
            "/api/v1/clients",
            json!({"full_name": "Тёмкин Савва", "phone": "+79160000777"}),
        )
        .await;
    assert_eq!(status, 201, "{client}");
    let client = client["id"].as_i64().unwrap();
    // The client wrote to the bot once: reminders have a chat to go to.
    sqlx::query(
        "UPDATE clients SET telegram_id = 7770001, telegram_chat_id = 7770001 WHERE id = $1",
    )
    .bind(client)
    .execute(&db.owner)
    .await
    .unwrap();
    let day = free_day(12);

    let (id, start) = book(&admin, client, day, 0).await;
    assert_eq!(
        reminders(&db, id).await,
        vec![
            start - chrono::Duration::hours(24),
            start - chrono::Duration::hours(2)
        ],
        "the default: 24 and 2 hours before"
    );

    let (status, body) = admin
        .patch("/api/v1/tenant", json!({"reminder_hours": [3]}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (id, start) = book(&admin, client, day, 4).await;
    assert_eq!(
        reminders(&db, id).await,
        vec![start - chrono::Duration::hours(3)]
    );

    let (status, body) = admin
        .patch("/api/v1/tenant", json!({"reminder_hours": []}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reminder_hours"], json!([]), "off, not the default");
    let (id, _) = book(&admin, client, day, 8).await;
    assert!(reminders(&db, id).await.is_empty());
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn a_company_names_its_bays_and_the_names_follow_the_bays() {
    let (db, server) = demo_server(&[]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let hours = json!({"mon": [["09:00", "18:00"]]});

    let (status, shop) = admin
        .post(
            "/api/v1/shops",
            json!({"name": "Север на Нагатинской", "bays": 3, "working_hours": hours,
                   "bay_names": [" Подъёмник ", "", "Развал", ""]}),
        )
        .await;
    assert_eq!(status, 201, "{shop}");
    assert_eq!(shop["bay_names"], json!(["Подъёмник", "", "Развал"]));
    let url = format!("/api/v1/shops/{}", shop["id"]);
    let (_, read) = admin.get(&url).await;
    assert_eq!(read["bay_names"], shop["bay_names"]);
    let (_, list) = admin.get("/api/v1/shops").await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["bay_names"].is_array()));

    let (status, renamed) = admin
        .patch(&url, json!({"bay_names": ["Подъёмник", "Шиномонтаж"]}))
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["bay_names"], json!(["Подъёмник", "Шиномонтаж"]));

    for bad in [
        json!({"bay_names": ["я".repeat(41)]}),
        json!({"bay_names": ["a", "b", "c", "d"]}),
        json!({"bays": 1, "bay_names": ["a", "b"]}),
    ] {
        let (status, body) = admin.patch(&url, bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
        assert!(message(&body).contains("пост"), "{bad} → {body}");
    }
    let (status, body) = admin
        .post(
            "/api/v1/shops",
            json!({"name": "Лишний", "bays": 1, "working_hours": hours, "bay_names": ["a", "b"]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // Fewer bays: the names of those removed go; more again: they do not come back.
    let (status, fewer) = admin.patch(&url, json!({"bays": 1})).await;
    assert_eq!(status, 200, "{fewer}");
    assert_eq!(fewer["bay_names"], json!(["Подъёмник"]));
    let (_, more) = admin.patch(&url, json!({"bays": 3})).await;
    assert_eq!(more["bay_names"], json!(["Подъёмник"]));

    // Another company can neither see nor rename them.
    assert_eq!(garage.get(&url).await.0, 404);
    assert_eq!(
        garage.patch(&url, json!({"bay_names": ["Чужой"]})).await.0,
        404
    );
    let manager = as_user(&server, "manager@sever.demo").await;
    assert_eq!(
        manager.patch(&url, json!({"bay_names": ["Чужой"]})).await.0,
        403
    );
    assert_eq!(admin.get(&url).await.1["bay_names"], json!(["Подъёмник"]));
    drop(server);
    db.drop().await;
}
