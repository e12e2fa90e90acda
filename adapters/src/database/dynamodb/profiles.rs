//! `update_profile` on DynamoDB: one transaction updating the user item (which must exist) and writing the
//! event's outbox entry and pointer, then a strongly consistent read of the user as it now is.

use darkroom_core::domain::{OutboxMessage, ProfilePatch, User, UserId};
use darkroom_core::ports::{Conflict, DbError};

use super::attrs::{boolean, s};
use super::calls::Transacted;
use super::items;
use super::keys;
use super::writes::{vals, Assignments, PRESENT};
use super::DynamoDatabase;

/// The update a patch makes: what it sets, what it clears.
fn assignments(patch: &ProfilePatch) -> Assignments {
    let mut update = Assignments::default();
    let texts = [
        ("display_name", &patch.display_name),
        ("first_name", &patch.first_name),
        ("last_name", &patch.last_name),
        ("bio", &patch.bio),
    ];
    for (name, change) in texts {
        if let Some(value) = change {
            update.set_or_remove(name, value.clone().map(s));
        }
    }
    if let Some(avatar) = patch.avatar_image_id {
        update.set_or_remove("avatar_image_id", avatar.map(|id| s(id.0.to_string())));
    }
    if let Some(private) = patch.is_private {
        update.set("is_private", boolean(private));
    }
    update
}

impl DynamoDatabase {
    pub(super) async fn patch_profile(
        &self,
        id: UserId,
        patch: &ProfilePatch,
        event: &OutboxMessage,
    ) -> Result<Option<User>, DbError> {
        // An empty patch still writes its event, on the condition that the user exists.
        let user = match assignments(patch).into_expression() {
            Some((expression, values)) => {
                self.update(keys::user(id), &expression, Some(PRESENT), values)?
            }
            None => self.check(keys::user(id), PRESENT, vals([]))?,
        };
        let writes = vec![
            user,
            self.put_new(items::outbox_entry(event))?,
            self.put_new(items::outbox_pointer(event))?,
        ];
        match self.transact(writes, "updating a profile").await? {
            Transacted::Done => self
                .get(keys::user(id), "reading an updated profile")
                .await?
                .as_ref()
                .map(items::user)
                .transpose(),
            outcome if outcome.failed(0) => Ok(None),
            _ => Err(DbError::Conflict(Conflict::OutboxId)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use darkroom_core::domain::ImageId;

    use super::*;

    #[test]
    fn a_patch_sets_what_it_gives_and_clears_what_it_empties() {
        assert!(assignments(&ProfilePatch::default())
            .into_expression()
            .is_none());
        let patch = ProfilePatch {
            bio: Some(None),
            display_name: Some(Some("Ann".into())),
            avatar_image_id: Some(Some(ImageId::new())),
            is_private: Some(true),
            ..ProfilePatch::default()
        };
        let (expression, values) = assignments(&patch).into_expression().unwrap();
        assert_eq!(
            expression,
            "SET #display_name = :display_name, #avatar_image_id = :avatar_image_id, \
             #is_private = :is_private REMOVE #bio"
        );
        assert_eq!(values[":is_private"], boolean(true));
    }
}
