//! Keeps the user search index up to date from `user.created` / `user.updated` events. The handler reads
//! the profile as it is now, so a redelivered or late event indexes the current names, never old ones.

use std::sync::Arc;

use chrono::Utc;

use crate::domain::UserId;
use crate::ports::{UserDocument, UserRepository, UserSearch};
use crate::services::ServiceError;

#[derive(Debug, Clone)]
pub struct SearchIndexer {
    users: Arc<dyn UserRepository>,
    search: Arc<dyn UserSearch>,
}

impl SearchIndexer {
    pub fn new(users: Arc<dyn UserRepository>, search: Arc<dyn UserSearch>) -> Self {
        Self { users, search }
    }

    pub async fn reindex(&self, id: UserId) -> Result<(), ServiceError> {
        // Read before stamping: a document is never newer than what it was read from.
        let read_at = Utc::now();
        match self.users.user_by_id(id).await? {
            Some(user) => {
                let document = UserDocument {
                    id: user.id,
                    username: user.username,
                    display_name: user.display_name,
                    first_name: user.first_name,
                    last_name: user.last_name,
                    updated_at: read_at,
                };
                self.search.upsert(&document).await?;
            }
            None => self.search.remove(id).await?,
        }
        Ok(())
    }
}
