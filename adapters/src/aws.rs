//! What the AWS adapters (DynamoDB, SQS) share: the `?region=…&endpoint=…` part of their URLs and the SDK
//! configuration built from it.

use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// A refused connection should fail start-up within seconds, not after the SDK's long default.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The SDK's standard retries, bounded so a dead endpoint is reported rather than waited on.
const MAX_ATTEMPTS: u32 = 3;

/// Where an AWS service is: both optional. Without a region the AWS provider chain decides (`AWS_REGION`,
/// the profile, instance metadata); without an endpoint the SDK's default (real AWS) is used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AwsLocation {
    pub region: Option<String>,
    pub endpoint: Option<String>,
}

impl AwsLocation {
    /// Parses a URL's query: `region` and `endpoint`, each at most once, percent-decoded, non-empty; the
    /// endpoint an http(s) URL. The error says why, for the caller to wrap with the URL.
    pub fn from_query(query: &str) -> Result<Self, String> {
        let mut location = Self::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(raw).ok_or_else(|| format!("bad escape in {key}"))?;
            if value.is_empty() {
                return Err(format!("{key} is empty"));
            }
            let slot = match key {
                "region" => &mut location.region,
                "endpoint" => &mut location.endpoint,
                other => {
                    return Err(format!(
                        "unknown parameter {other:?} (expected region, endpoint)"
                    ))
                }
            };
            if slot.replace(value).is_some() {
                return Err(format!("{key} is given twice"));
            }
        }
        if let Some(endpoint) = &location.endpoint {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err("endpoint must be an http:// or https:// url".into());
            }
        }
        Ok(location)
    }

    /// The SDK configuration for this location: credentials from the provider chain, a short connect
    /// timeout, `attempt_timeout` per attempt and a bounded number of attempts.
    pub async fn sdk_config(&self, attempt_timeout: Duration) -> SdkConfig {
        let region = match &self.region {
            Some(region) => RegionProviderChain::first_try(Region::new(region.clone())),
            None => RegionProviderChain::default_provider().or_else("us-east-1"),
        };
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(attempt_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(endpoint) = &self.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        loader.load().await
    }
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
