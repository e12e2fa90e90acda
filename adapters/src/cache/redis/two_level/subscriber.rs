//! The task that keeps one replica's local tier coherent: it listens on `{prefix}:invalidate` and drops the
//! local copy of every key announced there. The subscription has a connection of its own (a subscribed
//! connection can do nothing else), checked with a PING every second so that a silently dead one is noticed;
//! while it is down the tier goes dark (see `coherence`) and the task resubscribes with a growing delay.

use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::PubSub;
use darkroom_core::ports::source::chain;
use darkroom_core::ports::CacheError;
use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::super::errors::cache_error;
use super::super::{RedisCache, CONNECT_TIMEOUT};
use super::coherence::Coherence;

const PING_EVERY: Duration = Duration::from_secs(1);
const PING_TIMEOUT: Duration = Duration::from_secs(1);
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// The listening task; dropping this stops it.
#[derive(Debug)]
pub(super) struct Subscriber {
    task: JoinHandle<()>,
}

impl Subscriber {
    /// Subscribes (failing when Redis cannot be reached), brings the tier live, and keeps listening in the
    /// background.
    pub(super) async fn start(
        redis: RedisCache,
        coherence: Arc<Coherence>,
    ) -> Result<Self, CacheError> {
        let subscription = subscribe(&redis).await?;
        coherence.go_live();
        let task = tokio::spawn(run(redis, coherence, subscription));
        Ok(Self { task })
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The invalidation channel of `redis`'s namespace.
pub(super) fn channel(redis: &RedisCache) -> String {
    format!("{}:invalidate", redis.prefix())
}

async fn subscribe(redis: &RedisCache) -> Result<PubSub, CacheError> {
    let subscribing = async {
        let mut pubsub = redis.client.get_async_pubsub().await?;
        // Answered once Redis has registered the subscription: nothing published after this is missed.
        pubsub.subscribe(channel(redis)).await?;
        Ok::<_, ::redis::RedisError>(pubsub)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, subscribing)
        .await
        .map_err(|_| CacheError::unavailable("redis: subscribing timed out"))?
        .map_err(cache_error)
}

async fn run(redis: RedisCache, coherence: Arc<Coherence>, mut subscription: PubSub) {
    loop {
        let reason = listen(subscription, &coherence).await;
        coherence.go_dark();
        tracing::warn!(%reason, prefix = redis.prefix(), "cache invalidation channel lost; reading through to redis until it is back");
        subscription = resubscribe(&redis).await;
        coherence.go_live();
        tracing::info!(prefix = redis.prefix(), "cache invalidation channel back");
    }
}

/// Applies announcements until the subscription fails; returns why it did.
async fn listen(subscription: PubSub, coherence: &Coherence) -> String {
    let (mut sink, mut messages) = subscription.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = messages.next() => match message {
                // Keys are written from `&str`, so a payload that is not UTF-8 is none of ours.
                Some(message) => {
                    if let Ok(key) = std::str::from_utf8(message.get_payload_bytes()) {
                        coherence.invalidate(key).await;
                    }
                }
                None => return "connection closed".into(),
            },
            _ = ping.tick() => {
                match tokio::time::timeout(PING_TIMEOUT, sink.ping::<::redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return e.to_string(),
                    Err(_) => return format!("no answer to ping within {PING_TIMEOUT:?}"),
                }
            }
        }
    }
}

async fn resubscribe(redis: &RedisCache) -> PubSub {
    let mut delay = RETRY_FIRST;
    loop {
        tokio::time::sleep(delay).await;
        match subscribe(redis).await {
            Ok(subscription) => return subscription,
            Err(e) => {
                tracing::debug!(error = %chain(&e), prefix = redis.prefix(), "resubscribing to cache invalidations failed");
                delay = (delay * 2).min(RETRY_MAX);
            }
        }
    }
}
