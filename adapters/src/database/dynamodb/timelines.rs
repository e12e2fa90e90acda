//! `TimelineRepository` on DynamoDB. A built timeline is an item (`TIMELINE#<owner>`, holding `complete`)
//! and one entry per post in the owner's `FEED#` partition sorted by (created_at, post id), so a page is
//! one GetItem and one Query, sent together. Each entry has a note in its post's partition, so that a
//! deleted post leaves every timeline without a scan (`timeline_entries.rs`).
//!
//! - `add_to_timelines`: one BatchGetItem reads, per owner, the timeline item and the entry (100 keys a
//!   request), then BatchWriteItem writes the notes and entries of the timelines that exist and lack it
//!   (25 a request, unprocessed items sent again): a redelivery writes nothing and counts nothing.
//! - `remove_post`: a Query of the post's notes, then batch deletes; `remove_author` and `trim_timeline`
//!   read the owner's timeline (bounded by the cap) and delete what goes.
//! - `build_timeline` writes the new entries, deletes the old ones it does not keep, then puts the
//!   timeline item; `drop_timeline` deletes the item first (so fan-out stops writing and reads answer
//!   `None`), then the entries. Neither is atomic; each converges when run again, and entries a racing
//!   fan-out writes after a drop are deleted by the next build.

use std::collections::HashSet;

use async_trait::async_trait;
use darkroom_core::domain::{Cursor, PageRequest, PostId, TimelineEntry, UserId};
use darkroom_core::ports::{DbError, StoredTimelinePage, TimelineRepository};

use super::attrs::boolean;
use super::errors::unless_condition_failed;
use super::items;
use super::keys::{self, Item};
use super::query::PartitionQuery;
use super::timeline_entries::{distinct, Placed};
use super::writes::{vals, PRESENT};
use super::DynamoDatabase;

impl DynamoDatabase {
    /// Whether `owner`'s timeline exists, and if so whether it is complete.
    async fn timeline_state(&self, owner: UserId) -> Result<Option<bool>, DbError> {
        self.get(keys::timeline(owner), "reading a timeline")
            .await?
            .as_ref()
            .map(items::timeline_complete)
            .transpose()
    }

    /// Every entry of `owner`'s timeline, newest first.
    async fn whole_timeline(&self, owner: UserId) -> Result<Vec<Placed>, DbError> {
        let query = PartitionQuery::newest_first(keys::feed_of(owner), None);
        self.query_items(&query, None, "reading a whole timeline")
            .await?
            .iter()
            .map(items::placed_entry)
            .collect()
    }

    /// Marks `owner`'s timeline incomplete, if it exists.
    async fn mark_incomplete(&self, owner: UserId) -> Result<(), DbError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::timeline(owner)))
            .update_expression("SET #complete = :complete")
            .condition_expression(PRESENT)
            .expression_attribute_names("#complete", "complete")
            .set_expression_attribute_values(Some(vals([(":complete", boolean(false))])))
            .send()
            .await;
        unless_condition_failed(updated, &self.table, "marking a timeline incomplete")?;
        Ok(())
    }
}

fn count(placed: &[Placed]) -> u64 {
    placed.len() as u64
}

#[async_trait]
impl TimelineRepository for DynamoDatabase {
    async fn add_to_timelines(
        &self,
        owners: &[UserId],
        entry: &TimelineEntry,
    ) -> Result<u64, DbError> {
        let owners: HashSet<UserId> = owners.iter().copied().collect();
        let mut keys: Vec<Item> = Vec::with_capacity(owners.len() * 2);
        for owner in &owners {
            keys.push(keys::timeline(*owner));
            keys.push(items::feed_entry_key(*owner, entry));
        }
        let found = self.batch_get(keys, "reading timelines to add to").await?;
        let (mut existing, mut holding) = (HashSet::new(), HashSet::new());
        for item in &found {
            if item.contains_key("complete") {
                existing.insert(items::timeline_owner(item)?);
            } else {
                holding.insert(items::placed_entry(item)?.0);
            }
        }
        let placed: Vec<Placed> = existing
            .difference(&holding)
            .map(|owner| (*owner, *entry))
            .collect();
        self.write_entries(&placed).await?;
        Ok(count(&placed))
    }

    async fn add_entries(&self, owner: UserId, entries: &[TimelineEntry]) -> Result<u64, DbError> {
        if self.timeline_state(owner).await?.is_none() {
            return Ok(0);
        }
        let placed = distinct(entries.iter().map(|entry| (owner, *entry)));
        let absent = self.absent_entries(placed).await?;
        self.write_entries(&absent).await?;
        Ok(count(&absent))
    }

    async fn remove_post(&self, post: PostId) -> Result<u64, DbError> {
        let notes = self
            .query_items(
                &PartitionQuery::all(keys::feeds_with(post)),
                None,
                "reading the timelines holding a post",
            )
            .await?
            .iter()
            .map(items::placed_entry)
            .collect::<Result<Vec<_>, _>>()?;
        self.delete_entries(&notes).await?;
        Ok(count(&notes))
    }

    async fn remove_author(&self, owner: UserId, author: UserId) -> Result<u64, DbError> {
        let mut placed = self.whole_timeline(owner).await?;
        placed.retain(|(_, entry)| entry.author_id == author);
        self.delete_entries(&placed).await?;
        Ok(count(&placed))
    }

    async fn timeline(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Option<StoredTimelinePage>, DbError> {
        let query = PartitionQuery::newest_first(
            keys::feed_of(owner),
            page.after
                .map(|after| keys::order(after.created_at, after.id)),
        );
        let cursor = |entry: &TimelineEntry| Cursor {
            created_at: entry.created_at,
            id: entry.post_id.0,
        };
        let read = |item: &Item| items::placed_entry(item).map(|(_, entry)| entry);
        let (state, page) = tokio::try_join!(
            self.timeline_state(owner),
            self.query_page(&query, page.limit, read, cursor, "reading a timeline page"),
        )?;
        Ok(state.map(|complete| StoredTimelinePage { page, complete }))
    }

    async fn build_timeline(
        &self,
        owner: UserId,
        entries: &[TimelineEntry],
        complete: bool,
    ) -> Result<(), DbError> {
        let old = self.whole_timeline(owner).await?;
        let new = distinct(entries.iter().map(|entry| (owner, *entry)));
        let kept: HashSet<PostId> = new.iter().map(|(_, entry)| entry.post_id).collect();
        let stored: HashSet<PostId> = old.iter().map(|(_, entry)| entry.post_id).collect();
        let added: Vec<Placed> = new
            .into_iter()
            .filter(|(_, entry)| !stored.contains(&entry.post_id))
            .collect();
        let dropped: Vec<Placed> = old
            .into_iter()
            .filter(|(_, entry)| !kept.contains(&entry.post_id))
            .collect();
        self.write_entries(&added).await?;
        self.delete_entries(&dropped).await?;
        self.put(items::timeline_item(owner, complete), "creating a timeline")
            .await
    }

    async fn trim_timeline(&self, owner: UserId, cap: u32) -> Result<u64, DbError> {
        let trimmed: Vec<Placed> = self
            .whole_timeline(owner)
            .await?
            .into_iter()
            .skip(cap as usize)
            .collect();
        if trimmed.is_empty() {
            return Ok(0);
        }
        // Incomplete first: a failure part-way must not leave a trimmed timeline that claims to be whole.
        self.mark_incomplete(owner).await?;
        self.delete_entries(&trimmed).await?;
        Ok(count(&trimmed))
    }

    async fn drop_timeline(&self, owner: UserId) -> Result<(), DbError> {
        self.batch_delete(vec![keys::timeline(owner)], "dropping a timeline")
            .await?;
        let placed = self.whole_timeline(owner).await?;
        self.delete_entries(&placed).await
    }
}
