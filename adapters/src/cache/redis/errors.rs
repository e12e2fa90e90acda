//! Redis errors in the port's terms: anything that says "not now" (I/O, timeouts, a server loading its
//! data or failing over) is `Unavailable`, the rest `Other`.

use ::redis::{ErrorKind, RedisError};
use darkroom_core::ports::CacheError;

pub(super) fn cache_error(err: RedisError) -> CacheError {
    let transient = matches!(
        err.kind(),
        ErrorKind::IoError
            | ErrorKind::BusyLoadingError
            | ErrorKind::TryAgain
            | ErrorKind::ClusterDown
            | ErrorKind::MasterDown
            | ErrorKind::ReadOnly
            | ErrorKind::ClusterConnectionNotFound
    );
    if transient {
        CacheError::unavailable_from("redis", err)
    } else {
        CacheError::other_from("redis", err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_unavailable() {
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(
            cache_error(refused),
            CacheError::Unavailable { .. }
        ));
        let typed = RedisError::from((ErrorKind::TypeError, "not bytes"));
        assert!(matches!(cache_error(typed), CacheError::Other { .. }));
    }
}
