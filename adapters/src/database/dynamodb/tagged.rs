//! `images_by_owner_with_tag` on DynamoDB: the owner's listing partition walked newest first, its images
//! read in batches and kept when their `tags` or `auto_tags` hold the tag. Never a table scan: every read
//! is a Query of one owner's partition or a BatchGetItem of images by key.
//!
//! The tags live on the image item only, so nothing has to keep a second copy of them in step with
//! `updateImage` and processing. The cost is reading past the owner's images that lack the tag; a request
//! stops after [`MAX_EXAMINED`] of them and answers what it found with a cursor where it stopped (the port
//! allows a short, even empty, page with `next` set), so one request's work stays bounded however rare
//! the tag.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{Cursor, Image, ImageId, Page, PageRequest, UserId};
use darkroom_core::ports::DbError;

use super::attrs::s;
use super::errors::db_error;
use super::items;
use super::keys::{self, PK, SK};
use super::DynamoDatabase;

/// Listing entries read per Query (and images per round of BatchGetItem).
const CHUNK: usize = 100;
/// Listing entries one request examines at most before it answers with what it has.
const MAX_EXAMINED: usize = 1_000;

impl DynamoDatabase {
    pub(super) async fn owner_images_with_tag(
        &self,
        owner: UserId,
        tag: &str,
        request: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        let limit = request.limit as usize;
        let mut position = request.after;
        let mut matched: Vec<Image> = Vec::new();
        let mut examined = 0;
        loop {
            let (listed, exhausted) = self.listing_after(owner, position, CHUNK).await?;
            let exhausted = exhausted || listed.is_empty();
            let mut by_id = self
                .listed_images(&listed, "reading a page of images")
                .await?;
            for (id, created_at) in &listed {
                examined += 1;
                position = Some(Cursor {
                    created_at: *created_at,
                    id: id.0,
                });
                // An image deleted between the two reads is left out, as `images_by_owner` does.
                let Some(image) = by_id.remove(id).filter(|image| !image.is_deleted()) else {
                    continue;
                };
                if image.tags.iter().chain(&image.auto_tags).any(|t| t == tag) {
                    matched.push(image);
                    if matched.len() > limit {
                        // One match more than the page: there is a next page, after the page's last.
                        matched.truncate(limit);
                        let next = matched.last().map(cursor_of);
                        return Ok(Page {
                            items: matched,
                            next,
                        });
                    }
                }
            }
            if exhausted {
                return Ok(Page {
                    items: matched,
                    next: None,
                });
            }
            if examined >= MAX_EXAMINED {
                // Everything up to `position` was examined: the next request goes on from there.
                return Ok(Page {
                    items: matched,
                    next: position,
                });
            }
        }
    }

    /// Up to `count` of `owner`'s listing entries after `after` (newest first), and whether the listing
    /// ends with them.
    async fn listing_after(
        &self,
        owner: UserId,
        after: Option<Cursor>,
        count: usize,
    ) -> Result<(Vec<(ImageId, DateTime<Utc>)>, bool), DbError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .scan_index_forward(false)
            .limit(i32::try_from(count).unwrap_or(i32::MAX))
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(keys::images_of(owner)));
        query = match after {
            None => query.key_condition_expression("#pk = :pk"),
            Some(after) => query
                .key_condition_expression("#pk = :pk AND #sk < :after")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":after", s(keys::order(after.created_at, after.id))),
        };
        let output = query
            .send()
            .await
            .map_err(|e| db_error(e, &self.table, "listing an owner's images by tag"))?;
        let exhausted = output.last_evaluated_key.is_none();
        let listed = output
            .items
            .unwrap_or_default()
            .iter()
            .map(items::listed_image)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((listed, exhausted))
    }
}

fn cursor_of(image: &Image) -> Cursor {
    Cursor {
        created_at: image.created_at,
        id: image.id.0,
    }
}
