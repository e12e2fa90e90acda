//! Queue port adapters. The embedded queue (a SQLite file of its own) is the default; NATS JetStream,
//! RabbitMQ and SQS will sit beside it.

pub mod embedded;
