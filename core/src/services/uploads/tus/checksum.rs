//! tus's checksum extension: `Upload-Checksum: <algorithm> <base64 digest>` covers one request's body. The
//! body is hashed as it streams by; at its end the digest is compared, and a mismatch ends the stream in an
//! error, so the write it feeds is abandoned and nothing is recorded (the server answers 460).

use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::TusError;
use crate::domain::ValidationError;
use crate::ports::{ByteStream, StorageError};
use crate::services::ServiceError;

/// The algorithms accepted, as `Tus-Checksum-Algorithm` lists them.
pub const ALGORITHMS: &str = "sha1,md5,sha256";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Sha1,
    Md5,
    Sha256,
}

/// A parsed `Upload-Checksum` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadChecksum {
    algorithm: Algorithm,
    expected: Vec<u8>,
}

impl UploadChecksum {
    pub fn parse(header: &str) -> Result<Self, ServiceError> {
        let invalid = |why: &str| ValidationError::new("Upload-Checksum", why.to_owned());
        let (name, digest) = header
            .trim()
            .split_once(' ')
            .ok_or_else(|| invalid("must be `<algorithm> <base64 digest>`"))?;
        let algorithm = match name.to_ascii_lowercase().as_str() {
            "sha1" => Algorithm::Sha1,
            "md5" => Algorithm::Md5,
            "sha256" => Algorithm::Sha256,
            _ => return Err(invalid(&format!("the algorithms supported are {ALGORITHMS}")).into()),
        };
        let expected = base64::engine::general_purpose::STANDARD
            .decode(digest.trim())
            .map_err(|_| invalid("the digest must be base64"))?;
        Ok(Self {
            algorithm,
            expected,
        })
    }
}

enum Hasher {
    Sha1(Sha1),
    Md5(Md5),
    Sha256(Sha256),
}

impl Hasher {
    fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha1 => Self::Sha1(Sha1::new()),
            Algorithm::Md5 => Self::Md5(Md5::new()),
            Algorithm::Sha256 => Self::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        match self {
            Self::Sha1(h) => h.update(chunk),
            Self::Md5(h) => h.update(chunk),
            Self::Sha256(h) => h.update(chunk),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Md5(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// Why a watched body failed, read once the store has given up on it.
pub type Failure = Arc<Mutex<Option<TusError>>>;

/// The request body as the store takes it: a broken connection and a checksum mismatch each end it in an
/// error, with the reason left in the returned slot.
pub fn watch_body(
    body: BoxStream<'static, Result<Bytes, String>>,
    checksum: Option<UploadChecksum>,
) -> (ByteStream, Failure) {
    let failure: Failure = Arc::new(Mutex::new(None));
    let fail = {
        let failure = failure.clone();
        move |reason: TusError| -> StorageError {
            let message = reason.to_string();
            if let Ok(mut slot) = failure.lock() {
                slot.get_or_insert(reason);
            }
            StorageError::Aborted(message)
        }
    };
    let hasher = checksum
        .as_ref()
        .map(|c| Arc::new(Mutex::new(Some(Hasher::new(c.algorithm)))));
    let (hasher_in, fail_in) = (hasher.clone(), fail.clone());
    let chunks = body.map(move |chunk| match chunk {
        Ok(chunk) => {
            if let Some(hasher) = &hasher_in {
                if let Ok(mut guard) = hasher.lock() {
                    if let Some(h) = guard.as_mut() {
                        h.update(&chunk);
                    }
                }
            }
            Ok(chunk)
        }
        Err(reason) => Err(fail_in(ServiceError::UploadInterrupted(reason).into())),
    });
    let end = futures::stream::once(async move {
        let (Some(checksum), Some(hasher)) = (checksum, hasher) else {
            return None;
        };
        let digest = hasher.lock().ok()?.take()?.finish();
        (digest != checksum.expected).then(|| {
            Err(fail(TusError::ChecksumMismatch(
                "the body does not match its Upload-Checksum".into(),
            )))
        })
    })
    .filter_map(futures::future::ready);
    (chunks.chain(end).boxed(), failure)
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;

    fn body(parts: &[&'static [u8]]) -> BoxStream<'static, Result<Bytes, String>> {
        let chunks: Vec<Result<Bytes, String>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        futures::stream::iter(chunks).boxed()
    }

    fn header(name: &str, digest: &[u8]) -> UploadChecksum {
        let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
        UploadChecksum::parse(&format!("{name} {encoded}")).unwrap()
    }

    #[tokio::test]
    async fn a_matching_body_passes_whole() {
        let sha1 = Sha1::digest(b"hello world");
        let (stream, failure) =
            watch_body(body(&[b"hello ", b"world"]), Some(header("sha1", &sha1)));
        let got: Vec<Bytes> = stream.try_collect().await.unwrap();
        assert_eq!(got.concat(), b"hello world");
        assert!(failure.lock().unwrap().is_none());
    }

    #[tokio::test]
    async fn a_mismatch_fails_at_the_end() {
        let md5 = Md5::digest(b"other");
        let (stream, failure) = watch_body(body(&[b"hello"]), Some(header("md5", &md5)));
        assert!(stream.try_collect::<Vec<Bytes>>().await.is_err());
        assert!(matches!(
            failure.lock().unwrap().take(),
            Some(TusError::ChecksumMismatch(_))
        ));
    }

    #[test]
    fn unknown_algorithms_and_bad_digests_are_refused() {
        assert!(UploadChecksum::parse("crc32 AAAA").is_err());
        assert!(UploadChecksum::parse("sha1 not base64!").is_err());
        assert!(UploadChecksum::parse("sha1").is_err());
        assert!(UploadChecksum::parse("SHA256 AAAA").is_ok());
    }
}
