//! The user item and its conversion to `User`. Items written before profiles existed carry no `is_private`
//! (they read as public) and no avatar.

use darkroom_core::domain::{ImageId, NewUser, User, UserId};
use darkroom_core::ports::DbError;

use super::super::attrs::{
    boolean, micros, n, opt_bool, opt_string, opt_uuid, put_opt, req_num, req_string, req_time,
    req_uuid, s,
};
use super::super::keys::{self, Item};

/// The user item of a new account, keyed by id. Its username and email are claimed by items of their own.
pub(crate) fn new_user(user: &NewUser) -> Item {
    let mut item = keys::user(user.id);
    item.extend([
        ("id".to_owned(), s(user.id.0.to_string())),
        ("username".to_owned(), s(user.username.as_str())),
        ("email".to_owned(), s(user.email.as_str())),
        ("password_hash".to_owned(), s(&user.password_hash)),
        ("followers_count".to_owned(), n(0)),
        ("following_count".to_owned(), n(0)),
        ("posts_count".to_owned(), n(0)),
        ("is_private".to_owned(), boolean(false)),
        ("created_at".to_owned(), micros(user.created_at)),
    ]);
    put_opt(&mut item, "display_name", user.display_name.clone().map(s));
    item
}

pub(crate) fn user(item: &Item) -> Result<User, DbError> {
    Ok(User {
        id: UserId(req_uuid(item, "id")?),
        username: req_string(item, "username")?,
        email: req_string(item, "email")?,
        display_name: opt_string(item, "display_name")?,
        first_name: opt_string(item, "first_name")?,
        last_name: opt_string(item, "last_name")?,
        bio: opt_string(item, "bio")?,
        followers_count: req_num(item, "followers_count")?,
        following_count: req_num(item, "following_count")?,
        posts_count: req_num(item, "posts_count")?,
        is_private: opt_bool(item, "is_private")?.unwrap_or(false),
        avatar_image_id: opt_uuid(item, "avatar_image_id")?.map(ImageId),
        created_at: req_time(item, "created_at")?,
    })
}

pub(crate) fn password_hash(item: &Item) -> Result<String, DbError> {
    req_string(item, "password_hash")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::DateTime;
    use darkroom_core::domain::{Email, Event, Username};

    use super::*;

    #[test]
    fn users_round_trip() {
        let new = NewUser {
            id: UserId::new(),
            username: Username::parse("Ann").unwrap(),
            email: Email::parse("Ann@Example.org").unwrap(),
            password_hash: "$argon2id$x".into(),
            display_name: None,
            created_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            event: Event::UserCreated {
                user_id: UserId::new(),
            }
            .to_outbox(),
        };
        let item = new_user(&new);
        let back = user(&item).unwrap();
        assert_eq!((back.id, back.username.as_str()), (new.id, "ann"));
        assert_eq!(
            (back.email.as_str(), back.created_at),
            ("ann@example.org", new.created_at)
        );
        assert_eq!((back.is_private, back.avatar_image_id), (false, None));
        assert_eq!(password_hash(&item).unwrap(), "$argon2id$x");
        assert!(!item.contains_key("display_name"));
    }

    #[test]
    fn users_stored_before_profiles_read_as_public() {
        let mut item = new_user(&NewUser {
            id: UserId::new(),
            username: Username::parse("bob").unwrap(),
            email: Email::parse("bob@example.org").unwrap(),
            password_hash: "h".into(),
            display_name: Some("Bob".into()),
            created_at: DateTime::from_timestamp_micros(0).unwrap(),
            event: Event::UserCreated {
                user_id: UserId::new(),
            }
            .to_outbox(),
        });
        item.remove("is_private");
        assert!(!user(&item).unwrap().is_private);
        item.insert("avatar_image_id".into(), s("not a uuid"));
        assert!(user(&item).is_err());
    }
}
