//! TOTP secrets sealed for the database: a dump of the database alone does not give away anyone's second
//! factor. The key is derived from the access-token keys (as temporary URLs derive theirs), so there is no
//! new secret to configure, back up or leak separately; what a dump lacks is exactly what the server's
//! configuration holds.
//!
//! The construction uses only HMAC-SHA-256, which the core already has: a fresh 16-byte nonce, the secret
//! XORed with `HMAC(k, "stream" ‖ nonce ‖ user)` (a secret is 20 bytes, less than one block), then a tag
//! `HMAC(k, "tag" ‖ nonce ‖ user ‖ ciphertext)` over it (encrypt-then-MAC). Naming the user in both means a
//! sealed secret copied onto another account's row does not open there.
//!
//! Rotation: the current key seals, every key (current and previous) opens, so secrets sealed before a
//! rotation keep working while the old key is still listed in `previous_jwt_secrets`. Dropping a key for
//! good leaves the secrets it sealed unopenable: those accounts log in with a recovery code and enrol again.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::domain::UserId;

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "v1.";
const NONCE_BYTES: usize = 16;
const TAG_BYTES: usize = 16;
/// One HMAC-SHA-256 output: the longest secret one keystream block covers.
const MAX_SECRET_BYTES: usize = 32;

/// Seals with the first key, opens with any.
#[derive(Clone)]
pub struct SecretSeal {
    keys: Vec<[u8; 32]>,
}

impl std::fmt::Debug for SecretSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretSeal")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl SecretSeal {
    /// `secrets`: the current access-token key first, then the previous ones.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let keys = secrets
            .into_iter()
            .map(|secret| {
                let mut mac = HmacSha256::new_from_slice(secret).expect("hmac takes any key");
                mac.update(b"darkroom totp-secret seal v1");
                mac.finalize().into_bytes().into()
            })
            .collect();
        Self { keys }
    }

    /// `secret` sealed for `user`'s row. Secrets are at most 32 bytes.
    pub fn seal(&self, user: UserId, secret: &[u8]) -> String {
        assert!(
            secret.len() <= MAX_SECRET_BYTES,
            "a TOTP secret is 20 bytes"
        );
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_BYTES];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext: Vec<u8> = secret
            .iter()
            .zip(keystream(key, &nonce, user))
            .map(|(a, b)| a ^ b)
            .collect();
        let tag = tag(key, &nonce, user, &ciphertext);
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len() + TAG_BYTES);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed.extend_from_slice(&tag);
        format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The secret, when `sealed` was sealed for `user` by one of the keys; `None` otherwise.
    pub fn open(&self, user: UserId, sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed.strip_prefix(VERSION)?).ok()?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES
            || bytes.len() > NONCE_BYTES + MAX_SECRET_BYTES + TAG_BYTES
        {
            return None;
        }
        let (nonce, rest) = bytes.split_at(NONCE_BYTES);
        let (ciphertext, presented) = rest.split_at(rest.len() - TAG_BYTES);
        let key = self.keys.iter().find(|key| {
            tag_mac(key, nonce, user, ciphertext)
                .verify_truncated_left(presented)
                .is_ok()
        })?;
        Some(
            ciphertext
                .iter()
                .zip(keystream(key, nonce, user))
                .map(|(a, b)| a ^ b)
                .collect(),
        )
    }
}

fn keystream(key: &[u8; 32], nonce: &[u8], user: UserId) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes any key");
    mac.update(b"stream");
    mac.update(nonce);
    mac.update(user.0.as_bytes());
    mac.finalize().into_bytes().into()
}

fn tag_mac(key: &[u8; 32], nonce: &[u8], user: UserId, ciphertext: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes any key");
    mac.update(b"tag");
    mac.update(nonce);
    mac.update(user.0.as_bytes());
    mac.update(ciphertext);
    mac
}

fn tag(key: &[u8; 32], nonce: &[u8], user: UserId, ciphertext: &[u8]) -> [u8; TAG_BYTES] {
    let full = tag_mac(key, nonce, user, ciphertext)
        .finalize()
        .into_bytes();
    let mut tag = [0u8; TAG_BYTES];
    tag.copy_from_slice(&full[..TAG_BYTES]);
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OLD: &[u8] = b"an older key, an older key, older";

    #[test]
    fn a_sealed_secret_opens_for_its_user_only_and_hides_the_secret() {
        let seal = SecretSeal::new([KEY]);
        let user = UserId::new();
        let secret = [7u8; 20];
        let sealed = seal.seal(user, &secret);
        assert!(!sealed.contains(&URL_SAFE_NO_PAD.encode(secret)));
        assert_ne!(seal.seal(user, &secret), sealed, "a fresh nonce each time");
        assert_eq!(seal.open(user, &sealed).unwrap(), secret);
        assert_eq!(seal.open(UserId::new(), &sealed), None);
        assert_eq!(SecretSeal::new([OLD]).open(user, &sealed), None);
    }

    #[test]
    fn tampering_and_garbage_are_refused() {
        let seal = SecretSeal::new([KEY]);
        let user = UserId::new();
        let sealed = seal.seal(user, &[1u8; 20]);
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[VERSION.len()..]).unwrap();
        bytes[NONCE_BYTES] ^= 1;
        let flipped = format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(seal.open(user, &flipped), None);
        for garbage in ["", "v1.", "v1.!!!", "v2.AAAA", &sealed[VERSION.len()..]] {
            assert_eq!(seal.open(user, garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn secrets_sealed_before_a_rotation_still_open() {
        let user = UserId::new();
        let sealed = SecretSeal::new([OLD]).seal(user, &[9u8; 20]);
        let rotated = SecretSeal::new([KEY, OLD]);
        assert_eq!(rotated.open(user, &sealed).unwrap(), [9u8; 20]);
        let fresh = rotated.seal(user, &[9u8; 20]);
        assert_eq!(
            SecretSeal::new([KEY]).open(user, &fresh).unwrap(),
            [9u8; 20]
        );
    }
}
