//! `sqs://NAME?region=REGION&endpoint=URL`: the prefix every queue's name starts with, and where they live.
//! Both parameters are optional: the region then comes from the AWS provider chain (`AWS_REGION`, the
//! profile, instance metadata) and the endpoint from the SDK's defaults.

use darkroom_core::ports::QueueError;

use crate::aws::AwsLocation;

/// The longest prefix we accept: with a topic and `-dlq.fifo` the name must stay within SQS's 80 characters.
const MAX_PREFIX_LEN: usize = 40;

/// A parsed `sqs://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SqsUrl {
    pub prefix: String,
    pub location: AwsLocation,
}

pub(super) fn parse(url: &str) -> Result<SqsUrl, QueueError> {
    let invalid = |why: &str| QueueError::other(format!("invalid sqs url {url:?}: {why}"));
    let rest = url
        .strip_prefix("sqs://")
        .ok_or_else(|| invalid("expected sqs://NAME?region=REGION&endpoint=URL"))?;
    let (prefix, query) = rest.split_once('?').unwrap_or((rest, ""));
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() || prefix.len() > MAX_PREFIX_LEN {
        return Err(invalid(&format!(
            "the queue name prefix must have 1 to {MAX_PREFIX_LEN} characters"
        )));
    }
    if !prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(invalid(
            "the queue name prefix may only hold letters, digits, '-' and '_'",
        ));
    }

    Ok(SqsUrl {
        prefix: prefix.to_owned(),
        location: AwsLocation::from_query(query).map_err(|why| invalid(&why))?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_prefix_region_and_endpoint() {
        let url = parse("sqs://darkroom?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A4566")
            .unwrap();
        assert_eq!(
            url,
            SqsUrl {
                prefix: "darkroom".into(),
                location: AwsLocation {
                    region: Some("eu-west-1".into()),
                    endpoint: Some("http://127.0.0.1:4566".into()),
                },
            }
        );
        let bare = parse("sqs://prod_jobs").unwrap();
        assert_eq!(bare.location, AwsLocation::default());
        let raw_endpoint = parse("sqs://p?endpoint=http://localhost:4566").unwrap();
        assert_eq!(
            raw_endpoint.location.endpoint.as_deref(),
            Some("http://localhost:4566")
        );
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for (bad, why) in [
            ("nats://x", "expected sqs://"),
            ("sqs://", "1 to 40"),
            ("sqs://a.b", "letters, digits"),
            ("sqs://x?colour=blue", "\"colour\""),
            ("sqs://x?region=a&region=b", "twice"),
            ("sqs://x?endpoint=localhost:4566", "http://"),
            ("sqs://x?region=", "empty"),
            ("sqs://x?region=%zz", "bad escape"),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(parse(&format!("sqs://{}", "a".repeat(41))).is_err());
    }
}
