//! Profiles and the follow graph: `getUser`, `updateMe`, `followUser`/`unfollowUser`, the lists of
//! followers and follows, follow requests of private accounts, and `searchUsers`.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::Notify;

use super::views::{FollowView, UserView, ViewerRelation};
use crate::domain::{
    checked_text, DisplayName, Event, Follow, FollowState, ImageId, ImageStatus, Lines, Page,
    PageRequest, ProfilePatch, User, UserId,
};
use crate::ports::{FollowOutcome, FollowRepository, ImageRepository, UserRepository, UserSearch};
use crate::services::access::{Audience, Relation};
use crate::services::ServiceError;

/// `updateMe` as it arrived: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    pub display_name: Option<Option<String>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub avatar_image_id: Option<Option<ImageId>>,
    pub is_private: Option<bool>,
}

/// The longest bio, as Instagram allows.
pub const MAX_BIO_CHARS: usize = 150;
/// The longest first or last name.
pub const MAX_NAME_CHARS: usize = 64;
/// The most results `searchUsers` gives.
pub const MAX_SEARCH_RESULTS: u32 = 50;

#[derive(Debug, Clone)]
pub struct People {
    users: Arc<dyn UserRepository>,
    follows: Arc<dyn FollowRepository>,
    images: Arc<dyn ImageRepository>,
    search: Arc<dyn UserSearch>,
    audience: Audience,
    /// Wakes the outbox relay as soon as an event is written, instead of at its next poll.
    outbox_written: Arc<Notify>,
}

impl People {
    pub fn new(
        users: Arc<dyn UserRepository>,
        follows: Arc<dyn FollowRepository>,
        images: Arc<dyn ImageRepository>,
        search: Arc<dyn UserSearch>,
        outbox_written: Arc<Notify>,
    ) -> Self {
        let audience = Audience::new(users.clone(), follows.clone());
        Self {
            users,
            follows,
            images,
            search,
            audience,
            outbox_written,
        }
    }

    /// The user named `username`, as `viewer` sees them. Private accounts are visible (name, counts); their
    /// content is not.
    pub async fn get(
        &self,
        viewer: Option<UserId>,
        username: &str,
    ) -> Result<UserView, ServiceError> {
        let user = self.by_username(username).await?;
        self.view(viewer, user).await
    }

    pub async fn update_me(&self, me: UserId, form: ProfileForm) -> Result<User, ServiceError> {
        let name = |field, value: Option<Option<String>>| -> Result<_, ServiceError> {
            Ok(match value {
                Some(Some(raw)) => Some(Some(checked_text(
                    field,
                    &raw,
                    Lines::One,
                    1,
                    MAX_NAME_CHARS,
                )?)),
                other => other,
            })
        };
        let display_name = match form.display_name {
            Some(Some(raw)) => Some(Some(DisplayName::parse(&raw)?.into_inner())),
            other => other,
        };
        let bio = match form.bio {
            Some(Some(raw)) => Some(Some(checked_text(
                "bio",
                &raw,
                Lines::Many,
                0,
                MAX_BIO_CHARS,
            )?))
            .map(|bio| bio.filter(|text| !text.is_empty())),
            other => other,
        };
        if let Some(Some(avatar)) = form.avatar_image_id {
            // One of the caller's own images that is ready: anything else reads as not found.
            match self.images.image(avatar).await? {
                Some(image)
                    if image.owner_id == me
                        && image.status == ImageStatus::Ready
                        && !image.is_deleted() => {}
                _ => {
                    return Err(ServiceError::Rejected(
                        "avatar_image_id must be one of your images that is ready".into(),
                    ))
                }
            }
        }
        let patch = ProfilePatch {
            display_name,
            first_name: name("first_name", form.first_name)?,
            last_name: name("last_name", form.last_name)?,
            bio,
            avatar_image_id: form.avatar_image_id,
            is_private: form.is_private,
        };
        let event = Event::UserUpdated { user_id: me }.to_outbox();
        let user = self.users.update_profile(me, &patch, &event).await?;
        self.outbox_written.notify_one();
        user.ok_or(ServiceError::NotFound)
    }

    /// Follows `username`, or asks to when the account is private. Idempotent: answers where the follow
    /// stands.
    pub async fn follow(&self, me: UserId, username: &str) -> Result<FollowState, ServiceError> {
        let target = self.by_username(username).await?;
        if target.id == me {
            return Err(ServiceError::Rejected("you cannot follow yourself".into()));
        }
        let state = if target.is_private {
            FollowState::Requested
        } else {
            FollowState::Active
        };
        let follow = Follow {
            follower_id: me,
            followee_id: target.id,
            state,
            created_at: Utc::now(),
        };
        let event = follow_changed(me, target.id, false);
        let outcome = self.follows.follow(&follow, &event).await?;
        self.outbox_written.notify_one();
        Ok(match outcome {
            FollowOutcome::Created(state) | FollowOutcome::Existing(state) => state,
        })
    }

    /// Stops following `username`, or takes back a request. Idempotent.
    pub async fn unfollow(&self, me: UserId, username: &str) -> Result<(), ServiceError> {
        let target = self.by_username(username).await?;
        self.follows
            .unfollow(me, target.id, &follow_changed(me, target.id, false))
            .await?;
        self.outbox_written.notify_one();
        Ok(())
    }

    /// Requests to follow the caller, newest first.
    pub async fn follow_requests(
        &self,
        me: UserId,
        page: PageRequest,
    ) -> Result<Page<FollowView>, ServiceError> {
        let page = self
            .follows
            .followers(me, FollowState::Requested, page)
            .await?;
        self.follow_views(Some(me), page, |follow| follow.follower_id)
            .await
    }

    pub async fn accept_request(&self, me: UserId, username: &str) -> Result<(), ServiceError> {
        let requester = self.by_username(username).await?;
        let event = follow_changed(requester.id, me, true);
        let accepted = self
            .follows
            .accept_follow(requester.id, me, Utc::now(), &event)
            .await?;
        self.outbox_written.notify_one();
        if accepted {
            return Ok(());
        }
        // Accepting twice is fine; accepting what nobody asked is not.
        match self.follows.follow_state(requester.id, me).await? {
            Some(FollowState::Active) => Ok(()),
            _ => Err(ServiceError::NotFound),
        }
    }

    pub async fn refuse_request(&self, me: UserId, username: &str) -> Result<(), ServiceError> {
        let requester = self.by_username(username).await?;
        match self.follows.follow_state(requester.id, me).await? {
            Some(FollowState::Requested) => {
                let event = follow_changed(requester.id, me, false);
                self.follows.unfollow(requester.id, me, &event).await?;
                self.outbox_written.notify_one();
                Ok(())
            }
            _ => Err(ServiceError::NotFound),
        }
    }

    /// Who follows `username`, newest first. A private account's lists are for its followers only.
    pub async fn followers(
        &self,
        viewer: Option<UserId>,
        username: &str,
        page: PageRequest,
    ) -> Result<Page<FollowView>, ServiceError> {
        let user = self.visible_graph_of(viewer, username).await?;
        let page = self
            .follows
            .followers(user.id, FollowState::Active, page)
            .await?;
        self.follow_views(viewer, page, |follow| follow.follower_id)
            .await
    }

    /// Whom `username` follows, newest first.
    pub async fn following(
        &self,
        viewer: Option<UserId>,
        username: &str,
        page: PageRequest,
    ) -> Result<Page<FollowView>, ServiceError> {
        let user = self.visible_graph_of(viewer, username).await?;
        let page = self.follows.following(user.id, page).await?;
        self.follow_views(viewer, page, |follow| follow.followee_id)
            .await
    }

    /// Users matching `query`, best first (see the search port). Private accounts are found by name.
    pub async fn search(
        &self,
        viewer: Option<UserId>,
        query: &str,
        limit: u32,
    ) -> Result<Vec<UserView>, ServiceError> {
        let query = checked_text("q", query, Lines::One, 1, 100)?;
        let ids = self
            .search
            .search(&query, limit.clamp(1, MAX_SEARCH_RESULTS))
            .await?;
        let users = self.users.users_by_ids(&ids).await?;
        let mut views = Vec::with_capacity(ids.len());
        // In the index's order; a user deleted since they were indexed is left out.
        for id in ids {
            if let Some(user) = users.iter().find(|user| user.id == id) {
                views.push(self.view(viewer, user.clone()).await?);
            }
        }
        Ok(views)
    }

    pub async fn by_username(&self, username: &str) -> Result<User, ServiceError> {
        self.users
            .user_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// `user` with the caller's relation to them.
    pub async fn view(&self, viewer: Option<UserId>, user: User) -> Result<UserView, ServiceError> {
        let relation = match viewer {
            Some(me) if me != user.id => {
                let theirs = self.follows.follow_state(user.id, me).await?;
                let mine = self.follows.follow_state(me, user.id).await?;
                Some(ViewerRelation {
                    follows_you: theirs == Some(FollowState::Active),
                    followed_by_you: mine == Some(FollowState::Active),
                    follow_requested: mine == Some(FollowState::Requested),
                })
            }
            _ => None,
        };
        Ok(UserView { user, relation })
    }

    async fn visible_graph_of(
        &self,
        viewer: Option<UserId>,
        username: &str,
    ) -> Result<User, ServiceError> {
        let user = self.by_username(username).await?;
        if user.is_private
            && !matches!(
                self.audience.relation(viewer, user.id).await?,
                Relation::Owner | Relation::Follower
            )
        {
            return Err(ServiceError::NotFound);
        }
        Ok(user)
    }

    async fn follow_views(
        &self,
        viewer: Option<UserId>,
        page: Page<Follow>,
        other: impl Fn(&Follow) -> UserId,
    ) -> Result<Page<FollowView>, ServiceError> {
        let ids: Vec<UserId> = page.items.iter().map(&other).collect();
        let users = self.users.users_by_ids(&ids).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for follow in page.items {
            let id = other(&follow);
            if let Some(user) = users.iter().find(|user| user.id == id) {
                let user = self.view(viewer, user.clone()).await?;
                items.push(FollowView { follow, user });
            }
        }
        Ok(Page {
            items,
            next: page.next,
        })
    }
}

fn follow_changed(
    follower_id: UserId,
    followee_id: UserId,
    accepted: bool,
) -> crate::domain::OutboxMessage {
    Event::FollowChanged {
        follower_id,
        followee_id,
        accepted,
    }
    .to_outbox()
}
