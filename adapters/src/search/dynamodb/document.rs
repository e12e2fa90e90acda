//! A document as an item: the names as given (absent ones as absent attributes), `updated_at` in
//! microseconds since the epoch (as the database's items keep time).

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::DateTime;
use darkroom_core::domain::UserId;
use darkroom_core::ports::{SearchError, UserDocument};
use uuid::Uuid;

use super::keys::{self, Item};

pub(super) const UPDATED_AT: &str = "updated_at";
/// The user's id, on the document and on every token (a token's key alone is not meant to be parsed).
pub(super) const USER_ID: &str = "user_id";
const USERNAME: &str = "username";
const DISPLAY_NAME: &str = "display_name";
const FIRST_NAME: &str = "first_name";
const LAST_NAME: &str = "last_name";

pub(super) fn to_item(document: &UserDocument) -> Item {
    let mut item = keys::document(document.id);
    let mut put = |name: &str, value: AttributeValue| {
        item.insert(name.to_owned(), value);
    };
    put(USER_ID, AttributeValue::S(document.id.to_string()));
    put(USERNAME, AttributeValue::S(document.username.clone()));
    put(UPDATED_AT, micros(document));
    for (name, value) in [
        (DISPLAY_NAME, &document.display_name),
        (FIRST_NAME, &document.first_name),
        (LAST_NAME, &document.last_name),
    ] {
        if let Some(value) = value {
            put(name, AttributeValue::S(value.clone()));
        }
    }
    item
}

pub(super) fn from_item(item: &Item) -> Result<UserDocument, SearchError> {
    let corrupt = |what: &str| SearchError::other(format!("corrupt search document: {what}"));
    let text = |name: &str| match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
        Some(_) => Err(corrupt(name)),
    };
    let id = text(USER_ID)?
        .and_then(|id| Uuid::parse_str(&id).ok())
        .ok_or_else(|| corrupt(USER_ID))?;
    let updated_at = match item.get(UPDATED_AT) {
        Some(AttributeValue::N(micros)) => micros
            .parse()
            .ok()
            .and_then(DateTime::from_timestamp_micros),
        _ => None,
    }
    .ok_or_else(|| corrupt(UPDATED_AT))?;
    Ok(UserDocument {
        id: UserId(id),
        username: text(USERNAME)?.ok_or_else(|| corrupt(USERNAME))?,
        display_name: text(DISPLAY_NAME)?,
        first_name: text(FIRST_NAME)?,
        last_name: text(LAST_NAME)?,
        updated_at,
    })
}

/// The document's version, as tokens and conditions carry it.
pub(super) fn micros(document: &UserDocument) -> AttributeValue {
    AttributeValue::N(document.updated_at.timestamp_micros().to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn documents_round_trip_and_corrupt_items_are_errors() {
        let document = UserDocument {
            id: UserId::new(),
            username: "ada".into(),
            display_name: None,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            updated_at: Utc.timestamp_micros(1_700_000_000_123_456).unwrap(),
        };
        let item = to_item(&document);
        assert!(!item.contains_key(DISPLAY_NAME));
        assert_eq!(from_item(&item).unwrap(), document);
        let mut broken = item.clone();
        broken.insert(UPDATED_AT.into(), AttributeValue::S("soon".into()));
        assert!(from_item(&broken).is_err());
        let mut nameless = item;
        nameless.remove(USERNAME);
        assert!(from_item(&nameless).is_err());
    }
}
