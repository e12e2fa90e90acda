//! Access tokens (short-lived HS256 JWTs) and refresh tokens (random, stored only as a SHA-256).

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

    pub fn pair(
        &self,
        user: UserId,
        refresh_token: String,
        refresh_ttl: Duration,
    ) -> Result<TokenPair, ServiceError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.0,
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
            typ: ACCESS.into(),
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
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ServiceError::Unauthenticated)?;
        if data.claims.typ != ACCESS {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(UserId(data.claims.sub))
    }
}

/// A fresh refresh token and the hash that is stored for it.
pub(super) fn new_refresh_token() -> (String, String) {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = hash_refresh_token(&token);
    (token, hash)
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
            .pair(user, "r".into(), Duration::from_secs(60))
            .unwrap();
        assert_eq!(pair.expires_in, 900);
        assert_eq!(issuer(900).verify(&pair.access_token).unwrap(), user);
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
        let (a, hash_a) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(hash_a, hash_refresh_token(&a));
        assert_eq!(hash_a.len(), 64);
        assert!(!hash_a.contains(&a));
    }
}
