//! Issue 17, item 2: free text about the customer's own visit is understood in the bot. «Сдвинуть
//! визит на час позже» goes straight to choosing the day of the one visit to move, «хочу
//! отменить запись» lists the visits with «Отменить», «когда будет готова машина?» is answered
//! from the visit's status, and «сколько стоит…» lists the services with prices.

use super::*;
use crate::common::{
    free_day,
    server::{token, Api},
};

#[tokio::test]
async fn moving_cancelling_status_and_price_are_understood_in_free_text() {
    let (db, fake, server) = sever_with_bot().await;
    let api = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let user = 7_770_001;
    fake.write(SEVER_TOKEN, user, "/start");
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    let client: i64 = sqlx::query_scalar("SELECT id FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    let shop = api.get("/api/v1/shops/").await.1[0]["id"].as_i64().unwrap();
    let service = api.get("/api/v1/services/").await.1[0]["id"]
        .as_i64()
        .unwrap();
    let book = |day: chrono::NaiveDate| {
        let api = &api;
        async move {
            let (_, slots) = api
                .get(&format!(
                    "/api/v1/shops/{shop}/slots?date={day}&service_ids={service}"
                ))
                .await;
            let (code, visit) = api
                .post(
                    "/api/v1/appointments/",
                    json!({"shop_id": shop, "client_id": client, "service_ids": [service],
                           "start_time": slots[0]["start_time"]}),
                )
                .await;
            assert_eq!(code, 201, "{visit}");
            visit
        }
    };
    // No visit yet: nothing to cancel, and a person is offered (the chat is marked for staff).
    fake.write(SEVER_TOKEN, user, "Хочу отменить запись");
    let reply = fake
        .wait_message(SEVER_TOKEN, user, "Предстоящих записей нет")
        .await;
    assert!(
        buttons(&reply)
            .iter()
            .any(|(text, _)| text == "Позвать менеджера"),
        "{reply}"
    );

    let visit = book(free_day(5)).await;
    let when = chrono::DateTime::parse_from_rfc3339(visit["start_time"].as_str().unwrap())
        .unwrap()
        .format("%d.%m %H:%M")
        .to_string();

    // One visit to move: straight to its days.
    fake.write(SEVER_TOKEN, user, "Мне нужно сдвинуть визит на час позже");
    let reply = fake
        .wait_message(SEVER_TOKEN, user, &format!("Переносим запись {when}"))
        .await;
    assert!(!buttons(&reply).is_empty(), "{reply}");

    // Cancelling: the visits with «Отменить»; the press cancels.
    fake.write(SEVER_TOKEN, user, "Хочу отменить запись");
    let reply = fake
        .wait_message(SEVER_TOKEN, user, "Какую запись отменить?")
        .await;
    let (_, cancel) = buttons(&reply)
        .into_iter()
        .find(|(text, _)| text.starts_with("Отменить"))
        .unwrap_or_else(|| panic!("no «Отменить»: {reply}"));
    fake.press(SEVER_TOKEN, user, &cancel);
    fake.wait_message(SEVER_TOKEN, user, &format!("Запись на {when} отменена"))
        .await;
    let (_, cancelled) = api
        .get(&format!("/api/v1/appointments/{}", visit["id"]))
        .await;
    assert_eq!(cancelled["status"], "cancelled");

    // «Когда будет готова?» from the visit of today in the works, then finished.
    let today = book(free_day(1)).await;
    let id = today["id"].as_i64().unwrap();
    for status in ["confirmed", "in_progress"] {
        let (code, body) = api
            .patch(
                &format!("/api/v1/appointments/{id}"),
                json!({ "status": status }),
            )
            .await;
        assert_eq!(code, 200, "{body}");
    }
    fake.write(SEVER_TOKEN, user, "Когда будет готова машина?");
    fake.wait_message(SEVER_TOKEN, user, "Машина в работе")
        .await;
    let (code, _) = api
        .patch(
            &format!("/api/v1/appointments/{id}"),
            json!({ "status": "completed" }),
        )
        .await;
    assert_eq!(code, 200);
    fake.write(SEVER_TOKEN, user, "Машина уже готова?");
    fake.wait_message(SEVER_TOKEN, user, "Можно забирать").await;

    // A price question: the matching services with their prices.
    fake.write(SEVER_TOKEN, user, "Сколько стоит замена масла?");
    let reply = fake
        .wait_message(SEVER_TOKEN, user, "Подходящие работы")
        .await;
    assert!(reply["text"].as_str().unwrap().contains('₽'), "{reply}");
    // Each message's analysis keeps the intent it was understood as.
    let intents: Vec<String> = sqlx::query_scalar(
        "SELECT analysis ->> 'intent' FROM bot_messages
         WHERE client_id = $1 AND author = 'customer' AND analysis IS NOT NULL ORDER BY id",
    )
    .bind(client)
    .fetch_all(&db.owner)
    .await
    .unwrap();
    assert_eq!(
        intents,
        [
            "cancel",
            "reschedule",
            "cancel",
            "visit_status",
            "visit_status",
            "price"
        ]
    );
    db.drop().await;
}
