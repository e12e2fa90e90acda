//! Whether the database answers, for `/readyz` and start-up.

use std::fmt::Debug;

use async_trait::async_trait;

use super::DbError;

/// The database as a whole: its name and a liveness check. Repositories are separate traits; this one is
/// what the composition root keeps to report readiness.
///
/// # Contract
/// - `backend` is a short constant name (`sqlite`, `postgres`, `dynamodb`).
/// - `ping` succeeds when the database can serve a statement now, and answers `Unavailable` otherwise.
#[async_trait]
pub trait DatabaseHealth: Send + Sync + Debug {
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<(), DbError>;
}
