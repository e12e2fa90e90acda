//! The worker's metrics, by topic: jobs started, jobs finished by outcome, how long they took, jobs sent to
//! the dead letters, and leases lost. Recorded through the `metrics` facade; whichever recorder the process installed exports them.

use std::time::Duration;

use super::JobOutcome;

const STARTED: &str = "worker_jobs_started_total";
const FINISHED: &str = "worker_jobs_finished_total";
const DURATION: &str = "worker_job_duration_seconds";
const LEASES_LOST: &str = "worker_leases_lost_total";
const DEAD_LETTERED: &str = "worker_jobs_dead_lettered_total";

/// Describes the metrics to the recorder (once per worker start; repeats are harmless).
pub(super) fn describe() {
    metrics::describe_counter!(STARTED, "jobs handed to a handler, by topic");
    metrics::describe_counter!(
        FINISHED,
        "jobs whose handler returned, by topic and outcome (done, retry)"
    );
    metrics::describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "how long handlers took, by topic and outcome"
    );
    metrics::describe_counter!(
        DEAD_LETTERED,
        "jobs that failed their last attempt and went to the dead letters, by topic"
    );
    metrics::describe_counter!(
        LEASES_LOST,
        "deliveries whose lease could not be extended (another worker may have them), by topic"
    );
}

pub(super) fn started(topic: &'static str) {
    metrics::counter!(STARTED, "topic" => topic).increment(1);
}

pub(super) fn finished(topic: &'static str, outcome: &JobOutcome, took: Duration) {
    let outcome = outcome.label();
    metrics::counter!(FINISHED, "topic" => topic, "outcome" => outcome).increment(1);
    metrics::histogram!(DURATION, "topic" => topic, "outcome" => outcome)
        .record(took.as_secs_f64());
}

/// A job failed its last attempt: the queue moves it to the dead letters instead of redelivering it.
pub(super) fn dead_lettered(topic: &'static str) {
    metrics::counter!(DEAD_LETTERED, "topic" => topic).increment(1);
}

pub(super) fn lease_lost(topic: &str) {
    metrics::counter!(LEASES_LOST, "topic" => topic.to_owned()).increment(1);
}
