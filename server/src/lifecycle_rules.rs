//! `darkroom lifecycle s3-rules`: the S3 lifecycle configuration matching Darkroom's own passes, for
//! operators who would rather have the bucket do the work (apply it with
//! `aws s3api put-bucket-lifecycle-configuration --bucket B --lifecycle-configuration file://rules.json`).
//!
//! - Originals transition to `archive_storage_class` after `archive_after_days`. S3 counts those days
//!   from each object's creation, never from its last read, as Darkroom's archive pass does: an original
//!   read every day still moves. And S3 cannot tell an original from a variant by its key (both live under
//!   `images/{id}/`), so the rule matches the tag `darkroom-blob=original`, which Darkroom does not write
//!   yet: until it does, the pass is the way to archive originals only.
//! - Nothing Darkroom still references expires: only noncurrent versions (after `retention_days`, the
//!   compliance window) and expired delete markers, on versioned buckets.
//! - Multipart uploads abandoned for a day are aborted.

use serde_json::{json, Value};

use crate::config::Config;

/// The tag the transition rule matches.
pub const ORIGINAL_TAG: (&str, &str) = ("darkroom-blob", "original");

/// The lifecycle configuration for the configured bucket and prefix, and the notes an operator must read
/// before applying it.
pub fn s3_rules(config: &Config) -> anyhow::Result<(Value, Vec<String>)> {
    let storage_url = config.storage_url();
    let Some(rest) = storage_url.strip_prefix("s3://") else {
        anyhow::bail!("storage_url is not s3://…: lifecycle rules are for S3 buckets");
    };
    let prefix = query_param(rest, "prefix")
        .map(|p| format!("{}/", p.trim_matches('/')))
        .filter(|p| p != "/")
        .unwrap_or_default();
    let class = config.archive_storage_class.trim().to_ascii_uppercase();
    anyhow::ensure!(
        crate::backends::archive::ARCHIVE_CLASSES.contains(&class.as_str()),
        "archive_storage_class: {class:?} is not an archive class"
    );
    let mut rules = Vec::new();
    let mut notes = vec![
        "S3 counts a transition's days from each object's creation, not from its last read: an original \
         read every day still moves after archive_after_days (Darkroom's archive pass counts from the last \
         read)."
            .to_owned(),
    ];
    if config.archive_after_days > 0 {
        rules.push(json!({
            "ID": "darkroom-archive-originals",
            "Status": "Enabled",
            "Filter": {"And": {
                "Prefix": format!("{prefix}images/"),
                "Tags": [{"Key": ORIGINAL_TAG.0, "Value": ORIGINAL_TAG.1}],
            }},
            "Transitions": [{"Days": config.archive_after_days, "StorageClass": class}],
        }));
        notes.push(format!(
            "Originals and variants share images/{{id}}/, so the transition matches the tag {}={}; \
             Darkroom does not tag originals yet, so this rule moves nothing until it does. Variants \
             must stay in STANDARD.",
            ORIGINAL_TAG.0, ORIGINAL_TAG.1
        ));
        if crate::backends::archive::ARCHIVE_CLASSES[4..].contains(&class.as_str()) {
            notes.push(format!(
                "{class} needs a restore before a read: downloadOriginal answers 202 with Retry-After \
                 until it is done."
            ));
        }
    } else {
        notes.push("archive_after_days is 0: no transition rule.".to_owned());
    }
    rules.push(json!({
        "ID": "darkroom-expire-unreferenced",
        "Status": "Enabled",
        "Filter": {"Prefix": prefix},
        "NoncurrentVersionExpiration": {"NoncurrentDays": config.retention_days.max(1)},
        "Expiration": {"ExpiredObjectDeleteMarker": true},
    }));
    rules.push(json!({
        "ID": "darkroom-abort-incomplete-multipart-uploads",
        "Status": "Enabled",
        "Filter": {"Prefix": prefix},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }));
    Ok((json!({ "Rules": rules }), notes))
}

/// The raw value of `name` in the query of `bucket?a=b&…` (prefixes are plain path words).
fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn rules_follow_the_config_and_refuse_other_storage() {
        let config = Config {
            storage_url: Some("s3://media?region=eu-west-1&prefix=prod".into()),
            archive_after_days: 30,
            archive_storage_class: "glacier".into(),
            ..Config::default()
        };
        let (rules, notes) = s3_rules(&config).unwrap();
        let rules = rules["Rules"].as_array().unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0]["Transitions"][0]["Days"], 30);
        assert_eq!(rules[0]["Transitions"][0]["StorageClass"], "GLACIER");
        assert_eq!(rules[0]["Filter"]["And"]["Prefix"], "prod/images/");
        assert_eq!(rules[2]["Filter"]["Prefix"], "prod/");
        assert!(notes.iter().any(|n| n.contains("202")));
        assert!(s3_rules(&Config::default()).is_err(), "local storage");
        let off = Config {
            archive_after_days: 0,
            ..config
        };
        assert_eq!(
            s3_rules(&off).unwrap().0["Rules"].as_array().unwrap().len(),
            2
        );
    }
}
