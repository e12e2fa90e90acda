//! `listNotifications`, `markNotificationsRead`.

use darkroom_core::domain::NotificationId;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::pagination::page_request;
use super::problem::ApiResult;
use super::security::BearerAuth;
use super::social_models::NotificationPage;
use super::strict_json::StrictJson;
use super::{ApiTags, AppState};

/// Which notifications to mark read.
#[derive(Debug, Object)]
pub struct MarkRead {
    /// These of the caller's notifications; absent or `null`: all of them.
    #[oai(nullable, validator(max_items = 100))]
    pub ids: Option<Vec<uuid::Uuid>>,
}

/// How many notifications are still unread.
#[derive(Debug, Object)]
pub struct UnreadCount {
    pub unread_count: u64,
}

#[derive(Debug)]
pub struct InboxApi;

#[OpenApi(tag = "ApiTags::Inbox")]
impl InboxApi {
    /// The caller's inbox, newest first: new followers and follow requests, likes, comments, mentions and
    /// processing failures, with the count of unread ones.
    #[oai(
        path = "/v1/me/notifications",
        method = "get",
        operation_id = "listNotifications"
    )]
    async fn list_notifications(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page.
        #[oai(validator(pattern = r"^[0-9]{1,16}\.[0-9a-f]{32}$"))]
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<NotificationPage>> {
        let me = auth.user(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        Ok(Json(state.inbox.list(me, page).await?.into()))
    }

    /// Mark the given notifications read, or all of them when no ids are given.
    #[oai(
        path = "/v1/me/notifications/read",
        method = "post",
        operation_id = "markNotificationsRead"
    )]
    async fn mark_notifications_read(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: StrictJson<MarkRead>,
    ) -> ApiResult<Json<UnreadCount>> {
        let me = auth.user(&state.auth)?;
        let ids: Option<Vec<NotificationId>> = body
            .0
            .ids
            .map(|ids| ids.into_iter().map(NotificationId).collect());
        let unread_count = state.inbox.mark_read(me, ids.as_deref()).await?;
        Ok(Json(UnreadCount { unread_count }))
    }
}
