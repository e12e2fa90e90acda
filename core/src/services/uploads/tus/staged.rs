//! A PATCH whose length is not declared (a chunked body, as tus-js-client sends from Node): whether its
//! bytes fill a part is known only once they have all come, so they are staged as segments first, cut at
//! part boundaries, and whole parts' worth of segments are then copied into parts (`flush`). This costs a
//! second pass over the bytes in storage; a client that sends `Content-Length` (browsers do) avoids it.

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;

use super::checksum::{watch_body, UploadChecksum};
use super::pieces::{Ends, Pieces};
use super::staging::{self, Position, Segment};
use super::{why, TusError};
use crate::domain::{Upload, UploadPart, ValidationError};
use crate::ports::{BlobKey, ByteStream, StorageError};
use crate::services::uploads::{checked_part, PartChecksums, UploadService};
use crate::services::ServiceError;

impl UploadService {
    /// Stages the body as segments from `position.offset`, then flushes whole parts; returns the new
    /// offset. A checksum mismatch removes the segments this body wrote; a broken connection keeps them
    /// when no checksum was sent (each one is whole).
    pub(super) async fn store_staged(
        &self,
        upload: &Upload,
        position: &Position,
        checksum: Option<UploadChecksum>,
        body: BoxStream<'static, Result<Bytes, String>>,
    ) -> Result<u64, TusError> {
        let vouched = checksum.is_none();
        let (body, failure) = watch_body(body, checksum);
        let mut written = Vec::new();
        let staged = self
            .write_staged(upload, position.offset, body, &mut written)
            .await;
        if let Err(err) = staged {
            let reason = why(&failure, Some(err));
            let interrupted = matches!(
                reason,
                TusError::Service(ServiceError::UploadInterrupted(_))
            );
            if !(vouched && interrupted) {
                for segment in &written {
                    if let Err(error) = self.blobs.delete(&BlobKey::parse(&segment.key)?).await {
                        tracing::warn!(upload = %upload.id, %error, "could not remove a refused segment");
                    }
                }
            }
            return Err(reason);
        }
        let mut after = position.clone();
        after.offset = written
            .last()
            .map_or(position.offset, |s| s.offset + s.size);
        after.tail.extend(written);
        let flushed = self.flush(upload, after).await?;
        Ok(flushed.offset)
    }

    /// Writes the body as segments from `at`, none crossing a part boundary, listed in `written`.
    async fn write_staged(
        &self,
        upload: &Upload,
        mut at: u64,
        body: ByteStream,
        written: &mut Vec<Segment>,
    ) -> Result<(), ServiceError> {
        let length = upload.size.unwrap_or_default();
        let part_bytes = self.settings.part_bytes;
        let pieces = Pieces::new(body);
        while !pieces.at_end().await? {
            if at >= length {
                return Err(ValidationError::new(
                    "Upload-Offset",
                    format!("the body goes past the upload's length ({length})"),
                )
                .into());
            }
            let boundary = ((at / part_bytes + 1) * part_bytes).min(length);
            let key = staging::segment_key(upload.id, at)?;
            let stored = self
                .blobs
                .put_stream(&key, pieces.take(boundary - at, Ends::UpTo))
                .await?;
            written.push(Segment {
                key: key.as_str().to_owned(),
                offset: at,
                size: stored.size,
            });
            at += stored.size;
        }
        Ok(())
    }

    /// Turns every whole part's worth of segments after the recorded parts (the last part may be short:
    /// it ends at the length) into that part; returns the position after.
    pub(super) async fn flush(
        &self,
        upload: &Upload,
        mut position: Position,
    ) -> Result<Position, TusError> {
        let length = upload.size.unwrap_or_default();
        let part_bytes = self.settings.part_bytes;
        loop {
            let boundary = (position.base + part_bytes).min(length);
            if position.base >= length || position.offset < boundary {
                return Ok(position);
            }
            let count = position
                .tail
                .iter()
                .take_while(|s| s.offset + s.size <= boundary)
                .count();
            let within: Vec<Segment> = position.tail.drain(..count).collect();
            let covered = within.last().map_or(position.base, |s| s.offset + s.size);
            if covered != boundary {
                // A segment crosses the boundary (none is written so): leave the bytes to be sent again.
                return Err(ServiceError::Storage(StorageError::other(format!(
                    "the segments of upload {} do not end at a part boundary",
                    upload.id
                )))
                .into());
            }
            let streams = self.segment_streams(&within).await?;
            let source = futures::stream::iter(streams).flatten().boxed();
            let number = position.parts + 1;
            let part = self
                .put_tus_part(upload, number, source)
                .await
                .map_err(|err| err.unwrap_or_else(|| ServiceError::Internal("part lost".into())))?;
            let mut used: Vec<&Segment> = within.iter().collect();
            used.extend(&position.stale);
            self.record_parts(upload, std::slice::from_ref(&part), &used)
                .await?;
            position.stale.clear();
            position.parts = number;
            position.base = boundary;
        }
    }

    /// Streams one part of a tus upload into the multipart upload; its MD5 becomes its ETag.
    pub(super) async fn put_tus_part(
        &self,
        upload: &Upload,
        number: u32,
        piece: ByteStream,
    ) -> Result<UploadPart, Option<ServiceError>> {
        let key = BlobKey::parse(&upload.key).map_err(|e| Some(e.into()))?;
        let piece = piece.map(|chunk| chunk.map_err(|e| e.to_string())).boxed();
        let (stream, verdict) =
            checked_part::watch(piece, self.settings.part_bytes, PartChecksums::default());
        let stored = self
            .multipart
            .put_part(&key, &upload.storage_upload_id, number, stream)
            .await;
        let checked = verdict.lock().ok().and_then(|mut slot| slot.take());
        match (stored, checked) {
            (Ok(receipt), Some(Ok(checked))) => Ok(UploadPart {
                number,
                size: checked.size,
                etag: checked.md5,
                checksum: None,
                storage_tag: receipt.tag,
            }),
            (stored, checked) => Err(stored
                .err()
                .map(ServiceError::from)
                .or(checked.and_then(Result::err))),
        }
    }

    /// Records parts (in order), then removes the segments they made unnecessary.
    pub(super) async fn record_parts(
        &self,
        upload: &Upload,
        parts: &[UploadPart],
        used: &[&Segment],
    ) -> Result<(), TusError> {
        for part in parts {
            if !self.uploads.put_upload_part(upload.id, part).await? {
                return Err(ServiceError::UploadNotOpen("no longer open".into()).into());
            }
        }
        if parts.is_empty() {
            return Ok(());
        }
        for segment in used {
            if let Err(error) = self.blobs.delete(&BlobKey::parse(&segment.key)?).await {
                tracing::warn!(upload = %upload.id, %error, "could not remove a used segment");
            }
        }
        Ok(())
    }
}
