//! Reading and writing single attributes. Absent optional values are absent attributes (never `NULL`), so
//! an update clears a field with `REMOVE`; timestamps are numbers of microseconds since the epoch (the
//! precision cursors carry); nested records are JSON strings.

use std::fmt::Display;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use darkroom_core::ports::DbError;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::keys::Item;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn boolean(value: bool) -> AttributeValue {
    AttributeValue::Bool(value)
}

pub(super) fn micros(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp_micros())
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> Result<AttributeValue, DbError> {
    serde_json::to_string(value)
        .map(AttributeValue::S)
        .map_err(|e| DbError::other(format!("cannot encode json attribute: {e}")))
}

pub(super) fn strings(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().cloned().map(AttributeValue::S).collect())
}

/// A list of ids, as hyphenated strings.
pub(super) fn uuids(values: impl IntoIterator<Item = Uuid>) -> AttributeValue {
    AttributeValue::L(
        values
            .into_iter()
            .map(|id| AttributeValue::S(id.to_string()))
            .collect(),
    )
}

/// Adds `name` to `item` when `value` is present.
pub(super) fn put_opt(item: &mut Item, name: &str, value: Option<AttributeValue>) {
    if let Some(value) = value {
        item.insert(name.to_owned(), value);
    }
}

fn corrupt(name: &str, why: impl Display) -> DbError {
    DbError::other(format!("corrupt attribute {name:?} in dynamodb: {why}"))
}

pub(super) fn opt_str<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, DbError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value)),
        Some(other) => Err(corrupt(name, format!("expected a string, found {other:?}"))),
    }
}

pub(super) fn req_str<'a>(item: &'a Item, name: &str) -> Result<&'a str, DbError> {
    opt_str(item, name)?.ok_or_else(|| corrupt(name, "missing"))
}

pub(super) fn opt_string(item: &Item, name: &str) -> Result<Option<String>, DbError> {
    Ok(opt_str(item, name)?.map(str::to_owned))
}

pub(super) fn req_string(item: &Item, name: &str) -> Result<String, DbError> {
    req_str(item, name).map(str::to_owned)
}

pub(super) fn opt_num<T: FromStr>(item: &Item, name: &str) -> Result<Option<T>, DbError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(value)) => value.parse().map(Some).map_err(|_| {
            corrupt(
                name,
                format!("{value:?} is not a number of the expected kind"),
            )
        }),
        Some(other) => Err(corrupt(name, format!("expected a number, found {other:?}"))),
    }
}

pub(super) fn req_num<T: FromStr>(item: &Item, name: &str) -> Result<T, DbError> {
    opt_num(item, name)?.ok_or_else(|| corrupt(name, "missing"))
}

pub(super) fn opt_bool(item: &Item, name: &str) -> Result<Option<bool>, DbError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::Bool(value)) => Ok(Some(*value)),
        Some(other) => Err(corrupt(
            name,
            format!("expected a boolean, found {other:?}"),
        )),
    }
}

pub(super) fn req_bool(item: &Item, name: &str) -> Result<bool, DbError> {
    opt_bool(item, name)?.ok_or_else(|| corrupt(name, "missing"))
}

pub(super) fn req_time(item: &Item, name: &str) -> Result<DateTime<Utc>, DbError> {
    opt_time(item, name)?.ok_or_else(|| corrupt(name, "missing"))
}

pub(super) fn opt_time(item: &Item, name: &str) -> Result<Option<DateTime<Utc>>, DbError> {
    opt_num::<i64>(item, name)?
        .map(|value| {
            DateTime::from_timestamp_micros(value)
                .ok_or_else(|| corrupt(name, "timestamp out of range"))
        })
        .transpose()
}

fn parse_uuid(name: &str, value: &str) -> Result<Uuid, DbError> {
    Uuid::parse_str(value).map_err(|_| corrupt(name, format!("{value:?} is not a uuid")))
}

pub(super) fn req_uuid(item: &Item, name: &str) -> Result<Uuid, DbError> {
    parse_uuid(name, req_str(item, name)?)
}

pub(super) fn opt_uuid(item: &Item, name: &str) -> Result<Option<Uuid>, DbError> {
    opt_str(item, name)?
        .map(|value| parse_uuid(name, value))
        .transpose()
}

pub(super) fn req_uuids(item: &Item, name: &str) -> Result<Vec<Uuid>, DbError> {
    req_strings(item, name)?
        .iter()
        .map(|value| parse_uuid(name, value))
        .collect()
}

pub(super) fn req_json<T: DeserializeOwned>(item: &Item, name: &str) -> Result<T, DbError> {
    serde_json::from_str(req_str(item, name)?).map_err(|e| corrupt(name, e))
}

/// Parses one of the domain's text enums.
pub(super) fn req_enum<T: FromStr>(item: &Item, name: &str) -> Result<T, DbError> {
    let value = req_str(item, name)?;
    value
        .parse()
        .map_err(|_| corrupt(name, format!("unknown value {value:?}")))
}

/// Parses a value the domain reads with a `parse(&str) -> Option<_>` of its own (follow states,
/// notification kinds).
pub(super) fn req_parsed<T>(
    item: &Item,
    name: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, DbError> {
    let value = req_str(item, name)?;
    parse(value).ok_or_else(|| corrupt(name, format!("unknown value {value:?}")))
}

pub(super) fn req_strings(item: &Item, name: &str) -> Result<Vec<String>, DbError> {
    match item.get(name) {
        Some(AttributeValue::L(values)) => values
            .iter()
            .map(|value| match value {
                AttributeValue::S(text) => Ok(text.clone()),
                other => Err(corrupt(name, format!("expected strings, found {other:?}"))),
            })
            .collect(),
        Some(other) => Err(corrupt(name, format!("expected a list, found {other:?}"))),
        None => Err(corrupt(name, "missing")),
    }
}

pub(super) fn req_bytes(item: &Item, name: &str) -> Result<Vec<u8>, DbError> {
    match item.get(name) {
        Some(AttributeValue::B(blob)) => Ok(blob.as_ref().to_vec()),
        Some(other) => Err(corrupt(name, format!("expected binary, found {other:?}"))),
        None => Err(corrupt(name, "missing")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn corrupt_or_missing_values_are_errors_not_panics() {
        let item: Item = [
            ("text".to_owned(), s("x")),
            ("number".to_owned(), n(-3)),
            ("list".to_owned(), AttributeValue::L(vec![n(1)])),
        ]
        .into();
        assert!(req_num::<u64>(&item, "number").is_err());
        assert_eq!(req_num::<i64>(&item, "number").unwrap(), -3);
        assert!(req_num::<i64>(&item, "text").is_err());
        assert!(req_str(&item, "absent").is_err());
        assert_eq!(opt_str(&item, "absent").unwrap(), None);
        assert!(req_uuid(&item, "text").is_err());
        assert!(req_strings(&item, "list").is_err());
        assert!(req_bool(&item, "text").is_err());
        assert!(req_enum::<darkroom_core::domain::Visibility>(&item, "text").is_err());
        assert!(req_json::<Vec<String>>(&item, "text").is_err());
        assert!(opt_uuid(&item, "text").is_err());
        assert_eq!(opt_uuid(&item, "absent").unwrap(), None);
        assert!(req_parsed(&item, "text", |_| None::<u8>).is_err());
        assert_eq!(opt_bool(&item, "absent").unwrap(), None);
    }
}
