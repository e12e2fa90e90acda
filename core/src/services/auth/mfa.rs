//! Two-factor login with TOTP, the account's side: enrolling (a secret for the app, enabled only once a
//! code from the app confirms it, which hands out the recovery codes), the status, and turning it off
//! (proven by the password and a current code or a recovery code).

use rand::RngCore;

use super::{totp, AuthService};
use crate::domain::{User, UserId};
use crate::ports::StoredTotp;
use crate::services::ServiceError;

/// The issuer an authenticator app shows beside the account.
const ISSUER: &str = "Darkroom";
/// Recovery codes handed out at once.
pub const RECOVERY_CODES: usize = 10;

/// What an app needs to start showing codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    /// The same as an `otpauth://` URI, for a QR code.
    pub otpauth_uri: String,
}

/// Whether an account logs in with a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaStatus {
    pub totp_enabled: bool,
    /// An enrolment was started and not confirmed yet.
    pub totp_pending: bool,
    pub recovery_codes_left: u32,
}

impl AuthService {
    pub async fn mfa_status(&self, user: UserId) -> Result<MfaStatus, ServiceError> {
        let stored = self.second_factors.totp(user).await?;
        Ok(MfaStatus {
            totp_enabled: stored.as_ref().is_some_and(|t| t.enabled),
            totp_pending: stored.as_ref().is_some_and(|t| !t.enabled),
            recovery_codes_left: stored.map_or(0, |t| t.recovery_codes_left),
        })
    }

    /// A fresh secret for `user`, pending until `confirm_totp_enrolment`. Starting again replaces a pending
    /// secret; an enabled one must be turned off first.
    pub async fn start_totp_enrolment(&self, user: &User) -> Result<TotpEnrolment, ServiceError> {
        let mut secret = [0u8; totp::SECRET_BYTES];
        rand::thread_rng().fill_bytes(&mut secret);
        let sealed = self.seal.seal(user.id, &secret);
        if !self
            .second_factors
            .begin_totp(user.id, &sealed, self.clock.now())
            .await?
        {
            return Err(already_on());
        }
        let secret = totp::base32_encode(&secret);
        Ok(TotpEnrolment {
            otpauth_uri: totp::otpauth_uri(ISSUER, &user.username, &secret),
            secret,
        })
    }

    /// Enables the pending factor when `code` is a current code of its secret, and answers the recovery
    /// codes (shown this once: only their hashes are kept). A wrong code is `InvalidCredentials`.
    pub async fn confirm_totp_enrolment(
        &self,
        user: UserId,
        code: &str,
    ) -> Result<Vec<String>, ServiceError> {
        let stored = match self.second_factors.totp(user).await? {
            Some(stored) if stored.enabled => return Err(already_on()),
            Some(stored) => stored,
            None => {
                return Err(ServiceError::Rejected(
                    "there is no enrolment to confirm: start one first".into(),
                ))
            }
        };
        let secret = self.open_secret(user, &stored)?;
        let step = totp::matching_step(&secret, code, self.clock.now().timestamp())
            .ok_or(ServiceError::InvalidCredentials)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let hashes: Vec<String> = codes
            .iter()
            .map(|code| hash_recovery_code(user, code))
            .collect();
        if !self
            .second_factors
            .enable_totp(user, &stored.sealed_secret, step, &hashes)
            .await?
        {
            return Err(ServiceError::Rejected(
                "the enrolment was restarted meanwhile: confirm the newest secret".into(),
            ));
        }
        Ok(codes)
    }

    /// Turns two-factor login off (or drops an unconfirmed enrolment), proven by the password and, when it
    /// is on, a current code or a recovery code. Either wrong is `InvalidCredentials`.
    pub async fn disable_totp(
        &self,
        user: &User,
        password: &str,
        code: &str,
    ) -> Result<(), ServiceError> {
        let hash = self
            .users
            .credentials(&user.username)
            .await?
            .map(|(_, hash)| hash);
        if !self.hasher.verify(password.to_owned(), hash).await? {
            return Err(ServiceError::InvalidCredentials);
        }
        let stored = self
            .second_factors
            .totp(user.id)
            .await?
            .ok_or_else(|| ServiceError::Rejected("two-factor login is not on".into()))?;
        if stored.enabled && !self.second_factor_passes(user.id, &stored, code).await? {
            return Err(ServiceError::InvalidCredentials);
        }
        self.second_factors.remove_totp(user.id).await?;
        Ok(())
    }

    /// Whether `code` is a current, unused TOTP code of the enabled factor (recording its step, so it
    /// cannot be used again) or one of its unused recovery codes (using it up).
    pub(super) async fn second_factor_passes(
        &self,
        user: UserId,
        stored: &StoredTotp,
        code: &str,
    ) -> Result<bool, ServiceError> {
        let code = code.trim();
        if code.len() == totp::DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit()) {
            // A secret sealed under a signing key since dropped from the configuration cannot check a
            // code: the code fails (the error log tells the operator), and a recovery code still works.
            let Ok(secret) = self.open_secret(user, stored) else {
                return Ok(false);
            };
            let Some(step) = totp::matching_step(&secret, code, self.clock.now().timestamp())
            else {
                return Ok(false);
            };
            // Later than the last accepted step, or it is a replay (of this code or an older one).
            return Ok(self.second_factors.accept_totp_step(user, step).await?);
        }
        Ok(self
            .second_factors
            .consume_recovery_code(user, &hash_recovery_code(user, code))
            .await?)
    }

    fn open_secret(&self, user: UserId, stored: &StoredTotp) -> Result<Vec<u8>, ServiceError> {
        self.seal.open(user, &stored.sealed_secret).ok_or_else(|| {
            tracing::error!(user_id = %user.0, "a totp secret does not open with any configured key");
            ServiceError::Internal("a totp secret does not open".into())
        })
    }
}

fn already_on() -> ServiceError {
    ServiceError::Rejected("two-factor login is already on: turn it off first".into())
}

/// 16 base32 characters (80 bits) in four groups: `abcd-efgh-ijkl-mnop`.
fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut bytes);
    let plain = totp::base32_encode(&bytes).to_ascii_lowercase();
    plain
        .as_bytes()
        .chunks(4)
        .map(|group| std::str::from_utf8(group).expect("base32 is ascii"))
        .collect::<Vec<_>>()
        .join("-")
}

/// What is stored of a recovery code: a SHA-256 of the account and the code as typed without case, spaces
/// or dashes. 80 random bits need no slow hash: guessing one from the hash is out of reach.
fn hash_recovery_code(user: UserId, code: &str) -> String {
    use sha2::{Digest, Sha256};
    let normal: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    let mut digest = Sha256::new();
    digest.update(b"darkroom recovery code v1\0");
    digest.update(user.0.as_bytes());
    digest.update(normal.as_bytes());
    hex::encode(digest.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_random_and_hashed_per_account_whatever_their_spelling() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3, "{code}");
        assert_ne!(new_recovery_code(), code);
        let user = UserId::new();
        let hash = hash_recovery_code(user, &code);
        assert_eq!(
            hash_recovery_code(user, &code.replace('-', " ").to_uppercase()),
            hash
        );
        assert_ne!(hash_recovery_code(UserId::new(), &code), hash);
        assert!(!hash.contains(&code.replace('-', "")));
    }
}
