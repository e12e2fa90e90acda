//! What the NATS adapter decides without a server: URL parsing, names, receipts. The contract suite runs
//! against a real server in `darkroom-tests` (`shared_backends`).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use darkroom_core::ports::QueueError;
use tokio::time::Instant;

use super::address::{parse, redacted, Names};
use super::leases::{Lease, Leases};

#[test]
fn the_namespace_defaults_and_is_stripped_from_the_server_url() {
    let plain = parse("nats://127.0.0.1:4222").unwrap();
    assert_eq!(plain.server, "nats://127.0.0.1:4222");
    assert_eq!(plain.names.jobs_stream(), "darkroom_jobs");

    let named = parse("nats://u:p@host:4222?namespace=prod-eu_1").unwrap();
    assert_eq!(named.server, "nats://u:p@host:4222");
    assert_eq!(
        named.names.jobs_subject("jobs").unwrap(),
        "prod-eu_1.jobs.jobs"
    );
    assert_eq!(named.names.dead_stream(), "prod-eu_1_dead");
}

#[test]
fn unknown_parameters_and_bad_namespaces_are_refused() {
    let err = parse("nats://h:4222?namespace=a&retries=3&tls=1").unwrap_err();
    assert!(
        matches!(&err, QueueError::Other { message: m, .. } if m.contains("retries, tls")),
        "{err}"
    );
    for bad in [
        "nats://h?namespace=",
        "nats://h?namespace=a.b",
        "nats://h?namespace=a*",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
    assert!(parse("http://h:4222").is_err());
}

#[test]
fn credentials_never_reach_messages() {
    assert_eq!(redacted("nats://user:secret@h:4222"), "nats://h:4222");
    assert_eq!(redacted("nats://h:4222"), "nats://h:4222");
}

#[test]
fn topics_map_to_subjects_and_distinct_consumer_names() {
    let names = Names::new("ns").unwrap();
    assert_eq!(
        names.jobs_subject("image.ready").unwrap(),
        "ns.jobs.image.ready"
    );
    assert_eq!(names.topic_of("ns.jobs.image.ready"), Some("image.ready"));
    assert_eq!(names.topic_of("other.jobs.x"), None);
    assert_eq!(names.consumer("jobs"), "jobs");
    assert_eq!(names.consumer("image.ready"), "image-2eready");
    assert_ne!(names.consumer("a-2e"), names.consumer("a.")); // '-' is escaped too
    for bad in ["", "a..b", "a b", "a.*", ">", ".a"] {
        assert!(names.jobs_subject(bad).is_err(), "{bad:?}");
    }
}

fn lease(sequence: u64, now: Instant) -> Lease {
    Lease {
        sequence,
        expires_at: now + Duration::from_secs(1),
    }
}

#[test]
fn a_receipt_settles_once() {
    let (leases, now) = (Leases::default(), Instant::now());
    leases.grant("r1", lease(1, now), now);
    assert!(leases.take("r1", now).is_some());
    assert!(leases.take("r1", now).is_none());
    assert!(leases.take("never-issued", now).is_none());
}

#[test]
fn a_redelivery_retires_the_earlier_receipt() {
    let (leases, now) = (Leases::default(), Instant::now());
    leases.grant("r1", lease(7, now), now);
    leases.grant("r2", lease(7, now), now);
    assert!(leases.take("r1", now).is_none());
    assert!(leases.take("r2", now).is_some());
}

#[test]
fn an_expired_receipt_is_refused() {
    let (leases, now) = (Leases::default(), Instant::now());
    leases.grant("r1", lease(1, now), now);
    assert!(leases.take("r1", now + Duration::from_secs(2)).is_none());
}

#[test]
fn a_restored_lease_yields_to_a_newer_delivery() {
    let (leases, now) = (Leases::default(), Instant::now());
    leases.grant("r1", lease(1, now), now);
    let taken = leases.take("r1", now).unwrap();
    leases.restore("r1", taken);
    let taken = leases.take("r1", now).unwrap();
    leases.grant("r2", lease(1, now), now);
    leases.restore("r1", taken);
    assert!(leases.take("r1", now).is_none());
    assert!(leases.take("r2", now).is_some());
}
