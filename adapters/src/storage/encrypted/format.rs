//! The encrypted blob format: a header, then the plaintext in fixed-size segments, each sealed with
//! AES-256-GCM under a key of its own blob. This is the STREAM construction (Hoang, Reyhanitabar, Rogaway,
//! Vizár), laid out as Tink's AES-GCM-HKDF streaming AEAD lays it out:
//!
//! ```text
//! header  = magic (8: 0xD7 "DRKENC" version 0x01) | key id (4) | salt (32) | nonce prefix (7)
//! segment = AES-256-GCM(blob key, nonce = prefix | index (u32 BE) | last (0 or 1), aad = header)
//! ```
//!
//! - The blob key is HKDF-SHA256(master key, salt): a fresh random salt per blob means no two blobs share
//!   a key, so random 7-byte nonce prefixes cannot collide under one key however many blobs there are.
//! - The nonce binds each segment's index (segments cannot be reordered, dropped or repeated) and whether
//!   it is the last (a blob cut at a segment boundary does not pass for a shorter one).
//! - Every segment holds `SEGMENT` plaintext bytes but the last, which holds 1 to `SEGMENT` (0 only when
//!   the blob is empty): the plaintext size follows from the file size, and byte `n` lives in segment
//!   `n / SEGMENT`, so a range is read by opening only the segments it touches.
//! - The key id (the first bytes of the master key's SHA-256 under a label) tells "another key" apart
//!   from "tampered" without trying to decrypt.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hkdf};

use darkroom_core::ports::StorageError;

/// Plaintext bytes per segment (as age's): a range read decrypts at most two segments it does not need.
pub(super) const SEGMENT: u64 = 64 * 1024;
/// What sealing adds to each segment (the GCM tag).
pub(super) const TAG: u64 = aead::MAX_TAG_LEN as u64;
/// One whole sealed segment.
pub(super) const SEALED: u64 = SEGMENT + TAG;
pub(super) const MAGIC: [u8; 8] = [0xD7, b'D', b'R', b'K', b'E', b'N', b'C', 0x01];
const KEY_ID: usize = 4;
const SALT: usize = 32;
const PREFIX: usize = 7;
pub(super) const HEADER: usize = MAGIC.len() + KEY_ID + SALT + PREFIX;
const KEY_INFO: &[u8] = b"darkroom blob segments v1";

/// The master key of a store (32 bytes). Its `Debug` shows only its id.
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
    id: [u8; KEY_ID],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(id {})", hex(&self.id))
    }
}

impl MasterKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(b"darkroom blob key id\0");
        ctx.update(&bytes);
        let mut id = [0u8; KEY_ID];
        id.copy_from_slice(&ctx.finish().as_ref()[..KEY_ID]);
        Self { bytes, id }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn corrupt(key: &str, why: &str) -> StorageError {
    StorageError::other(format!(
        "encrypted blob {key:?} cannot be read: {why} (tampered, truncated or damaged)"
    ))
}

/// Whether `start` (the first bytes of a blob) begins like an encrypted blob. Shorter than the magic and a
/// prefix of it: as good as encrypted (and then too short to be valid).
pub(super) fn looks_encrypted(start: &[u8]) -> bool {
    let n = start.len().min(MAGIC.len());
    n > 0 && start[..n] == MAGIC[..n]
}

/// The keys and nonces of one blob, from its header.
pub(super) struct BlobCipher {
    key: LessSafeKey,
    header: [u8; HEADER],
}

impl BlobCipher {
    /// A new blob's cipher, with a fresh salt and nonce prefix.
    pub(super) fn fresh(master: &MasterKey) -> Result<Self, StorageError> {
        let mut header = [0u8; HEADER];
        header[..MAGIC.len()].copy_from_slice(&MAGIC);
        header[MAGIC.len()..MAGIC.len() + KEY_ID].copy_from_slice(&master.id);
        SystemRandom::new()
            .fill(&mut header[MAGIC.len() + KEY_ID..])
            .map_err(|_| StorageError::other("no randomness for an encrypted blob's salt"))?;
        Ok(Self::with_header(master, header))
    }

    /// The cipher of an existing blob whose first `HEADER` bytes are `header`.
    pub(super) fn open(master: &MasterKey, header: &[u8], key: &str) -> Result<Self, StorageError> {
        let header: [u8; HEADER] = header
            .get(..HEADER)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| corrupt(key, "shorter than its header"))?;
        if header[..MAGIC.len()] != MAGIC {
            return Err(corrupt(key, "unknown format version"));
        }
        if header[MAGIC.len()..MAGIC.len() + KEY_ID] != master.id {
            return Err(StorageError::other(format!(
                "encrypted blob {key:?} was written with another key (key id {}, ours {})",
                hex(&header[MAGIC.len()..MAGIC.len() + KEY_ID]),
                hex(&master.id)
            )));
        }
        Ok(Self::with_header(master, header))
    }

    fn with_header(master: &MasterKey, header: [u8; HEADER]) -> Self {
        let salt = &header[MAGIC.len() + KEY_ID..MAGIC.len() + KEY_ID + SALT];
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&master.bytes);
        let okm = prk
            .expand(&[KEY_INFO], &AES_256_GCM)
            // Only fails for outputs longer than 255 hashes; 32 bytes never is.
            .unwrap_or_else(|_| unreachable!("hkdf expands 32 bytes"));
        Self {
            key: LessSafeKey::new(UnboundKey::from(okm)),
            header,
        }
    }

    pub(super) fn header(&self) -> &[u8] {
        &self.header
    }

    fn nonce(&self, index: u64, last: bool) -> Result<Nonce, StorageError> {
        let index = u32::try_from(index)
            .map_err(|_| StorageError::other("blob too large to encrypt (2^32 segments)"))?;
        let mut nonce = [0u8; aead::NONCE_LEN];
        nonce[..PREFIX].copy_from_slice(&self.header[HEADER - PREFIX..]);
        nonce[PREFIX..PREFIX + 4].copy_from_slice(&index.to_be_bytes());
        nonce[aead::NONCE_LEN - 1] = u8::from(last);
        Ok(Nonce::assume_unique_for_key(nonce))
    }

    /// Seals segment `index` (at most `SEGMENT` bytes) in place, appending its tag.
    pub(super) fn seal(
        &self,
        index: u64,
        last: bool,
        segment: &mut Vec<u8>,
    ) -> Result<(), StorageError> {
        let nonce = self.nonce(index, last)?;
        self.key
            .seal_in_place_append_tag(nonce, Aad::from(&self.header), segment)
            .map_err(|_| StorageError::other("sealing a blob segment failed"))
    }

    /// Opens sealed segment `index` in place; the plaintext is the returned prefix of `sealed`.
    pub(super) fn open_segment<'a>(
        &self,
        index: u64,
        last: bool,
        sealed: &'a mut [u8],
        key: &str,
    ) -> Result<&'a mut [u8], StorageError> {
        let nonce = self.nonce(index, last)?;
        self.key
            .open_in_place(nonce, Aad::from(&self.header), sealed)
            .map_err(|_| corrupt(key, &format!("segment {index} does not authenticate")))
    }
}

/// How many segments a blob of `plain` bytes has (an empty blob has one, empty, to carry a tag).
pub(super) fn segments(plain: u64) -> u64 {
    plain.div_ceil(SEGMENT).max(1)
}

/// The stored size of a blob of `plain` bytes.
pub(super) fn sealed_len(plain: u64) -> u64 {
    HEADER as u64 + plain + segments(plain) * TAG
}

/// The plaintext size of an encrypted blob stored in `sealed` bytes; `None` when no plaintext size
/// gives that length (the file was cut or padded).
pub(super) fn plain_len(sealed: u64) -> Option<u64> {
    let body = sealed.checked_sub(HEADER as u64)?;
    let (whole, rest) = (body / SEALED, body % SEALED);
    let plain = match (whole, rest) {
        (0, rest) if rest >= TAG => rest - TAG,
        (whole, 0) if whole > 0 => whole * SEGMENT,
        (whole, rest) if rest > TAG => whole * SEGMENT + rest - TAG,
        _ => return None,
    };
    (sealed_len(plain) == sealed).then_some(plain)
}

/// Where segment `index` starts in the stored blob.
pub(super) fn segment_offset(index: u64) -> u64 {
    HEADER as u64 + index * SEALED
}

/// The whole of `plain` encrypted, in memory (for `put`, whose bytes are in memory already).
pub(super) fn seal_all(master: &MasterKey, plain: &[u8]) -> Result<Vec<u8>, StorageError> {
    let cipher = BlobCipher::fresh(master)?;
    let len = plain.len() as u64;
    let mut out = Vec::with_capacity(usize::try_from(sealed_len(len)).unwrap_or(0));
    out.extend_from_slice(cipher.header());
    let count = segments(len);
    let mut segment = Vec::with_capacity(SEALED as usize);
    for index in 0..count {
        let start = (index * SEGMENT) as usize;
        let end = ((index + 1) * SEGMENT).min(len) as usize;
        segment.clear();
        segment.extend_from_slice(&plain[start..end]);
        cipher.seal(index, index + 1 == count, &mut segment)?;
        out.extend_from_slice(&segment);
    }
    Ok(out)
}
