//! `DARKROOM_QUEUE_URL`: `embedded`, `nats://…`, `amqp://…`, `sqs://NAME?region=…&endpoint=…`.

use std::sync::Arc;

use anyhow::bail;
use darkroom_core::ports::{Queue, QueueDepth, QueueSettings};

#[allow(unused_imports)]
use super::not_built;
use crate::config::Config;

/// One queue adapter seen through both of its ports: messaging, and the depth its gauges sample.
#[derive(Debug, Clone)]
pub struct QueuePorts {
    pub queue: Arc<dyn Queue>,
    pub depth: Arc<dyn QueueDepth>,
}

impl QueuePorts {
    fn of<Q: Queue + QueueDepth + 'static>(adapter: Q) -> Self {
        let adapter = Arc::new(adapter);
        Self {
            queue: adapter.clone(),
            depth: adapter,
        }
    }
}

/// The configured queue, for messaging only.
pub async fn connect(
    config: &Config,
    settings: QueueSettings,
    migrate: bool,
) -> anyhow::Result<Arc<dyn Queue>> {
    Ok(connect_with_depth(config, settings, migrate).await?.queue)
}

/// The configured queue with its depth capability (one adapter, one connection).
pub async fn connect_with_depth(
    config: &Config,
    settings: QueueSettings,
    migrate: bool,
) -> anyhow::Result<QueuePorts> {
    let url = config.queue_url.as_str();
    match super::scheme(url) {
        "embedded" => embedded(config, settings).await,
        "nats" => nats(url, settings, migrate).await,
        "amqp" | "amqps" => rabbitmq(url, settings, migrate).await,
        "sqs" => sqs(url, settings, migrate).await,
        other => {
            bail!("unknown queue scheme `{other}` (expected embedded, nats://, amqp:// or sqs://)")
        }
    }
}

#[cfg(feature = "embedded-queue")]
async fn embedded(config: &Config, settings: QueueSettings) -> anyhow::Result<QueuePorts> {
    use darkroom_adapters::queue::embedded::EmbeddedQueue;
    Ok(QueuePorts::of(
        EmbeddedQueue::open(&config.data_dir.join("queue.sqlite"), settings).await?,
    ))
}

#[cfg(not(feature = "embedded-queue"))]
async fn embedded(_config: &Config, _settings: QueueSettings) -> anyhow::Result<QueuePorts> {
    Err(not_built("the embedded queue", "embedded-queue"))
}

#[cfg(feature = "nats")]
async fn nats(url: &str, settings: QueueSettings, migrate: bool) -> anyhow::Result<QueuePorts> {
    use darkroom_adapters::queue::nats::NatsQueue;
    let queue = NatsQueue::from_url(url, settings).await?;
    if migrate {
        queue.migrate().await?;
    }
    Ok(QueuePorts::of(queue))
}

#[cfg(not(feature = "nats"))]
async fn nats(_url: &str, _settings: QueueSettings, _migrate: bool) -> anyhow::Result<QueuePorts> {
    Err(not_built("a nats queue", "nats"))
}

#[cfg(feature = "rabbitmq")]
async fn rabbitmq(url: &str, settings: QueueSettings, migrate: bool) -> anyhow::Result<QueuePorts> {
    use darkroom_adapters::queue::rabbitmq::RabbitQueue;
    let queue = RabbitQueue::from_url(url, settings).await?;
    if migrate {
        queue.migrate().await?;
    }
    Ok(QueuePorts::of(queue))
}

#[cfg(not(feature = "rabbitmq"))]
async fn rabbitmq(
    _url: &str,
    _settings: QueueSettings,
    _migrate: bool,
) -> anyhow::Result<QueuePorts> {
    Err(not_built("a rabbitmq queue", "rabbitmq"))
}

#[cfg(feature = "sqs")]
async fn sqs(url: &str, settings: QueueSettings, migrate: bool) -> anyhow::Result<QueuePorts> {
    use darkroom_adapters::queue::sqs::SqsQueue;
    let queue = SqsQueue::from_url(url, settings).await?;
    if migrate {
        queue.migrate().await?;
    }
    Ok(QueuePorts::of(queue))
}

#[cfg(not(feature = "sqs"))]
async fn sqs(_url: &str, _settings: QueueSettings, _migrate: bool) -> anyhow::Result<QueuePorts> {
    Err(not_built("an sqs queue", "sqs"))
}
