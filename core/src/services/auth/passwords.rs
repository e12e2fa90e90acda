//! argon2id password hashing, off the async runtime (each hash costs tens of milliseconds of CPU and
//! 19 MiB of memory), at most `concurrency` at once: without a bound, 64 concurrent logins grew the server
//! by up to a GiB. Hashes past the bound wait briefly for a turn, then are refused as `Busy`.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::Password;
use crate::services::ServiceError;

/// A PHC string of a password nobody has: verified against when the account does not exist, so that
/// "no such user" and "wrong password" take the same time.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2b8Ffz3mC1tJGJ0Y8m6pWkqX0yKZ4d2m4G0m8iYJv0U";

/// How many hashes run at once, and how long one waits for a turn before it is refused.
#[derive(Debug, Clone, Copy)]
pub struct PasswordHashing {
    pub concurrency: usize,
    pub wait: Duration,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        Self {
            concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            wait: Duration::from_secs(3),
        }
    }
}

/// argon2id with the crate's defaults (OWASP's minimum: 19 MiB, 2 passes, 1 lane), bounded.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    turns: Arc<Semaphore>,
    wait: Duration,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new(PasswordHashing::default())
    }
}

impl PasswordHasher {
    pub fn new(settings: PasswordHashing) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            wait: settings.wait,
        }
    }

    /// A turn to hash; held by the blocking task, so a hash whose request was dropped still counts until
    /// it ends.
    async fn turn(&self) -> Result<OwnedSemaphorePermit, ServiceError> {
        match tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(ServiceError::Internal("the hashing pool is closed".into())),
            Err(_) => {
                metrics::counter!("password_hashes_refused_total").increment(1);
                Err(ServiceError::Busy)
            }
        }
    }

    pub async fn hash(&self, password: Password) -> Result<String, ServiceError> {
        let turn = self.turn().await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("password hashing task failed: {e}")))?
    }

    /// True when `password` matches `hash`; with no hash, checks against the decoy and answers false.
    pub async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, ServiceError> {
        let turn = self.turn().await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let known = hash.is_some();
            let phc = hash.unwrap_or_else(|| DECOY_HASH.to_owned());
            let matches = PasswordHash::new(&phc)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            known && matches
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("password check task failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hasher = PasswordHasher::default();
        let hash = hasher
            .hash(Password::parse("correct horse battery").unwrap())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher
            .verify("correct horse battery".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse battery".into(), Some(hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        assert!(
            PasswordHash::new(DECOY_HASH).is_ok(),
            "the decoy must parse or it would cost nothing"
        );
        assert!(!PasswordHasher::default()
            .verify("anything at all".into(), None)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn hashes_past_the_bound_wait_then_are_refused() {
        let hasher = PasswordHasher::new(PasswordHashing {
            concurrency: 1,
            wait: Duration::from_millis(1),
        });
        let held = hasher.turn().await.unwrap();
        assert!(matches!(
            hasher.verify("anything at all".into(), None).await,
            Err(ServiceError::Busy)
        ));
        drop(held);
        assert!(!hasher.verify("anything at all".into(), None).await.unwrap());
    }
}
