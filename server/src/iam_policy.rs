//! `darkroom iam-policy`: the least-privilege AWS IAM policy for the configured AWS backends (the S3
//! bucket and prefix with its KMS key, the SQS queues, the DynamoDB table), for one role or both. Each
//! adapter says which calls its code makes (`darkroom_adapters::iam`); this puts them in one document.

use anyhow::bail;
use serde_json::json;

use crate::config::{Config, Role};

/// The scheme of a backend URL (`s3` of `s3://…`).
fn scheme_of(url: &str) -> &str {
    url.split_once(':').map_or(url, |(scheme, _)| scheme)
}

/// The policy document for `role` under `config`. `account` names SQS, DynamoDB and KMS ARNs.
#[cfg(any(feature = "s3", feature = "sqs", feature = "dynamodb"))]
pub fn document(
    config: &Config,
    role: Role,
    account: Option<String>,
) -> anyhow::Result<serde_json::Value> {
    use darkroom_adapters::iam::PolicyTarget;
    let target = PolicyTarget {
        api: role.serves_api(),
        worker: role.runs_worker(),
        // The API's own route included: it needs nothing a transform replica does not already have.
        transform: role.serves_transforms(),
        migrate: config.auto_migrate,
        account: account.filter(|a| !a.is_empty()),
        default_region: ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty())),
    };
    let mut statements = Vec::new();
    let storage = config.storage_url();
    if scheme_of(&storage) == "s3" {
        statements.extend(s3(&storage, &target)?);
    }
    if scheme_of(&config.queue_url) == "sqs" {
        statements.extend(sqs(&config.queue_url, &target)?);
    }
    let database = config.database_url();
    if scheme_of(&database) == "dynamodb" {
        statements.extend(dynamodb(&database, &target)?);
    }
    if statements.is_empty() {
        bail!("no AWS backend is configured (storage s3://, queue sqs://, database dynamodb://)");
    }
    Ok(json!({ "Version": "2012-10-17", "Statement": statements }))
}

#[cfg(not(any(feature = "s3", feature = "sqs", feature = "dynamodb")))]
pub fn document(
    _config: &Config,
    _role: Role,
    _account: Option<String>,
) -> anyhow::Result<serde_json::Value> {
    bail!("this build has no AWS backend (features s3, sqs, dynamodb)")
}

#[cfg(any(feature = "s3", feature = "sqs", feature = "dynamodb"))]
type Statements = anyhow::Result<Vec<darkroom_adapters::iam::Statement>>;

#[cfg(feature = "s3")]
fn s3(url: &str, target: &darkroom_adapters::iam::PolicyTarget) -> Statements {
    darkroom_adapters::storage::s3::iam::iam_statements(url, target)
        .map_err(|e| anyhow::anyhow!("storage: {e}"))
}

#[cfg(all(not(feature = "s3"), any(feature = "sqs", feature = "dynamodb")))]
fn s3(_url: &str, _target: &darkroom_adapters::iam::PolicyTarget) -> Statements {
    bail!("s3 storage needs the `s3` feature")
}

#[cfg(feature = "sqs")]
fn sqs(url: &str, target: &darkroom_adapters::iam::PolicyTarget) -> Statements {
    darkroom_adapters::queue::sqs::iam::iam_statements(url, target)
        .map_err(|e| anyhow::anyhow!("queue: {e}"))
}

#[cfg(all(not(feature = "sqs"), any(feature = "s3", feature = "dynamodb")))]
fn sqs(_url: &str, _target: &darkroom_adapters::iam::PolicyTarget) -> Statements {
    bail!("the sqs queue needs the `sqs` feature")
}

#[cfg(feature = "dynamodb")]
fn dynamodb(url: &str, target: &darkroom_adapters::iam::PolicyTarget) -> Statements {
    darkroom_adapters::database::dynamodb::iam::iam_statements(url, target)
        .map_err(|e| anyhow::anyhow!("database: {e}"))
}

#[cfg(all(not(feature = "dynamodb"), any(feature = "s3", feature = "sqs")))]
fn dynamodb(_url: &str, _target: &darkroom_adapters::iam::PolicyTarget) -> Statements {
    bail!("the dynamodb database needs the `dynamodb` feature")
}

#[cfg(all(test, feature = "s3", feature = "sqs", feature = "dynamodb"))]
mod tests;
