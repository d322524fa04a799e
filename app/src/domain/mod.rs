//! Server-side domain: everything that touches the database, secrets or business rules.
//! Compiled only with the `ssr` feature, so none of it reaches the browser.

pub mod accounts;
pub mod auth;
pub mod booking;
pub mod chat;
pub mod clients;
pub mod closures;
pub mod company;
pub mod concierge;
pub mod config;
pub mod conversations;
pub mod crypto;
pub mod db;
pub mod deliveries;
pub mod demo;
pub mod error;
pub mod events;
pub mod hours;
pub mod inbox;
pub mod mail;
pub mod metrics;
pub mod outbound;
pub mod outbox;
pub mod passwords;
pub mod phone;
pub mod public;
pub mod ratelimit;
pub mod redis;
pub mod registration;
pub mod reports;
pub mod serde_util;
pub mod services;
pub mod shops;
pub mod sms;
pub mod telegram;
pub mod templates;
pub mod users;
pub mod webhooks;
pub mod work;

use std::sync::Arc;

pub use config::Config;
pub use db::Db;
pub use error::{Error, Result};

/// What every request handler and server function needs, provided as Leptos context and axum state.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub events: events::EventBus,
    /// Login attempts: 5 a minute per (client IP, username).
    pub login_limiter: Arc<ratelimit::RateLimiter>,
    /// Login attempts per client address, whatever the username.
    pub login_address_limiter: Arc<ratelimit::RateLimiter>,
    /// Self-service registrations: 5 an hour per client IP.
    pub registration_limiter: Arc<ratelimit::RateLimiter>,
    /// Registration letters per e-mail address (`registration::LETTERS_PER_ADDRESS_PER_HOUR`).
    pub registration_letter_limiter: Arc<ratelimit::RateLimiter>,
    /// Bookings and the concierge's answers on the companies' public pages.
    pub public_limits: Arc<public::Limits>,
    /// The platform's SMTP server; `None` when `SMTP_HOST` is not set.
    pub mailer: Option<mail::Mailer>,
    /// For `/health`; `None` when Redis is not configured.
    pub redis: Option<fred::prelude::Client>,
    /// Caches each company's catalogue and the LLM's token between requests.
    pub concierge: Arc<concierge::Concierge>,
}

impl AppState {
    /// Connects the optional Redis parts. An unreachable Redis at start is logged and the
    /// in-process fallbacks are used, so that the app still serves. Fails on an AI configuration
    /// that cannot work (see [`concierge::Concierge::new`]).
    pub async fn new(db: Db, config: Config) -> Result<Self> {
        let concierge = Arc::new(
            concierge::Concierge::new(config.ai.as_ref())?
                .with_daily_llm_calls(config.ai_daily_calls_per_company)
                .for_companies(config.clone()),
        );
        let (events, redis) = match &config.redis_url {
            Some(url) => match (
                events::EventBus::with_redis(url.expose()).await,
                redis::connect(url.expose()).await,
            ) {
                (Ok(bus), Ok(client)) => (bus, Some(client)),
                // Only a REDIS_URL that cannot be used at all ends here; a Redis that is down
                // is connected in the background.
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "Redis cannot be used: live events and rate limits stay in this process");
                    (events::EventBus::local(), None)
                }
            },
            None => (events::EventBus::local(), None),
        };
        let login_limiter = Arc::new(ratelimit::RateLimiter::new(
            5,
            std::time::Duration::from_secs(60),
            redis.clone(),
        ));
        let login_address_limiter = Arc::new(ratelimit::RateLimiter::new(
            LOGIN_FAILURES_PER_ADDRESS,
            std::time::Duration::from_secs(60),
            redis.clone(),
        ));
        let registration_limiter = Arc::new(ratelimit::RateLimiter::new(
            REGISTRATIONS_PER_HOUR,
            std::time::Duration::from_secs(3600),
            redis.clone(),
        ));
        let registration_letter_limiter = Arc::new(ratelimit::RateLimiter::new(
            registration::LETTERS_PER_ADDRESS_PER_HOUR,
            std::time::Duration::from_secs(3600),
            redis.clone(),
        ));
        let public_limits = Arc::new(public::Limits::new(redis.clone()));
        let mailer = match &config.smtp {
            Some(smtp) => {
                Some(mail::Mailer::new(smtp).map_err(|e| Error::Internal(e.to_string()))?)
            }
            None => None,
        };
        Ok(AppState {
            db,
            config: Arc::new(config),
            events,
            login_limiter,
            login_address_limiter,
            registration_limiter,
            registration_letter_limiter,
            public_limits,
            mailer,
            redis,
            concierge,
        })
    }
}

/// Companies one client address may register in an hour: enough for a real person's mistakes,
/// too few to fill the database.
pub const REGISTRATIONS_PER_HOUR: u32 = 5;

impl AppState {
    /// Logs in through either door (REST API or the web form), limited to 5 failed attempts a
    /// minute per (client address, username) and [`LOGIN_FAILURES_PER_ADDRESS`] per address
    /// whatever the username: `Err(Error::RateLimited(retry_after))` beyond, even with the right
    /// password, until the window ends. Each attempt is counted before its password is checked
    /// (a success hands its count back), so parallel attempts cannot slip past the limit.
    pub async fn login(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
        email: &str,
        password: &str,
    ) -> Result<auth::TokenSubject> {
        let ip = ratelimit::client_ip(peer, headers, &self.config.trusted_proxies);
        let address = format!("login|{}", ratelimit::address_key(ip));
        let user = format!("{ip}|{}", email.trim().to_lowercase());
        if let Some(retry_after) = self.login_address_limiter.take(&address).await {
            return Err(Error::RateLimited(retry_after));
        }
        if let Some(retry_after) = self.login_limiter.take(&user).await {
            self.login_address_limiter.give_back(&address).await;
            return Err(Error::RateLimited(retry_after));
        }
        let result = auth::authenticate(&self.db, email, password).await;
        if !matches!(result, Err(Error::InvalidCredentials)) {
            // Only failures count; a refusal for load (no hashing slot) is not the user's fault.
            self.login_limiter.give_back(&user).await;
            self.login_address_limiter.give_back(&address).await;
        }
        result
    }
}

/// Failed logins one client address may make in a minute, over all usernames together: rotating
/// usernames does not multiply the attempts.
pub const LOGIN_FAILURES_PER_ADDRESS: u32 = 30;
