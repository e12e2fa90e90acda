//! The archive tier of originals (issue 10): with the clock moved past `archive_after_days`, the worker's
//! pass moves unread originals (never variants) to the tier — a second local directory on embedded
//! defaults, the S3 storage class on the S3 stacks — and reading one brings it back with the same bytes and
//! ETag. Recently read originals stay; deletion and the purge take archived copies too.

use std::sync::Arc;
use std::time::Duration;

use darkroom::config::Config;
use darkroom_core::ports::{BlobKey, BlobStore};
use darkroom_tests::app::{assert_problem, spawn_app_with, Account, TestApp};
use darkroom_tests::social::{eventually, same};

const DAY: Duration = Duration::from_secs(86_400);

/// The archive tier on every stack: a second directory beside the data dir's blobs on local storage; on
/// S3, the default storage class tier (no second store).
fn with_archive(config: &mut Config) {
    config.archive_pass_secs = 1;
    config.retention_pass_secs = 1;
    if !config.storage_url().starts_with("s3://") {
        config.archive_storage_url = Some(format!(
            "file://{}",
            config.data_dir.join("archive").display()
        ));
    }
}

fn on_s3(app: &TestApp) -> bool {
    app.config.storage_url().starts_with("s3://")
}

/// Where an original is now, as storage tells: in the hot store in the default class, or archived.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    Hot,
    Archived,
    /// In both stores, or neither, or in a class other than the configured one.
    Elsewhere(String),
}

async fn archive_store(app: &TestApp) -> Option<Arc<dyn BlobStore>> {
    let url = app.config.archive_storage_url.as_ref()?;
    Some(
        darkroom::backends::storage::connect(url, false)
            .await
            .unwrap(),
    )
}

async fn exists(store: &dyn BlobStore, key: &str) -> bool {
    store.head(&BlobKey::parse(key).unwrap()).await.is_ok()
}

#[cfg(feature = "s3")]
async fn class_of(app: &TestApp, key: &str) -> String {
    use darkroom_core::ports::StorageClassStore;
    let classes = darkroom_adapters::storage::S3StorageClasses::from_url(&app.config.storage_url())
        .await
        .unwrap();
    classes
        .storage_class(&BlobKey::parse(key).unwrap())
        .await
        .unwrap()
}

#[cfg(not(feature = "s3"))]
async fn class_of(_app: &TestApp, _key: &str) -> String {
    unreachable!("the S3 stacks need the s3 feature")
}

async fn place(app: &TestApp, key: &str) -> Place {
    let hot = exists(app.storage.as_ref(), key).await;
    if on_s3(app) {
        if !hot {
            return Place::Elsewhere("missing".into());
        }
        let class = class_of(app, key).await;
        return match class.as_str() {
            "STANDARD" => Place::Hot,
            c if c == app.config.archive_storage_class => Place::Archived,
            other => Place::Elsewhere(other.into()),
        };
    }
    let archived = exists(archive_store(app).await.unwrap().as_ref(), key).await;
    match (hot, archived) {
        (true, _) => Place::Hot,
        (false, true) => Place::Archived,
        (false, false) => Place::Elsewhere("missing".into()),
    }
}

/// The keys of an image's originals: the upload and the public copy.
async fn original_keys(app: &TestApp, id: &str) -> Vec<String> {
    let keys: Vec<String> = app
        .blobs_of(id)
        .await
        .into_iter()
        .filter(|key| key.ends_with("/original") || key.contains("/public-original."))
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    keys
}

async fn wait_until_archived(app: &TestApp, keys: &[String]) {
    for key in keys {
        eventually("the original archived", || async {
            same(place(app, key).await, Place::Archived)
        })
        .await;
    }
}

/// A ready public image with every late format made; its id.
async fn settled_image(app: &TestApp, who: &Account) -> String {
    let id = app.ready_image(who, "public").await;
    app.wait_variant_format(who, &id, "avif").await;
    id
}

/// Status, ETag and bytes of a GET.
async fn fetched(app: &TestApp, who: Option<&Account>, path: &str) -> (u16, String, Vec<u8>) {
    let response = app.get(who, path, &[]).await;
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, etag, response.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_originals_move_to_the_archive_and_come_back_when_read() {
    let app = spawn_app_with(with_archive).await;
    let owner = app.register("archivist").await;
    let unread = settled_image(&app, &owner).await;
    let read = settled_image(&app, &owner).await;
    let original = |id: &str| format!("/v1/images/{id}/original");
    let owners_copy = fetched(&app, Some(&owner), &original(&unread)).await;
    let public_copy = fetched(&app, None, &original(&unread)).await;
    assert_eq!((owners_copy.0, public_copy.0), (200, 200));
    assert_ne!(
        owners_copy.1, public_copy.1,
        "the upload's hash is the owner's"
    );
    let keys = original_keys(&app, &unread).await;
    let read_keys = original_keys(&app, &read).await;
    let variants: Vec<String> = app
        .blobs_of(&unread)
        .await
        .into_iter()
        .filter(|key| key.contains("/variants/"))
        .collect();
    assert!(!variants.is_empty());

    // Sixty days on, one of them is read (a day-old last read is noted); thirty-one more, the other has gone
    // unread past the window and moves, while the one read a month ago stays.
    app.clock.advance(60 * DAY);
    assert_eq!(fetched(&app, Some(&owner), &original(&read)).await.0, 200);
    app.clock.advance(31 * DAY);
    wait_until_archived(&app, &keys).await;
    for key in &read_keys {
        assert_eq!(place(&app, key).await, Place::Hot, "{key} was read lately");
    }
    // Variants never move.
    for key in &variants {
        assert_eq!(place(&app, key).await, Place::Hot, "{key}");
    }
    if let Some(archive) = archive_store(&app).await {
        let listed = archive.list(&format!("images/{unread}/")).await.unwrap();
        assert_eq!(listed.len(), 2, "only the originals: {listed:?}");
    }

    // Read, it comes back: the same bytes under the same validators, for the owner and for everyone.
    assert_eq!(
        fetched(&app, Some(&owner), &original(&unread)).await,
        owners_copy
    );
    for key in &keys {
        assert_eq!(place(&app, key).await, Place::Hot, "{key} brought back");
    }
    assert_eq!(fetched(&app, None, &original(&unread)).await, public_copy);
    let image = app
        .read_json(Some(&owner), &format!("/v1/images/{unread}"))
        .await;
    assert_eq!(
        format!("\"{}\"", image["sha256"].as_str().unwrap()),
        owners_copy.1
    );
    // Ranges and conditional requests work on it as on any original.
    let ranged = app
        .get(Some(&owner), &original(&unread), &[("range", "bytes=0-9")])
        .await;
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap().to_vec(), owners_copy.2[..10]);
    let unchanged = app
        .get(
            Some(&owner),
            &original(&unread),
            &[("if-none-match", owners_copy.1.as_str())],
        )
        .await;
    assert_eq!(unchanged.status(), 304);

    // Just read, it stays hot through the next passes.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for key in &keys {
        assert_eq!(place(&app, key).await, Place::Hot, "{key} was just read");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transformations_bring_an_archived_original_back() {
    let app = spawn_app_with(with_archive).await;
    let owner = app.register("framer").await;
    let id = settled_image(&app, &owner).await;
    let keys = original_keys(&app, &id).await;
    app.clock.advance(91 * DAY);
    wait_until_archived(&app, &keys).await;
    let rendered = app
        .get(None, &format!("/v1/t/_/rs:fit:64:0/{id}.png"), &[])
        .await;
    assert_eq!(rendered.status(), 200);
    assert_eq!(place(&app, &keys[0]).await, Place::Hot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_archived_originals_restore_and_purge_with_the_image() {
    let app = spawn_app_with(with_archive).await;
    let owner = app.register("keeper").await;
    let id = settled_image(&app, &owner).await;
    let path = format!("/v1/images/{id}/original");
    let before = fetched(&app, Some(&owner), &path).await;
    let keys = original_keys(&app, &id).await;
    app.clock.advance(91 * DAY);
    wait_until_archived(&app, &keys).await;

    // Deleted and restored while archived: the original still comes back.
    let delete = |id: String| {
        let app = &app;
        let owner = &owner;
        async move {
            app.client
                .delete(app.url(&format!("/v1/images/{id}")))
                .bearer_auth(&owner.access_token)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(delete(id.clone()).await.status(), 204);
    assert_problem(app.get(Some(&owner), &path, &[]).await, 404, "not_found").await;
    let restored = app
        .client
        .post(app.url(&format!("/v1/images/{id}/restore")))
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200);
    assert_eq!(fetched(&app, Some(&owner), &path).await, before);

    // Archived again, deleted, and past the retention window: nothing of it is left in either store.
    app.clock.advance(91 * DAY);
    wait_until_archived(&app, &keys).await;
    assert_eq!(delete(id.clone()).await.status(), 204);
    app.purge_after_retention(&id).await;
    if let Some(archive) = archive_store(&app).await {
        let prefix = format!("images/{id}/");
        eventually("the archived copies purged", || async {
            same(archive.list(&prefix).await.unwrap().len(), 0)
        })
        .await;
    }
    for key in &keys {
        assert_eq!(
            place(&app, key).await,
            Place::Elsewhere("missing".into()),
            "{key}"
        );
    }
}

/// A class that needs a restore (S3 Glacier): 202 with `Retry-After` and a problem+json body until the
/// restore is done, then the same bytes and ETag. Moto finishes a restore at once, so the second read is
/// the one after it. Only on the S3 stacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_glacier_original_answers_202_until_restored() {
    let app = spawn_app_with(|config| {
        with_archive(config);
        config.archive_storage_class = "GLACIER".into();
    })
    .await;
    if !on_s3(&app) {
        assert!(app.config.archive_storage_url.is_some());
        return;
    }
    let owner = app.register("glacial").await;
    let id = settled_image(&app, &owner).await;
    let path = format!("/v1/images/{id}/original");
    let before = fetched(&app, Some(&owner), &path).await;
    let keys = original_keys(&app, &id).await;
    app.clock.advance(91 * DAY);
    wait_until_archived(&app, &keys).await;

    let restoring = app.get(Some(&owner), &path, &[]).await;
    assert_eq!(restoring.status(), 202);
    let retry_after: u64 = restoring.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_eq!(
        restoring.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem: serde_json::Value = restoring.json().await.unwrap();
    assert_eq!(problem["code"], "original_restoring");

    eventually("the restored original served", || async {
        same(fetched(&app, Some(&owner), &path).await, before.clone())
    })
    .await;
    for key in &keys {
        assert_eq!(class_of(&app, key).await, "STANDARD");
    }
}
