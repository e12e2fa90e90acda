//! Database call latency as a wrapper of every repository port: each call of the adapter underneath is timed
//! by repository, operation (the port's method) and outcome into `db_operation_duration_seconds`. The three
//! labels come from fixed sets (the ports' names), never from what a call carries.
//!
//! The wrapper sits under the caches (`darkroom_core::caching`), so the histogram shows what the database
//! itself costs, not the cache's hits. Each impl is the port's method list, written once in `metered!`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::domain::*;
use darkroom_core::ports::*;
use uuid::Uuid;

const METRIC: &str = "db_operation_duration_seconds";

/// A repository, timed.
#[derive(Debug)]
struct Metered<T: ?Sized> {
    inner: Arc<T>,
}

/// Every repository of `db` timed; the health check as it is (readiness times itself).
pub fn metered(db: Repositories) -> Repositories {
    metrics::describe_histogram!(
        METRIC,
        metrics::Unit::Seconds,
        "database calls, by repository, operation and outcome"
    );
    fn wrap<T: ?Sized>(inner: Arc<T>) -> Arc<Metered<T>> {
        Arc::new(Metered { inner })
    }
    Repositories {
        users: wrap(db.users),
        sessions: wrap(db.sessions),
        images: wrap(db.images),
        outbox: wrap(db.outbox),
        follows: wrap(db.follows),
        posts: wrap(db.posts),
        likes: wrap(db.likes),
        comments: wrap(db.comments),
        timelines: wrap(db.timelines),
        notifications: wrap(db.notifications),
        uploads: wrap(db.uploads),
        leases: wrap(db.leases),
        second_factors: wrap(db.second_factors),
        original_tiers: wrap(db.original_tiers),
        health: db.health,
    }
}

fn record<T>(
    repository: &'static str,
    operation: &'static str,
    started: Instant,
    result: &Result<T, DbError>,
) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(DbError::NotFound) => "not_found",
        Err(DbError::Conflict(_)) => "conflict",
        Err(_) => "error",
    };
    metrics::histogram!(
        METRIC,
        "repository" => repository,
        "operation" => operation,
        "outcome" => outcome
    )
    .record(started.elapsed().as_secs_f64());
}

/// Implements `$port` for `Metered<dyn $port>`: each listed method delegates to the adapter and is timed.
macro_rules! metered {
    ($port:ident, $repository:literal { $(fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)* }) => {
        #[async_trait]
        impl $port for Metered<dyn $port> {
            $(
                async fn $name(&self, $($arg: $ty),*) -> $ret {
                    let started = Instant::now();
                    let result = self.inner.$name($($arg),*).await;
                    record($repository, stringify!($name), started, &result);
                    result
                }
            )*
        }
    };
}

metered!(UserRepository, "users" {
    fn create_user(user: &NewUser) -> Result<User, DbError>;
    fn user_by_id(id: UserId) -> Result<Option<User>, DbError>;
    fn user_by_username(username: &str) -> Result<Option<User>, DbError>;
    fn credentials(login: &str) -> Result<Option<(User, String)>, DbError>;
    fn set_password_hash(id: UserId, password_hash: &str) -> Result<bool, DbError>;
    fn users_by_ids(ids: &[UserId]) -> Result<Vec<User>, DbError>;
    fn access_facts(id: UserId) -> Result<Option<AccessFacts>, DbError>;
    fn update_profile(id: UserId, patch: &ProfilePatch, event: &OutboxMessage) -> Result<Option<User>, DbError>;
});

metered!(SessionRepository, "sessions" {
    fn insert_refresh_token(token: &RefreshToken) -> Result<(), DbError>;
    fn rotate_refresh_token(presented_hash: &str, replacement: &RefreshToken, now: DateTime<Utc>) -> Result<RefreshOutcome, DbError>;
    fn revoke_refresh_family(token_hash: &str) -> Result<bool, DbError>;
    fn live_sessions(user: UserId, now: DateTime<Utc>, before: Option<Uuid>, limit: u32) -> Result<Vec<LiveSession>, DbError>;
    fn revoke_session(user: UserId, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbError>;
});

metered!(ImageRepository, "images" {
    fn create_image(image: &NewImage, job: &OutboxMessage) -> Result<CreateImageOutcome, DbError>;
    fn image(id: ImageId) -> Result<Option<Image>, DbError>;
    fn images_by_ids(ids: &[ImageId]) -> Result<Vec<Image>, DbError>;
    fn images_by_owner(owner: UserId, page: PageRequest) -> Result<Page<Image>, DbError>;
    fn images_by_owner_with_tag(owner: UserId, tag: &str, page: PageRequest) -> Result<Page<Image>, DbError>;
    fn update_image(id: ImageId, patch: &ImagePatch) -> Result<Option<Image>, DbError>;
    fn complete_processing(id: ImageId, result: &ProcessedImage) -> Result<bool, DbError>;
    fn fail_processing(id: ImageId, failure: &Failure) -> Result<bool, DbError>;
    fn delete_image(id: ImageId, at: DateTime<Utc>) -> Result<Option<Image>, DbError>;
    fn restore_image(id: ImageId, deleted_since: DateTime<Utc>) -> Result<Option<Image>, DbError>;
    fn deleted_images(deleted_before: DateTime<Utc>, limit: usize) -> Result<Vec<ImageId>, DbError>;
    fn purge_image(id: ImageId, deleted_before: DateTime<Utc>) -> Result<bool, DbError>;
    fn add_variant_files(id: ImageId, files: &[LateVariantFile]) -> Result<bool, DbError>;
    fn record_original(id: ImageId, bytes: u64, sha256: &str) -> Result<bool, DbError>;
});

metered!(OutboxRepository, "outbox" {
    fn pending_outbox(limit: usize) -> Result<Vec<OutboxMessage>, DbError>;
    fn claim_outbox(limit: usize, lease: Duration, now: DateTime<Utc>) -> Result<Vec<OutboxMessage>, DbError>;
    fn mark_outbox_relayed(ids: &[Uuid]) -> Result<(), DbError>;
    fn outbox_backlog() -> Result<OutboxBacklog, DbError>;
});

metered!(FollowRepository, "follows" {
    fn follow(follow: &Follow, event: &OutboxMessage) -> Result<FollowOutcome, DbError>;
    fn unfollow(follower: UserId, followee: UserId, event: &OutboxMessage) -> Result<Option<FollowState>, DbError>;
    fn accept_follow(follower: UserId, followee: UserId, at: chrono::DateTime<chrono::Utc>, event: &OutboxMessage) -> Result<bool, DbError>;
    fn follow_state(follower: UserId, followee: UserId) -> Result<Option<FollowState>, DbError>;
    fn followers(user: UserId, state: FollowState, page: PageRequest) -> Result<Page<Follow>, DbError>;
    fn following(user: UserId, page: PageRequest) -> Result<Page<Follow>, DbError>;
    fn follower_ids(user: UserId, after: Option<UserId>, limit: u32) -> Result<Vec<UserId>, DbError>;
});

metered!(PostRepository, "posts" {
    fn create_post(post: &Post, event: &OutboxMessage) -> Result<(), DbError>;
    fn post(id: PostId) -> Result<Option<Post>, DbError>;
    fn posts_by_ids(ids: &[PostId]) -> Result<Vec<Post>, DbError>;
    fn delete_post(id: PostId, event: &OutboxMessage) -> Result<Option<Post>, DbError>;
    fn posts_by_author(author: UserId, page: PageRequest) -> Result<Page<Post>, DbError>;
    fn posts_followed_by(follower: UserId, fanned_out: Option<bool>, page: PageRequest) -> Result<Page<Post>, DbError>;
});

metered!(LikeRepository, "likes" {
    fn like(post: PostId, user: UserId, at: DateTime<Utc>, event: &OutboxMessage) -> Result<bool, DbError>;
    fn unlike(post: PostId, user: UserId) -> Result<bool, DbError>;
    fn liked(user: UserId, posts: &[PostId]) -> Result<Vec<PostId>, DbError>;
});

metered!(CommentRepository, "comments" {
    fn create_comment(comment: &Comment, event: &OutboxMessage) -> Result<bool, DbError>;
    fn comment(id: CommentId) -> Result<Option<Comment>, DbError>;
    fn delete_comment(id: CommentId) -> Result<Option<Comment>, DbError>;
    fn comments(post: PostId, page: PageRequest) -> Result<Page<Comment>, DbError>;
});

metered!(TimelineRepository, "timelines" {
    fn add_to_timelines(owners: &[UserId], entry: &TimelineEntry) -> Result<u64, DbError>;
    fn add_entries(owner: UserId, entries: &[TimelineEntry]) -> Result<u64, DbError>;
    fn remove_post(post: PostId) -> Result<u64, DbError>;
    fn remove_author(owner: UserId, author: UserId) -> Result<u64, DbError>;
    fn timeline(owner: UserId, page: PageRequest) -> Result<Option<StoredTimelinePage>, DbError>;
    fn build_timeline(owner: UserId, entries: &[TimelineEntry], complete: bool) -> Result<(), DbError>;
    fn trim_timeline(owner: UserId, cap: u32) -> Result<u64, DbError>;
    fn drop_timeline(owner: UserId) -> Result<(), DbError>;
});

metered!(NotificationRepository, "notifications" {
    fn notify(notification: &Notification) -> Result<bool, DbError>;
    fn notifications(recipient: UserId, page: PageRequest) -> Result<Page<Notification>, DbError>;
    fn unread_count(recipient: UserId) -> Result<u64, DbError>;
    fn mark_read(recipient: UserId, ids: Option<&[NotificationId]>) -> Result<u64, DbError>;
    fn withdraw(recipient: UserId, kind: NotificationKind, actor: UserId) -> Result<u64, DbError>;
});

metered!(UploadRepository, "uploads" {
    fn create_upload(upload: &Upload) -> Result<(), DbError>;
    fn upload(id: UploadId) -> Result<Option<Upload>, DbError>;
    fn upload_parts(id: UploadId) -> Result<Vec<UploadPart>, DbError>;
    fn put_upload_part(id: UploadId, part: &UploadPart) -> Result<bool, DbError>;
    fn set_upload_status(id: UploadId, from: UploadStatus, to: UploadStatus) -> Result<bool, DbError>;
    fn delete_upload(id: UploadId) -> Result<bool, DbError>;
    fn expired_uploads(now: DateTime<Utc>, limit: usize) -> Result<Vec<Upload>, DbError>;
});

metered!(LeaseRepository, "leases" {
    fn acquire_lease(name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, DbError>;
    fn release_lease(name: &str, holder: &str) -> Result<(), DbError>;
});

metered!(SecondFactorRepository, "second_factors" {
    fn totp(user: UserId) -> Result<Option<StoredTotp>, DbError>;
    fn begin_totp(user: UserId, sealed_secret: &str, at: DateTime<Utc>) -> Result<bool, DbError>;
    fn enable_totp(user: UserId, sealed_secret: &str, step: i64, recovery_code_hashes: &[String]) -> Result<bool, DbError>;
    fn accept_totp_step(user: UserId, step: i64) -> Result<bool, DbError>;
    fn consume_recovery_code(user: UserId, code_hash: &str) -> Result<bool, DbError>;
    fn remove_totp(user: UserId) -> Result<bool, DbError>;
});

metered!(OriginalTierRepository, "original_tiers" {
    fn note_original_read(id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError>;
    fn originals_to_archive(read_before: DateTime<Utc>, limit: usize) -> Result<Vec<ImageId>, DbError>;
    fn mark_original_archived(id: ImageId, read_before: DateTime<Utc>, at: DateTime<Utc>) -> Result<bool, DbError>;
    fn mark_original_hot(id: ImageId, at: DateTime<Utc>) -> Result<bool, DbError>;
});
