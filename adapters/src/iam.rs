//! Least-privilege AWS IAM policy statements: each AWS adapter lists the API actions its own code calls,
//! for which role, on which resources of its URL (`storage::s3::iam`, `queue::sqs::iam`,
//! `database::dynamodb::iam`); `darkroom iam-policy` puts them in one policy document.

use serde::Serialize;

/// Who the policy is for, and what it must know to name resources.
#[derive(Debug, Clone, Default)]
pub struct PolicyTarget {
    /// The API role's calls (HTTP, and the outbox relay's publishing).
    pub api: bool,
    /// The worker role's calls (jobs, the expiry and purge passes).
    pub worker: bool,
    /// The transform role's calls: originals read, results written and checked, image rows read (and an
    /// archived original's read noted); never the queue.
    pub transform: bool,
    /// Whether the role also creates what the backends need at start (`auto_migrate`).
    pub migrate: bool,
    /// The AWS account, which SQS, DynamoDB and KMS key ARNs name.
    pub account: Option<String>,
    /// The region when a URL names none.
    pub default_region: Option<String>,
}

impl PolicyTarget {
    /// Whether the role reads and writes blobs and rows at all (every role does; the flag is off only for
    /// a policy of migrations alone).
    pub(crate) fn uses_data(&self) -> bool {
        self.api || self.worker || self.transform
    }

    pub(crate) fn region(&self, from_url: Option<&str>, service: &str) -> Result<String, String> {
        from_url
            .map(str::to_owned)
            .or_else(|| self.default_region.clone())
            .ok_or_else(|| {
                format!("the {service} url names no region, and neither does AWS_REGION")
            })
    }

    pub(crate) fn account(&self, service: &str) -> Result<&str, String> {
        self.account
            .as_deref()
            .ok_or_else(|| format!("{service} ARNs name the account: pass --account-id"))
    }
}

/// One statement of a policy document, as IAM spells it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: String,
    pub effect: &'static str,
    pub action: Vec<&'static str>,
    pub resource: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<serde_json::Value>,
}

impl Statement {
    /// Allows `action` on `resource`; `None` when there is no action to allow.
    pub(crate) fn allow(
        sid: &str,
        action: Vec<&'static str>,
        resource: Vec<String>,
    ) -> Option<Self> {
        (!action.is_empty()).then(|| Self {
            sid: sid.to_owned(),
            effect: "Allow",
            action,
            resource,
            condition: None,
        })
    }
}

/// `actions` once each, in order, from the groups that apply.
pub(crate) fn actions(groups: &[(bool, &[&'static str])]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (applies, group) in groups {
        if *applies {
            for action in *group {
                if !out.contains(action) {
                    out.push(action);
                }
            }
        }
    }
    out
}
