//! The `limit` and `cursor` query parameters every list takes, read once.

use darkroom_core::domain::{Cursor, PageRequest};

use super::problem::ProblemResponse;

/// A bounded page request from the raw query parameters; a cursor this server did not issue is a 400.
pub fn page_request(
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<PageRequest, ProblemResponse> {
    let after = match cursor {
        None => None,
        Some(raw) => Some(Cursor::decode(raw).ok_or_else(|| {
            ProblemResponse::bad_request(
                "invalid_cursor",
                "the cursor is not one this server issued",
            )
        })?),
    };
    Ok(PageRequest::new(limit, after))
}
