//! The port contract suites: one per port, each checking everything its trait's `# Contract` section
//! promises, run unchanged against every adapter (embedded ones always, shared ones against real servers).
//!
//! Each suite is a module of `pub async fn` cases taking the port as `Arc<dyn Port>`, and a macro that
//! expands to one `#[tokio::test]` per case, so a failure names its case:
//!
//! ```text
//! async fn memory_store() -> Fixture<dyn BlobStore> {
//!     let store: Arc<dyn BlobStore> = Arc::new(ObjectStoreBlobs::in_memory());
//!     Fixture::new(store)
//! }
//! mod memory_storage {
//!     darkroom_tests::storage_contract_suite!(super::memory_store);
//! }
//! ```
//!
//! A factory is an async function returning a `Fixture`; it is called once per case. Every case uses keys,
//! ids, usernames and topics of its own, so cases may run in parallel against one shared server.

pub mod cache;
pub mod database;
pub mod multipart;
pub mod queue;
pub mod queue_depth;
pub mod rate_limit;
pub mod search;
pub mod storage;
pub mod sweep;

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use uuid::Uuid;

/// A port under test and whatever must outlive it (a temporary directory, a container handle).
pub struct Fixture<P: ?Sized> {
    pub port: Arc<P>,
    _guard: Option<Box<dyn Any + Send + Sync>>,
}

impl<P: ?Sized> Fixture<P> {
    pub fn new(port: Arc<P>) -> Self {
        Self { port, _guard: None }
    }

    /// Keeps `guard` alive as long as the fixture (a `TempDir` the port writes into, say).
    pub fn with_guard(port: Arc<P>, guard: impl Any + Send + Sync) -> Self {
        Self {
            port,
            _guard: Some(Box::new(guard)),
        }
    }
}

/// What a suite's factory may return: a fixture, or `None` when its server is not configured (the suite
/// then skips; see `services::require`).
pub trait IntoFixture<P: ?Sized> {
    fn into_fixture(self) -> Option<Fixture<P>>;
}

impl<P: ?Sized> IntoFixture<P> for Fixture<P> {
    fn into_fixture(self) -> Option<Fixture<P>> {
        Some(self)
    }
}

impl<P: ?Sized> IntoFixture<P> for Option<Fixture<P>> {
    fn into_fixture(self) -> Option<Fixture<P>> {
        self
    }
}

impl<P: ?Sized> fmt::Debug for Fixture<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("guarded", &self._guard.is_some())
            .finish_non_exhaustive()
    }
}

/// A name no other case (or run) uses: `prefix` and 16 random hex digits, in `[a-z0-9_]` so it is also a
/// valid username, topic or key segment.
pub fn unique(prefix: &str) -> String {
    let id = Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &id[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_are_valid_usernames_and_differ() {
        let a = unique("u");
        assert!(darkroom_core::domain::Username::parse(&a).is_ok(), "{a}");
        assert_ne!(a, unique("u"));
    }
}
