//! imgproxy's URL signing, exactly: the signature is base64url (no padding) of HMAC-SHA256 over
//! salt ‖ path, where the path is everything after the signature segment, its leading `/` included. Key
//! and salt are given in hex; several pairs may be configured at once so that keys can be rotated (a
//! signature made with any of them is accepted, new ones are made with the first), and a signature may
//! be truncated to its first N bytes (imgproxy's `IMGPROXY_SIGNATURE_SIZE`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The full length of an HMAC-SHA256, and so the longest a signature can be.
pub const FULL_SIGNATURE_SIZE: usize = 32;

/// Signs and checks transformation paths; with no key pair, every signature segment is accepted
/// (imgproxy's `insecure` or `_`).
#[derive(Clone, Default)]
pub struct Signer {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    size: usize,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are secrets: only say how many there are.
        f.debug_struct("Signer")
            .field("pairs", &self.pairs.len())
            .field("size", &self.size)
            .finish()
    }
}

impl Signer {
    /// From comma-separated hex keys and salts (as many of each; empty for none) and the signature size
    /// in bytes (1 to 32; 0 for the full 32).
    pub fn from_hex(keys: &str, salts: &str, size: usize) -> Result<Self, String> {
        let split = |list: &str, what: &str| -> Result<Vec<Vec<u8>>, String> {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| hex::decode(s).map_err(|e| format!("transform_{what} is not hex: {e}")))
                .collect()
        };
        let (keys, salts) = (split(keys, "key")?, split(salts, "salt")?);
        if keys.len() != salts.len() {
            return Err(format!(
                "transform_key has {} entries and transform_salt {}: give one salt per key",
                keys.len(),
                salts.len()
            ));
        }
        if keys.iter().any(Vec::is_empty) {
            return Err("a transform_key may not be empty".into());
        }
        if size > FULL_SIGNATURE_SIZE {
            return Err(format!(
                "transform_signature_size is at most {FULL_SIGNATURE_SIZE} bytes, not {size}"
            ));
        }
        let size = if size == 0 { FULL_SIGNATURE_SIZE } else { size };
        Ok(Self {
            pairs: keys.into_iter().zip(salts).collect(),
            size,
        })
    }

    /// Whether signatures are checked at all.
    pub fn enabled(&self) -> bool {
        !self.pairs.is_empty()
    }

    /// The signature of `path` with the first key pair (`None` without one).
    pub fn sign(&self, path: &str) -> Option<String> {
        let (key, salt) = self.pairs.first()?;
        let digest = mac(key, salt, path).finalize().into_bytes();
        Some(URL_SAFE_NO_PAD.encode(&digest[..self.size]))
    }

    /// Whether `signature` signs `path` with any configured pair, at the configured size exactly (a
    /// shorter one is refused); always true without a key. Compared in constant time.
    pub fn verify(&self, signature: &str, path: &str) -> bool {
        if !self.enabled() {
            return true;
        }
        let Ok(given) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        if given.len() != self.size {
            return false;
        }
        self.pairs.iter().any(|(key, salt)| {
            let mac = mac(key, salt, path);
            if self.size == FULL_SIGNATURE_SIZE {
                mac.verify_slice(&given).is_ok()
            } else {
                mac.verify_truncated_left(&given).is_ok()
            }
        })
    }
}

fn mac(key: &[u8], salt: &[u8], path: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes a key of any length");
    mac.update(salt);
    mac.update(path.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str =
        "/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png";
    const SIGNATURE: &str = "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8";

    fn documented() -> Signer {
        Signer::from_hex("736563726574", "68656C6C6F", 0).unwrap()
    }

    #[test]
    fn signs_imgproxys_documented_vector() {
        assert_eq!(documented().sign(PATH).as_deref(), Some(SIGNATURE));
        assert!(documented().verify(SIGNATURE, PATH));
    }

    #[test]
    fn refuses_tampered_truncated_and_missing_signatures() {
        let signer = documented();
        assert!(!signer.verify("oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH9", PATH));
        assert!(!signer.verify(SIGNATURE, &PATH.replace("300", "301")));
        assert!(!signer.verify(&SIGNATURE[..10], PATH));
        assert!(!signer.verify("", PATH));
        assert!(!signer.verify("insecure", PATH));
        assert!(!signer.verify("not base64!", PATH));
    }

    #[test]
    fn accepts_any_pair_and_signs_with_the_first() {
        let rotated = Signer::from_hex("aabb,736563726574", "ccdd,68656C6C6F", 0).unwrap();
        assert!(rotated.verify(SIGNATURE, PATH));
        assert_ne!(rotated.sign(PATH).as_deref(), Some(SIGNATURE));
        let new_only = Signer::from_hex("aabb", "ccdd", 0).unwrap();
        assert!(!new_only.verify(SIGNATURE, PATH));
    }

    #[test]
    fn truncates_to_the_configured_size() {
        let short = Signer::from_hex("736563726574", "68656C6C6F", 8).unwrap();
        let signature = short.sign(PATH).unwrap();
        // The first 8 bytes of the full signature.
        let full = URL_SAFE_NO_PAD.decode(SIGNATURE).unwrap();
        assert_eq!(signature, URL_SAFE_NO_PAD.encode(&full[..8]));
        assert!(short.verify(&signature, PATH));
        assert!(!short.verify(SIGNATURE, PATH));
    }

    #[test]
    fn without_a_key_anything_goes_and_bad_config_is_refused() {
        let open = Signer::from_hex("", "", 0).unwrap();
        assert!(!open.enabled());
        assert!(open.verify("_", PATH) && open.verify("insecure", PATH));
        assert!(open.sign(PATH).is_none());
        assert!(Signer::from_hex("zz", "00", 0).is_err());
        assert!(Signer::from_hex("aa,bb", "00", 0).is_err());
        assert!(Signer::from_hex("aa", "00", 33).is_err());
    }
}
