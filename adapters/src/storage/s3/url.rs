//! `s3://BUCKET?region=REGION&endpoint=URL&path_style=true&prefix=PATH`: every parameter optional.
//!
//! - `region` defaults to `AWS_REGION` / `AWS_DEFAULT_REGION`, then `us-east-1`;
//! - `endpoint` is for S3-compatible servers (MinIO, R2, Ceph, moto); `http://` ones are allowed;
//! - `path_style` (`true`/`false`) defaults to `true` with an `endpoint` (what self-hosted servers
//!   expect: no wildcard DNS needed) and `false` without (AWS's virtual-hosted style);
//! - `prefix` is prepended to every key, so several installations (or test cases) share one bucket;
//! - `sse` (or object_store's name, `server_side_encryption`) asks S3 to encrypt every object written,
//!   multipart uploads included: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS; `aws:kms:dsse` for dual-layer),
//!   with `sse_kms_key_id` naming the KMS key (its id, ARN or alias; without it, the AWS-managed
//!   `aws/s3` key) and `sse_bucket_key_enabled` (`true`/`false`) S3 Bucket Keys. SSE-C (a key sent with
//!   every request) is not offered.

use darkroom_core::ports::StorageError;

/// A parsed `s3://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct S3Url {
    pub bucket: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub path_style: bool,
    /// Without leading or trailing `/`; empty for none.
    pub prefix: String,
    /// Server-side encryption of every write, in object_store's config values.
    pub sse: Option<Sse>,
}

/// Server-side encryption asked of S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sse {
    /// `AES256`, `aws:kms` or `aws:kms:dsse` (S3's `x-amz-server-side-encryption`).
    pub algorithm: String,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: Option<bool>,
}

pub(super) fn parse(url: &str) -> Result<S3Url, StorageError> {
    let invalid = |why: &str| StorageError::other(format!("invalid s3 url {url:?}: {why}"));
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| invalid("expected s3://BUCKET?region=…&endpoint=…&path_style=…&prefix=…"))?;
    let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
    let bucket = bucket.trim_end_matches('/');
    check_bucket(bucket).map_err(|why| invalid(&why))?;

    let (mut region, mut endpoint, mut path_style, mut prefix) = (None, None, None, None);
    let (mut sse, mut kms_key_id, mut bucket_key) = (None, None, None);
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(raw).ok_or_else(|| invalid(&format!("bad escape in {key}")))?;
        let slot = match key {
            "region" => &mut region,
            "endpoint" => &mut endpoint,
            "path_style" => &mut path_style,
            "prefix" => &mut prefix,
            "sse" | "server_side_encryption" => &mut sse,
            "sse_kms_key_id" => &mut kms_key_id,
            "sse_bucket_key_enabled" => &mut bucket_key,
            other => {
                return Err(invalid(&format!(
                "unknown parameter {other:?} (expected region, endpoint, path_style, prefix, sse, \
                     sse_kms_key_id, sse_bucket_key_enabled)"
            )))
            }
        };
        if slot.replace(value).is_some() {
            return Err(invalid(&format!("{key} is given twice")));
        }
    }
    if region.as_deref() == Some("") || endpoint.as_deref() == Some("") {
        return Err(invalid("region and endpoint cannot be empty"));
    }
    if let Some(endpoint) = &endpoint {
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(invalid("endpoint must be an http:// or https:// url"));
        }
    }
    let path_style = match path_style.as_deref() {
        None => endpoint.is_some(),
        Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(invalid(&format!(
                "path_style must be true or false, not {other:?}"
            )))
        }
    };
    let prefix = prefix.unwrap_or_default().trim_matches('/').to_owned();
    if !prefix.is_empty()
        && prefix
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(invalid("prefix must not have empty, '.' or '..' segments"));
    }
    let sse = server_side_encryption(sse, kms_key_id, bucket_key).map_err(|why| invalid(&why))?;
    Ok(S3Url {
        bucket: bucket.to_owned(),
        region,
        endpoint,
        path_style,
        prefix,
        sse,
    })
}

fn server_side_encryption(
    algorithm: Option<String>,
    kms_key_id: Option<String>,
    bucket_key: Option<String>,
) -> Result<Option<Sse>, String> {
    let Some(algorithm) = algorithm else {
        if kms_key_id.is_some() || bucket_key.is_some() {
            return Err("sse_kms_key_id and sse_bucket_key_enabled need sse=aws:kms".into());
        }
        return Ok(None);
    };
    let algorithm = match algorithm.as_str() {
        "AES256" | "aes256" => "AES256",
        "aws:kms" => "aws:kms",
        "aws:kms:dsse" => "aws:kms:dsse",
        other => {
            return Err(format!(
                "sse must be AES256, aws:kms or aws:kms:dsse, not {other:?}"
            ))
        }
    };
    if algorithm == "AES256" && kms_key_id.is_some() {
        return Err("sse_kms_key_id names a KMS key: use it with sse=aws:kms".into());
    }
    if kms_key_id.as_deref() == Some("") {
        return Err("sse_kms_key_id cannot be empty".into());
    }
    let bucket_key_enabled = match bucket_key.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(format!(
                "sse_bucket_key_enabled must be true or false, not {other:?}"
            ))
        }
    };
    Ok(Some(Sse {
        algorithm: algorithm.to_owned(),
        kms_key_id,
        bucket_key_enabled,
    }))
}

/// S3's bucket naming rules (the ones that matter for a URL): 3 to 63 lowercase letters, digits, `-` and
/// `.`, starting and ending with a letter or digit.
fn check_bucket(bucket: &str) -> Result<(), String> {
    let allowed = bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let edges = bucket
        .bytes()
        .next()
        .zip(bucket.bytes().last())
        .is_some_and(|(first, last)| first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric());
    if (3..=63).contains(&bucket.len()) && allowed && edges {
        Ok(())
    } else {
        Err("the bucket name must have 3 to 63 lowercase letters, digits, '-' or '.'".into())
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape or non-UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_every_parameter() {
        let url = parse(
            "s3://media?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000&path_style=false&prefix=/tenant/a/",
        )
        .unwrap();
        assert_eq!(
            url,
            S3Url {
                bucket: "media".into(),
                region: Some("eu-west-1".into()),
                endpoint: Some("http://127.0.0.1:9000".into()),
                path_style: false,
                prefix: "tenant/a".into(),
                sse: None,
            }
        );
    }

    #[test]
    fn server_side_encryption_follows_object_stores_names() {
        assert_eq!(parse("s3://media").unwrap().sse, None);
        let sse = parse("s3://media?sse=AES256").unwrap().sse.unwrap();
        assert_eq!((sse.algorithm.as_str(), sse.kms_key_id), ("AES256", None));
        let kms = parse(
            "s3://media?server_side_encryption=aws:kms&sse_kms_key_id=arn%3Aaws%3Akms%3Aeu-west-1%3A1%3Akey%2Fk&sse_bucket_key_enabled=true",
        )
        .unwrap()
        .sse
        .unwrap();
        assert_eq!(kms.algorithm, "aws:kms");
        assert_eq!(
            kms.kms_key_id.as_deref(),
            Some("arn:aws:kms:eu-west-1:1:key/k")
        );
        assert_eq!(kms.bucket_key_enabled, Some(true));
        for (bad, why) in [
            ("s3://media?sse=sse-c", "AES256, aws:kms"),
            ("s3://media?sse=AES256&sse_kms_key_id=k", "with sse=aws:kms"),
            ("s3://media?sse_kms_key_id=k", "need sse=aws:kms"),
            ("s3://media?sse=aws:kms&sse_kms_key_id=", "empty"),
            (
                "s3://media?sse=aws:kms&sse_bucket_key_enabled=yes",
                "true or false",
            ),
            (
                "s3://media?sse=AES256&server_side_encryption=AES256",
                "twice",
            ),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn path_style_follows_the_endpoint_unless_told() {
        assert!(!parse("s3://media").unwrap().path_style);
        assert!(
            parse("s3://media?endpoint=http://minio:9000")
                .unwrap()
                .path_style
        );
        assert!(parse("s3://media?path_style=true").unwrap().path_style);
        assert_eq!(parse("s3://media").unwrap().prefix, "");
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for (bad, why) in [
            ("file:///x", "expected s3://"),
            ("s3://Media", "bucket name"),
            ("s3://ab", "bucket name"),
            ("s3://-ab", "bucket name"),
            ("s3://media?acl=public", "\"acl\""),
            ("s3://media?prefix=a&prefix=b", "twice"),
            ("s3://media?path_style=yes", "true or false"),
            ("s3://media?endpoint=minio:9000", "http://"),
            ("s3://media?prefix=a//b", "segments"),
            ("s3://media?prefix=../x", "segments"),
            ("s3://media?region=", "empty"),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
