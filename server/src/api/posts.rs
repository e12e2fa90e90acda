//! `createPost`, `getPost`, `deletePost`, `listUserPosts`, `getTimeline`, `likePost`, `unlikePost`,
//! `listComments`, `createComment`, `deleteComment`.

use darkroom_core::domain::{CommentId, ImageId, PostId, Visibility};
use darkroom_core::services::social::NewPostForm;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::models::VisibilityView;
use super::pagination::page_request;
use super::problem::ApiResult;
use super::security::{BearerAuth, MaybeAuth};
use super::social_models::{CommentPage, CommentView, PostPage, PostView};
use super::strict_json::StrictJson;
use super::users::Done;
use super::{ApiTags, AppState};

/// `createPost`'s body.
#[derive(Debug, Object)]
pub struct NewPost {
    /// One to ten of the caller's images that are `ready`, in the order to show them. Each becomes at
    /// least as visible as the post.
    #[oai(validator(min_items = 1, max_items = 10, unique_items))]
    pub image_ids: Vec<uuid::Uuid>,
    /// Up to 2 200 characters; `#hashtags` and `@mentions` are parsed from it.
    #[oai(
        default,
        validator(max_length = 2200, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")
    )]
    pub caption: String,
    /// Who may see the post (default `public`).
    #[oai(default)]
    pub visibility: Option<VisibilityView>,
}

/// `createComment`'s body.
#[derive(Debug, Object)]
pub struct NewComment {
    /// 1 to 1 000 characters; `@mentions` are parsed from it.
    #[oai(validator(
        min_length = 1,
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
    ))]
    pub text: String,
}

#[derive(Debug, ApiResponse)]
pub enum Created<T: poem_openapi::types::ToJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>),
}

#[derive(Debug)]
pub struct PostsApi;

#[OpenApi(tag = "ApiTags::Posts")]
impl PostsApi {
    /// Publish one to ten of your ready images with a caption.
    #[oai(path = "/v1/posts", method = "post", operation_id = "createPost")]
    async fn create_post(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: StrictJson<NewPost>,
    ) -> ApiResult<Created<PostView>> {
        let me = auth.user(&state.auth)?;
        let body = body.0;
        let form = NewPostForm {
            image_ids: body.image_ids.into_iter().map(ImageId).collect(),
            caption: body.caption,
            visibility: body.visibility.map_or(Visibility::Public, Into::into),
        };
        let post = state.posts.create(me, form).await?;
        Ok(Created::Created(Json(post.into())))
    }

    /// A post, if the caller may see it.
    #[oai(path = "/v1/posts/:id", method = "get", operation_id = "getPost")]
    async fn get_post(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Json<PostView>> {
        let viewer = auth.viewer(&state.auth)?;
        Ok(Json(state.posts.get(viewer, PostId(id.0)).await?.into()))
    }

    /// Delete one of your posts, with its likes and comments (its images stay).
    #[oai(path = "/v1/posts/:id", method = "delete", operation_id = "deletePost")]
    async fn delete_post(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Done> {
        let me = auth.user(&state.auth)?;
        state.posts.delete(me, PostId(id.0)).await?;
        Ok(Done::NoContent)
    }

    /// A profile grid: a user's posts the caller may see, newest first.
    #[oai(
        path = "/v1/users/:username/posts",
        method = "get",
        operation_id = "listUserPosts"
    )]
    async fn list_user_posts(
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
    ) -> ApiResult<Json<PostPage>> {
        let viewer = auth.viewer(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        let author = state.people.by_username(&username.0).await?;
        let page = state.posts.by_author(viewer, &author, page).await?;
        Ok(Json(PostPage::new(page.items, page.next)))
    }

    /// The caller's home feed: posts of the people they follow, newest first.
    #[oai(path = "/v1/timeline", method = "get", operation_id = "getTimeline")]
    async fn get_timeline(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page.
        #[oai(validator(pattern = r"^[0-9]{1,16}\.[0-9a-f]{32}$"))]
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<PostPage>> {
        let me = auth.user(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        let page = state.timelines.read(me, page).await?;
        let views = state.posts.views(Some(me), page.items).await?;
        Ok(Json(PostPage::new(views, page.next)))
    }

    /// Like a post. Idempotent.
    #[oai(path = "/v1/posts/:id/like", method = "put", operation_id = "likePost")]
    async fn like_post(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Done> {
        let me = auth.user(&state.auth)?;
        state.posts.like(me, PostId(id.0)).await?;
        Ok(Done::NoContent)
    }

    /// Take a like back. Idempotent.
    #[oai(
        path = "/v1/posts/:id/like",
        method = "delete",
        operation_id = "unlikePost"
    )]
    async fn unlike_post(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Done> {
        let me = auth.user(&state.auth)?;
        state.posts.unlike(me, PostId(id.0)).await?;
        Ok(Done::NoContent)
    }

    /// A post's comments, oldest first.
    #[oai(
        path = "/v1/posts/:id/comments",
        method = "get",
        operation_id = "listComments"
    )]
    async fn list_comments(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        id: Path<uuid::Uuid>,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page.
        #[oai(validator(pattern = r"^[0-9]{1,16}\.[0-9a-f]{32}$"))]
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<CommentPage>> {
        let viewer = auth.viewer(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        Ok(Json(
            state
                .posts
                .comments(viewer, PostId(id.0), page)
                .await?
                .into(),
        ))
    }

    /// Comment on a post you may see.
    #[oai(
        path = "/v1/posts/:id/comments",
        method = "post",
        operation_id = "createComment"
    )]
    async fn create_comment(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: StrictJson<NewComment>,
    ) -> ApiResult<Created<CommentView>> {
        let me = auth.user(&state.auth)?;
        let comment = state.posts.comment(me, PostId(id.0), &body.0.text).await?;
        Ok(Created::Created(Json(comment.into())))
    }

    /// Delete a comment: yours, or one on your post.
    #[oai(
        path = "/v1/comments/:id",
        method = "delete",
        operation_id = "deleteComment"
    )]
    async fn delete_comment(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Done> {
        let me = auth.user(&state.auth)?;
        state.posts.delete_comment(me, CommentId(id.0)).await?;
        Ok(Done::NoContent)
    }
}
