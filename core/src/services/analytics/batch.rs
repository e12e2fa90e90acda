//! A batch being gathered: its lines (NDJSON, one image each, never two for the same image), the
//! deliveries to ack once it is written, and when it is due.

use std::collections::HashSet;
use std::io::Write;

use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use tokio::time::Instant;

use super::{ExportSettings, Record};
use crate::domain::ImageId;
use crate::ports::Delivery;

/// `lines` gzipped, as a batch's object holds them.
pub fn gzip(lines: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gzip = GzEncoder::new(Vec::with_capacity(lines.len() / 4), Compression::default());
    gzip.write_all(lines)?;
    gzip.finish()
}

/// Where a batch written at `at` goes: partitioned by day the way Athena and DuckDB's hive partitioning
/// read (`date=…`), named by time, then writer and sequence so that replicas never collide.
pub fn object_key(at: DateTime<Utc>, writer: &str, sequence: u64) -> String {
    format!(
        "analytics/date={}/{}-{writer}-{sequence:06}.ndjson.gz",
        at.format("%Y-%m-%d"),
        at.format("%H%M%SZ"),
    )
}

#[derive(Debug, Default)]
pub struct Batch {
    lines: Vec<u8>,
    images: HashSet<ImageId>,
    deliveries: Vec<Delivery>,
    opened: Option<Instant>,
}

impl Batch {
    /// Takes `delivery` into the batch, with its image's line unless there is none (the image is gone)
    /// or the batch has one for that image already.
    pub fn add(&mut self, delivery: Delivery, record: Option<Record>) {
        self.opened.get_or_insert_with(Instant::now);
        self.deliveries.push(delivery);
        let Some(record) = record else {
            return;
        };
        if self.images.insert(record.image_id) {
            // A struct of strings, numbers and times always serialises.
            if serde_json::to_writer(&mut self.lines, &record).is_ok() {
                self.lines.push(b'\n');
            }
        }
    }

    /// Lines in the batch.
    pub fn records(&self) -> usize {
        self.images.len()
    }

    pub fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }

    pub fn is_empty(&self) -> bool {
        self.deliveries.is_empty()
    }

    /// Full: no more facts should be taken before it is written.
    pub fn is_full(&self, settings: &ExportSettings) -> bool {
        self.records() >= settings.max_records || self.lines.len() >= settings.max_bytes
    }

    /// Due to be written: full, or its first fact arrived `flush_after` ago.
    pub fn is_due(&self, settings: &ExportSettings) -> bool {
        self.is_full(settings)
            || self
                .opened
                .is_some_and(|opened| opened.elapsed() >= settings.flush_after)
    }

    /// How long until it is due by age (`None` while empty).
    pub fn due_in(&self, settings: &ExportSettings) -> Option<std::time::Duration> {
        self.opened
            .map(|opened| settings.flush_after.saturating_sub(opened.elapsed()))
    }

    /// The batch's lines, newline-terminated JSON (empty when it holds only facts of images since gone).
    pub fn lines(&self) -> &[u8] {
        &self.lines
    }

    /// Empties the batch (after it was written, or given up), handing back its deliveries to settle.
    pub fn take_deliveries(&mut self) -> Vec<Delivery> {
        self.lines.clear();
        self.images.clear();
        self.opened = None;
        std::mem::take(&mut self.deliveries)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::time::Duration;

    use chrono::TimeZone;
    use flate2::read::GzDecoder;

    use super::*;
    use crate::domain::UserId;
    use crate::ports::Message;

    fn delivery(n: u32) -> Delivery {
        Delivery {
            message: Message {
                id: format!("m{n}"),
                topic: "image.ready".into(),
                payload: Default::default(),
            },
            attempt: 1,
            receipt: format!("r{n}"),
        }
    }

    fn record(image_id: ImageId) -> Record {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        Record {
            image_id,
            owner_id: UserId::new(),
            format: "jpeg",
            bytes: 1234,
            width: Some(640),
            height: Some(480),
            auto_tags: vec!["landscape".into()],
            camera_make: Some("Canon".into()),
            camera_model: None,
            taken_at: None,
            source_image_id: None,
            created_at: at,
            ready_at: at,
        }
    }

    fn lines(gzipped: &[u8]) -> Vec<serde_json::Value> {
        let mut text = String::new();
        GzDecoder::new(gzipped).read_to_string(&mut text).unwrap();
        assert!(text.ends_with('\n'), "every line ends with a newline");
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn an_image_announced_twice_is_one_line_but_both_deliveries_are_settled() {
        let mut batch = Batch::default();
        let (a, b) = (ImageId::new(), ImageId::new());
        batch.add(delivery(1), Some(record(a)));
        batch.add(delivery(2), Some(record(b)));
        batch.add(delivery(3), Some(record(a)));
        batch.add(delivery(4), None);
        assert_eq!(batch.records(), 2);
        let written = lines(&gzip(batch.lines()).unwrap());
        let ids: Vec<_> = written
            .iter()
            .map(|l| l["image_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, vec![a.to_string(), b.to_string()]);
        assert_eq!(written[0]["width"], 640);
        assert_eq!(written[0]["auto_tags"], serde_json::json!(["landscape"]));
        assert_eq!(written[0]["ready_at"], "2026-12-01T08:00:00Z");
        assert_eq!(batch.take_deliveries().len(), 4);
        assert!(batch.is_empty());
        assert!(batch.lines().is_empty(), "an emptied batch writes nothing");
    }

    #[test]
    fn a_batch_of_only_vanished_images_writes_nothing_yet_settles_its_deliveries() {
        let mut batch = Batch::default();
        batch.add(delivery(1), None);
        assert!(!batch.is_empty());
        assert!(batch.lines().is_empty());
        assert_eq!(batch.take_deliveries().len(), 1);
    }

    #[test]
    fn a_batch_is_due_when_full_by_lines_or_bytes_or_old_enough() {
        let by_records = ExportSettings {
            flush_after: Duration::from_secs(3600),
            max_records: 2,
            max_bytes: usize::MAX,
        };
        let mut batch = Batch::default();
        assert!(!batch.is_due(&by_records));
        assert_eq!(batch.due_in(&by_records), None);
        batch.add(delivery(1), Some(record(ImageId::new())));
        assert!(!batch.is_due(&by_records));
        batch.add(delivery(2), Some(record(ImageId::new())));
        assert!(batch.is_full(&by_records) && batch.is_due(&by_records));

        let by_bytes = ExportSettings {
            max_records: usize::MAX,
            max_bytes: 100,
            ..by_records
        };
        let mut batch = Batch::default();
        batch.add(delivery(1), Some(record(ImageId::new())));
        assert!(batch.is_due(&by_bytes), "one line of ~300 bytes passes 100");

        let by_age = ExportSettings {
            flush_after: Duration::ZERO,
            ..by_records
        };
        let mut batch = Batch::default();
        batch.add(delivery(1), None);
        assert!(batch.is_due(&by_age));
    }

    #[test]
    fn keys_partition_by_day_and_never_collide_between_writers_or_batches() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 8, 5, 9).unwrap();
        assert_eq!(
            object_key(at, "w1", 7),
            "analytics/date=2026-12-01/080509Z-w1-000007.ndjson.gz"
        );
        assert_ne!(object_key(at, "w1", 7), object_key(at, "w2", 7));
        assert_ne!(object_key(at, "w1", 7), object_key(at, "w1", 8));
    }
}
