//! `TimelineRepository` cases: a timeline exists from its build until it is dropped and writes to a missing
//! one are ignored; every write is idempotent; pages are newest first and stable while the fan-out writes;
//! trimming keeps the newest entries and makes the timeline incomplete.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use darkroom_core::domain::{Page, PageRequest, PostId, TimelineEntry, UserId};
use darkroom_core::ports::{DbError, StoredTimelinePage};

use super::social::{all_pages, first_page, pages_after};
use super::{at_micros, now, TestDatabase};

/// `TimelineRepository`'s contract.
#[macro_export]
macro_rules! timeline_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            writes_to_a_missing_timeline_are_ignored,
            a_built_timeline_pages_newest_first,
            building_again_replaces_the_timeline,
            add_to_timelines_writes_existing_timelines_once,
            add_entries_backfills_once,
            remove_post_and_remove_author_take_entries_out,
            trim_keeps_the_newest_and_makes_the_timeline_incomplete,
            drop_timeline_forgets_it,
            timeline_pages_are_stable_while_the_fan_out_writes,
        );
    };
}

fn entry(author: UserId, created_at: DateTime<Utc>) -> TimelineEntry {
    TimelineEntry {
        post_id: PostId::new(),
        author_id: author,
        created_at,
    }
}

/// `n` entries by `authors` in turn, a second apart from `base` but for a tie at the second and third.
fn entries(authors: &[UserId], n: i64, base: i64) -> Vec<TimelineEntry> {
    (0..n)
        .map(|i| {
            let second = if i == 2 { 1 } else { i };
            entry(
                authors[i as usize % authors.len()],
                at_micros(base + second * 1_000_000),
            )
        })
        .collect()
}

/// Newest first by (created_at, post_id).
fn newest_first(mut entries: Vec<TimelineEntry>) -> Vec<TimelineEntry> {
    entries.sort_by_key(|e| std::cmp::Reverse((e.created_at, e.post_id)));
    entries
}

async fn page(db: &TestDatabase, owner: UserId) -> Option<StoredTimelinePage> {
    let page = PageRequest::new(Some(PageRequest::MAX_LIMIT), None);
    db.timelines.timeline(owner, page).await.unwrap()
}

/// Every entry of `owner`'s timeline, a few at a time (it must exist).
async fn read_all(db: &TestDatabase, owner: UserId) -> Vec<TimelineEntry> {
    all_pages(2, |p| read_page(db, owner, p)).await
}

async fn read_page(
    db: &TestDatabase,
    owner: UserId,
    page: PageRequest,
) -> Result<Page<TimelineEntry>, DbError> {
    let stored = db.timelines.timeline(owner, page).await?;
    Ok(stored.expect("the timeline exists").page)
}

async fn complete(db: &TestDatabase, owner: UserId) -> bool {
    page(db, owner).await.expect("the timeline exists").complete
}

pub async fn writes_to_a_missing_timeline_are_ignored(db: Arc<TestDatabase>) {
    let owner = UserId::new();
    let e = entry(UserId::new(), now());
    assert_eq!(
        db.timelines.add_to_timelines(&[owner], &e).await.unwrap(),
        0
    );
    assert_eq!(db.timelines.add_entries(owner, &[e]).await.unwrap(), 0);
    assert_eq!(db.timelines.add_to_timelines(&[], &e).await.unwrap(), 0);
    assert_eq!(db.timelines.trim_timeline(owner, 1).await.unwrap(), 0);
    assert_eq!(
        db.timelines
            .remove_author(owner, e.author_id)
            .await
            .unwrap(),
        0
    );
    db.timelines.drop_timeline(owner).await.unwrap();
    assert_eq!(page(&db, owner).await, None);
}

pub async fn a_built_timeline_pages_newest_first(db: Arc<TestDatabase>) {
    let owner = UserId::new();
    let authors = [UserId::new(), UserId::new(), UserId::new()];
    let built = entries(&authors, 7, now().timestamp_micros());
    db.timelines
        .build_timeline(owner, &built, true)
        .await
        .unwrap();
    let expected = newest_first(built);
    assert_eq!(read_all(&db, owner).await, expected);
    assert!(complete(&db, owner).await);

    let (first, next) = first_page(3, |p| read_page(&db, owner, p)).await;
    let last = first.last().unwrap();
    assert_eq!(
        (next.created_at, next.id),
        (last.created_at, last.post_id.0)
    );
    assert_eq!(first, expected[..3]);

    // An empty timeline exists too: its reader is not sent to the follow graph for nothing.
    let empty = UserId::new();
    db.timelines
        .build_timeline(empty, &[], false)
        .await
        .unwrap();
    let stored = page(&db, empty).await.unwrap();
    assert_eq!(
        (stored.page.items, stored.page.next, stored.complete),
        (vec![], None, false)
    );
}

pub async fn building_again_replaces_the_timeline(db: Arc<TestDatabase>) {
    let owner = UserId::new();
    let author = UserId::new();
    let old = entries(&[author], 4, 1_000_000);
    db.timelines
        .build_timeline(owner, &old, true)
        .await
        .unwrap();
    let new = [old[1], entry(author, now())];
    db.timelines
        .build_timeline(owner, &new, false)
        .await
        .unwrap();
    assert_eq!(read_all(&db, owner).await, newest_first(new.to_vec()));
    assert!(!complete(&db, owner).await);
}

/// The fan-out's call: one entry to many owners (a thousand here), of whom only some have a timeline.
pub async fn add_to_timelines_writes_existing_timelines_once(db: Arc<TestDatabase>) {
    let owners: Vec<UserId> = (0..1000).map(|_| UserId::new()).collect();
    let existing: Vec<UserId> = owners.iter().step_by(10).copied().collect();
    let old = entry(UserId::new(), at_micros(1_000_000));
    for owner in &existing {
        db.timelines
            .build_timeline(*owner, &[old], true)
            .await
            .unwrap();
    }
    let new = entry(UserId::new(), now());
    assert_eq!(
        db.timelines.add_to_timelines(&owners, &new).await.unwrap(),
        100
    );
    // Redelivered: nothing more.
    assert_eq!(
        db.timelines.add_to_timelines(&owners, &new).await.unwrap(),
        0
    );
    assert_eq!(
        db.timelines
            .add_to_timelines(&existing[..3], &new)
            .await
            .unwrap(),
        0
    );
    for owner in existing.iter().take(5) {
        assert_eq!(read_all(&db, *owner).await, vec![new, old]);
        assert!(
            complete(&db, *owner).await,
            "adding keeps a timeline complete"
        );
    }
    assert_eq!(page(&db, owners[1]).await, None);
    assert_eq!(page(&db, owners[999]).await, None);
}

pub async fn add_entries_backfills_once(db: Arc<TestDatabase>) {
    let owner = UserId::new();
    let author = UserId::new();
    let first = entry(author, now());
    db.timelines
        .build_timeline(owner, &[first], false)
        .await
        .unwrap();
    let backfill = entries(&[author, UserId::new()], 4, 5_000_000);
    assert_eq!(db.timelines.add_entries(owner, &backfill).await.unwrap(), 4);
    assert_eq!(db.timelines.add_entries(owner, &backfill).await.unwrap(), 0);
    let overlapping = [backfill[0], first, entry(author, at_micros(2_000_000))];
    assert_eq!(
        db.timelines.add_entries(owner, &overlapping).await.unwrap(),
        1
    );
    assert_eq!(db.timelines.add_entries(owner, &[]).await.unwrap(), 0);
    let mut all = backfill;
    all.extend([first, overlapping[2]]);
    assert_eq!(read_all(&db, owner).await, newest_first(all));
}

pub async fn remove_post_and_remove_author_take_entries_out(db: Arc<TestDatabase>) {
    let (reader, other_reader) = (UserId::new(), UserId::new());
    let (author, other_author) = (UserId::new(), UserId::new());
    let by_author = entries(&[author], 3, now().timestamp_micros());
    let by_other = entries(&[other_author], 2, now().timestamp_micros());
    let everything = [by_author.clone(), by_other.clone()].concat();
    db.timelines
        .build_timeline(reader, &everything, true)
        .await
        .unwrap();
    db.timelines
        .build_timeline(other_reader, &everything, true)
        .await
        .unwrap();

    assert_eq!(
        db.timelines.remove_post(by_other[0].post_id).await.unwrap(),
        2
    );
    assert_eq!(
        db.timelines.remove_post(by_other[0].post_id).await.unwrap(),
        0
    );
    assert_eq!(db.timelines.remove_author(reader, author).await.unwrap(), 3);
    assert_eq!(db.timelines.remove_author(reader, author).await.unwrap(), 0);
    assert_eq!(read_all(&db, reader).await, vec![by_other[1]]);
    let mut left = by_author;
    left.push(by_other[1]);
    assert_eq!(read_all(&db, other_reader).await, newest_first(left));
}

pub async fn trim_keeps_the_newest_and_makes_the_timeline_incomplete(db: Arc<TestDatabase>) {
    let owner = UserId::new();
    let built = newest_first(entries(&[UserId::new()], 6, now().timestamp_micros()));
    db.timelines
        .build_timeline(owner, &built, true)
        .await
        .unwrap();
    assert_eq!(db.timelines.trim_timeline(owner, 6).await.unwrap(), 0);
    assert!(
        complete(&db, owner).await,
        "nothing trimmed, still complete"
    );
    // The cap falls between two entries of the same microsecond: the tie is broken by post id.
    assert_eq!(db.timelines.trim_timeline(owner, 4).await.unwrap(), 2);
    assert_eq!(read_all(&db, owner).await, built[..4]);
    assert!(!complete(&db, owner).await);
    assert_eq!(db.timelines.trim_timeline(owner, 4).await.unwrap(), 0);
    assert_eq!(db.timelines.trim_timeline(owner, 1).await.unwrap(), 3);
    assert_eq!(read_all(&db, owner).await, built[..1]);

    // Rebuilt complete, a trim that removes nothing leaves it complete.
    db.timelines
        .build_timeline(owner, &built[..2], true)
        .await
        .unwrap();
    assert_eq!(db.timelines.trim_timeline(owner, 800).await.unwrap(), 0);
    assert!(complete(&db, owner).await);
}

pub async fn drop_timeline_forgets_it(db: Arc<TestDatabase>) {
    let owner = UserId::new();
    let author = UserId::new();
    let old = entries(&[author], 3, 1_000_000);
    db.timelines
        .build_timeline(owner, &old, true)
        .await
        .unwrap();
    db.timelines.drop_timeline(owner).await.unwrap();
    assert_eq!(page(&db, owner).await, None);
    let new = entry(author, now());
    assert_eq!(
        db.timelines.add_to_timelines(&[owner], &new).await.unwrap(),
        0
    );
    // Built again, it holds only what the build gave: nothing of before comes back.
    db.timelines
        .build_timeline(owner, &[], false)
        .await
        .unwrap();
    assert_eq!(read_all(&db, owner).await, vec![]);
    db.timelines.drop_timeline(owner).await.unwrap();
    db.timelines.drop_timeline(owner).await.unwrap();
}

pub async fn timeline_pages_are_stable_while_the_fan_out_writes(db: Arc<TestDatabase>) {
    let owner = UserId::new();
    let author = UserId::new();
    let built = newest_first(entries(&[author], 7, 1_000_000));
    db.timelines
        .build_timeline(owner, &built, false)
        .await
        .unwrap();
    let (first, next) = first_page(3, |p| read_page(&db, owner, p)).await;
    let fresh = entry(author, now());
    assert_eq!(
        db.timelines
            .add_to_timelines(&[owner], &fresh)
            .await
            .unwrap(),
        1
    );
    let rest = pages_after(3, Some(next), |p| read_page(&db, owner, p)).await;
    assert_eq!([first, rest].concat(), built);
    assert_eq!(read_all(&db, owner).await[0], fresh);
}
