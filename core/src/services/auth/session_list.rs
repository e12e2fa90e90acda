//! One's own sessions: the list of those still able to go on (each a login on some device), and revoking one
//! of them, as "sign out of that device" does.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{tokens, AuthService};
use crate::domain::{Cursor, Page, PageRequest, UserId};
use crate::services::ServiceError;

/// A session as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: Uuid,
    /// When it began (its login); unknown for sessions from before sessions were named.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ends unless it is refreshed first (never past the session's maximum age).
    pub expires_at: DateTime<Utc>,
    /// Whether it is the session of the token that asked.
    pub current: bool,
}

impl AuthService {
    /// `user`'s sessions that can still go on, newest first. `current` is the asking token's session.
    pub async fn sessions(
        &self,
        user: UserId,
        current: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<SessionInfo>, ServiceError> {
        // One more than asked tells whether another page follows.
        let mut live = self
            .sessions
            .live_sessions(
                user,
                Utc::now(),
                page.after.map(|cursor| cursor.id),
                page.limit + 1,
            )
            .await?;
        let more = live.len() > page.limit as usize;
        live.truncate(page.limit as usize);
        let items: Vec<SessionInfo> = live
            .into_iter()
            .map(|session| SessionInfo {
                id: session.id,
                started_at: tokens::session_started(session.id),
                expires_at: session.expires_at,
                current: current == Some(session.id),
            })
            .collect();
        // The cursor's time is only there to fill its shape: sessions are paged by id alone.
        let next = more.then(|| items.last()).flatten().map(|last| Cursor {
            created_at: last.started_at.unwrap_or_default(),
            id: last.id,
        });
        Ok(Page { items, next })
    }

    /// Ends `user`'s session `id`: its refresh tokens at once, its access tokens on their next request.
    /// Another account's session, or one that already ended, is `NotFound`.
    pub async fn revoke_session(&self, user: UserId, id: Uuid) -> Result<(), ServiceError> {
        if !self.sessions.revoke_session(user, id, Utc::now()).await? {
            return Err(ServiceError::NotFound);
        }
        self.ended.end(id).await;
        Ok(())
    }
}
