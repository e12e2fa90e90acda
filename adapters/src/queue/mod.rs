//! Queue port adapters. The embedded queue (a SQLite file of its own) is the default; NATS JetStream,
//! RabbitMQ and SQS will sit beside it.

#[cfg(feature = "embedded-queue")]
pub mod embedded;
#[cfg(any(feature = "nats", feature = "rabbitmq"))]
mod namespaced_url;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "rabbitmq")]
pub mod rabbitmq;
#[cfg(feature = "sqs")]
pub mod sqs;
