//! A company's own choice of engine for its concierge: the server's setting (the default), the
//! built-in rules only, an OpenAI-compatible API or GigaChat. Kept in `tenants.ai_settings.llm`
//! with the key Fernet-encrypted like bot tokens; admins change it in Settings and over the API,
//! and the key is never returned. Each company's model gets its own client (and GigaChat
//! token), so one company's bad key or slow model never touches another's answers.

use std::{net::SocketAddr, time::Duration};

use serde::{Deserialize, Serialize};

use super::llm::Llm;
use crate::domain::{
    config::{AiConfig, AiProvider, GigaChatAuth, Secret, GIGACHAT_AUTH_URL},
    crypto,
    db::{Db, TenantId, Tx},
    outbound, AppState, Config, Error, Result,
};
pub use crate::model::{AiCheck, CompanyAi, CompanyAiPatch};

pub const PLATFORM: &str = "platform";
pub const RULES: &str = "rules";
pub const OPENAI: &str = "openai";
pub const GIGACHAT: &str = "gigachat";
const DEFAULT_TIMEOUT_SECONDS: u32 = 15;
const MAX_TIMEOUT_SECONDS: u32 = 60;
const SCOPES: [&str; 3] = ["GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"];
const MAX_KEY_LEN: usize = 1000;
const MAX_MODEL_LEN: usize = 100;
pub use crate::model::AI_SAMPLE_MESSAGE as SAMPLE_MESSAGE;

/// `tenants.ai_settings.llm`: absent (or `platform`) means the server's setting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Stored {
    pub engine: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Fernet-encrypted with `ENCRYPTION_KEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
}

impl Stored {
    /// What `tenants.ai_settings -> 'llm'` holds; anything unreadable counts as the default.
    pub fn parse(raw: Option<&serde_json::Value>) -> Stored {
        raw.and_then(|v| serde_json::from_value::<Stored>(v.clone()).ok())
            .filter(|s| !s.engine.is_empty())
            .unwrap_or_else(|| Stored {
                engine: PLATFORM.into(),
                ..Stored::default()
            })
    }

    pub fn provider(&self) -> Option<AiProvider> {
        match self.engine.as_str() {
            OPENAI => Some(AiProvider::OpenAi),
            GIGACHAT => Some(AiProvider::GigaChat),
            _ => None,
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(u64::from(
            self.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS),
        ))
    }
}

/// The company's own model, as built from what it stored.
pub(super) enum Engine {
    Own(Box<Llm>),
    /// The model cannot be used (its address no longer resolves outside the network, its key
    /// cannot be decrypted): the rules answer, and the reason is shown in the check.
    Broken(String),
}

/// Builds the company's own model (`provider` is the stored engine's). In production (unless
/// the operator allowed internal addresses) the model's hosts are resolved now, checked to lie
/// outside the network, and the client connects to those addresses only.
pub(super) async fn build(config: &Config, stored: &Stored, provider: AiProvider) -> Engine {
    match own_llm(config, stored, provider).await {
        Ok(llm) => Engine::Own(Box::new(llm)),
        Err(e) => Engine::Broken(e.to_string()),
    }
}

async fn own_llm(config: &Config, stored: &Stored, provider: AiProvider) -> Result<Llm> {
    let key = stored
        .key
        .as_deref()
        .map(|k| crypto::decrypt(config, k))
        .transpose()
        .map_err(|_| {
            Error::validation(
                "ключ не расшифровывается (сменился ENCRYPTION_KEY): задайте его снова",
            )
        })?;
    let base_url = stored
        .base_url
        .clone()
        .unwrap_or_else(|| provider.default_base_url().into());
    let gigachat = match provider {
        AiProvider::OpenAi => None,
        AiProvider::GigaChat => Some(GigaChatAuth {
            auth_url: stored
                .auth_url
                .clone()
                .unwrap_or_else(|| GIGACHAT_AUTH_URL.into()),
            credentials: Secret::new(
                key.clone()
                    .ok_or_else(|| Error::validation("не задан ключ авторизации GigaChat"))?,
            ),
            scope: stored.scope.clone().unwrap_or_else(|| SCOPES[0].into()),
            // Sber's certificates need the national CA; the operator's bundle serves everyone.
            ca_bundle: config
                .ai
                .as_ref()
                .and_then(|ai| ai.gigachat.as_ref())
                .and_then(|g| g.ca_bundle.clone()),
        }),
    };
    let ai = AiConfig {
        provider,
        api_key: match provider {
            AiProvider::OpenAi => key.map(Secret::new),
            AiProvider::GigaChat => None,
        },
        model: stored
            .model
            .clone()
            .unwrap_or_else(|| provider.default_model().into()),
        timeout: stored.timeout(),
        base_url: base_url.trim_end_matches('/').to_string(),
        gigachat,
    };
    let mut pins: Vec<(String, SocketAddr)> = Vec::new();
    if outbound::guarded(config) {
        let urls = std::iter::once(ai.base_url.as_str())
            .chain(ai.gigachat.as_ref().map(|g| g.auth_url.as_str()));
        for url in urls {
            let parsed = reqwest::Url::parse(url)
                .map_err(|_| Error::validation(format!("адрес «{url}» не разбирается")))?;
            let address = outbound::reachable_address(&parsed).await?;
            pins.push((parsed.host_str().unwrap_or_default().to_string(), address));
        }
    }
    Llm::pinned(&ai, &pins)
}

/// The company's choice as its admins see it.
pub async fn get(tx: &mut Tx, config: &Config) -> Result<CompanyAi> {
    let raw = stored_raw(tx).await?;
    Ok(view(config, &Stored::parse(raw.as_ref())))
}

pub(super) async fn stored_raw(tx: &mut Tx) -> Result<Option<serde_json::Value>> {
    Ok(
        sqlx::query_scalar!("SELECT ai_settings -> 'llm' AS llm FROM tenants")
            .fetch_optional(&mut **tx)
            .await?
            .flatten(),
    )
}

fn view(config: &Config, stored: &Stored) -> CompanyAi {
    let provider = stored.provider();
    let gigachat = provider == Some(AiProvider::GigaChat);
    CompanyAi {
        engine: stored.engine.clone(),
        base_url: provider.map(|p| {
            stored
                .base_url
                .clone()
                .unwrap_or_else(|| p.default_base_url().into())
        }),
        model: provider.map(|p| {
            stored
                .model
                .clone()
                .unwrap_or_else(|| p.default_model().into())
        }),
        timeout_seconds: stored.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS),
        key_set: provider.is_some() && stored.key.is_some(),
        gigachat_scope: gigachat.then(|| stored.scope.clone().unwrap_or_else(|| SCOPES[0].into())),
        gigachat_auth_url: gigachat.then(|| {
            stored
                .auth_url
                .clone()
                .unwrap_or_else(|| GIGACHAT_AUTH_URL.into())
        }),
        platform: platform_description(config),
    }
}

/// What the server's own setting is, in Russian.
pub fn platform_description(config: &Config) -> String {
    match &config.ai {
        None => "встроенные правила".into(),
        Some(ai) => match ai.provider {
            AiProvider::OpenAi => format!("OpenAI-совместимый API, модель {}", ai.model),
            AiProvider::GigaChat => format!("GigaChat, модель {}", ai.model),
        },
    }
}

/// Checks and stores the company's choice. A key left out keeps the stored one while the engine
/// stays the same; GigaChat cannot do without one.
pub async fn change(
    db: &Db,
    config: &Config,
    tenant: TenantId,
    patch: CompanyAiPatch,
) -> Result<CompanyAi> {
    let engine = patch.engine.trim();
    let provider = match engine {
        PLATFORM | RULES => None,
        OPENAI => Some(AiProvider::OpenAi),
        GIGACHAT => Some(AiProvider::GigaChat),
        other => {
            return Err(Error::validation(format!(
                "Движок «{other}»: platform, rules, openai или gigachat"
            )))
        }
    };
    let timeout_seconds = match patch.timeout_seconds {
        None => None,
        Some(t) if (1..=MAX_TIMEOUT_SECONDS).contains(&t) => Some(t),
        Some(_) => {
            return Err(Error::validation(format!(
                "Время на ответ: от 1 до {MAX_TIMEOUT_SECONDS} секунд"
            )))
        }
    };
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let key = text(&patch.key);
    if let Some(key) = &key {
        if key.len() > MAX_KEY_LEN || key.chars().any(char::is_whitespace) {
            return Err(Error::validation(
                "Ключ: одна строка без пробелов, не длиннее 1000 символов",
            ));
        }
    }
    let mut tx = db.tenant_tx(tenant).await?;
    let current = Stored::parse(stored_raw(&mut tx).await?.as_ref());
    let stored = match provider {
        None => Stored {
            engine: engine.into(),
            ..Stored::default()
        },
        Some(provider) => {
            let base_url = match text(&patch.base_url) {
                Some(url) => Some(
                    outbound::checked_url(config, &url, "Адрес API", provider.default_base_url())
                        .await?
                        .trim_end_matches('/')
                        .to_string(),
                ),
                None => None,
            };
            let model = text(&patch.model);
            if model
                .as_ref()
                .is_some_and(|m| m.chars().count() > MAX_MODEL_LEN || m.contains(char::is_control))
            {
                return Err(Error::validation("Модель: не длиннее 100 символов"));
            }
            let key = match key {
                Some(key) => Some(crypto::encrypt(config, &key)?),
                None if current.engine == engine => current.key.clone(),
                None => None,
            };
            let (scope, auth_url) = if provider == AiProvider::GigaChat {
                if key.is_none() {
                    return Err(Error::validation(
                        "Укажите ключ авторизации GigaChat (Authorization key из личного кабинета)",
                    ));
                }
                let scope = text(&patch.gigachat_scope);
                if let Some(scope) = &scope {
                    if !SCOPES.contains(&scope.as_str()) {
                        return Err(Error::validation(format!(
                            "Scope GigaChat: {}",
                            SCOPES.join(", ")
                        )));
                    }
                }
                let auth_url = match text(&patch.gigachat_auth_url) {
                    Some(url) => Some(
                        outbound::checked_url(
                            config,
                            &url,
                            "Адрес авторизации GigaChat",
                            GIGACHAT_AUTH_URL,
                        )
                        .await?,
                    ),
                    None => None,
                };
                (scope, auth_url)
            } else {
                (None, None)
            };
            Stored {
                engine: engine.into(),
                base_url,
                model,
                key,
                scope,
                auth_url,
                timeout_seconds,
            }
        }
    };
    let value =
        serde_json::to_value(&stored).map_err(|e| Error::Internal(format!("AI settings: {e}")))?;
    sqlx::query!(
        "UPDATE tenants SET ai_settings = jsonb_set(ai_settings, '{llm}', $2), updated_at = now()
         WHERE id = $1",
        tenant.0,
        value
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(view(config, &stored))
}

/// Runs the company's engine on [`SAMPLE_MESSAGE`] against its catalogue, as the bot would.
pub async fn check(state: &AppState, tenant: TenantId) -> Result<AiCheck> {
    let (answer, llm_failure) = state
        .concierge
        .check_for_tenant(&state.db, tenant, SAMPLE_MESSAGE)
        .await?;
    Ok(AiCheck {
        message: SAMPLE_MESSAGE.into(),
        engine: answer.engine,
        latency_ms: answer.latency_ms,
        intent: answer.intent,
        diagnoses: answer.diagnoses.into_iter().map(|d| d.title).collect(),
        services: answer
            .services
            .into_iter()
            .take(3)
            .map(|s| s.name)
            .collect(),
        llm_failure,
    })
}
