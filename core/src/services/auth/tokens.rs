//! Access tokens (short-lived HS256 JWTs) and refresh tokens (random, stored only as a SHA-256).
//!
//! Both name their session (the refresh-token family): the access token in its `sid` claim, the refresh
//! token as its first part (`{sid}.{random}`), so that ending a session (logout, reuse of a rotated
//! token) can end its access tokens at once, without a database read to find which session a token is.
//! The part is not a secret and cannot be forged to any effect: a token is only ever looked up by the
//! hash of all of it.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::UserId;
use crate::services::ServiceError;

/// What `register`, `login` and `refreshToken` hand out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_expires_in: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
    /// Guards against a refresh token or some other JWT being used as an access token.
    typ: String,
    /// The session (refresh-token family) the token was issued in; absent from tokens issued before
    /// sessions were named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<Uuid>,
}

/// Who an access token speaks for, and in which session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bearer {
    pub user: UserId,
    pub session: Option<Uuid>,
}

const ACCESS: &str = "access";

#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_ttl: Duration,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("access_ttl", &self.access_ttl)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl,
        }
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    pub fn pair(
        &self,
        user: UserId,
        session: Option<Uuid>,
        refresh_token: String,
        refresh_ttl: Duration,
    ) -> Result<TokenPair, ServiceError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.0,
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
            typ: ACCESS.into(),
            sid: session,
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(|e| ServiceError::Internal(format!("signing a token failed: {e}")))?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: self.access_ttl.as_secs(),
            refresh_expires_in: refresh_ttl.as_secs(),
        })
    }

    pub fn verify(&self, token: &str) -> Result<UserId, ServiceError> {
        self.verify_bearer(token).map(|bearer| bearer.user)
    }

    pub fn verify_bearer(&self, token: &str) -> Result<Bearer, ServiceError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ServiceError::Unauthenticated)?;
        if data.claims.typ != ACCESS {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(Bearer {
            user: UserId(data.claims.sub),
            session: data.claims.sid,
        })
    }
}

/// A fresh refresh token of `session` and the hash that is stored for it.
pub(super) fn new_refresh_token(session: Uuid) -> (String, String) {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = format!("{}.{}", session.simple(), URL_SAFE_NO_PAD.encode(raw));
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// The session a refresh token names (none for tokens made before sessions were named).
pub(super) fn session_of(refresh_token: &str) -> Option<Uuid> {
    let (session, _) = refresh_token.split_once('.')?;
    Uuid::try_parse(session).ok()
}

pub(super) fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(ttl_secs: u64) -> TokenIssuer {
        TokenIssuer::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(ttl_secs),
        )
    }

    #[test]
    fn access_tokens_verify_with_the_same_key_only() {
        let user = UserId::new();
        let pair = issuer(900)
            .pair(user, Some(Uuid::nil()), "r".into(), Duration::from_secs(60))
            .unwrap();
        assert_eq!(pair.expires_in, 900);
        assert_eq!(issuer(900).verify(&pair.access_token).unwrap(), user);
        assert_eq!(
            issuer(900).verify_bearer(&pair.access_token).unwrap(),
            Bearer {
                user,
                session: Some(Uuid::nil())
            }
        );
        let other = TokenIssuer::new(
            b"another key, another key, another",
            Duration::from_secs(900),
        );
        assert!(other.verify(&pair.access_token).is_err());
        assert!(issuer(900).verify("not.a.jwt").is_err());
    }

    #[test]
    fn expired_access_tokens_are_refused() {
        let user = UserId::new();
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.0,
            iat: now - 100,
            exp: now - 60,
            typ: ACCESS.into(),
            sid: None,
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert!(issuer(900).verify(&token).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_only_their_hash_is_kept() {
        let session = Uuid::now_v7();
        let (a, hash_a) = new_refresh_token(session);
        let (b, _) = new_refresh_token(session);
        assert_ne!(a, b);
        assert_eq!(session_of(&a), Some(session));
        assert_eq!(session_of("no-session-here"), None);
        assert_eq!(hash_a, hash_refresh_token(&a));
        assert_eq!(hash_a.len(), 64);
        assert!(!hash_a.contains(&a));
    }
}
