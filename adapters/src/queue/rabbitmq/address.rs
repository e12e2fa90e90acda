//! Where a RabbitMQ queue lives: `amqp://user:pass@host:port/vhost[?namespace=NAME]`, and the exchange
//! and queue names derived from the namespace and a topic.

use darkroom_core::ports::QueueError;

pub(super) use crate::queue::namespaced_url::redacted;
use crate::queue::namespaced_url::{self, DEFAULT_NAMESPACE};

/// Query parameters lapin itself understands; they are handed on untouched.
const LAPIN_PARAMETERS: [&str; 5] = [
    "heartbeat",
    "frame_max",
    "channel_max",
    "connection_timeout",
    "auth_mechanism",
];
/// AMQP names are short strings.
const LONGEST_NAME: usize = 255;

/// A parsed queue URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Address {
    /// What lapin connects to: the URL without `namespace`.
    pub broker: String,
    pub names: Names,
}

/// Parses `amqp[s]://user:pass@host:port/vhost[?namespace=NAME]`, keeping lapin's own parameters
/// (`heartbeat`, `frame_max`, `channel_max`, `connection_timeout`, `auth_mechanism`) in the broker URL.
/// Any other query parameter is an error naming it.
pub(super) fn parse(url: &str) -> Result<Address, QueueError> {
    let (base, query) = namespaced_url::split(url, "amqp")?;
    if !(base.starts_with("amqp://") || base.starts_with("amqps://")) {
        return Err(QueueError::other(format!(
            "amqp url must start with amqp:// or amqps://, got {}",
            redacted(base)
        )));
    }
    let (kept, unknown): (Vec<&str>, Vec<&str>) = query
        .others
        .iter()
        .partition(|pair| LAPIN_PARAMETERS.contains(&namespaced_url::key(pair)));
    if !unknown.is_empty() {
        let keys: Vec<&str> = unknown
            .iter()
            .map(|pair| namespaced_url::key(pair))
            .collect();
        return Err(namespaced_url::unknown_parameters("amqp", &keys));
    }
    let broker = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Address {
        broker,
        names: Names::new(query.namespace.unwrap_or(DEFAULT_NAMESPACE))?,
    })
}

/// The names of one namespace: per topic a quorum queue `{ns}.jobs.{topic}` and a dead-letter queue
/// `{ns}.dead.{topic}`, the latter bound with the topic as routing key to the direct exchange `{ns}.dead`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Names {
    namespace: String,
}

impl Names {
    /// Letters, digits, `_` and `-`, so no namespace's names can run into another's.
    pub fn new(namespace: &str) -> Result<Self, QueueError> {
        Ok(Self {
            namespace: namespaced_url::checked_namespace("amqp", namespace)?,
        })
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn dead_exchange(&self) -> String {
        format!("{}.dead", self.namespace)
    }

    pub fn jobs_queue(&self, topic: &str) -> Result<String, QueueError> {
        self.name("jobs", topic)
    }

    pub fn dead_queue(&self, topic: &str) -> Result<String, QueueError> {
        self.name("dead", topic)
    }

    fn name(&self, kind: &str, topic: &str) -> Result<String, QueueError> {
        let name = format!("{}.{kind}.{topic}", self.namespace);
        if topic.is_empty() || name.len() > LONGEST_NAME || topic.chars().any(char::is_control) {
            return Err(QueueError::other(format!(
                "topic {topic:?} cannot name an amqp queue (empty, control characters, or too long)"
            )));
        }
        Ok(name)
    }
}
