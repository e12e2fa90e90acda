//! What the RabbitMQ adapter decides without a broker: URL parsing, names, remembered ids, attempts. The
//! contract suite runs against a real broker in `darkroom-tests` (`shared_backends`).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use darkroom_core::ports::QueueError;
use lapin::types::{AMQPValue, FieldTable};
use lapin::BasicProperties;
use tokio::time::Instant;

use super::address::{parse, redacted, Names};
use super::consume::attempt;
use super::recent::RecentIds;

#[test]
fn the_namespace_is_taken_out_and_lapin_parameters_stay() {
    let plain = parse("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap();
    assert_eq!(plain.broker, "amqp://guest:guest@127.0.0.1:5672/%2f");
    assert_eq!(plain.names.dead_exchange(), "darkroom.dead");

    let named = parse("amqp://h:5672/v?heartbeat=10&namespace=t_1&frame_max=8192").unwrap();
    assert_eq!(named.broker, "amqp://h:5672/v?heartbeat=10&frame_max=8192");
    assert_eq!(named.names.jobs_queue("jobs").unwrap(), "t_1.jobs.jobs");
    assert_eq!(named.names.dead_queue("jobs").unwrap(), "t_1.dead.jobs");
}

#[test]
fn unknown_parameters_and_bad_namespaces_are_refused() {
    let err = parse("amqp://h/v?namespace=a&prefetch=3&x=1").unwrap_err();
    assert!(
        matches!(&err, QueueError::Other { message: m, .. } if m.contains("prefetch, x")),
        "{err}"
    );
    for bad in [
        "amqp://h?namespace=",
        "amqp://h?namespace=a.b",
        "amqp://h?namespace=a&namespace=b",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
    assert!(parse("nats://h:4222").is_err());
}

#[test]
fn credentials_never_reach_messages() {
    assert_eq!(
        redacted("amqp://guest:secret@h:5672/%2f"),
        "amqp://h:5672/%2f"
    );
}

#[test]
fn topics_make_names_no_longer_than_amqp_allows() {
    let names = Names::new("ns").unwrap();
    assert_eq!(
        names.jobs_queue("image.ready").unwrap(),
        "ns.jobs.image.ready"
    );
    assert!(names.jobs_queue("").is_err());
    assert!(names.jobs_queue("a\nb").is_err());
    assert!(names.jobs_queue(&"t".repeat(250)).is_err());
}

#[test]
fn a_recent_id_is_published_once_per_topic_until_released() {
    let (recent, now) = (RecentIds::default(), Instant::now());
    assert!(recent.claim("a", "m1", now));
    assert!(!recent.claim("a", "m1", now));
    assert!(
        recent.claim("b", "m1", now),
        "the same id in another topic is another message"
    );
    recent.release("a", "m1");
    assert!(
        recent.claim("a", "m1", now),
        "a failed publish may be retried"
    );
    assert!(
        recent.claim("a", "m1", now + Duration::from_secs(3601)),
        "remembered for an hour"
    );
}

#[test]
fn the_attempt_is_one_more_than_the_delivery_count() {
    assert_eq!(attempt(&BasicProperties::default()), 1);
    let mut headers = FieldTable::default();
    headers.insert("x-delivery-count".into(), AMQPValue::LongLongInt(2));
    assert_eq!(
        attempt(&BasicProperties::default().with_headers(headers)),
        3
    );
}
