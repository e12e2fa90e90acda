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

use crate::caching::LocalCopies;
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
    /// Who issued the token and for whom: a token another service signed with a shared key, or one of
    /// ours meant for something else, is refused.
    iss: String,
    aud: String,
    /// Guards against a refresh token or some other JWT being used as an access token.
    typ: String,
    /// The session (refresh-token family) the token was issued in.
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
/// The `iss` of every token Darkroom signs.
pub const ISSUER: &str = "darkroom";
/// The `aud` of access tokens: the API.
pub const AUDIENCE: &str = "darkroom-api";

/// One HMAC key and the id (`kid`) that names it in a token's header: the first 16 hex digits of the key's
/// SHA-256, so the id says which key signed without saying anything about the key.
#[derive(Clone)]
struct Key {
    id: String,
    decoding: DecodingKey,
}

impl Key {
    fn new(secret: &[u8]) -> Self {
        Self {
            id: key_id(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

fn key_id(secret: &[u8]) -> String {
    hex::encode(&Sha256::digest(secret)[..8])
}

/// Signs access tokens with the current key and accepts those of the current and the previous keys, so a
/// key can be rotated without logging everyone out: sign with the new key, keep the old one as previous for
/// one access-token lifetime, then drop it.
#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    header: Header,
    keys: Vec<Key>,
    validation: Validation,
    access_ttl: Duration,
    /// Tokens this process has verified, with their expiry: every authenticated request is checked twice
    /// (by the middleware, then by its operation), and a signature check and claims parse cost more than
    /// the rest of serving a cached thumb. Only tokens that passed every check get in; the keys never change
    /// while the process runs, so a copy stays true until the token's `exp`, which is checked on each hit.
    verified: LocalCopies<String, (Bearer, i64)>,
}

/// Verified tokens remembered per process: a few hundred bytes each.
const VERIFIED_TOKENS: usize = 20_000;

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("access_ttl", &self.access_ttl)
            .field("keys", &self.keys.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        Self::rotating(secret, &[], access_ttl)
    }

    /// Signs with `secret`; also accepts tokens signed with any of `previous`.
    pub fn rotating(secret: &[u8], previous: &[Vec<u8>], access_ttl: Duration) -> Self {
        let current = Key::new(secret);
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(current.id.clone());
        let mut keys = vec![current];
        keys.extend(previous.iter().map(|k| Key::new(k)));
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            header,
            keys,
            validation,
            access_ttl,
            verified: LocalCopies::new(VERIFIED_TOKENS, access_ttl),
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
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            typ: ACCESS.into(),
            sid: session,
        };
        let access_token = jsonwebtoken::encode(&self.header, &claims, &self.encoding)
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

    /// The key is the one the header's `kid` names, and nothing else: a token naming no key we hold, or
    /// naming none, is refused without trying keys in turn.
    pub fn verify_bearer(&self, token: &str) -> Result<Bearer, ServiceError> {
        if let Some((bearer, exp)) = self.verified.get(token) {
            if Utc::now().timestamp() < exp {
                return Ok(bearer);
            }
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| ServiceError::Unauthenticated)?;
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.iter().find(|k| k.id == kid))
            .ok_or(ServiceError::Unauthenticated)?;
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation)
            .map_err(|_| ServiceError::Unauthenticated)?;
        if data.claims.typ != ACCESS {
            return Err(ServiceError::Unauthenticated);
        }
        let bearer = Bearer {
            user: UserId(data.claims.sub),
            session: data.claims.sid,
        };
        // A verified signature never changes its mind, so nothing is ever forgotten that the stamp guards.
        self.verified.put(
            token.to_owned(),
            (bearer, data.claims.exp),
            self.verified.stamp(),
        );
        Ok(bearer)
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

/// When a session began: the timestamp of its UUIDv7 (none for ids of another version).
pub(super) fn session_started(session: Uuid) -> Option<chrono::DateTime<Utc>> {
    if session.get_version_num() != 7 {
        return None;
    }
    let (secs, nanos) = session.get_timestamp()?.to_unix();
    chrono::DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
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
    fn a_remembered_token_vouches_for_itself_and_for_nothing_else() {
        let issuer = issuer(900);
        let user = UserId::new();
        let pair = issuer
            .pair(user, None, "r".into(), Duration::from_secs(60))
            .unwrap();
        let token = pair.access_token;
        assert_eq!(issuer.verify(&token).unwrap(), user);
        // Served from what the first check remembered, and the same answer.
        assert_eq!(issuer.verify(&token).unwrap(), user);
        // Every other byte string is checked in full: a changed payload or signature is refused.
        let (rest, signature) = token.rsplit_once('.').unwrap();
        let mut forged = signature.to_owned();
        forged.replace_range(..1, if signature.starts_with('A') { "B" } else { "A" });
        assert!(issuer.verify(&format!("{rest}.{forged}")).is_err());
        assert!(issuer.verify(&format!("{token}x")).is_err());
        // A token another key signed is not vouched for by a clone's memory either.
        let other = TokenIssuer::new(
            b"another key, another key, another",
            Duration::from_secs(900),
        );
        assert!(other.verify(&token).is_err());
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

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn signed(claims: &Claims, kid: Option<&str>, key: &[u8]) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key)).unwrap()
    }

    fn claims(user: UserId, exp_in: i64) -> Claims {
        let now = Utc::now().timestamp();
        Claims {
            sub: user.0,
            iat: now,
            exp: now + exp_in,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            typ: ACCESS.into(),
            sid: None,
        }
    }

    #[test]
    fn expired_access_tokens_are_refused() {
        let user = UserId::new();
        let token = signed(&claims(user, -60), Some(&key_id(KEY)), KEY);
        assert!(issuer(900).verify(&token).is_err());
        let fresh = signed(&claims(user, 60), Some(&key_id(KEY)), KEY);
        assert_eq!(issuer(900).verify(&fresh).unwrap(), user);
    }

    #[test]
    fn tokens_name_issuer_audience_and_key() {
        let pair = issuer(900)
            .pair(UserId::new(), None, "r".into(), Duration::from_secs(60))
            .unwrap();
        let header = jsonwebtoken::decode_header(&pair.access_token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key_id(KEY).as_str()));
        let user = UserId::new();
        for (iss, aud) in [("someone-else", AUDIENCE), (ISSUER, "another-service")] {
            let mut foreign = claims(user, 60);
            foreign.iss = iss.into();
            foreign.aud = aud.into();
            let token = signed(&foreign, Some(&key_id(KEY)), KEY);
            assert!(issuer(900).verify(&token).is_err(), "{iss} {aud}");
        }
        // A token naming no key, or a key we do not hold, is refused even when the signature would verify.
        assert!(issuer(900)
            .verify(&signed(&claims(user, 60), None, KEY))
            .is_err());
        assert!(issuer(900)
            .verify(&signed(&claims(user, 60), Some("0000000000000000"), KEY))
            .is_err());
    }

    #[test]
    fn a_rotated_key_still_verifies_until_dropped() {
        let old = issuer(900);
        let user = UserId::new();
        let before = old
            .pair(user, None, "r".into(), Duration::from_secs(60))
            .unwrap();
        let new_key = b"a brand new key, a brand new key!".to_vec();
        let rotated = TokenIssuer::rotating(&new_key, &[KEY.to_vec()], Duration::from_secs(900));
        assert_eq!(rotated.verify(&before.access_token).unwrap(), user);
        let after = rotated
            .pair(user, None, "r".into(), Duration::from_secs(60))
            .unwrap();
        assert_eq!(rotated.verify(&after.access_token).unwrap(), user);
        assert!(
            old.verify(&after.access_token).is_err(),
            "the old issuer never held the new key"
        );
        let dropped = TokenIssuer::new(&new_key, Duration::from_secs(900));
        assert!(dropped.verify(&before.access_token).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_only_their_hash_is_kept() {
        let session = Uuid::now_v7();
        let (a, hash_a) = new_refresh_token(session);
        let (b, _) = new_refresh_token(session);
        assert_ne!(a, b);
        assert_eq!(session_of(&a), Some(session));
        assert_eq!(session_of("no-session-here"), None);
        let started = session_started(session).unwrap();
        assert!((Utc::now() - started).num_seconds().abs() < 5, "{started}");
        assert_eq!(session_started(Uuid::nil()), None);
        assert_eq!(hash_a, hash_refresh_token(&a));
        assert_eq!(hash_a.len(), 64);
        assert!(!hash_a.contains(&a));
    }
}
