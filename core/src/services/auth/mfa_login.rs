//! Login in two steps for an account with two-factor login on: the right password earns a short-lived
//! challenge, and the challenge with a current TOTP code (or a recovery code) earns the token pair.

use super::{AuthService, Challenge, TokenPair};
use crate::domain::User;
use crate::services::ServiceError;

/// What the password step answers.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// No second factor: the session has begun.
    Tokens(Box<User>, TokenPair),
    /// A second factor is on: present `challenge` and a code to `complete_login` within `expires_in`
    /// seconds.
    SecondFactorRequired { challenge: String, expires_in: u64 },
}

impl AuthService {
    /// After a right password: tokens, or a challenge when the account has a second factor.
    pub(super) async fn after_password(&self, user: User) -> Result<LoginOutcome, ServiceError> {
        let enabled = self
            .second_factors
            .totp(user.id)
            .await?
            .is_some_and(|totp| totp.enabled);
        if enabled {
            let (challenge, expires_in) = self.challenges.issue(user.id, &user.username);
            return Ok(LoginOutcome::SecondFactorRequired {
                challenge,
                expires_in,
            });
        }
        let tokens = self.start_session(user.id).await?;
        Ok(LoginOutcome::Tokens(Box::new(user), tokens))
    }

    /// The challenge a client presents, when it is one of ours and has not expired (`Unauthenticated`
    /// otherwise: the client must log in again).
    pub fn login_challenge(&self, challenge: &str) -> Result<Challenge, ServiceError> {
        self.challenges
            .verify(challenge)
            .ok_or(ServiceError::Unauthenticated)
    }

    /// The second step: a token pair when `code` is a current, unused code of the challenged account's
    /// factor or one of its unused recovery codes (used up by this). A wrong, replayed or used code is
    /// `InvalidCredentials`; an account whose factor was turned off since (or that is gone) is
    /// `Unauthenticated`, as the challenge no longer stands for anything.
    pub async fn complete_login(
        &self,
        challenge: &Challenge,
        code: &str,
    ) -> Result<TokenPair, ServiceError> {
        let user = challenge.user_id();
        let stored = self
            .second_factors
            .totp(user)
            .await?
            .filter(|totp| totp.enabled)
            .ok_or(ServiceError::Unauthenticated)?;
        if !self.second_factor_passes(user, &stored, code).await? {
            return Err(ServiceError::InvalidCredentials);
        }
        self.start_session(user).await
    }
}
