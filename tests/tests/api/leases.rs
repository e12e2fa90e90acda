//! The crash story of issue 8: a worker keeps the lease of a job in hand alive, so the visibility timeout
//! can be short, and the jobs of a worker that died come back within seconds rather than after minutes.
//! Run on the stack's own queue (the embedded one by default), with a visibility timeout of one second.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use darkroom::config::Role;
use darkroom_core::domain::Job;
use darkroom_core::ports::{Message, Queue, QueueSettings};
use darkroom_core::worker::{run_worker, Attempt, JobHandler, JobOutcome, WorkerSettings};
use darkroom_tests::app::{spawn_app_with, TestApp};
use tokio::sync::watch;
use tokio::time::Instant;

const VISIBILITY: Duration = Duration::from_secs(1);

/// The app's queue, opened a second time, as another worker process would.
async fn second_queue(app: &TestApp) -> Arc<dyn Queue> {
    let settings = QueueSettings {
        visibility_timeout: VISIBILITY,
        max_attempts: app.config.queue_max_attempts,
    };
    darkroom::backends::queue::connect(&app.config, settings, false)
        .await
        .unwrap()
}

/// A job taken by a worker that then died (no ack, no heartbeat) is processed by the next worker within a
/// few visibility timeouts, not after the old five minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_of_a_worker_that_died_come_back_within_seconds() {
    let app = spawn_app_with(|c| {
        c.role = Role::Api;
        c.queue_visibility_timeout_secs = VISIBILITY.as_secs();
    })
    .await;
    let me = app.register("crashed").await;
    let image = app
        .upload_testdata(&me, "photos/Canon_40D.jpg", "private")
        .await;
    let id = image["id"].as_str().unwrap().to_owned();

    // The worker that dies: it takes the upload's job, then is gone without a word.
    let dead = second_queue(&app).await;
    let taken = dead
        .receive(Job::PROCESS_TOPIC, 1, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1, "the upload's job was not queued");
    let died_at = Instant::now();
    drop(taken);

    let app = app.restart(Role::All).await;
    let done = app.wait_processed(&me, &id).await;
    assert_eq!(done["status"], "ready", "{done}");
    let took = died_at.elapsed();
    assert!(
        took < Duration::from_secs(20),
        "the dead worker's job came back only after {took:?}"
    );
    drop(dead);
}

/// Sleeps through several visibility timeouts and counts its calls.
#[derive(Debug, Default)]
struct Slow {
    calls: AtomicU32,
}

#[async_trait]
impl JobHandler for Slow {
    fn topic(&self) -> &'static str {
        "test.slow"
    }

    async fn handle(&self, _message: &Message, _attempt: Attempt) -> JobOutcome {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(VISIBILITY * 4).await;
        JobOutcome::Done
    }
}

/// A job longer than the visibility timeout keeps its lease while its worker lives: nobody else gets it,
/// and it is handled once. Another worker polls the same topic all along, ready to take it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_longer_than_the_timeout_is_not_redelivered_while_its_worker_lives() {
    let app = spawn_app_with(|c| {
        c.role = Role::Api;
        c.queue_visibility_timeout_secs = VISIBILITY.as_secs();
    })
    .await;
    let queue = second_queue(&app).await;
    let settings = WorkerSettings {
        concurrency: 2,
        max_attempts: app.config.queue_max_attempts,
        retry_after: Duration::from_secs(1),
        visibility_timeout: VISIBILITY,
    };
    // Published before the workers start: the first publish creates the topic where the backend creates
    // topics on first use (a RabbitMQ quorum queue being declared while another channel reads it fails).
    queue
        .publish(&Message {
            id: "slow-1".into(),
            topic: "test.slow".into(),
            payload: Bytes::from_static(b"{}"),
        })
        .await
        .unwrap();
    let (stop, stopped) = watch::channel(false);
    let (first, second) = (Arc::new(Slow::default()), Arc::new(Slow::default()));
    let workers = [first.clone(), second.clone()].map(|handler| {
        let handlers: Vec<Arc<dyn JobHandler>> = vec![handler];
        tokio::spawn(run_worker(
            queue.clone(),
            handlers,
            settings,
            stopped.clone(),
        ))
    });

    let deadline = Instant::now() + Duration::from_secs(30);
    let calls = || first.calls.load(Ordering::SeqCst) + second.calls.load(Ordering::SeqCst);
    while calls() == 0 {
        assert!(Instant::now() < deadline, "the job was never handled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Four timeouts of work, then a few more for a redelivery to show if there were one.
    tokio::time::sleep(VISIBILITY * 7).await;
    stop.send(true).unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(calls(), 1, "the job was handed to a second worker");
    assert!(queue
        .dead_letters("test.slow", 10)
        .await
        .unwrap()
        .is_empty());
    let left = queue
        .receive("test.slow", 10, VISIBILITY * 2)
        .await
        .unwrap();
    assert!(left.is_empty(), "the job was not acked: {left:?}");
}
