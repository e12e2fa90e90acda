//! The port contract suites against the shared backends, each reached through its `DARKROOM_TEST_*`
//! variable (see `darkroom_tests::services`). One module per backend, each built only with its feature.
#![allow(clippy::unwrap_used)]

#[cfg(feature = "dynamodb")]
mod dynamodb;
#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "nats", feature = "rabbitmq"))]
mod queue_namespace;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "dynamodb")]
mod search_dynamodb;
#[cfg(feature = "postgres")]
mod search_postgres;
#[cfg(feature = "sqs")]
mod sqs;
