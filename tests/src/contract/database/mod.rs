//! The database contract suites: one per repository (`user_repository_contract_suite!`,
//! `session_repository_contract_suite!`, `image_repository_contract_suite!`,
//! `outbox_repository_contract_suite!`, and the social ones, each in its repository's file:
//! `follow_…`, `post_…`, `like_…`, `comment_…`, `timeline_…`, `notification_repository_contract_suite!`),
//! and the database as a whole (`database_health_contract_suite!`: ping, migrating twice).
//! `database_contract_suite!(factory)` runs them all, where `factory` is an async fn returning
//! `Fixture<TestDatabase>` with the schema in place (or `None` to skip).
//!
//! The database may be shared by several cases, so cases only ever look at their own rows: their own users,
//! posts and timelines, and (in the outbox) the messages they wrote.

#![allow(clippy::unwrap_used)]

mod batch_reads;
mod comments;
mod edits;
mod follows;
mod follows_concurrency;
mod health;
mod images;
mod leases;
mod lifecycle;
mod likes;
mod notifications;
mod original_tiers;
mod outbox;
mod outbox_backlog;
mod outbox_claims;
mod posts;
mod profiles;
mod retention;
mod second_factors;
mod sessions;
mod social;
mod tags;
mod timelines;
mod uploads;
mod users;
mod variant_files;

pub use batch_reads::*;
pub use comments::*;
pub use edits::*;
pub use follows::*;
pub use follows_concurrency::*;
pub use health::*;
pub use images::*;
pub use leases::*;
pub use lifecycle::*;
pub use likes::*;
pub use notifications::*;
pub use original_tiers::*;
pub use outbox::*;
pub use outbox_backlog::*;
pub use outbox_claims::*;
pub use posts::*;
pub use profiles::*;
pub use retention::*;
pub use second_factors::*;
pub use sessions::*;
pub use tags::*;
pub use timelines::*;
pub use uploads::*;
pub use users::*;
pub use variant_files::*;

use std::future::Future;
use std::ops::Deref;

use chrono::{DateTime, Utc};
use darkroom_core::domain::{
    Email, ImageFormat, ImageId, Job, NewImage, NewUser, OutboxMessage, User, UserId, Username,
    Visibility,
};
use darkroom_core::ports::{CreateImageOutcome, Repositories};
use futures::future::BoxFuture;
use uuid::Uuid;

use super::unique;

/// The database under test: its repositories (all served by one adapter), and how to open a second handle
/// on the same database and migrate it again, as a second replica starting up would.
pub struct TestDatabase {
    repositories: Repositories,
    reopen: Box<dyn Fn() -> BoxFuture<'static, Repositories> + Send + Sync>,
}

impl TestDatabase {
    pub fn new<F, Fut>(repositories: Repositories, reopen: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Repositories> + Send + 'static,
    {
        Self {
            repositories,
            reopen: Box::new(move || Box::pin(reopen())),
        }
    }

    /// Another handle on the same database, migrated again.
    pub async fn reopen(&self) -> Repositories {
        (self.reopen)().await
    }
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("repositories", &self.repositories)
            .finish_non_exhaustive()
    }
}

impl Deref for TestDatabase {
    type Target = Repositories;

    fn deref(&self) -> &Repositories {
        &self.repositories
    }
}

/// Expands to one `#[tokio::test]` per named database case, each calling `$factory().await`.
#[macro_export]
macro_rules! database_cases {
    ($factory:path; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory().await) else { return };
                $crate::contract::database::$case(fixture.port.clone()).await;
            }
        )+
    };
}

/// `UserRepository`'s contract.
#[macro_export]
macro_rules! user_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            create_user_returns_the_stored_user,
            usernames_are_unique_whatever_their_case,
            emails_are_unique_whatever_their_case,
            users_are_found_by_id_and_username,
            credentials_are_found_by_username_or_email,
            a_password_hash_is_replaced_for_that_user_only,
            create_user_writes_its_event_in_the_same_transaction,
            new_users_are_public_without_an_avatar,
            users_by_ids_answers_those_that_exist,
            update_profile_sets_keeps_and_clears_fields,
        );
    };
}

/// `SessionRepository`'s contract.
#[macro_export]
macro_rules! session_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            refresh_tokens_rotate_and_reuse_revokes_the_family,
            unknown_expired_and_revoked_tokens_are_invalid,
            revoking_a_family_reports_unknown_tokens,
            concurrent_rotations_yield_exactly_one_rotated,
            live_sessions_list_only_families_that_can_go_on,
            revoke_session_ends_only_the_owners_live_session,
        );
    };
}

/// `SecondFactorRepository`'s contract.
#[macro_export]
macro_rules! second_factor_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            a_totp_factor_is_pending_until_enabled_with_its_codes,
            totp_steps_are_accepted_once_and_only_forward,
            recovery_codes_are_used_once,
            removing_a_factor_removes_its_codes,
        );
    };
}

/// `ImageRepository`'s contract.
#[macro_export]
macro_rules! image_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            create_image_records_a_processing_image_and_its_job,
            create_image_writes_both_rows_or_neither,
            a_reused_idempotency_key_replays_the_earlier_image,
            concurrent_uploads_with_one_idempotency_key_make_one_image,
            images_by_owner_pages_newest_first_exactly,
            complete_processing_only_moves_processing_images,
            fail_processing_only_moves_processing_images,
            update_image_applies_the_patch,
            delete_image_hides_it_from_listings_and_keeps_the_row,
            restore_image_brings_it_back_inside_the_window_only,
            deleted_images_are_listed_longest_deleted_first_and_purged_for_good,
            of_concurrent_deletes_and_restores_one_each_succeeds,
            add_variant_files_only_adds_to_ready_images_and_once,
            concurrent_variant_file_additions_keep_every_format,
            images_by_ids_answers_those_that_exist,
            a_derived_image_keeps_its_source_and_operations,
            record_original_only_changes_processing_images,
            processing_stores_auto_tags_and_capture,
            images_by_owner_with_tag_matches_either_kind_and_pages_exactly,
        );
    };
}

/// `OutboxRepository`'s contract.
#[macro_export]
macro_rules! outbox_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            outbox_is_oldest_first_and_pending_until_marked,
            marking_unknown_outbox_ids_is_harmless,
            concurrent_claimers_get_disjoint_rows,
            an_expired_claim_is_claimable_again,
            relayed_rows_never_come_back,
            the_outbox_backlog_counts_pending_messages_and_dates_the_oldest,
        );
    };
}

/// `DatabaseHealth`, and the adapter's migrations.
#[macro_export]
macro_rules! database_health_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            ping_succeeds,
            migrating_twice_and_from_a_second_handle_is_fine,
        );
    };
}

/// `UploadRepository`'s contract.
#[macro_export]
macro_rules! upload_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            uploads_round_trip_with_their_parts,
            parts_come_in_number_order_and_a_resent_part_replaces_its_number,
            parts_are_refused_unless_the_upload_is_open,
            a_status_moves_only_from_the_expected_one,
            deleting_an_upload_removes_its_parts,
            expired_uploads_are_found_soonest_first,
        );
    };
}

/// `LeaseRepository`'s contract.
#[macro_export]
macro_rules! lease_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            a_lease_has_one_holder_until_it_runs_out,
            releasing_frees_a_lease_only_for_its_holder,
            of_racing_callers_one_gets_a_free_lease,
        );
    };
}

/// `OriginalTierRepository`'s contract.
#[macro_export]
macro_rules! original_tier_repository_contract_suite {
    ($factory:path) => {
        $crate::database_cases!($factory;
            reads_of_originals_are_noted_forward_only,
            originals_to_archive_are_the_long_unread_hot_originals_of_live_processed_images,
            originals_move_between_tiers_only_when_they_qualify,
        );
    };
}

/// Every database suite.
#[macro_export]
macro_rules! database_contract_suite {
    ($factory:path) => {
        $crate::user_repository_contract_suite!($factory);
        $crate::session_repository_contract_suite!($factory);
        $crate::second_factor_repository_contract_suite!($factory);
        $crate::image_repository_contract_suite!($factory);
        $crate::outbox_repository_contract_suite!($factory);
        $crate::database_health_contract_suite!($factory);
        $crate::follow_repository_contract_suite!($factory);
        $crate::post_repository_contract_suite!($factory);
        $crate::like_repository_contract_suite!($factory);
        $crate::comment_repository_contract_suite!($factory);
        $crate::timeline_repository_contract_suite!($factory);
        $crate::notification_repository_contract_suite!($factory);
        $crate::upload_repository_contract_suite!($factory);
        $crate::lease_repository_contract_suite!($factory);
        $crate::original_tier_repository_contract_suite!($factory);
    };
}

/// Now, cut to microseconds: the precision every backend (and the cursor) keeps.
pub(crate) fn now() -> DateTime<Utc> {
    at_micros(Utc::now().timestamp_micros())
}

pub(crate) fn at_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap()
}

/// A user nobody else has, in the given case for its username and email (they are stored lowercase).
pub(crate) fn new_user_as(raw_username: &str, raw_email: &str) -> NewUser {
    let id = UserId::new();
    NewUser {
        id,
        username: Username::parse(raw_username).unwrap(),
        email: Email::parse(raw_email).unwrap(),
        password_hash: format!("$argon2id$fake${}", unique("hash")),
        display_name: Some("Contract Case".into()),
        created_at: now(),
        event: darkroom_core::domain::Event::UserCreated { user_id: id }.to_outbox(),
    }
}

pub(crate) fn new_user() -> NewUser {
    let name = unique("u");
    new_user_as(&name, &format!("{name}@example.org"))
}

pub(crate) async fn create_user(db: &Repositories) -> User {
    db.users.create_user(&new_user()).await.unwrap()
}

pub(crate) fn new_image(owner: UserId, created_at: DateTime<Utc>) -> NewImage {
    let id = ImageId::new();
    NewImage {
        id,
        owner_id: owner,
        format: ImageFormat::Jpeg,
        bytes: 123_456,
        sha256: format!("{:0>64}", id.0.simple()),
        visibility: Visibility::Public,
        original_key: format!("images/{id}/original"),
        idempotency_key: None,
        derivation: None,
        created_at,
    }
}

pub(crate) fn process_job(image: ImageId) -> OutboxMessage {
    OutboxMessage::job(&Job::ProcessImage { image_id: image })
}

/// Creates an image (with its processing job, which is then marked relayed to keep the outbox tidy).
pub(crate) async fn stored_image(db: &Repositories, new: &NewImage) {
    let job = process_job(new.id);
    assert_eq!(
        db.images.create_image(new, &job).await.unwrap(),
        CreateImageOutcome::Created
    );
    db.outbox.mark_outbox_relayed(&[job.id]).await.unwrap();
}

/// The ids of the pending outbox messages, oldest first (all of them, not a page).
pub(crate) async fn pending_ids(db: &Repositories) -> Vec<Uuid> {
    db.outbox
        .pending_outbox(1_000_000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect()
}
