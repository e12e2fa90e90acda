//! Encryption at rest of the local store, through the API: with `storage_encryption_key` set, an upload,
//! its processing and its downloads (whole and by range) work as before, while every file the store
//! keeps on disk is ciphertext in the encrypted format.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use base64::Engine;
use darkroom_tests::app::{read_testdata, spawn_app_with};

/// The first bytes of every encrypted blob (magic and format version).
const MAGIC: [u8; 8] = [0xD7, b'D', b'R', b'K', b'E', b'N', b'C', 0x01];

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn blobs_are_ciphertext_on_disk_and_served_whole_and_by_range() {
    let key = base64::engine::general_purpose::STANDARD.encode([11u8; 32]);
    let mut local = true;
    let app = spawn_app_with(|config| {
        // The shared stacks store blobs in S3, whose encryption is the server's (`sse=`).
        local = config.storage_url.is_none();
        if local {
            config.storage_encryption_key = Some(key);
        }
    })
    .await;
    if !local {
        eprintln!(
            "this stack stores blobs in s3, whose encryption is its own (sse=): nothing to check"
        );
        return;
    }
    let me = app.register("sealed").await;
    let upload = read_testdata("photos/DSCN0010.jpg");
    let image = app
        .upload_testdata(&me, "photos/DSCN0010.jpg", "private")
        .await;
    let id = image["id"].as_str().unwrap();
    app.wait_processed(&me, id).await;

    let path = format!("/v1/images/{id}/original");
    let whole = app.get(Some(&me), &path, &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().to_vec(), upload);
    // Across the 64 KiB segments the store encrypts in.
    let ranged = app
        .get(Some(&me), &path, &[("range", "bytes=65000-140000")])
        .await;
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.bytes().await.unwrap().to_vec(),
        &upload[65000..=140000]
    );
    let variant = app
        .get(
            Some(&me),
            &format!("/v1/images/{id}/variants/small?format=jpeg"),
            &[],
        )
        .await;
    assert_eq!(variant.status(), 200);
    assert!(variant.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));

    let blobs = files_under(&app.data_dir().join("blobs"));
    assert!(blobs.len() >= 3, "the original and its variants: {blobs:?}");
    let sample = &upload[upload.len() / 2..upload.len() / 2 + 64];
    for file in blobs {
        let stored = std::fs::read(&file).unwrap();
        assert!(
            stored.starts_with(&MAGIC),
            "{} is not encrypted",
            file.display()
        );
        assert!(
            !stored.windows(64).any(|w| w == sample),
            "{}",
            file.display()
        );
    }
}
