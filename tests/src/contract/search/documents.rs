//! Keeping the index up to date: updates replace, older updates are ignored, removals forget.

use std::sync::Arc;

use darkroom_core::domain::UserId;
use darkroom_core::ports::{UserDocument, UserSearch};

use super::{at, document, find, index, token};

pub async fn an_update_replaces_the_old_names(search: Arc<dyn UserSearch>) {
    let (old_username, old_name, new_username, new_name) =
        (token(12), token(12), token(12), token(12));
    let before = UserDocument {
        username: old_username.clone(),
        last_name: Some(old_name.clone()),
        ..document(0)
    };
    let after = UserDocument {
        username: new_username.clone(),
        last_name: Some(new_name.clone()),
        updated_at: at(1),
        ..before.clone()
    };
    index(&search, &[&before]).await;
    assert_eq!(find(&search, &old_name).await, [before.id]);
    index(&search, &[&after]).await;
    assert!(find(&search, &old_username).await.is_empty());
    assert!(find(&search, &old_name).await.is_empty());
    assert_eq!(find(&search, &new_username).await, [after.id]);
    assert_eq!(find(&search, &new_name).await, [after.id]);
    // Clearing a name forgets it too.
    let cleared = UserDocument {
        last_name: None,
        updated_at: at(2),
        ..after.clone()
    };
    index(&search, &[&cleared]).await;
    assert!(find(&search, &new_name).await.is_empty());
    assert_eq!(find(&search, &new_username).await, [after.id]);
}

pub async fn an_older_update_is_ignored(search: Arc<dyn UserSearch>) {
    let (old_name, new_name) = (token(12), token(12));
    let newer = UserDocument {
        last_name: Some(new_name.clone()),
        ..document(10)
    };
    let older = UserDocument {
        last_name: Some(old_name.clone()),
        updated_at: at(5),
        ..newer.clone()
    };
    // Delivered out of order: the newer first, then the older.
    index(&search, &[&newer, &older]).await;
    assert!(find(&search, &old_name).await.is_empty());
    assert_eq!(find(&search, &new_name).await, [newer.id]);
    // The newer again (a redelivery) changes nothing.
    index(&search, &[&newer]).await;
    assert!(find(&search, &old_name).await.is_empty());
    assert_eq!(find(&search, &new_name).await, [newer.id]);
}

pub async fn remove_forgets_and_ignores_unknown_ids(search: Arc<dyn UserSearch>) {
    let name = token(12);
    let user = UserDocument {
        username: name.clone(),
        first_name: Some(format!("{name}ina")),
        ..document(0)
    };
    let kept = UserDocument {
        username: format!("{name}_kept"),
        ..document(0)
    };
    index(&search, &[&user, &kept]).await;
    search.remove(user.id).await.unwrap();
    assert_eq!(find(&search, &name).await, [kept.id]);
    search.remove(user.id).await.unwrap();
    search.remove(UserId::new()).await.unwrap();
    assert_eq!(find(&search, &name).await, [kept.id]);
}
