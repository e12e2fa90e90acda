//! The storage port over `object_store`: local filesystem and memory now; S3, MinIO, R2 and Ceph later with
//! a constructor each (`ObjectStoreBlobs::new` already takes any `ObjectStore`).

mod blobs;
#[cfg(feature = "local-storage")]
pub mod encrypted;
mod error;
#[cfg(feature = "memory-cache")]
mod hot_cache;
mod local_multipart;
mod local_reads;
mod local_sweep;
mod local_writes;
mod memory_multipart;
mod multipart;
#[cfg(feature = "s3")]
pub mod s3;
mod sweep;

pub use blobs::ObjectStoreBlobs;
#[cfg(feature = "local-storage")]
pub use encrypted::{EncryptedBlobs, MasterKey, Plaintext};
#[cfg(feature = "memory-cache")]
pub use hot_cache::HotBlobCache;
#[cfg(feature = "s3")]
pub use s3::S3StorageClasses;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use bytes::Bytes;
    use darkroom_core::ports::{BlobKey, BlobStore, StorageError};
    use futures::StreamExt;

    use super::ObjectStoreBlobs;

    /// Every regular file under `dir`, however deep.
    fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    #[tokio::test]
    async fn local_store_creates_its_root_and_names_itself() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("nested/blobs");
        let store = ObjectStoreBlobs::local(&root).unwrap();
        assert!(root.is_dir());
        assert_eq!(store.backend(), "local");
        assert_eq!(ObjectStoreBlobs::in_memory().backend(), "memory");
        store.ping().await.unwrap();
    }

    #[tokio::test]
    async fn failed_stream_leaves_no_staging_file_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ObjectStoreBlobs::local(tmp.path()).unwrap();
        let key = BlobKey::parse("images/x/original").unwrap();
        // Enough to upload one whole part before the failure, so the staging file really existed.
        let chunks = (0..7)
            .map(|_| Ok(Bytes::from(vec![7u8; 1024 * 1024])))
            .chain(std::iter::once(Err(StorageError::Aborted(
                "client went away".into(),
            ))));
        let err = store
            .put_stream(&key, futures::stream::iter(chunks).boxed())
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Aborted(_)), "{err:?}");
        // The staging file is removed on a blocking thread; give it a moment.
        for _ in 0..50 {
            if files_under(tmp.path()).is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(files_under(tmp.path()), Vec::<std::path::PathBuf>::new());
    }

    #[tokio::test]
    async fn listings_hide_staging_files_of_streamed_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ObjectStoreBlobs::local(tmp.path()).unwrap();
        let key = BlobKey::parse("images/z/original").unwrap();
        store.put(&key, Bytes::from_static(b"whole")).await.unwrap();
        // What a write killed before its rename leaves (ours: a uuid; object_store's own: digits).
        for suffix in ["0f3a9c2b4d5e6f708192a3b4c5d6e7f8", "1"] {
            std::fs::write(
                tmp.path().join(format!("images/z/original#{suffix}")),
                b"half",
            )
            .unwrap();
        }
        let listed: Vec<String> = store
            .list("images/")
            .await
            .unwrap()
            .into_iter()
            .map(|blob| blob.key)
            .collect();
        assert_eq!(listed, vec!["images/z/original".to_owned()]);
    }

    #[tokio::test]
    async fn deleting_the_last_blob_removes_its_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ObjectStoreBlobs::local(tmp.path()).unwrap();
        let key = BlobKey::parse("images/y/thumb.jpg").unwrap();
        store.put(&key, Bytes::from_static(b"x")).await.unwrap();
        assert!(tmp.path().join("images/y").is_dir());
        store.delete(&key).await.unwrap();
        assert!(!tmp.path().join("images").exists());
        assert!(tmp.path().is_dir(), "the root itself stays");
    }
}
