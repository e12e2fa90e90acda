//! The memory the image pipeline holds at once, across every job in the process.
//!
//! A worker runs several jobs at a time (one per core by default), so a per-job cap alone would let the
//! process grow to that many times the cap. Each job instead reserves its estimated peak from one
//! process-wide pool of `Limits::max_decode_alloc` bytes before it decodes: a job larger than the whole
//! pool is refused; one that fits but not beside the others waits for them (up to its deadline). This is
//! the only shared state of the pipeline, and it holds nothing but a byte count.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::deadline::Deadline;
use super::ImagingError;

static IN_USE: Mutex<u64> = Mutex::new(0);
static RELEASED: Condvar = Condvar::new();

/// Bytes reserved for one job; given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    bytes: u64,
}

fn in_use() -> MutexGuard<'static, u64> {
    // The count stays right even if a holder panicked: it is only ever changed by whole amounts.
    IN_USE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reserves `bytes` of the `pool`, waiting while other jobs hold too much of it.
pub(crate) fn reserve(
    bytes: u64,
    pool: u64,
    what: &str,
    deadline: &Deadline,
) -> Result<Reservation, ImagingError> {
    if bytes > pool {
        return Err(ImagingError::DecodeLimitExceeded(format!(
            "{what} needs about {} MiB to process, more than the {} MiB allowed",
            bytes >> 20,
            pool >> 20
        )));
    }
    let mut used = in_use();
    while *used + bytes > pool {
        deadline.check("waiting for memory")?;
        used = RELEASED
            .wait_timeout(used, Duration::from_millis(100))
            .map(|(guard, _)| guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner().0);
    }
    *used += bytes;
    Ok(Reservation { bytes })
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut used = in_use();
        *used = used.saturating_sub(self.bytes);
        RELEASED.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_big_for_the_pool_is_refused_at_once() {
        let deadline = Deadline::start(Duration::from_secs(60));
        let err = reserve(2 << 20, 1 << 20, "a test image", &deadline).unwrap_err();
        assert_eq!(err.code(), "decode_limit_exceeded");
        assert!(err.to_string().contains("a test image"), "{err}");
    }

    #[test]
    fn a_job_waits_for_room_and_gives_up_at_its_deadline() {
        // A pool of its own size: other tests' reservations (all far larger) never fit beside it, and
        // this test's never fits beside theirs, so it only ever competes with itself.
        let pool = 3;
        let first = reserve(2, pool, "first", &Deadline::start(Duration::from_secs(60))).unwrap();
        let err = reserve(
            2,
            pool,
            "second",
            &Deadline::start(Duration::from_millis(150)),
        )
        .unwrap_err();
        assert_eq!(err.code(), "processing_timeout", "{err}");
        drop(first);
        let again = reserve(2, pool, "third", &Deadline::start(Duration::from_secs(60)));
        assert!(again.is_ok());
    }
}
