//! Conversions between column values and the domain's, the same for every SQL dialect: counts and sizes
//! are signed 64-bit integers (the domain's unsigned ones are checked both ways), lists and nested records
//! are JSON text, enums are their text names. Ids and timestamps, which the dialects store differently,
//! convert through `StoredId` and `StoredTime`.

use chrono::{DateTime, Utc};
use darkroom_core::ports::DbError;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// How a dialect stores a UUID: text in SQLite (lowercase hyphenated, so text order is UUID order), `uuid`
/// in Postgres.
pub trait StoredId {
    fn into_uuid(self) -> Result<Uuid, DbError>;
}

impl StoredId for Uuid {
    fn into_uuid(self) -> Result<Uuid, DbError> {
        Ok(self)
    }
}

impl StoredId for String {
    fn into_uuid(self) -> Result<Uuid, DbError> {
        Uuid::parse_str(&self).map_err(|_| corrupt("uuid", &self))
    }
}

/// How a dialect stores a timestamp: integer microseconds since the epoch in SQLite, `timestamptz` in
/// Postgres. Both keep exactly the microseconds a cursor carries.
pub trait StoredTime {
    fn into_time(self) -> Result<DateTime<Utc>, DbError>;
}

impl StoredTime for DateTime<Utc> {
    fn into_time(self) -> Result<DateTime<Utc>, DbError> {
        Ok(self)
    }
}

impl StoredTime for i64 {
    fn into_time(self) -> Result<DateTime<Utc>, DbError> {
        DateTime::from_timestamp_micros(self).ok_or_else(|| corrupt("timestamp", self))
    }
}

pub fn unsigned<T: TryFrom<i64>>(value: i64) -> Result<T, DbError> {
    T::try_from(value).map_err(|_| corrupt("unsigned integer", value))
}

/// A domain size as the signed integer it is stored as.
pub fn signed(value: u64, what: &str) -> Result<i64, DbError> {
    i64::try_from(value).map_err(|_| DbError::other(format!("{what} too large to record: {value}")))
}

pub fn json<T: DeserializeOwned>(text: &str) -> Result<T, DbError> {
    serde_json::from_str(text).map_err(|e| DbError::Other(corrupt_json(e)))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DbError> {
    serde_json::to_string(value).map_err(|e| DbError::Other(Box::new(e)))
}

/// Parses one of the domain's text enums.
pub fn text_enum<T: std::str::FromStr>(text: &str) -> Result<T, DbError> {
    text.parse().map_err(|_| corrupt("enum value", text))
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> DbError {
    DbError::other(format!("corrupt {what} in database: {value:?}"))
}

#[derive(Debug, thiserror::Error)]
#[error("corrupt json column")]
struct CorruptJson(#[source] serde_json::Error);

fn corrupt_json(err: serde_json::Error) -> Box<CorruptJson> {
    Box::new(CorruptJson(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_microseconds() {
        let at = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        let back = at.timestamp_micros().into_time().unwrap();
        assert_eq!(back.timestamp_micros(), at.timestamp_micros());
        assert_eq!(back.timestamp_subsec_nanos(), 123_456_000);
    }

    #[test]
    fn corrupt_values_are_errors_not_panics() {
        assert!(String::from("nope").into_uuid().is_err());
        assert!(unsigned::<u64>(-1).is_err());
        assert!(unsigned::<u32>(i64::from(u32::MAX) + 1).is_err());
        assert!(signed(u64::MAX, "image").is_err());
        assert!(json::<Vec<String>>("{").is_err());
        assert!(text_enum::<darkroom_core::domain::Visibility>("secret").is_err());
    }
}
