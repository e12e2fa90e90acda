//! Writing and deleting timeline entries, each with its note in the post's partition. Batches are not
//! atomic, so the order matters: a note is written before its entry and deleted after it. A failure
//! part-way then leaves at worst a note without an entry (which `remove_post` deletes harmlessly), never
//! an entry that `remove_post` cannot find.

use std::collections::HashSet;

use darkroom_core::domain::{PostId, TimelineEntry, UserId};
use darkroom_core::ports::DbError;

use super::items;
use super::keys;
use super::DynamoDatabase;

/// A timeline entry and whose timeline it is in.
pub(super) type Placed = (UserId, TimelineEntry);

/// The first of each (owner, post) pair: a batch refuses a key named twice.
pub(super) fn distinct(placed: impl IntoIterator<Item = Placed>) -> Vec<Placed> {
    let mut seen = HashSet::new();
    placed
        .into_iter()
        .filter(|(owner, entry)| seen.insert((*owner, entry.post_id)))
        .collect()
}

impl DynamoDatabase {
    /// Those of `placed` not stored yet (one BatchGetItem per 100), so that counts say what was added.
    pub(super) async fn absent_entries(&self, placed: Vec<Placed>) -> Result<Vec<Placed>, DbError> {
        let keys = placed
            .iter()
            .map(|(owner, entry)| items::feed_entry_key(*owner, entry))
            .collect();
        let stored: HashSet<(UserId, PostId)> = self
            .batch_get(keys, "reading timeline entries")
            .await?
            .iter()
            .map(|item| items::placed_entry(item).map(|(owner, entry)| (owner, entry.post_id)))
            .collect::<Result<_, _>>()?;
        Ok(placed
            .into_iter()
            .filter(|(owner, entry)| !stored.contains(&(*owner, entry.post_id)))
            .collect())
    }

    /// Writes the notes, then the entries (25 items per BatchWriteItem).
    pub(super) async fn write_entries(&self, placed: &[Placed]) -> Result<(), DbError> {
        let notes = placed
            .iter()
            .map(|(owner, entry)| items::feed_with(*owner, entry))
            .collect();
        self.batch_put(notes, "noting timeline entries").await?;
        let entries = placed
            .iter()
            .map(|(owner, entry)| items::feed_entry(*owner, entry))
            .collect();
        self.batch_put(entries, "writing timeline entries").await
    }

    /// Deletes the entries, then their notes.
    pub(super) async fn delete_entries(&self, placed: &[Placed]) -> Result<(), DbError> {
        let entries = placed
            .iter()
            .map(|(owner, entry)| items::feed_entry_key(*owner, entry))
            .collect();
        self.batch_delete(entries, "deleting timeline entries")
            .await?;
        let notes = placed
            .iter()
            .map(|(owner, entry)| keys::feed_with(entry.post_id, *owner))
            .collect();
        self.batch_delete(notes, "deleting timeline notes").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_keeps_one_entry_per_owner_and_post() {
        let (owner, other) = (UserId::new(), UserId::new());
        let entry = TimelineEntry {
            post_id: PostId::new(),
            author_id: UserId::new(),
            created_at: chrono::Utc::now(),
        };
        let placed = distinct([(owner, entry), (other, entry), (owner, entry)]);
        assert_eq!(placed, vec![(owner, entry), (other, entry)]);
    }
}
