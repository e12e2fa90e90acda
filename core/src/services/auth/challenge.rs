//! The login challenge: what the password step of a two-factor account answers instead of tokens, and the
//! second step presents with a code. `mfa.<payload>.<mac>`, the payload base64url JSON naming the account
//! and the expiry, the MAC an HMAC-SHA-256 under a key derived from the access-token keys for this purpose
//! alone. It is not a JWT and carries no `kid`: no other check in the server accepts it, and nothing else
//! signed with these keys passes for it. It proves only that the password was right a moment ago.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::UserId;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "mfa.";
/// How long a challenge lasts: time to open an app and type six digits, not more.
pub const CHALLENGE_TTL_SECS: i64 = 300;
/// A challenge is short; anything much longer is not one (and is not worth decoding).
const MAX_LEN: usize = 512;

/// Who passed the password step, and until when the second step may follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    #[serde(rename = "sub")]
    pub user: Uuid,
    /// The account's username, which its login failures are counted under.
    #[serde(rename = "usr")]
    pub username: String,
    /// Unix seconds.
    pub exp: i64,
}

impl Challenge {
    pub fn user_id(&self) -> UserId {
        UserId(self.user)
    }
}

/// Signs with the first key, accepts any; reads the time from the server's clock.
#[derive(Clone)]
pub struct LoginChallenges {
    keys: Vec<[u8; 32]>,
    clock: Clock,
}

impl std::fmt::Debug for LoginChallenges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginChallenges")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl LoginChallenges {
    /// `secrets`: the current access-token key first, then the previous ones.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a [u8]>, clock: Clock) -> Self {
        let keys = secrets
            .into_iter()
            .map(|secret| {
                let mut mac = HmacSha256::new_from_slice(secret).expect("hmac takes any key");
                mac.update(b"darkroom mfa-login challenge v1");
                mac.finalize().into_bytes().into()
            })
            .collect();
        Self { keys, clock }
    }

    /// A challenge for `user`, and its lifetime in seconds.
    pub fn issue(&self, user: UserId, username: &str) -> (String, u64) {
        let challenge = Challenge {
            user: user.0,
            username: username.to_owned(),
            exp: self.clock.now().timestamp() + CHALLENGE_TTL_SECS,
        };
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&challenge).expect("a challenge serialises"));
        let mac = mac(&self.keys[0], &payload).finalize().into_bytes();
        (
            format!("{PREFIX}{payload}.{}", URL_SAFE_NO_PAD.encode(mac)),
            CHALLENGE_TTL_SECS as u64,
        )
    }

    /// The challenge, when one of our keys signed it and it has not expired.
    pub fn verify(&self, token: &str) -> Option<Challenge> {
        if token.len() > MAX_LEN {
            return None;
        }
        let (payload, signature) = token.strip_prefix(PREFIX)?.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.keys
            .iter()
            .find(|key| mac(key, payload).verify_slice(&signature).is_ok())?;
        let challenge: Challenge =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        (self.clock.now().timestamp() < challenge.exp).then_some(challenge)
    }
}

fn mac(key: &[u8; 32], payload: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes any key");
    mac.update(payload.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_challenge_verifies_until_it_expires() {
        let clock = Clock::system();
        let challenges = LoginChallenges::new([KEY], clock.clone());
        let user = UserId::new();
        let (token, ttl) = challenges.issue(user, "alice");
        assert_eq!(ttl, CHALLENGE_TTL_SECS as u64);
        assert!(token.starts_with("mfa."));
        let challenge = challenges.verify(&token).unwrap();
        assert_eq!(challenge.user_id(), user);
        assert_eq!(challenge.username, "alice");
        clock.advance(Duration::from_secs(CHALLENGE_TTL_SECS as u64 + 1));
        assert_eq!(challenges.verify(&token), None);
    }

    #[test]
    fn forged_altered_and_foreign_challenges_are_refused() {
        let challenges = LoginChallenges::new([KEY], Clock::system());
        let (token, _) = challenges.issue(UserId::new(), "alice");
        let other = LoginChallenges::new(
            [b"another key, another key, another".as_slice()],
            Clock::system(),
        );
        assert_eq!(other.verify(&token), None);
        let (payload, signature) = token.strip_prefix(PREFIX).unwrap().split_once('.').unwrap();
        let mut forged: Challenge =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        forged.user = Uuid::now_v7();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            challenges.verify(&format!("{PREFIX}{forged_payload}.{signature}")),
            None
        );
        for garbage in [
            "",
            "mfa.",
            "mfa.x.y",
            &token[PREFIX.len()..],
            &"a".repeat(600),
        ] {
            assert_eq!(challenges.verify(garbage), None, "{garbage:?}");
        }
        // A rotation keeps outstanding challenges good.
        let rotated = LoginChallenges::new(
            [b"a brand new key, a brand new key!".as_slice(), KEY],
            Clock::system(),
        );
        assert!(rotated.verify(&token).is_some());
    }
}
