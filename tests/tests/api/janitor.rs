//! The janitor after a simulated crash, on the stack's own backends: a staging file of a streamed write cut
//! short (on the local store), a multipart upload with no row, and a complete original with no image row
//! are all gone once the clock has passed the grace, while a live resumable upload and a real image are
//! untouched. And completing an upload whose parts were removed from storage is a clear 409.

use std::time::Duration;

use bytes::Bytes;
use darkroom::backends::storage::{connect_stores, Stores};
use darkroom_core::domain::ImageId;
use darkroom_core::ports::{BlobKey, BlobStoreExt, LeaseRepository, StorageError};
use darkroom_core::services::janitor::JANITOR_LEASE;
use darkroom_tests::app::{assert_problem, read_testdata, spawn_app_with, Account, TestApp};
use futures::StreamExt;
use serde_json::json;

use crate::uploads::{create, get_upload, put_part, send};

const PART: usize = 5 * 1024 * 1024;

async fn janitor_app() -> TestApp {
    spawn_app_with(|c| {
        c.upload_part_max_bytes = PART as u64;
        c.janitor_pass_secs = 1;
        // Longer than the time the test moves the clock: the live upload must stay live.
        c.upload_expiry_secs = 7 * 86_400;
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
}

/// The app's leases, opened a second time, as another replica would.
async fn leases(app: &TestApp) -> std::sync::Arc<dyn LeaseRepository> {
    darkroom::backends::database::connect(&app.config.database_url(), false)
        .await
        .unwrap()
        .repositories
        .leases
}

fn bytes(data: &'static [u8]) -> darkroom_core::ports::ByteStream {
    futures::stream::iter([Ok::<_, StorageError>(Bytes::from_static(data))]).boxed()
}

async fn complete(app: &TestApp, who: &Account, id: &str) -> reqwest::Response {
    send(
        app,
        who,
        reqwest::Method::POST,
        &format!("/v1/uploads/{id}/complete"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_janitor_leaves_nothing_of_a_crash_and_spares_what_lives() {
    let app = janitor_app().await;
    let stores: Stores = connect_stores(&app.config.storage_url(), false)
        .await
        .unwrap();
    // No round runs while the crash is staged: moto dates every multipart upload 2010, so a round could
    // take the sync upload below, mid-write, for an abandoned one.
    let leases = leases(&app).await;
    let holder = "the test staging a crash";
    let year = Duration::from_secs(365 * 86_400);
    while !leases
        .acquire_lease(JANITOR_LEASE, holder, app.clock.now(), year)
        .await
        .unwrap()
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let me = app.register("tidy").await;
    let image = app
        .upload_testdata(&me, "photos/jolla.jpg", "private")
        .await;
    let image_id = image["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait_processed(&me, &image_id).await["status"], "ready");
    let upload = create(&app, &me, json!({})).await;
    let upload_id = upload["id"].as_str().unwrap().to_owned();
    let photo = read_testdata("photos/jolla.jpg");
    assert_eq!(
        put_part(&app, &me, &upload_id, 1, photo.clone(), &[])
            .await
            .status(),
        200
    );

    // The crash: a multipart upload whose row was never written, an original stored before its row.
    let lost = BlobKey::parse(&format!("images/{}/original", ImageId::new())).unwrap();
    let abandoned = stores.multipart.create_multipart(&lost).await.unwrap();
    stores
        .multipart
        .put_part(&lost, &abandoned, 1, bytes(b"half an upload"))
        .await
        .unwrap();
    let orphan = BlobKey::parse(&format!("images/{}/original", ImageId::new())).unwrap();
    app.storage
        .put(&orphan, Bytes::from(photo.clone()))
        .await
        .unwrap();
    // And on the local store, a streamed write cut short.
    let staging = app
        .config
        .storage_url()
        .strip_prefix("file://")
        .map(|root| {
            let dir = std::path::Path::new(root).join(format!("images/{}", ImageId::new()));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("original#{}", uuid::Uuid::new_v4().simple()));
            std::fs::write(&file, b"half a write").unwrap();
            file
        });
    let leftover_ids = |leftovers: &[darkroom_core::ports::Leftover]| -> Vec<String> {
        leftovers
            .iter()
            .filter_map(|l| l.upload_id.clone())
            .collect()
    };
    assert!(leftover_ids(&stores.sweep.leftovers().await.unwrap()).contains(&abandoned));

    // A round before the grace has passed removes nothing.
    leases.release_lease(JANITOR_LEASE, holder).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        app.storage.head(&orphan).await.is_ok(),
        "an orphan went before its grace"
    );
    if let Some(file) = &staging {
        assert!(file.exists(), "a staging file went before its grace");
    }

    app.clock.advance(Duration::from_secs(86_400 + 3_600));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ids = leftover_ids(&stores.sweep.leftovers().await.unwrap());
        let gone = !ids.contains(&abandoned)
            && matches!(
                app.storage.head(&orphan).await,
                Err(StorageError::NotFound(_))
            )
            && staging.as_ref().is_none_or(|file| !file.exists());
        if gone {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "leftovers still there 30 s after the grace: multipart {}, orphan {:?}, staging {:?}",
            ids.contains(&abandoned),
            app.storage.head(&orphan).await,
            staging.as_ref().map(|file| file.exists())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if let Some(file) = &staging {
        assert!(
            !file.parent().unwrap().exists(),
            "the staging file's directory stays"
        );
    }

    // What lives is untouched: the upload takes a part again and completes; the image serves.
    assert_eq!(
        put_part(&app, &me, &upload_id, 1, photo.clone(), &[])
            .await
            .status(),
        200
    );
    let completed = complete(&app, &me, &upload_id).await;
    assert_eq!(completed.status(), 202, "{:?}", completed.text().await);
    let original = app
        .get(Some(&me), &format!("/v1/images/{image_id}/original"), &[])
        .await;
    assert_eq!(original.status(), 200);
    assert!(!original.bytes().await.unwrap().is_empty());
    assert!(app
        .storage
        .get(
            &BlobKey::parse(&format!("images/{image_id}/original")).unwrap(),
            None
        )
        .await
        .is_ok());
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("darkroom_janitor_removed_total{kind=\"orphan_blob\"}"),
        "no janitor counter in /metrics"
    );
}

/// An upload whose storage upload was removed (by the janitor, a bucket rule) cannot complete: 409 with
/// its own code, and nothing recorded: no image, and the upload gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_an_upload_whose_parts_are_gone_is_a_conflict() {
    let app = janitor_app().await;
    let stores: Stores = connect_stores(&app.config.storage_url(), false)
        .await
        .unwrap();
    let me = app.register("unlucky").await;
    let upload = create(&app, &me, json!({})).await;
    let id = upload["id"].as_str().unwrap().to_owned();
    assert_eq!(
        put_part(&app, &me, &id, 1, read_testdata("photos/jolla.jpg"), &[])
            .await
            .status(),
        200
    );
    let leftovers = stores.sweep.leftovers().await.unwrap();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    stores.sweep.remove_leftover(&leftovers[0]).await.unwrap();

    let problem = assert_problem(complete(&app, &me, &id).await, 409, "upload_parts_gone").await;
    assert_eq!(problem["type"], "urn:darkroom:problem:upload_parts_gone");
    assert_eq!(get_upload(&app, &me, &id).await.status(), 404);
    let images: serde_json::Value = send(&app, &me, reqwest::Method::GET, "/v1/me/images")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(images["items"], json!([]), "{images}");
    assert_eq!(app.stored_blobs().await, Vec::<String>::new());
}
