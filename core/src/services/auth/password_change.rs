//! Changing one's password: proven by the current one, and followed by the end of every other session, so
//! that whoever learnt the old password (and logged in with it) is out at once.

use chrono::Utc;
use uuid::Uuid;

use super::AuthService;
use crate::domain::{Password, User, UserId};
use crate::ports::LiveSession;
use crate::services::ServiceError;

/// How many sessions one round of ending them reads.
const SESSIONS_PER_ROUND: u32 = 100;

impl AuthService {
    /// Replaces `user`'s password when `current` is right (`InvalidCredentials` otherwise), then ends every
    /// session of theirs but `keep` (the one asking). Answers how many sessions it ended. `user` is the
    /// account as the caller already read it (`me`), so it is not read again.
    pub async fn change_password(
        &self,
        user: &User,
        keep: Option<Uuid>,
        current: &str,
        new: &str,
    ) -> Result<usize, ServiceError> {
        let new = Password::parse(new)?;
        let hash = self
            .users
            .credentials(user.username.as_str())
            .await?
            .map(|(_, hash)| hash);
        if !self.hasher.verify(current.to_owned(), hash).await? {
            return Err(ServiceError::InvalidCredentials);
        }
        let hash = self.hasher.hash(new).await?;
        if !self.users.set_password_hash(user.id, &hash).await? {
            return Err(ServiceError::Unauthenticated);
        }
        self.end_sessions_but(user.id, keep).await
    }

    /// Ends every live session of `user` but `keep`.
    async fn end_sessions_but(
        &self,
        user: UserId,
        keep: Option<Uuid>,
    ) -> Result<usize, ServiceError> {
        let mut ended = 0;
        let mut before = None;
        loop {
            let sessions: Vec<LiveSession> = self
                .sessions
                .live_sessions(user, Utc::now(), before, SESSIONS_PER_ROUND)
                .await?;
            for session in sessions.iter().filter(|s| Some(s.id) != keep) {
                if self
                    .sessions
                    .revoke_session(user, session.id, Utc::now())
                    .await?
                {
                    self.ended.end(session.id).await;
                    ended += 1;
                }
            }
            match sessions.last() {
                Some(last) if sessions.len() == SESSIONS_PER_ROUND as usize => {
                    before = Some(last.id)
                }
                _ => return Ok(ended),
            }
        }
    }
}
