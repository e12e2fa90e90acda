//! Second factors for login: an account's TOTP secret and its recovery codes.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DbError;
use crate::domain::UserId;

/// An account's TOTP factor as stored: pending until a first code confirms it, enabled after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTotp {
    /// The secret as the service sealed it (opaque here).
    pub sealed_secret: String,
    pub enabled: bool,
    /// The last time step whose code was accepted (`None` before any was); a code of this step or an
    /// earlier one is never accepted again.
    pub last_step: Option<i64>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
}

/// TOTP factors and recovery codes, one factor per account.
///
/// # Contract
/// - `begin_totp` stores a pending factor, replacing a pending one (a restarted enrolment), and answers
///   false, writing nothing, when the account's factor is enabled.
/// - `enable_totp` enables the pending factor only while its secret is still `sealed_secret` (an enrolment
///   restarted meanwhile wins), recording `step` as its last accepted step and `recovery_code_hashes` as
///   its recovery codes, all at once; false, writing nothing, otherwise (no factor, another secret, or
///   already enabled).
/// - `accept_totp_step` records `step` when the factor is enabled and `step` is later than its last
///   accepted one, and answers whether it did: of two calls with one step, exactly one gets true.
/// - `consume_recovery_code` removes one unused code of an enabled factor and answers whether there was
///   one: of two calls with one code, exactly one gets true.
/// - `remove_totp` removes the factor and its codes; false when there was none.
/// - Another account's factor is never read or changed.
#[async_trait]
pub trait SecondFactorRepository: Send + Sync + Debug {
    async fn totp(&self, user: UserId) -> Result<Option<StoredTotp>, DbError>;
    async fn begin_totp(
        &self,
        user: UserId,
        sealed_secret: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, DbError>;
    async fn enable_totp(
        &self,
        user: UserId,
        sealed_secret: &str,
        step: i64,
        recovery_code_hashes: &[String],
    ) -> Result<bool, DbError>;
    async fn accept_totp_step(&self, user: UserId, step: i64) -> Result<bool, DbError>;
    async fn consume_recovery_code(&self, user: UserId, code_hash: &str) -> Result<bool, DbError>;
    async fn remove_totp(&self, user: UserId) -> Result<bool, DbError>;
}
