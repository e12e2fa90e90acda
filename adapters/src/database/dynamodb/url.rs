//! `dynamodb://TABLE?region=REGION&endpoint=URL`: the one table everything lives in, and where it is.
//! Both parameters are optional: the region then comes from the AWS provider chain (`AWS_REGION`, the
//! profile, instance metadata) and the endpoint from the SDK's defaults (real AWS).

use darkroom_core::ports::DbError;

use crate::aws::AwsLocation;

/// DynamoDB's own rule for table names.
const NAME_LEN: std::ops::RangeInclusive<usize> = 3..=255;

/// A parsed `dynamodb://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DynamoUrl {
    pub table: String,
    pub location: AwsLocation,
}

pub(super) fn parse(url: &str) -> Result<DynamoUrl, DbError> {
    let invalid = |why: &str| DbError::other(format!("invalid dynamodb url {url:?}: {why}"));
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

    Ok(DynamoUrl {
        table: table.to_owned(),
        location: AwsLocation::from_query(query).map_err(|why| invalid(&why))?,
    })
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
                location: AwsLocation {
                    region: Some("eu-west-1".into()),
                    endpoint: Some("http://127.0.0.1:4566".into()),
                },
            }
        );
        let bare = parse("dynamodb://darkroom").unwrap();
        assert_eq!(bare.location, AwsLocation::default());
        let raw_endpoint = parse("dynamodb://d_1-x?endpoint=http://localhost:4566/").unwrap();
        assert_eq!(
            raw_endpoint.location.endpoint.as_deref(),
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
            let err = darkroom_core::ports::source::chain(&parse(bad).unwrap_err());
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(parse(&format!("dynamodb://{}", "a".repeat(256))).is_err());
    }
}
