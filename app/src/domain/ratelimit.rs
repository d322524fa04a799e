//! Fixed-window rate limiting (login attempts): counters in Redis when configured, so that all
//! server processes share them; in this process otherwise, and whenever Redis does not answer.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

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

    /// Counts one attempt for `key`. `Err(retry_after)` when the limit is exceeded.
    pub async fn hit(&self, key: &str) -> Result<(), Duration> {
        if let Some(redis) = &self.redis {
            match self.hit_redis(redis, key).await {
                Ok(outcome) => {
                    if self.degraded.swap(false, Ordering::Relaxed) {
                        tracing::info!("Redis is back: rate limits are shared again");
                    }
                    return outcome;
                }
                Err(e) => {
                    if !self.degraded.swap(true, Ordering::Relaxed) {
                        tracing::warn!(error = %e, "Redis unavailable: rate limiting falls back to this process");
                    }
                }
            }
        }
        self.hit_local(key)
    }

    async fn hit_redis(
        &self,
        redis: &Client,
        key: &str,
    ) -> Result<Result<(), Duration>, fred::error::Error> {
        let key = format!("auto-concierge:ratelimit:{key}");
        let pipeline = redis.pipeline();
        let _: () = pipeline.incr(&key).await?;
        let _: () = pipeline
            .expire(&key, self.window.as_secs() as i64, Some(ExpireOptions::NX))
            .await?;
        let _: () = pipeline.pttl(&key).await?;
        let (count, _, ttl_ms): (i64, i64, i64) = pipeline.all().await?;
        if count > i64::from(self.limit) {
            Ok(Err(Duration::from_millis(ttl_ms.max(1000) as u64)))
        } else {
            Ok(Ok(()))
        }
    }

    fn hit_local(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.local.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = map.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.limit {
            Err(self
                .window
                .saturating_sub(now.duration_since(entry.0))
                .max(Duration::from_secs(1)))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_window_allows_the_limit_then_refuses() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60), None);
        for _ in 0..5 {
            assert!(limiter.hit("1.2.3.4|a@b.ru").await.is_ok());
        }
        let retry = limiter.hit("1.2.3.4|a@b.ru").await.unwrap_err();
        assert!(retry > Duration::from_secs(50) && retry <= Duration::from_secs(60));
        // Another user or address has its own counter.
        assert!(limiter.hit("1.2.3.4|c@d.ru").await.is_ok());
        assert!(limiter.hit("5.6.7.8|a@b.ru").await.is_ok());
    }

    #[tokio::test]
    async fn window_resets() {
        let limiter = RateLimiter::new(1, Duration::from_millis(50), None);
        assert!(limiter.hit("k").await.is_ok());
        assert!(limiter.hit("k").await.is_err());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(limiter.hit("k").await.is_ok());
    }
}
