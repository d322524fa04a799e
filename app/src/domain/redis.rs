//! Redis connections (optional): live events across server processes and shared rate limits.
//! Commands time out quickly so that a Redis outage degrades to in-process fallbacks instead of
//! stalling requests; the client keeps reconnecting in the background.

use std::time::Duration;

use fred::prelude::*;

use super::{Error, Result};

fn builder(url: &str) -> Result<Builder> {
    let config = Config::from_url(url).map_err(|e| Error::Internal(format!("REDIS_URL: {e}")))?;
    let mut builder = Builder::from_config(config);
    builder
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(2);
            c.max_command_attempts = 1;
        })
        .with_performance_config(|p| {
            p.default_command_timeout = Duration::from_millis(500);
        });
    Ok(builder)
}

/// A connected command client.
pub async fn connect(url: &str) -> Result<Client> {
    let client = builder(url)?
        .build()
        .map_err(|e| Error::Internal(format!("redis: {e}")))?;
    client
        .init()
        .await
        .map_err(|e| Error::Internal(format!("redis: {e}")))?;
    Ok(client)
}

/// A connected subscriber client that re-subscribes after reconnecting.
pub async fn connect_subscriber(url: &str) -> Result<fred::clients::SubscriberClient> {
    let client = builder(url)?
        .build_subscriber_client()
        .map_err(|e| Error::Internal(format!("redis: {e}")))?;
    client
        .init()
        .await
        .map_err(|e| Error::Internal(format!("redis: {e}")))?;
    client.manage_subscriptions();
    Ok(client)
}
