//! `OriginalTierRepository` whose writes drop the image's cached entry, as `CachedImageRepository`'s do: the
//! read path decides from the cached image whether its original is archived, and when its read was noted.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::CachedImageRepository;
use crate::domain::ImageId;
use crate::ports::{DbError, OriginalTierRepository};

#[derive(Debug, Clone)]
pub struct InvalidatingOriginalTiers {
    inner: Arc<dyn OriginalTierRepository>,
    /// Only its invalidation is used (every wrapper of this process shares the same cache and copies).
    images: CachedImageRepository,
}

impl InvalidatingOriginalTiers {
    pub fn new(inner: Arc<dyn OriginalTierRepository>, images: CachedImageRepository) -> Self {
        Self { inner, images }
    }
}

#[async_trait]
impl OriginalTierRepository for InvalidatingOriginalTiers {
    async fn note_original_read(&self, id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError> {
        let noted = self.inner.note_original_read(id, at).await;
        self.images.forget(id).await;
        noted
    }

    async fn originals_to_archive(
        &self,
        read_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError> {
        self.inner.originals_to_archive(read_before, limit).await
    }

    async fn mark_original_archived(
        &self,
        id: ImageId,
        read_before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let marked = self.inner.mark_original_archived(id, read_before, at).await;
        self.images.forget(id).await;
        marked
    }

    async fn mark_original_hot(&self, id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError> {
        let marked = self.inner.mark_original_hot(id, at).await;
        self.images.forget(id).await;
        marked
    }
}
