//! Deliveries in hand, and the visibility timeout RabbitMQ does not have.
//!
//! The broker keeps an unacknowledged delivery for as long as its channel stays open. So the adapter holds
//! each delivery (with its channel) under a random receipt and starts a timer: when the visibility timeout
//! runs out first, the timer takes the delivery back and nacks it with requeue (the quorum queue counts one
//! more delivery), and the receipt is stale from then on. Settling takes the delivery out first, so exactly
//! one of the timer, `ack` and `nack` ever reaches the broker for it. Extending restarts the timer; the
//! broker knows nothing of it (it keeps an unacknowledged delivery as long as the channel lives).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use lapin::options::BasicNackOptions;
use lapin::Channel;
use tokio::task::AbortHandle;
use uuid::Uuid;

/// A delivery in hand: the channel it came on (its tag means nothing elsewhere) and its tag.
pub(super) struct Held {
    pub channel: Channel,
    pub tag: u64,
    timer: AbortHandle,
}

impl Held {
    /// Puts the message back in its queue now.
    pub async fn requeue(&self) -> lapin::Result<()> {
        let requeue = BasicNackOptions {
            multiple: false,
            requeue: true,
        };
        self.channel.basic_nack(self.tag, requeue).await
    }
}

#[derive(Default)]
pub(super) struct Leases {
    held: Mutex<HashMap<String, Held>>,
}

impl Leases {
    /// Holds a delivery for `visibility` and returns its receipt.
    pub fn hold(self: &Arc<Self>, channel: Channel, tag: u64, visibility: Duration) -> String {
        let receipt = Uuid::new_v4().simple().to_string();
        // Weak, so dropping the adapter drops what it holds (the broker then requeues it at once).
        let leases = Arc::downgrade(self);
        let mut held = self.lock();
        // Spawned under the lock, so the timer cannot look for the receipt before it is there.
        let timer = tokio::spawn(expire(leases, receipt.clone(), visibility)).abort_handle();
        held.insert(
            receipt.clone(),
            Held {
                channel,
                tag,
                timer,
            },
        );
        receipt
    }

    /// Restarts a held delivery's timer: it expires `visibility` from now. `false` when the receipt is
    /// unknown, settled or expired.
    pub fn renew(self: &Arc<Self>, receipt: &str, visibility: Duration) -> bool {
        let leases = Arc::downgrade(self);
        let mut held = self.lock();
        let Some(entry) = held.get_mut(receipt) else {
            return false;
        };
        if !entry.channel.status().connected() {
            // The broker put the message back when the channel closed: nothing is held any more.
            if let Some(gone) = held.remove(receipt) {
                gone.timer.abort();
            }
            return false;
        }
        // Under the lock, as in `hold`: the old timer cannot take the delivery between the two lines.
        // (One that already woke and waits for the lock finds the entry and takes it: the extension came
        // too late, and the next one is refused.)
        entry.timer.abort();
        entry.timer = tokio::spawn(expire(leases, receipt.to_owned(), visibility)).abort_handle();
        true
    }

    /// Takes a delivery out (stopping its timer); `None` when the receipt is unknown, settled or expired.
    pub fn take(&self, receipt: &str) -> Option<Held> {
        let held = self.lock().remove(receipt)?;
        held.timer.abort();
        Some(held)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        // One insert or remove at a time: a panic elsewhere cannot leave the map half-changed.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn expire(leases: Weak<Leases>, receipt: String, visibility: Duration) {
    tokio::time::sleep(visibility).await;
    let Some(held) = leases.upgrade().and_then(|leases| {
        // Not `take`: that would abort this very task before it requeues.
        let held = leases.lock().remove(&receipt);
        held
    }) else {
        return;
    };
    if let Err(e) = held.requeue().await {
        // A closed channel has given its deliveries back already.
        tracing::debug!(error = %e, "could not requeue an expired rabbitmq delivery");
    }
}
