//! Temporary URLs: a signed, expiring grant that lets whoever holds an image's URL load its variants and
//! transformations without a bearer token, so a private or followers-only image can sit in an `<img>` tag.
//!
//! A grant is `?exp=<unix seconds>&sig=<base64url>` on the URL. It names one image, not one path: whoever may
//! see an image may ask for any of its variants or transformations anyway. The signature also covers the
//! image's visibility, so changing the visibility ends every grant given before (a follower's copy of the
//! URL stops working the moment the image turns private). Originals are never served on a grant: the
//! owner's original still carries its metadata (GPS), and a URL is too easily passed on.
//!
//! Expiries are rounded up to a step of a quarter of the lifetime, so the URL of an image stays the same for
//! a while and browsers can cache what it names; a grant lives between `ttl` and `ttl + step`.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::Clock;
use crate::domain::{Image, ImageId, Visibility};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the MAC a grant carries: 128 bits, as short as a URL can hold without weakening it.
const SIGNATURE_BYTES: usize = 16;

/// A grant as it appears in a URL's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Unix seconds after which the grant is refused.
    pub expires: i64,
    pub signature: String,
}

impl Grant {
    /// The query string that carries it: `exp=…&sig=…`.
    pub fn query(&self) -> String {
        format!("exp={}&sig={}", self.expires, self.signature)
    }
}

/// Signs and checks grants with keys derived from the access-token keys (the first signs, all verify, so a
/// key rotation keeps outstanding URLs working as it keeps outstanding tokens working).
#[derive(Clone)]
pub struct TemporaryUrls {
    keys: Vec<Vec<u8>>,
    ttl: Duration,
    clock: Clock,
}

impl fmt::Debug for TemporaryUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryUrls")
            .field("keys", &self.keys.len())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TemporaryUrls {
    /// `secrets`: the current access-token key first, then the previous ones. Each is turned into a key of
    /// its own for this purpose, so a grant can never pass for a token or the other way round.
    pub fn new<'a>(
        secrets: impl IntoIterator<Item = &'a [u8]>,
        ttl: Duration,
        clock: Clock,
    ) -> Self {
        let keys = secrets
            .into_iter()
            .map(|secret| {
                let mut mac =
                    HmacSha256::new_from_slice(secret).expect("hmac takes a key of any length");
                mac.update(b"darkroom temporary-url key v1");
                mac.finalize().into_bytes().to_vec()
            })
            .collect();
        Self {
            keys,
            ttl: ttl.max(Duration::from_secs(4)),
            clock,
        }
    }

    /// How long a grant given now lives at least.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn step(&self) -> i64 {
        i64::try_from(self.ttl.as_secs() / 4)
            .unwrap_or(i64::MAX)
            .max(1)
    }

    /// A grant for `image`, expiring `ttl` from now rounded up to the next step.
    pub fn grant(&self, image: &Image) -> Grant {
        self.grant_for(image.id, image.visibility)
    }

    fn grant_for(&self, id: ImageId, visibility: Visibility) -> Grant {
        let step = self.step();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let earliest = self.clock.now().timestamp().saturating_add(ttl);
        let expires = earliest
            .div_euclid(step)
            .saturating_add(1)
            .saturating_mul(step);
        let mac = self.mac(&self.keys[0], id, visibility, expires);
        Grant {
            expires,
            signature: URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..SIGNATURE_BYTES]),
        }
    }

    /// Whether the grant was given for `image` as it is now (same visibility) and has not expired.
    pub fn allows(&self, image: &Image, expires: i64, signature: &str) -> bool {
        self.allows_for(image.id, image.visibility, expires, signature)
    }

    fn allows_for(
        &self,
        id: ImageId,
        visibility: Visibility,
        expires: i64,
        signature: &str,
    ) -> bool {
        if expires <= self.clock.now().timestamp() {
            return false;
        }
        let Ok(presented) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        if presented.len() != SIGNATURE_BYTES {
            return false;
        }
        self.keys.iter().any(|key| {
            self.mac(key, id, visibility, expires)
                .verify_truncated_left(&presented)
                .is_ok()
        })
    }

    fn mac(&self, key: &[u8], id: ImageId, visibility: Visibility, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes a key of any length");
        // Fields separated by a byte none of them can hold, so no two grants share a message.
        mac.update(id.0.as_bytes());
        mac.update(b"\0");
        mac.update(visibility.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(expires.to_string().as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(clock: &Clock) -> TemporaryUrls {
        TemporaryUrls::new(
            [b"current-secret-0123456789abcdef0123".as_slice()],
            Duration::from_secs(3600),
            clock.clone(),
        )
    }

    fn image(visibility: Visibility) -> (ImageId, Visibility) {
        (ImageId::new(), visibility)
    }

    #[test]
    fn a_grant_opens_its_image_until_it_expires() {
        let clock = Clock::system();
        let urls = urls(&clock);
        let image = image(Visibility::Private);
        let grant = urls.grant_for(image.0, image.1);
        let now = clock.now().timestamp();
        assert!(grant.expires >= now + 3600 && grant.expires <= now + 3600 + 900);
        assert!(urls.allows_for(image.0, image.1, grant.expires, &grant.signature));
        clock.advance(Duration::from_secs(
            u64::try_from(grant.expires - now).unwrap(),
        ));
        assert!(!urls.allows_for(image.0, image.1, grant.expires, &grant.signature));
    }

    #[test]
    fn a_grant_is_refused_for_another_image_expiry_visibility_or_key() {
        let clock = Clock::system();
        let urls = urls(&clock);
        let image = image(Visibility::Followers);
        let grant = urls.grant_for(image.0, image.1);
        let other = self::image(Visibility::Followers);
        assert!(!urls.allows_for(other.0, other.1, grant.expires, &grant.signature));
        assert!(!urls.allows_for(image.0, image.1, grant.expires + 1, &grant.signature));
        let turned_private = (image.0, Visibility::Private);
        assert!(!urls.allows_for(
            turned_private.0,
            turned_private.1,
            grant.expires,
            &grant.signature
        ));
        let mut altered = grant.signature.clone();
        altered.replace_range(0..1, if altered.starts_with('A') { "B" } else { "A" });
        assert!(!urls.allows_for(image.0, image.1, grant.expires, &altered));
        assert!(!urls.allows_for(image.0, image.1, grant.expires, &grant.signature[..10]));
        assert!(!urls.allows_for(image.0, image.1, grant.expires, "not base64!"));
        let stranger = TemporaryUrls::new(
            [b"another-secret-0123456789abcdef012".as_slice()],
            Duration::from_secs(3600),
            clock,
        );
        assert!(!stranger.allows_for(image.0, image.1, grant.expires, &grant.signature));
    }

    #[test]
    fn grants_survive_a_key_rotation() {
        let clock = Clock::system();
        let before = urls(&clock);
        let image = image(Visibility::Private);
        let grant = before.grant_for(image.0, image.1);
        let after = TemporaryUrls::new(
            [
                b"rotated-secret-0123456789abcdef012".as_slice(),
                b"current-secret-0123456789abcdef0123".as_slice(),
            ],
            Duration::from_secs(3600),
            clock,
        );
        assert!(after.allows_for(image.0, image.1, grant.expires, &grant.signature));
        assert_ne!(after.grant_for(image.0, image.1).signature, grant.signature);
    }

    #[test]
    fn the_url_stays_the_same_within_a_step() {
        let clock = Clock::system();
        let urls = urls(&clock);
        let image = image(Visibility::Private);
        let first = urls.grant_for(image.0, image.1);
        // Two grants a second apart are the same unless a step boundary fell between them.
        clock.advance(Duration::from_secs(1));
        let second = urls.grant_for(image.0, image.1);
        assert!(second == first || second.expires == first.expires + 900);
    }
}
