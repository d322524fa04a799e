//! Staff passwords over the REST API: an admin's reset to a temporary password, which opens
//! nothing but its own change, and the change of one's own password.

use super::*;
use crate::common::server::login;

async fn post_empty(api: &Api, path: &str) -> (u16, Value) {
    api.call(reqwest::Method::POST, path, None).await
}

/// The first message of a FastAPI-style 422.
fn message(body: &Value) -> String {
    body["detail"][0]["msg"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_reset_password_opens_only_its_change_until_the_owner_sets_a_new_one() {
    let (_db, server) = demo_server(&[]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    let manager = as_user(&server, "manager@sever.demo").await;
    let garage = as_user(&server, "admin@garage24.demo").await;
    let (_, staff) = admin.get("/api/v1/users").await;
    let id_of = |email: &str| {
        staff
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (manager_id, admin_id) = (id_of("manager@sever.demo"), id_of("admin@sever.demo"));
    let reset = |id: i64| format!("/api/v1/users/{id}/password-reset");

    // A manager cannot reset; another company's admin does not find the account; an admin
    // changes their own password knowing it, not through a reset.
    assert_eq!(post_empty(&manager, &reset(admin_id)).await.0, 403);
    assert_eq!(post_empty(&garage, &reset(manager_id)).await.0, 404);
    let (status, body) = post_empty(&admin, &reset(admin_id)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(post_empty(&admin, &reset(i64::MAX)).await.0, 404);
    assert_eq!(
        manager.get("/api/v1/users/me").await.0,
        200,
        "nothing changed yet"
    );

    let (status, body) = post_empty(&admin, &reset(manager_id)).await;
    assert_eq!(status, 200, "{body}");
    let temporary = body["temporary_password"].as_str().unwrap().to_string();
    assert_eq!(temporary.chars().count(), 12, "{temporary}");
    assert!(!temporary.contains(['0', 'O', 'o', '1', 'l', 'I', 'i']));

    // The manager's tokens stop; the old password no longer opens the account.
    assert_eq!(manager.get("/api/v1/users/me").await.0, 401);
    assert_eq!(manager.get("/api/v1/appointments/").await.0, 401);
    assert_eq!(login(&server, "manager@sever.demo", PASSWORD).await.0, 400);
    let (_, staff) = admin.get("/api/v1/users").await;
    let listed = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == manager_id)
        .unwrap();
    assert_eq!(listed["must_change_password"], true, "{listed}");
    assert!(listed.get("password_hash").is_none());

    // The temporary password logs in, to a token that shows who they are and changes the
    // password, and nothing else: no company data, no changes, no live events.
    let (status, token) = login(&server, "manager@sever.demo", &temporary).await;
    assert_eq!(status, 200);
    let limited = Api::new(&server, token.unwrap());
    let (status, me) = limited.get("/api/v1/users/me").await;
    assert_eq!((status, &me["must_change_password"]), (200, &json!(true)));
    let (status, body) = limited.get("/api/v1/clients").await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("смените временный пароль"),
        "{body}"
    );
    assert_eq!(
        limited
            .post(
                "/api/v1/clients",
                json!({"full_name": "Х", "phone": "+79160000009"})
            )
            .await
            .0,
        403
    );
    assert_eq!(limited.get("/api/v1/appointments/").await.0, 403);
    let stream = reqwest::get(server.url(&format!("/api/v1/events?token={}", limited.token)))
        .await
        .unwrap();
    assert_eq!(stream.status(), 403);

    // The new password follows the registration rule and is not the temporary one.
    let change = "/api/v1/users/me/password";
    for (current, new) in [
        ("wrong-password", "new-password-1"),
        (temporary.as_str(), "short"),
        (temporary.as_str(), temporary.as_str()),
    ] {
        let (status, body) = limited
            .post(
                change,
                json!({"current_password": current, "new_password": new}),
            )
            .await;
        assert_eq!(status, 422, "{current} → {new}: {body}");
        assert!(!message(&body).is_empty(), "{body}");
    }
    let (status, body) = limited
        .post(
            change,
            json!({"current_password": temporary, "new_password": "new-password-1", "extra": 1}),
        )
        .await;
    assert_eq!(status, 422, "unknown fields are refused: {body}");

    let (status, body) = limited
        .post(
            change,
            json!({"current_password": temporary, "new_password": "new-password-1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let renewed = Api::new(&server, body["access_token"].as_str().unwrap().to_string());
    let (status, me) = renewed.get("/api/v1/users/me").await;
    assert_eq!((status, &me["must_change_password"]), (200, &json!(false)));
    let (status, clients) = renewed.get("/api/v1/clients").await;
    assert_eq!(status, 200, "{clients}");
    // The token of the temporary password is spent with it.
    assert_eq!(limited.get("/api/v1/users/me").await.0, 401);

    // From now on the new password opens the account, the temporary one does not.
    assert_eq!(
        login(&server, "manager@sever.demo", &temporary).await.0,
        400
    );
    let (status, token) = login(&server, "manager@sever.demo", "new-password-1").await;
    assert_eq!(status, 200);
    assert_eq!(
        Api::new(&server, token.unwrap())
            .get("/api/v1/clients")
            .await
            .0,
        200
    );

    // The other company and its staff are untouched.
    assert_eq!(garage.get("/api/v1/users/me").await.0, 200);
    assert_eq!(login(&server, "admin@garage24.demo", PASSWORD).await.0, 200);
    let (_, theirs) = garage.get("/api/v1/users").await;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["must_change_password"] == false),
        "{theirs}"
    );
}

#[tokio::test]
async fn changing_ones_own_password_ends_the_other_sessions_but_not_this_one() {
    let (_db, server) = demo_server(&[]).await;
    let laptop = as_user(&server, "admin@sever.demo").await;
    let phone = as_user(&server, "admin@sever.demo").await;
    let change = "/api/v1/users/me/password";

    // A wrong current password is refused with a reason, and changes nothing.
    let (status, body) = laptop
        .post(
            change,
            json!({"current_password": "not-mine-1", "new_password": "new-password-2"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(message(&body), "Текущий пароль введён неверно");
    assert_eq!(phone.get("/api/v1/users/me").await.0, 200);
    assert_eq!(laptop.get("/api/v1/users/me").await.0, 200);

    let (status, body) = laptop
        .post(
            change,
            json!({"current_password": PASSWORD, "new_password": "new-password-2"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let laptop = Api::new(&server, body["access_token"].as_str().unwrap().to_string());
    assert_eq!(laptop.get("/api/v1/shops").await.0, 200);
    assert_eq!(
        phone.get("/api/v1/shops").await.0,
        401,
        "the other session ended"
    );
    assert_eq!(login(&server, "admin@sever.demo", PASSWORD).await.0, 400);
    assert_eq!(
        login(&server, "admin@sever.demo", "new-password-2").await.0,
        200
    );

    // Guessing the current password with a session in hand is limited like logging in: five
    // wrong ones a minute (the first was above), then even the right one waits.
    for _ in 0..4 {
        let (status, _) = laptop
            .post(
                change,
                json!({"current_password": "guess-guess", "new_password": "new-password-3"}),
            )
            .await;
        assert_eq!(status, 422);
    }
    let (status, _) = laptop
        .post(
            change,
            json!({"current_password": "new-password-2", "new_password": "new-password-3"}),
        )
        .await;
    assert_eq!(status, 429);
    assert_eq!(laptop.get("/api/v1/users/me").await.0, 200);
}
