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
            StorageError::Unavailable(format!("access to {key:?} refused: {err}"))
        }
        E::JoinError { .. } => {
            StorageError::Unavailable(format!("storage task failed on {key:?}: {err}"))
        }
        other => StorageError::Other(format!("{key:?}: {other}")),
    }
}

/// A key `object_store` refuses although `BlobKey` accepted it.
pub(crate) fn invalid_key(key: &str) -> StorageError {
    StorageError::Other(format!("invalid blob key {key:?}"))
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
    fn refused_access_is_unavailable() {
        let err = object_store::Error::PermissionDenied {
            path: "a".into(),
            source: "no".into(),
        };
        assert!(matches!(map_error(err, "a"), StorageError::Unavailable(_)));
        let err = object_store::Error::NotImplemented;
        assert!(matches!(map_error(err, "a"), StorageError::Other(_)));
    }
}
