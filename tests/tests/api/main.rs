//! The API suite: a real server per test (embedded defaults, fresh data dir), driven over HTTP.
#![allow(clippy::unwrap_used)]

mod access;
mod auth;
mod heif;
mod late_variants;
mod leases;
mod openapi;
mod processing;
mod restart;
mod serving;
mod social;
mod system;
mod upload;
