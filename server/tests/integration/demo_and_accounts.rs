//! `seed-demo`, accounts and login against real PostgreSQL, as the runtime role.

use crate::common::TestDb;
use app::domain::{
    accounts::{self, NewTenant},
    auth, demo, Error,
};

async fn counts(db: &TestDb) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for table in [
        "tenants",
        "users",
        "shops",
        "services",
        "clients",
        "vehicles",
        "appointments",
        "appointment_services",
        "appointment_status_history",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&db.owner)
            .await
            .unwrap();
        out.push((table.to_string(), n));
    }
    out
}

#[tokio::test]
async fn seed_demo_builds_both_companies_and_is_idempotent() {
    let db = TestDb::new().await;
    let first = demo::seed_demo(&db.app).await.unwrap();
    assert_eq!(first.created, vec!["sever", "garage24"]);
    let after_first = counts(&db).await;
    let second = demo::seed_demo(&db.app).await.unwrap();
    assert!(second.created.is_empty());
    assert_eq!(second.existing, vec!["sever", "garage24"]);
    assert_eq!(
        counts(&db).await,
        after_first,
        "a second run must change nothing"
    );

    let sever = accounts::tenant_id_by_slug(&db.app, "sever")
        .await
        .unwrap()
        .unwrap();
    let garage = accounts::tenant_id_by_slug(&db.app, "garage24")
        .await
        .unwrap()
        .unwrap();
    for (tenant, shops, bays, services_expected) in [(sever, 2, 5, 23), (garage, 1, 2, 23)] {
        let mut tx = db.app.tenant_tx(tenant).await.unwrap();
        let (n_shops, n_bays): (i64, i64) =
            sqlx::query_as("SELECT count(*), sum(bays)::bigint FROM shops")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!((n_shops, n_bays), (shops, bays));
        let n_services: i64 = sqlx::query_scalar("SELECT count(*) FROM services")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(n_services, services_expected);
        let n_clients: i64 = sqlx::query_scalar("SELECT count(*) FROM clients")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert!(n_clients >= 24, "a few dozen clients, got {n_clients}");
        let without_car: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM clients c WHERE NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.client_id = c.id)",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(without_car, 0);
        let statuses: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT status FROM appointments ORDER BY 1")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        assert_eq!(
            statuses,
            [
                "cancelled",
                "completed",
                "confirmed",
                "in_progress",
                "new",
                "no_show"
            ]
        );
        let days: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT (start_time AT TIME ZONE 'Europe/Moscow')::date) FROM appointments",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(days >= 6, "a week of appointments, got {days} days");
        // Prices add up and every appointment has services and a history.
        let inconsistent: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM appointments a WHERE total_price <> (SELECT coalesce(sum(price), 0) FROM appointment_services s WHERE s.appointment_id = a.id)
             OR NOT EXISTS (SELECT 1 FROM appointment_status_history h WHERE h.appointment_id = a.id AND h.to_status = a.status)",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(inconsistent, 0);
        // Visits from Telegram carry the customer's words and the concierge's real analysis of
        // them (intent, causes with confidence, services of this company's catalogue).
        let telegram: Vec<(String, String, Option<serde_json::Value>)> = sqlx::query_as(
            "SELECT customer_note, ai_summary, ai_analysis FROM appointments WHERE source = 'telegram'",
        )
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        assert!(!telegram.is_empty(), "some demo visits come from the bot");
        let catalogue: Vec<i64> = sqlx::query_scalar("SELECT id FROM services")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        for (note, summary, analysis) in &telegram {
            let analysis = analysis.as_ref().expect("a Telegram visit has an analysis");
            assert!(
                !note.is_empty() && !summary.is_empty(),
                "{note:?} {summary:?}"
            );
            assert_eq!(analysis["engine"], "rules");
            let diagnoses = analysis["diagnoses"].as_array().unwrap();
            let services = analysis["services"].as_array().unwrap();
            assert!(
                !diagnoses.is_empty() || !services.is_empty(),
                "{note}: causes or services expected"
            );
            assert!(diagnoses
                .iter()
                .all(|d| (0.0..=1.0).contains(&d["confidence"].as_f64().unwrap())));
            let services = analysis["services"].as_array().unwrap();
            assert!(
                services
                    .iter()
                    .all(|x| catalogue.contains(&x["id"].as_i64().unwrap())),
                "{note}: suggestions from this company's catalogue only"
            );
        }
        tx.commit().await.unwrap();
    }

    // Demo logins work, with their roles; a wrong password does not.
    for (email, role) in [
        ("admin@sever.demo", auth::Role::Admin),
        ("manager@sever.demo", auth::Role::Manager),
        ("ADMIN@garage24.demo", auth::Role::Admin),
    ] {
        let id = auth::authenticate(&db.app, email, demo::DEMO_PASSWORD)
            .await
            .unwrap()
            .user_id;
        let user = auth::load_user(&db.app, id).await.unwrap();
        assert_eq!(user.role, role);
        assert_eq!(user.email.to_lowercase(), email.to_lowercase());
    }
    assert!(matches!(
        auth::authenticate(&db.app, "admin@sever.demo", "wrong").await,
        Err(Error::InvalidCredentials)
    ));
    assert!(matches!(
        auth::authenticate(&db.app, "nobody@sever.demo", "demo-password").await,
        Err(Error::InvalidCredentials)
    ));
    db.drop().await;
}

#[tokio::test]
async fn v1_bcrypt_password_is_upgraded_on_login_and_inactive_users_are_refused() {
    let db = TestDb::new().await;
    accounts::create_tenant(
        &db.app,
        &NewTenant {
            name: "V1 Motors",
            slug: "v1-motors",
            timezone: "Europe/Moscow",
            admin_email: "boss@v1.ru",
            admin_password: "first-password",
            admin_full_name: "Boss",
        },
    )
    .await
    .unwrap();
    let bcrypt_hash = bcrypt::hash("legacy-password", 4).unwrap();
    sqlx::query("UPDATE users SET password_hash = $1 WHERE email = 'boss@v1.ru'")
        .bind(&bcrypt_hash)
        .execute(&db.owner)
        .await
        .unwrap();
    let id = auth::authenticate(&db.app, "boss@v1.ru", "legacy-password")
        .await
        .unwrap()
        .user_id;
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&db.owner)
        .await
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$"),
        "hash must be upgraded, got {stored}"
    );
    assert_eq!(
        auth::authenticate(&db.app, "boss@v1.ru", "legacy-password")
            .await
            .unwrap()
            .user_id,
        id
    );

    // Duplicate e-mail (any case) and slug are clear conflicts.
    let dup = accounts::create_tenant(
        &db.app,
        &NewTenant {
            name: "Other",
            slug: "other",
            timezone: "Europe/Moscow",
            admin_email: "BOSS@v1.ru",
            admin_password: "password-123",
            admin_full_name: "",
        },
    )
    .await;
    assert!(
        matches!(dup, Err(Error::Conflict(ref m)) if m.contains("e-mail")),
        "{dup:?}"
    );

    sqlx::query("UPDATE users SET is_active = false WHERE id = $1")
        .bind(id)
        .execute(&db.owner)
        .await
        .unwrap();
    assert!(matches!(
        auth::authenticate(&db.app, "boss@v1.ru", "legacy-password").await,
        Err(Error::InvalidCredentials)
    ));
    assert!(matches!(
        auth::load_user(&db.app, id).await,
        Err(Error::Unauthorized)
    ));
    db.drop().await;
}

#[tokio::test]
async fn self_service_registration_creates_both_or_neither_and_is_rate_limited() {
    use app::domain::{
        accounts::DUPLICATE_SLUG, registration::Registered, AppState, REGISTRATIONS_PER_HOUR,
    };

    // Without SMTP, on a development server: created at once.
    let db = TestDb::new().await;
    let config = crate::common::config_with(&[("ENVIRONMENT", "development")]);
    let state = AppState::new(db.app.clone(), config).await.unwrap();
    let peer: std::net::IpAddr = "203.0.113.7".parse().unwrap();
    let headers = axum::http::HeaderMap::new();
    let new = |slug: &'static str, email: &'static str| NewTenant {
        name: "Автосервис Регистрация",
        slug,
        timezone: "Europe/Moscow",
        admin_email: email,
        admin_password: "registered-password",
        admin_full_name: "Основатель",
    };

    // The admin id returned is the one who logs in with the chosen password.
    let Registered::Created { tenant, admin } = state
        .register_company(peer, &headers, &new("reg-one", "one@reg.ru"))
        .await
        .unwrap()
    else {
        panic!("created at once without SMTP");
    };
    assert_eq!(
        auth::authenticate(&db.app, "one@reg.ru", "registered-password")
            .await
            .unwrap()
            .user_id,
        admin
    );
    let user = auth::load_user(&db.app, admin).await.unwrap();
    assert_eq!(user.tenant_id, Some(tenant));
    assert_eq!(user.role, auth::Role::Admin);

    // A taken short name: a named conflict, and the new e-mail's user was not created either.
    let before = counts(&db).await;
    let taken = state
        .register_company(peer, &headers, &new("reg-one", "two@reg.ru"))
        .await;
    assert!(
        matches!(taken, Err(Error::Conflict(ref m)) if m == DUPLICATE_SLUG),
        "{taken:?}"
    );
    assert_eq!(counts(&db).await, before);

    // Every attempt counts: beyond the hourly limit nothing more is written, from that address.
    for i in 2..REGISTRATIONS_PER_HOUR {
        let slug: &'static str = Box::leak(format!("reg-{i}").into_boxed_str());
        let email: &'static str = Box::leak(format!("r{i}@reg.ru").into_boxed_str());
        state
            .register_company(peer, &headers, &new(slug, email))
            .await
            .unwrap();
    }
    let before = counts(&db).await;
    let refused = state
        .register_company(peer, &headers, &new("reg-late", "late@reg.ru"))
        .await;
    assert!(matches!(refused, Err(Error::RateLimited(_))), "{refused:?}");
    assert_eq!(counts(&db).await, before);
    let other: std::net::IpAddr = "198.51.100.9".parse().unwrap();
    state
        .register_company(other, &headers, &new("reg-late", "late@reg.ru"))
        .await
        .unwrap();
    db.drop().await;
}

/// Issue 11, item 15: the registration form answers the same whether or not the e-mail has an
/// account; only the letter differs, and only the link in it creates the company.
#[tokio::test]
async fn registration_by_letter_answers_the_same_for_a_known_email() {
    use crate::common::smtp::SmtpSink;
    use app::domain::{
        accounts::DUPLICATE_SLUG,
        registration::{Registered, CLOSED},
        AppState,
    };

    let db = TestDb::new().await;
    let peer: std::net::IpAddr = "203.0.113.8".parse().unwrap();
    let headers = axum::http::HeaderMap::new();
    let new = |slug: &'static str, email: &'static str| NewTenant {
        name: "Мотор",
        slug,
        timezone: "Europe/Moscow",
        admin_email: email,
        admin_password: "registered-password",
        admin_full_name: "Основатель",
    };

    // Production without SMTP registers nobody: no letter could prove the address.
    let closed = AppState::new(db.app.clone(), db.config.clone())
        .await
        .unwrap()
        .register_company(peer, &headers, &new("reg-closed", "c@reg.ru"))
        .await;
    assert!(
        matches!(closed, Err(Error::Unprocessable(ref m)) if m == CLOSED),
        "{closed:?}"
    );

    let sink = SmtpSink::start();
    let mut vars: Vec<(&str, String)> = sink.env();
    vars.push(("PUBLIC_URL", "https://ac.example.ru/concierge".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let state = AppState::new(db.app.clone(), crate::common::config_with(&vars))
        .await
        .unwrap();
    accounts::create_tenant(&db.app, &new("reg-known", "known@reg.ru"))
        .await
        .unwrap();
    let before = counts(&db).await;

    // The same answer for a new address and a known one, and nothing created yet.
    let fresh = state
        .register_company(peer, &headers, &new("reg-new", "new@reg.ru"))
        .await
        .unwrap();
    let known = state
        .register_company(peer, &headers, &new("reg-other", "Known@Reg.ru"))
        .await
        .unwrap();
    assert_eq!(fresh, Registered::LetterSent);
    assert_eq!(known, fresh);
    assert_eq!(counts(&db).await, before);

    // The letters say which: a link that creates the company, or a reminder to log in.
    let invite = sink.wait_for("new@reg.ru", 1).await;
    let reminder = sink.wait_for("Known@Reg.ru", 1).await;
    assert_eq!(
        invite.login.as_deref(),
        Some(sink.user),
        "the server logs in"
    );
    assert!(invite.from.contains("noreply@concierge.test"), "{invite:?}");
    let text = invite.text.clone().unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("https://ac.example.ru/concierge/register/confirm?token="))
        .unwrap_or_else(|| panic!("no confirmation link in {text}"));
    assert!(invite
        .html
        .as_deref()
        .unwrap()
        .contains(&format!("href=\"{link}\"")));
    let token = link.split_once("token=").unwrap().1;
    let reminder_text = reminder.text.unwrap();
    assert!(
        reminder_text.contains("https://ac.example.ru/concierge/login"),
        "{reminder_text}"
    );
    assert!(!reminder_text.contains("token="), "{reminder_text}");

    // The link creates the company with the password chosen in the form, once.
    let (tenant, admin) = state.confirm_registration(token).await.unwrap();
    let user = auth::authenticate(&db.app, "new@reg.ru", "registered-password")
        .await
        .unwrap();
    assert_eq!(user.user_id, admin);
    assert_eq!(
        auth::load_user(&db.app, admin).await.unwrap().tenant_id,
        Some(tenant)
    );
    assert!(matches!(
        state.confirm_registration(token).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        state.confirm_registration("made-up-token").await,
        Err(Error::NotFound)
    ));
    // The runtime role cannot read the waiting registrations, only use the functions.
    let direct = sqlx::query("SELECT * FROM registration_requests")
        .fetch_all(db.app.pool())
        .await;
    assert!(
        direct.is_err(),
        "the runtime role read registration_requests"
    );

    // A taken short name is said at once (names are public); an address the mail server
    // refuses is said too, the same for any address.
    let taken = state
        .register_company(peer, &headers, &new("reg-new", "third@reg.ru"))
        .await;
    assert!(
        matches!(taken, Err(Error::Conflict(ref m)) if m == DUPLICATE_SLUG),
        "{taken:?}"
    );
    let other: std::net::IpAddr = "198.51.100.10".parse().unwrap();
    let bounced = state
        .register_company(other, &headers, &new("reg-bounce", "bounce@reg.ru"))
        .await;
    assert!(matches!(bounced, Err(Error::Validation(_))), "{bounced:?}");
    db.drop().await;
}

/// The registration pages over HTTP, as a browser without JavaScript posts them: the form's
/// answer is byte for byte the same for a new and a known e-mail; the letter's link opens a
/// page whose «Подтвердить» creates the company and logs its admin in.
#[tokio::test]
async fn registration_pages_answer_the_same_and_the_letter_logs_in() {
    use crate::common::{server::TestServer, smtp::SmtpSink};

    let db = TestDb::new().await;
    accounts::create_tenant(
        &db.app,
        &NewTenant {
            name: "Старый",
            slug: "old-one",
            timezone: "Europe/Moscow",
            admin_email: "taken@reg.ru",
            admin_password: "some-password",
            admin_full_name: "Админ",
        },
    )
    .await
    .unwrap();
    let sink = SmtpSink::start();
    let mut env = sink.env();
    env.push(("PUBLIC_URL", "https://ac.example.ru".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = TestServer::start(&db, &env).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let register = |slug: &'static str, email: &'static str| {
        http.post(server.url("/api/register_company"))
            .header("origin", &server.base)
            .form(&[
                ("form[company]", "Мотор"),
                ("form[slug]", slug),
                ("form[full_name]", "Основатель"),
                ("form[email]", email),
                ("form[password]", "registered-password"),
                ("form[password_repeat]", "registered-password"),
            ])
            .send()
    };
    let answer = |r: reqwest::Response| async move {
        let status = r.status();
        let location = r.headers().get("location").cloned();
        let cookie = r.headers().get("set-cookie").is_some();
        (status, location, cookie, r.text().await.unwrap())
    };
    let fresh = answer(register("motor-new", "fresh@reg.ru").await.unwrap()).await;
    let known = answer(register("motor-two", "taken@reg.ru").await.unwrap()).await;
    assert_eq!(fresh, known);
    assert!(
        fresh.0.is_success() || fresh.0.is_redirection(),
        "{fresh:?}"
    );
    assert!(!fresh.2, "nobody is logged in by the form");
    let sent = fresh.1.unwrap();
    assert_eq!(sent.to_str().unwrap(), "/register/sent");
    let page = http.get(server.url("/register/sent")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Проверьте почту"));

    let letter = sink.wait_for("fresh@reg.ru", 1).await;
    let text = letter.text.unwrap();
    let token = text
        .split("/register/confirm?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no link in {text}"))
        .to_string();
    assert!(sink
        .wait_for("taken@reg.ru", 1)
        .await
        .text
        .unwrap()
        .contains("/login"));

    // Opening the link changes nothing (mail scanners open links); the button does.
    let page = http
        .get(server.url(&format!("/register/confirm?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("value=\"{token}\"")), "{page}");
    assert!(accounts::tenant_id_by_slug(&db.app, "motor-new")
        .await
        .unwrap()
        .is_none());
    let confirmed = http
        .post(server.url("/api/confirm_registration"))
        .header("origin", &server.base)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    let status = confirmed.status();
    assert!(status.is_success() || status.is_redirection(), "{status}");
    assert_eq!(
        confirmed
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok()),
        Some("/")
    );
    let cookie = confirmed
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("ac_session="), "{cookie}");
    assert!(accounts::tenant_id_by_slug(&db.app, "motor-new")
        .await
        .unwrap()
        .is_some());
    // A second press finds the link used.
    let again = http
        .post(server.url("/api/confirm_registration"))
        .header("origin", &server.base)
        .header("accept", "application/json")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("уже использована"));
    db.drop().await;
}
