//! argon2id password hashing, off the async runtime (each hash costs tens of milliseconds of CPU).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;

use crate::domain::Password;
use crate::services::ServiceError;

/// A PHC string of a password nobody has: verified against when the account does not exist, so that
/// "no such user" and "wrong password" take the same time.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2b8Ffz3mC1tJGJ0Y8m6pWkqX0yKZ4d2m4G0m8iYJv0U";

/// argon2id with the crate's defaults (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Default)]
pub struct PasswordHasher;

impl PasswordHasher {
    pub async fn hash(&self, password: Password) -> Result<String, ServiceError> {
        tokio::task::spawn_blocking(move || {
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
        tokio::task::spawn_blocking(move || {
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
        let hasher = PasswordHasher;
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
        assert!(!PasswordHasher
            .verify("anything at all".into(), None)
            .await
            .unwrap());
    }
}
