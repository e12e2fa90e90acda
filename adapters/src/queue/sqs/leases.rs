//! Receipts that know when they expire, and which were settled already.
//!
//! SQS cannot tell a stale receipt handle from a current one: a `DeleteMessage` with the handle of an
//! earlier delivery "succeeds" (and may or may not delete), and moto deletes the message another consumer
//! now holds. The port promises `InvalidReceipt` for a receipt that expired or was settled, so the adapter
//! keeps that knowledge itself: the receipt carries the wall-clock end of its lease
//! (`{deadline_ms}:{handle}`), and each queue remembers the receipts it settled until their lease ends
//! (after which the deadline alone refuses them). A lease is dated conservatively (see `lease_start`), so
//! a receipt the adapter still honours was never handed to someone else. An extension moves a lease's end
//! past the deadline its receipt carries; each queue remembers those new ends (`Extended`) until they pass.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use darkroom_core::ports::QueueError;

/// How long a receive's answer may have taken to reach us after SQS claimed the messages.
const LATENCY_ALLOWANCE: Duration = Duration::from_millis(100);
/// Settled receipts are swept once this many have gathered (then at twice what survived).
const SWEEP_FLOOR: usize = 1024;

/// A receipt taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Lease<'a> {
    pub handle: &'a str,
    pub deadline_ms: u64,
}

/// The receipt handed to a consumer for SQS's `handle`, valid until `deadline_ms`.
pub(super) fn receipt(handle: &str, deadline_ms: u64) -> String {
    format!("{deadline_ms}:{handle}")
}

/// A receipt this adapter did not make is unknown, hence `InvalidReceipt`.
pub(super) fn parse(receipt: &str) -> Result<Lease<'_>, QueueError> {
    let (deadline, handle) = receipt.split_once(':').ok_or(QueueError::InvalidReceipt)?;
    let deadline_ms = deadline.parse().map_err(|_| QueueError::InvalidReceipt)?;
    if handle.is_empty() {
        return Err(QueueError::InvalidReceipt);
    }
    Ok(Lease {
        handle,
        deadline_ms,
    })
}

/// The earliest moment SQS can have claimed messages that a receive asked for at `asked_ms` and got at
/// `answered_ms`: it claims them just before answering, so a long poll's lease starts near its answer,
/// not when it began waiting.
pub(super) fn lease_start(asked_ms: u64, answered_ms: u64) -> u64 {
    let allowance = u64::try_from(LATENCY_ALLOWANCE.as_millis()).unwrap_or(u64::MAX);
    asked_ms.max(answered_ms.saturating_sub(allowance))
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The receipts settled by this queue whose leases have not ended yet.
#[derive(Debug, Default)]
pub(super) struct Settled {
    inner: Mutex<SettledInner>,
}

/// Lease ends by receipt handle. Ended ones are swept out whenever the map has doubled since the last
/// sweep, so it stays about as large as the leases still running.
#[derive(Debug, Default)]
struct SettledInner {
    deadlines: HashMap<String, u64>,
    sweep_at: usize,
}

impl SettledInner {
    fn sweep(&mut self, now_ms: u64) {
        if self.deadlines.len() >= self.sweep_at.max(SWEEP_FLOOR) {
            self.deadlines.retain(|_, deadline| *deadline > now_ms);
            self.sweep_at = self.deadlines.len() * 2;
        }
    }
}

fn lock(inner: &Mutex<SettledInner>) -> std::sync::MutexGuard<'_, SettledInner> {
    inner
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Settled {
    /// Takes the right to settle `lease` (once): `InvalidReceipt` when it expired or was settled before.
    pub fn claim(&self, lease: &Lease<'_>, now_ms: u64) -> Result<(), QueueError> {
        if now_ms >= lease.deadline_ms {
            return Err(QueueError::InvalidReceipt);
        }
        let mut inner = lock(&self.inner);
        inner.sweep(now_ms);
        if inner
            .deadlines
            .insert(lease.handle.to_owned(), lease.deadline_ms)
            .is_some()
        {
            return Err(QueueError::InvalidReceipt);
        }
        Ok(())
    }

    /// Whether `handle` was settled (and its lease has not ended yet).
    pub fn contains(&self, handle: &str) -> bool {
        lock(&self.inner).deadlines.contains_key(handle)
    }

    /// Gives a claim back: the settling call failed in a way that left the message as it was.
    pub fn release(&self, lease: &Lease<'_>) {
        lock(&self.inner).deadlines.remove(lease.handle);
    }
}

/// Lease ends moved by extensions, by receipt handle, kept until they pass.
#[derive(Debug, Default)]
pub(super) struct Extended {
    inner: Mutex<SettledInner>,
}

impl Extended {
    /// `lease` with its latest end: the one its receipt carries, or a later one an extension gave it.
    pub fn current<'a>(&self, lease: Lease<'a>) -> Lease<'a> {
        let extended = lock(&self.inner)
            .deadlines
            .get(lease.handle)
            .copied()
            .unwrap_or(0);
        Lease {
            deadline_ms: lease.deadline_ms.max(extended),
            ..lease
        }
    }

    /// Records that the lease of `handle` now ends at `deadline_ms`.
    pub fn record(&self, handle: &str, deadline_ms: u64, now_ms: u64) {
        let mut inner = lock(&self.inner);
        inner.sweep(now_ms);
        let end = inner.deadlines.entry(handle.to_owned()).or_default();
        *end = (*end).max(deadline_ms);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn receipts_round_trip_and_foreign_ones_are_invalid() {
        let made = receipt("AQEB+abc:def==", 42);
        assert_eq!(
            parse(&made).unwrap(),
            Lease {
                handle: "AQEB+abc:def==",
                deadline_ms: 42
            }
        );
        for foreign in ["", "abc", "x:abc", "12:"] {
            assert!(
                matches!(parse(foreign), Err(QueueError::InvalidReceipt)),
                "{foreign}"
            );
        }
    }

    #[test]
    fn a_lease_settles_once_and_not_after_its_deadline() {
        let settled = Settled::default();
        let lease = Lease {
            handle: "h",
            deadline_ms: 1_000,
        };
        assert!(settled.claim(&lease, 999).is_ok());
        assert!(matches!(
            settled.claim(&lease, 999),
            Err(QueueError::InvalidReceipt)
        ));
        settled.release(&lease);
        assert!(settled.claim(&lease, 999).is_ok());
        let other = Lease {
            handle: "other",
            deadline_ms: 1_000,
        };
        assert!(matches!(
            settled.claim(&other, 1_000),
            Err(QueueError::InvalidReceipt)
        ));
    }

    #[test]
    fn an_extension_moves_the_end_of_a_lease() {
        let extended = Extended::default();
        let lease = Lease {
            handle: "h",
            deadline_ms: 1_000,
        };
        assert_eq!(extended.current(lease), lease);
        extended.record("h", 5_000, 900);
        assert_eq!(extended.current(lease).deadline_ms, 5_000);
        // An older extension never shortens it.
        extended.record("h", 3_000, 900);
        assert_eq!(extended.current(lease).deadline_ms, 5_000);
        let other = Lease {
            handle: "other",
            deadline_ms: 1_000,
        };
        assert_eq!(extended.current(other), other);
    }

    #[test]
    fn expired_claims_are_swept() {
        let settled = Settled::default();
        for i in 0..3 * SWEEP_FLOOR {
            let handle = format!("h{i}");
            let lease = Lease {
                handle: &handle,
                deadline_ms: 10 + i as u64,
            };
            settled.claim(&lease, 9 + i as u64).unwrap();
        }
        assert!(settled.inner.lock().unwrap().deadlines.len() < 2 * SWEEP_FLOOR);
    }

    #[test]
    fn a_long_poll_lease_starts_near_its_answer() {
        assert_eq!(lease_start(1_000, 1_050), 1_000);
        assert_eq!(lease_start(1_000, 21_000), 20_900);
    }
}
