//! What the NATS and RabbitMQ URLs share: an optional `namespace` query parameter that keeps several
//! deployments (or test cases) apart on one server, its rules, and how a URL is shown without credentials.

use darkroom_core::ports::QueueError;

/// The namespace used when the URL names none.
pub(crate) const DEFAULT_NAMESPACE: &str = "darkroom";

/// A URL's query: the `namespace` it names (at most once) and its other `key=value` pairs, in order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Query<'a> {
    pub namespace: Option<&'a str>,
    pub others: Vec<&'a str>,
}

/// Splits `url` at its `?` and reads the query. `scheme` names the URL kind in errors ("nats", "amqp").
pub(crate) fn split<'a>(url: &'a str, scheme: &str) -> Result<(&'a str, Query<'a>), QueueError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut parsed = Query::default();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("namespace", _) if parsed.namespace.is_some() => {
                return Err(QueueError::other(format!(
                    "namespace is given twice in the {scheme} url"
                )));
            }
            ("namespace", value) => parsed.namespace = Some(value),
            _ => parsed.others.push(pair),
        }
    }
    Ok((base, parsed))
}

/// The key of a `key=value` pair.
pub(crate) fn key(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(key, _)| key)
}

/// An error naming the query parameters a URL may not have.
pub(crate) fn unknown_parameters(scheme: &str, keys: &[&str]) -> QueueError {
    QueueError::other(format!(
        "unknown query parameter(s) in the {scheme} url: {}",
        keys.join(", ")
    ))
}

/// A namespace is part of subjects, stream and queue names: 1 to 64 letters, digits, `_` and `-`, so no
/// namespace's names can run into another's.
pub(crate) fn checked_namespace(scheme: &str, namespace: &str) -> Result<String, QueueError> {
    let valid = !namespace.is_empty()
        && namespace.len() <= 64
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(namespace.to_owned())
    } else {
        Err(QueueError::other(format!(
            "{scheme} namespace {namespace:?} must be 1 to 64 letters, digits, '_' or '-'"
        )))
    }
}

/// The URL without its credentials, for messages.
pub(crate) fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://{host}"),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_yields_one_namespace_and_the_other_pairs() {
        let (base, query) = split("amqp://h/%2f?heartbeat=5&namespace=t1&x", "amqp").unwrap();
        assert_eq!(base, "amqp://h/%2f");
        assert_eq!(query.namespace, Some("t1"));
        assert_eq!(query.others, vec!["heartbeat=5", "x"]);
        assert_eq!(key("heartbeat=5"), "heartbeat");
        assert!(split("nats://h?namespace=a&namespace=b", "nats").is_err());
        assert_eq!(split("nats://h", "nats").unwrap().1, Query::default());
    }

    #[test]
    fn namespaces_are_short_safe_tokens() {
        assert_eq!(checked_namespace("nats", "ci-1_a").unwrap(), "ci-1_a");
        for bad in ["", "a.b", "a b", "a*", &"x".repeat(65)] {
            assert!(checked_namespace("nats", bad).is_err(), "{bad:?}");
        }
        assert_eq!(redacted("amqp://u:secret@h:5672/%2f"), "amqp://h:5672/%2f");
    }
}
