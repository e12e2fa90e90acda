//! The Redis URL: `redis://[user:password@]host[:port][/db][?prefix=NAME]`. The prefix is ours and comes out
//! before the rest goes to the redis crate; `protocol` passes through; anything else is refused, so a typo in
//! configuration fails at start.

use darkroom_core::ports::CacheError;

/// The namespace keys live under when the URL names none.
pub(super) const DEFAULT_PREFIX: &str = "darkroom";
const MAX_PREFIX_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RedisUrl {
    /// What the redis crate is given: the URL without our parameters.
    pub(super) connect: String,
    pub(super) prefix: String,
}

impl RedisUrl {
    pub(super) fn parse(url: &str) -> Result<Self, CacheError> {
        let invalid = |why: String| CacheError::other(format!("invalid redis url: {why}"));
        let mut parsed = ::redis::parse_redis_url(url)
            .ok_or_else(|| invalid("expected redis://host[:port][/db][?prefix=NAME]".into()))?;
        let mut prefix = DEFAULT_PREFIX.to_owned();
        let mut kept = Vec::new();
        let mut unknown = Vec::new();
        for (key, value) in parsed.query_pairs() {
            match &*key {
                "prefix" => {
                    prefix = valid_prefix(&value).ok_or_else(|| {
                        invalid(format!(
                            "prefix {value:?} must be 1 to {MAX_PREFIX_LEN} of A-Z, a-z, 0-9, _, -, . and :"
                        ))
                    })?;
                }
                "protocol" => kept.push((key.into_owned(), value.into_owned())),
                _ => unknown.push(key.into_owned()),
            }
        }
        if !unknown.is_empty() {
            return Err(invalid(format!(
                "unknown query parameter(s): {}",
                unknown.join(", ")
            )));
        }
        parsed.set_query(None);
        if !kept.is_empty() {
            parsed.query_pairs_mut().extend_pairs(kept);
        }
        Ok(Self {
            connect: parsed.into(),
            prefix,
        })
    }
}

/// Prefixes are also used in `SCAN MATCH {prefix}:*`, so none of glob's special characters may appear.
fn valid_prefix(raw: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    (!raw.is_empty() && raw.len() <= MAX_PREFIX_LEN && raw.chars().all(allowed))
        .then(|| raw.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_prefix_is_taken_out_and_defaults() {
        let url = RedisUrl::parse("redis://:secret@cache.internal:6380/2?prefix=tenant_1").unwrap();
        assert_eq!(url.prefix, "tenant_1");
        assert_eq!(url.connect, "redis://:secret@cache.internal:6380/2");

        let plain = RedisUrl::parse("redis://127.0.0.1:6379").unwrap();
        assert_eq!(plain.prefix, DEFAULT_PREFIX);

        let resp3 = RedisUrl::parse("redis://127.0.0.1/?protocol=resp3&prefix=a.b-c:d").unwrap();
        assert_eq!(resp3.prefix, "a.b-c:d");
        assert_eq!(resp3.connect, "redis://127.0.0.1/?protocol=resp3");
    }

    #[test]
    fn unknown_parameters_and_bad_prefixes_are_refused() {
        let err = RedisUrl::parse("redis://h?prefix=p&ttl=3&db=1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ttl") && err.contains("db"), "{err}");
        for bad in ["", "a*", "a b", "a?", "[x]", &"p".repeat(101)] {
            let url = format!("redis://h?prefix={}", bad.replace(' ', "%20"));
            assert!(RedisUrl::parse(&url).is_err(), "{bad:?}");
        }
        assert!(RedisUrl::parse("http://h").is_err());
        assert!(RedisUrl::parse("not a url").is_err());
    }
}
