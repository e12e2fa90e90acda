//! Accounts and sessions: register, login (with an optional second factor), refresh-token rotation, logout,
//! and access-token checks.

mod challenge;
mod ended;
mod live;
mod mfa;
mod mfa_login;
mod password_change;
mod passwords;
mod sealing;
mod session_list;
mod tokens;
pub mod totp;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

pub use challenge::{Challenge, LoginChallenges, CHALLENGE_TTL_SECS};
pub use ended::EndedSessions;
pub use live::LiveAccounts;
pub use mfa::{MfaStatus, TotpEnrolment, RECOVERY_CODES};
pub use mfa_login::LoginOutcome;
pub use passwords::{PasswordHasher, PasswordHashing};
pub use sealing::SecretSeal;
pub use session_list::SessionInfo;
pub use tokens::{Bearer, TokenIssuer, TokenPair};

use super::ServiceError;
use crate::clock::Clock;
use crate::domain::{
    DisplayName, Email, Event, NewUser, Password, RefreshToken, User, UserId, Username,
};
use crate::ports::{
    Cache, RefreshOutcome, SecondFactorRepository, SessionRepository, UserRepository,
};

/// How long tokens live.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The HMAC key for access tokens (HS256). At least 32 bytes.
    pub signing_key: Vec<u8>,
    /// Keys that signed tokens before a rotation, still accepted (never used to sign).
    pub previous_signing_keys: Vec<Vec<u8>>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// The longest a session lives from its login, however often it is refreshed.
    pub session_max_age: Duration,
    pub password_hashing: PasswordHashing,
}

/// What `register` takes, as it arrived.
#[derive(Debug, Clone)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    tokens: TokenIssuer,
    hasher: PasswordHasher,
    refresh_ttl: Duration,
    session_max_age: Duration,
    ended: EndedSessions,
    second_factors: Arc<dyn SecondFactorRepository>,
    seal: SecretSeal,
    challenges: LoginChallenges,
    /// The time TOTP codes and login challenges are checked against (tests move it).
    clock: Clock,
}

impl AuthService {
    /// `cache` remembers the sessions that ended before their access tokens expired (`EndedSessions`).
    /// TOTP secrets are sealed, and login challenges signed, with keys derived from the token keys.
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        second_factors: Arc<dyn SecondFactorRepository>,
        cache: Arc<dyn Cache>,
        settings: &AuthSettings,
        clock: Clock,
    ) -> Self {
        let keys = || {
            std::iter::once(settings.signing_key.as_slice())
                .chain(settings.previous_signing_keys.iter().map(Vec::as_slice))
        };
        Self {
            second_factors,
            seal: SecretSeal::new(keys()),
            challenges: LoginChallenges::new(keys(), clock.clone()),
            clock,
            users,
            sessions,
            tokens: TokenIssuer::rotating(
                &settings.signing_key,
                &settings.previous_signing_keys,
                settings.access_ttl,
            ),
            hasher: PasswordHasher::new(settings.password_hashing),
            refresh_ttl: settings.refresh_ttl,
            session_max_age: settings.session_max_age,
            ended: EndedSessions::new(cache, settings.access_ttl),
        }
    }

    pub async fn register(&self, form: Registration) -> Result<(User, TokenPair), ServiceError> {
        let username = Username::parse(&form.username)?;
        let email = Email::parse(&form.email)?;
        let password = Password::parse(&form.password)?;
        let display_name = form
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?;
        let password_hash = self.hasher.hash(password).await?;
        let id = UserId::new();
        let user = self
            .users
            .create_user(&NewUser {
                id,
                username,
                email,
                password_hash,
                display_name: display_name.map(DisplayName::into_inner),
                created_at: Utc::now(),
                event: Event::UserCreated { user_id: id }.to_outbox(),
            })
            .await?;
        let tokens = self.start_session(user.id).await?;
        Ok((user, tokens))
    }

    /// Logs in by username or email. Unknown accounts cost as much time as wrong passwords. An account with
    /// two-factor login gets a challenge for `complete_login` instead of tokens.
    pub async fn login(&self, login: &str, password: &str) -> Result<LoginOutcome, ServiceError> {
        let found = self.users.credentials(&login.trim().to_lowercase()).await?;
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let valid = self.hasher.verify(password.to_owned(), hash).await?;
        match user {
            Some(user) if valid => self.after_password(user).await,
            _ => Err(ServiceError::InvalidCredentials),
        }
    }

    /// Rotates a refresh token. Presenting one that was already rotated revokes its whole family.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, ServiceError> {
        let presented = tokens::hash_refresh_token(refresh_token);
        let session = tokens::session_of(refresh_token);
        let now = Utc::now();
        // Refreshing extends a session by `refresh_ttl`, but never past its absolute end. The session id
        // is a UUIDv7 minted at login, so it carries its own start: no row to read. (The id comes from the
        // presented token, but only a stored token rotates, and a stored token's id is the one we minted.)
        let session_end = session
            .and_then(tokens::session_started)
            .map(|started| started + self.session_max_age);
        if let Some(end) = session_end.filter(|end| *end <= now) {
            tracing::info!(ended_at = %end, "refresh refused: the session reached its maximum age");
            self.logout(refresh_token).await?;
            return Err(ServiceError::Unauthenticated);
        }
        let expires_at = session_end.map_or(now + self.refresh_ttl, |end| {
            end.min(now + self.refresh_ttl)
        });
        // A token from before sessions were named starts naming one from its first rotation.
        let (raw, _) = tokens::new_refresh_token(session.unwrap_or_else(Uuid::now_v7));
        let named = tokens::session_of(&raw);
        // The family is taken from the presented token inside the adapter's transaction; the replacement
        // carries a placeholder family that `rotate_refresh_token` overwrites.
        let replacement = RefreshToken {
            token_hash: tokens::hash_refresh_token(&raw),
            family_id: Uuid::nil(),
            user_id: UserId(Uuid::nil()),
            expires_at,
            used: false,
            revoked: false,
        };
        match self
            .sessions
            .rotate_refresh_token(&presented, &replacement, now)
            .await?
        {
            RefreshOutcome::Rotated { user_id } => {
                let lifetime = (expires_at - now).to_std().unwrap_or_default();
                Ok(self.tokens.pair(user_id, named, raw, lifetime)?)
            }
            RefreshOutcome::ReuseDetected => {
                tracing::warn!("refresh token reuse detected; family revoked");
                if let Some(session) = session {
                    self.ended.end(session).await;
                }
                Err(ServiceError::Unauthenticated)
            }
            RefreshOutcome::Invalid => Err(ServiceError::Unauthenticated),
        }
    }

    /// Ends the session the refresh token belongs to. Unknown tokens are not an error (logout is idempotent).
    pub async fn logout(&self, refresh_token: &str) -> Result<(), ServiceError> {
        let known = self
            .sessions
            .revoke_refresh_family(&tokens::hash_refresh_token(refresh_token))
            .await?;
        // Only a stored token proves which session it names.
        if let Some(session) = tokens::session_of(refresh_token).filter(|_| known) {
            self.ended.end(session).await;
        }
        Ok(())
    }

    /// The account an access token belongs to, by its signature and expiry alone.
    pub fn authenticate(&self, access_token: &str) -> Result<UserId, ServiceError> {
        self.tokens.verify(access_token)
    }

    /// Who a validly signed access token speaks for, and in which session (not yet whether it has ended).
    pub fn bearer(&self, access_token: &str) -> Result<Bearer, ServiceError> {
        self.tokens.verify_bearer(access_token)
    }

    /// Whether the token's session has ended before the token expired (one cache read).
    pub async fn session_ended(&self, bearer: &Bearer) -> bool {
        match bearer.session {
            Some(session) => self.ended.has_ended(session).await,
            None => false,
        }
    }

    pub async fn me(&self, user: UserId) -> Result<User, ServiceError> {
        self.users
            .user_by_id(user)
            .await?
            .ok_or(ServiceError::Unauthenticated)
    }

    async fn start_session(&self, user_id: UserId) -> Result<TokenPair, ServiceError> {
        let session = Uuid::now_v7();
        let (raw, hash) = tokens::new_refresh_token(session);
        self.sessions
            .insert_refresh_token(&RefreshToken {
                token_hash: hash,
                family_id: session,
                user_id,
                expires_at: Utc::now() + self.refresh_ttl,
                used: false,
                revoked: false,
            })
            .await?;
        self.tokens
            .pair(user_id, Some(session), raw, self.refresh_ttl)
    }
}
