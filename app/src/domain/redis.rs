//! Redis connections (optional): live events across server processes and shared rate limits.
//! Commands time out quickly so that a Redis outage degrades to in-process fallbacks instead of
//! stalling requests; the client keeps reconnecting in the background.

use std::time::Duration;

use fred::prelude::*;

use super::{Error, Result};

/// How long a process waits for Redis at start before it goes on with the in-process fallbacks
/// (the client keeps connecting in the background and takes over when Redis answers).
const FIRST_CONNECT_WAIT: Duration = Duration::from_secs(2);

fn builder(url: &str) -> Result<Builder> {
    let mut config =
        Config::from_url(url).map_err(|e| Error::Internal(format!("REDIS_URL: {e}")))?;
    // A Redis that is down when the process starts (a host reboot, Redis starting later) is
    // retried like one that went away later, instead of being given up for the process's life.
    config.fail_fast = false;
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

async fn wait_briefly(client: &impl ClientLike) {
    match tokio::time::timeout(FIRST_CONNECT_WAIT, client.wait_for_connect()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "Redis unavailable at start: connecting in the background, in-process fallbacks meanwhile"),
        Err(_) => tracing::warn!("Redis unavailable at start: connecting in the background, in-process fallbacks meanwhile"),
    }
}

/// A command client. It connects in the background and keeps reconnecting; commands fail
/// quickly while Redis is away, and callers fall back to this process.
pub async fn connect(url: &str) -> Result<Client> {
    let client = builder(url)?
        .build()
        .map_err(|e| Error::Internal(format!("redis: {e}")))?;
    client.connect();
    wait_briefly(&client).await;
    Ok(client)
}

/// A subscriber client listening to `channel`, subscribed again after every (re)connection,
/// the first one included — however late Redis comes up.
pub async fn connect_subscriber(
    url: &str,
    channel: &'static str,
) -> Result<fred::clients::SubscriberClient> {
    let client = builder(url)?
        .build_subscriber_client()
        .map_err(|e| Error::Internal(format!("redis: {e}")))?;
    let mut connected = client.reconnect_rx();
    let subscriber = client.clone();
    tokio::spawn(async move {
        loop {
            match connected.recv().await {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
            // Until it works: a process that is not subscribed misses every other process's
            // events. A newer connection event ends the attempts (it subscribes afresh).
            let mut pause = Duration::from_millis(200);
            loop {
                match subscriber.subscribe(channel).await {
                    Ok(()) => {
                        tracing::info!("subscribed to live events in Redis");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in = ?pause, "Redis subscribe failed");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(5));
                        if !connected.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
    });
    client.connect();
    wait_briefly(&client).await;
    Ok(client)
}
