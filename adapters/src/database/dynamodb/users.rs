//! `UserRepository` on DynamoDB. DynamoDB has no unique index, so a username and an email are each claimed
//! by an item of their own, written in one transaction with the user: a taken name fails its condition and
//! the transaction writes nothing. Profile changes are in `profiles.rs`.

use std::collections::HashSet;

use async_trait::async_trait;
use darkroom_core::domain::{NewUser, OutboxMessage, ProfilePatch, User, UserId};
use darkroom_core::ports::{Conflict, DbError, UserRepository};

use super::attrs::{req_uuid, s};
use super::calls::{retry_conflicts, Transacted};
use super::errors::unless_condition_failed;
use super::items;
use super::keys::{self, Item};
use super::writes::{names, vals, values, PRESENT};
use super::DynamoDatabase;

/// The rules of `create_user`'s transaction items, in their order, for naming the one that failed: the
/// user, its two claims, then the outbox entry and pointer of its event.
const RULES: [Conflict; 5] = [
    Conflict::UserId,
    Conflict::Username,
    Conflict::Email,
    Conflict::OutboxId,
    Conflict::OutboxId,
];

impl DynamoDatabase {
    /// The user a claim item (`USERNAME#…`, `EMAIL#…`) points to, with the user item itself.
    async fn claimed_user(&self, claim: Item, doing: &str) -> Result<Option<Item>, DbError> {
        let Some(claim) = self.get(claim, doing).await? else {
            return Ok(None);
        };
        let id = UserId(req_uuid(&claim, "user_id")?);
        self.get(keys::user(id), doing).await
    }
}

#[async_trait]
impl UserRepository for DynamoDatabase {
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError> {
        let item = items::new_user(user);
        let stored = items::user(&item)?;
        let claim = |mut key: Item| {
            key.insert("user_id".to_owned(), s(user.id.0.to_string()));
            self.put_new(key)
        };
        let writes = vec![
            self.put_new(item)?,
            claim(keys::username(user.username.as_str()))?,
            claim(keys::email(user.email.as_str()))?,
            self.put_new(items::outbox_entry(&user.event))?,
            self.put_new(items::outbox_pointer(&user.event))?,
        ];
        match self.transact(writes, "creating a user").await? {
            Transacted::Done => Ok(stored),
            failed => {
                let rule = (0..RULES.len())
                    .find(|index| failed.failed(*index))
                    .map_or(Conflict::UserId, |index| RULES[index]);
                Err(DbError::Conflict(rule))
            }
        }
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError> {
        self.get(keys::user(id), "reading a user")
            .await?
            .as_ref()
            .map(items::user)
            .transpose()
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, DbError> {
        let claim = keys::username(&username.trim().to_lowercase());
        self.claimed_user(claim, "reading a user by username")
            .await?
            .as_ref()
            .map(items::user)
            .transpose()
    }

    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>, DbError> {
        // A username cannot contain '@' and an email must, so the login says which claim to read.
        let login = login.trim().to_lowercase();
        let claim = if login.contains('@') {
            keys::email(&login)
        } else {
            keys::username(&login)
        };
        let Some(item) = self.claimed_user(claim, "reading credentials").await? else {
            return Ok(None);
        };
        Ok(Some((items::user(&item)?, items::password_hash(&item)?)))
    }

    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<bool, DbError> {
        let updated = retry_conflicts(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys::user(id)))
                .update_expression("SET #password_hash = :hash")
                .condition_expression(PRESENT)
                .set_expression_attribute_names(names(&["#password_hash", PRESENT]))
                .set_expression_attribute_values(values(vals([(":hash", s(password_hash))])))
                .send()
        })
        .await;
        Ok(unless_condition_failed(updated, &self.table, "changing a password")?.is_some())
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, DbError> {
        let ids: HashSet<UserId> = ids.iter().copied().collect();
        self.batch_get(ids.into_iter().map(keys::user).collect(), "reading users")
            .await?
            .iter()
            .map(items::user)
            .collect()
    }

    async fn update_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
        event: &OutboxMessage,
    ) -> Result<Option<User>, DbError> {
        self.patch_profile(id, patch, event).await
    }
}
