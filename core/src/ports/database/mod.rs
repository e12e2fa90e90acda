//! The database port: the metadata of the product, as one repository trait per aggregate (one file each).
//! A service holds only the repositories it uses; the composition root builds them all from one adapter
//! (`Repositories::of`), which implements each trait in files of its own. A new aggregate (follows, posts,
//! …) adds a trait here, and a field to `Repositories`.

mod error;
mod health;
mod images;
mod outbox;
mod sessions;
mod users;

use std::fmt;
use std::sync::Arc;

pub use error::{Conflict, DbError};
pub use health::DatabaseHealth;
pub use images::{CreateImageOutcome, ImageRepository};
pub use outbox::{lease_end, OutboxRepository};
pub use sessions::{RefreshOutcome, SessionRepository};
pub use users::UserRepository;

/// Every repository of one database, for the composition root (and the contract suites) to hand out.
#[derive(Clone)]
pub struct Repositories {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub images: Arc<dyn ImageRepository>,
    pub outbox: Arc<dyn OutboxRepository>,
    pub health: Arc<dyn DatabaseHealth>,
}

impl Repositories {
    /// Each repository served by the one adapter `db`.
    pub fn of<D>(db: Arc<D>) -> Self
    where
        D: UserRepository
            + SessionRepository
            + ImageRepository
            + OutboxRepository
            + DatabaseHealth
            + 'static,
    {
        Self {
            users: db.clone(),
            sessions: db.clone(),
            images: db.clone(),
            outbox: db.clone(),
            health: db,
        }
    }
}

impl fmt::Debug for Repositories {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repositories")
            .field("backend", &self.health.backend())
            .finish_non_exhaustive()
    }
}
