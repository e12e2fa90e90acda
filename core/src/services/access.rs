//! Who may see what: one rule, used by every read of an image or a post, so that visibility cannot be
//! forgotten on one path. Whatever a viewer may not see answers 404, never 403.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::try_join_all;

use crate::domain::{AccessFacts, FollowState, Image, User, UserId, Visibility};
use crate::ports::{DbError, FollowRepository, UserRepository};

/// How a viewer stands to the owner of what they look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Owner,
    /// An approved (`Active`) follower.
    Follower,
    /// Anyone else, anonymous callers included.
    Other,
}

/// Whether a viewer in `relation` to an owner may see content of `visibility`. A private account's content
/// reaches only its approved followers, whatever its own visibility says.
pub fn can_view(relation: Relation, owner_is_private: bool, visibility: Visibility) -> bool {
    match (relation, visibility) {
        (Relation::Owner, _) => true,
        (_, Visibility::Private) => false,
        (Relation::Follower, _) => true,
        (Relation::Other, Visibility::Followers) => false,
        (Relation::Other, Visibility::Public) => !owner_is_private,
    }
}

/// Whether anyone at all may see it: what a shared cache may keep (`Cache-Control: public`).
pub fn open_to_everyone(owner_is_private: bool, visibility: Visibility) -> bool {
    can_view(Relation::Other, owner_is_private, visibility)
}

/// Whether `viewer` may change or delete `image`: their own, and not deleted (a deleted image can only be
/// restored).
pub fn can_modify(viewer: UserId, image: &Image) -> bool {
    viewer == image.owner_id && !image.is_deleted()
}

/// Answers `Relation`s from the follow graph, and applies `can_view` to images.
#[derive(Debug, Clone)]
pub struct Audience {
    users: Arc<dyn UserRepository>,
    follows: Arc<dyn FollowRepository>,
}

impl Audience {
    pub fn new(users: Arc<dyn UserRepository>, follows: Arc<dyn FollowRepository>) -> Self {
        Self { users, follows }
    }

    pub async fn relation(
        &self,
        viewer: Option<UserId>,
        owner: UserId,
    ) -> Result<Relation, DbError> {
        let Some(viewer) = viewer else {
            return Ok(Relation::Other);
        };
        if viewer == owner {
            return Ok(Relation::Owner);
        }
        Ok(match self.follows.follow_state(viewer, owner).await? {
            Some(FollowState::Active) => Relation::Follower,
            _ => Relation::Other,
        })
    }

    /// Whether `viewer` may see content of `visibility` owned by `owner`.
    pub async fn may_see(
        &self,
        viewer: Option<UserId>,
        owner: &User,
        visibility: Visibility,
    ) -> Result<bool, DbError> {
        // Decided without the graph where it can be: the owner, and private content.
        if viewer == Some(owner.id) {
            return Ok(true);
        }
        if visibility == Visibility::Private {
            return Ok(false);
        }
        if open_to_everyone(owner.is_private, visibility) {
            return Ok(true);
        }
        let relation = self.relation(viewer, owner.id).await?;
        Ok(can_view(relation, owner.is_private, visibility))
    }

    /// Whether `viewer` may see `image`, and whether everyone may (for caching).
    pub async fn image_access(
        &self,
        viewer: Option<UserId>,
        image: &Image,
    ) -> Result<ImageAccess, DbError> {
        // Asked on every image request: the composition root hands out a cache-backed repository.
        let owner = self.users.access_facts(image.owner_id).await?;
        if let Some(access) = decided_without_graph(viewer, image, owner.as_ref()) {
            return Ok(access);
        }
        let relation = self.relation(viewer, image.owner_id).await?;
        Ok(decided_with(relation, image, owner.as_ref()))
    }

    /// `image_access` for many images at once (a page of posts): each owner and each relation is read once.
    pub async fn image_access_many(
        &self,
        viewer: Option<UserId>,
        images: &[Image],
    ) -> Result<Vec<ImageAccess>, DbError> {
        let mut owner_ids: Vec<UserId> = images.iter().map(|image| image.owner_id).collect();
        owner_ids.sort();
        owner_ids.dedup();
        // Each owner's facts from the cache, asked at once (a page's authors are mostly the same few).
        let owners: Vec<AccessFacts> = try_join_all(
            owner_ids
                .iter()
                .map(|owner| self.users.access_facts(*owner)),
        )
        .await?
        .into_iter()
        .flatten()
        .collect();
        let mut relations: HashMap<UserId, Relation> = HashMap::new();
        let mut decisions = Vec::with_capacity(images.len());
        for image in images {
            let owner = owners.iter().find(|owner| owner.id == image.owner_id);
            if let Some(access) = decided_without_graph(viewer, image, owner) {
                decisions.push(access);
                continue;
            }
            let relation = match relations.get(&image.owner_id) {
                Some(relation) => *relation,
                None => {
                    let relation = self.relation(viewer, image.owner_id).await?;
                    relations.insert(image.owner_id, relation);
                    relation
                }
            };
            decisions.push(decided_with(relation, image, owner));
        }
        Ok(decisions)
    }
}

/// What can be decided about an image from its owner's record alone (most requests), or `None` when the
/// follow graph must say.
fn decided_without_graph(
    viewer: Option<UserId>,
    image: &Image,
    owner: Option<&AccessFacts>,
) -> Option<ImageAccess> {
    // A deleted image is nobody's to see, its owner's included, until it is restored: it answers 404 on
    // every path (metadata, variants, originals, transformations, posts, avatars).
    if image.is_deleted() {
        return Some(ImageAccess::HIDDEN);
    }
    // An image whose owner is gone is about to be purged.
    let Some(owner) = owner else {
        return Some(ImageAccess::HIDDEN);
    };
    // A profile picture is shown with the profile, which everyone may see.
    if owner.avatar_image_id == Some(image.id) {
        return Some(ImageAccess {
            visible: true,
            public: true,
        });
    }
    let public = open_to_everyone(owner.is_private, image.visibility);
    if viewer == Some(owner.id) || public {
        return Some(ImageAccess {
            visible: true,
            public,
        });
    }
    if image.visibility == Visibility::Private || viewer.is_none() {
        return Some(ImageAccess::HIDDEN);
    }
    None
}

fn decided_with(relation: Relation, image: &Image, owner: Option<&AccessFacts>) -> ImageAccess {
    let owner_is_private = owner.is_none_or(|owner| owner.is_private);
    ImageAccess {
        visible: can_view(relation, owner_is_private, image.visibility),
        public: false,
    }
}

/// What `Audience::image_access` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageAccess {
    pub visible: bool,
    /// Everyone may see it, so shared caches may keep it.
    pub public: bool,
}

impl ImageAccess {
    const HIDDEN: Self = Self {
        visible: false,
        public: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        use Relation::*;
        use Visibility::*;
        for private_account in [false, true] {
            assert!(can_view(Owner, private_account, Private));
            assert!(!can_view(Follower, private_account, Private));
            assert!(can_view(Follower, private_account, Followers));
            assert!(can_view(Follower, private_account, Public));
            assert!(!can_view(Other, private_account, Followers));
        }
        assert!(can_view(Other, false, Public));
        // A private account's public posts still reach only its followers.
        assert!(!can_view(Other, true, Public));
        assert!(!open_to_everyone(true, Public));
        assert!(open_to_everyone(false, Public));
    }
}
