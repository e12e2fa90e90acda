//! Leases: which replica runs a scheduled pass (upload expiry now; archive, purge and the janitor later).

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DbError;

/// Named, time-bound leases held by one holder at a time.
///
/// # Contract
/// - `acquire_lease(name, holder, now, ttl)` gives `holder` the lease `name` until `now + ttl` and answers
///   `true` when nobody holds it, when its holder's time ran out (at or before `now`), or when `holder`
///   already holds it (a renewal). Otherwise it answers `false` and changes nothing. Of concurrent callers
///   for a free lease, exactly one gets it.
/// - `release_lease(name, holder)` ends `holder`'s lease at once; it does nothing to a lease someone else
///   holds, or to none.
#[async_trait]
pub trait LeaseRepository: Send + Sync + Debug {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, DbError>;

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), DbError>;
}
