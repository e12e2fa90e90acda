//! The local tier and the rules that keep it from outliving what Redis holds.
//!
//! A local copy is only ever made from a Redis read (`fill`), and every change to a key, made here or
//! announced by another replica, first lands in Redis and then bumps the key's stamp and drops the local
//! copy (`invalidate`). A fill notes the stamp before its Redis read and checks it again after inserting:
//! if a change landed in between, either the check sees the bump and the fill removes its own copy, or the
//! bump comes after the insert and the invalidation removes it. Either way no copy older than the latest
//! write survives. Stamps are striped by key hash (a fill is only refused when a key of its stripe changed).
//!
//! While the invalidation channel is down (`go_dark`), announcements may be lost, so the tier is emptied
//! and neither served nor filled until the subscription is back (`go_live`, which empties it again).

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use ::moka::future::Cache as Moka;
use bytes::Bytes;

use crate::cache::moka::{Entry, PerEntryTtl};

const STRIPES: usize = 64;

pub(super) struct Coherence {
    local: Moka<String, Entry>,
    stamps: [AtomicU64; STRIPES],
    live: AtomicBool,
}

impl Coherence {
    /// An empty local tier of about `max_bytes`, dark until `go_live`.
    pub(super) fn new(max_bytes: u64) -> Self {
        let local = Moka::builder()
            .name("darkroom-two-level")
            .max_capacity(max_bytes)
            .weigher(|key: &String, entry: &Entry| {
                u32::try_from(key.len() + entry.value.len()).unwrap_or(u32::MAX)
            })
            // Each copy expires `ttl` after it was made, which the caller has already cut to what Redis had left.
            .expire_after(PerEntryTtl)
            .build();
        Self {
            local,
            stamps: std::array::from_fn(|_| AtomicU64::new(0)),
            live: AtomicBool::new(false),
        }
    }

    /// The local copy of `key`, when there is one and the invalidation channel is live.
    pub(super) async fn get(&self, key: &str) -> Option<Bytes> {
        if !self.live.load(Ordering::SeqCst) {
            return None;
        }
        self.local.get(key).await.map(|entry| entry.value)
    }

    /// Read before the Redis read a `fill` will be based on.
    pub(super) fn stamp(&self, key: &str) -> u64 {
        self.stripe(key).load(Ordering::SeqCst)
    }

    /// Keeps a copy of what Redis answered for `key`, unless the key changed since `stamp` was read.
    pub(super) async fn fill(&self, key: &str, value: Bytes, ttl: Duration, stamp: u64) {
        if ttl.is_zero() || !self.live.load(Ordering::SeqCst) {
            return;
        }
        self.local
            .insert(key.to_owned(), Entry { value, ttl })
            .await;
        if self.stamp(key) != stamp {
            self.local.invalidate(key).await;
        }
    }

    /// `key` changed in Redis: refuse fills in flight, then drop the copy.
    pub(super) async fn invalidate(&self, key: &str) {
        self.stripe(key).fetch_add(1, Ordering::SeqCst);
        self.local.invalidate(key).await;
    }

    /// The invalidation channel is subscribed: start from nothing (announcements made while it was down
    /// are lost), then serve and fill again.
    pub(super) fn go_live(&self) {
        self.forget_everything();
        self.live.store(true, Ordering::SeqCst);
    }

    /// The invalidation channel is lost: stop serving and filling, then drop every copy.
    pub(super) fn go_dark(&self) {
        self.live.store(false, Ordering::SeqCst);
        self.forget_everything();
    }

    pub(super) fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    fn forget_everything(&self) {
        for stamp in &self.stamps {
            stamp.fetch_add(1, Ordering::SeqCst);
        }
        self.local.invalidate_all();
    }

    fn stripe(&self, key: &str) -> &AtomicU64 {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        // The remainder is below STRIPES, so the cast back cannot truncate.
        &self.stamps[(hasher.finish() % STRIPES as u64) as usize]
    }
}

impl fmt::Debug for Coherence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coherence")
            .field("live", &self.is_live())
            .field("local_entries", &self.local.entry_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn a_fill_that_raced_a_change_is_dropped() {
        let tier = Coherence::new(1 << 20);
        tier.go_live();
        let stamp = tier.stamp("k");
        tier.invalidate("k").await; // a change lands between the Redis read and the insert
        tier.fill("k", Bytes::from_static(b"old"), TTL, stamp).await;
        assert_eq!(tier.get("k").await, None);

        let stamp = tier.stamp("k");
        tier.fill("k", Bytes::from_static(b"new"), TTL, stamp).await;
        assert_eq!(tier.get("k").await, Some(Bytes::from_static(b"new")));
    }

    #[tokio::test]
    async fn a_dark_tier_neither_serves_nor_fills() {
        let tier = Coherence::new(1 << 20);
        let stamp = tier.stamp("k");
        tier.fill("k", Bytes::from_static(b"v"), TTL, stamp).await;
        tier.go_live();
        assert_eq!(tier.get("k").await, None, "filled while dark");

        let stamp = tier.stamp("k");
        tier.fill("k", Bytes::from_static(b"v"), TTL, stamp).await;
        assert!(tier.get("k").await.is_some());
        tier.go_dark();
        assert_eq!(tier.get("k").await, None);
        tier.go_live();
        assert_eq!(
            tier.get("k").await,
            None,
            "copies made before going dark survived"
        );
    }

    #[tokio::test]
    async fn copies_expire_with_their_ttl() {
        let tier = Coherence::new(1 << 20);
        tier.go_live();
        let stamp = tier.stamp("k");
        tier.fill(
            "k",
            Bytes::from_static(b"v"),
            Duration::from_millis(50),
            stamp,
        )
        .await;
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(tier.get("k").await, None);
        tier.fill(
            "k",
            Bytes::from_static(b"v"),
            Duration::ZERO,
            tier.stamp("k"),
        )
        .await;
        assert_eq!(tier.get("k").await, None);
    }
}
