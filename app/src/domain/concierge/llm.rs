//! The LLM engine: an OpenAI-compatible `/chat/completions` client, with GigaChat's OAuth when
//! that is the provider. Its answer is trusted only after validation against the catalogue;
//! every failure is an [`LlmError`] that the caller turns into a fallback to the rules.

use std::{
    fmt::Write as _,
    net::SocketAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::Deserialize;
use serde_json::json;

use super::{Catalogue, Diagnosis};
use crate::domain::{
    config::{AiConfig, AiProvider, GigaChatAuth, Secret},
    Error,
};

const MAX_DIAGNOSES: usize = 3;
pub(super) const MAX_SERVICES: usize = 5;
/// GigaChat tokens live 30 minutes: refresh a minute early so that none expires mid-request.
const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// One retry: enough for a dropped connection or a busy provider, and the overall timeout
/// bounds it anyway.
const ATTEMPTS: u32 = 2;
const RETRY_PAUSE: Duration = Duration::from_millis(200);
const CHAT: &str = "chat/completions";

/// Why the LLM's answer was not used. Shown in the log; never contains a key.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{endpoint} answered HTTP {status}")]
    Status { endpoint: &'static str, status: u16 },
    #[error("invalid answer: {0}")]
    Invalid(String),
}

/// A validated answer: known intent, confidences in `0..=1`, services of the catalogue; the ids
/// it named that the catalogue does not have are set aside (the rules then complete it).
pub struct LlmReply {
    pub intent: &'static str,
    pub diagnoses: Vec<Diagnosis>,
    pub services: Vec<(i64, f32)>,
    pub unknown_services: Vec<i64>,
}

pub struct Llm {
    http: reqwest::Client,
    chat_url: String,
    api_key: Option<Secret>,
    model: String,
    provider: AiProvider,
    timeout: Duration,
    gigachat: Option<GigaChat>,
}

struct GigaChat {
    auth: GigaChatAuth,
    /// Held while a token is fetched, so that concurrent requests wait for that one fetch
    /// instead of each starting their own.
    token: tokio::sync::Mutex<Option<AccessToken>>,
}

struct AccessToken {
    value: Secret,
    refresh_at: SystemTime,
}

impl Llm {
    pub fn new(config: &AiConfig) -> Result<Self, Error> {
        Self::pinned(config, &[])
    }

    /// A client whose hosts connect only to the addresses given (checked outside the network,
    /// see [`crate::domain::outbound`]), with no proxy and no redirects, which would lead past
    /// them: for a company's own model. No pins: an ordinary client (the operator's model).
    pub fn pinned(config: &AiConfig, pins: &[(String, SocketAddr)]) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder().connect_timeout(config.timeout);
        if !pins.is_empty() {
            builder = builder
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none());
            for (host, address) in pins {
                builder = builder.resolve(host, *address);
            }
        }
        if let Some(path) = config.gigachat.as_ref().and_then(|g| g.ca_bundle.as_ref()) {
            let pem = std::fs::read(path).map_err(|e| {
                Error::Internal(format!("GIGACHAT_CA_BUNDLE {}: {e}", path.display()))
            })?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::Internal(format!("GIGACHAT_CA_BUNDLE {}: {e}", path.display()))
            })? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client for the LLM: {e}")))?;
        Ok(Llm {
            http,
            chat_url: format!("{}/chat/completions", config.base_url),
            api_key: config.api_key.clone(),
            model: config.model.clone(),
            provider: config.provider,
            timeout: config.timeout,
            gigachat: config.gigachat.clone().map(|auth| GigaChat {
                auth,
                token: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// The budget of one whole answer, token fetch included.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks the model; a transient failure (network, 429, 5xx, an expired GigaChat token) is
    /// retried once, within the caller's overall timeout.
    pub async fn analyze(&self, catalogue: &Catalogue, text: &str) -> Result<LlmReply, LlmError> {
        let mut body = json!({
            "model": self.model,
            "temperature": 0,
            "messages": [
                { "role": "system", "content": system_prompt(catalogue) },
                { "role": "user", "content": text },
            ],
        });
        // GigaChat documents no `response_format`; there the prompt alone asks for JSON.
        if self.provider == AiProvider::OpenAi {
            body["response_format"] = json!({ "type": "json_object" });
        }
        let mut attempt = 1;
        loop {
            match self.complete(&body).await {
                Err(e) if attempt < ATTEMPTS && self.is_transient(&e) => {
                    tracing::info!(reason = %e, "LLM request failed, retrying once");
                    if let (Some(gigachat), LlmError::Status { status: 401, .. }) =
                        (&self.gigachat, &e)
                    {
                        gigachat.forget_token().await;
                    }
                    tokio::time::sleep(RETRY_PAUSE).await;
                    attempt += 1;
                }
                result => return validate(&result?, catalogue),
            }
        }
    }

    fn is_transient(&self, error: &LlmError) -> bool {
        match error {
            LlmError::Http(e) => e.is_connect() || e.is_timeout() || e.is_request(),
            LlmError::Status { endpoint, status } => {
                *status == 429
                    || (500..=599).contains(status)
                    // GigaChat revokes tokens early sometimes: fetch a new one and try again.
                    || (*status == 401 && *endpoint == CHAT && self.gigachat.is_some())
            }
            LlmError::Invalid(_) => false,
        }
    }

    /// One chat request; returns the model's message text.
    async fn complete(&self, body: &serde_json::Value) -> Result<String, LlmError> {
        let mut request = self.http.post(&self.chat_url).json(body);
        let bearer = match &self.gigachat {
            Some(gigachat) => Some(gigachat.token(&self.http).await?),
            None => self.api_key.clone(),
        };
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer.expose());
        }
        let response = request.send().await?;
        if !response.status().is_success() {
            return Err(LlmError::Status {
                endpoint: CHAT,
                status: response.status().as_u16(),
            });
        }
        #[derive(Deserialize)]
        struct Completion {
            choices: Vec<Choice>,
        }
        #[derive(Deserialize)]
        struct Choice {
            message: Message,
        }
        #[derive(Deserialize)]
        struct Message {
            content: String,
        }
        let completion: Completion = response.json().await?;
        Ok(completion
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| LlmError::Invalid("no choices".into()))?
            .message
            .content)
    }
}

impl GigaChat {
    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// The cached token, or a new one when it is due for refresh.
    async fn token(&self, http: &reqwest::Client) -> Result<Secret, LlmError> {
        let mut slot = self.token.lock().await;
        if let Some(token) = slot.as_ref() {
            if SystemTime::now() < token.refresh_at {
                return Ok(token.value.clone());
            }
        }
        let response = http
            .post(&self.auth.auth_url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Basic {}", self.auth.credentials.expose()),
            )
            .header("RqUID", uuid::Uuid::new_v4().to_string())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[("scope", self.auth.scope.as_str())])
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(LlmError::Status {
                endpoint: "GigaChat OAuth",
                status: response.status().as_u16(),
            });
        }
        #[derive(Deserialize)]
        struct Issued {
            access_token: String,
            /// Milliseconds since the epoch.
            expires_at: u64,
        }
        let issued: Issued = response.json().await?;
        let expires_at = UNIX_EPOCH + Duration::from_millis(issued.expires_at);
        let lifetime = expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        // A minute early, or halfway for a short-lived token, so it is still reused meanwhile.
        let refresh_at = expires_at - TOKEN_REFRESH_MARGIN.min(lifetime / 2);
        let value = Secret::new(issued.access_token);
        *slot = Some(AccessToken {
            value: value.clone(),
            refresh_at,
        });
        Ok(value)
    }
}

fn system_prompt(catalogue: &Catalogue) -> String {
    let mut prompt = String::from(
        "Ты — консьерж автосервиса. По сообщению клиента определи его намерение, вероятные \
         причины неисправности и подходящие услуги из каталога ниже.\n\
         Ответь только JSON-объектом без пояснений:\n\
         {\"intent\": \"booking\" | \"reschedule\" | \"cancel\" | \"visit_status\" | \"price\" | \"consultation\" | \"other\", \
         \"diagnoses\": [{\"title\": \"причина по-русски\", \"confidence\": число от 0 до 1}], \
         \"services\": [{\"id\": id услуги из каталога, \"score\": число от 0 до 1}]}\n\
         booking — хочет приехать, записаться; reschedule — перенести свой визит; \
         cancel — отменить визит; visit_status — спрашивает, готова ли его машина; \
         price — спрашивает, сколько стоит работа; \
         consultation — спрашивает о неисправности или сроках; \
         other — всё остальное (часы работы, адрес, оплата, благодарность, спам).\n\
         Не больше 3 причин и 5 услуг, лучшие первыми; только id из каталога.\n\
         Каталог (id: название — категория):\n",
    );
    for s in catalogue.services() {
        let _ = writeln!(prompt, "{}: {} — {}", s.id, s.name, s.category);
    }
    prompt
}

/// Parses and checks the model's JSON. Anything out of contract (not this JSON, an unknown
/// intent, a confidence or score outside `0..=1`, a blank cause) makes the whole answer invalid.
/// A service id the company does not have is set aside instead: small models and GigaChat name
/// services of other catalogues, and the rest of their answer may still be right.
fn validate(content: &str, catalogue: &Catalogue) -> Result<LlmReply, LlmError> {
    #[derive(Deserialize)]
    struct Reply {
        intent: String,
        #[serde(default)]
        diagnoses: Vec<ReplyDiagnosis>,
        #[serde(default)]
        services: Vec<ReplyService>,
    }
    #[derive(Deserialize)]
    struct ReplyDiagnosis {
        title: String,
        confidence: f32,
    }
    #[derive(Deserialize)]
    struct ReplyService {
        id: i64,
        score: f32,
    }
    // Some models wrap JSON in a Markdown code fence despite being asked not to.
    let json = content
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```");
    let reply: Reply = serde_json::from_str(json)
        .map_err(|e| LlmError::Invalid(format!("not the JSON asked for: {e}")))?;
    let intent = match super::rules::Intent::parse(reply.intent.as_str()) {
        Some(intent) => intent.as_str(),
        None => {
            let other = reply.intent;
            return Err(LlmError::Invalid(format!("unknown intent {other:?}")));
        }
    };
    let in_unit = |x: f32| (0.0..=1.0).contains(&x);
    let mut diagnoses = Vec::new();
    for d in reply.diagnoses.into_iter().take(MAX_DIAGNOSES) {
        if d.title.trim().is_empty() || !in_unit(d.confidence) {
            return Err(LlmError::Invalid(format!(
                "diagnosis {:?} with confidence {}",
                d.title, d.confidence
            )));
        }
        diagnoses.push(Diagnosis {
            title: d.title.trim().to_string(),
            confidence: d.confidence,
        });
    }
    let mut services: Vec<(i64, f32)> = Vec::new();
    let mut unknown_services = Vec::new();
    for s in reply.services {
        if catalogue.get(s.id).is_none() {
            unknown_services.push(s.id);
            continue;
        }
        if !in_unit(s.score) {
            return Err(LlmError::Invalid(format!("service score {}", s.score)));
        }
        if !services.iter().any(|&(id, _)| id == s.id) {
            services.push((s.id, s.score));
        }
    }
    services.truncate(MAX_SERVICES);
    Ok(LlmReply {
        intent,
        diagnoses,
        services,
        unknown_services,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_contract_answers_pass() {
        let catalogue = Catalogue::demo().unwrap();
        let ok = validate(
            "```json\n{\"intent\": \"booking\", \"diagnoses\": [{\"title\": \"Износ стоек\", \"confidence\": 0.7}], \
             \"services\": [{\"id\": 2, \"score\": 0.9}, {\"id\": 2, \"score\": 0.8}]}\n```",
            &catalogue,
        )
        .unwrap();
        assert_eq!(ok.intent, "booking");
        assert_eq!(ok.services, vec![(2, 0.9)]);
        assert_eq!(ok.diagnoses[0].title, "Износ стоек");
        assert!(ok.unknown_services.is_empty());

        // A service the company does not have is set aside, not believed and not fatal.
        let odd = validate(
            r#"{"intent": "other", "services": [{"id": 999, "score": 0.5}, {"id": 2, "score": 0.6}]}"#,
            &catalogue,
        )
        .unwrap();
        assert_eq!(odd.services, vec![(2, 0.6)]);
        assert_eq!(odd.unknown_services, vec![999]);

        for bad in [
            "не JSON",
            r#"{"intent": "buy"}"#,
            r#"{"intent": "other", "services": [{"id": 1, "score": 1.5}]}"#,
            r#"{"intent": "other", "diagnoses": [{"title": "x", "confidence": -0.1}]}"#,
            r#"{"intent": "other", "diagnoses": [{"title": " ", "confidence": 0.1}]}"#,
        ] {
            assert!(validate(bad, &catalogue).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_prompt_lists_the_catalogue() {
        let catalogue = Catalogue::demo().unwrap();
        let prompt = system_prompt(&catalogue);
        assert!(prompt.contains("1: Компьютерная диагностика — diagnostics"));
        assert_eq!(
            prompt
                .lines()
                .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
                .count(),
            catalogue.services().len()
        );
    }
}
