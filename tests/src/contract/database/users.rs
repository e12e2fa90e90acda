//! `UserRepository` cases: uniqueness of usernames and emails, lookups, credentials.

use std::sync::Arc;

use darkroom_core::ports::{Conflict, DbError};

use super::{new_user, new_user_as, unique, TestDatabase};

fn assert_already_exists<T: std::fmt::Debug>(result: Result<T, DbError>, rule: Conflict) {
    match result {
        Err(DbError::Conflict(what)) => assert_eq!(what, rule),
        other => panic!("expected Conflict({rule:?}), got {other:?}"),
    }
}

pub async fn create_user_returns_the_stored_user(db: Arc<TestDatabase>) {
    let new = new_user();
    let user = db.users.create_user(&new).await.unwrap();
    assert_eq!(user.id, new.id);
    assert_eq!(user.username, new.username.as_str());
    assert_eq!(user.email, new.email.as_str());
    assert_eq!(user.display_name, new.display_name);
    assert_eq!(
        (
            user.first_name.as_deref(),
            user.last_name.as_deref(),
            user.bio.as_deref()
        ),
        (None, None, None)
    );
    assert_eq!(
        (user.followers_count, user.following_count, user.posts_count),
        (0, 0, 0)
    );
    assert_eq!(user.created_at, new.created_at);
    assert_eq!(db.users.user_by_id(new.id).await.unwrap(), Some(user));
}

pub async fn usernames_are_unique_whatever_their_case(db: Arc<TestDatabase>) {
    let name = unique("Name");
    let first = new_user_as(&name, &format!("{}@example.org", unique("a")));
    db.users.create_user(&first).await.unwrap();
    let second = new_user_as(
        &name.to_uppercase(),
        &format!("{}@example.org", unique("b")),
    );
    assert_already_exists(db.users.create_user(&second).await, Conflict::Username);
    assert_eq!(
        db.users.user_by_id(second.id).await.unwrap(),
        None,
        "a refused user must not be written"
    );
    assert_eq!(
        db.users.credentials(second.email.as_str()).await.unwrap(),
        None
    );
}

pub async fn emails_are_unique_whatever_their_case(db: Arc<TestDatabase>) {
    let email = format!("{}@Example.ORG", unique("Mail"));
    let first = new_user_as(&unique("a"), &email);
    db.users.create_user(&first).await.unwrap();
    let second = new_user_as(&unique("b"), &email.to_uppercase());
    assert_already_exists(db.users.create_user(&second).await, Conflict::Email);
    assert_eq!(
        db.users.user_by_id(second.id).await.unwrap(),
        None,
        "a refused user must not be written"
    );
    assert_eq!(
        db.users
            .user_by_username(second.username.as_str())
            .await
            .unwrap(),
        None
    );
}

pub async fn users_are_found_by_id_and_username(db: Arc<TestDatabase>) {
    let new = new_user();
    let user = db.users.create_user(&new).await.unwrap();
    assert_eq!(
        db.users
            .user_by_username(new.username.as_str())
            .await
            .unwrap(),
        Some(user.clone())
    );
    assert_eq!(db.users.user_by_id(user.id).await.unwrap(), Some(user));
    assert_eq!(
        db.users.user_by_username(&unique("nobody")).await.unwrap(),
        None
    );
    assert_eq!(
        db.users
            .user_by_id(darkroom_core::domain::UserId::new())
            .await
            .unwrap(),
        None
    );
}

pub async fn credentials_are_found_by_username_or_email(db: Arc<TestDatabase>) {
    let new = new_user();
    let user = db.users.create_user(&new).await.unwrap();
    let by_name = db.users.credentials(new.username.as_str()).await.unwrap();
    assert_eq!(by_name, Some((user.clone(), new.password_hash.clone())));
    let by_email = db.users.credentials(new.email.as_str()).await.unwrap();
    assert_eq!(by_email, Some((user, new.password_hash.clone())));
    assert_eq!(db.users.credentials(&unique("nobody")).await.unwrap(), None);
    assert_eq!(
        db.users
            .credentials(&format!("{}@example.org", unique("nobody")))
            .await
            .unwrap(),
        None
    );
}

pub async fn a_password_hash_is_replaced_for_that_user_only(db: Arc<TestDatabase>) {
    let new = new_user();
    let user = db.users.create_user(&new).await.unwrap();
    let other = new_user();
    db.users.create_user(&other).await.unwrap();
    assert!(db
        .users
        .set_password_hash(user.id, "$argon2id$replaced")
        .await
        .unwrap());
    let (found, hash) = db
        .users
        .credentials(new.username.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found, hash.as_str()), (user, "$argon2id$replaced"));
    let (_, untouched) = db
        .users
        .credentials(other.username.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched, other.password_hash);
    let nobody = darkroom_core::domain::UserId::new();
    assert!(!db
        .users
        .set_password_hash(nobody, "$argon2id$x")
        .await
        .unwrap());
}
