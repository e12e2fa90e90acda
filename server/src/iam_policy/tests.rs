#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use serde_json::Value;

use super::*;

const ACCOUNT: &str = "123456789012";
const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn aws_config(auto_migrate: bool) -> Config {
    Config {
        storage_url: Some(format!(
            "s3://media-bucket?region=eu-west-1&prefix=tenant&sse=aws:kms&sse_kms_key_id={KEY}"
        )),
        queue_url: "sqs://darkroom?region=eu-west-1".into(),
        database_url: Some("dynamodb://darkroom-table?region=eu-west-1".into()),
        auto_migrate,
        ..Config::default()
    }
}

/// The document printed and parsed back, as the command's output would be.
fn printed(config: &Config, role: Role) -> Value {
    let document = document(config, role, Some(ACCOUNT.into())).unwrap();
    serde_json::from_str(&serde_json::to_string_pretty(&document).unwrap()).unwrap()
}

fn statements(document: &Value) -> &Vec<Value> {
    assert_eq!(document["Version"], "2012-10-17");
    document["Statement"].as_array().unwrap()
}

fn actions(document: &Value) -> BTreeSet<String> {
    statements(document)
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter())
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_resource_is_a_configured_one_and_star_only_where_aws_requires_it() {
    for role in [Role::Api, Role::Worker, Role::Transform, Role::All] {
        for migrate in [false, true] {
            let document = printed(&aws_config(migrate), role);
            for statement in statements(&document) {
                assert_eq!(statement["Effect"], "Allow");
                let actions: Vec<&str> = statement["Action"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                assert!(!actions.is_empty());
                for resource in statement["Resource"].as_array().unwrap() {
                    let resource = resource.as_str().unwrap();
                    let ours = resource == "arn:aws:s3:::media-bucket"
                        || resource == "arn:aws:s3:::media-bucket/tenant/*"
                        || resource == KEY
                        || resource
                            == format!("arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/darkroom-table")
                        || (resource
                            .starts_with(&format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:darkroom-"))
                            && resource.ends_with(".fifo"));
                    // ListQueues has no resource type: IAM grants it on `*` only.
                    let required_star = resource == "*" && actions == ["sqs:ListQueues"];
                    assert!(
                        ours || required_star,
                        "{role:?}: {resource} for {actions:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_worker_and_the_api_get_the_calls_their_code_makes() {
    let api = actions(&printed(&aws_config(false), Role::Api));
    let worker = actions(&printed(&aws_config(false), Role::Worker));
    let all = actions(&printed(&aws_config(false), Role::All));
    // Only the worker takes jobs; both publish (the relay, follow-up jobs).
    for consuming in [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    ] {
        assert!(
            worker.contains(consuming) && !api.contains(consuming),
            "{consuming}"
        );
    }
    // The API role samples the queue depth gauges; the worker has no use for the attributes at run time.
    assert!(api.contains("sqs:GetQueueAttributes"));
    assert!(!worker.contains("sqs:GetQueueAttributes"));
    for shared in [
        "sqs:SendMessage",
        "s3:GetObject",
        "s3:PutObject",
        "dynamodb:Query",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    ] {
        assert!(api.contains(shared) && worker.contains(shared), "{shared}");
    }
    assert_ne!(api, worker);
    assert_eq!(all, api.union(&worker).cloned().collect::<BTreeSet<_>>());
    // Without auto_migrate nothing is created at run time, so nothing may be.
    for creating in ["s3:CreateBucket", "sqs:CreateQueue", "dynamodb:CreateTable"] {
        assert!(!all.contains(creating), "{creating}");
        assert!(actions(&printed(&aws_config(true), Role::Api)).contains(creating));
    }
    // Listing is held to the prefix when no migration needs the whole bucket.
    let document = printed(&aws_config(false), Role::Api);
    let listing = statements(&document)
        .iter()
        .find(|s| s["Action"][0] == "s3:ListBucket")
        .unwrap();
    assert_eq!(
        listing["Condition"]["StringLike"]["s3:prefix"][0],
        "tenant/*"
    );
}

#[test]
fn the_transform_role_gets_blobs_and_rows_but_no_queue() {
    let transform = actions(&printed(&aws_config(false), Role::Transform));
    let api = actions(&printed(&aws_config(false), Role::Api));
    for needed in [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    ] {
        assert!(transform.contains(needed), "{needed}");
    }
    assert!(
        transform.iter().all(|action| !action.starts_with("sqs:")),
        "{transform:?}"
    );
    assert!(transform.is_subset(&api), "{transform:?} beyond {api:?}");
}

#[test]
fn what_cannot_be_named_is_an_error_not_a_wildcard() {
    let config = aws_config(false);
    let err = document(&config, Role::Api, None).unwrap_err().to_string();
    assert!(err.contains("--account-id"), "{err}");
    let embedded = Config::default();
    let err = document(&embedded, Role::All, Some(ACCOUNT.into()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no AWS backend"), "{err}");
    let alias = Config {
        storage_url: Some(
            "s3://media-bucket?region=eu-west-1&sse=aws:kms&sse_kms_key_id=alias/mine".into(),
        ),
        ..Config::default()
    };
    let err = document(&alias, Role::Api, Some(ACCOUNT.into()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("alias"), "{err}");
}
