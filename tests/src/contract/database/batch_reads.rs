//! The reads of many rows by id that a page of posts makes at once: `UserRepository::users_by_ids` and
//! `ImageRepository::images_by_ids` answer those that exist, in any order.

use std::sync::Arc;

use darkroom_core::domain::{ImageId, UserId};

use super::{create_user, new_image, now, stored_image, TestDatabase};

pub async fn users_by_ids_answers_those_that_exist(db: Arc<TestDatabase>) {
    let a = create_user(&db).await;
    let b = create_user(&db).await;
    create_user(&db).await;
    let mut found = db
        .users
        .users_by_ids(&[b.id, UserId::new(), a.id, b.id])
        .await
        .unwrap();
    found.sort_by_key(|u| u.id);
    found.dedup_by_key(|u| u.id);
    let mut expected = vec![a, b];
    expected.sort_by_key(|u| u.id);
    assert_eq!(found, expected);
    assert_eq!(db.users.users_by_ids(&[]).await.unwrap(), vec![]);
}

pub async fn images_by_ids_answers_those_that_exist(db: Arc<TestDatabase>) {
    let owner = create_user(&db).await;
    let other = create_user(&db).await;
    let mut ids = Vec::new();
    for owner in [owner.id, other.id, owner.id] {
        let new = new_image(owner, now());
        stored_image(&db, &new).await;
        ids.push(new.id);
    }
    let mut found = db
        .images
        .images_by_ids(&[ids[1], ImageId::new(), ids[0]])
        .await
        .unwrap();
    found.sort_by_key(|i| i.id);
    let mut expected = vec![
        db.images.image(ids[0]).await.unwrap().unwrap(),
        db.images.image(ids[1]).await.unwrap().unwrap(),
    ];
    expected.sort_by_key(|i| i.id);
    assert_eq!(found, expected);
    assert_eq!(
        found
            .iter()
            .find(|i| i.id == ids[1])
            .unwrap()
            .owner_username,
        other.username
    );
    assert_eq!(db.images.images_by_ids(&[]).await.unwrap(), vec![]);
}
