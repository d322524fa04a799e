//! Fixed-window rate limiting of attempts (failed logins, registrations): counters in Redis when
//! configured, so that all server processes share them; in this process otherwise, and whenever
//! Redis does not answer.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use std::net::IpAddr;

use axum::http::HeaderMap;
use fred::{prelude::*, types::ExpireOptions};

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    redis: Option<Client>,
    local: Mutex<HashMap<String, (Instant, u32)>>,
    /// Logs the switch to the fallback once per outage, not once per request.
    degraded: AtomicBool,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration, redis: Option<Client>) -> Self {
        RateLimiter {
            limit,
            window,
            redis,
            local: Mutex::new(HashMap::new()),
            degraded: AtomicBool::new(false),
        }
    }

    /// `Some(retry_after)` while `key` has used up its attempts in the current window.
    pub async fn blocked(&self, key: &str) -> Option<Duration> {
        if let Some(redis) = &self.redis {
            match self.blocked_redis(redis, key).await {
                Ok(outcome) => {
                    self.redis_ok();
                    return outcome;
                }
                Err(e) => self.redis_failed(&e),
            }
        }
        self.blocked_local(key)
    }

    /// Counts one attempt for `key` (logins count the failed ones, registrations every one).
    pub async fn record_attempt(&self, key: &str) {
        if let Some(redis) = &self.redis {
            match self.record_redis(redis, key).await {
                Ok(()) => {
                    self.redis_ok();
                    return;
                }
                Err(e) => self.redis_failed(&e),
            }
        }
        self.record_local(key);
    }

    fn redis_ok(&self) {
        if self.degraded.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis is back: rate limits are shared again");
        }
    }

    fn redis_failed(&self, error: &fred::error::Error) {
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %error, "Redis unavailable: rate limiting falls back to this process");
        }
    }

    fn redis_key(key: &str) -> String {
        format!("auto-concierge:ratelimit:{key}")
    }

    async fn blocked_redis(
        &self,
        redis: &Client,
        key: &str,
    ) -> Result<Option<Duration>, fred::error::Error> {
        let key = Self::redis_key(key);
        let pipeline = redis.pipeline();
        let _: () = pipeline.get(&key).await?;
        let _: () = pipeline.pttl(&key).await?;
        let (count, ttl_ms): (Option<i64>, i64) = pipeline.all().await?;
        Ok((count.unwrap_or(0) >= i64::from(self.limit))
            .then(|| Duration::from_millis(ttl_ms.max(1000) as u64)))
    }

    async fn record_redis(&self, redis: &Client, key: &str) -> Result<(), fred::error::Error> {
        let key = Self::redis_key(key);
        let pipeline = redis.pipeline();
        let _: () = pipeline.incr(&key).await?;
        let _: () = pipeline
            .expire(&key, self.window.as_secs() as i64, Some(ExpireOptions::NX))
            .await?;
        let _: (i64, i64) = pipeline.all().await?;
        Ok(())
    }

    fn local(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u32)>> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn blocked_local(&self, key: &str) -> Option<Duration> {
        let now = Instant::now();
        let map = self.local();
        let (start, count) = map.get(key)?;
        let elapsed = now.duration_since(*start);
        (elapsed < self.window && *count >= self.limit).then(|| {
            self.window
                .saturating_sub(elapsed)
                .max(Duration::from_secs(1))
        })
    }

    fn record_local(&self, key: &str) {
        let now = Instant::now();
        let mut map = self.local();
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = map.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

/// The client's address: the peer, or — only when the peer is a trusted proxy — the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_trusted_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        assert_eq!(
            client_ip(proxy, &headers, &[proxy]),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(client_ip(stranger, &headers, &[proxy]), stranger);
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[tokio::test]
    async fn in_process_window_allows_the_limit_then_refuses() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60), None);
        for _ in 0..5 {
            assert!(limiter.blocked("1.2.3.4|a@b.ru").await.is_none());
            limiter.record_attempt("1.2.3.4|a@b.ru").await;
        }
        let retry = limiter.blocked("1.2.3.4|a@b.ru").await.unwrap();
        assert!(retry > Duration::from_secs(50) && retry <= Duration::from_secs(60));
        // Another user or address has its own counter.
        assert!(limiter.blocked("1.2.3.4|c@d.ru").await.is_none());
        assert!(limiter.blocked("5.6.7.8|a@b.ru").await.is_none());
    }

    #[tokio::test]
    async fn window_resets() {
        let limiter = RateLimiter::new(1, Duration::from_millis(50), None);
        limiter.record_attempt("k").await;
        assert!(limiter.blocked("k").await.is_some());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(limiter.blocked("k").await.is_none());
    }
}
