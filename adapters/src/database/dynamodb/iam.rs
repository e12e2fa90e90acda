//! The DynamoDB calls of this database (and of the search index in the same table), as IAM actions, on
//! its one table (it has no secondary indexes).
//!
//! Every role reads and writes items (the API every use case; the worker processing results, fan-out,
//! notifications, the search read model, leases and purges; the transform role image rows and an archived
//! original's read), so all get the same item actions: the single-item calls, `Query`, the batch calls
//! (`BatchGetItem` for listings, `BatchWriteItem` for purges and timeline trims), and, for
//! `TransactWriteItems`, IAM's per-item actions with `ConditionCheckItem`. Migrations describe and
//! create the table.

use crate::iam::{actions, PolicyTarget, Statement};

use super::url;

const ITEMS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
];
const MIGRATE: &[&str] = &["dynamodb:DescribeTable", "dynamodb:CreateTable"];

/// The statements the database of `dynamodb_url` needs.
pub fn iam_statements(dynamodb_url: &str, target: &PolicyTarget) -> Result<Vec<Statement>, String> {
    let url = url::parse(dynamodb_url).map_err(|e| e.to_string())?;
    let region = target.region(url.location.region.as_deref(), "dynamodb")?;
    let table = format!(
        "arn:aws:dynamodb:{region}:{}:table/{}",
        target.account("DynamoDB table")?,
        url.table
    );
    let runs = target.uses_data();
    let mut statements = Vec::new();
    statements.extend(Statement::allow(
        "DarkroomTable",
        actions(&[(runs, ITEMS)]),
        vec![table.clone()],
    ));
    statements.extend(Statement::allow(
        "DarkroomTableSetUp",
        actions(&[(target.migrate, MIGRATE)]),
        vec![table],
    ));
    Ok(statements)
}
