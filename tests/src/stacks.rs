//! Which backends the API suite runs on: `DARKROOM_TEST_STACK` names a combination, and each spawned app
//! gets namespaces of its own on the shared servers (a schema, a key prefix, a stream, a queue prefix, a
//! bucket prefix), so tests run in parallel and never see each other's data.
//!
//! | stack | database | storage | queue | cache |
//! |---|---|---|---|---|
//! | `embedded` (default) | SQLite | local files | embedded | moka |
//! | `postgres-s3-nats-redis` | Postgres | S3 | NATS JetStream | Redis |
//! | `dynamodb-s3-sqs-redis` | DynamoDB | S3 | SQS | Redis |
//! | `postgres-s3-rabbitmq-memory` | Postgres | S3 | RabbitMQ | moka |

use darkroom::config::Config;

use crate::services::{unique_name, AMQP_URL, AWS_ENDPOINT, NATS_URL, POSTGRES_URL, REDIS_URL};

pub const STACK: &str = "DARKROOM_TEST_STACK";

/// The stack this run uses.
pub fn current() -> String {
    std::env::var(STACK).unwrap_or_else(|_| "embedded".to_owned())
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{STACK}={} needs {name}", current()))
}

/// The (port, backend name) pairs `/readyz` should report for this stack, in its order.
pub fn expected_backends() -> [(&'static str, String); 4] {
    let stack = current();
    let names: Vec<String> = match stack.as_str() {
        "embedded" => ["sqlite", "local", "embedded", "memory"]
            .map(String::from)
            .to_vec(),
        other => other.split('-').map(String::from).collect(),
    };
    let name = |i: usize| names.get(i).cloned().unwrap_or_default();
    [
        ("database", name(0)),
        ("storage", name(1)),
        ("queue", name(2)),
        ("cache", name(3)),
    ]
}

/// `url` with `key=value` added to its query.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{key}={value}")
}

/// Points `config` at the stack's backends, in fresh namespaces.
pub fn apply(mut config: Config) -> Config {
    let stack = current();
    if stack == "embedded" {
        return config;
    }
    let ns = unique_name("api");
    let parts: Vec<&str> = stack.split('-').collect();
    let [database, storage, queue, cache] = parts[..] else {
        panic!("{STACK}={stack}: expected DATABASE-STORAGE-QUEUE-CACHE");
    };
    let aws = || var(AWS_ENDPOINT);
    config.database_url = Some(match database {
        "postgres" => with_param(&var(POSTGRES_URL), "schema", &ns),
        "dynamodb" => format!("dynamodb://{ns}?region=us-east-1&endpoint={}", aws()),
        other => panic!("{STACK}: unknown database {other}"),
    });
    config.storage_url = Some(match storage {
        "s3" => format!(
            "s3://darkroom-api-tests?region=us-east-1&endpoint={}&path_style=true&prefix={ns}",
            aws()
        ),
        other => panic!("{STACK}: unknown storage {other}"),
    });
    config.queue_url = match queue {
        "nats" => with_param(&var(NATS_URL), "namespace", &ns),
        "rabbitmq" => with_param(&var(AMQP_URL), "namespace", &ns),
        "sqs" => format!("sqs://{ns}?region=us-east-1&endpoint={}", aws()),
        other => panic!("{STACK}: unknown queue {other}"),
    };
    config.cache_url = match cache {
        "redis" => with_param(&var(REDIS_URL), "prefix", &ns),
        "memory" => "memory".to_owned(),
        other => panic!("{STACK}: unknown cache {other}"),
    };
    // Short redelivery so the restart test does not wait minutes for jobs a stopped worker held.
    config.queue_visibility_timeout_secs = 5;
    config
}

/// Removes what a spawned app created in its queue namespace on a shared broker: every API test declares
/// the job topics' queues afresh, and RabbitMQ's quorum queues are heavy enough that a few hundred left
/// behind slow the broker down until it stops answering. Runs on a thread of its own (with its own runtime)
/// so it can be called from `Drop` inside any test runtime.
pub fn remove_queue_namespace(queue_url: &str) {
    let url = queue_url.to_owned();
    let removal = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the tear-down");
        runtime.block_on(async move {
            let removed = remove(&url).await;
            if let Err(err) = removed {
                eprintln!("could not remove the test's queue namespace: {err}");
            }
        });
    });
    let _ = removal.join();
}

async fn remove(url: &str) -> Result<(), darkroom_core::ports::QueueError> {
    let settings = darkroom_core::ports::QueueSettings::default();
    #[cfg(feature = "rabbitmq")]
    if url.starts_with("amqp") {
        let queue = darkroom_adapters::RabbitQueue::from_url(url, settings).await?;
        // Declaring is idempotent; it tells the adapter which topics' queues to delete.
        queue.migrate().await?;
        return queue.delete_declared().await;
    }
    #[cfg(feature = "nats")]
    if url.starts_with("nats") {
        let queue = darkroom_adapters::NatsQueue::from_url(url, settings).await?;
        return queue.delete_namespace().await;
    }
    let _ = (url, settings);
    Ok(())
}
