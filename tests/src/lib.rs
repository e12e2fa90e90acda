//! Darkroom's cross-crate test helpers: `app` (spawn_app, for the API suite) and the port contract suites
//! (`contract`), run by `tests/contract.rs`
//! against every adapter.

pub mod app;
pub mod contract;
pub mod services;
pub mod social;
pub mod stacks;
