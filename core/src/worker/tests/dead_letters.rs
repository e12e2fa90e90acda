//! A job that still fails on its last attempt is counted as dead-lettered, by topic, and only then.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};

use super::*;

/// Counters by name and labels, in this thread only (the test runs on a current-thread runtime).
#[derive(Debug, Default)]
struct Counters(Mutex<HashMap<String, Arc<AtomicU64>>>);

impl Counters {
    fn get(&self, key: &str) -> u64 {
        self.0
            .lock()
            .unwrap()
            .get(key)
            .map_or(0, |count| count.load(Ordering::SeqCst))
    }
}

impl metrics::Recorder for Counters {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        Counter::from_arc(self.0.lock().unwrap().entry(name).or_default().clone())
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[tokio::test]
async fn only_a_job_failing_its_last_attempt_counts_as_dead_lettered() {
    let counters = Counters::default();
    let _recording = metrics::set_default_local_recorder(&counters);
    let queue = queue(Duration::from_secs(5));
    let mut doomed = Recorder::new("doomed", Duration::ZERO);
    doomed.fail_until = u32::MAX;
    let doomed = Arc::new(doomed);
    let mut flaky = Recorder::new("flaky", Duration::ZERO);
    flaky.fail_until = 2;
    let flaky = Arc::new(flaky);
    publish(&queue, "doomed", "d").await;
    publish(&queue, "flaky", "f").await;
    let worker = start(
        &queue,
        vec![doomed.clone(), flaky.clone()],
        settings(2, Duration::from_secs(5)),
    );
    until(|| doomed.seen().len() == 3 && flaky.seen().len() == 2).await;
    worker.stop().await;
    assert_eq!(
        counters.get("worker_jobs_dead_lettered_total{topic=doomed}"),
        1
    );
    // Retried once, then done: never dead.
    assert_eq!(
        counters.get("worker_jobs_dead_lettered_total{topic=flaky}"),
        0
    );
    assert_eq!(
        counters.get("worker_jobs_finished_total{topic=flaky,outcome=retry}"),
        1
    );
}
