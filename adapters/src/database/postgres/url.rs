//! The Postgres URL: what sqlx understands, plus `schema=NAME`, which is ours. sqlx ignores parameters it does
//! not know (with a log line); we refuse them instead, so a typo in configuration fails at start.

use std::str::FromStr;

use darkroom_core::ports::DbError;
use sqlx::postgres::PgConnectOptions;

/// The query parameters sqlx's Postgres driver reads (`sqlx-postgres`, `options/parse.rs`).
const SQLX_PARAMETERS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// A parsed `postgres://…[?schema=NAME&…]` URL.
#[derive(Debug, Clone)]
pub(super) struct PostgresUrl {
    pub(super) options: PgConnectOptions,
    /// The schema every connection works in (its `search_path`), when the URL names one.
    pub(super) schema: Option<String>,
}

impl PostgresUrl {
    pub(super) fn parse(url: &str) -> Result<Self, DbError> {
        let invalid = |why: String| DbError::other(format!("invalid postgres url: {why}"));
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("expected postgres://…".into()));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut schema = None;
        let mut kept = Vec::new();
        let mut unknown = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == "schema" {
                schema = Some(schema_name(value).ok_or_else(|| {
                    invalid(format!(
                        "schema {value:?} must be 1 to 63 of a-z, 0-9 and _, starting with a letter or _"
                    ))
                })?);
            } else if SQLX_PARAMETERS.contains(&key)
                || key.starts_with("options[")
                || key.starts_with("options%5B")
            {
                kept.push(pair);
            } else {
                unknown.push(key);
            }
        }
        if !unknown.is_empty() {
            return Err(invalid(format!(
                "unknown query parameter(s): {}",
                unknown.join(", ")
            )));
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut options = PgConnectOptions::from_str(&rest).map_err(|e| invalid(e.to_string()))?;
        if let Some(schema) = &schema {
            // A startup parameter rather than a `SET` after connecting: it holds for every connection the
            // pool ever opens, reconnections included, at no extra round trip.
            options = options.options([("search_path", schema)]);
        }
        Ok(Self { options, schema })
    }

    /// `host:port/database`, for messages: never the password.
    pub(super) fn display(&self) -> String {
        format!(
            "{}:{}/{}",
            self.options.get_host(),
            self.options.get_port(),
            self.options.get_database().unwrap_or("")
        )
    }
}

/// A schema name we can put in `search_path` and in SQL without quoting surprises: lowercase, as Postgres
/// folds unquoted identifiers.
fn schema_name(raw: &str) -> Option<String> {
    let mut chars = raw.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (first_ok && rest_ok && raw.len() <= 63).then(|| raw.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_schema_is_taken_out_and_the_rest_goes_to_sqlx() {
        let url = PostgresUrl::parse(
            "postgres://app:secret@db.internal:6543/darkroom?sslmode=disable&schema=tenant_1&application_name=dr",
        )
        .unwrap();
        assert_eq!(url.schema.as_deref(), Some("tenant_1"));
        assert_eq!(url.options.get_host(), "db.internal");
        assert_eq!(url.options.get_port(), 6543);
        assert_eq!(url.options.get_database(), Some("darkroom"));
        assert_eq!(url.options.get_application_name(), Some("dr"));
        assert!(url
            .options
            .get_options()
            .unwrap()
            .contains("search_path=tenant_1"));
        assert_eq!(url.display(), "db.internal:6543/darkroom");
        assert!(!url.display().contains("secret"));

        let plain = PostgresUrl::parse("postgresql://postgres@127.0.0.1/postgres").unwrap();
        assert_eq!(plain.schema, None);
        assert_eq!(plain.options.get_options(), None);
    }

    #[test]
    fn unknown_parameters_and_bad_schemas_are_refused() {
        let err = PostgresUrl::parse("postgres://h/db?schema=s&pool=3&sslmod=require").unwrap_err();
        let err = darkroom_core::ports::source::chain(&err);
        assert!(err.contains("pool") && err.contains("sslmod"), "{err}");
        for bad in ["", "Upper", "1st", "a-b", "a;drop", &"a".repeat(64)] {
            let url = format!("postgres://h/db?schema={bad}");
            assert!(PostgresUrl::parse(&url).is_err(), "{bad}");
        }
        assert!(PostgresUrl::parse("mysql://h/db").is_err());
        assert!(PostgresUrl::parse("postgres://h/db?options[statement_timeout]=5s").is_ok());
    }
}
