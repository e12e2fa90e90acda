//! Where a RabbitMQ queue lives: `amqp://user:pass@host:port/vhost[?namespace=NAME]`, and the exchange
//! and queue names derived from the namespace and a topic.

use darkroom_core::ports::QueueError;

/// The namespace used when the URL names none.
pub(super) const DEFAULT_NAMESPACE: &str = "darkroom";
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
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    if !(base.starts_with("amqp://") || base.starts_with("amqps://")) {
        return Err(invalid(format!(
            "amqp url must start with amqp:// or amqps://, got {}",
            redacted(base)
        )));
    }
    let mut namespace = None;
    let mut kept = Vec::new();
    let mut unknown = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let key = pair.split_once('=').map_or(pair, |(key, _)| key);
        match key {
            "namespace" if namespace.is_none() => {
                namespace = Some(pair.split_once('=').map_or("", |(_, value)| value));
            }
            "namespace" => return Err(invalid("namespace is given twice in the amqp url".into())),
            _ if LAPIN_PARAMETERS.contains(&key) => kept.push(pair),
            _ => unknown.push(key),
        }
    }
    if !unknown.is_empty() {
        return Err(invalid(format!(
            "unknown query parameter(s) in the amqp url: {}",
            unknown.join(", ")
        )));
    }
    let broker = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Address {
        broker,
        names: Names::new(namespace.unwrap_or(DEFAULT_NAMESPACE))?,
    })
}

/// The URL without its credentials, for messages.
pub(super) fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, rest))) => format!("{scheme}://{rest}"),
        _ => url.to_owned(),
    }
}

fn invalid(reason: String) -> QueueError {
    QueueError::other(reason)
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
        let valid = !namespace.is_empty()
            && namespace.len() <= 64
            && namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(invalid(format!(
                "amqp namespace {namespace:?} must be 1 to 64 letters, digits, '_' or '-'"
            )));
        }
        Ok(Self {
            namespace: namespace.to_owned(),
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
            return Err(invalid(format!(
                "topic {topic:?} cannot name an amqp queue (empty, control characters, or too long)"
            )));
        }
        Ok(name)
    }
}
