//! Watching an upload go by: counts bytes against the limit, hashes them, and identifies the format from
//! the magic bytes, without ever holding more than the first few bytes.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::ServiceError;
use crate::domain::ImageFormat;
use crate::imaging::{sniff, SNIFF_LEN};
use crate::ports::{ByteStream, StorageError};

/// What an upload turned out to be once it has been read to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub format: ImageFormat,
    pub bytes: u64,
    pub sha256: String,
}

/// The running state of one upload.
#[derive(Debug)]
pub struct Ingest {
    max_bytes: u64,
    bytes: u64,
    hasher: Sha256,
    prefix: Vec<u8>,
    format: Option<ImageFormat>,
    /// What the image pipeline decodes (`ImagePipeline::decodable_formats`): anything else is refused.
    accepted: Vec<ImageFormat>,
}

impl Ingest {
    pub fn new(max_bytes: u64, accepted: Vec<ImageFormat>) -> Self {
        Self {
            max_bytes,
            bytes: 0,
            hasher: Sha256::new(),
            prefix: Vec::new(),
            format: None,
            accepted,
        }
    }

    /// Takes the next chunk; an error means the upload must stop here.
    pub fn observe(&mut self, chunk: &[u8]) -> Result<(), ServiceError> {
        self.bytes += chunk.len() as u64;
        if self.bytes > self.max_bytes {
            return Err(ServiceError::PayloadTooLarge {
                limit: self.max_bytes,
            });
        }
        self.hasher.update(chunk);
        if self.format.is_none() && self.prefix.len() < SNIFF_LEN {
            let wanted = (SNIFF_LEN - self.prefix.len()).min(chunk.len());
            self.prefix.extend_from_slice(&chunk[..wanted]);
            if self.prefix.len() == SNIFF_LEN {
                self.format = Some(identify(&self.prefix, &self.accepted)?);
            }
        }
        Ok(())
    }

    /// The verdict once the body has ended.
    pub fn finish(self) -> Result<Ingested, ServiceError> {
        if self.bytes == 0 {
            return Err(ServiceError::EmptyBody);
        }
        let format = match self.format {
            Some(format) => format,
            None => identify(&self.prefix, &self.accepted)?,
        };
        Ok(Ingested {
            format,
            bytes: self.bytes,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }
}

fn identify(prefix: &[u8], accepted: &[ImageFormat]) -> Result<ImageFormat, ServiceError> {
    match sniff(prefix) {
        Some(format) if accepted.contains(&format) => Ok(format),
        Some(format) => Err(ServiceError::UnsupportedMediaType(format!(
            "{format} images are not supported by this build"
        ))),
        None => Err(ServiceError::UnsupportedMediaType(
            "the body is not an image in a supported format".into(),
        )),
    }
}

/// Shared between the stream handed to storage and the service that reads the verdict afterwards.
pub type SharedIngest = Arc<Mutex<Option<Ingest>>>;

/// Wraps a request body so that storage receives it chunk by chunk while `Ingest` watches. When `Ingest`
/// objects, the stream ends in an error, storage abandons the write, and the reason waits in `rejection`.
pub fn watch(
    body: BoxStream<'static, Result<Bytes, String>>,
    max_bytes: u64,
    accepted: Vec<ImageFormat>,
) -> (ByteStream, SharedIngest, Arc<Mutex<Option<ServiceError>>>) {
    let state: SharedIngest = Arc::new(Mutex::new(Some(Ingest::new(max_bytes, accepted))));
    let rejection = Arc::new(Mutex::new(None));
    let (state_in, rejection_in) = (state.clone(), rejection.clone());
    let stream = body.map(move |chunk| {
        let chunk = chunk.map_err(|e| {
            remember(&rejection_in, ServiceError::UploadInterrupted(e.clone()));
            StorageError::Aborted(e)
        })?;
        let mut guard = state_in
            .lock()
            .map_err(|_| StorageError::Aborted("ingest state poisoned".into()))?;
        if let Some(ingest) = guard.as_mut() {
            if let Err(err) = ingest.observe(&chunk) {
                let reason = err.to_string();
                remember(&rejection_in, err);
                return Err(StorageError::Aborted(reason));
            }
        }
        Ok(chunk)
    });
    (stream.boxed(), state, rejection)
}

fn remember(slot: &Arc<Mutex<Option<ServiceError>>>, err: ServiceError) {
    if let Ok(mut slot) = slot.lock() {
        slot.get_or_insert(err);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_MAGIC: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    #[test]
    fn identifies_across_chunk_boundaries_and_hashes_everything() {
        let mut ingest = Ingest::new(1_000, ImageFormat::ALL.to_vec());
        for byte in PNG_MAGIC.chunks(3) {
            ingest.observe(byte).unwrap();
        }
        ingest.observe(b"rest of the file").unwrap();
        let done = ingest.finish().unwrap();
        assert_eq!(done.format, ImageFormat::Png);
        assert_eq!(done.bytes, PNG_MAGIC.len() as u64 + 16);
        let mut whole = PNG_MAGIC.to_vec();
        whole.extend_from_slice(b"rest of the file");
        assert_eq!(done.sha256, hex::encode(Sha256::digest(&whole)));
    }

    #[test]
    fn refuses_non_images_as_soon_as_the_prefix_is_known() {
        let mut ingest = Ingest::new(1_000, ImageFormat::ALL.to_vec());
        let err = ingest
            .observe(b"<html><body>definitely not an image</body></html>")
            .unwrap_err();
        assert_eq!(err.code(), "unsupported_media_type");
    }

    #[test]
    fn refuses_bodies_over_the_limit_and_empty_bodies() {
        let mut ingest = Ingest::new(40, ImageFormat::ALL.to_vec());
        ingest.observe(PNG_MAGIC).unwrap();
        assert_eq!(
            ingest.observe(&[0u8; 20]).unwrap_err().code(),
            "image_too_large"
        );
        assert_eq!(
            Ingest::new(40, ImageFormat::ALL.to_vec())
                .finish()
                .unwrap_err()
                .code(),
            "empty_body"
        );
    }

    #[test]
    fn refuses_formats_the_pipeline_does_not_decode() {
        let mut ingest = Ingest::new(1_000, vec![ImageFormat::Jpeg]);
        assert_eq!(
            ingest.observe(PNG_MAGIC).unwrap_err().code(),
            "unsupported_media_type"
        );
    }

    #[test]
    fn short_bodies_are_judged_at_the_end() {
        let mut ingest = Ingest::new(100, ImageFormat::ALL.to_vec());
        ingest.observe(b"GIF89a").unwrap();
        assert_eq!(ingest.finish().unwrap().format, ImageFormat::Gif);
        let mut junk = Ingest::new(100, ImageFormat::ALL.to_vec());
        junk.observe(b"hi").unwrap();
        assert_eq!(junk.finish().unwrap_err().code(), "unsupported_media_type");
    }
}
