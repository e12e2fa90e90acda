//! The wrapper against an in-memory repository and cache: access facts come from the cache after the first
//! read, and a profile edit through the wrapper is seen by the very next read.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;

use super::*;
use crate::caching::map_cache::MapCache;
use crate::domain::{ImageId, Job};

/// Users in a map, counting reads of one user.
#[derive(Debug, Default)]
struct MemoryUsers {
    users: Mutex<HashMap<UserId, User>>,
    reads: Mutex<usize>,
}

impl MemoryUsers {
    fn with(user: User) -> Self {
        let users = Self::default();
        users.users.lock().unwrap().insert(user.id, user);
        users
    }

    fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }
}

#[async_trait]
impl UserRepository for MemoryUsers {
    async fn create_user(&self, _user: &NewUser) -> Result<User, DbError> {
        unimplemented!("not used by these tests")
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError> {
        *self.reads.lock().unwrap() += 1;
        Ok(self.users.lock().unwrap().get(&id).cloned())
    }

    async fn user_by_username(&self, _username: &str) -> Result<Option<User>, DbError> {
        unimplemented!("not used by these tests")
    }

    async fn set_password_hash(&self, _id: UserId, _hash: &str) -> Result<bool, DbError> {
        unimplemented!("not used by these tests")
    }

    async fn credentials(&self, _login: &str) -> Result<Option<(User, String)>, DbError> {
        unimplemented!("not used by these tests")
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, DbError> {
        let users = self.users.lock().unwrap();
        Ok(ids.iter().filter_map(|id| users.get(id).cloned()).collect())
    }

    async fn update_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
        _event: &OutboxMessage,
    ) -> Result<Option<User>, DbError> {
        let mut users = self.users.lock().unwrap();
        let Some(user) = users.get_mut(&id) else {
            return Ok(None);
        };
        if let Some(is_private) = patch.is_private {
            user.is_private = is_private;
        }
        if let Some(avatar) = patch.avatar_image_id {
            user.avatar_image_id = avatar;
        }
        Ok(Some(user.clone()))
    }
}

fn someone() -> User {
    User {
        id: UserId::new(),
        username: "someone".into(),
        email: "someone@example.com".into(),
        display_name: None,
        first_name: None,
        last_name: None,
        bio: None,
        followers_count: 0,
        following_count: 0,
        posts_count: 0,
        is_private: false,
        avatar_image_id: None,
        created_at: Utc::now(),
    }
}

fn event() -> OutboxMessage {
    OutboxMessage::job(&Job::PurgeImage {
        image_id: ImageId::new(),
    })
}

fn wrapped(user: User) -> (Arc<MemoryUsers>, CachedUserRepository) {
    let inner = Arc::new(MemoryUsers::with(user));
    let repo = CachedUserRepository::new(
        inner.clone(),
        Arc::new(MapCache::default()),
        Duration::from_secs(60),
    );
    (inner, repo)
}

#[tokio::test]
async fn access_facts_are_read_once_then_served_from_the_cache() {
    let user = someone();
    let (inner, repo) = wrapped(user.clone());
    for _ in 0..3 {
        let facts = repo.access_facts(user.id).await.unwrap();
        assert_eq!(facts, Some(AccessFacts::of(&user)));
    }
    assert_eq!(inner.reads(), 1);
}

#[tokio::test]
async fn a_profile_edit_through_the_wrapper_is_seen_by_the_next_read() {
    let user = someone();
    let (_, repo) = wrapped(user.clone());
    assert!(
        !repo
            .access_facts(user.id)
            .await
            .unwrap()
            .unwrap()
            .is_private
    );

    let avatar = ImageId::new();
    let patch = ProfilePatch {
        is_private: Some(true),
        avatar_image_id: Some(Some(avatar)),
        ..ProfilePatch::default()
    };
    repo.update_profile(user.id, &patch, &event())
        .await
        .unwrap();

    let facts = repo.access_facts(user.id).await.unwrap().unwrap();
    assert!(facts.is_private);
    assert_eq!(facts.avatar_image_id, Some(avatar));
}

#[tokio::test]
async fn a_missing_account_is_not_remembered_as_missing() {
    let user = someone();
    let (inner, repo) = wrapped(someone());
    assert_eq!(repo.access_facts(user.id).await.unwrap(), None);
    inner.users.lock().unwrap().insert(user.id, user.clone());
    assert_eq!(
        repo.access_facts(user.id).await.unwrap(),
        Some(AccessFacts::of(&user))
    );
}

#[tokio::test]
async fn a_broken_cache_is_a_miss_not_an_error() {
    let user = someone();
    let inner = Arc::new(MemoryUsers::with(user.clone()));
    let broken = MapCache {
        broken: true,
        ..MapCache::default()
    };
    let repo = CachedUserRepository::new(inner.clone(), Arc::new(broken), Duration::from_secs(60));
    for _ in 0..2 {
        assert!(repo.access_facts(user.id).await.unwrap().is_some());
    }
    assert_eq!(inner.reads(), 2);
}
