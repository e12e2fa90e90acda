//! TEMPORARY scaffolding while the social repositories are written (issue 9): every method answers
//! `DbError::Other("not implemented yet")`. Each adapter replaces its use of this macro with real
//! repositories; this file is deleted before the issue is done.

macro_rules! pending_social_repositories {
    ([$($generics:tt)*] $ty:ty) => {
        const _: () = {
            use darkroom_core::domain::*;
            use darkroom_core::ports::*;
            fn pending<T>() -> Result<T, DbError> {
                Err(DbError::other(std::io::Error::other("not implemented yet")))
            }
            #[async_trait::async_trait]
            impl<$($generics)*> FollowRepository for $ty {
                async fn follow(&self, _: &Follow, _: &OutboxMessage) -> Result<FollowOutcome, DbError> { pending() }
                async fn unfollow(&self, _: UserId, _: UserId, _: &OutboxMessage) -> Result<Option<FollowState>, DbError> { pending() }
                async fn accept_follow(&self, _: UserId, _: UserId, _: chrono::DateTime<chrono::Utc>, _: &OutboxMessage) -> Result<bool, DbError> { pending() }
                async fn follow_state(&self, _: UserId, _: UserId) -> Result<Option<FollowState>, DbError> { pending() }
                async fn followers(&self, _: UserId, _: FollowState, _: PageRequest) -> Result<Page<Follow>, DbError> { pending() }
                async fn following(&self, _: UserId, _: PageRequest) -> Result<Page<Follow>, DbError> { pending() }
                async fn follower_ids(&self, _: UserId, _: Option<UserId>, _: u32) -> Result<Vec<UserId>, DbError> { pending() }
            }
            #[async_trait::async_trait]
            impl<$($generics)*> PostRepository for $ty {
                async fn create_post(&self, _: &Post, _: &OutboxMessage) -> Result<(), DbError> { pending() }
                async fn post(&self, _: PostId) -> Result<Option<Post>, DbError> { pending() }
                async fn posts_by_ids(&self, _: &[PostId]) -> Result<Vec<Post>, DbError> { pending() }
                async fn delete_post(&self, _: PostId, _: &OutboxMessage) -> Result<Option<Post>, DbError> { pending() }
                async fn posts_by_author(&self, _: UserId, _: PageRequest) -> Result<Page<Post>, DbError> { pending() }
                async fn posts_followed_by(&self, _: UserId, _: Option<bool>, _: PageRequest) -> Result<Page<Post>, DbError> { pending() }
            }
            #[async_trait::async_trait]
            impl<$($generics)*> LikeRepository for $ty {
                async fn like(&self, _: PostId, _: UserId, _: chrono::DateTime<chrono::Utc>, _: &OutboxMessage) -> Result<bool, DbError> { pending() }
                async fn unlike(&self, _: PostId, _: UserId) -> Result<bool, DbError> { pending() }
                async fn liked(&self, _: UserId, _: &[PostId]) -> Result<Vec<PostId>, DbError> { pending() }
            }
            #[async_trait::async_trait]
            impl<$($generics)*> CommentRepository for $ty {
                async fn create_comment(&self, _: &Comment, _: &OutboxMessage) -> Result<bool, DbError> { pending() }
                async fn comment(&self, _: CommentId) -> Result<Option<Comment>, DbError> { pending() }
                async fn delete_comment(&self, _: CommentId) -> Result<Option<Comment>, DbError> { pending() }
                async fn comments(&self, _: PostId, _: PageRequest) -> Result<Page<Comment>, DbError> { pending() }
            }
            #[async_trait::async_trait]
            impl<$($generics)*> TimelineRepository for $ty {
                async fn add_to_timelines(&self, _: &[UserId], _: &TimelineEntry) -> Result<u64, DbError> { pending() }
                async fn add_entries(&self, _: UserId, _: &[TimelineEntry]) -> Result<u64, DbError> { pending() }
                async fn remove_post(&self, _: PostId) -> Result<u64, DbError> { pending() }
                async fn remove_author(&self, _: UserId, _: UserId) -> Result<u64, DbError> { pending() }
                async fn timeline(&self, _: UserId, _: PageRequest) -> Result<Option<StoredTimelinePage>, DbError> { pending() }
                async fn build_timeline(&self, _: UserId, _: &[TimelineEntry], _: bool) -> Result<(), DbError> { pending() }
                async fn trim_timeline(&self, _: UserId, _: u32) -> Result<u64, DbError> { pending() }
                async fn drop_timeline(&self, _: UserId) -> Result<(), DbError> { pending() }
            }
            #[async_trait::async_trait]
            impl<$($generics)*> NotificationRepository for $ty {
                async fn notify(&self, _: &Notification) -> Result<bool, DbError> { pending() }
                async fn notifications(&self, _: UserId, _: PageRequest) -> Result<Page<Notification>, DbError> { pending() }
                async fn unread_count(&self, _: UserId) -> Result<u64, DbError> { pending() }
                async fn mark_read(&self, _: UserId, _: Option<&[NotificationId]>) -> Result<u64, DbError> { pending() }
                async fn withdraw(&self, _: UserId, _: NotificationKind, _: UserId) -> Result<u64, DbError> { pending() }
            }
        };
    };
}

pub(crate) use pending_social_repositories;
