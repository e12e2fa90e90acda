//! `DatabaseHealth`, and the adapter's migrations: idempotent, and safe from a second handle (a second
//! replica starting against the same database).

use std::sync::Arc;

use super::{new_user, TestDatabase};

pub async fn ping_succeeds(db: Arc<TestDatabase>) {
    db.health.ping().await.unwrap();
    assert!(!db.health.backend().is_empty());
}

pub async fn migrating_twice_and_from_a_second_handle_is_fine(db: Arc<TestDatabase>) {
    let user = db.users.create_user(&new_user()).await.unwrap();
    let again = db.reopen().await;
    assert_eq!(again.users.user_by_id(user.id).await.unwrap(), Some(user));
    // The second handle writes, and the first sees it: they are one database, migrated once.
    let other = again.users.create_user(&new_user()).await.unwrap();
    assert_eq!(db.users.user_by_id(other.id).await.unwrap(), Some(other));
    assert_eq!(again.health.backend(), db.health.backend());
    again.health.ping().await.unwrap();
}
