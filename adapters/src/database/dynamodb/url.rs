//! `dynamodb://TABLE?region=REGION&endpoint=URL`: the one table everything lives in, and where it is.
//! Both parameters are optional: the region then comes from the AWS provider chain (`AWS_REGION`, the
//! profile, instance metadata) and the endpoint from the SDK's defaults (real AWS).

use darkroom_core::ports::DbError;

/// DynamoDB's own rule for table names.
const NAME_LEN: std::ops::RangeInclusive<usize> = 3..=255;

/// A parsed `dynamodb://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DynamoUrl {
    pub table: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
}

pub(super) fn parse(url: &str) -> Result<DynamoUrl, DbError> {
    let invalid = |why: &str| DbError::Other(format!("invalid dynamodb url {url:?}: {why}"));
    let rest = url
        .strip_prefix("dynamodb://")
        .ok_or_else(|| invalid("expected dynamodb://TABLE?region=REGION&endpoint=URL"))?;
    let (table, query) = rest.split_once('?').unwrap_or((rest, ""));
    let table = table.trim_end_matches('/');
    if !NAME_LEN.contains(&table.len()) {
        return Err(invalid("the table name must have 3 to 255 characters"));
    }
    if !table
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(invalid(
            "the table name may only hold letters, digits, '_', '-' and '.'",
        ));
    }

    let mut parsed = DynamoUrl {
        table: table.to_owned(),
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
    fn parses_table_region_and_endpoint() {
        let url = parse(
            "dynamodb://darkroom.prod?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A4566",
        )
        .unwrap();
        assert_eq!(
            url,
            DynamoUrl {
                table: "darkroom.prod".into(),
                region: Some("eu-west-1".into()),
                endpoint: Some("http://127.0.0.1:4566".into()),
            }
        );
        let bare = parse("dynamodb://darkroom").unwrap();
        assert_eq!((bare.region, bare.endpoint), (None, None));
        let raw_endpoint = parse("dynamodb://d_1-x?endpoint=http://localhost:4566/").unwrap();
        assert_eq!(
            raw_endpoint.endpoint.as_deref(),
            Some("http://localhost:4566/")
        );
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for (bad, why) in [
            ("postgres://x", "expected dynamodb://"),
            ("dynamodb://ab", "3 to 255"),
            ("dynamodb://a b c", "letters, digits"),
            ("dynamodb://tbl?colour=blue", "\"colour\""),
            ("dynamodb://tbl?region=a&region=b", "twice"),
            ("dynamodb://tbl?endpoint=localhost:4566", "http://"),
            ("dynamodb://tbl?region=", "empty"),
            ("dynamodb://tbl?region=%zz", "bad escape"),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(parse(&format!("dynamodb://{}", "a".repeat(256))).is_err());
    }
}
