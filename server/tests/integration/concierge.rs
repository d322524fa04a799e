//! The concierge: the LLM engine against fake providers that speak the real wire formats
//! (OpenAI-compatible chat, GigaChat OAuth), its fallback to the rules, the REST endpoint over
//! HTTP on demo data, and the `concierge-eval` command.

use std::{
    collections::HashMap,
    process::Command,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::common::{
    server::{token, Api, TestServer},
    TestDb,
};
use app::domain::{
    concierge::{
        company_ai::{self, CompanyAiPatch},
        Catalogue, Concierge,
    },
    config::{AiConfig, AiProvider, GigaChatAuth, Secret},
};
use axum::{
    extract::State, http::HeaderMap, response::IntoResponse, routing::post, Form, Json, Router,
};
use serde_json::{json, Value};

const SUSPENSION: &str = "Стучит спереди справа на кочках, можно завтра подъехать?";

/// Serves `app` on a free port of 127.0.0.1 for the rest of the test; returns its base URL.
async fn spawn(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A fake OpenAI-compatible server: answers every chat request with `content` after `delay`,
/// and keeps each request's `Authorization` header and body.
#[derive(Clone, Default)]
struct FakeChat {
    content: Arc<Mutex<String>>,
    delay: Arc<Mutex<Duration>>,
    /// How many of the next requests fail, and with which status (503 unless set).
    failures: Arc<Mutex<(u32, u16)>>,
    requests: Arc<Mutex<Vec<(String, Value)>>>,
}

impl FakeChat {
    async fn start(content: &str) -> (FakeChat, String) {
        let fake = FakeChat::default();
        *fake.content.lock().unwrap() = content.to_string();
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(fake.clone());
        (fake, format!("{}/v1", spawn(app).await))
    }

    fn answer(&self, content: &str) {
        *self.content.lock().unwrap() = content.to_string();
    }

    fn requests(&self) -> Vec<(String, Value)> {
        self.requests.lock().unwrap().clone()
    }
}

async fn chat(
    State(fake): State<FakeChat>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    fake.requests
        .lock()
        .unwrap()
        .push((authorization, body.clone()));
    {
        let mut failures = fake.failures.lock().unwrap();
        if failures.0 > 0 {
            failures.0 -= 1;
            let status = if failures.1 == 0 { 503 } else { failures.1 };
            return (
                axum::http::StatusCode::from_u16(status).unwrap(),
                Json(json!({ "error": { "message": "overloaded" } })),
            )
                .into_response();
        }
    }
    let delay = *fake.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let content = fake.content.lock().unwrap().clone();
    Json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body["model"],
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content },
            "finish_reason": "stop"
        }],
        "usage": { "prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20 }
    }))
    .into_response()
}

fn openai(base_url: String, timeout: Duration) -> AiConfig {
    AiConfig {
        provider: AiProvider::OpenAi,
        base_url,
        api_key: Some(Secret::new("test-key")),
        model: "test-model".into(),
        timeout,
        gigachat: None,
    }
}

const GOOD_ANSWER: &str = r#"{"intent": "booking",
    "diagnoses": [{"title": "Износ стоек стабилизатора", "confidence": 0.7}],
    "services": [{"id": 2, "score": 0.9}, {"id": 5, "score": 0.4}]}"#;

#[tokio::test]
async fn llm_answer_is_used_when_valid() {
    let (fake, base_url) = FakeChat::start(GOOD_ANSWER).await;
    let concierge = Concierge::new(Some(&openai(base_url, Duration::from_secs(5)))).unwrap();
    let catalogue = Catalogue::demo().unwrap();

    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(answer.engine, "llm");
    assert_eq!(answer.intent, "booking");
    assert_eq!(answer.diagnoses[0].title, "Износ стоек стабилизатора");
    let ids: Vec<i64> = answer.services.iter().map(|s| s.id).collect();
    assert_eq!(ids, [2, 5]);
    let listed = catalogue.get(2).unwrap();
    assert_eq!(answer.services[0].name, listed.name);
    assert_eq!(answer.services[0].price, listed.price);

    // What went over the wire: the key, JSON mode, the catalogue in the prompt, the message.
    let (authorization, body) = fake.requests().pop().unwrap();
    assert_eq!(authorization, "Bearer test-key");
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["response_format"]["type"], "json_object");
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains(&format!("2: {}", listed.name)), "{system}");
    assert_eq!(body["messages"][1]["content"], SUSPENSION);

    // A full, correct answer is kept as it is: nothing to complete.
    assert!(answer.sources.is_none());
}

/// What the LLM leaves out the rules complete, and the answer says so (`llm+rules`, with what
/// each engine said); the LLM's own findings stay first.
#[tokio::test]
async fn an_llm_answer_with_gaps_is_completed_by_the_rules() {
    let (fake, base_url) = FakeChat::start(r#"{"intent": "booking"}"#).await;
    let concierge = Concierge::new(Some(&openai(base_url, Duration::from_secs(5)))).unwrap();
    let catalogue = Catalogue::demo().unwrap();
    let rules = Concierge::new(None)
        .unwrap()
        .analyze(&catalogue, SUSPENSION)
        .await
        .unwrap();
    assert!(!rules.diagnoses.is_empty() && !rules.services.is_empty());
    let ids = |a: &app::domain::concierge::ConciergeAnswer| -> Vec<i64> {
        a.services.iter().map(|s| s.id).collect()
    };

    // The intent alone (GigaChat and small models do this), or empty lists: the rules' causes
    // and services.
    for reply in [
        r#"{"intent": "booking"}"#,
        r#"{"intent": "booking", "diagnoses": [], "services": []}"#,
    ] {
        fake.answer(reply);
        let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
        assert_eq!(answer.engine, "llm+rules", "{reply}");
        assert_eq!(answer.intent, "booking");
        assert_eq!(answer.diagnoses, rules.diagnoses);
        assert_eq!(ids(&answer), ids(&rules));
        let sources = answer.sources.expect("what each engine said");
        assert!(sources.llm.diagnoses.is_empty() && sources.llm.service_ids.is_empty());
        assert_eq!(sources.rules.service_ids, ids(&rules));
    }

    // Causes, but a service the company does not have beside one it has: the LLM's cause and
    // service first, the rules' services after; the unknown id is kept in the sources only.
    fake.answer(
        r#"{"intent": "booking", "diagnoses": [{"title": "Износ стоек стабилизатора", "confidence": 0.7}],
            "services": [{"id": 999, "score": 0.8}, {"id": 2, "score": 0.9}]}"#,
    );
    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(answer.engine, "llm+rules");
    assert_eq!(answer.diagnoses.len(), 1);
    assert_eq!(answer.diagnoses[0].title, "Износ стоек стабилизатора");
    assert_eq!(answer.services[0].id, 2);
    assert!(answer.services.len() > 1, "the rules add theirs");
    assert!(answer
        .services
        .iter()
        .all(|s| catalogue.get(s.id).is_some()));
    let sources = answer.sources.unwrap();
    assert_eq!(sources.llm.service_ids, vec![2]);
    assert_eq!(sources.llm.unknown_service_ids, vec![999]);

    // Nothing for the rules to add either (a greeting): the LLM's answer stays its own.
    fake.answer(r#"{"intent": "other"}"#);
    let answer = concierge.analyze(&catalogue, "Добрый день!").await.unwrap();
    assert_eq!((answer.engine.as_str(), answer.sources), ("llm", None));
}

/// One company cannot spend the operator's LLM budget: past its daily quota the rules answer,
/// and the answer says why; another company still gets the LLM.
#[tokio::test]
async fn a_company_past_its_daily_llm_quota_gets_the_rules() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever = crate::common::telegram::tenant(&db, "sever").await;
    let garage = crate::common::telegram::tenant(&db, "garage24").await;
    let (fake, base_url) =
        FakeChat::start(r#"{"intent": "consultation", "diagnoses": [], "services": []}"#).await;
    let concierge = Concierge::new(Some(&openai(base_url, Duration::from_secs(5))))
        .unwrap()
        .with_daily_llm_calls(2);
    for _ in 0..2 {
        let answer = concierge
            .analyze_for_tenant(&db.app, sever, SUSPENSION)
            .await
            .unwrap();
        // The LLM answered (empty lists, which the rules complete): it counts against the quota.
        assert_eq!(
            (answer.engine.as_str(), answer.fallback),
            ("llm+rules", None)
        );
    }
    let third = concierge
        .analyze_for_tenant(&db.app, sever, SUSPENSION)
        .await
        .unwrap();
    assert_eq!(third.engine, "rules");
    assert_eq!(third.fallback.as_deref(), Some("quota"));
    assert!(!third.services.is_empty(), "the rules still help");
    assert_eq!(fake.requests().len(), 2);
    let other = concierge
        .analyze_for_tenant(&db.app, garage, SUSPENSION)
        .await
        .unwrap();
    assert_eq!(other.engine, "llm+rules");
    assert_eq!(fake.requests().len(), 3);
    db.drop().await;
}

#[tokio::test]
async fn a_busy_provider_is_retried_once() {
    let (fake, base_url) = FakeChat::start(GOOD_ANSWER).await;
    let concierge = Concierge::new(Some(&openai(base_url, Duration::from_secs(5)))).unwrap();
    let catalogue = Catalogue::demo().unwrap();
    *fake.failures.lock().unwrap() = (1, 503);
    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(answer.engine, "llm");
    assert_eq!(fake.requests().len(), 2);

    // Failing twice: the rules answer, after exactly one retry.
    *fake.failures.lock().unwrap() = (2, 503);
    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(answer.engine, "rules");
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn invalid_json_falls_back_to_the_rules() {
    let (fake, base_url) =
        FakeChat::start("Конечно! Скорее всего, дело в стойках стабилизатора.").await;
    let concierge = Concierge::new(Some(&openai(base_url, Duration::from_secs(5)))).unwrap();
    let catalogue = Catalogue::demo().unwrap();
    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(answer.engine, "rules");
    assert_eq!(answer.fallback.as_deref(), Some("invalid"));
    assert_eq!(answer.intent, "booking");
    assert_eq!(answer.services[0].category, "suspension");
    assert_eq!(fake.requests().len(), 1, "the LLM was asked");

    fake.answer(r#"{"intent": "purchase", "diagnoses": [], "services": []}"#);
    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(answer.engine, "rules");
}

/// The settings page's check says why the LLM's answer was not used; a good answer has no
/// such reason, and no reason carries the provider's URL (it may hold credentials).
#[tokio::test]
async fn the_check_explains_why_the_rules_answered() {
    let (fake, base_url) = FakeChat::start(GOOD_ANSWER).await;
    let concierge =
        Concierge::new(Some(&openai(base_url.clone(), Duration::from_secs(5)))).unwrap();
    let catalogue = Catalogue::demo().unwrap();
    let (answer, failure) = concierge
        .analyze_explained(&catalogue, SUSPENSION)
        .await
        .unwrap();
    assert_eq!((answer.engine.as_str(), failure), ("llm", None));

    fake.answer("not json at all");
    let (answer, failure) = concierge
        .analyze_explained(&catalogue, SUSPENSION)
        .await
        .unwrap();
    assert_eq!(answer.engine, "rules");
    assert!(
        failure
            .as_deref()
            .is_some_and(|f| f.contains("invalid answer")),
        "{failure:?}"
    );

    // Nobody listens there: the connection failure is reported without the URL.
    let dead = format!("http://127.0.0.1:{}/v1", {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    });
    let unreachable = Concierge::new(Some(&openai(dead.clone(), Duration::from_secs(5)))).unwrap();
    let (answer, failure) = unreachable
        .analyze_explained(&catalogue, SUSPENSION)
        .await
        .unwrap();
    assert_eq!(answer.engine, "rules");
    let failure = failure.expect("a reason");
    assert!(failure.starts_with("request failed"), "{failure}");
    assert!(!failure.contains("127.0.0.1"), "{failure}");
}

#[tokio::test]
async fn slow_llm_times_out_into_the_rules() {
    let (fake, base_url) = FakeChat::start(GOOD_ANSWER).await;
    *fake.delay.lock().unwrap() = Duration::from_secs(5);
    let concierge = Concierge::new(Some(&openai(base_url, Duration::from_secs(1)))).unwrap();
    let catalogue = Catalogue::demo().unwrap();
    let started = Instant::now();
    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    let took = started.elapsed();
    assert_eq!(answer.engine, "rules");
    assert_eq!(answer.fallback.as_deref(), Some("timeout"));
    assert_eq!(answer.services[0].category, "suspension");
    assert!(
        took >= Duration::from_secs(1),
        "waited for the LLM: {took:?}"
    );
    assert!(
        took < Duration::from_secs(2),
        "answered within timeout + 1 s: {took:?}"
    );
}

/// A fake GigaChat OAuth endpoint: tokens numbered from 1, valid for 2 seconds, issued after a
/// short pause (so that concurrent requests overlap the fetch).
#[derive(Clone, Default)]
struct FakeOauth {
    /// (Authorization, RqUID, scope) of each token request.
    fetches: Arc<Mutex<Vec<(String, String, String)>>>,
}

async fn oauth(
    State(fake): State<FakeOauth>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let n = {
        let mut fetches = fake.fetches.lock().unwrap();
        fetches.push((
            header("authorization"),
            header("rquid"),
            form.get("scope").cloned().unwrap_or_default(),
        ));
        fetches.len()
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    Json(json!({ "access_token": format!("token-{n}"), "expires_at": now_ms + 2000 }))
}

#[tokio::test]
async fn gigachat_token_is_fetched_once_and_refreshed_after_expiry() {
    let (chat, base_url) = FakeChat::start(GOOD_ANSWER).await;
    let fake_oauth = FakeOauth::default();
    let auth_url = format!(
        "{}/api/v2/oauth",
        spawn(
            Router::new()
                .route("/api/v2/oauth", post(oauth))
                .with_state(fake_oauth.clone())
        )
        .await
    );
    let config = AiConfig {
        provider: AiProvider::GigaChat,
        base_url,
        api_key: None,
        model: "GigaChat".into(),
        timeout: Duration::from_secs(5),
        gigachat: Some(GigaChatAuth {
            auth_url,
            credentials: Secret::new("Z2lnYS1pZDpnaWdhLXNlY3JldA=="),
            scope: "GIGACHAT_API_PERS".into(),
            ca_bundle: None,
        }),
    };
    let concierge = Concierge::new(Some(&config)).unwrap();
    let catalogue = Catalogue::demo().unwrap();

    // Five concurrent requests share one token fetch.
    let answers =
        futures::future::join_all((0..5).map(|_| concierge.analyze(&catalogue, SUSPENSION))).await;
    for answer in answers {
        assert_eq!(answer.unwrap().engine, "llm");
    }
    let fetches = fake_oauth.fetches.lock().unwrap().clone();
    assert_eq!(fetches.len(), 1, "one token for concurrent requests");
    let (authorization, rquid, scope) = &fetches[0];
    assert_eq!(authorization, "Basic Z2lnYS1pZDpnaWdhLXNlY3JldA==");
    assert_eq!(scope, "GIGACHAT_API_PERS");
    let parsed = uuid::Uuid::parse_str(rquid).expect("RqUID is a UUID");
    assert_eq!(parsed.get_version_num(), 4);
    let requests = chat.requests();
    assert_eq!(requests.len(), 5);
    assert!(requests.iter().all(|(a, _)| a == "Bearer token-1"));
    // GigaChat gets no `response_format` (not in its API); the prompt asks for JSON.
    assert!(requests[0].1.get("response_format").is_none());

    // Still fresh: reused.
    concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(fake_oauth.fetches.lock().unwrap().len(), 1);

    // Expired: a new token, with a new RqUID.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(answer.engine, "llm");
    let fetches = fake_oauth.fetches.lock().unwrap().clone();
    assert_eq!(fetches.len(), 2);
    assert_ne!(fetches[0].1, fetches[1].1);
    assert_eq!(chat.requests().last().unwrap().0, "Bearer token-2");

    // A token the provider no longer accepts: dropped, a new one fetched, the request retried.
    *chat.failures.lock().unwrap() = (1, 401);
    let answer = concierge.analyze(&catalogue, SUSPENSION).await.unwrap();
    assert_eq!(answer.engine, "llm");
    assert_eq!(fake_oauth.fetches.lock().unwrap().len(), 3);
    assert_eq!(chat.requests().last().unwrap().0, "Bearer token-3");
}

#[tokio::test]
async fn gigachat_auth_failure_falls_back_to_the_rules() {
    let (chat, base_url) = FakeChat::start(GOOD_ANSWER).await;
    let refusing = spawn(Router::new().route(
        "/api/v2/oauth",
        post(|| async { (axum::http::StatusCode::UNAUTHORIZED, "{}") }),
    ))
    .await;
    let mut config = openai(base_url, Duration::from_secs(5));
    config.provider = AiProvider::GigaChat;
    config.gigachat = Some(GigaChatAuth {
        auth_url: format!("{refusing}/api/v2/oauth"),
        credentials: Secret::new("wrong"),
        scope: "GIGACHAT_API_PERS".into(),
        ca_bundle: None,
    });
    let concierge = Concierge::new(Some(&config)).unwrap();
    let answer = concierge
        .analyze(&Catalogue::demo().unwrap(), SUSPENSION)
        .await
        .unwrap();
    assert_eq!(answer.engine, "rules");
    assert!(chat.requests().is_empty(), "no chat without a token");
}

#[tokio::test]
async fn analyze_endpoint_answers_from_the_company_catalogue() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(&db, &[]).await;
    let sever = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let garage = Api::new(
        &server,
        token(&server, "admin@garage24.demo", "demo-password").await,
    );
    let ids_of = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect()
    };

    let (status, answer) = sever
        .post("/api/v1/concierge/analyze/", json!({ "text": SUSPENSION }))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["engine"], "rules");
    assert_eq!(answer["intent"], "booking");
    assert!(answer["latency_ms"].is_u64());
    assert!(!answer["diagnoses"].as_array().unwrap().is_empty());
    let first = &answer["services"][0];
    assert_eq!(first["category"], "suspension");
    assert!(first["price"].as_f64().unwrap() > 0.0);
    assert!(first["duration_minutes"].as_i64().unwrap() > 0);
    let score = first["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));

    // Only this company's services.
    let (_, own) = sever.get("/api/v1/services?limit=1000").await;
    let own = ids_of(&own);
    assert!(ids_of(&answer["services"])
        .iter()
        .all(|id| own.contains(id)));
    let (status, other) = garage
        .post("/api/v1/concierge/analyze", json!({ "text": SUSPENSION }))
        .await;
    assert_eq!(status, 200);
    let other = ids_of(&other["services"]);
    assert!(!other.is_empty() && other.iter().all(|id| !own.contains(id)));

    // A deactivated service is no longer suggested: the cached catalogue notices the change.
    let top = first["id"].as_i64().unwrap();
    let (status, _) = sever
        .patch(
            &format!("/api/v1/services/{top}"),
            json!({ "is_active": false }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, answer) = sever
        .post("/api/v1/concierge/analyze", json!({ "text": SUSPENSION }))
        .await;
    assert!(!ids_of(&answer["services"]).contains(&top));

    // Bad input: 422 in FastAPI's shape; no token: 401.
    for body in [
        json!({ "text": "" }),
        json!({ "text": "а".repeat(4001) }),
        json!({}),
        json!({ "text": "стук", "extra": 1 }),
    ] {
        let (status, error) = sever.post("/api/v1/concierge/analyze", body).await;
        assert_eq!(status, 422);
        assert!(error["detail"].is_array(), "{error}");
    }
    let anonymous = reqwest::Client::new()
        .post(server.url("/api/v1/concierge/analyze"))
        .json(&json!({ "text": SUSPENSION }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    drop(server);
    db.drop().await;
}

#[test]
fn eval_command_reports_the_figures() {
    let set = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../app/data/concierge-eval.jsonl"
    );
    let config = crate::common::test_config();
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["concierge-eval", set])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ENVIRONMENT", "production")
        .env("SECRET_KEY", config.secret_key.expose())
        .env("ENCRYPTION_KEY", config.encryption_key.expose())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let figure = |label: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {label:?} in:\n{stdout}"))
    };
    assert!(figure("intent accuracy:") >= 0.95, "{stdout}");
    assert!(figure("category hit@3:") >= 0.95, "{stdout}");
    assert!(stdout.contains("messages: 160"), "{stdout}");
    assert!(stdout.contains("engine: rules 160"), "{stdout}");
    // The confusion table: a row per labelled intent, its diagonal and accuracy.
    let row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("visit_status "))
        .unwrap_or_else(|| panic!("no visit_status row in:\n{stdout}"));
    let accuracy: f64 = row
        .split_whitespace()
        .last()
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1.0);
    assert!((0.9..=1.0).contains(&accuracy), "{row}");
    assert!(stdout.contains("confusion (rows: labelled"), "{stdout}");
    assert!(stdout.contains("latency p50:"), "{stdout}");
}

#[tokio::test]
async fn the_catalogue_is_built_once_until_it_changes() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let tenant = app::domain::accounts::tenant_id_by_slug(&db.app, "sever")
        .await
        .unwrap()
        .unwrap();
    let concierge = Concierge::new(None).unwrap();
    let read = || async {
        let mut tx = db.app.tenant_tx(tenant).await.unwrap();
        let catalogue = concierge.catalogue(&mut tx, tenant).await.unwrap();
        tx.commit().await.unwrap();
        catalogue
    };
    let first = read().await;
    assert!(Arc::ptr_eq(&first, &read().await), "cached");

    // An edit whose transaction started before the newest `updated_at`: still noticed.
    let victim = first.services()[0].id;
    let mut late = db.app.tenant_tx(tenant).await.unwrap();
    sqlx::query("SELECT now()")
        .execute(&mut *late)
        .await
        .unwrap();
    let mut tx = db.app.tenant_tx(tenant).await.unwrap();
    sqlx::query("UPDATE services SET updated_at = now() + interval '1 hour' WHERE id = $1")
        .bind(first.services()[1].id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let second = read().await;
    assert!(!Arc::ptr_eq(&first, &second), "rebuilt after an edit");
    sqlx::query(
        "UPDATE services SET name = 'Переименованная услуга', updated_at = now() WHERE id = $1",
    )
    .bind(victim)
    .execute(&mut *late)
    .await
    .unwrap();
    late.commit().await.unwrap();
    let third = read().await;
    assert_eq!(third.get(victim).unwrap().name, "Переименованная услуга");
    db.drop().await;
}

/// Issue 17, item 4: a company lists the jobs it does not take; the concierge says so and offers
/// services for the rest of the message only — over the API and in the bot — and another
/// company's concierge is unchanged.
#[tokio::test]
async fn a_job_the_shop_does_not_take_is_declined_and_the_rest_answered() {
    use crate::common::telegram::{connect_bot, tenant, FakeTelegram, SEVER_TOKEN};

    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let sever_id = tenant(&db, "sever").await;
    connect_bot(&db, sever_id, SEVER_TOKEN).await;
    let fake = FakeTelegram::start().await;
    let server = TestServer::start(&db, &[("TELEGRAM_API_URL", &fake.url("p1"))]).await;
    let sever = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let garage = Api::new(
        &server,
        token(&server, "admin@garage24.demo", "demo-password").await,
    );
    let manager = Api::new(
        &server,
        token(&server, "manager@sever.demo", "demo-password").await,
    );

    // Admins set the list; it is tidied; a manager cannot change it.
    let (code, company) = sever
        .patch(
            "/api/v1/tenant",
            json!({"declined_jobs": [" кузовной  ремонт", "покраска", "Покраска", ""]}),
        )
        .await;
    assert_eq!(code, 200, "{company}");
    assert_eq!(
        company["declined_jobs"],
        json!(["кузовной ремонт", "покраска"])
    );
    assert_eq!(
        manager
            .patch("/api/v1/tenant", json!({"declined_jobs": []}))
            .await
            .0,
        403
    );
    let (code, body) = sever
        .patch("/api/v1/tenant", json!({"declined_jobs": ["ой"]}))
        .await;
    assert_eq!(code, 422, "{body}");

    // Two requests in one message: the paint job is declined, the oil change answered.
    let (code, answer) = sever
        .post(
            "/api/v1/concierge/analyze",
            json!({"text": "Нужно покрасить крыло и поменять масло в двигателе"}),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["declined"], json!(["покраска"]));
    let services = answer["services"].as_array().unwrap();
    assert_eq!(services[0]["category"], "oil", "{answer}");
    // Only the declined job: nothing offered in its place.
    let (_, answer) = sever
        .post(
            "/api/v1/concierge/analyze",
            json!({"text": "Сколько стоит кузовной ремонт двери?"}),
        )
        .await;
    assert_eq!(answer["declined"], json!(["кузовной ремонт"]), "{answer}");
    assert_eq!(answer["services"], json!([]), "{answer}");
    // Another company's concierge does not know Север's list.
    let (_, other) = garage
        .post(
            "/api/v1/concierge/analyze",
            json!({"text": "Нужно покрасить крыло и поменять масло в двигателе"}),
        )
        .await;
    assert!(other.get("declined").is_none(), "{other}");

    // In the bot: the customer is told, politely, and not offered a wrong service.
    let user = 6_660_001;
    fake.write(SEVER_TOKEN, user, "/start");
    fake.wait_message(SEVER_TOKEN, user, "«Автосервис Север»")
        .await;
    fake.write(SEVER_TOKEN, user, "Сделаете кузовной ремонт? Помял дверь");
    let reply = fake
        .wait_message(
            SEVER_TOKEN,
            user,
            "такие работы мы не выполняем: кузовной ремонт",
        )
        .await;
    let text = reply["text"].as_str().unwrap();
    assert!(!text.contains("Подходящие работы"), "{text}");
    db.drop().await;
}

/// The base URL of a fake chat server that refuses every request with `status`.
async fn refusing_chat(status: u16) -> (FakeChat, String) {
    let (fake, url) = FakeChat::start(GOOD_ANSWER).await;
    *fake.failures.lock().unwrap() = (u32::MAX, status);
    (fake, url)
}

fn engine_only(engine: &str) -> CompanyAiPatch {
    CompanyAiPatch {
        engine: engine.into(),
        ..CompanyAiPatch::default()
    }
}

/// The company's answer to [`SUSPENSION`], as the bot and the REST concierge get it.
async fn ask(
    concierge: &Concierge,
    db: &TestDb,
    tenant: app::domain::db::TenantId,
) -> app::domain::concierge::ConciergeAnswer {
    concierge
        .analyze_for_tenant(&db.app, tenant, SUSPENSION)
        .await
        .unwrap()
}

fn own_model(base_url: &str, key: Option<&str>) -> CompanyAiPatch {
    CompanyAiPatch {
        engine: "openai".into(),
        base_url: Some(base_url.into()),
        model: Some("shop-model".into()),
        key: key.map(str::to_string),
        ..CompanyAiPatch::default()
    }
}

/// Issue 17, item 3: a company's own model answers its customers with its own key, a company
/// whose key is refused gets the rules without touching anyone else, «rules» means the rules
/// even on a server with a model, and the key is stored encrypted and never returned.
#[tokio::test]
async fn each_company_brings_its_own_model() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let config = crate::common::config_with(&[("OUTBOUND_ALLOW_INTERNAL", "true")]);
    let tenant = |slug: &'static str| {
        let app = db.app.clone();
        async move {
            app::domain::accounts::tenant_id_by_slug(&app, slug)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (sever, garage) = (tenant("sever").await, tenant("garage24").await);
    let (platform, platform_url) = FakeChat::start(GOOD_ANSWER).await;
    let (own, own_url) = FakeChat::start(GOOD_ANSWER).await;
    let (refusing, refusing_url) = refusing_chat(401).await;
    let concierge = Concierge::new(Some(&openai(platform_url, Duration::from_secs(5))))
        .unwrap()
        .for_companies(config.clone());
    // Stores a company's choice as its admin would.
    let choose = |tenant, patch| {
        let (db, config) = (db.app.clone(), config.clone());
        async move {
            company_ai::change(&db, &config, tenant, patch)
                .await
                .unwrap()
        }
    };

    choose(sever, own_model(&own_url, Some("sever-key"))).await;
    let view = choose(garage, own_model(&refusing_url, Some("wrong-key"))).await;
    assert!(view.key_set);
    assert!(!serde_json::to_string(&view).unwrap().contains("wrong-key"));

    let answer = ask(&concierge, &db, sever).await;
    assert!(answer.engine.starts_with("llm"), "{answer:?}");
    let sent = own.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "Bearer sever-key");
    assert_eq!(sent[0].1["model"], "shop-model");

    // The other company's refused key: the rules answer there, and only there.
    let answer = ask(&concierge, &db, garage).await;
    assert_eq!(
        (answer.engine.as_str(), answer.fallback.as_deref()),
        ("rules", Some("invalid"))
    );
    assert!(!refusing.requests().is_empty());
    let answer = ask(&concierge, &db, sever).await;
    assert!(answer.engine.starts_with("llm"), "{answer:?}");
    assert!(
        platform.requests().is_empty(),
        "nobody used the server's model"
    );
    let (_, reason) = concierge
        .check_for_tenant(&db.app, garage, SUSPENSION)
        .await
        .unwrap();
    assert!(
        reason.as_deref().unwrap_or_default().contains("401"),
        "{reason:?}"
    );

    // Back to the server's model, and the rules only although the server has one.
    choose(garage, engine_only("platform")).await;
    let answer = ask(&concierge, &db, garage).await;
    assert!(answer.engine.starts_with("llm"), "{answer:?}");
    assert_eq!(platform.requests()[0].0, "Bearer test-key");
    choose(sever, engine_only("rules")).await;
    let answer = ask(&concierge, &db, sever).await;
    assert_eq!((answer.engine.as_str(), answer.fallback), ("rules", None));
    assert_eq!(own.requests().len(), 2);

    // The key is kept while the engine stays (left out of the change), encrypted at rest.
    choose(sever, own_model(&own_url, Some("sever-key"))).await;
    let kept = choose(sever, own_model(&own_url, None)).await;
    assert!(kept.key_set);
    ask(&concierge, &db, sever).await;
    assert_eq!(own.requests().last().unwrap().0, "Bearer sever-key");
    let stored: String =
        sqlx::query_scalar("SELECT ai_settings::text FROM tenants WHERE slug = 'sever'")
            .fetch_one(&db.owner)
            .await
            .unwrap();
    assert!(
        stored.contains("shop-model") && !stored.contains("sever-key"),
        "{stored}"
    );

    // GigaChat needs its key; a new engine does not inherit the other one's.
    let error = company_ai::change(&db.app, &config, sever, engine_only("gigachat"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, app::domain::Error::Validation(_)),
        "{error:?}"
    );
    db.drop().await;
}

/// In production a company's model must be on the internet (no probing the platform's own
/// network through the concierge), and what cannot work is refused with a Russian reason.
#[tokio::test]
async fn a_company_model_inside_the_network_or_malformed_is_refused() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let config = crate::common::test_config();
    assert!(config.is_production());
    let sever = app::domain::accounts::tenant_id_by_slug(&db.app, "sever")
        .await
        .unwrap()
        .unwrap();
    let refused = |patch: CompanyAiPatch| {
        let (db, config) = (db.app.clone(), config.clone());
        async move {
            match company_ai::change(&db, &config, sever, patch).await {
                Err(app::domain::Error::Validation(message)) => message,
                other => panic!("not refused: {other:?}"),
            }
        }
    };
    for url in [
        "http://127.0.0.1:11434/v1",
        "http://10.0.0.5/v1",
        "http://localhost:8080/v1",
        "http://[::1]/v1",
    ] {
        let message = refused(own_model(url, None)).await;
        assert!(message.contains("внутреннюю сеть"), "{url}: {message}");
    }
    let message = refused(own_model("https://user:secret@api.example.com/v1", None)).await;
    assert!(message.contains("логин и пароль"), "{message}");
    assert!(refused(own_model("not a url", None))
        .await
        .contains("Адрес API"));
    let message = refused(engine_only("claude")).await;
    assert!(
        message.contains("platform, rules, openai или gigachat"),
        "{message}"
    );
    let message = refused(CompanyAiPatch {
        timeout_seconds: Some(0),
        ..own_model("https://api.openai.com/v1", None)
    })
    .await;
    assert!(message.contains("от 1 до 60"), "{message}");
    let message = refused(CompanyAiPatch {
        engine: "gigachat".into(),
        key: Some("key".into()),
        gigachat_scope: Some("ANY".into()),
        ..CompanyAiPatch::default()
    })
    .await;
    assert!(message.contains("GIGACHAT_API_PERS"), "{message}");
    // Nothing was stored by the refusals: the company still uses the server's setting.
    let mut tx = db.app.tenant_read_tx(sever).await.unwrap();
    let view = company_ai::get(&mut tx, &config).await.unwrap();
    assert_eq!(view.engine, "platform");
    drop(tx);
    db.drop().await;
}

/// `GET/PUT /api/v1/tenant/ai` and `POST /api/v1/tenant/ai/check` over HTTP: admins only, the
/// key never in an answer, the check says who answered and how long it took.
#[tokio::test]
async fn company_ai_settings_over_the_api() {
    let db = TestDb::new().await;
    app::domain::demo::seed_demo(&db.app).await.unwrap();
    let server = TestServer::start(&db, &[("OUTBOUND_ALLOW_INTERNAL", "true")]).await;
    let admin = Api::new(
        &server,
        token(&server, "admin@sever.demo", "demo-password").await,
    );
    let manager = Api::new(
        &server,
        token(&server, "manager@sever.demo", "demo-password").await,
    );
    let (own, own_url) = FakeChat::start(GOOD_ANSWER).await;

    let (status, view) = admin.get("/api/v1/tenant/ai").await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["engine"], "platform");
    assert_eq!(view["platform"], "встроенные правила");
    let (status, _) = manager.get("/api/v1/tenant/ai").await;
    assert_eq!(status, 403);
    let patch = json!({ "engine": "openai", "base_url": own_url, "model": "shop-model",
                        "key": "sk-company-secret", "timeout_seconds": 5 });
    let (status, _) = manager.put("/api/v1/tenant/ai", patch.clone()).await;
    assert_eq!(status, 403);
    let (status, view) = admin.put("/api/v1/tenant/ai", patch).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        (
            view["engine"].as_str(),
            view["key_set"].as_bool(),
            view["timeout_seconds"].as_u64()
        ),
        (Some("openai"), Some(true), Some(5))
    );
    let (_, read) = admin.get("/api/v1/tenant/ai").await;
    assert_eq!(read, view);
    assert!(!read.to_string().contains("sk-company-secret"));

    let (status, check) = admin.post("/api/v1/tenant/ai/check", json!({})).await;
    assert_eq!(status, 200, "{check}");
    assert!(
        check["engine"].as_str().unwrap().starts_with("llm"),
        "{check}"
    );
    assert!(check["latency_ms"].is_u64());
    assert_eq!(check["diagnoses"][0], "Износ стоек стабилизатора");
    assert!(check["llm_failure"].is_null());
    assert_eq!(own.requests()[0].0, "Bearer sk-company-secret");
    let (status, _) = manager.post("/api/v1/tenant/ai/check", json!({})).await;
    assert_eq!(status, 403);

    // The bot's and the REST concierge's answers come from the company's model too.
    let (_, answer) = admin
        .post("/api/v1/concierge/analyze", json!({ "text": SUSPENSION }))
        .await;
    assert!(
        answer["engine"].as_str().unwrap().starts_with("llm"),
        "{answer}"
    );

    let (status, error) = admin
        .put(
            "/api/v1/tenant/ai",
            json!({ "engine": "openai", "base_url": "ftp://x" }),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    let (status, error) = admin
        .put(
            "/api/v1/tenant/ai",
            json!({ "engine": "rules", "extra": 1 }),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    drop(server);
    db.drop().await;
}
