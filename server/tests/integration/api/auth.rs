//! Login, tokens, rate limits and staff management over the REST API.

use super::*;

#[tokio::test]
async fn login_me_and_token_checks() {
    let (db, server) = demo_server(&[]).await;
    let http = reqwest::Client::new();

    // Wrong password: 400 with a detail; missing field: 422.
    let r = http
        .post(server.url("/api/v1/login/access-token"))
        .form(&[("username", "admin@sever.demo"), ("password", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["detail"].is_string());
    let r = http
        .post(server.url("/api/v1/login/access-token"))
        .form(&[("username", "admin@sever.demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.json::<Value>().await.unwrap()["detail"].is_array());

    let admin = as_user(&server, "admin@sever.demo").await;
    let (status, me) = admin.get("/api/v1/users/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "admin@sever.demo");
    assert_eq!(me["role"], "admin");
    assert!(me["tenant_id"].is_i64());
    assert_eq!(me["is_active"], true);
    assert!(me.get("password_hash").is_none());
    // The trailing slash is optional.
    assert_eq!(admin.get("/api/v1/users/me/").await.0, 200);

    // No token, garbage, a token signed with another key, alg=none: 401 with WWW-Authenticate.
    let r = http
        .get(server.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    for bad in [
        "garbage".to_string(),
        format!("{}x", &admin.token[..admin.token.len() - 1]),
        {
            let parts: Vec<&str> = admin.token.split('.').collect();
            format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1])
        },
    ] {
        let r = http
            .get(server.url("/api/v1/users/me"))
            .bearer_auth(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "token {bad}");
    }

    // An inactive user's token stops working at once.
    sqlx::query("UPDATE users SET is_active = false WHERE email = 'manager@sever.demo'")
        .execute(&db.owner)
        .await
        .ok();
    let r = http
        .post(server.url("/api/v1/login/access-token"))
        .form(&[("username", "manager@sever.demo"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Unknown API paths are JSON 404s.
    let (status, body) = admin.get("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert!(body["detail"].is_string());
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn login_is_rate_limited_per_address_and_username() {
    let (db, server) = demo_server(&[]).await;
    let http = reqwest::Client::new();
    let attempt = |user: &'static str| {
        let http = http.clone();
        let url = server.url("/api/v1/login/access-token");
        async move {
            http.post(url)
                .form(&[("username", user), ("password", "wrong")])
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(attempt("admin@sever.demo").await.status(), 400);
    }
    let limited = attempt("admin@sever.demo").await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Even the right password is refused while limited; another username is not.
    let r = http
        .post(server.url("/api/v1/login/access-token"))
        .form(&[("username", "admin@sever.demo"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(attempt("admin@garage24.demo").await.status(), 400);
    drop(server);
    db.drop().await;
}

#[tokio::test]
async fn staff_management_is_for_admins() {
    let (db, server) = demo_server(&[]).await;
    let admin = as_user(&server, "admin@sever.demo").await;
    let manager = as_user(&server, "manager@sever.demo").await;

    let (status, users) = admin.get("/api/v1/users/").await;
    assert_eq!(status, 200);
    let emails: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["admin@sever.demo", "manager@sever.demo"],
        "only this company's staff"
    );

    assert_eq!(manager.get("/api/v1/users").await.0, 403);
    let new = json!({"email": "new@sever.demo", "password": "long-enough", "full_name": "Новый", "role": "manager"});
    assert_eq!(manager.post("/api/v1/users", new.clone()).await.0, 403);
    let (status, created) = admin.post("/api/v1/users/", new.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["role"], "manager");
    assert_eq!(admin.post("/api/v1/users", new).await.0, 409);
    for bad in [
        json!({"email": "x@sever.demo", "password": "short", "role": "manager"}),
        json!({"email": "not-an-email", "password": "long-enough", "role": "manager"}),
        json!({"email": "y@sever.demo", "password": "long-enough", "role": "superadmin"}),
        json!({"email": "z@sever.demo", "password": "long-enough", "role": "admin", "extra": 1}),
    ] {
        let (status, body) = admin.post("/api/v1/users", bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
    }
    let _ = token(&server, "new@sever.demo", "long-enough").await;
    drop(server);
    db.drop().await;
}
