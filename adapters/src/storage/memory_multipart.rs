//! Multipart uploads of the in-memory store, kept here: `object_store`'s `InMemory` panics on a part sent
//! out of order (0.12.5 grows its part list only when the index is within it), and resumed uploads send
//! parts in any order.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use darkroom_core::ports::multipart::check_part_sequence;
use darkroom_core::ports::{ByteStream, Leftover, LeftoverKind, PartReceipt, StorageError};
use futures::TryStreamExt;
use uuid::Uuid;

/// An upload's parts by number, each with its tag.
type Parts = BTreeMap<u32, (String, Bytes)>;

/// An upload: its key and start (for `StorageSweep::leftovers`) and its parts.
#[derive(Debug)]
struct Upload {
    key: String,
    started: DateTime<Utc>,
    parts: Parts,
}

/// Uploads by id.
#[derive(Debug, Default)]
pub(super) struct MemoryParts {
    uploads: Mutex<HashMap<String, Upload>>,
}

fn unknown(id: &str) -> StorageError {
    StorageError::NotFound(format!("multipart upload {id}"))
}

impl MemoryParts {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut HashMap<String, Upload>) -> T,
    ) -> Result<T, StorageError> {
        let mut uploads = self
            .uploads
            .lock()
            .map_err(|_| StorageError::other("multipart state poisoned"))?;
        Ok(f(&mut uploads))
    }

    pub(super) fn create(&self, key: &str) -> Result<String, StorageError> {
        let id = Uuid::new_v4().simple().to_string();
        let upload = Upload {
            key: key.to_owned(),
            started: Utc::now(),
            parts: BTreeMap::new(),
        };
        self.with(|uploads| uploads.insert(id.clone(), upload))?;
        Ok(id)
    }

    /// Every upload neither completed nor aborted, as leftovers.
    pub(super) fn leftovers(&self) -> Result<Vec<Leftover>, StorageError> {
        self.with(|uploads| {
            uploads
                .iter()
                .map(|(id, upload)| Leftover {
                    kind: LeftoverKind::Multipart,
                    key: upload.key.clone(),
                    upload_id: Some(id.clone()),
                    started: upload.started,
                })
                .collect()
        })
    }

    pub(super) async fn put_part(
        &self,
        id: &str,
        number: u32,
        data: ByteStream,
    ) -> Result<PartReceipt, StorageError> {
        if !self.with(|uploads| uploads.contains_key(id))? {
            return Err(unknown(id));
        }
        let chunks: Vec<Bytes> = data.try_collect().await?;
        let bytes = Bytes::from(chunks.concat());
        let tag = Uuid::new_v4().simple().to_string();
        let receipt = PartReceipt {
            number,
            size: bytes.len() as u64,
            tag: tag.clone(),
        };
        let stored = self.with(|uploads| {
            uploads
                .get_mut(id)
                .map(|upload| upload.parts.insert(number, (tag, bytes)))
                .is_some()
        })?;
        if stored {
            Ok(receipt)
        } else {
            Err(unknown(id))
        }
    }

    /// The parts' bytes, concatenated; the upload is gone afterwards.
    pub(super) fn complete(&self, id: &str, parts: &[PartReceipt]) -> Result<Bytes, StorageError> {
        check_part_sequence(parts)?;
        self.with(|uploads| {
            let stored = &uploads.get(id).ok_or_else(|| unknown(id))?.parts;
            let mut whole = Vec::new();
            for part in parts {
                match stored.get(&part.number) {
                    Some((tag, bytes)) if *tag == part.tag => whole.extend_from_slice(bytes),
                    _ => {
                        return Err(StorageError::other(format!(
                            "part {} is not in the upload (replaced since?)",
                            part.number
                        )))
                    }
                }
            }
            uploads.remove(id);
            Ok(Bytes::from(whole))
        })?
    }

    pub(super) fn abort(&self, id: &str) -> Result<(), StorageError> {
        self.with(|uploads| uploads.remove(id)).map(|_| ())
    }
}
