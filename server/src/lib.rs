//! The composition root: configuration, backends, services, HTTP routes, the worker and the CLI's pieces.

mod analytics;
pub mod api;
pub mod backends;
pub mod backup;
pub mod config;
mod config_transform;
pub mod connection;
pub mod example_secrets;
pub mod iam_policy;
pub mod lifecycle_rules;
pub mod listener;
mod passes;
pub mod queue_gauges;
mod signing_key;
pub mod startup;
pub mod telemetry;
pub mod traces;
