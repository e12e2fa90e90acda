//! `sqs://NAME?region=REGION&endpoint=URL`: the prefix every queue's name starts with, and where they live.
//! Both parameters are optional: the region then comes from the AWS provider chain (`AWS_REGION`, the
//! profile, instance metadata) and the endpoint from the SDK's defaults.

use darkroom_core::ports::QueueError;

/// The longest prefix we accept: with a topic and `-dlq.fifo` the name must stay within SQS's 80 characters.
const MAX_PREFIX_LEN: usize = 40;

/// A parsed `sqs://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SqsUrl {
    pub prefix: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
}

pub(super) fn parse(url: &str) -> Result<SqsUrl, QueueError> {
    let invalid = |why: &str| QueueError::Other(format!("invalid sqs url {url:?}: {why}"));
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

    let mut parsed = SqsUrl {
        prefix: prefix.to_owned(),
        region: None,
        endpoint: None,
    };
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(raw).ok_or_else(|| invalid(&format!("bad escape in {key}")))?;
        if value.is_empty() {
            return Err(invalid(&format!("{key} is empty")));
        }
        let slot = match key {
            "region" => &mut parsed.region,
            "endpoint" => &mut parsed.endpoint,
            other => {
                return Err(invalid(&format!(
                    "unknown parameter {other:?} (expected region, endpoint)"
                )))
            }
        };
        if slot.replace(value).is_some() {
            return Err(invalid(&format!("{key} is given twice")));
        }
    }
    if let Some(endpoint) = &parsed.endpoint {
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(invalid("endpoint must be an http:// or https:// url"));
        }
    }
    Ok(parsed)
}

/// Decodes `%XX` escapes (and `+` as a space, as forms do); `None` for a malformed escape or non-UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
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
                region: Some("eu-west-1".into()),
                endpoint: Some("http://127.0.0.1:4566".into()),
            }
        );
        let bare = parse("sqs://prod_jobs").unwrap();
        assert_eq!((bare.region, bare.endpoint), (None, None));
        let raw_endpoint = parse("sqs://p?endpoint=http://localhost:4566").unwrap();
        assert_eq!(
            raw_endpoint.endpoint.as_deref(),
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
