//! Where a NATS queue lives: `nats://host:port[?namespace=NAME]`, and the stream, subject and consumer
//! names derived from the namespace and a topic.

use darkroom_core::ports::QueueError;

pub(super) use crate::queue::namespaced_url::redacted;
use crate::queue::namespaced_url::{self, DEFAULT_NAMESPACE};

/// A parsed queue URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Address {
    /// What the client connects to: the URL without its query.
    pub server: String,
    pub names: Names,
}

/// Parses `nats://[user:pass@]host:port[?namespace=NAME]` (`tls://` too). Any other query parameter is an
/// error naming it.
pub(super) fn parse(url: &str) -> Result<Address, QueueError> {
    let (server, query) = namespaced_url::split(url, "nats")?;
    if !(server.starts_with("nats://") || server.starts_with("tls://")) {
        return Err(QueueError::other(format!(
            "nats url must start with nats:// or tls://, got {}",
            redacted(server)
        )));
    }
    if !query.others.is_empty() {
        let keys: Vec<&str> = query
            .others
            .iter()
            .map(|pair| namespaced_url::key(pair))
            .collect();
        return Err(namespaced_url::unknown_parameters("nats", &keys));
    }
    Ok(Address {
        server: server.to_owned(),
        names: Names::new(query.namespace.unwrap_or(DEFAULT_NAMESPACE))?,
    })
}

/// The JetStream names of one namespace. Jobs live in the work-queue stream `{ns}_jobs` under
/// `{ns}.jobs.{topic}`, dead letters in the stream `{ns}_dead` under `{ns}.dead.{topic}`; each topic has a
/// durable pull consumer on the jobs stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Names {
    namespace: String,
}

impl Names {
    /// A namespace is one subject token and part of stream names: letters, digits, `_` and `-`.
    pub fn new(namespace: &str) -> Result<Self, QueueError> {
        Ok(Self {
            namespace: namespaced_url::checked_namespace("nats", namespace)?,
        })
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn jobs_stream(&self) -> String {
        format!("{}_jobs", self.namespace)
    }

    pub fn dead_stream(&self) -> String {
        format!("{}_dead", self.namespace)
    }

    pub fn jobs_subjects(&self) -> String {
        format!("{}.jobs.>", self.namespace)
    }

    pub fn dead_subjects(&self) -> String {
        format!("{}.dead.>", self.namespace)
    }

    pub fn jobs_subject(&self, topic: &str) -> Result<String, QueueError> {
        check_topic(topic)?;
        Ok(format!("{}.jobs.{topic}", self.namespace))
    }

    pub fn dead_subject(&self, topic: &str) -> Result<String, QueueError> {
        check_topic(topic)?;
        Ok(format!("{}.dead.{topic}", self.namespace))
    }

    /// The topic a consumer's filter subject belongs to, if it is one of ours.
    pub fn topic_of<'a>(&self, filter_subject: &'a str) -> Option<&'a str> {
        filter_subject
            .strip_prefix(self.namespace.as_str())?
            .strip_prefix(".jobs.")
    }

    /// The durable consumer of `topic`. Consumer names may not hold `.` (nor much else), so every byte
    /// outside `[A-Za-z0-9_]` is written `-xx` (hex): distinct topics never share a consumer.
    pub fn consumer(&self, topic: &str) -> String {
        let mut name = String::with_capacity(topic.len() + 8);
        for byte in topic.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'_' {
                name.push(char::from(byte));
            } else {
                name.push_str(&format!("-{byte:02x}"));
            }
        }
        name
    }
}

/// A topic becomes the tail of a subject: dot-separated tokens, none empty, no wildcards or whitespace.
fn check_topic(topic: &str) -> Result<(), QueueError> {
    let valid = !topic.is_empty()
        && topic.split('.').all(|token| {
            !token.is_empty()
                && !token
                    .chars()
                    .any(|c| c.is_whitespace() || c == '*' || c == '>')
        });
    if valid {
        Ok(())
    } else {
        Err(QueueError::other(format!(
            "topic {topic:?} cannot be a nats subject (dot-separated tokens without spaces or wildcards)"
        )))
    }
}
