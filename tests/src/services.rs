//! Where the shared-backend suites find their servers: `DARKROOM_TEST_*` variables (documented in the
//! README). A suite whose server is not configured skips with a line saying so, and leaves a marker file;
//! under CI (`CI=true`) it fails instead, because in CI no backend suite may skip.

use std::path::PathBuf;

/// `DARKROOM_TEST_POSTGRES_URL`, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_URL: &str = "DARKROOM_TEST_POSTGRES_URL";
/// `DARKROOM_TEST_REDIS_URL`, e.g. `redis://127.0.0.1:6379`.
pub const REDIS_URL: &str = "DARKROOM_TEST_REDIS_URL";
/// `DARKROOM_TEST_NATS_URL`, e.g. `nats://127.0.0.1:4222` (JetStream enabled).
pub const NATS_URL: &str = "DARKROOM_TEST_NATS_URL";
/// `DARKROOM_TEST_AMQP_URL`, e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`.
pub const AMQP_URL: &str = "DARKROOM_TEST_AMQP_URL";
/// `DARKROOM_TEST_AWS_ENDPOINT`, an S3/SQS/DynamoDB endpoint, e.g. moto at `http://127.0.0.1:4566`.
/// Credentials and region come from the usual `AWS_*` variables (any values work with moto).
pub const AWS_ENDPOINT: &str = "DARKROOM_TEST_AWS_ENDPOINT";

/// The value of `var`, or `None` after reporting the skip. Panics under CI when unset.
pub fn require(var: &str, suite: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !ci,
                "{suite}: {var} is not set, and in CI no backend suite may skip"
            );
            eprintln!("DARKROOM_SUITE_SKIPPED: {suite} (set {var} to run it)");
            mark_skipped(suite);
            None
        }
    }
}

/// Leaves `target/darkroom-skipped/<suite>`, which `scripts/test` reports.
fn mark_skipped(suite: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/darkroom-skipped");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(suite), b"skipped\n");
}

/// A name no other test uses, for schemas, tables, buckets, key prefixes, queues and streams.
/// Lowercase letters, digits and `_`; starts with a letter; short enough for every backend's rules.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
        .chars()
        .take(48)
        .collect::<String>()
        .to_lowercase()
}
