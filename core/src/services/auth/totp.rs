//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 6 digits, 30-second steps,
//! the parameters every authenticator app accepts. A dozen lines over `hmac` and `sha1`, which the core
//! already has, rather than a crate that would bring its own copies and a QR renderer.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per time step (RFC 6238's X).
pub const STEP_SECS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Bytes of a secret: 160 bits, RFC 4226's recommendation and the size of a SHA-1 block's output.
pub const SECRET_BYTES: usize = 20;
/// Steps either side of the current one whose codes are accepted: a clock 30 s off, or a code typed just
/// as it changed, still works.
const SKEW_STEPS: i64 = 1;

/// The time step a Unix time falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// RFC 4226's HOTP value of `counter`, `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("hmac takes a key of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let truncated = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    truncated % 10u32.pow(digits)
}

/// The 6-digit code of `step`, as an app shows it (leading zeros kept).
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, u64::try_from(step).unwrap_or(0), DIGITS),
        width = DIGITS as usize
    )
}

/// The step whose code `code` is, among the steps around `unix_secs`; `None` when it is none of them.
/// Every candidate is compared, without stopping at the first match or at the first differing digit.
pub fn matching_step(secret: &[u8], code: &str, unix_secs: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_secs);
    let mut found = None;
    for step in (now - SKEW_STEPS..=now + SKEW_STEPS).rev() {
        let expected = code_at_step(secret, step);
        let differs = expected
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs == 0 {
            found = Some(step);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: how authenticator apps take a secret.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes([0, 0, 0, block[0], block[1], block[2], block[3], block[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let index = (bits >> (35 - 5 * i)) & 0x1f;
            out.push(char::from(BASE32[index as usize]));
        }
    }
    out
}

/// The bytes of a base32 string (case, spaces and padding ignored); `None` on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !matches!(c, b' ' | b'=' | b'-')) {
        let value = BASE32.iter().position(|&a| a == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The `otpauth://` URI an app scans from a QR code (Google Authenticator's key-URI format, understood by
/// every app): the issuer and the account label, the secret, and the parameters spelled out.
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret_base32}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        account = percent_encode(account),
    )
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_test_vectors_for_sha1() {
        for (time, expected) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            let counter = u64::try_from(step_at(time)).unwrap();
            assert_eq!(hotp(RFC_SECRET, counter, 8), expected, "T = {time}");
        }
    }

    #[test]
    fn rfc_4226_test_vectors() {
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, value) in expected.into_iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                value,
                "count {counter}"
            );
        }
    }

    #[test]
    fn six_digit_codes_keep_leading_zeros_and_match_their_step_only() {
        // T = 1111111109 gives 07081804; its last six digits start with a zero.
        assert_eq!(code_at_step(RFC_SECRET, step_at(1_111_111_109)), "081804");
        let now = 1_111_111_109;
        let step = step_at(now);
        assert_eq!(matching_step(RFC_SECRET, "081804", now), Some(step));
        let previous = code_at_step(RFC_SECRET, step - 1);
        assert_eq!(matching_step(RFC_SECRET, &previous, now), Some(step - 1));
        let next = code_at_step(RFC_SECRET, step + 1);
        assert_eq!(matching_step(RFC_SECRET, &next, now), Some(step + 1));
        let too_old = code_at_step(RFC_SECRET, step - 2);
        assert_eq!(matching_step(RFC_SECRET, &too_old, now), None);
        for malformed in ["", "81804", "0818040", "08180a", "-81804"] {
            assert_eq!(
                matching_step(RFC_SECRET, malformed, now),
                None,
                "{malformed:?}"
            );
        }
    }

    #[test]
    fn base32_round_trips_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(
            base32_decode("mzxw 6ytb oi======").unwrap(),
            b"foobar".to_vec()
        );
        assert_eq!(base32_decode("MZ1"), None);
        let secret = [0xA5u8; SECRET_BYTES];
        assert_eq!(base32_decode(&base32_encode(&secret)).unwrap(), secret);
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        assert_eq!(
            otpauth_uri("Darkroom", "alice smith", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Darkroom:alice%20smith?secret=JBSWY3DPEHPK3PXP&issuer=Darkroom\
             &algorithm=SHA1&digits=6&period=30"
        );
    }
}
