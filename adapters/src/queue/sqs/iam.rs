//! The SQS calls of this queue, as IAM actions, on the queues of the product's topics.
//!
//! - The transform role never touches a queue: it gets none of these.
//! - The API and worker roles resolve queue URLs (`GetQueueUrl`) and publish (`SendMessage`: the API's
//!   outbox relay; the worker's follow-up jobs, such as the AVIF encode after processing), and `ping`
//!   lists queues (`ListQueues`, which IAM grants only on `*`).
//! - The API role samples the queues' depth for its gauges (`GetQueueAttributes`, see `depth`).
//! - Only the worker receives (`ReceiveMessage`), extends and gives back leases
//!   (`ChangeMessageVisibility`, batched or not) and acknowledges (`DeleteMessage`).
//! - Migrations create the queues and their dead letters and set their attributes (`CreateQueue`,
//!   `GetQueueAttributes` for the dead letters' ARN, `SetQueueAttributes`). Dead letters are moved by SQS
//!   itself, so at run time no role touches a dead-letter queue.

use crate::iam::{actions, PolicyTarget, Statement};

use super::{names, url};

const BOTH: &[&str] = &["sqs:GetQueueUrl", "sqs:SendMessage"];
/// The depth gauges, sampled by the API role only (`server/src/queue_gauges.rs`).
const API: &[&str] = &["sqs:GetQueueAttributes"];
const WORKER: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
];
const MIGRATE: &[&str] = &[
    "sqs:GetQueueUrl",
    "sqs:CreateQueue",
    "sqs:GetQueueAttributes",
    "sqs:SetQueueAttributes",
];

/// The statements the queue of `sqs_url` needs.
pub fn iam_statements(sqs_url: &str, target: &PolicyTarget) -> Result<Vec<Statement>, String> {
    let url = url::parse(sqs_url).map_err(|e| e.to_string())?;
    let region = target.region(url.location.region.as_deref(), "sqs")?;
    let account = target.account("SQS queue")?;
    let arn = |name: &str| format!("arn:aws:sqs:{region}:{account}:{name}");
    let mut main = Vec::new();
    let mut dead = Vec::new();
    for topic in darkroom_core::domain::all_topics() {
        let queues = names::for_topic(&url.prefix, topic).map_err(|e| e.to_string())?;
        main.push(arn(&queues.main));
        dead.push(arn(&queues.dead));
    }
    // Not the transform role: it neither publishes nor consumes (and its readiness skips the queue).
    let runs = target.api || target.worker;
    let mut statements = Vec::new();
    statements.extend(Statement::allow(
        "DarkroomQueues",
        actions(&[(runs, BOTH), (target.api, API), (target.worker, WORKER)]),
        main.clone(),
    ));
    statements.extend(Statement::allow(
        "DarkroomQueueSetUp",
        actions(&[(target.migrate, MIGRATE)]),
        main.into_iter().chain(dead).collect(),
    ));
    // `ping` (readiness): IAM has no resource for ListQueues but `*`.
    statements.extend(Statement::allow(
        "DarkroomQueueReadiness",
        actions(&[(runs, &["sqs:ListQueues"])]),
        vec!["*".to_owned()],
    ));
    Ok(statements)
}
