//! The worker loop against an in-memory queue: budget, fairness, retries, heartbeat, drain.

#![allow(clippy::unwrap_used)]

mod dead_letters;
mod fake_queue;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::watch;
use tokio::time::Instant;

use self::fake_queue::FakeQueue;
use super::{run_worker, Attempt, JobHandler, JobOutcome, WorkerSettings};
use crate::ports::{Message, Queue, QueueSettings};

/// A handler that sleeps `work`, records what it saw, and fails (retry) while `fail_until` says so.
#[derive(Debug)]
struct Recorder {
    topic: &'static str,
    work: Duration,
    /// Retry every attempt below this number.
    fail_until: u32,
    running: Arc<AtomicUsize>,
    most_at_once: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<(String, Attempt, Instant)>>>,
}

impl Recorder {
    fn new(topic: &'static str, work: Duration) -> Self {
        Self {
            topic,
            work,
            fail_until: 0,
            running: Arc::default(),
            most_at_once: Arc::default(),
            seen: Arc::default(),
        }
    }

    /// Shares the running counters of `other`, so a budget across topics can be checked.
    fn counting_with(mut self, other: &Recorder) -> Self {
        self.running = other.running.clone();
        self.most_at_once = other.most_at_once.clone();
        self
    }

    fn seen(&self) -> Vec<(String, Attempt, Instant)> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl JobHandler for Recorder {
    fn topic(&self) -> &'static str {
        self.topic
    }

    async fn handle(&self, message: &Message, attempt: Attempt) -> JobOutcome {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.work).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.seen
            .lock()
            .unwrap()
            .push((message.id.clone(), attempt, Instant::now()));
        if attempt.number < self.fail_until {
            JobOutcome::Retry("not yet".into())
        } else {
            JobOutcome::Done
        }
    }
}

fn settings(concurrency: usize, visibility: Duration) -> WorkerSettings {
    WorkerSettings {
        concurrency,
        max_attempts: 3,
        retry_after: Duration::from_millis(20),
        visibility_timeout: visibility,
    }
}

fn queue(visibility: Duration) -> Arc<FakeQueue> {
    Arc::new(FakeQueue::new(QueueSettings {
        visibility_timeout: visibility,
        max_attempts: 3,
    }))
}

async fn publish(queue: &FakeQueue, topic: &str, id: &str) {
    queue
        .publish(&Message {
            id: id.to_owned(),
            topic: topic.to_owned(),
            payload: Bytes::from_static(b"{}"),
        })
        .await
        .unwrap();
}

/// Waits (up to 10 s) until `done` holds.
async fn until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

fn start(
    queue: &Arc<FakeQueue>,
    handlers: Vec<Arc<dyn JobHandler>>,
    settings: WorkerSettings,
) -> Running {
    let (stop, stopped) = watch::channel(false);
    let port: Arc<dyn Queue> = queue.clone();
    let task = tokio::spawn(run_worker(port, handlers, settings, stopped));
    Running { stop, task }
}

impl Running {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the worker did not drain")
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_topic_is_handled_by_its_handler_within_one_budget() {
    let queue = queue(Duration::from_secs(5));
    let a = Arc::new(Recorder::new("a", Duration::from_millis(30)));
    let b = Arc::new(Recorder::new("b", Duration::from_millis(30)).counting_with(&a));
    for n in 0..6 {
        publish(&queue, "a", &format!("a{n}")).await;
        publish(&queue, "b", &format!("b{n}")).await;
    }
    let worker = start(
        &queue,
        vec![a.clone(), b.clone()],
        settings(3, Duration::from_secs(5)),
    );
    until(|| a.seen().len() == 6 && b.seen().len() == 6).await;
    worker.stop().await;
    assert!(a.seen().iter().all(|(id, ..)| id.starts_with('a')));
    assert!(b.seen().iter().all(|(id, ..)| id.starts_with('b')));
    let most = a.most_at_once.load(Ordering::SeqCst);
    assert!(most <= 3, "{most} jobs ran at once with a budget of 3");
    assert_eq!(queue.acks.load(Ordering::SeqCst), 12);
    assert_eq!(queue.pending(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_topic_does_not_starve_another() {
    let queue = queue(Duration::from_secs(5));
    let busy = Arc::new(Recorder::new("busy", Duration::from_millis(20)));
    let quiet = Arc::new(Recorder::new("quiet", Duration::from_millis(20)));
    for n in 0..40 {
        publish(&queue, "busy", &format!("busy{n}")).await;
    }
    let worker = start(
        &queue,
        vec![busy.clone(), quiet.clone()],
        settings(1, Duration::from_secs(5)),
    );
    until(|| busy.seen().len() >= 3).await;
    publish(&queue, "quiet", "quiet").await;
    until(|| quiet.seen().len() == 1).await;
    let busy_done = busy.seen().len();
    worker.stop().await;
    assert!(
        busy_done < 40,
        "the quiet topic waited for the whole backlog of the busy one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_jobs_are_retried_and_the_last_attempt_knows_it() {
    let queue = queue(Duration::from_secs(5));
    let mut flaky = Recorder::new("flaky", Duration::ZERO);
    flaky.fail_until = 3;
    let flaky = Arc::new(flaky);
    publish(&queue, "flaky", "m").await;
    let worker = start(
        &queue,
        vec![flaky.clone()],
        settings(2, Duration::from_secs(5)),
    );
    until(|| flaky.seen().len() == 3).await;
    worker.stop().await;
    let attempts: Vec<(u32, bool)> = flaky
        .seen()
        .iter()
        .map(|(_, attempt, _)| (attempt.number, attempt.is_last()))
        .collect();
    assert_eq!(attempts, vec![(1, false), (2, false), (3, true)]);
    assert_eq!(queue.nacks.load(Ordering::SeqCst), 2);
    assert_eq!(queue.acks.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_longer_than_the_visibility_timeout_keeps_its_lease() {
    let visibility = Duration::from_millis(300);
    let queue = queue(visibility);
    let slow = Arc::new(Recorder::new("slow", visibility * 4));
    publish(&queue, "slow", "m").await;
    let worker = start(&queue, vec![slow.clone()], settings(2, visibility));
    until(|| slow.seen().len() == 1).await;
    worker.stop().await;
    assert_eq!(
        queue.delivered("m"),
        1,
        "redelivered while its worker held it"
    );
    assert!(queue.extensions.load(Ordering::SeqCst) >= 3);
    assert_eq!(queue.acks.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_of_an_aborted_worker_come_back_after_the_timeout() {
    let visibility = Duration::from_millis(300);
    let queue = queue(visibility);
    let stuck = Arc::new(Recorder::new("t", Duration::from_secs(3600)));
    publish(&queue, "t", "m").await;
    let crashed = start(&queue, vec![stuck.clone()], settings(1, visibility));
    until(|| queue.delivered("m") == 1).await;
    crashed.task.abort();
    let aborted_at = Instant::now();

    let fresh = Arc::new(Recorder::new("t", Duration::ZERO));
    let worker = start(&queue, vec![fresh.clone()], settings(1, visibility));
    until(|| fresh.seen().len() == 1).await;
    let back_after = aborted_at.elapsed();
    worker.stop().await;
    assert_eq!(fresh.seen()[0].1.number, 2);
    assert!(
        back_after < visibility * 4,
        "the job came back after {back_after:?}, its heartbeat outlived its worker"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_jobs_in_hand() {
    let queue = queue(Duration::from_secs(5));
    let slow = Arc::new(Recorder::new("slow", Duration::from_millis(300)));
    publish(&queue, "slow", "m").await;
    let worker = start(
        &queue,
        vec![slow.clone()],
        settings(1, Duration::from_secs(5)),
    );
    until(|| slow.running.load(Ordering::SeqCst) == 1).await;
    worker.stop().await;
    assert_eq!(slow.seen().len(), 1);
    assert_eq!(queue.acks.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_handler_for_a_topic_is_left_out() {
    let queue = queue(Duration::from_secs(5));
    let first = Arc::new(Recorder::new("t", Duration::ZERO));
    let second = Arc::new(Recorder::new("t", Duration::ZERO));
    for n in 0..3 {
        publish(&queue, "t", &format!("m{n}")).await;
    }
    let worker = start(
        &queue,
        vec![first.clone(), second.clone()],
        settings(2, Duration::from_secs(5)),
    );
    until(|| first.seen().len() == 3).await;
    worker.stop().await;
    assert!(second.seen().is_empty());
}
