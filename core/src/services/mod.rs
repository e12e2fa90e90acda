//! Use cases. Each service holds the ports it needs and knows nothing of HTTP; `server/` maps its errors
//! to problem+json once.

pub mod access;
pub mod analytics;
pub mod archive;
pub mod auth;
mod error;
pub mod images;
pub mod ingest;
pub mod janitor;
pub mod outbox;
pub mod processing;
pub mod retention;
pub mod scheduled;
pub mod social;
pub mod transform;
pub mod uploads;

pub use error::ServiceError;
