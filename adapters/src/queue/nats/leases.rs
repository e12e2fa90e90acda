//! Which receipts still settle something.
//!
//! JetStream acks by stream sequence: an ack sent to the reply subject of an earlier delivery settles the
//! message even after it was redelivered, and (2.9) the server answers every ack alike, so it cannot say
//! that a receipt went stale. The adapter keeps the record itself: a receipt it handed out is good until it
//! is settled, until the visibility timeout (the consumer's `ack_wait`) runs out, or until a later delivery
//! of the same message reaches this adapter, whichever comes first. An extension (`+WPI`, which restarts
//! `ack_wait` on the server) moves the end of the lease.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;

/// One outstanding delivery: the message's stream sequence and when the server may hand it out again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Lease {
    pub sequence: u64,
    pub expires_at: Instant,
}

#[derive(Debug, Default)]
pub(super) struct Leases {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_receipt: HashMap<String, Lease>,
    /// The newest receipt of each sequence, so a redelivery retires the receipt before it.
    by_sequence: HashMap<u64, String>,
}

impl Leases {
    /// Records a delivery, retiring any earlier receipt of the same message and every expired one.
    pub fn grant(&self, receipt: &str, lease: Lease, now: Instant) {
        let mut inner = self.lock();
        let Inner {
            by_receipt,
            by_sequence,
        } = &mut *inner;
        by_receipt.retain(|_, held| held.expires_at > now);
        by_sequence.retain(|_, held| by_receipt.contains_key(held));
        if let Some(earlier) = by_sequence.insert(lease.sequence, receipt.to_owned()) {
            by_receipt.remove(&earlier);
        }
        by_receipt.insert(receipt.to_owned(), lease);
    }

    /// Removes the receipt's lease; `None` when it is unknown, settled, superseded or expired.
    pub fn take(&self, receipt: &str, now: Instant) -> Option<Lease> {
        let mut inner = self.lock();
        let lease = inner.by_receipt.remove(receipt)?;
        if inner
            .by_sequence
            .get(&lease.sequence)
            .is_some_and(|held| held == receipt)
        {
            inner.by_sequence.remove(&lease.sequence);
        }
        (lease.expires_at > now).then_some(lease)
    }

    /// Moves the end of a receipt's lease to `expires_at`; `false` when the receipt is unknown, settled,
    /// superseded or expired at `now`.
    pub fn renew(&self, receipt: &str, now: Instant, expires_at: Instant) -> bool {
        let mut inner = self.lock();
        match inner.by_receipt.get_mut(receipt) {
            Some(lease) if lease.expires_at > now => {
                lease.expires_at = lease.expires_at.max(expires_at);
                true
            }
            _ => false,
        }
    }

    /// Whether a receipt still holds its message at `now`.
    pub fn holds(&self, receipt: &str, now: Instant) -> bool {
        self.lock()
            .by_receipt
            .get(receipt)
            .is_some_and(|lease| lease.expires_at > now)
    }

    /// Puts back a lease whose settlement never reached the server, unless a newer delivery took over.
    pub fn restore(&self, receipt: &str, lease: Lease) {
        let mut inner = self.lock();
        if inner.by_sequence.contains_key(&lease.sequence) {
            return;
        }
        inner.by_sequence.insert(lease.sequence, receipt.to_owned());
        inner.by_receipt.insert(receipt.to_owned(), lease);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The maps stay consistent between statements, so a panic elsewhere leaves nothing half-done.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
