//! The `MultipartStore` contract suite. Run it with `multipart_contract_suite!(factory)`, where `factory` is
//! an async fn returning `Fixture<MultipartFixture>`: a store's multipart capability and the same store as a
//! `BlobStore`, to see what appears (and what does not).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use darkroom_core::ports::multipart::MIN_PART_BYTES;
use darkroom_core::ports::{
    BlobKey, BlobStore, BlobStoreExt, ByteStream, MultipartStore, PartReceipt, StorageError,
};
use futures::StreamExt;

use super::unique;

/// One store seen through both ports.
#[derive(Debug, Clone)]
pub struct MultipartFixture {
    pub blobs: Arc<dyn BlobStore>,
    pub multipart: Arc<dyn MultipartStore>,
}

/// Expands to one `#[tokio::test]` per multipart case, each calling `$factory().await` for a fresh store.
#[macro_export]
macro_rules! multipart_contract_suite {
    (@cases $factory:path; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory().await) else { return };
                $crate::contract::multipart::$case((*fixture.port).clone()).await;
            }
        )+
    };
    ($factory:path) => {
        $crate::multipart_contract_suite!(@cases $factory;
            parts_complete_into_one_blob,
            nothing_shows_before_completion,
            resending_a_part_replaces_it,
            a_failed_part_stream_keeps_the_earlier_part,
            abort_leaves_nothing_and_is_idempotent,
            parts_out_of_sequence_do_not_complete,
        );
    };
}

fn key(raw: &str) -> BlobKey {
    BlobKey::parse(raw).unwrap()
}

fn filled(len: u64, seed: u8) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|i| (i % 251) as u8 ^ seed)
            .collect::<Vec<u8>>(),
    )
}

/// `data` in uneven chunks, then `then_fail` if given.
fn stream(data: &Bytes, then_fail: Option<StorageError>) -> ByteStream {
    let mut chunks = Vec::new();
    let mut at = 0;
    for size in [100_000usize, 1, 65_536, 777_777].into_iter().cycle() {
        if at >= data.len() {
            break;
        }
        let end = (at + size).min(data.len());
        chunks.push(Ok(data.slice(at..end)));
        at = end;
    }
    chunks.extend(then_fail.map(Err));
    futures::stream::iter(chunks).boxed()
}

async fn put(
    store: &MultipartFixture,
    k: &BlobKey,
    id: &str,
    number: u32,
    data: &Bytes,
) -> PartReceipt {
    let receipt = store
        .multipart
        .put_part(k, id, number, stream(data, None))
        .await
        .unwrap();
    assert_eq!((receipt.number, receipt.size), (number, data.len() as u64));
    receipt
}

async fn under(store: &MultipartFixture, prefix: &str) -> Vec<String> {
    let mut keys: Vec<String> = store
        .blobs
        .list(prefix)
        .await
        .unwrap()
        .into_iter()
        .map(|blob| blob.key)
        .collect();
    keys.sort();
    keys
}

pub async fn parts_complete_into_one_blob(store: MultipartFixture) {
    let prefix = unique("mp");
    let k = key(&format!("{prefix}/images/original"));
    let id = store.multipart.create_multipart(&k).await.unwrap();
    let (first, second) = (filled(MIN_PART_BYTES, 1), filled(1234, 2));
    // Sent out of order: numbers, not arrival, decide the order.
    let two = put(&store, &k, &id, 2, &second).await;
    let one = put(&store, &k, &id, 1, &first).await;
    let meta = store
        .multipart
        .complete_multipart(&k, &id, &[one, two])
        .await
        .unwrap();
    assert_eq!(meta.size, MIN_PART_BYTES + 1234);
    let whole = store.blobs.get(&k, None).await.unwrap();
    assert_eq!(whole.len() as u64, meta.size);
    assert!(whole[..first.len()] == first[..] && whole[first.len()..] == second[..]);
    assert_eq!(under(&store, "").await, vec![k.as_str().to_owned()]);
}

pub async fn nothing_shows_before_completion(store: MultipartFixture) {
    let prefix = unique("hidden");
    let k = key(&format!("{prefix}/blob"));
    let id = store.multipart.create_multipart(&k).await.unwrap();
    put(&store, &k, &id, 1, &filled(1000, 3)).await;
    assert!(matches!(
        store.blobs.head(&k).await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(under(&store, "").await, Vec::<String>::new());
    store.multipart.abort_multipart(&k, &id).await.unwrap();
}

pub async fn resending_a_part_replaces_it(store: MultipartFixture) {
    let k = key(&format!("{}/blob", unique("resend")));
    let id = store.multipart.create_multipart(&k).await.unwrap();
    put(&store, &k, &id, 1, &filled(5000, 4)).await;
    let again = filled(700, 5);
    let receipt = put(&store, &k, &id, 1, &again).await;
    store
        .multipart
        .complete_multipart(&k, &id, &[receipt])
        .await
        .unwrap();
    assert_eq!(store.blobs.get(&k, None).await.unwrap(), again);
}

pub async fn a_failed_part_stream_keeps_the_earlier_part(store: MultipartFixture) {
    let k = key(&format!("{}/blob", unique("keep")));
    let id = store.multipart.create_multipart(&k).await.unwrap();
    let good = filled(3000, 6);
    let receipt = put(&store, &k, &id, 1, &good).await;
    let failed = store
        .multipart
        .put_part(
            &k,
            &id,
            1,
            stream(
                &filled(9000, 7),
                Some(StorageError::Aborted("checksum mismatch".into())),
            ),
        )
        .await;
    assert!(
        matches!(failed, Err(StorageError::Aborted(_))),
        "{failed:?}"
    );
    store
        .multipart
        .complete_multipart(&k, &id, &[receipt])
        .await
        .unwrap();
    assert_eq!(store.blobs.get(&k, None).await.unwrap(), good);
}

pub async fn abort_leaves_nothing_and_is_idempotent(store: MultipartFixture) {
    let prefix = unique("abort");
    let k = key(&format!("{prefix}/blob"));
    let id = store.multipart.create_multipart(&k).await.unwrap();
    let one = put(&store, &k, &id, 1, &filled(MIN_PART_BYTES, 8)).await;
    put(&store, &k, &id, 2, &filled(10, 9)).await;
    store.multipart.abort_multipart(&k, &id).await.unwrap();
    store.multipart.abort_multipart(&k, &id).await.unwrap();
    assert_eq!(under(&store, "").await, Vec::<String>::new());
    assert!(store
        .multipart
        .put_part(&k, &id, 3, stream(&filled(10, 1), None))
        .await
        .is_err());
    assert!(store
        .multipart
        .complete_multipart(&k, &id, &[one])
        .await
        .is_err());
    assert!(matches!(
        store.blobs.head(&k).await,
        Err(StorageError::NotFound(_))
    ));
}

pub async fn parts_out_of_sequence_do_not_complete(store: MultipartFixture) {
    let k = key(&format!("{}/blob", unique("gap")));
    let id = store.multipart.create_multipart(&k).await.unwrap();
    let one = put(&store, &k, &id, 1, &filled(MIN_PART_BYTES, 1)).await;
    let three = put(&store, &k, &id, 3, &filled(10, 3)).await;
    assert!(store
        .multipart
        .complete_multipart(&k, &id, &[one, three])
        .await
        .is_err());
    assert!(matches!(
        store.blobs.head(&k).await,
        Err(StorageError::NotFound(_))
    ));
    store.multipart.abort_multipart(&k, &id).await.unwrap();
}
