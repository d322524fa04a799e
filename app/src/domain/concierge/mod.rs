//! The concierge: what a customer's message means for the shop — the intent, the likely causes
//! and the matching services of the company's catalogue with prices.
//!
//! One entry point for every channel (REST, bot, CLI evaluation): [`Concierge::analyze`]. An LLM
//! answers when one is configured; when it is not, fails, times out or answers something that
//! does not validate, the built-in Russian rules ([`rules`]) answer instead, so the concierge
//! always works. The answer says which engine produced it.

pub mod company_ai;
pub mod declined;
pub mod llm;
pub mod rules;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    config::AiConfig,
    db::{Db, TenantId, Tx},
    Config, Error, Result,
};
use rules::{CatalogueEntry, RulesEngine};

/// Longest customer message analysed; longer ones are refused rather than cut, so that nothing
/// the customer wrote is silently ignored.
pub const MAX_TEXT_CHARS: usize = 4000;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConciergeAnswer {
    /// `booking` | `reschedule` | `cancel` | `visit_status` («когда будет готова?») | `price` |
    /// `consultation` | `other`. The last three come with causes and services; moving,
    /// cancelling and a visit's status are about the customer's own visits and come without.
    pub intent: String,
    /// Likely causes, most confident first (empty when no symptom is described).
    pub diagnoses: Vec<Diagnosis>,
    /// Services of this company's catalogue, best first.
    pub services: Vec<SuggestedService>,
    /// `llm`, `rules`, or `llm+rules`: the LLM answered and the rules completed what it left out
    /// (no cause, no service, or services the company does not have).
    pub engine: String,
    /// Time spent on the answer (catalogue lookup excluded), for triage of slow providers.
    pub latency_ms: u64,
    /// Why the rules answered although an LLM is configured: `timeout`, `invalid` (an error
    /// or an answer that did not validate) or `quota` (the company used its LLM answers of the
    /// day). Absent when the LLM answered or none is configured. Stored with each bot message, so the AI fallback rate can be counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// With `llm+rules`: what each engine said, kept with the stored analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Sources>,
    /// Jobs the message asks for that the company does not take (its list in Settings): the
    /// customer is told so, and the causes and services are about the rest of the message only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<String>,
}

impl ConciergeAnswer {
    /// The likely causes in one line («Стойка стабилизатора; Шаровая опора»): what a visit
    /// booked from this answer keeps as its AI summary.
    pub fn summary(&self) -> String {
        self.diagnoses
            .iter()
            .map(|d| d.title.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What each engine said about a message, when the answer combines them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sources {
    pub llm: EngineSaid,
    pub rules: EngineSaid,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EngineSaid {
    /// The causes' titles.
    pub diagnoses: Vec<String>,
    /// Services of the company's catalogue.
    pub service_ids: Vec<i64>,
    /// Service ids it named that the company does not have (the LLM only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_service_ids: Vec<i64>,
}

impl EngineSaid {
    fn of(answer: &ConciergeAnswer, unknown_service_ids: Vec<i64>) -> Self {
        EngineSaid {
            diagnoses: answer.diagnoses.iter().map(|d| d.title.clone()).collect(),
            service_ids: answer.services.iter().map(|s| s.id).collect(),
            unknown_service_ids,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Diagnosis {
    pub title: String,
    /// `0..=1`.
    pub confidence: f32,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SuggestedService {
    pub id: i64,
    pub name: String,
    pub category: String,
    #[schema(value_type = f64)]
    pub price: Decimal,
    pub duration_minutes: i32,
    /// `0..=1`.
    pub score: f32,
}

/// One active service as the concierge sees it.
#[derive(Clone, Debug, Deserialize)]
pub struct CatalogueService {
    pub id: i64,
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: String,
    pub price: Decimal,
    pub duration_minutes: i32,
}

/// A company's active services with the rules engine built over them (built once, reused for
/// every message until the catalogue changes).
pub struct Catalogue {
    services: Vec<CatalogueService>,
    by_id: HashMap<i64, usize>,
    engine: RulesEngine,
}

impl Catalogue {
    pub fn new(services: Vec<CatalogueService>) -> Self {
        let engine = RulesEngine::new(
            services
                .iter()
                .map(|s| CatalogueEntry {
                    id: s.id,
                    name: s.name.clone(),
                    category: s.category.clone(),
                    description: s.description.clone(),
                    keywords: s.keywords.clone(),
                })
                .collect(),
        );
        let by_id = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        Catalogue {
            services,
            by_id,
            engine,
        }
    }

    /// The demo catalogue (`app/data/catalogue.json`) with ids = 1-based positions, as the
    /// labelled evaluation sets number it; needs no database.
    pub fn demo() -> Result<Self> {
        #[derive(Deserialize)]
        struct File {
            services: Vec<Item>,
        }
        #[derive(Deserialize)]
        struct Item {
            name: String,
            category: String,
            #[serde(default)]
            description: String,
            #[serde(default)]
            keywords: String,
            price: Decimal,
            duration_minutes: i32,
        }
        let file: File = serde_json::from_str(super::demo::CATALOGUE_JSON)
            .map_err(|e| Error::Internal(format!("demo catalogue: {e}")))?;
        Ok(Catalogue::new(
            file.services
                .into_iter()
                .zip(1..)
                .map(|(s, id)| CatalogueService {
                    id,
                    name: s.name,
                    category: s.category,
                    description: s.description,
                    keywords: s.keywords,
                    price: s.price,
                    duration_minutes: s.duration_minutes,
                })
                .collect(),
        ))
    }

    pub fn services(&self) -> &[CatalogueService] {
        &self.services
    }

    pub fn get(&self, id: i64) -> Option<&CatalogueService> {
        self.by_id.get(&id).map(|&i| &self.services[i])
    }

    fn suggestion(&self, id: i64, score: f32) -> Option<SuggestedService> {
        self.get(id).map(|s| SuggestedService {
            id: s.id,
            name: s.name.clone(),
            category: s.category.clone(),
            price: s.price,
            duration_minutes: s.duration_minutes,
            score: round2(score),
        })
    }
}

/// Cheap to read on every request, and changes whenever the catalogue does: an insert or delete
/// changes the count, and every write leaves a row version with a new `xmin` (the writing
/// transaction). `updated_at` alone is not enough: it is the writer's transaction *start*, so an
/// edit committed late can carry a time older than the newest one already seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint {
    count: i64,
    last_update: Option<DateTime<Utc>>,
    versions: Option<Decimal>,
}

pub struct Concierge {
    /// The server's own model (`AI_PROVIDER`…): for companies that chose nothing else.
    llm: Option<Arc<llm::Llm>>,
    catalogues: Mutex<HashMap<TenantId, (Fingerprint, Arc<Catalogue>)>>,
    /// LLM answers a company may use a day of the server's model; 0: no limit.
    daily_llm_calls: u32,
    /// Set by [`Concierge::for_companies`]: each company's own choice of engine is honoured.
    config: Option<Config>,
    /// Each company's engine, built from its stored choice; rebuilt when the choice changes or
    /// the entry is older than [`ENGINE_TTL`] (so a model's address is resolved and checked
    /// again).
    engines: Mutex<HashMap<TenantId, CachedEngine>>,
}

struct CachedEngine {
    stored: company_ai::Stored,
    built: Instant,
    engine: Arc<company_ai::Engine>,
}

/// How long a company's model client is reused before its address is resolved again; a model
/// that could not be used is retried sooner.
const ENGINE_TTL: Duration = Duration::from_secs(600);
const BROKEN_ENGINE_TTL: Duration = Duration::from_secs(60);

/// Who answers one message: a model (and whose), or the rules, or the rules because the
/// company's model cannot be used.
enum Answerer {
    Model(Arc<llm::Llm>),
    Company(Arc<company_ai::Engine>),
    Rules,
}

impl Concierge {
    /// `ai: None`: the rules alone. Fails only on a configuration that cannot work (an
    /// unreadable CA bundle), so that it is noticed at start rather than on every message.
    pub fn new(ai: Option<&AiConfig>) -> Result<Self> {
        Ok(Concierge {
            llm: ai.map(llm::Llm::new).transpose()?.map(Arc::new),
            catalogues: Mutex::new(HashMap::new()),
            daily_llm_calls: 0,
            config: None,
            engines: Mutex::new(HashMap::new()),
        })
    }

    /// At most `calls` LLM answers a day per company (0: no limit); past them the rules answer.
    pub fn with_daily_llm_calls(mut self, calls: u32) -> Self {
        self.daily_llm_calls = calls;
        self
    }

    /// Honours each company's own choice of engine (Settings → «ИИ-консьерж»); `config`
    /// decrypts their keys and says whether their models may be inside the network.
    pub fn for_companies(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Counts one LLM answer of the company today; whether it is within the daily quota.
    async fn within_quota(&self, tx: &mut Tx) -> Result<bool> {
        if self.daily_llm_calls == 0 {
            return Ok(true);
        }
        let used = sqlx::query_scalar!(
            "INSERT INTO ai_usage AS u (tenant_id, day, llm_calls)
             VALUES (app_current_tenant(), current_date, 1)
             ON CONFLICT (tenant_id, day) DO UPDATE SET llm_calls = u.llm_calls + 1
             RETURNING llm_calls"
        )
        .fetch_one(&mut **tx)
        .await?;
        Ok(i64::from(used) <= i64::from(self.daily_llm_calls))
    }

    /// The company's active services, from the cache while its fingerprint is unchanged.
    pub async fn catalogue(&self, tx: &mut Tx, tenant: TenantId) -> Result<Arc<Catalogue>> {
        let fingerprint = sqlx::query_as!(
            Fingerprint,
            r#"SELECT count(*) AS "count!", max(updated_at) AS last_update,
                      sum(xmin::text::bigint) AS versions
               FROM services"#
        )
        .fetch_one(&mut **tx)
        .await?;
        if let Some((cached, catalogue)) = self.cache().get(&tenant) {
            if *cached == fingerprint {
                return Ok(catalogue.clone());
            }
        }
        let services = sqlx::query_as!(
            CatalogueService,
            "SELECT id, name, category, description, keywords, price, duration_minutes
             FROM services WHERE is_active ORDER BY id"
        )
        .fetch_all(&mut **tx)
        .await?;
        let catalogue = Arc::new(Catalogue::new(services));
        self.cache()
            .insert(tenant, (fingerprint, catalogue.clone()));
        Ok(catalogue)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, (Fingerprint, Arc<Catalogue>)>> {
        // A panic while holding the lock cannot leave the map half-updated (single inserts), so
        // a poisoned lock is still usable.
        self.catalogues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Analyses a message against a company's catalogue, with the company's engine. The
    /// catalogue and the company's settings are read in their own short transaction, so no
    /// database connection is held while a model thinks.
    pub async fn analyze_for_tenant(
        &self,
        db: &Db,
        tenant: TenantId,
        text: &str,
    ) -> Result<ConciergeAnswer> {
        check_text(text)?;
        let started = Instant::now();
        let mut tx = db.tenant_tx(tenant).await?;
        let catalogue = self.catalogue(&mut tx, tenant).await?;
        let settings = company_settings(&mut tx).await?;
        let (declined, rest) = declined::find(text, &settings.declined_jobs);
        if !declined.is_empty() && rest.trim().is_empty() {
            // Only a job the shop does not take: no cause, no service; the intent is the rules'.
            tx.commit().await?;
            let mut answer = rules_answer(&catalogue, text, started, None);
            answer.diagnoses.clear();
            answer.services.clear();
            answer.declined = declined;
            return Ok(answer);
        }
        let text = if declined.is_empty() {
            text
        } else {
            rest.as_str()
        };
        let answerer = self.answerer(tenant, &settings.engine).await;
        // The daily quota guards the server's model only: a company's own is its own affair.
        let within_quota =
            !matches!(answerer, Answerer::Model(_)) || self.within_quota(&mut tx).await?;
        tx.commit().await?;
        let mut answer = if within_quota {
            self.answer(&answerer, &catalogue, text).await?.0
        } else {
            tracing::info!(
                tenant = tenant.0,
                "daily LLM quota used up: the rules answer"
            );
            rules_answer(&catalogue, text, started, Some("quota"))
        };
        answer.declined = declined;
        Ok(answer)
    }

    /// Runs the company's engine on `text` for the settings page's check: the answer, and why
    /// the company's (or the server's) model did not answer when the rules did. No quota is
    /// counted and the declined jobs are not applied: it checks the engine only.
    pub async fn check_for_tenant(
        &self,
        db: &Db,
        tenant: TenantId,
        text: &str,
    ) -> Result<(ConciergeAnswer, Option<String>)> {
        check_text(text)?;
        let mut tx = db.tenant_tx(tenant).await?;
        let catalogue = self.catalogue(&mut tx, tenant).await?;
        let settings = company_settings(&mut tx).await?;
        tx.commit().await?;
        let answerer = self.answerer(tenant, &settings.engine).await;
        self.answer(&answerer, &catalogue, text).await
    }

    /// The LLM's answer when it gives a valid one in time, otherwise the rules' answer.
    pub async fn analyze(&self, catalogue: &Catalogue, text: &str) -> Result<ConciergeAnswer> {
        Ok(self.analyze_explained(catalogue, text).await?.0)
    }

    /// [`Concierge::analyze`] with the server's model, also saying why its answer was not used
    /// when the rules answered in its place. The reason never contains a key or a URL.
    pub async fn analyze_explained(
        &self,
        catalogue: &Catalogue,
        text: &str,
    ) -> Result<(ConciergeAnswer, Option<String>)> {
        let answerer = match &self.llm {
            Some(llm) => Answerer::Model(llm.clone()),
            None => Answerer::Rules,
        };
        self.answer(&answerer, catalogue, text).await
    }

    /// Who answers the company's messages now: its stored choice (`stored`, the raw
    /// `ai_settings.llm`), built once and reused (see [`ENGINE_TTL`]).
    async fn answerer(&self, tenant: TenantId, raw: &Option<serde_json::Value>) -> Answerer {
        let platform = || match &self.llm {
            Some(llm) => Answerer::Model(llm.clone()),
            None => Answerer::Rules,
        };
        let Some(config) = &self.config else {
            return platform();
        };
        let stored = company_ai::Stored::parse(raw.as_ref());
        let Some(provider) = stored.provider() else {
            return if stored.engine == company_ai::RULES {
                Answerer::Rules
            } else {
                platform()
            };
        };
        let cached = self.engines().get(&tenant).and_then(|c| {
            let ttl = match *c.engine {
                company_ai::Engine::Broken(_) => BROKEN_ENGINE_TTL,
                company_ai::Engine::Own(_) => ENGINE_TTL,
            };
            (c.stored == stored && c.built.elapsed() < ttl).then(|| c.engine.clone())
        });
        let engine = match cached {
            Some(engine) => engine,
            None => {
                let engine = Arc::new(company_ai::build(config, &stored, provider).await);
                self.engines().insert(
                    tenant,
                    CachedEngine {
                        stored,
                        built: Instant::now(),
                        engine: engine.clone(),
                    },
                );
                engine
            }
        };
        Answerer::Company(engine)
    }

    fn engines(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, CachedEngine>> {
        // Single inserts and reads: a poisoned lock leaves nothing half-done.
        self.engines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The answer of `answerer`'s model when it gives a valid one in time, otherwise the rules'
    /// answer and why.
    async fn answer(
        &self,
        answerer: &Answerer,
        catalogue: &Catalogue,
        text: &str,
    ) -> Result<(ConciergeAnswer, Option<String>)> {
        check_text(text)?;
        let started = Instant::now();
        // Why the LLM's answer was not used: a code stored with each bot message (for the AI
        // fallback rate) and a readable reason for the settings page's check.
        let mut fallback: Option<(&str, String)> = None;
        let llm = match answerer {
            Answerer::Model(llm) => Some(&**llm),
            Answerer::Company(engine) => match &**engine {
                company_ai::Engine::Own(llm) => Some(&**llm),
                company_ai::Engine::Broken(reason) => {
                    fallback = Some(("invalid", reason.clone()));
                    None
                }
            },
            Answerer::Rules => None,
        };
        if let Some(llm) = llm {
            match tokio::time::timeout(llm.timeout(), llm.analyze(catalogue, text)).await {
                Ok(Ok(reply)) => {
                    let unknown = reply.unknown_services;
                    let answer = ConciergeAnswer {
                        intent: reply.intent.to_string(),
                        diagnoses: reply.diagnoses,
                        services: reply
                            .services
                            .into_iter()
                            .filter_map(|(id, score)| catalogue.suggestion(id, score))
                            .collect(),
                        engine: "llm".into(),
                        latency_ms: 0,
                        fallback: None,
                        sources: None,
                        declined: Vec::new(),
                    };
                    let mut answer = complete_from_rules(answer, unknown, catalogue, text);
                    answer.latency_ms = elapsed_ms(started);
                    return Ok((answer, None));
                }
                Ok(Err(e)) => {
                    let reason = match e {
                        llm::LlmError::Http(e) => format!("request failed: {}", e.without_url()),
                        other => other.to_string(),
                    };
                    tracing::warn!(%reason, "LLM answer unusable: the rules answer instead");
                    fallback = Some(("invalid", reason));
                }
                Err(_) => {
                    tracing::warn!(
                        timeout_s = llm.timeout().as_secs(),
                        "LLM timed out: the rules answer instead"
                    );
                    fallback = Some((
                        "timeout",
                        format!("no answer within {} s", llm.timeout().as_secs()),
                    ));
                }
            }
        }
        let answer = rules_answer(
            catalogue,
            text,
            started,
            fallback.as_ref().map(|(code, _)| *code),
        );
        Ok((answer, fallback.map(|(_, reason)| reason)))
    }
}

/// The LLM's answer completed by the rules where it left something out: no cause, no service,
/// or services the company does not have. What the rules add comes after what the LLM said; the
/// answer is then `llm+rules` and keeps what each engine said. An answer with nothing missing,
/// or one the rules cannot add to, stays the LLM's.
fn complete_from_rules(
    llm: ConciergeAnswer,
    unknown_services: Vec<i64>,
    catalogue: &Catalogue,
    text: &str,
) -> ConciergeAnswer {
    let lacks_causes = llm.diagnoses.is_empty();
    let lacks_services = llm.services.is_empty() || !unknown_services.is_empty();
    if !lacks_causes && !lacks_services {
        return llm;
    }
    let rules = rules_answer(catalogue, text, Instant::now(), None);
    let mut answer = llm.clone();
    if lacks_causes {
        answer.diagnoses = rules.diagnoses.clone();
    }
    if lacks_services {
        let extra: Vec<SuggestedService> = rules
            .services
            .iter()
            .filter(|s| !answer.services.iter().any(|known| known.id == s.id))
            .cloned()
            .collect();
        answer.services.extend(extra);
        answer.services.truncate(llm::MAX_SERVICES);
    }
    let added = answer.diagnoses.len() != llm.diagnoses.len()
        || answer.services.len() != llm.services.len();
    if !added {
        return llm;
    }
    answer.engine = "llm+rules".into();
    answer.sources = Some(Sources {
        llm: EngineSaid::of(&llm, unknown_services),
        rules: EngineSaid::of(&rules, Vec::new()),
    });
    answer
}

/// The built-in rules' answer; `fallback` says why the LLM did not answer, when one is configured.
fn rules_answer(
    catalogue: &Catalogue,
    text: &str,
    started: Instant,
    fallback: Option<&str>,
) -> ConciergeAnswer {
    let analysis = catalogue.engine.analyze(text);
    ConciergeAnswer {
        intent: analysis.intent.as_str().into(),
        diagnoses: analysis
            .diagnoses
            .into_iter()
            .map(|d| Diagnosis {
                title: d.title,
                confidence: round2(d.confidence),
            })
            .collect(),
        services: analysis
            .services
            .iter()
            .filter_map(|m| catalogue.suggestion(m.id, m.score))
            .collect(),
        engine: "rules".into(),
        latency_ms: elapsed_ms(started),
        fallback: fallback.map(str::to_string),
        sources: None,
        declined: Vec::new(),
    }
}

/// What a company set for its concierge: the jobs it does not take and its engine.
struct CompanySettings {
    declined_jobs: Vec<String>,
    /// `ai_settings.llm` as stored (see [`company_ai::Stored`]).
    engine: Option<serde_json::Value>,
}

async fn company_settings(tx: &mut Tx) -> Result<CompanySettings> {
    let row = sqlx::query!(
        r#"SELECT coalesce(ai_settings -> 'declined_jobs', '[]') AS "jobs!",
                  ai_settings -> 'llm' AS engine
           FROM tenants"#
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(row) => CompanySettings {
            declined_jobs: serde_json::from_value(row.jobs).unwrap_or_default(),
            engine: row.engine,
        },
        None => CompanySettings {
            declined_jobs: Vec::new(),
            engine: None,
        },
    })
}

/// The jobs the company does not take (`tenants.ai_settings.declined_jobs`).
pub async fn declined_jobs(tx: &mut Tx) -> Result<Vec<String>> {
    Ok(company_settings(tx).await?.declined_jobs)
}

fn check_text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::validation("Напишите текст обращения"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::validation(format!(
            "Текст обращения: не больше {MAX_TEXT_CHARS} символов"
        )));
    }
    Ok(())
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Two decimals are all a person reads; the rest is noise in the JSON.
fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rules_answer_with_catalogue_details() {
        let catalogue = Catalogue::demo().unwrap();
        let concierge = Concierge::new(None).unwrap();
        let answer = concierge
            .analyze(
                &catalogue,
                "Стучит спереди справа на кочках, можно завтра подъехать?",
            )
            .await
            .unwrap();
        assert_eq!(answer.engine, "rules");
        assert_eq!(answer.intent, "booking");
        assert!(!answer.diagnoses.is_empty());
        let first = &answer.services[0];
        assert_eq!(first.category, "suspension");
        let listed = catalogue.get(first.id).unwrap();
        assert_eq!((&first.name, first.price), (&listed.name, listed.price));
        assert!((0.0..=1.0).contains(&first.score));
    }

    #[tokio::test]
    async fn empty_and_overlong_messages_are_refused() {
        let catalogue = Catalogue::demo().unwrap();
        let concierge = Concierge::new(None).unwrap();
        for text in ["", "  \n ", &"а".repeat(MAX_TEXT_CHARS + 1)] {
            assert!(matches!(
                concierge.analyze(&catalogue, text).await,
                Err(Error::Validation(_))
            ));
        }
        let longest = "стук ".repeat(MAX_TEXT_CHARS / 5);
        assert!(concierge.analyze(&catalogue, &longest).await.is_ok());
    }
}
