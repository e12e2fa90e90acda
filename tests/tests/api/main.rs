//! The API suite: a real server per test (embedded defaults, fresh data dir), driven over HTTP.
#![allow(clippy::unwrap_used)]

mod access;
mod analytics;
mod archive;
mod auth;
mod backup;
mod backup_s3;
mod cors;
mod edits;
mod encryption_at_rest;
mod heif;
mod janitor;
mod late_variants;
mod leases;
mod mfa;
mod observability;
mod openapi;
mod processing;
mod rate_limits;
mod resource_limits;
mod restart;
mod retention;
mod retention_crash;
mod safe_headers;
mod serving;
mod sessions;
mod social;
mod system;
mod tags;
mod temporary_urls;
mod transform;
mod transform_marks;
mod transform_role;
mod tus;
mod upload;
mod uploads;
