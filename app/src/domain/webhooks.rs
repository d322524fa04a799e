//! Signed webhooks to a company's CRM (amoCRM, Bitrix24, 1C integrations). An admin adds an
//! endpoint (URL, the events it wants) and gets its secret once. Every change to a visit or a
//! client card, from whichever channel (web, API, bot), is written as a `webhook.deliver` job in
//! the change's own transaction ([`enqueue`], called by `Work::commit`), so an event is sent if
//! and only if the change happened. The worker posts it with the full objects (the visit with
//! its client, phone, car, services and shop) and the header
//! `X-Concierge-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` (Stripe's scheme: the
//! receiver recomputes it with the secret and rejects old `t`s, so a replay is refused).
//!
//! A failed attempt is retried with a growing pause for up to [`RETRY_FOR`]; an endpoint that has
//! failed for [`DISABLE_AFTER`] is disabled and the company's admins told. Every attempt is in
//! the delivery log (status code, time, the start of the answer). In production an address that
//! resolves to loopback, private, link-local or other internal ranges is refused, when the
//! endpoint is saved and again at each delivery (the connection goes to the address checked).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use super::{
    crypto,
    db::{Db, TenantId, Tx},
    mail::{Letter, Mailer},
    outbound, AppState, Config, Error, Result,
};
use crate::model::EventKind;

/// `jobs.kind` of one event for one endpoint.
pub const DELIVER: &str = "webhook.deliver";
/// The events an endpoint can ask for; an endpoint with none gets them all.
pub const EVENTS: [&str; 4] = [
    "appointment.created",
    "appointment.updated",
    "client.created",
    "client.updated",
];
/// The event «Отправить тестовое событие» sends.
pub const TEST_EVENT: &str = "ping";
/// How long a failing event is retried.
pub const RETRY_FOR: Duration = Duration::from_secs(24 * 3600);
/// How long an endpoint may fail before it is disabled.
pub const DISABLE_AFTER: Duration = Duration::from_secs(3 * 24 * 3600);
/// How long the receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Endpoints per company.
pub const MAX_ENDPOINTS: i64 = 10;
/// How much of the receiver's answer the log keeps.
const EXCERPT_CHARS: usize = 500;

/// An endpoint as staff and the API see it: never its secret, except once, in the answer that
/// created it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    /// The events it gets; empty: all of [`EVENTS`].
    pub events: Vec<String>,
    pub description: String,
    /// Off when an admin switched it off or it failed for 3 days (`disabled_at`).
    pub active: bool,
    /// Failing since then (no success after); `null` while it answers.
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was switched off for failing, and why.
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The HMAC key (`whsec_…`): only in the answer to `POST /webhooks`, never again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A new endpoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// `https://…` (or `http://…`), at most 2000 characters.
    pub url: String,
    /// Some of `appointment.created`, `appointment.updated`, `client.created`,
    /// `client.updated`; empty or left out: all.
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// A change of an endpoint; what is left out stays. `active: true` switches a disabled
/// endpoint on again (its failures are forgotten).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// One attempt to deliver an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    /// The event's id (`evt_…`), the same on every attempt: receivers deduplicate by it.
    pub event_id: String,
    pub event_type: String,
    pub attempt: i32,
    /// A 2xx answer.
    pub ok: bool,
    /// The receiver's HTTP status; `null` when none came (refused, timed out).
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: Option<i32>,
    /// The start of the receiver's answer.
    pub response_excerpt: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The payload of a [`DELIVER`] job: the event as it is sent, signed anew at each attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub endpoint_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub body: serde_json::Value,
}

struct Row {
    id: i64,
    url: String,
    events: Vec<String>,
    description: String,
    is_active: bool,
    failing_since: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
    disabled_reason: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Row> for Endpoint {
    fn from(row: Row) -> Self {
        Endpoint {
            id: row.id,
            url: row.url,
            events: row.events,
            description: row.description,
            active: row.is_active,
            failing_since: row.failing_since,
            disabled_at: row.disabled_at,
            disabled_reason: row.disabled_reason,
            created_at: row.created_at,
            secret: None,
        }
    }
}

pub async fn list(tx: &mut Tx) -> Result<Vec<Endpoint>> {
    Ok(sqlx::query_as!(
        Row,
        "SELECT id, url, events, description, is_active, failing_since, disabled_at,
                disabled_reason, created_at
         FROM webhook_endpoints ORDER BY id"
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(Endpoint::from)
    .collect())
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Endpoint> {
    sqlx::query_as!(
        Row,
        "SELECT id, url, events, description, is_active, failing_since, disabled_at,
                disabled_reason, created_at
         FROM webhook_endpoints WHERE id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .map(Endpoint::from)
    .ok_or(Error::NotFound)
}

/// Adds an endpoint; the answer carries its secret. `revealed`: that answer is the one time it is
/// shown (the API); otherwise the web page shows it until the admin has saved it
/// ([`unsaved_secrets`]).
pub async fn create(
    db: &Db,
    config: &Config,
    tenant: TenantId,
    new: NewEndpoint,
    revealed: bool,
) -> Result<Endpoint> {
    let url = checked_url(config, &new.url).await?;
    let events = checked_events(new.events)?;
    let description = checked_description(&new.description)?;
    let secret = new_secret();
    let secret_enc = crypto::encrypt(config, &secret)?;
    let mut tx = db.tenant_tx(tenant).await?;
    let count = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM webhook_endpoints"#)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_ENDPOINTS {
        return Err(Error::Conflict(format!(
            "Не больше {MAX_ENDPOINTS} адресов для вебхуков"
        )));
    }
    let row = sqlx::query_as!(
        Row,
        "INSERT INTO webhook_endpoints (tenant_id, url, secret_enc, events, description, secret_revealed)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, url, events, description, is_active, failing_since, disabled_at,
                   disabled_reason, created_at",
        tenant.0,
        url,
        secret_enc,
        &events,
        description,
        revealed
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Endpoint {
        secret: Some(secret),
        ..row.into()
    })
}

/// The secrets of endpoints created on the web page and not yet put away: the page shows each
/// until the admin says it is saved ([`put_away_secret`]), so a reload does not lose it.
pub async fn unsaved_secrets(tx: &mut Tx, config: &Config) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        "SELECT id, secret_enc FROM webhook_endpoints WHERE NOT secret_revealed ORDER BY id"
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|row| Ok((row.id, crypto::decrypt(config, &row.secret_enc)?)))
        .collect()
}

/// «Секрет сохранён»: the endpoint's secret is not shown again.
pub async fn put_away_secret(db: &Db, tenant: TenantId, id: i64) -> Result<()> {
    let mut tx = db.tenant_tx(tenant).await?;
    let changed = sqlx::query!(
        "UPDATE webhook_endpoints SET secret_revealed = true WHERE id = $1",
        id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

pub async fn change(
    db: &Db,
    config: &Config,
    tenant: TenantId,
    id: i64,
    patch: EndpointPatch,
) -> Result<Endpoint> {
    let url = match &patch.url {
        Some(url) => Some(checked_url(config, url).await?),
        None => None,
    };
    let events = patch.events.map(checked_events).transpose()?;
    let description = patch
        .description
        .as_deref()
        .map(checked_description)
        .transpose()?;
    let mut tx = db.tenant_tx(tenant).await?;
    let row = sqlx::query_as!(
        Row,
        "UPDATE webhook_endpoints
         SET url = coalesce($2, url), events = coalesce($3, events),
             description = coalesce($4, description),
             is_active = coalesce($5, is_active),
             failing_since = CASE WHEN $5 OR $2 IS DISTINCT FROM NULL THEN NULL
                                  ELSE failing_since END,
             disabled_at = CASE WHEN $5 THEN NULL ELSE disabled_at END,
             disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
             updated_at = now()
         WHERE id = $1
         RETURNING id, url, events, description, is_active, failing_since, disabled_at,
                   disabled_reason, created_at",
        id,
        url,
        events.as_deref(),
        description,
        patch.active
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(row.into())
}

/// Removes an endpoint with its log; its pending events are dropped.
pub async fn remove(db: &Db, tenant: TenantId, id: i64) -> Result<()> {
    let mut tx = db.tenant_tx(tenant).await?;
    let gone = sqlx::query!("DELETE FROM webhook_endpoints WHERE id = $1", id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(Error::NotFound);
    }
    drop_pending(&mut tx, id, "skipped: the endpoint was removed").await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the endpoint's pending events with `note`. A job a worker holds right now is skipped
/// (it finds the endpoint gone or off and ends itself): waiting for it would deadlock with its
/// own insert into the log.
async fn drop_pending(tx: &mut Tx, endpoint_id: i64, note: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE jobs SET status = 'done', last_error = $3, updated_at = now()
         WHERE id IN (SELECT id FROM jobs
                      WHERE kind = $1 AND status = 'pending'
                        AND (payload ->> 'endpoint_id')::bigint = $2
                      FOR UPDATE SKIP LOCKED)",
        DELIVER,
        endpoint_id,
        note
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The endpoint's last `limit` attempts, the newest first.
pub async fn deliveries(tx: &mut Tx, endpoint_id: i64, limit: i64) -> Result<Vec<Delivery>> {
    Ok(sqlx::query_as!(
        Delivery,
        "SELECT id, endpoint_id, event_id, event_type, attempt, ok, status_code, error,
                duration_ms, response_excerpt, created_at
         FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2",
        endpoint_id,
        limit.clamp(1, 200)
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// Writes one job per subscribed endpoint for each change in `events`, in the change's own
/// transaction (called by `Work::commit`). The body carries the full objects as they are now.
pub async fn enqueue(
    tx: &mut Tx,
    tenant: TenantId,
    events: &[(EventKind, serde_json::Value)],
) -> Result<()> {
    let wanted: Vec<_> = events
        .iter()
        .filter(|(kind, _)| EVENTS.contains(&kind.as_str()))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let endpoints = sqlx::query!("SELECT id, events FROM webhook_endpoints WHERE is_active")
        .fetch_all(&mut **tx)
        .await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    for (kind, data) in wanted {
        let event_type = kind.as_str();
        let subscribed: Vec<i64> = endpoints
            .iter()
            .filter(|e| e.events.is_empty() || e.events.iter().any(|t| t == event_type))
            .map(|e| e.id)
            .collect();
        if subscribed.is_empty() {
            continue;
        }
        let data = match kind {
            EventKind::AppointmentCreated | EventKind::AppointmentUpdated => {
                visit_data(tx, data.clone()).await?
            }
            _ => data.clone(),
        };
        let body = envelope(tx, &new_event_id(), event_type, data).await?;
        for endpoint in subscribed {
            insert_job(tx, tenant, endpoint, &body, "pending").await?;
        }
    }
    Ok(())
}

/// A visit as a CRM wants it: the appointment with its client's e-mail, its car and its shop.
async fn visit_data(tx: &mut Tx, mut data: serde_json::Value) -> Result<serde_json::Value> {
    let id = data
        .get("id")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or_default();
    let extra = sqlx::query!(
        r#"SELECT
             (SELECT jsonb_build_object('id', s.id, 'name', s.name, 'address', s.address,
                                        'phone', s.phone, 'timezone', s.timezone)
                FROM shops s WHERE s.id = a.shop_id) AS "shop",
             (SELECT jsonb_build_object('id', v.id, 'make', v.make, 'model', v.model,
                                        'year', v.year, 'plate', v.plate, 'vin', v.vin,
                                        'mileage_km', v.mileage_km)
                FROM vehicles v WHERE v.id = a.vehicle_id) AS "vehicle",
             (SELECT c.email FROM clients c WHERE c.id = a.client_id) AS "email"
           FROM appointments a WHERE a.id = $1"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await?;
    if let (Some(extra), Some(object)) = (extra, data.as_object_mut()) {
        object.insert("shop".into(), extra.shop.unwrap_or_default());
        object.insert("vehicle".into(), extra.vehicle.unwrap_or_default());
        if let Some(client) = object.get_mut("client").and_then(|c| c.as_object_mut()) {
            client.insert("email".into(), extra.email.into());
        }
    }
    Ok(data)
}

/// `{"id", "type", "created_at", "company": {id, slug, name}, "data"}`.
async fn envelope(
    tx: &mut Tx,
    event_id: &str,
    event_type: &str,
    data: serde_json::Value,
) -> Result<serde_json::Value> {
    let company = sqlx::query!("SELECT id, slug, name FROM tenants")
        .fetch_one(&mut **tx)
        .await?;
    Ok(serde_json::json!({
        "id": event_id,
        "type": event_type,
        "created_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "company": { "id": company.id, "slug": company.slug, "name": company.name },
        "data": data,
    }))
}

async fn insert_job(
    tx: &mut Tx,
    tenant: TenantId,
    endpoint_id: i64,
    body: &serde_json::Value,
    status: &str,
) -> Result<i64> {
    let job = Job {
        endpoint_id,
        event_id: body["id"].as_str().unwrap_or_default().to_string(),
        event_type: body["type"].as_str().unwrap_or_default().to_string(),
        body: body.clone(),
    };
    let payload =
        serde_json::to_value(&job).map_err(|e| Error::Internal(format!("webhook job: {e}")))?;
    // The retries end by time (`RETRY_FOR`), not by count.
    Ok(sqlx::query_scalar!(
        "INSERT INTO jobs (tenant_id, kind, payload, status, max_attempts, dedupe_key)
         VALUES ($1, $2, $3, $4, 1000, $5) RETURNING id",
        tenant.0,
        DELIVER,
        payload,
        status,
        format!("webhook:{endpoint_id}:{}", job.event_id)
    )
    .fetch_one(&mut **tx)
    .await?)
}

fn new_event_id() -> String {
    format!("evt_{}", uuid::Uuid::new_v4().simple())
}

fn new_secret() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("whsec_{}", hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `X-Concierge-Signature` header's value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex(&mac.finalize().into_bytes()))
}

fn checked_events(events: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for event in events {
        let event = event.trim().to_string();
        if !EVENTS.contains(&event.as_str()) {
            return Err(Error::validation(format!(
                "Неизвестное событие «{event}»; есть: {}",
                EVENTS.join(", ")
            )));
        }
        if !out.contains(&event) {
            out.push(event);
        }
    }
    Ok(out)
}

fn checked_description(text: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > 200 {
        return Err(Error::validation("Описание: не длиннее 200 символов"));
    }
    Ok(text.to_string())
}

/// The URL as it will be used (see [`outbound::checked_url`]).
async fn checked_url(config: &Config, url: &str) -> Result<String> {
    outbound::checked_url(config, url, "Адрес вебхука", "https://crm.example.ru/hook").await
}

/// What the receiver answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub response_excerpt: Option<String>,
}

/// Posts `job`'s event to `url`, signed with `secret` now.
pub async fn post(config: &Config, url: &str, secret: &str, job: &Job) -> Outcome {
    let started = Instant::now();
    let failed = |error: String| Outcome {
        ok: false,
        status_code: None,
        error: Some(error),
        duration_ms: elapsed_ms(started),
        response_excerpt: None,
    };
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return failed("адрес не разбирается".into());
    };
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the name itself, past the address checked here.
        .no_proxy()
        .user_agent("Auto-Concierge-Webhooks/1");
    if outbound::guarded(config) {
        match outbound::reachable_address(&parsed).await {
            Ok(address) => {
                builder = builder.resolve(parsed.host_str().unwrap_or_default(), address)
            }
            Err(e) => return failed(e.to_string()),
        }
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => return failed(format!("HTTP-клиент: {e}")),
    };
    let body = match serde_json::to_vec(&job.body) {
        Ok(body) => body,
        Err(e) => return failed(format!("тело события: {e}")),
    };
    let signature = signature(secret, Utc::now().timestamp(), &body);
    let response = client
        .post(parsed)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Concierge-Signature", signature)
        .header("X-Concierge-Event", &job.event_type)
        .header("X-Concierge-Event-Id", &job.event_id)
        .body(body)
        .send()
        .await;
    match response {
        Ok(mut response) => {
            let status = response.status();
            // Only the start is kept, so only the start is read: a receiver cannot fill memory.
            let mut bytes = Vec::new();
            while bytes.len() < EXCERPT_CHARS * 4 {
                match response.chunk().await {
                    Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let excerpt: String = text.chars().take(EXCERPT_CHARS).collect();
            Outcome {
                ok: status.is_success(),
                status_code: Some(i32::from(status.as_u16())),
                error: (!status.is_success()).then(|| format!("ответ {}", status.as_u16())),
                duration_ms: elapsed_ms(started),
                response_excerpt: Some(excerpt).filter(|e| !e.is_empty()),
            }
        }
        Err(e) if e.is_timeout() => failed(format!("нет ответа за {} с", TIMEOUT.as_secs())),
        Err(e) if e.is_connect() => failed("соединение не установлено".into()),
        // The URL stays out: some CRMs carry their key in it.
        Err(e) => failed(format!("запрос не прошёл: {}", e.without_url())),
    }
}

fn elapsed_ms(started: Instant) -> i32 {
    i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX)
}

/// The endpoint a job goes to, with its secret; `None` when it is gone or switched off.
pub async fn target(
    tx: &mut Tx,
    config: &Config,
    endpoint_id: i64,
) -> Result<Option<(String, String)>> {
    let row = sqlx::query!(
        "SELECT url, secret_enc FROM webhook_endpoints WHERE id = $1 AND is_active",
        endpoint_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| Ok((row.url, crypto::decrypt(config, &row.secret_enc)?)))
        .transpose()
}

/// What recording an attempt changed for the endpoint.
#[derive(Clone, Debug, PartialEq)]
pub enum Health {
    Answering,
    Failing,
    /// The endpoint was removed while the event was on its way: nothing was logged.
    Gone,
    /// Failed for [`DISABLE_AFTER`] and switched off now: its admins are to be told.
    DisabledNow {
        url: String,
        reason: String,
    },
}

/// Logs an attempt and keeps the endpoint's health: a success clears its failures; a failure
/// starts or continues them, and after [`DISABLE_AFTER`] switches it off.
pub async fn record(
    tx: &mut Tx,
    tenant: TenantId,
    job_id: Option<i64>,
    job: &Job,
    attempt: i32,
    outcome: &Outcome,
) -> Result<Health> {
    // In a savepoint: the endpoint may have been removed meanwhile, and its log with it.
    // Transaction control: runtime, nothing to check.
    sqlx::query("SAVEPOINT webhook_record")
        .execute(&mut **tx)
        .await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, job_id, event_id, event_type,
                                         attempt, ok, status_code, error, duration_ms, response_excerpt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        tenant.0,
        job.endpoint_id,
        job_id,
        job.event_id,
        job.event_type,
        attempt,
        outcome.ok,
        outcome.status_code,
        outcome.error,
        outcome.duration_ms,
        outcome.response_excerpt
    )
    .fetch_optional(&mut **tx)
    .await;
    match id {
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            // Transaction control: runtime.
            sqlx::query("ROLLBACK TO SAVEPOINT webhook_record")
                .execute(&mut **tx)
                .await?;
            return Ok(Health::Gone);
        }
        other => other?,
    };
    // Transaction control: runtime.
    sqlx::query("RELEASE SAVEPOINT webhook_record")
        .execute(&mut **tx)
        .await?;
    if outcome.ok {
        sqlx::query!(
            "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1",
            job.endpoint_id
        )
        .execute(&mut **tx)
        .await?;
        return Ok(Health::Answering);
    }
    let reason = format!(
        "Адрес не принимал события {} дня; последняя ошибка: {}",
        DISABLE_AFTER.as_secs() / 86_400,
        outcome.error.as_deref().unwrap_or("—")
    );
    let row = sqlx::query!(
        r#"UPDATE webhook_endpoints
           SET failing_since = coalesce(failing_since, now()),
               is_active = CASE WHEN is_active AND failing_since < now() - make_interval(secs => $2)
                                THEN false ELSE is_active END,
               disabled_at = CASE WHEN is_active AND failing_since < now() - make_interval(secs => $2)
                                  THEN now() ELSE disabled_at END,
               disabled_reason = CASE WHEN is_active AND failing_since < now() - make_interval(secs => $2)
                                      THEN $3 ELSE disabled_reason END
           WHERE id = $1
           RETURNING url, coalesce(disabled_at = now(), false) AS "disabled_now!""#,
        job.endpoint_id,
        DISABLE_AFTER.as_secs_f64(),
        reason
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(row) if row.disabled_now => {
            // Its other pending events wait for no one.
            drop_pending(tx, job.endpoint_id, "skipped: the endpoint was disabled").await?;
            Health::DisabledNow {
                url: row.url,
                reason,
            }
        }
        _ => Health::Failing,
    })
}

/// The pause before attempt `attempts + 1` of an event: 30 s, 1 min, 2 min … up to 2 h.
pub fn retry_delay(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 12)).unwrap_or(12);
    Duration::from_secs(30)
        .saturating_mul(2u32.pow(exponent))
        .min(Duration::from_secs(2 * 3600))
}

/// «Отправить тестовое событие»: a `ping` sent now, logged like any event.
pub async fn send_test(state: &AppState, tenant: TenantId, endpoint_id: i64) -> Result<Delivery> {
    let (db, config) = (&state.db, &*state.config);
    let mut tx = db.tenant_tx(tenant).await?;
    get(&mut tx, endpoint_id).await?;
    if target(&mut tx, config, endpoint_id).await?.is_none() {
        return Err(switched_off());
    }
    let data = serde_json::json!({ "message": "Тестовое событие Auto-Concierge: адрес и подпись работают" });
    let body = envelope(&mut tx, &new_event_id(), TEST_EVENT, data).await?;
    // Kept as a finished job, so that «Повторить» can send the same event again.
    let job_id = insert_job(&mut tx, tenant, endpoint_id, &body, "done").await?;
    tx.commit().await?;
    send_now(state, tenant, job_id).await
}

/// «Повторить»: the event of endpoint `endpoint_id`'s logged attempt `delivery_id` sent again
/// now, as the next attempt.
pub async fn resend(
    state: &AppState,
    tenant: TenantId,
    endpoint_id: i64,
    delivery_id: i64,
) -> Result<Delivery> {
    let db = &state.db;
    let mut tx = db.tenant_read_tx(tenant).await?;
    let job_id = sqlx::query_scalar!(
        "SELECT job_id FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2",
        delivery_id,
        endpoint_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?
    .ok_or_else(|| Error::Conflict("Это событие больше не хранится: повторить нельзя".into()))?;
    drop(tx);
    send_now(state, tenant, job_id).await
}

/// Sends the event of job `job_id` now (outside the worker), waits for the answer and logs it.
async fn send_now(state: &AppState, tenant: TenantId, job_id: i64) -> Result<Delivery> {
    let (db, config) = (&state.db, &*state.config);
    let mut tx = db.tenant_tx(tenant).await?;
    let payload = sqlx::query_scalar!(
        "SELECT payload FROM jobs WHERE id = $1 AND kind = $2",
        job_id,
        DELIVER
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::Conflict("Это событие больше не хранится: повторить нельзя".into()))?;
    let job: Job = serde_json::from_value(payload)
        .map_err(|e| Error::Internal(format!("webhook job {job_id}: {e}")))?;
    let Some((url, secret)) = target(&mut tx, config, job.endpoint_id).await? else {
        return Err(switched_off());
    };
    tx.commit().await?;
    let outcome = post(config, &url, &secret, &job).await;
    let mut tx = db.tenant_tx(tenant).await?;
    let attempt = next_attempt(&mut tx, job_id).await?;
    let health = record(&mut tx, tenant, Some(job_id), &job, attempt, &outcome).await?;
    if let Health::DisabledNow { url, reason } = &health {
        tell_admins(state.mailer.as_ref(), &mut tx, url, reason).await;
    }
    if outcome.ok {
        // Delivered now: the worker need not send it again (unless it holds it this moment).
        sqlx::query!(
            "UPDATE jobs SET status = 'done', last_error = NULL, updated_at = now()
             WHERE id IN (SELECT id FROM jobs WHERE id = $1 AND status = 'pending'
                          FOR UPDATE SKIP LOCKED)",
            job_id
        )
        .execute(&mut *tx)
        .await?;
    }
    let delivery = sqlx::query_as!(
        Delivery,
        "SELECT id, endpoint_id, event_id, event_type, attempt, ok, status_code, error,
                duration_ms, response_excerpt, created_at
         FROM webhook_deliveries WHERE job_id = $1 ORDER BY id DESC LIMIT 1",
        job_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(delivery)
}

/// The number of the next attempt at job `job_id`'s event (the worker's and «Повторить»'s alike).
pub async fn next_attempt(tx: &mut Tx, job_id: i64) -> Result<i32> {
    Ok(sqlx::query_scalar!(
        r#"SELECT coalesce(max(attempt), 0) + 1 AS "n!" FROM webhook_deliveries WHERE job_id = $1"#,
        job_id
    )
    .fetch_one(&mut **tx)
    .await?)
}

fn switched_off() -> Error {
    Error::Conflict("Адрес выключен: включите его, чтобы отправлять события".into())
}

/// A letter to the company's active admins that an endpoint was switched off (when the platform
/// has SMTP; the Settings page shows it either way). A letter that cannot go is logged.
pub async fn tell_admins(mailer: Option<&Mailer>, tx: &mut Tx, url: &str, reason: &str) {
    let Some(mailer) = mailer else { return };
    let admins = sqlx::query_scalar!(
        "SELECT email FROM users WHERE role = 'admin' AND is_active ORDER BY id"
    )
    .fetch_all(&mut **tx)
    .await;
    let admins = match admins {
        Ok(admins) => admins,
        Err(e) => {
            tracing::warn!(error = %e, "webhook: the admins' addresses could not be read");
            return;
        }
    };
    let text = format!(
        "Вебхук на адрес {url} выключен: {reason}.\n\nСобытия на него больше не отправляются. \
         Проверьте приёмник и включите адрес снова в Настройках → Вебхуки."
    );
    for admin in admins {
        let letter = Letter {
            to: &admin,
            from_name: "Auto-Concierge",
            reply_to: None,
            subject: "Вебхук выключен: адрес не принимает события",
            text: &text,
        };
        if let Err(e) = mailer.send(&letter).await {
            tracing::warn!(error = %e, "webhook: an admin could not be told by e-mail");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_stripes_scheme() {
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn retries_grow_to_two_hours() {
        assert_eq!(retry_delay(1), Duration::from_secs(30));
        assert_eq!(retry_delay(2), Duration::from_secs(60));
        assert_eq!(retry_delay(30), Duration::from_secs(7200));
    }
}
