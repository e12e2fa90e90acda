//! Subcommands that need no backends: thumbnails of local files, and the readiness probe of a running
//! instance.

pub mod healthcheck;
pub mod thumbnail;
