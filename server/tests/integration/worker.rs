//! The worker and the outbox, black-box: staff change a visit over the REST API, the client gets
//! the message through the company's bot (a fake Bot API, `crate::common::telegram`), once, with retries
//! when Telegram fails; reminders are queued with the booking and skipped when the visit moved.

use std::time::{Duration, Instant};

use crate::common::{
    free_day,
    server::{token, Api, RoleProcess, TestServer},
    telegram::{connect_bot, tenant, FakeTelegram, SEVER_TOKEN},
    TestDb,
};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

/// A working day well ahead (demo visits cover only ±3 days), not a Sunday.
struct Setup {
    db: TestDb,
    fake: FakeTelegram,
    server: TestServer,
    api: Api,
}

async fn setup() -> Setup {
    setup_with(&[]).await
}

/// The demo with Север's bot connected, against a fake Bot API; `extra` goes to the server.
async fn setup_with(extra: &[(&str, &str)]) -> Setup {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = tenant(&db, "sever").await;
    connect_bot(&db, sever, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let telegram = fake.url("p1");
    let mut env = vec![("TELEGRAM_API_URL", telegram.as_str())];
    env.extend_from_slice(extra);
    let server = TestServer::start(&db, &env).await;
    let api = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    Setup {
        db,
        fake,
        server,
        api,
    }
}

/// A car owner who wrote `/start` to Север's bot: their client id.
async fn bot_client(s: &Setup, user: i64) -> i64 {
    s.fake.write(SEVER_TOKEN, user, "/start");
    s.fake
        .wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    sqlx::query_scalar("SELECT id FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&s.db.owner)
        .await
        .unwrap()
}

/// Staff book a visit for the client at the `nth` free time of `day` in the first shop.
async fn book(api: &Api, client_id: i64, day: NaiveDate, nth: usize) -> Value {
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
    let start = slots[nth]["start_time"].clone();
    let (status, visit) = api
        .post(
            "/api/v1/appointments/",
            json!({"shop_id": shop, "client_id": client_id, "service_ids": [service], "start_time": start}),
        )
        .await;
    assert_eq!(status, 201, "{visit}");
    visit
}

async fn set_status(api: &Api, id: i64, status: &str) {
    let (code, body) = api
        .patch(
            &format!("/api/v1/appointments/{id}"),
            json!({ "status": status }),
        )
        .await;
    assert_eq!(code, 200, "{status}: {body}");
}

/// Messages to `chat` through Север's bot containing `text`.
fn sent(fake: &FakeTelegram, chat: i64, text: &str) -> usize {
    fake.calls(SEVER_TOKEN, "sendmessage")
        .iter()
        .filter(|b| {
            b["chat_id"] == json!(chat) && b["text"].as_str().is_some_and(|t| t.contains(text))
        })
        .count()
}

/// `28.11 в 10:30` as the messages write a visit's time.
fn when(visit: &Value) -> String {
    DateTime::parse_from_rfc3339(visit["start_time"].as_str().unwrap())
        .unwrap()
        .format("%d.%m в %H:%M")
        .to_string()
}

#[tokio::test]
async fn staff_status_changes_reach_the_client_once_through_the_bot() {
    let s = setup().await;
    let user = 6_660_001;
    let client = bot_client(&s, user).await;
    let visit = book(&s.api, client, free_day(10), 0).await;
    let id = visit["id"].as_i64().unwrap();

    set_status(&s.api, id, "confirmed").await;
    let message = s.fake.wait_message(SEVER_TOKEN, user, "подтверждена").await;
    let text = message["text"].as_str().unwrap();
    assert!(text.contains(&when(&visit)), "{text}");
    set_status(&s.api, id, "in_progress").await;
    s.fake
        .wait_message(SEVER_TOKEN, user, "приступил к работе")
        .await;
    set_status(&s.api, id, "completed").await;
    s.fake
        .wait_message(SEVER_TOKEN, user, "можно забирать")
        .await;

    // Another visit cancelled by staff; one moved by staff.
    let second = book(&s.api, client, free_day(11), 0).await;
    let second_id = second["id"].as_i64().unwrap();
    set_status(&s.api, second_id, "cancelled").await;
    s.fake
        .wait_message(SEVER_TOKEN, user, "отменена сервисом")
        .await;
    let third = book(&s.api, client, free_day(12), 0).await;
    let later = book(&s.api, client, free_day(12), 4).await;
    // Free the later time again, then move the third visit there.
    set_status(&s.api, later["id"].as_i64().unwrap(), "cancelled").await;
    let (code, moved) = s
        .api
        .patch(
            &format!("/api/v1/appointments/{}", third["id"]),
            json!({ "start_time": later["start_time"] }),
        )
        .await;
    assert_eq!(code, 200, "{moved}");
    let message = s
        .fake
        .wait_message(SEVER_TOKEN, user, "Время вашей записи изменилось")
        .await;
    assert!(message["text"].as_str().unwrap().contains(&when(&later)));

    // Each message went out exactly once, also after more worker rounds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for text in [
        "подтверждена",
        "приступил к работе",
        "можно забирать",
        "Время вашей записи изменилось",
    ] {
        assert_eq!(sent(&s.fake, user, text), 1, "{text}");
    }
    assert_eq!(sent(&s.fake, user, "отменена сервисом"), 2);
    // Booked by staff: each of the four visits was confirmed to the client as well.
    assert_eq!(sent(&s.fake, user, "Вы записаны на"), 4);
    let jobs: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT dedupe_key, status, attempts FROM jobs
         WHERE dedupe_key NOT LIKE 'reminder:%' ORDER BY id",
    )
    .fetch_all(&s.db.owner)
    .await
    .unwrap();
    assert_eq!(jobs.len(), 10, "{jobs:?}");
    assert!(
        jobs.iter()
            .all(|(_, status, attempts)| status == "done" && *attempts == 1),
        "{jobs:?}"
    );
    // The messages are in the client's transcript.
    let transcript: Vec<String> = sqlx::query_scalar(
        "SELECT text FROM bot_messages WHERE client_id = $1 AND author = 'bot' ORDER BY id",
    )
    .bind(client)
    .fetch_all(&s.db.owner)
    .await
    .unwrap();
    assert!(transcript.iter().any(|t| t.contains("подтверждена")));

    // The web admin's status change (a server function with the session cookie) too.
    let fourth = book(&s.api, client, free_day(14), 0).await;
    let response = reqwest::Client::new()
        .post(s.server.url("/api/change_status"))
        .header("cookie", format!("ac_session={}", s.api.token))
        .header("origin", &s.server.base)
        .form(&[
            ("id", fourth["id"].to_string()),
            ("status", "confirmed".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let message = s
        .fake
        .wait_message(
            SEVER_TOKEN,
            user,
            &format!("{} подтверждена", when(&fourth)),
        )
        .await;
    assert!(message["text"].as_str().unwrap().contains("Ждём вас"));

    // A client without Telegram, and no SMS or e-mail configured: the message is queued, and
    // why it could not go is on record for staff.
    let (_, walk_in) = s
        .api
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Без Телеграма", "phone": "+79990001122"}),
        )
        .await;
    let other = book(&s.api, walk_in["id"].as_i64().unwrap(), free_day(13), 0).await;
    set_status(&s.api, other["id"].as_i64().unwrap(), "confirmed").await;
    let key = format!("status:{}:confirmed", other["id"]);
    assert_eq!(settled(&s.db, &key).await, ("failed".to_string(), 1));
    let why: Vec<(Option<String>, String, String)> = sqlx::query_as(
        "SELECT channel, status, detail FROM deliveries WHERE appointment_id = $1 AND event = 'confirmed'",
    )
    .bind(other["id"].as_i64().unwrap())
    .fetch_all(&s.db.owner)
    .await
    .unwrap();
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!((why[0].0.as_deref(), why[0].1.as_str()), (None, "failed"));
    assert!(
        why[0].2.contains("SMS не настроены") && why[0].2.contains("нет e-mail"),
        "{why:?}"
    );
    s.db.drop().await;
}

#[tokio::test]
async fn a_failed_send_is_retried_and_a_refusal_is_not() {
    let s = setup().await;
    let user = 6_660_002;
    let client = bot_client(&s, user).await;
    let visit = book(&s.api, client, free_day(10), 0).await;
    s.fake
        .wait_message(SEVER_TOKEN, user, "Вы записаны на")
        .await;

    // Telegram answers 502 once: the worker tries again a few seconds later.
    s.fake.fail_sends(
        SEVER_TOKEN,
        vec![(
            StatusCode::BAD_GATEWAY,
            json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
        )],
    );
    let changed = Instant::now();
    set_status(&s.api, visit["id"].as_i64().unwrap(), "confirmed").await;
    s.fake.wait_message(SEVER_TOKEN, user, "подтверждена").await;
    assert!(
        changed.elapsed() >= Duration::from_secs(4),
        "no pause before the retry"
    );
    assert_eq!(s.fake.calls(SEVER_TOKEN, "sendmessage-refused").len(), 1);
    // The worker commits `done` just after Telegram's answer: give it that moment.
    let started = Instant::now();
    let (status, attempts, error) = loop {
        let job: (String, i32, Option<String>) = sqlx::query_as(
            "SELECT status, attempts, last_error FROM jobs WHERE dedupe_key LIKE 'status:%'",
        )
        .fetch_one(&s.db.owner)
        .await
        .unwrap();
        if job.0 != "pending" || started.elapsed() > Duration::from_secs(5) {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((status.as_str(), attempts), ("done", 2));
    assert!(error.is_none_or(|e| !e.contains("AAHdqTcv")));
    let log = s.server.log();
    assert!(log.contains("message not sent"), "{log}");
    assert!(
        !log.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALD"),
        "token in the log"
    );

    // The user blocked the bot: 403 is final, no further attempts.
    s.fake.fail_sends(
        SEVER_TOKEN,
        vec![(
            StatusCode::FORBIDDEN,
            json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
        )],
    );
    set_status(&s.api, visit["id"].as_i64().unwrap(), "cancelled").await;
    let started = Instant::now();
    let (status, attempts, error) = loop {
        let row: (String, i32, Option<String>) = sqlx::query_as(
            "SELECT status, attempts, last_error FROM jobs WHERE dedupe_key LIKE 'status:%:cancelled'",
        )
        .fetch_one(&s.db.owner)
        .await
        .unwrap();
        if row.0 != "pending" {
            break row;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "job still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(error.unwrap().contains("blocked"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sent(&s.fake, user, "отменена сервисом"), 0);
    assert_eq!(s.fake.calls(SEVER_TOKEN, "sendmessage-refused").len(), 2);
    s.db.drop().await;
}

#[tokio::test]
async fn two_workers_send_each_message_once() {
    let s = setup().await;
    let _worker = RoleProcess::start(&s.db, &s.fake.url("p2"), "worker");
    let user = 6_660_003;
    let client = bot_client(&s, user).await;
    let mut visits = Vec::new();
    for nth in 0..6 {
        visits.push(book(&s.api, client, free_day(10), nth * 2).await);
    }
    for visit in &visits {
        set_status(&s.api, visit["id"].as_i64().unwrap(), "confirmed").await;
    }
    for visit in &visits {
        s.fake
            .wait_message(SEVER_TOKEN, user, &format!("{} подтверждена", when(visit)))
            .await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for visit in &visits {
        assert_eq!(
            sent(&s.fake, user, &format!("{} подтверждена", when(visit))),
            1
        );
    }
    s.db.drop().await;
}

#[tokio::test]
async fn reminders_are_queued_with_the_booking_and_skipped_after_a_move() {
    let s = setup().await;
    let user = 6_660_004;
    let client = bot_client(&s, user).await;
    let visit = book(&s.api, client, free_day(10), 0).await;
    let id = visit["id"].as_i64().unwrap();
    let start = DateTime::parse_from_rfc3339(visit["start_time"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);

    // 24 h and 2 h before, waiting.
    let reminders: Vec<(String, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT dedupe_key, run_at, status FROM jobs WHERE dedupe_key LIKE 'reminder:%' ORDER BY run_at",
    )
    .fetch_all(&s.db.owner)
    .await
    .unwrap();
    assert_eq!(reminders.len(), 2, "{reminders:?}");
    assert_eq!(reminders[0].1, start - chrono::Duration::hours(24));
    assert_eq!(reminders[1].1, start - chrono::Duration::hours(2));
    assert!(reminders.iter().all(|r| r.2 == "pending"));

    // The day before comes: the reminder arrives.
    sqlx::query("UPDATE jobs SET run_at = now() WHERE dedupe_key = $1")
        .bind(&reminders[0].0)
        .execute(&s.db.owner)
        .await
        .unwrap();
    let message = s
        .fake
        .wait_message(SEVER_TOKEN, user, "Напоминаем: завтра")
        .await;
    assert!(message["text"].as_str().unwrap().contains(&when(&visit)));

    // Staff move the visit: the old 2-hour reminder is skipped, new ones are queued.
    let later = book(&s.api, client, free_day(11), 2).await;
    set_status(&s.api, later["id"].as_i64().unwrap(), "cancelled").await;
    let (code, body) = s
        .api
        .patch(
            &format!("/api/v1/appointments/{id}"),
            json!({ "start_time": later["start_time"] }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    sqlx::query("UPDATE jobs SET run_at = now() WHERE dedupe_key = $1")
        .bind(&reminders[1].0)
        .execute(&s.db.owner)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let (status, note): (String, Option<String>) =
            sqlx::query_as("SELECT status, last_error FROM jobs WHERE dedupe_key = $1")
                .bind(&reminders[1].0)
                .fetch_one(&s.db.owner)
                .await
                .unwrap();
        if status == "done" {
            assert!(note.unwrap_or_default().contains("skipped"));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "old reminder not handled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent(&s.fake, user, "Напоминаем: сегодня"), 0);
    let new_start = DateTime::parse_from_rfc3339(later["start_time"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let queued: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT run_at FROM jobs WHERE dedupe_key LIKE $1 AND status = 'pending' ORDER BY run_at",
    )
    .bind(format!("reminder:{id}:{}:%", new_start.timestamp()))
    .fetch_all(&s.db.owner)
    .await
    .unwrap();
    assert_eq!(
        queued,
        vec![
            new_start - chrono::Duration::hours(24),
            new_start - chrono::Duration::hours(2)
        ]
    );
    s.db.drop().await;
}

#[tokio::test]
async fn serve_web_only_leaves_the_bots_and_the_queue_to_their_own_processes() {
    let s = setup_with(&[("WEB_ONLY", "true")]).await;

    // No bot is polled by the web process.
    let user = 6_660_009;
    s.fake.write(SEVER_TOKEN, user, "/start");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(s.fake.calls(SEVER_TOKEN, "getupdates").is_empty());
    assert_eq!(s.fake.calls(SEVER_TOKEN, "sendmessage").len(), 0);

    // A `bot` process answers the customer who was waiting.
    let _bot = RoleProcess::start(&s.db, &s.fake.url("bot"), "bot");
    s.fake
        .wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    let client: i64 = sqlx::query_scalar("SELECT id FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&s.db.owner)
        .await
        .unwrap();

    // A status change is queued by the web process and waits for a worker…
    let visit = book(&s.api, client, free_day(10), 0).await;
    set_status(&s.api, visit["id"].as_i64().unwrap(), "confirmed").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE status = 'pending' AND run_at <= now()",
    )
    .fetch_one(&s.db.owner)
    .await
    .unwrap();
    assert!(pending >= 1, "the status message waits in the queue");
    assert_eq!(sent(&s.fake, user, "подтверждена"), 0);

    // …which sends it once it runs.
    let _worker = RoleProcess::start(&s.db, &s.fake.url("worker"), "worker");
    s.fake
        .wait_message(SEVER_TOKEN, user, &format!("{} подтверждена", when(&visit)))
        .await;
    s.db.drop().await;
}

/// Waits until the job with this dedupe key is no longer pending; its (status, attempts).
async fn settled(db: &TestDb, key: &str) -> (String, i32) {
    let started = Instant::now();
    loop {
        let job: (String, i32) =
            sqlx::query_as("SELECT status, attempts FROM jobs WHERE dedupe_key = $1")
                .bind(key)
                .fetch_one(&db.owner)
                .await
                .unwrap();
        if job.0 != "pending" {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "job {key} still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bot's card is merged into staff's when the customer shares their own contact; the
/// reminders queued for the bot's card go with it and arrive once. (Before, the reminder kept
/// the deleted card's id: Telegram accepted it, the transcript insert failed on the foreign key,
/// the round rolled back and the worker sent it again every second.)
#[tokio::test]
async fn a_reminder_queued_before_a_merge_is_sent_once() {
    let s = setup().await;
    let (status, card) = s
        .api
        .post(
            "/api/v1/clients/",
            json!({"full_name": "Анна Смирнова", "phone": "+7 999 555-66-77"}),
        )
        .await;
    assert_eq!(status, 201, "{card}");
    let card = card["id"].as_i64().unwrap();
    let user = 6_660_101;
    let bot_card = bot_client(&s, user).await;
    let visit = book(&s.api, bot_card, free_day(5), 0).await;
    let id = visit["id"].as_i64().unwrap();
    let reminder = format!(
        "reminder:{id}:{}:1440",
        DateTime::parse_from_rfc3339(visit["start_time"].as_str().unwrap())
            .unwrap()
            .timestamp()
    );
    let payload_client: Option<i64> = sqlx::query_scalar(
        "SELECT (payload ->> 'client_id')::bigint FROM jobs WHERE dedupe_key = $1",
    )
    .bind(&reminder)
    .fetch_one(&s.db.owner)
    .await
    .unwrap();
    assert_eq!(payload_client, Some(bot_card));

    // Telegram vouches for the phone: the chat joins staff's card.
    s.fake.share_contact(SEVER_TOKEN, user, "79995556677");
    s.fake
        .wait_message(SEVER_TOKEN, user, "записал номер")
        .await;
    let holder: i64 = sqlx::query_scalar("SELECT id FROM clients WHERE telegram_id = $1")
        .bind(user)
        .fetch_one(&s.db.owner)
        .await
        .unwrap();
    assert_eq!(holder, card);

    // The 24-hour reminder falls due.
    sqlx::query("UPDATE jobs SET run_at = now() WHERE dedupe_key = $1")
        .bind(&reminder)
        .execute(&s.db.owner)
        .await
        .unwrap();
    s.fake.wait_message(SEVER_TOKEN, user, "Напоминаем").await;
    assert_eq!(settled(&s.db, &reminder).await, ("done".into(), 1));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sent(&s.fake, user, "Напоминаем"), 1);
    let on_card: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM bot_messages WHERE client_id = $1 AND text LIKE 'Напоминаем%'",
    )
    .bind(card)
    .fetch_one(&s.db.owner)
    .await
    .unwrap();
    assert_eq!(on_card, 1);
    s.db.drop().await;
}

/// A job that breaks (here: the database refuses its transcript line, and another names a card
/// that no longer exists) is sent once and finished; it never stops the round, so another
/// company's messages go out all the same.
#[tokio::test]
async fn a_broken_job_of_one_company_never_holds_up_another() {
    let s = setup().await;
    let sever = tenant(&s.db, "sever").await;
    let garage = tenant(&s.db, "garage24").await;
    connect_bot(&s.db, garage, crate::common::telegram::GARAGE_TOKEN).await;
    let user = 6_660_201;
    let sever_client = bot_client(&s, user).await;
    s.fake
        .write(crate::common::telegram::GARAGE_TOKEN, user, "/start");
    s.fake
        .wait_message(crate::common::telegram::GARAGE_TOKEN, user, "«Гараж 24»")
        .await;
    let garage_client: i64 =
        sqlx::query_scalar("SELECT id FROM clients WHERE telegram_id = $1 AND tenant_id = $2")
            .bind(user)
            .bind(garage.0)
            .fetch_one(&s.db.owner)
            .await
            .unwrap();

    // Север's transcript refuses one of the worker's lines from now on.
    sqlx::raw_sql(&format!(
        "CREATE FUNCTION refuse_line() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'poisoned transcript'; END $$;
         CREATE TRIGGER poisoned BEFORE INSERT ON bot_messages FOR EACH ROW
         WHEN (NEW.tenant_id = {} AND NEW.text = 'Первое сообщение Севера')
         EXECUTE FUNCTION refuse_line();",
        sever.0
    ))
    .execute(&s.db.owner)
    .await
    .unwrap();
    // Two Север jobs that break, due before Гараж 24's: one whose transcript line is refused,
    // one naming a card that was deleted.
    for (key, client, text) in [
        ("poison:1", sever_client, "Первое сообщение Севера"),
        ("poison:2", 987_654_321, "Второе сообщение Севера"),
    ] {
        sqlx::query(
            "INSERT INTO jobs (tenant_id, kind, payload, dedupe_key, run_at)
             VALUES ($1, 'telegram.message', $2, $3, now() - interval '1 minute')",
        )
        .bind(sever.0)
        .bind(json!({"chat_id": user, "client_id": client, "text": text}))
        .bind(key)
        .execute(&s.db.owner)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO jobs (tenant_id, kind, payload, dedupe_key, run_at)
         VALUES ($1, 'telegram.message', $2, 'garage:1', now())",
    )
    .bind(garage.0)
    .bind(json!({"chat_id": user, "client_id": garage_client, "text": "Сообщение Гаража"}))
    .execute(&s.db.owner)
    .await
    .unwrap();

    s.fake
        .wait_message(
            crate::common::telegram::GARAGE_TOKEN,
            user,
            "Сообщение Гаража",
        )
        .await;
    assert_eq!(settled(&s.db, "garage:1").await, ("done".into(), 1));
    assert_eq!(settled(&s.db, "poison:1").await, ("done".into(), 1));
    assert_eq!(settled(&s.db, "poison:2").await, ("done".into(), 1));
    // A few rounds later: each message went out once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sent(&s.fake, user, "Первое сообщение Севера"), 1);
    assert_eq!(sent(&s.fake, user, "Второе сообщение Севера"), 1);
    // The line that could be written joined the chat's transcript without a card.
    let orphan: Option<i64> = sqlx::query_scalar(
        "SELECT client_id FROM bot_messages WHERE text = 'Второе сообщение Севера'",
    )
    .fetch_one(&s.db.owner)
    .await
    .unwrap();
    assert_eq!(orphan, None);
    s.db.drop().await;
}

/// Deliveries of a visit's `event` as the REST API shows them: (channel, status, detail).
async fn deliveries_of(api: &Api, visit: i64, event: &str) -> Vec<(String, String, String)> {
    let (code, detail) = api.get(&format!("/api/v1/appointments/{visit}")).await;
    assert_eq!(code, 200, "{detail}");
    let mut rows: Vec<(String, String, String)> = detail["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["event"] == event)
        .map(|d| {
            (
                d["channel"].as_str().unwrap_or("-").to_string(),
                d["status"].as_str().unwrap().to_string(),
                d["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.reverse(); // oldest first
    rows
}

async fn new_client(api: &Api, body: Value) -> i64 {
    let (code, client) = api.post("/api/v1/clients/", body).await;
    assert_eq!(code, 201, "{client}");
    client["id"].as_i64().unwrap()
}

/// Issue 14: a client without Telegram gets the booking confirmation by SMS, and by e-mail when
/// the number is invalid; an SMS outage is retried on SMS; a reminder falls through a blocked
/// bot to SMS. Each attempt is on the visit for staff to see.
#[tokio::test]
async fn notifications_fall_through_telegram_sms_and_e_mail() {
    use crate::common::{sms::FakeSms, smtp::SmtpSink};

    let sms = FakeSms::start().await;
    let smtp = SmtpSink::start();
    let mut env = smtp.env();
    env.push(("SMSRU_API_URL", sms.base.clone()));
    env.push(("PUBLIC_URL", "https://ac.example.ru".into()));
    env.push((
        "METRICS_TOKEN",
        "metrics-token-for-the-channels-test".into(),
    ));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let s = setup_with(&env).await;

    // The admin connects SMS.ru; the key is stored and never shown again.
    let (code, company) = s
        .api
        .patch(
            "/api/v1/tenant",
            json!({"sms": {"provider": "smsru", "key": "smsru-api-id-123", "sender": "SeverAuto"},
                   "reply_to_email": "office@sever.demo"}),
        )
        .await;
    assert_eq!(code, 200, "{company}");
    assert_eq!(company["sms"]["provider"], "smsru");
    assert_eq!(company["channels"], json!(["telegram", "sms", "email"]));
    let (_, shown) = s.api.get("/api/v1/tenant").await;
    assert!(!shown.to_string().contains("smsru-api-id-123"), "{shown}");
    let stored: String = sqlx::query_scalar("SELECT sms_key_enc FROM tenants WHERE slug = 'sever'")
        .fetch_one(&s.db.owner)
        .await
        .unwrap();
    assert!(!stored.contains("smsru-api-id-123"));
    // Half a setting is refused: a provider without its key.
    let (code, body) = s
        .api
        .patch(
            "/api/v1/tenant",
            json!({"sms": {"provider": "webhook", "url": "https://sms.example.ru/send"}}),
        )
        .await;
    assert_eq!(code, 422, "{body}");

    // No Telegram, a phone: the confirmation goes by SMS, from the company's sender name.
    let ivan = new_client(
        &s.api,
        json!({"full_name": "Иван", "phone": "+79990001122", "email": "ivan@example.ru"}),
    )
    .await;
    let visit = book(&s.api, ivan, free_day(9), 0).await;
    let text = sms.wait_for("+79990001122", "Вы записаны на").await;
    assert_eq!(text.api_id, "smsru-api-id-123");
    assert_eq!(text.sender.as_deref(), Some("SeverAuto"));
    assert!(text.text.contains(&when(&visit)), "{text:?}");
    let id = visit["id"].as_i64().unwrap();
    assert_eq!(
        settled(&s.db, &format!("booked:{id}")).await,
        ("done".to_string(), 1)
    );
    assert_eq!(
        deliveries_of(&s.api, id, "booked").await,
        vec![("sms".into(), "sent".into(), String::new())]
    );
    assert!(
        smtp.to("ivan@example.ru").is_empty(),
        "one channel is enough"
    );

    // An invalid number: SMS.ru refuses it for good, the letter goes instead.
    let petr = new_client(
        &s.api,
        json!({"full_name": "Пётр", "phone": "+79990000000", "email": "petr@example.ru"}),
    )
    .await;
    let visit = book(&s.api, petr, free_day(9), 1).await;
    let letter = smtp.wait_for("petr@example.ru", 1).await;
    assert!(letter.subject.contains("Автосервис Север"), "{letter:?}");
    assert!(letter.from.contains("Автосервис Север"), "{letter:?}");
    assert!(letter
        .reply_to
        .as_deref()
        .unwrap_or_default()
        .contains("office@sever.demo"));
    assert!(letter.text.as_deref().unwrap().contains("Вы записаны на"));
    assert!(letter.html.is_some());
    assert_eq!(letter.login.as_deref(), Some(smtp.user));
    let id = visit["id"].as_i64().unwrap();
    settled(&s.db, &format!("booked:{id}")).await;
    let tried = deliveries_of(&s.api, id, "booked").await;
    assert_eq!(tried.len(), 2, "{tried:?}");
    assert_eq!(
        (tried[0].0.as_str(), tried[0].1.as_str()),
        ("sms", "failed")
    );
    assert!(tried[0].2.contains("202"), "{tried:?}");
    assert_eq!(tried[1], ("email".into(), "sent".into(), String::new()));
    assert_eq!(sms.refused_to("+79990000000"), 1, "SMS.ru was asked once");
    assert_eq!(letter.mail_from, "noreply@concierge.test");

    // An SMS.ru outage is not a refusal: the SMS is sent again later, nothing falls through.
    sms.fail_next(1);
    let olga = new_client(
        &s.api,
        json!({"full_name": "Ольга", "phone": "+79990005566", "email": "olga@example.ru"}),
    )
    .await;
    let visit = book(&s.api, olga, free_day(9), 2).await;
    sms.wait_for("+79990005566", "Вы записаны на").await;
    let id = visit["id"].as_i64().unwrap();
    assert_eq!(
        settled(&s.db, &format!("booked:{id}")).await,
        ("done".to_string(), 2)
    );
    assert!(smtp.to("olga@example.ru").is_empty());

    // A client of the bot who blocked it: the reminder falls through to SMS.
    let user = 6_660_077;
    let client = bot_client(&s, user).await;
    let (code, body) = s
        .api
        .patch(
            &format!("/api/v1/clients/{client}"),
            json!({"phone": "+79990003344"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let visit = book(&s.api, client, free_day(11), 0).await;
    s.fake
        .wait_message(SEVER_TOKEN, user, "Вы записаны на")
        .await;
    let id = visit["id"].as_i64().unwrap();
    settled(&s.db, &format!("booked:{id}")).await;
    s.fake.fail_sends(
        SEVER_TOKEN,
        vec![(
            StatusCode::FORBIDDEN,
            json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
        )],
    );
    let reminder: String = sqlx::query_scalar(
        "UPDATE jobs SET run_at = now() WHERE id = (SELECT id FROM jobs WHERE dedupe_key LIKE $1 ORDER BY run_at LIMIT 1) RETURNING dedupe_key",
    )
    .bind(format!("reminder:{id}:%"))
    .fetch_one(&s.db.owner)
    .await
    .unwrap();
    sms.wait_for("+79990003344", "Напоминаем").await;
    assert_eq!(settled(&s.db, &reminder).await, ("done".to_string(), 1));
    let tried = deliveries_of(&s.api, id, "reminder").await;
    assert_eq!(tried.len(), 2, "{tried:?}");
    assert_eq!(
        (tried[0].0.as_str(), tried[0].1.as_str()),
        ("telegram", "failed")
    );
    assert!(tried[0].2.contains("blocked"), "{tried:?}");
    assert_eq!(tried[1], ("sms".into(), "sent".into(), String::new()));

    // The client card lists them too; a client who asked for no messages gets none.
    let (_, card) = s.api.get(&format!("/api/v1/clients/{client}")).await;
    assert!(card["deliveries"].as_array().unwrap().len() >= 3, "{card}");
    let (code, _) = s
        .api
        .patch(
            &format!("/api/v1/clients/{ivan}"),
            json!({"no_messages": true}),
        )
        .await;
    assert_eq!(code, 200);
    let sent_before = sms.sent_to("+79990001122").len();
    let visit = book(&s.api, ivan, free_day(12), 0).await;
    let id = visit["id"].as_i64().unwrap();
    settled(&s.db, &format!("booked:{id}")).await;
    assert_eq!(sms.sent_to("+79990001122").len(), sent_before);
    let tried = deliveries_of(&s.api, id, "booked").await;
    assert_eq!(tried.len(), 1);
    assert!(tried[0].2.contains("отказался"), "{tried:?}");

    // `/metrics` counts them by channel and result.
    let metrics =
        crate::common::server::metrics(&s.server, "metrics-token-for-the-channels-test").await;
    let value = |series: &str| -> Option<f64> {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    };
    assert_eq!(
        value(r#"auto_concierge_deliveries_sent_24h{tenant="sever",channel="sms"}"#),
        Some(3.0),
        "{metrics}"
    );
    assert_eq!(
        value(r#"auto_concierge_deliveries_sent_24h{tenant="sever",channel="email"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(r#"auto_concierge_deliveries_failed_24h{tenant="sever",channel="sms"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(r#"auto_concierge_deliveries_failed_24h{tenant="sever",channel="telegram"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(r#"auto_concierge_deliveries_failed_24h{tenant="sever",channel="none"}"#),
        Some(1.0)
    );
    s.db.drop().await;
}

/// Issue 14, item 4: a company's own text is in the next message, placeholders filled; an
/// unknown placeholder is refused; «Вернуть стандартный» brings the default back.
#[tokio::test]
async fn a_changed_template_is_in_the_next_message() {
    let s = setup().await;
    let user = 6_660_088;
    let client = bot_client(&s, user).await;

    let (code, body) = s
        .api
        .put(
            "/api/v1/tenant/templates/confirmed",
            json!({"long": "Здравствуйте! Ждём {дата} в {время}, {имя}."}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(body.to_string().contains("{имя}"), "{body}");

    let (code, template) = s
        .api
        .put(
            "/api/v1/tenant/templates/confirmed",
            json!({"long": "Готово: ждём вас {дата} в {время} в «{сервис}». Работы: {работы}, {сумма}.",
                   "short": "Ждём {дата} в {время}. {сервис}"}),
        )
        .await;
    assert_eq!(code, 200, "{template}");
    assert_eq!(template["custom"], true);
    assert!(
        template["preview"]
            .as_str()
            .unwrap()
            .starts_with("Готово: ждём вас 28.11 в 10:30"),
        "{template}"
    );
    assert_eq!(template["sms_parts"], 1);

    let visit = book(&s.api, client, free_day(10), 0).await;
    set_status(&s.api, visit["id"].as_i64().unwrap(), "confirmed").await;
    let message = s
        .fake
        .wait_message(
            SEVER_TOKEN,
            user,
            &format!("Готово: ждём вас {}", when(&visit)),
        )
        .await;
    let text = message["text"].as_str().unwrap();
    let services = visit["services"][0]["name"].as_str().unwrap_or_default();
    assert!(text.contains(services), "{text}");
    assert!(text.contains("₽"), "{text}");

    // Back to the default.
    let (code, template) = s
        .api
        .put("/api/v1/tenant/templates/confirmed", json!({}))
        .await;
    assert_eq!(code, 200);
    assert_eq!(template["custom"], false);
    assert!(template["long"]
        .as_str()
        .unwrap()
        .starts_with("Ваша запись на {дата}"));
    let (code, _) = s
        .api
        .put("/api/v1/tenant/templates/birthday", json!({}))
        .await;
    assert_eq!(code, 404);
    s.db.drop().await;
}
