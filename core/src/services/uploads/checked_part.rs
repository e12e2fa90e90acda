//! Watching a part go by on its way to storage: counts it against the part limit, and hashes it (MD5 for
//! its ETag and `Content-MD5`, SHA-256 for `x-amz-checksum-sha256`). When the body ends, the checksums the
//! client sent are compared; a mismatch (or a part too large) ends the stream in an error instead, so the
//! store abandons the part and nothing is recorded.

use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::ports::{ByteStream, StorageError};
use crate::services::ServiceError;

/// The checksums a part's request carried (`Content-MD5` and `x-amz-checksum-sha256`, both base64).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartChecksums {
    pub content_md5: Option<String>,
    pub sha256: Option<String>,
}

/// What a part turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPart {
    pub size: u64,
    /// Hex MD5.
    pub md5: String,
    /// Hex SHA-256, when the client sent one to check (and it matched).
    pub sha256: Option<String>,
}

struct Watch {
    max: u64,
    size: u64,
    md5: Md5,
    /// Only when the client sent one to compare with: hashing costs as much as the rest of a part's path.
    sha256: Option<Sha256>,
    expected: PartChecksums,
}

impl Watch {
    fn observe(&mut self, chunk: &[u8]) -> Result<(), ServiceError> {
        self.size += chunk.len() as u64;
        if self.size > self.max {
            return Err(ServiceError::PartTooLarge { limit: self.max });
        }
        self.md5.update(chunk);
        if let Some(sha256) = &mut self.sha256 {
            sha2::Digest::update(sha256, chunk);
        }
        Ok(())
    }

    fn finish(self) -> Result<CheckedPart, ServiceError> {
        if self.size == 0 {
            return Err(ServiceError::EmptyBody);
        }
        let md5 = self.md5.finalize();
        compare("Content-MD5", self.expected.content_md5.as_deref(), &md5)?;
        let sha256 = self.sha256.map(sha2::Digest::finalize);
        if let Some(sha256) = &sha256 {
            compare(
                "x-amz-checksum-sha256",
                self.expected.sha256.as_deref(),
                sha256,
            )?;
        }
        Ok(CheckedPart {
            size: self.size,
            md5: hex::encode(md5),
            sha256: sha256.map(hex::encode),
        })
    }
}

fn compare(
    header: &'static str,
    expected: Option<&str>,
    actual: &[u8],
) -> Result<(), ServiceError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(expected.trim())
        .map_err(|_| {
            crate::domain::ValidationError::new(header, "must be the base64 of the digest")
        })?;
    if decoded == actual {
        Ok(())
    } else {
        Err(ServiceError::ChecksumMismatch(format!(
            "the part does not match its {header}"
        )))
    }
}

/// The verdict, read once the store has taken (or refused) the stream.
pub type Verdict = Arc<Mutex<Option<Result<CheckedPart, ServiceError>>>>;

/// Wraps a part's body: the store receives it chunk by chunk; the end of the body is held back until the
/// checks pass, and a failed check ends the stream in an error (its reason waits in the verdict).
pub fn watch(
    body: BoxStream<'static, Result<Bytes, String>>,
    max: u64,
    expected: PartChecksums,
) -> (ByteStream, Verdict) {
    let verdict: Verdict = Arc::new(Mutex::new(None));
    let state = Arc::new(Mutex::new(Some(Watch {
        max,
        size: 0,
        md5: Md5::new(),
        sha256: expected
            .sha256
            .is_some()
            .then(<Sha256 as sha2::Digest>::new),
        expected,
    })));
    let (state_in, verdict_in) = (state.clone(), verdict.clone());
    let settle =
        move |outcome: Result<CheckedPart, ServiceError>| -> Option<Result<Bytes, StorageError>> {
            let failure = outcome.as_ref().err().map(ToString::to_string);
            if let Ok(mut slot) = verdict_in.lock() {
                slot.get_or_insert(outcome);
            }
            failure.map(|reason| Err(StorageError::Aborted(reason)))
        };
    let settle_end = settle.clone();
    let state_end = state_in.clone();
    let chunks = body.map(move |chunk| {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                return settle(Err(ServiceError::UploadInterrupted(e)))
                    .unwrap_or_else(|| Err(StorageError::Aborted("interrupted".into())))
            }
        };
        let mut guard = state_in
            .lock()
            .map_err(|_| StorageError::Aborted("part state poisoned".into()))?;
        if let Some(watch) = guard.as_mut() {
            if let Err(err) = watch.observe(&chunk) {
                guard.take();
                drop(guard);
                return settle(Err(err))
                    .unwrap_or_else(|| Err(StorageError::Aborted("refused".into())));
            }
        }
        Ok(chunk)
    });
    // After the last chunk: judge the whole part, and end in an error when it fails.
    let end = futures::stream::once(async move {
        let watch = state_end.lock().ok().and_then(|mut slot| slot.take());
        match watch {
            Some(watch) => settle_end(watch.finish()),
            None => None,
        }
    })
    .filter_map(futures::future::ready);
    (chunks.chain(end).boxed(), verdict)
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

    fn b64(digest: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(digest)
    }

    #[tokio::test]
    async fn a_matching_part_passes_with_its_digests() {
        let md5 = b64(&Md5::digest(b"hello world"));
        let sha = b64(&<Sha256 as sha2::Digest>::digest(b"hello world"));
        let (stream, verdict) = watch(
            body(&[b"hello ", b"world"]),
            100,
            PartChecksums {
                content_md5: Some(md5),
                sha256: Some(sha),
            },
        );
        let got: Vec<Bytes> = stream.try_collect().await.unwrap();
        assert_eq!(got.concat(), b"hello world");
        let checked = verdict.lock().unwrap().take().unwrap().unwrap();
        assert_eq!(checked.size, 11);
        assert_eq!(checked.md5, "5eb63bbbe01eeed093cb22bb8f5acdc3");
    }

    #[tokio::test]
    async fn a_mismatch_ends_the_stream_in_an_error() {
        let (stream, verdict) = watch(
            body(&[b"hello"]),
            100,
            PartChecksums {
                content_md5: Some(b64(&Md5::digest(b"other"))),
                sha256: None,
            },
        );
        assert!(stream.try_collect::<Vec<Bytes>>().await.is_err());
        let err = verdict.lock().unwrap().take().unwrap().unwrap_err();
        assert_eq!(err.code(), "checksum_mismatch");
    }

    #[tokio::test]
    async fn a_part_over_the_limit_is_cut_off() {
        let (stream, verdict) = watch(body(&[b"12345", b"67890"]), 8, PartChecksums::default());
        assert!(stream.try_collect::<Vec<Bytes>>().await.is_err());
        let err = verdict.lock().unwrap().take().unwrap().unwrap_err();
        assert_eq!(err.code(), "part_too_large");
    }
}
