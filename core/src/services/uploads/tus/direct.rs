//! A PATCH that declares its length: its bytes go straight into parts. The segments before it are read
//! back into the part it fills (and only then), and what is left past its last whole part becomes one
//! segment. The parts count (are recorded) once the whole body has arrived and passed its checksum.

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;

use super::checksum::{watch_body, UploadChecksum};
use super::pieces::{Ends, Pieces};
use super::staging::{self, Position};
use super::{why, TusError};
use crate::domain::{Upload, UploadPart};
use crate::ports::{BlobKey, ByteStream};
use crate::services::uploads::UploadService;
use crate::services::ServiceError;

impl UploadService {
    /// Stores bytes `position.offset..end`, arriving in `body`. A connection that breaks keeps the whole
    /// parts it brought (unless a checksum was sent: those bytes cannot be vouched for); a checksum
    /// mismatch keeps nothing.
    pub(super) async fn store_direct(
        &self,
        upload: &Upload,
        position: &Position,
        end: u64,
        checksum: Option<UploadChecksum>,
        body: BoxStream<'static, Result<Bytes, String>>,
    ) -> Result<(), TusError> {
        let vouched = checksum.is_none();
        let (body, failure) = watch_body(body, checksum);
        let mut parts = Vec::new();
        let written = self
            .write_direct(upload, position, end, body, &mut parts)
            .await;
        let outcome = written.map_err(|err| why(&failure, err));
        if let Err(reason) = &outcome {
            let interrupted = matches!(
                reason,
                TusError::Service(ServiceError::UploadInterrupted(_))
            );
            if !(vouched && interrupted) {
                return outcome;
            }
        }
        let used: Vec<&staging::Segment> = position.tail.iter().chain(&position.stale).collect();
        self.record_parts(upload, &parts, &used).await?;
        outcome
    }

    /// Cuts the bytes from `position` to `end` (the segments, when this body fills the next part, then
    /// `body`) into whole parts, stored as they come and listed in `parts`, and a segment for the rest.
    async fn write_direct(
        &self,
        upload: &Upload,
        position: &Position,
        end: u64,
        body: ByteStream,
        parts: &mut Vec<UploadPart>,
    ) -> Result<(), Option<ServiceError>> {
        let length = upload.size.unwrap_or_default();
        let part_bytes = self.settings.part_bytes;
        let fills_a_part = (position.base + part_bytes).min(length) <= end;
        let (source, mut at) = if fills_a_part {
            let mut streams = self.segment_streams(&position.tail).await.map_err(Some)?;
            streams.push(body);
            (
                futures::stream::iter(streams).flatten().boxed(),
                position.base,
            )
        } else {
            (body, position.offset)
        };
        let pieces = Pieces::new(source);
        let mut number = position.parts + 1;
        while at < end && (at + part_bytes).min(length) <= end {
            let part_end = (at + part_bytes).min(length);
            let ends = if part_end == end {
                Ends::Last
            } else {
                Ends::Exact
            };
            let piece = pieces.take(part_end - at, ends);
            parts.push(self.put_tus_part(upload, number, piece).await?);
            at = part_end;
            number += 1;
        }
        if at < end {
            let segment = staging::segment_key(upload.id, at).map_err(|e| Some(e.into()))?;
            self.blobs
                .put_stream(&segment, pieces.take(end - at, Ends::Last))
                .await
                .map_err(|e| Some(e.into()))?;
        }
        Ok(())
    }

    /// The segments' bytes, in order, as streams.
    pub(super) async fn segment_streams(
        &self,
        segments: &[staging::Segment],
    ) -> Result<Vec<ByteStream>, ServiceError> {
        let mut streams = Vec::with_capacity(segments.len() + 1);
        for segment in segments {
            let (_, stream) = self
                .blobs
                .get_stream(&BlobKey::parse(&segment.key)?, None)
                .await?;
            streams.push(stream);
        }
        Ok(streams)
    }
}
