//! The `BlobStore` contract suite. Run it with `storage_contract_suite!(factory)`, where `factory` is an async
//! fn returning `Fixture<dyn BlobStore>`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use darkroom_core::ports::{BlobKey, BlobStore, BlobStoreExt, ByteStream, StorageError};
use futures::StreamExt;

use super::unique;

/// Expands to one `#[tokio::test]` per storage case, each calling `$factory().await` for a fresh store.
#[macro_export]
macro_rules! storage_contract_suite {
    (@cases $factory:path; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(fixture) = $crate::contract::IntoFixture::into_fixture($factory().await) else { return };
                $crate::contract::storage::$case(fixture.port.clone()).await;
            }
        )+
    };
    ($factory:path) => {
        $crate::storage_contract_suite!(@cases $factory;
            put_then_get_round_trips,
            put_replaces_the_previous_blob,
            empty_blobs_round_trip,
            ranges_return_exact_bytes_clamped_to_the_end,
            ranges_starting_at_or_past_the_end_are_invalid,
            missing_keys_are_not_found,
            delete_is_idempotent,
            list_returns_every_blob_under_a_string_prefix,
            delete_prefix_removes_everything_under_it,
            put_stream_of_a_few_small_chunks,
            put_stream_of_many_chunks_uses_several_parts,
            failed_put_stream_leaves_nothing_behind,
            failed_put_stream_keeps_the_previous_blob,
            ping_succeeds,
        );
    };
}

/// More than two 5 MiB parts, so a multipart upload really uploads several parts.
const LARGE: usize = 11 * 1024 * 1024 + 12_345;

fn key(raw: &str) -> BlobKey {
    BlobKey::parse(raw).unwrap()
}

/// Bytes no two offsets of which repeat in a short cycle, so a misplaced chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 251 % 256) as u8)
        .collect()
}

/// `data` as a stream of chunks of uneven sizes (none aligned to a part boundary).
fn chunked(data: &[u8], then_fail: Option<StorageError>) -> ByteStream {
    let (mut chunks, mut at) = (Vec::new(), 0);
    for size in [65_536, 1, 100_000, 7_777, 300_001].into_iter().cycle() {
        if at >= data.len() {
            break;
        }
        let end = (at + size).min(data.len());
        chunks.push(Ok(Bytes::copy_from_slice(&data[at..end])));
        at = end;
    }
    chunks.extend(then_fail.map(Err));
    futures::stream::iter(chunks).boxed()
}

fn assert_invalid_range(result: Result<Bytes, StorageError>, size: u64) {
    match result {
        Err(StorageError::InvalidRange { size: reported }) => assert_eq!(reported, size),
        other => panic!("expected InvalidRange {{ size: {size} }}, got {other:?}"),
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StorageError>) {
    assert!(
        matches!(result, Err(StorageError::NotFound(_))),
        "expected NotFound, got {result:?}"
    );
}

pub async fn put_then_get_round_trips(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/images/original", unique("rt")));
    let data = Bytes::from(pattern(10_000));
    let meta = store.put(&k, data.clone()).await.unwrap();
    assert_eq!((meta.key.as_str(), meta.size), (k.as_str(), 10_000));
    assert_eq!(store.get(&k, None).await.unwrap(), data);
    assert_eq!(store.head(&k).await.unwrap(), meta);
    let (streamed, _) = store.get_stream(&k, None).await.unwrap();
    assert_eq!(streamed, meta);
}

pub async fn put_replaces_the_previous_blob(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/blob", unique("replace")));
    store
        .put(&k, Bytes::from_static(b"the first version, longer"))
        .await
        .unwrap();
    store.put(&k, Bytes::from_static(b"second")).await.unwrap();
    assert_eq!(
        store.get(&k, None).await.unwrap(),
        Bytes::from_static(b"second")
    );
    assert_eq!(store.head(&k).await.unwrap().size, 6);
}

pub async fn empty_blobs_round_trip(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/empty", unique("empty")));
    assert_eq!(store.put(&k, Bytes::new()).await.unwrap().size, 0);
    assert_eq!(store.get(&k, None).await.unwrap(), Bytes::new());
    assert_eq!(store.head(&k).await.unwrap().size, 0);
    // Every range of an empty blob starts at its end.
    assert_invalid_range(store.get(&k, Some(0..1)).await, 0);
}

pub async fn ranges_return_exact_bytes_clamped_to_the_end(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/ranged", unique("range")));
    let data = pattern(1000);
    store.put(&k, Bytes::from(data.clone())).await.unwrap();
    for range in [0..1, 0..10, 10..20, 500..999, 999..1000, 0..1000] {
        let got = store.get(&k, Some(range.clone())).await.unwrap();
        assert_eq!(
            &got[..],
            &data[range.start as usize..range.end as usize],
            "range {range:?}"
        );
    }
    // An end past the blob is clamped to it.
    assert_eq!(
        &store.get(&k, Some(995..2000)).await.unwrap()[..],
        &data[995..]
    );
    assert_eq!(
        &store.get(&k, Some(0..u64::MAX)).await.unwrap()[..],
        &data[..]
    );
    // The meta of a ranged read describes the whole blob (what a Content-Range header needs).
    let (meta, _) = store.get_stream(&k, Some(10..20)).await.unwrap();
    assert_eq!(meta.size, 1000);
}

pub async fn ranges_starting_at_or_past_the_end_are_invalid(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/ranged", unique("badrange")));
    store.put(&k, Bytes::from(pattern(1000))).await.unwrap();
    assert_invalid_range(store.get(&k, Some(1000..1001)).await, 1000);
    assert_invalid_range(store.get(&k, Some(5000..6000)).await, 1000);
}

pub async fn missing_keys_are_not_found(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/nothing/here", unique("missing")));
    assert_not_found(store.get(&k, None).await);
    assert_not_found(store.get(&k, Some(0..10)).await);
    assert_not_found(store.head(&k).await);
    assert_not_found(store.get_stream(&k, None).await.map(|(meta, _)| meta));
}

pub async fn delete_is_idempotent(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/doomed", unique("delete")));
    store.put(&k, Bytes::from_static(b"x")).await.unwrap();
    store.delete(&k).await.unwrap();
    assert_not_found(store.head(&k).await);
    store.delete(&k).await.unwrap();
    store
        .delete(&key(&format!("{}/never", unique("delete"))))
        .await
        .unwrap();
}

pub async fn list_returns_every_blob_under_a_string_prefix(store: Arc<dyn BlobStore>) {
    let p = unique("list");
    let other = unique("list");
    for (name, len) in [("a", 1), ("b/c", 2), ("b/d/e", 3), ("bc", 4)] {
        store
            .put(&key(&format!("{p}/{name}")), Bytes::from(vec![1u8; len]))
            .await
            .unwrap();
    }
    store
        .put(&key(&format!("{other}/a")), Bytes::from_static(b"z"))
        .await
        .unwrap();

    let mut all: Vec<(String, u64)> = store
        .list(&format!("{p}/"))
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.key, m.size))
        .collect();
    all.sort();
    let expected =
        [("a", 1), ("b/c", 2), ("b/d/e", 3), ("bc", 4)].map(|(n, l)| (format!("{p}/{n}"), l));
    assert_eq!(all, expected.to_vec());
    // A prefix is a prefix of the key's text, not of its path segments: "b" matches "b/…" and "bc".
    let mut b: Vec<String> = store
        .list(&format!("{p}/b"))
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect();
    b.sort();
    assert_eq!(
        b,
        vec![format!("{p}/b/c"), format!("{p}/b/d/e"), format!("{p}/bc")]
    );
    assert_eq!(store.list(&p).await.unwrap().len(), 4);
    assert!(store.list(&format!("{p}/zzz")).await.unwrap().is_empty());
    assert!(store.list(&unique("list")).await.unwrap().is_empty());
}

pub async fn delete_prefix_removes_everything_under_it(store: Arc<dyn BlobStore>) {
    let p = unique("purge");
    for name in ["original", "variants/thumb.jpg", "variants/small.webp"] {
        store
            .put(&key(&format!("{p}/{name}")), Bytes::from_static(b"x"))
            .await
            .unwrap();
    }
    assert_eq!(store.delete_prefix(&format!("{p}/")).await.unwrap(), 3);
    assert!(store.list(&format!("{p}/")).await.unwrap().is_empty());
    assert_eq!(store.delete_prefix(&format!("{p}/")).await.unwrap(), 0);
}

pub async fn put_stream_of_a_few_small_chunks(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/small", unique("stream")));
    let data = pattern(200_000);
    let meta = store.put_stream(&k, chunked(&data, None)).await.unwrap();
    assert_eq!(meta.size, 200_000);
    assert_eq!(&store.get(&k, None).await.unwrap()[..], &data[..]);
}

pub async fn put_stream_of_many_chunks_uses_several_parts(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/large", unique("stream")));
    let data = pattern(LARGE);
    let meta = store.put_stream(&k, chunked(&data, None)).await.unwrap();
    assert_eq!(meta.size, LARGE as u64);
    assert_eq!(store.head(&k).await.unwrap().size, LARGE as u64);
    let got = store.get(&k, None).await.unwrap();
    assert!(
        got[..] == data[..],
        "the blob read back differs from the stream written"
    );
    // Across the 5 MiB part boundaries, where a misordered part would show.
    for boundary in [5 * 1024 * 1024u64, 10 * 1024 * 1024] {
        let range = boundary - 100..boundary + 100;
        let got = store.get(&k, Some(range.clone())).await.unwrap();
        assert_eq!(&got[..], &data[range.start as usize..range.end as usize]);
    }
}

pub async fn failed_put_stream_leaves_nothing_behind(store: Arc<dyn BlobStore>) {
    let p = unique("aborted");
    let k = key(&format!("{p}/upload"));
    // More than one part's worth before the failure, so parts were uploaded and must be aborted.
    let stream = chunked(
        &pattern(6 * 1024 * 1024),
        Some(StorageError::Aborted("client went away".into())),
    );
    match store.put_stream(&k, stream).await {
        Err(StorageError::Aborted(why)) => assert!(why.contains("client went away"), "{why}"),
        other => panic!("expected the stream's own error back, got {other:?}"),
    }
    assert_not_found(store.head(&k).await);
    assert_eq!(
        store.list(&p).await.unwrap(),
        Vec::new(),
        "an aborted upload left something listed"
    );
}

pub async fn failed_put_stream_keeps_the_previous_blob(store: Arc<dyn BlobStore>) {
    let k = key(&format!("{}/kept", unique("aborted")));
    store
        .put(&k, Bytes::from_static(b"the old bytes"))
        .await
        .unwrap();
    let stream = chunked(
        &pattern(100_000),
        Some(StorageError::Aborted("stopped".into())),
    );
    assert!(store.put_stream(&k, stream).await.is_err());
    assert_eq!(
        store.get(&k, None).await.unwrap(),
        Bytes::from_static(b"the old bytes")
    );
}

pub async fn ping_succeeds(store: Arc<dyn BlobStore>) {
    store.ping().await.unwrap();
    assert!(!store.backend().is_empty());
}
