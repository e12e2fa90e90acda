//! How `object_store` errors become `StorageError`s. Messages name the blob key, never the backend's own
//! path (for the local store that would be an absolute filesystem path).

use darkroom_core::ports::StorageError;

/// Maps an `object_store` error met while working on `key`.
pub(crate) fn map_error(err: object_store::Error, key: &str) -> StorageError {
    use object_store::Error as E;
    match err {
        E::NotFound { .. } => StorageError::NotFound(key.to_owned()),
        // Credentials or permissions that do not let us in are an outage of the store as far as callers
        // can tell: retrying later (after someone fixes the configuration) is all they can do.
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => {
            StorageError::unavailable_from(format!("access to {key:?} refused"), err)
        }
        E::JoinError { .. } => {
            StorageError::unavailable_from(format!("storage task failed on {key:?}"), err)
        }
        E::Generic { ref source, .. } if is_connection_failure(source.as_ref()) => {
            StorageError::unavailable_from(format!("{key:?}"), err)
        }
        other => StorageError::other_from(format!("{key:?}"), other),
    }
}

/// Whether `err` comes from a connection that could not be made or broke (an S3 endpoint that is down, a
/// network filesystem that timed out): somewhere in its chain of sources is such an I/O error.
fn is_connection_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind as K;
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::NotConnected
                    | K::TimedOut
                    | K::BrokenPipe
                    | K::HostUnreachable
                    | K::NetworkUnreachable
            ) {
                return true;
            }
        }
        current = err.source();
    }
    false
}

/// A key `object_store` refuses although `BlobKey` accepted it.
pub(crate) fn invalid_key(key: &str) -> StorageError {
    StorageError::other(format!("invalid blob key {key:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_names_the_key_not_the_path() {
        let err = object_store::Error::NotFound {
            path: "/var/lib/darkroom/blobs/a/b".into(),
            source: "gone".into(),
        };
        match map_error(err, "a/b") {
            StorageError::NotFound(key) => assert_eq!(key, "a/b"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn connection_failures_are_unavailable() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = object_store::Error::Generic {
            store: "S3",
            source: Box::new(refused),
        };
        assert!(matches!(
            map_error(err, "a"),
            StorageError::Unavailable { .. }
        ));
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, "bad");
        let err = object_store::Error::Generic {
            store: "S3",
            source: Box::new(other),
        };
        assert!(matches!(map_error(err, "a"), StorageError::Other { .. }));
    }

    #[test]
    fn refused_access_is_unavailable() {
        let err = object_store::Error::PermissionDenied {
            path: "a".into(),
            source: "no".into(),
        };
        assert!(matches!(
            map_error(err, "a"),
            StorageError::Unavailable { .. }
        ));
        let err = object_store::Error::NotImplemented;
        assert!(matches!(map_error(err, "a"), StorageError::Other { .. }));
    }
}
