//! The `StorageSweep` contract suite. Run it with `sweep_contract_suite!(factory)`, where `factory` is an
//! async fn returning `Fixture<SweepFixture>`: one store seen through `BlobStore`, `MultipartStore` and
//! `StorageSweep`, and the local root when the store keeps files (to leave a staging file as a crash would).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{Duration, Utc};
use darkroom_core::ports::multipart::MIN_PART_BYTES;
use darkroom_core::ports::{
    BlobKey, BlobStore, Leftover, LeftoverKind, MultipartStore, StorageSweep,
};
use futures::StreamExt;

use super::unique;

/// One store seen through three ports.
#[derive(Debug, Clone)]
pub struct SweepFixture {
    pub blobs: Arc<dyn BlobStore>,
    pub multipart: Arc<dyn MultipartStore>,
    pub sweep: Arc<dyn StorageSweep>,
    /// Where the files are, for a store that keeps them (the local store, also beneath encryption).
    pub local_root: Option<PathBuf>,
}

/// Expands to one `#[tokio::test]` per sweep case, each calling `$factory().await` for a fresh store.
#[macro_export]
macro_rules! sweep_contract_suite {
    (@cases $factory:path; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory().await) else { return };
                $crate::contract::sweep::$case((*fixture.port).clone()).await;
            }
        )+
    };
    ($factory:path) => {
        $crate::sweep_contract_suite!(@cases $factory;
            an_abandoned_multipart_is_a_leftover_until_removed,
            completed_and_aborted_uploads_and_blobs_are_no_leftovers,
            dated_listings_are_the_committed_blobs_with_their_times,
            staging_files_are_leftovers_until_removed,
        );
    };
}

fn key(raw: &str) -> BlobKey {
    BlobKey::parse(raw).unwrap()
}

fn part(
    len: u64,
) -> futures::stream::BoxStream<'static, Result<Bytes, darkroom_core::ports::StorageError>> {
    let bytes = Bytes::from(vec![7u8; len as usize]);
    futures::stream::iter([Ok(bytes)]).boxed()
}

async fn multipart_leftovers(store: &SweepFixture) -> Vec<Leftover> {
    store
        .sweep
        .leftovers()
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.kind == LeftoverKind::Multipart)
        .collect()
}

fn ids(leftovers: &[Leftover]) -> Vec<String> {
    leftovers
        .iter()
        .filter_map(|l| l.upload_id.clone())
        .collect()
}

pub async fn an_abandoned_multipart_is_a_leftover_until_removed(store: SweepFixture) {
    let k = key(&format!("{}/images/original", unique("abandoned")));
    let id = store.multipart.create_multipart(&k).await.unwrap();
    store
        .multipart
        .put_part(&k, &id, 1, part(1000))
        .await
        .unwrap();
    let listed = multipart_leftovers(&store).await;
    let found = listed
        .iter()
        .find(|l| l.upload_id.as_deref() == Some(id.as_str()))
        .unwrap_or_else(|| panic!("upload {id} is not among the leftovers {listed:?}"));
    // Never in the future (moto dates every upload 2010, so no lower bound).
    assert!(
        found.started <= Utc::now() + Duration::minutes(5),
        "{found:?}"
    );

    store.sweep.remove_leftover(found).await.unwrap();
    assert!(!ids(&multipart_leftovers(&store).await).contains(&id));
    assert!(
        store
            .multipart
            .put_part(&k, &id, 2, part(10))
            .await
            .is_err(),
        "a removed upload still takes parts"
    );
    // Removing what is gone succeeds.
    store.sweep.remove_leftover(found).await.unwrap();
    assert!(store.blobs.list("").await.unwrap().is_empty());
}

pub async fn completed_and_aborted_uploads_and_blobs_are_no_leftovers(store: SweepFixture) {
    let prefix = unique("finished");
    let done = key(&format!("{prefix}/done"));
    let completed = store.multipart.create_multipart(&done).await.unwrap();
    let one = store
        .multipart
        .put_part(&done, &completed, 1, part(MIN_PART_BYTES))
        .await
        .unwrap();
    let two = store
        .multipart
        .put_part(&done, &completed, 2, part(10))
        .await
        .unwrap();
    store
        .multipart
        .complete_multipart(&done, &completed, &[one, two])
        .await
        .unwrap();
    let dropped = key(&format!("{prefix}/dropped"));
    let aborted = store.multipart.create_multipart(&dropped).await.unwrap();
    store
        .multipart
        .put_part(&dropped, &aborted, 1, part(10))
        .await
        .unwrap();
    store
        .multipart
        .abort_multipart(&dropped, &aborted)
        .await
        .unwrap();
    let plain = key(&format!("{prefix}/plain"));
    store
        .blobs
        .put(&plain, Bytes::from_static(b"plain"))
        .await
        .unwrap();
    store
        .blobs
        .put_stream(
            &key(&format!("{prefix}/streamed")),
            part(MIN_PART_BYTES + 1),
        )
        .await
        .unwrap();

    let leftovers = store.sweep.leftovers().await.unwrap();
    assert!(leftovers.is_empty(), "finished writes left {leftovers:?}");
}

pub async fn dated_listings_are_the_committed_blobs_with_their_times(store: SweepFixture) {
    let prefix = unique("dated");
    for name in ["a", "b/c"] {
        store
            .blobs
            .put(
                &key(&format!("{prefix}/{name}")),
                Bytes::from_static(b"12345"),
            )
            .await
            .unwrap();
    }
    // An upload in progress under the same prefix is not a blob.
    let pending = key(&format!("{prefix}/pending"));
    let id = store.multipart.create_multipart(&pending).await.unwrap();
    store
        .multipart
        .put_part(&pending, &id, 1, part(10))
        .await
        .unwrap();

    let mut dated = store.sweep.list_dated(&format!("{prefix}/")).await.unwrap();
    dated.sort_by(|a, b| a.key.cmp(&b.key));
    let keys: Vec<&str> = dated.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(keys, [format!("{prefix}/a"), format!("{prefix}/b/c")]);
    let now = Utc::now();
    for blob in &dated {
        assert_eq!(blob.size, 5, "{blob:?}");
        assert!(
            (now - blob.modified).abs() < Duration::minutes(5),
            "{blob:?} is not dated about now ({now})"
        );
    }
    assert!(store
        .sweep
        .list_dated(&format!("{prefix}/x"))
        .await
        .unwrap()
        .is_empty());
    store
        .multipart
        .abort_multipart(&pending, &id)
        .await
        .unwrap();
}

pub async fn staging_files_are_leftovers_until_removed(store: SweepFixture) {
    let Some(root) = store.local_root.clone() else {
        // Only a store of files has staging files.
        let staging = store.sweep.leftovers().await.unwrap();
        assert!(
            staging.iter().all(|l| l.kind == LeftoverKind::Multipart),
            "{staging:?}"
        );
        return;
    };
    let dir = unique("crashed");
    let name = format!("images/{dir}/original#{}", uuid::Uuid::new_v4().simple());
    std::fs::create_dir_all(root.join(format!("images/{dir}"))).unwrap();
    std::fs::write(root.join(&name), b"half a write").unwrap();
    // A committed blob beside it stays a blob.
    let kept = key(&format!("images/{dir}-kept/original"));
    store
        .blobs
        .put(&kept, Bytes::from_static(b"whole"))
        .await
        .unwrap();

    let listed: Vec<String> = store
        .blobs
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.key)
        .collect();
    assert_eq!(
        listed,
        vec![kept.as_str().to_owned()],
        "a staging file is no blob"
    );
    let dated = store.sweep.list_dated("images/").await.unwrap();
    assert_eq!(dated.len(), 1, "{dated:?}");

    let leftovers = store.sweep.leftovers().await.unwrap();
    let [found] = &leftovers[..] else {
        panic!("expected the staging file alone, got {leftovers:?}");
    };
    assert_eq!(
        (found.kind, found.key.as_str(), found.upload_id.as_deref()),
        (LeftoverKind::StagingFile, name.as_str(), None)
    );
    assert!(
        (Utc::now() - found.started).abs() < Duration::minutes(5),
        "{found:?}"
    );

    store.sweep.remove_leftover(found).await.unwrap();
    assert!(!root.join(&name).exists());
    assert!(
        !root.join(format!("images/{dir}")).exists(),
        "its emptied directory stays"
    );
    assert!(store.sweep.leftovers().await.unwrap().is_empty());
    store.sweep.remove_leftover(found).await.unwrap();
    assert_eq!(store.blobs.list("").await.unwrap().len(), 1);
}
