//! The time scheduled passes (upload expiry, and the lifecycle passes after it) read: the system's, moved
//! forward by an offset that tests set to make a day pass in a moment. Production never moves it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The system clock plus an offset shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::microseconds(self.offset_micros.load(Ordering::Relaxed));
        Utc::now() + offset
    }

    /// Moves this clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: Duration) {
        let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_move_together() {
        let clock = Clock::system();
        let seen_by_the_pass = clock.clone();
        clock.advance(Duration::from_secs(86_400));
        let ahead = seen_by_the_pass.now() - Utc::now();
        assert!(ahead >= chrono::Duration::hours(23), "{ahead}");
    }
}
