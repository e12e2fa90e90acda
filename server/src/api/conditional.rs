//! `Range` and `If-None-Match`, as RFC 9110 has them, for the single-range case.

use std::ops::Range;

/// What a `Range` header asks of a blob of `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range (absent, malformed, or several ranges): the whole blob, 200.
    Whole,
    /// One satisfiable range, 206.
    Part(Range<u64>),
    /// A range entirely past the end, 416.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`. Syntax it does not understand is ignored, as RFC 9110
/// allows, and the whole blob is served.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parsed = match (first.is_empty(), last.is_empty()) {
        (true, true) => return RangeRequest::Whole,
        (true, false) => match last.parse::<u64>() {
            Ok(0) => return RangeRequest::Unsatisfiable,
            Ok(suffix) => Some(size.saturating_sub(suffix)..size),
            Err(_) => None,
        },
        (false, _) => match (first.parse::<u64>(), last.parse::<u64>()) {
            (Ok(start), _) if last.is_empty() => Some(start..size),
            (Ok(start), Ok(end)) if end >= start => Some(start..size.min(end.saturating_add(1))),
            _ => None,
        },
    };
    match parsed {
        None => RangeRequest::Whole,
        Some(range) if range.start >= size => RangeRequest::Unsatisfiable,
        Some(range) => RangeRequest::Part(range),
    }
}

/// Whether `If-None-Match` matches the (unquoted) `etag`: weak comparison, `*` matches anything.
pub fn none_match(header: Option<&str>, etag: &str) -> bool {
    let Some(header) = header else { return false };
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/").trim_matches('"') == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range(None, 100), Whole);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Part(0..10));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Part(90..100));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Part(90..100));
        assert_eq!(parse_range(Some("bytes=-500"), 100), Part(0..100));
        assert_eq!(parse_range(Some("bytes=50-5000"), 100), Part(50..100));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=9-3"), 100), Whole);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), Whole);
        assert_eq!(parse_range(Some("bytes=x-y"), 100), Whole);
    }

    #[test]
    fn etags_match_weakly_and_by_wildcard() {
        assert!(none_match(Some("\"abc\""), "abc"));
        assert!(none_match(Some("W/\"abc\", \"def\""), "def"));
        assert!(none_match(Some("*"), "abc"));
        assert!(!none_match(Some("\"abd\""), "abc"));
        assert!(!none_match(None, "abc"));
    }
}
