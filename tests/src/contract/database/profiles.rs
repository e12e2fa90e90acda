//! `UserRepository` cases of the social half: registration writes its `user.created` event in the same
//! transaction, a new account is public without an avatar, and profile patches set, keep and clear fields.

use std::sync::Arc;

use darkroom_core::domain::{Event, ImageId, NewUser, OutboxMessage, ProfilePatch, UserId};

use super::social::is_pending;
use super::{new_user, new_user_as, unique, TestDatabase};

fn user_updated(id: UserId) -> OutboxMessage {
    Event::UserUpdated { user_id: id }.to_outbox()
}

pub async fn create_user_writes_its_event_in_the_same_transaction(db: Arc<TestDatabase>) {
    let new = new_user();
    let user = db.users.create_user(&new).await.unwrap();
    assert!(
        is_pending(&db, new.event.id).await,
        "the event was not written"
    );
    let stored = db.outbox.pending_outbox(1_000_000).await.unwrap();
    let event = stored.iter().find(|m| m.id == new.event.id).unwrap();
    assert_eq!(
        Event::from_bytes(&event.payload).unwrap(),
        Event::UserCreated { user_id: user.id }
    );
    assert_eq!(event.topic, Event::USER_CREATED);

    // Refused (its username is taken): its event is not written either.
    let clash = new_user_as(
        new.username.as_str(),
        &format!("{}@example.org", unique("m")),
    );
    assert!(db.users.create_user(&clash).await.is_err());
    assert!(
        !is_pending(&db, clash.event.id).await,
        "a refused user's event"
    );
    // Refused the other way round (its event id is taken): the user is not written.
    let orphan = NewUser {
        event: new.event.clone(),
        ..new_user()
    };
    assert!(db.users.create_user(&orphan).await.is_err());
    assert_eq!(db.users.user_by_id(orphan.id).await.unwrap(), None);
    db.outbox
        .mark_outbox_relayed(&[new.event.id])
        .await
        .unwrap();
}

pub async fn new_users_are_public_without_an_avatar(db: Arc<TestDatabase>) {
    let user = db.users.create_user(&new_user()).await.unwrap();
    assert!(!user.is_private);
    assert_eq!(user.avatar_image_id, None);
    assert_eq!(db.users.user_by_id(user.id).await.unwrap(), Some(user));
}

pub async fn update_profile_sets_keeps_and_clears_fields(db: Arc<TestDatabase>) {
    let before = db.users.create_user(&new_user()).await.unwrap();
    let avatar = ImageId::new();
    let set = ProfilePatch {
        display_name: Some(Some("Ada L.".into())),
        first_name: Some(Some("Ada".into())),
        last_name: Some(Some("Lovelace".into())),
        bio: Some(Some("counts things".into())),
        avatar_image_id: Some(Some(avatar)),
        is_private: Some(true),
    };
    let event = user_updated(before.id);
    let after = db
        .users
        .update_profile(before.id, &set, &event)
        .await
        .unwrap();
    let expected = darkroom_core::domain::User {
        display_name: Some("Ada L.".into()),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        bio: Some("counts things".into()),
        avatar_image_id: Some(avatar),
        is_private: true,
        ..before.clone()
    };
    assert_eq!(after, Some(expected.clone()));
    assert!(is_pending(&db, event.id).await, "the event was not written");
    assert_eq!(
        db.users.user_by_id(before.id).await.unwrap(),
        Some(expected.clone())
    );

    // `None` keeps a field, `Some(None)` clears it.
    let clear = ProfilePatch {
        first_name: Some(None),
        bio: Some(None),
        avatar_image_id: Some(None),
        is_private: Some(false),
        ..ProfilePatch::default()
    };
    let cleared = db
        .users
        .update_profile(before.id, &clear, &user_updated(before.id))
        .await
        .unwrap();
    let expected = darkroom_core::domain::User {
        first_name: None,
        bio: None,
        avatar_image_id: None,
        is_private: false,
        ..expected
    };
    assert_eq!(cleared, Some(expected.clone()));
    assert_eq!(
        db.users.user_by_id(before.id).await.unwrap(),
        Some(expected)
    );

    let nobody = UserId::new();
    let missing = user_updated(nobody);
    assert_eq!(
        db.users
            .update_profile(nobody, &set, &missing)
            .await
            .unwrap(),
        None
    );
    assert!(!is_pending(&db, missing.id).await, "no user, yet written");
}
