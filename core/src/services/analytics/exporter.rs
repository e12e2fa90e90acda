//! The exporter: receives `image.ready`, gathers batches, writes each to the analytics store, and acks its
//! facts only once the batch is stored. One per worker replica; replicas write objects of their own.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{gzip, object_key, Batch, ExportSettings, Record};
use crate::clock::Clock;
use crate::domain::ImageReady;
use crate::ports::source::chain;
use crate::ports::{BlobKey, BlobStore, Delivery, ImageRepository, Queue};

/// The longest one receive waits, so that a due batch and a stop are noticed soon.
const RECEIVE_WAIT: Duration = Duration::from_secs(1);
/// The most facts one receive asks for.
const RECEIVE_MAX: usize = 100;
/// After a failed receive or write, before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

const RECORDS: &str = "analytics_records_exported_total";
const BATCHES: &str = "analytics_batches_written_total";
const FAILURES: &str = "analytics_export_failures_total";

#[derive(Debug, Clone)]
pub struct Exporter {
    queue: Arc<dyn Queue>,
    images: Arc<dyn ImageRepository>,
    sink: Arc<dyn BlobStore>,
    /// Names and dates the objects (tests move it).
    clock: Clock,
    settings: ExportSettings,
    /// How often the leases of the facts held in a batch are renewed: well within the queue's visibility
    /// timeout, since a batch may stay open longer than that.
    heartbeat: Duration,
    /// This replica's part of every object name.
    writer: String,
}

impl Exporter {
    pub fn new(
        queue: Arc<dyn Queue>,
        images: Arc<dyn ImageRepository>,
        sink: Arc<dyn BlobStore>,
        clock: Clock,
        settings: ExportSettings,
        visibility_timeout: Duration,
    ) -> Self {
        metrics::describe_counter!(RECORDS, "image metadata lines written to analytics batches");
        metrics::describe_counter!(BATCHES, "analytics batches written");
        metrics::describe_counter!(
            FAILURES,
            "analytics batches that could not be written (tried again)"
        );
        let mut writer = uuid::Uuid::new_v4().simple().to_string();
        writer.truncate(12);
        Self {
            queue,
            images,
            sink,
            clock,
            settings,
            heartbeat: (visibility_timeout / 3).max(Duration::from_millis(100)),
            writer,
        }
    }

    /// Runs until `stop` turns true, then writes what it holds.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut batch = Batch::default();
        let mut sequence = 0u64;
        let mut renewed = Instant::now();
        while !*stop.borrow() {
            let mut pause = None;
            if !batch.is_full(&self.settings) {
                let wait = batch
                    .due_in(&self.settings)
                    .map_or(RECEIVE_WAIT, |due| due.min(RECEIVE_WAIT));
                let room = self
                    .settings
                    .max_records
                    .saturating_sub(batch.records())
                    .clamp(1, RECEIVE_MAX);
                tokio::select! {
                    received = self.queue.receive(ImageReady::TOPIC, room, wait) => match received {
                        Ok(deliveries) => {
                            for delivery in deliveries {
                                self.take(&mut batch, delivery).await;
                            }
                        }
                        Err(err) => {
                            tracing::warn!(error = %chain(&err), "analytics: cannot receive image.ready");
                            pause = Some(RETRY_AFTER);
                        }
                    },
                    _ = stop.changed() => {}
                }
            }
            if batch.is_due(&self.settings) && !self.write(&mut batch, &mut sequence).await {
                pause = Some(RETRY_AFTER);
            }
            if !batch.is_empty() && renewed.elapsed() >= self.heartbeat {
                self.renew(&batch).await;
                renewed = Instant::now();
            }
            if let Some(pause) = pause {
                tokio::select! {
                    _ = tokio::time::sleep(pause.min(self.heartbeat)) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        // Stopping: what was gathered is written now rather than redelivered to someone later.
        if !batch.is_empty() {
            self.write(&mut batch, &mut sequence).await;
        }
    }

    /// Adds a fact to the batch with its image's line; a fact whose image cannot be read now goes back to
    /// the queue for later.
    async fn take(&self, batch: &mut Batch, delivery: Delivery) {
        let Ok(fact) = ImageReady::from_bytes(&delivery.message.payload) else {
            // Never readable: settled with the batch rather than retried until it is dead-lettered.
            tracing::warn!(id = %delivery.message.id, "analytics: unreadable image.ready message");
            batch.add(delivery, None);
            return;
        };
        match self.images.image(fact.image_id).await {
            Ok(image) => {
                let record = image.and_then(|image| Record::of(&image, &fact));
                batch.add(delivery, record);
            }
            Err(err) => {
                tracing::warn!(image = %fact.image_id, error = %chain(&err), "analytics: cannot read the image");
                if let Err(err) = self.queue.nack(&delivery, RETRY_AFTER).await {
                    tracing::debug!(error = %chain(&err), "analytics: nack failed; the lease runs out instead");
                }
            }
        }
    }

    /// Stores the batch, then acks its facts; `false` (and the batch kept, to try again) when storing
    /// failed.
    async fn write(&self, batch: &mut Batch, sequence: &mut u64) -> bool {
        let records = batch.records();
        if records > 0 {
            let lines = batch.lines().to_vec();
            let gzipped = match tokio::task::spawn_blocking(move || gzip(&lines)).await {
                Ok(Ok(gzipped)) => gzipped,
                Ok(Err(err)) => return self.failed(&err),
                Err(err) => return self.failed(&err),
            };
            let key = object_key(self.clock.now(), &self.writer, *sequence);
            *sequence += 1;
            let stored = match BlobKey::parse(&key) {
                Ok(key) => self.sink.put(&key, Bytes::from(gzipped)).await,
                Err(err) => Err(err),
            };
            if let Err(err) = stored {
                return self.failed(&chain(&err));
            }
            metrics::counter!(RECORDS).increment(records as u64);
            metrics::counter!(BATCHES).increment(1);
            tracing::info!(key, records, "analytics batch written");
        }
        for delivery in batch.take_deliveries() {
            if let Err(err) = self.queue.ack(&delivery).await {
                // Its lease ran out: it comes back, and goes into a later batch (at least once).
                tracing::debug!(error = %chain(&err), "analytics: ack failed");
            }
        }
        true
    }

    fn failed(&self, err: &dyn std::fmt::Display) -> bool {
        metrics::counter!(FAILURES).increment(1);
        tracing::warn!(error = %err, "analytics: cannot write a batch; trying again");
        false
    }

    /// Keeps the facts held in the batch invisible to other consumers while it stays open.
    async fn renew(&self, batch: &Batch) {
        for delivery in batch.deliveries() {
            if let Err(err) = self.queue.extend(delivery).await {
                // Someone else may get it now: its line is still written here, and perhaps there too.
                tracing::debug!(error = %chain(&err), "analytics: lease of a fact lost");
            }
        }
    }
}
