//! `darkroom backup --to s3://BUCKET/PREFIX` and `restore --from s3://…` against moto
//! (`DARKROOM_TEST_AWS_ENDPOINT`): a running server's data goes up, comes back into a fresh data dir, and a
//! server started there serves every image processed before the backup. A prefix without a manifest (a
//! backup that stopped half-way) is refused, and so is a prefix that already holds a backup.

use darkroom::backup::{backup_to, restore_from, Location};
use darkroom_tests::app::spawn_app;
use darkroom_tests::services::{require, unique_name, AWS_ENDPOINT};
use darkroom_tests::stacks;

const BUCKET: &str = "darkroom-backup-tests";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_in_s3_restores_into_a_fresh_data_dir() {
    // The shared stacks' data is backed up with their own tools (docs/backup.md; see backup.rs).
    if stacks::current() != "embedded" {
        return;
    }
    let Some(endpoint) = require(AWS_ENDPOINT, "backup_s3") else {
        return;
    };
    // The bucket is the operator's to create (with versioning, a lifecycle): here, the storage adapter's.
    darkroom::backends::storage::connect(
        &format!("s3://{BUCKET}?region=us-east-1&endpoint={endpoint}"),
        true,
    )
    .await
    .unwrap();
    let at = |prefix: &str| {
        Location::parse(&format!(
            "s3://{BUCKET}/{prefix}?region=us-east-1&endpoint={endpoint}"
        ))
        .unwrap()
    };

    let app = spawn_app().await;
    let me = app.register("cloudkeeper").await;
    let mut ids = Vec::new();
    for photo in ["photos/Canon_40D.jpg", "photos/Nikon_D70.jpg"] {
        let image = app.upload_testdata(&me, photo, "private").await;
        let id = image["id"].as_str().unwrap().to_owned();
        assert_eq!(app.wait_processed(&me, &id).await["status"], "ready");
        ids.push(id);
    }

    let prefix = format!("nightly/{}", unique_name("b"));
    let manifest = backup_to(&app.config, &at(&prefix)).await.unwrap();
    assert!(manifest.files.iter().any(|f| f.path == "darkroom.sqlite"));
    assert!(manifest.files.iter().any(|f| f.path == "queue.sqlite"));
    assert!(manifest.files.iter().any(|f| f.path == "jwt.secret"));
    assert!(manifest.files.iter().any(|f| f.path.starts_with("blobs/")));
    // The staging of the snapshots is gone from the data dir.
    assert!(std::fs::read_dir(app.data_dir()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".backup-")));
    // A prefix holding a backup is not written over.
    let err = backup_to(&app.config, &at(&prefix)).await.unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err:#}");

    // A backup that stopped before its manifest: its files are there, and still it is refused.
    let half = format!("half/{}", unique_name("b"));
    let half_store = darkroom::backends::storage::connect(
        &format!("s3://{BUCKET}?region=us-east-1&endpoint={endpoint}&prefix={half}"),
        false,
    )
    .await
    .unwrap();
    half_store
        .put(
            &darkroom_core::ports::BlobKey::parse("darkroom.sqlite").unwrap(),
            bytes::Bytes::from_static(b"not a whole backup"),
        )
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let refused = root.path().join("refused");
    let err = restore_from(&at(&half), &refused).await.unwrap_err();
    assert!(err.to_string().contains("manifest.json"), "{err:#}");
    assert!(!refused.exists(), "nothing is written for a refused backup");

    // Never over live data.
    let err = restore_from(&at(&prefix), app.data_dir())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err:#}");

    let restored = root.path().join("restored");
    let back = restore_from(&at(&prefix), &restored).await.unwrap();
    assert_eq!(back.files.len(), manifest.files.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&restored), 0o700);
        assert_eq!(mode(&restored.join("jwt.secret")), 0o600);
    }
    let mut app = app;
    app.shutdown().await;

    super::backup::serves_every_image(&restored, &me, &ids).await;
}
