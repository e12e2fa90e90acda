//! The database port: the metadata of the product, as one repository trait per aggregate (one file each).
//! A service holds only the repositories it uses; the composition root builds them all from one adapter
//! (`Repositories::of`), which implements each trait in files of its own. A new aggregate (follows, posts,
//! …) adds a trait here, and a field to `Repositories`.

mod archive;
mod error;
mod follows;
mod health;
mod images;
mod leases;
mod notifications;
mod outbox;
mod posts;
mod second_factors;
mod sessions;
mod timelines;
mod uploads;
mod users;

use std::fmt;
use std::sync::Arc;

pub use archive::OriginalTierRepository;
pub use error::{Conflict, DbError};
pub use follows::{FollowOutcome, FollowRepository};
pub use health::DatabaseHealth;
pub use images::{CreateImageOutcome, ImageRepository};
pub use leases::LeaseRepository;
pub use notifications::NotificationRepository;
pub use outbox::{lease_end, OutboxBacklog, OutboxRepository};
pub use posts::{CommentRepository, LikeRepository, PostRepository};
pub use second_factors::{SecondFactorRepository, StoredTotp};
pub use sessions::{LiveSession, RefreshOutcome, SessionRepository};
pub use timelines::{StoredTimelinePage, TimelineRepository};
pub use uploads::UploadRepository;
pub use users::UserRepository;

/// Every repository of one database, for the composition root (and the contract suites) to hand out.
#[derive(Clone)]
pub struct Repositories {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub second_factors: Arc<dyn SecondFactorRepository>,
    pub images: Arc<dyn ImageRepository>,
    pub outbox: Arc<dyn OutboxRepository>,
    pub follows: Arc<dyn FollowRepository>,
    pub posts: Arc<dyn PostRepository>,
    pub likes: Arc<dyn LikeRepository>,
    pub comments: Arc<dyn CommentRepository>,
    pub timelines: Arc<dyn TimelineRepository>,
    pub notifications: Arc<dyn NotificationRepository>,
    pub uploads: Arc<dyn UploadRepository>,
    pub leases: Arc<dyn LeaseRepository>,
    /// Which tier images' originals are in, and when they were last read (`services::archive`).
    pub original_tiers: Arc<dyn OriginalTierRepository>,
    pub health: Arc<dyn DatabaseHealth>,
}

impl Repositories {
    /// Each repository served by the one adapter `db`.
    pub fn of<D>(db: Arc<D>) -> Self
    where
        D: UserRepository
            + SessionRepository
            + SecondFactorRepository
            + ImageRepository
            + OutboxRepository
            + FollowRepository
            + PostRepository
            + LikeRepository
            + CommentRepository
            + TimelineRepository
            + NotificationRepository
            + UploadRepository
            + LeaseRepository
            + OriginalTierRepository
            + DatabaseHealth
            + 'static,
    {
        Self {
            users: db.clone(),
            sessions: db.clone(),
            second_factors: db.clone(),
            images: db.clone(),
            outbox: db.clone(),
            follows: db.clone(),
            posts: db.clone(),
            likes: db.clone(),
            comments: db.clone(),
            timelines: db.clone(),
            notifications: db.clone(),
            uploads: db.clone(),
            leases: db.clone(),
            original_tiers: db.clone(),
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
