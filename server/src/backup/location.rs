//! Where a backup goes and comes from: a directory, or `s3://BUCKET/PREFIX?region=…&endpoint=…&path_style=…`
//! (the storage URL's parameters and credentials: see `s3`).

use std::path::PathBuf;

use anyhow::bail;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    /// The storage URL (`s3://BUCKET?…&prefix=PREFIX`) of the backup's prefix.
    S3(String),
}

impl Location {
    /// `s3://…` is S3 (the path after the bucket is the prefix); anything else is a directory.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        match raw.strip_prefix("s3://") {
            Some(rest) => Ok(Self::S3(storage_url(rest)?)),
            None if raw.contains("://") => {
                bail!("{raw:?}: a backup goes to a directory or to s3://BUCKET/PREFIX")
            }
            None => Ok(Self::Dir(PathBuf::from(raw))),
        }
    }
}

/// `BUCKET/PREFIX?QUERY` as the storage adapter's URL, `s3://BUCKET?QUERY&prefix=PREFIX`: the same parser
/// (and so the same parameters, checks and credentials) as `storage_url`.
fn storage_url(rest: &str) -> anyhow::Result<String> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
    let prefix = prefix.trim_matches('/');
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let named_prefix = params
        .iter()
        .any(|p| p.split_once('=').map_or(*p, |(k, _)| k) == "prefix");
    if named_prefix && !prefix.is_empty() {
        bail!("give the backup's prefix once: s3://BUCKET/PREFIX or ?prefix=, not both");
    }
    let encoded;
    if !prefix.is_empty() {
        // The storage URL's values are percent-decoded: escape what would end or alter the value.
        encoded = format!(
            "prefix={}",
            prefix
                .replace('%', "%25")
                .replace('&', "%26")
                .replace('#', "%23")
        );
        params.push(&encoded);
    }
    Ok(if params.is_empty() {
        format!("s3://{bucket}")
    } else {
        format!("s3://{bucket}?{}", params.join("&"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_locations_become_storage_urls_with_their_prefix() {
        let s3 = |raw: &str| match Location::parse(raw).unwrap() {
            Location::S3(url) => url,
            Location::Dir(dir) => panic!("{raw} read as {dir:?}"),
        };
        assert_eq!(s3("s3://backups"), "s3://backups");
        assert_eq!(
            s3("s3://backups/nightly/2026-12-01/"),
            "s3://backups?prefix=nightly/2026-12-01"
        );
        assert_eq!(
            s3("s3://backups/a%b?endpoint=http://127.0.0.1:5000&region=us-east-1"),
            "s3://backups?endpoint=http://127.0.0.1:5000&region=us-east-1&prefix=a%25b"
        );
        assert_eq!(s3("s3://backups?prefix=x"), "s3://backups?prefix=x");
        assert_eq!(
            Location::parse("/var/backups/x").unwrap(),
            Location::Dir(PathBuf::from("/var/backups/x"))
        );
    }

    #[test]
    fn ambiguous_or_foreign_locations_are_refused() {
        for bad in ["s3://backups/a?prefix=b", "gs://backups/a", "file:///x"] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }
}
