//! A queue in memory with the port's semantics (visibility timeout, receipts, attempts, dead letters), for
//! testing the worker loop in core, where no adapter is at hand. It counts what the worker asked of it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::ports::{Delivery, Message, Queue, QueueError, QueueSettings};

#[derive(Debug)]
struct Entry {
    message: Message,
    attempt: u32,
    visible_at: Instant,
    receipt: Option<String>,
    dead: bool,
}

#[derive(Debug, Default)]
pub struct FakeQueue {
    settings: Option<QueueSettings>,
    entries: Mutex<Vec<Entry>>,
    next_receipt: AtomicUsize,
    pub extensions: AtomicUsize,
    pub acks: AtomicUsize,
    pub nacks: AtomicUsize,
    /// Deliveries handed out, by message id.
    deliveries: Mutex<HashMap<String, u32>>,
}

impl FakeQueue {
    pub fn new(settings: QueueSettings) -> Self {
        Self {
            settings: Some(settings),
            ..Self::default()
        }
    }

    fn settings(&self) -> QueueSettings {
        self.settings.unwrap_or_default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap()
    }

    /// How many times the message `id` was delivered.
    pub fn delivered(&self, id: &str) -> u32 {
        self.deliveries
            .lock()
            .unwrap()
            .get(id)
            .copied()
            .unwrap_or(0)
    }

    /// Messages neither acked nor dead.
    pub fn pending(&self) -> usize {
        self.lock().iter().filter(|e| !e.dead).count()
    }

    /// Finds the entry `delivery`'s receipt still holds, when its lease has not run out.
    fn held<'a>(
        entries: &'a mut [Entry],
        delivery: &Delivery,
    ) -> Result<&'a mut Entry, QueueError> {
        let now = Instant::now();
        entries
            .iter_mut()
            .find(|e| {
                !e.dead
                    && e.receipt.as_deref() == Some(delivery.receipt.as_str())
                    && e.visible_at > now
            })
            .ok_or(QueueError::InvalidReceipt)
    }
}

#[async_trait]
impl Queue for FakeQueue {
    fn backend(&self) -> &'static str {
        "fake"
    }

    async fn publish(&self, message: &Message) -> Result<(), QueueError> {
        self.lock().push(Entry {
            message: message.clone(),
            attempt: 0,
            visible_at: Instant::now(),
            receipt: None,
            dead: false,
        });
        Ok(())
    }

    async fn receive(
        &self,
        topic: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        let deadline = Instant::now() + wait;
        let settings = self.settings();
        loop {
            let now = Instant::now();
            let mut got = Vec::new();
            for entry in self.lock().iter_mut() {
                if got.len() == max
                    || entry.dead
                    || entry.message.topic != topic
                    || entry.visible_at > now
                {
                    continue;
                }
                if entry.attempt >= settings.max_attempts {
                    entry.dead = true;
                    continue;
                }
                entry.attempt += 1;
                entry.visible_at = now + settings.visibility_timeout;
                let receipt = self
                    .next_receipt
                    .fetch_add(1, Ordering::Relaxed)
                    .to_string();
                entry.receipt = Some(receipt.clone());
                *self
                    .deliveries
                    .lock()
                    .unwrap()
                    .entry(entry.message.id.clone())
                    .or_default() += 1;
                got.push(Delivery {
                    message: entry.message.clone(),
                    attempt: entry.attempt,
                    receipt,
                });
            }
            if !got.is_empty() || Instant::now() >= deadline {
                return Ok(got);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn extend(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let mut entries = self.lock();
        let entry = Self::held(&mut entries, delivery)?;
        entry.visible_at = Instant::now() + self.settings().visibility_timeout;
        self.extensions.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let mut entries = self.lock();
        Self::held(&mut entries, delivery)?;
        entries.retain(|e| e.receipt.as_deref() != Some(delivery.receipt.as_str()));
        self.acks.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn nack(&self, delivery: &Delivery, retry_after: Duration) -> Result<(), QueueError> {
        let mut entries = self.lock();
        let entry = Self::held(&mut entries, delivery)?;
        entry.receipt = None;
        entry.visible_at = Instant::now() + retry_after;
        self.nacks.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn dead_letters(&self, topic: &str, limit: usize) -> Result<Vec<Message>, QueueError> {
        Ok(self
            .lock()
            .iter()
            .filter(|e| e.dead && e.message.topic == topic)
            .take(limit)
            .map(|e| e.message.clone())
            .collect())
    }

    async fn ping(&self) -> Result<(), QueueError> {
        Ok(())
    }
}
