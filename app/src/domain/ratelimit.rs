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

    /// Counts one attempt for `key` now and says whether it is over the limit: `Some(retry_after)`
    /// when it is. The count comes first, atomically (`INCR` in Redis, under a lock here), so
    /// parallel attempts cannot all pass a check made before any of them is counted. An attempt
    /// that should not count after all (a successful login) is handed back with [`Self::give_back`].
    pub async fn take(&self, key: &str) -> Option<Duration> {
        if let Some(redis) = &self.redis {
            match self.take_redis(redis, key).await {
                Ok(outcome) => {
                    self.redis_ok();
                    return outcome;
                }
                Err(e) => self.redis_failed(&e),
            }
        }
        self.take_local(key)
    }

    /// Un-counts an attempt [`Self::take`] counted.
    pub async fn give_back(&self, key: &str) {
        if let Some(redis) = &self.redis {
            match self.give_back_redis(redis, key).await {
                Ok(()) => return,
                Err(e) => self.redis_failed(&e),
            }
        }
        if let Some(entry) = self.local().get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
        }
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

    async fn take_redis(
        &self,
        redis: &Client,
        key: &str,
    ) -> Result<Option<Duration>, fred::error::Error> {
        let key = Self::redis_key(key);
        let pipeline = redis.pipeline();
        let _: () = pipeline.incr(&key).await?;
        let _: () = pipeline
            .expire(&key, self.window.as_secs() as i64, Some(ExpireOptions::NX))
            .await?;
        let _: () = pipeline.pttl(&key).await?;
        let (count, _, ttl_ms): (i64, i64, i64) = pipeline.all().await?;
        Ok((count > i64::from(self.limit)).then(|| Duration::from_millis(ttl_ms.max(1000) as u64)))
    }

    async fn give_back_redis(&self, redis: &Client, key: &str) -> Result<(), fred::error::Error> {
        let key = Self::redis_key(key);
        let pipeline = redis.pipeline();
        let _: () = pipeline.decr(&key).await?;
        // Had the window just ended, DECR made a new key: it must expire like any other.
        let _: () = pipeline
            .expire(&key, self.window.as_secs() as i64, Some(ExpireOptions::NX))
            .await?;
        let _: (i64, i64) = pipeline.all().await?;
        Ok(())
    }

    fn local(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u32)>> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take_local(&self, key: &str) -> Option<Duration> {
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
        (entry.1 > self.limit).then(|| {
            self.window
                .saturating_sub(now.duration_since(entry.0))
                .max(Duration::from_secs(1))
        })
    }
}

/// The part of an address that names one client for rate limits: an IPv4 address, or the /64
/// network of an IPv6 one (a single host usually holds a whole /64 and can pick any address in it).
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
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
            assert!(limiter.take("1.2.3.4|a@b.ru").await.is_none());
        }
        let retry = limiter.take("1.2.3.4|a@b.ru").await.unwrap();
        assert!(retry > Duration::from_secs(50) && retry <= Duration::from_secs(60));
        // Another user or address has its own counter.
        assert!(limiter.take("1.2.3.4|c@d.ru").await.is_none());
        assert!(limiter.take("5.6.7.8|a@b.ru").await.is_none());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), "192.0.2.7");
    }

    #[tokio::test]
    async fn parallel_attempts_are_counted_before_any_passes() {
        let limiter = std::sync::Arc::new(RateLimiter::new(5, Duration::from_secs(60), None));
        let attempts: Vec<_> = (0..200)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.take("k").await.is_none() })
            })
            .collect();
        let mut passed = 0;
        for attempt in attempts {
            passed += usize::from(attempt.await.unwrap());
        }
        assert_eq!(passed, 5);
    }

    #[tokio::test]
    async fn a_given_back_attempt_does_not_count() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60), None);
        assert!(limiter.take("k").await.is_none());
        limiter.give_back("k").await;
        assert!(limiter.take("k").await.is_none());
        assert!(limiter.take("k").await.is_some());
    }

    #[tokio::test]
    async fn window_resets() {
        let limiter = RateLimiter::new(1, Duration::from_millis(50), None);
        assert!(limiter.take("k").await.is_none());
        assert!(limiter.take("k").await.is_some());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(limiter.take("k").await.is_none());
    }
}
