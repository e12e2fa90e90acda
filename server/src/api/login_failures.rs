//! Brute-force protection for one account: after a burst of failed logins from one client address, each
//! further try from that address must wait its turn (429 with `Retry-After`), the wait set by the
//! `login_lockout_*` quota. Counted per account *and* address, so an attacker elsewhere cannot lock the
//! account's owner out; and the lockout is short and ends by itself.

use std::net::IpAddr;

use darkroom_core::ports::Quota;

use super::problem::ProblemResponse;
use super::rate_limits::RateLimits;

pub struct LoginFailures<'a> {
    limits: &'a RateLimits,
    key: String,
    quota: Option<Quota>,
}

impl<'a> LoginFailures<'a> {
    pub fn new(limits: &'a RateLimits, login: &str, client: Option<IpAddr>) -> Self {
        let client = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        Self {
            limits,
            key: format!("login-failures:{}:{client}", login.trim().to_lowercase()),
            quota: limits.settings.login_failures,
        }
    }

    /// Refuses the attempt while this account and address are locked out.
    pub async fn check(&self) -> Result<(), ProblemResponse> {
        let Some(quota) = self.quota else {
            return Ok(());
        };
        match self.limits.take(&self.key, quota, false).await {
            Some(decision) if !decision.allowed => {
                metrics::counter!("http_login_lockouts_total").increment(1);
                Err(ProblemResponse::too_many_requests(
                    "too many failed logins for this account; try again later",
                    decision.retry_after.as_secs_f64().ceil() as u64,
                ))
            }
            _ => Ok(()),
        }
    }

    pub async fn record(&self) {
        if let Some(quota) = self.quota {
            self.limits.take(&self.key, quota, true).await;
        }
    }
}
