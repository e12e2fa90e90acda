//! The wrapper against an in-memory timeline store and cache: first pages cut from the cached head are the
//! pages the store gives, and no read after a write through the wrapper misses the write.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{TimeZone, Utc};

use super::*;
use crate::caching::map_cache::MapCache;

/// Timelines in a map, newest first, counting reads.
#[derive(Debug, Default)]
struct MemoryTimelines {
    timelines: Mutex<HashMap<UserId, (Vec<TimelineEntry>, bool)>>,
    reads: Mutex<usize>,
}

impl MemoryTimelines {
    fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }

    fn with(
        &self,
        owner: UserId,
        change: impl FnOnce(&mut Vec<TimelineEntry>, &mut bool) -> u64,
    ) -> u64 {
        let mut timelines = self.timelines.lock().unwrap();
        let Some((entries, complete)) = timelines.get_mut(&owner) else {
            return 0;
        };
        let changed = change(entries, complete);
        entries.sort_by_key(|e| std::cmp::Reverse((e.created_at, e.post_id.0)));
        changed
    }
}

#[async_trait]
impl TimelineRepository for MemoryTimelines {
    async fn add_to_timelines(
        &self,
        owners: &[UserId],
        entry: &TimelineEntry,
    ) -> Result<u64, DbError> {
        let mut written = 0;
        for owner in owners {
            written += self.with(*owner, |entries, _| {
                if entries.contains(entry) {
                    return 0;
                }
                entries.push(*entry);
                1
            });
        }
        Ok(written)
    }

    async fn add_entries(&self, owner: UserId, new: &[TimelineEntry]) -> Result<u64, DbError> {
        Ok(self.with(owner, |entries, _| {
            let before = entries.len();
            for entry in new {
                if !entries.contains(entry) {
                    entries.push(*entry);
                }
            }
            (entries.len() - before) as u64
        }))
    }

    async fn remove_post(&self, post: PostId) -> Result<u64, DbError> {
        let mut removed = 0;
        for (entries, _) in self.timelines.lock().unwrap().values_mut() {
            let before = entries.len();
            entries.retain(|e| e.post_id != post);
            removed += (before - entries.len()) as u64;
        }
        Ok(removed)
    }

    async fn remove_author(&self, owner: UserId, author: UserId) -> Result<u64, DbError> {
        Ok(self.with(owner, |entries, _| {
            let before = entries.len();
            entries.retain(|e| e.author_id != author);
            (before - entries.len()) as u64
        }))
    }

    async fn timeline(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Option<StoredTimelinePage>, DbError> {
        *self.reads.lock().unwrap() += 1;
        let timelines = self.timelines.lock().unwrap();
        let Some((entries, complete)) = timelines.get(&owner) else {
            return Ok(None);
        };
        let after: Vec<TimelineEntry> = entries
            .iter()
            .filter(|e| {
                page.after
                    .is_none_or(|c| (e.created_at, e.post_id.0) < (c.created_at, c.id))
            })
            .copied()
            .collect();
        let items: Vec<TimelineEntry> = after.iter().take(page.limit as usize).copied().collect();
        let next = (after.len() > items.len()).then(|| {
            let last = items.last().unwrap();
            Cursor {
                created_at: last.created_at,
                id: last.post_id.0,
            }
        });
        Ok(Some(StoredTimelinePage {
            page: Page { items, next },
            complete: *complete,
        }))
    }

    async fn build_timeline(
        &self,
        owner: UserId,
        entries: &[TimelineEntry],
        complete: bool,
    ) -> Result<(), DbError> {
        let mut entries = entries.to_vec();
        entries.sort_by_key(|e| std::cmp::Reverse((e.created_at, e.post_id.0)));
        self.timelines
            .lock()
            .unwrap()
            .insert(owner, (entries, complete));
        Ok(())
    }

    async fn trim_timeline(&self, owner: UserId, cap: u32) -> Result<u64, DbError> {
        Ok(self.with(owner, |entries, complete| {
            let before = entries.len();
            entries.truncate(cap as usize);
            let trimmed = (before - entries.len()) as u64;
            if trimmed > 0 {
                *complete = false;
            }
            trimmed
        }))
    }

    async fn drop_timeline(&self, owner: UserId) -> Result<(), DbError> {
        self.timelines.lock().unwrap().remove(&owner);
        Ok(())
    }
}

/// The `n`-th entry by one author, `n` seconds (and a few nanoseconds, which the cache must keep) after a
/// fixed start.
fn entry(author: UserId, n: i64) -> TimelineEntry {
    TimelineEntry {
        post_id: PostId(uuid::Uuid::new_v4()),
        author_id: author,
        created_at: Utc.timestamp_opt(1_700_000_000 + n, 123_456_789).unwrap(),
    }
}

fn user() -> UserId {
    UserId(uuid::Uuid::new_v4())
}

fn first(limit: u32) -> PageRequest {
    PageRequest { limit, after: None }
}

fn setup(
    cache: MapCache,
) -> (
    Arc<MemoryTimelines>,
    Arc<MapCache>,
    CachedTimelineRepository,
) {
    let store = Arc::new(MemoryTimelines::default());
    let cache = Arc::new(cache);
    let wrapper =
        CachedTimelineRepository::new(store.clone(), cache.clone(), Duration::from_secs(60));
    (store, cache, wrapper)
}

#[tokio::test]
async fn first_pages_cut_from_the_cached_head_are_the_pages_the_store_gives() {
    for (count, complete) in [(150, false), (30, true), (0, true)] {
        let (store, _, wrapper) = setup(MapCache::default());
        let (owner, author) = (user(), user());
        let entries: Vec<TimelineEntry> = (0..count).map(|n| entry(author, n)).collect();
        store
            .build_timeline(owner, &entries, complete)
            .await
            .unwrap();
        for limit in [1, 5, 20, 29, 30, 31, 99, 100] {
            let cached = wrapper.timeline(owner, first(limit)).await.unwrap();
            let stored = store.timeline(owner, first(limit)).await.unwrap();
            assert_eq!(cached, stored, "{count} entries, limit {limit}");
        }
        // One read of the store filled the head; the store's own reads above are the rest.
        assert_eq!(store.reads(), 1 + 8, "{count} entries");
    }
}

#[tokio::test]
async fn a_timeline_that_does_not_exist_is_not_cached() {
    let (store, cache, wrapper) = setup(MapCache::default());
    let owner = user();
    assert_eq!(wrapper.timeline(owner, first(20)).await.unwrap(), None);
    assert!(cache.entries.lock().unwrap().is_empty());
    store
        .build_timeline(owner, &[entry(user(), 1)], true)
        .await
        .unwrap();
    let page = wrapper.timeline(owner, first(20)).await.unwrap().unwrap();
    assert_eq!(page.page.items.len(), 1);
}

#[tokio::test]
async fn later_pages_and_pages_larger_than_the_head_read_the_store() {
    let (store, _, wrapper) = setup(MapCache::default());
    let (owner, author) = (user(), user());
    let entries: Vec<TimelineEntry> = (0..50).map(|n| entry(author, n)).collect();
    store.build_timeline(owner, &entries, true).await.unwrap();
    let page = wrapper.timeline(owner, first(20)).await.unwrap().unwrap();
    let second = PageRequest {
        limit: 20,
        after: page.page.next,
    };
    let before = store.reads();
    let cached = wrapper.timeline(owner, second).await.unwrap();
    assert_eq!(store.reads(), before + 1);
    assert_eq!(cached, store.timeline(owner, second).await.unwrap());
    assert_eq!(cached.unwrap().page.items[0], entries[29]);
}

#[tokio::test]
async fn every_write_through_the_wrapper_shows_on_the_next_read() {
    let (store, _, wrapper) = setup(MapCache::default());
    let (owner, other, author) = (user(), user(), user());
    store
        .build_timeline(owner, &[entry(author, 1)], true)
        .await
        .unwrap();
    store
        .build_timeline(other, &[entry(author, 1)], true)
        .await
        .unwrap();
    let read = |wrapper: &CachedTimelineRepository, owner| {
        let wrapper = wrapper.clone();
        async move { wrapper.timeline(owner, first(20)).await.unwrap().unwrap() }
    };
    assert_eq!(read(&wrapper, owner).await.page.items.len(), 1);
    assert_eq!(read(&wrapper, other).await.page.items.len(), 1);

    let fanned = entry(author, 2);
    wrapper
        .add_to_timelines(&[owner, other], &fanned)
        .await
        .unwrap();
    assert_eq!(read(&wrapper, owner).await.page.items[0], fanned);
    assert_eq!(read(&wrapper, other).await.page.items[0], fanned);

    let back_filled = entry(user(), 3);
    wrapper.add_entries(owner, &[back_filled]).await.unwrap();
    assert_eq!(read(&wrapper, owner).await.page.items[0], back_filled);

    wrapper
        .remove_author(owner, back_filled.author_id)
        .await
        .unwrap();
    assert_eq!(read(&wrapper, owner).await.page.items[0], fanned);

    wrapper.trim_timeline(owner, 1).await.unwrap();
    let trimmed = read(&wrapper, owner).await;
    assert_eq!(trimmed.page.items, vec![fanned]);
    assert!(!trimmed.complete);

    let rebuilt = entry(author, 9);
    wrapper
        .build_timeline(owner, &[rebuilt], true)
        .await
        .unwrap();
    assert_eq!(read(&wrapper, owner).await.page.items, vec![rebuilt]);

    wrapper.drop_timeline(owner).await.unwrap();
    assert_eq!(wrapper.timeline(owner, first(20)).await.unwrap(), None);
}

#[tokio::test]
async fn a_write_keeps_the_head_it_dropped_out_of_the_cache_for_the_guard() {
    let (store, cache, wrapper) = setup(MapCache::guarded());
    let (owner, author) = (user(), user());
    store
        .build_timeline(owner, &[entry(author, 1)], true)
        .await
        .unwrap();
    wrapper.timeline(owner, first(20)).await.unwrap();
    assert_eq!(cache.entries.lock().unwrap().len(), 1);
    let fanned = entry(author, 2);
    wrapper.add_to_timelines(&[owner], &fanned).await.unwrap();
    // The read right after the write is answered by the store, and may not fill: a read that began before
    // the write could be the one filling.
    let page = wrapper.timeline(owner, first(20)).await.unwrap().unwrap();
    assert_eq!(page.page.items[0], fanned);
    assert!(cache.entries.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_broken_cache_reads_the_store() {
    let (store, _, wrapper) = setup(MapCache {
        broken: true,
        ..MapCache::default()
    });
    let (owner, author) = (user(), user());
    let entries: Vec<TimelineEntry> = (0..3).map(|n| entry(author, n)).collect();
    store.build_timeline(owner, &entries, true).await.unwrap();
    for _ in 0..2 {
        let page = wrapper.timeline(owner, first(2)).await.unwrap().unwrap();
        assert_eq!(
            page,
            store.timeline(owner, first(2)).await.unwrap().unwrap()
        );
    }
    wrapper
        .add_to_timelines(&[owner], &entry(author, 7))
        .await
        .unwrap();
    assert_eq!(
        store
            .timeline(owner, first(9))
            .await
            .unwrap()
            .unwrap()
            .page
            .items
            .len(),
        4
    );
}

#[test]
fn a_head_survives_its_encoding_to_the_nanosecond() {
    let author = user();
    let head = Head {
        entries: (0..3).map(|n| entry(author, n)).collect(),
        more: true,
        complete: false,
    };
    assert_eq!(Head::decode(head.encode()), Some(head));
    assert_eq!(Head::decode(Bytes::from_static(b"{\"json\":1}")), None);
    assert_eq!(Head::decode(Bytes::new()), None);
}
