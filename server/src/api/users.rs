//! `getMe`, `updateMe`, `getUser`, `searchUsers`, `followUser`, `unfollowUser`, `listFollowers`, `listFollowing`,
//! `listFollowRequests`, `acceptFollowRequest`, `refuseFollowRequest`.

use darkroom_core::domain::ImageId;
use darkroom_core::services::social::ProfileForm;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::models::{MeView, UserView};
use super::pagination::page_request;
use super::problem::ApiResult;
use super::security::{BearerAuth, MaybeAuth};
use super::social_models::{FollowResult, UserPage};
use super::strict_json::StrictJson;
use super::{ApiTags, AppState};

/// The caller's changes; absent fields stay as they are, `null` clears one.
#[derive(Debug, Object)]
pub struct ProfileUpdate {
    /// 1 to 64 characters, no control characters.
    #[oai(nullable, validator(pattern = r"^[^\x00-\x1f\x7f]{1,64}$"))]
    pub display_name: MaybeUndefined<String>,
    /// 1 to 64 characters on one line.
    #[oai(
        nullable,
        validator(min_length = 1, max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub first_name: MaybeUndefined<String>,
    /// 1 to 64 characters on one line.
    #[oai(
        nullable,
        validator(min_length = 1, max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub last_name: MaybeUndefined<String>,
    /// Up to 150 characters.
    #[oai(
        nullable,
        validator(max_length = 150, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")
    )]
    pub bio: MaybeUndefined<String>,
    /// One of the caller's ready images, shown (as its `thumb`) to everyone who sees the profile.
    #[oai(nullable)]
    pub avatar_image_id: MaybeUndefined<uuid::Uuid>,
    /// A private account's posts and images reach only the followers it approves.
    #[oai(nullable)]
    pub is_private: Option<bool>,
}

fn change<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

#[derive(Debug, ApiResponse)]
pub enum Done {
    /// Done (or it already was).
    #[oai(status = 204)]
    NoContent,
}

#[derive(Debug)]
pub struct UsersApi;

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// The caller's own account. (With `updateMe` here: operations on one path live in one API, or the
    /// document keeps only one of them.)
    #[oai(path = "/v1/me", method = "get", operation_id = "getMe")]
    async fn get_me(&self, state: Data<&AppState>, auth: BearerAuth) -> ApiResult<Json<MeView>> {
        let user = auth.user(&state.auth)?;
        Ok(Json(state.auth.me(user).await?.into()))
    }

    /// Change the caller's profile: names, bio, avatar, private account.
    #[oai(path = "/v1/me", method = "patch", operation_id = "updateMe")]
    async fn update_me(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: StrictJson<ProfileUpdate>,
    ) -> ApiResult<Json<MeView>> {
        let me = auth.user(&state.auth)?;
        let body = body.0;
        let form = ProfileForm {
            display_name: change(body.display_name),
            first_name: change(body.first_name),
            last_name: change(body.last_name),
            bio: change(body.bio),
            avatar_image_id: change(body.avatar_image_id).map(|id| id.map(ImageId)),
            is_private: body.is_private,
        };
        Ok(Json(state.people.update_me(me, form).await?.into()))
    }

    /// A profile with its counts. Private accounts show their profile; their posts are for followers.
    #[oai(path = "/v1/users/:username", method = "get", operation_id = "getUser")]
    async fn get_user(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        #[oai(validator(pattern = r"^[A-Za-z0-9_]{3,30}$"))] username: Path<String>,
    ) -> ApiResult<Json<UserView>> {
        let viewer = auth.viewer(&state.auth)?;
        Ok(Json(state.people.get(viewer, &username.0).await?.into()))
    }

    /// Users by username, first name or last name: exact username first, then prefixes, then near misses
    /// (a typo or two). The index follows profile changes within seconds.
    #[oai(path = "/v1/users", method = "get", operation_id = "searchUsers")]
    async fn search_users(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        /// What to look for: 1 to 100 characters on one line.
        #[oai(validator(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*$"
        ))]
        q: Query<String>,
        /// How many results, 1 to 50 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<UserPage>> {
        let viewer = auth.viewer(&state.auth)?;
        let users = state
            .people
            .search(viewer, &q.0, limit.0.unwrap_or(20))
            .await?;
        Ok(Json(UserPage {
            items: users.into_iter().map(Into::into).collect(),
            next_cursor: None,
        }))
    }

    /// Follow a user; a private account gets a request to accept instead. Idempotent.
    #[oai(
        path = "/v1/users/:username/follow",
        method = "put",
        operation_id = "followUser"
    )]
    async fn follow_user(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(pattern = r"^[A-Za-z0-9_]{3,30}$"))] username: Path<String>,
    ) -> ApiResult<Json<FollowResult>> {
        let me = auth.user(&state.auth)?;
        Ok(Json(state.people.follow(me, &username.0).await?.into()))
    }

    /// Stop following a user, or take back a request. Idempotent.
    #[oai(
        path = "/v1/users/:username/follow",
        method = "delete",
        operation_id = "unfollowUser"
    )]
    async fn unfollow_user(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(pattern = r"^[A-Za-z0-9_]{3,30}$"))] username: Path<String>,
    ) -> ApiResult<Done> {
        let me = auth.user(&state.auth)?;
        state.people.unfollow(me, &username.0).await?;
        Ok(Done::NoContent)
    }

    /// Who follows a user, newest first. A private account's lists are for its followers.
    #[oai(
        path = "/v1/users/:username/followers",
        method = "get",
        operation_id = "listFollowers"
    )]
    async fn list_followers(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        #[oai(validator(pattern = r"^[A-Za-z0-9_]{3,30}$"))] username: Path<String>,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page.
        #[oai(validator(pattern = r"^[0-9]{1,16}\.[0-9a-f]{32}$"))]
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<UserPage>> {
        let viewer = auth.viewer(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        Ok(Json(
            state
                .people
                .followers(viewer, &username.0, page)
                .await?
                .into(),
        ))
    }

    /// Whom a user follows, newest first.
    #[oai(
        path = "/v1/users/:username/following",
        method = "get",
        operation_id = "listFollowing"
    )]
    async fn list_following(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        #[oai(validator(pattern = r"^[A-Za-z0-9_]{3,30}$"))] username: Path<String>,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page.
        #[oai(validator(pattern = r"^[0-9]{1,16}\.[0-9a-f]{32}$"))]
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<UserPage>> {
        let viewer = auth.viewer(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        Ok(Json(
            state
                .people
                .following(viewer, &username.0, page)
                .await?
                .into(),
        ))
    }

    /// Requests to follow the caller (a private account), newest first.
    #[oai(
        path = "/v1/me/follow-requests",
        method = "get",
        operation_id = "listFollowRequests"
    )]
    async fn list_follow_requests(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page.
        #[oai(validator(pattern = r"^[0-9]{1,16}\.[0-9a-f]{32}$"))]
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<UserPage>> {
        let me = auth.user(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        Ok(Json(state.people.follow_requests(me, page).await?.into()))
    }

    /// Accept a request: the requester now follows the caller (and is told).
    #[oai(
        path = "/v1/me/follow-requests/:username/accept",
        method = "post",
        operation_id = "acceptFollowRequest"
    )]
    async fn accept_follow_request(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(pattern = r"^[A-Za-z0-9_]{3,30}$"))] username: Path<String>,
    ) -> ApiResult<Done> {
        let me = auth.user(&state.auth)?;
        state.people.accept_request(me, &username.0).await?;
        Ok(Done::NoContent)
    }

    /// Refuse a request: it is deleted, and the requester may ask again.
    #[oai(
        path = "/v1/me/follow-requests/:username/refuse",
        method = "post",
        operation_id = "refuseFollowRequest"
    )]
    async fn refuse_follow_request(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(pattern = r"^[A-Za-z0-9_]{3,30}$"))] username: Path<String>,
    ) -> ApiResult<Done> {
        let me = auth.user(&state.auth)?;
        state.people.refuse_request(me, &username.0).await?;
        Ok(Done::NoContent)
    }
}

#[cfg(test)]
mod tests {
    /// The pattern every `{username}` path parameter above states: what `register` accepts.
    const USERNAME: &str = r"^[A-Za-z0-9_]{3,30}$";

    #[test]
    fn the_path_pattern_is_the_domains() {
        assert_eq!(USERNAME, darkroom_core::domain::Username::PATTERN);
        let source = include_str!("users.rs");
        let stated = source
            .matches(r#"pattern = r"^[A-Za-z0-9_]{3,30}$""#)
            .count();
        assert!(stated >= 8, "{stated}");
    }
}
