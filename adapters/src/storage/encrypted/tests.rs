#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use darkroom_core::ports::{BlobKey, BlobStore, BlobStoreExt, ByteStream, StorageError};
use futures::StreamExt;

use super::format::{sealed_len, HEADER, SEALED, SEGMENT};
use super::{EncryptedBlobs, MasterKey, Plaintext};
use crate::storage::ObjectStoreBlobs;

const S: usize = SEGMENT as usize;

fn key(raw: &str) -> BlobKey {
    BlobKey::parse(raw).unwrap()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
        .collect()
}

fn chunks(data: &[u8]) -> ByteStream {
    let mut out = Vec::new();
    let mut at = 0;
    for size in [1000usize, 1, 70_000, 65_536, 3].into_iter().cycle() {
        if at >= data.len() {
            break;
        }
        let end = (at + size).min(data.len());
        out.push(Ok(Bytes::copy_from_slice(&data[at..end])));
        at = end;
    }
    futures::stream::iter(out).boxed()
}

/// An encrypted store over memory, and the store beneath it.
fn stores(policy: Plaintext) -> (EncryptedBlobs, Arc<dyn BlobStore>) {
    let inner: Arc<dyn BlobStore> = Arc::new(ObjectStoreBlobs::in_memory());
    let store = EncryptedBlobs::new(inner.clone(), MasterKey::new([7; 32]), policy);
    (store, inner)
}

#[tokio::test]
async fn round_trips_every_size_around_segment_boundaries() {
    let (store, inner) = stores(Plaintext::Refuse);
    for len in [0, 1, S - 1, S, S + 1, 2 * S, 3 * S + 17] {
        let data = pattern(len);
        for streamed in [false, true] {
            let k = key(&format!("rt/{len}/{streamed}"));
            let meta = if streamed {
                store.put_stream(&k, chunks(&data)).await.unwrap()
            } else {
                store.put(&k, Bytes::from(data.clone())).await.unwrap()
            };
            assert_eq!(meta.size, len as u64);
            assert_eq!(store.head(&k).await.unwrap().size, len as u64);
            assert_eq!(&store.get(&k, None).await.unwrap()[..], &data[..], "{len}");
            let stored = inner.get(&k, None).await.unwrap();
            assert_eq!(stored.len() as u64, sealed_len(len as u64));
            if len >= 64 {
                let needle = &data[len / 2..len / 2 + 32];
                assert!(
                    !stored.windows(32).any(|w| w == needle),
                    "plaintext on disk"
                );
            }
        }
    }
    let mut listed: Vec<u64> = store
        .list("rt/")
        .await
        .unwrap()
        .iter()
        .map(|m| m.size)
        .collect();
    listed.sort_unstable();
    assert_eq!(listed.len(), 14);
    assert_eq!(listed[13], 3 * SEGMENT + 17);
}

#[tokio::test]
async fn ranges_across_segment_boundaries_return_exact_bytes() {
    let (store, _) = stores(Plaintext::Refuse);
    let len = 3 * S + 1234;
    let data = pattern(len);
    let k = key("ranges/blob");
    store.put_stream(&k, chunks(&data)).await.unwrap();
    let s = SEGMENT;
    for range in [
        0..1,
        s - 1..s + 1,
        s..s + 1,
        s - 10..2 * s + 10,
        2 * s..3 * s,
        3 * s..3 * s + 1234,
        3 * s + 1233..3 * s + 1234,
        5..3 * s + 100,
        s + 7..s + 7,
    ] {
        let got = store.get(&k, Some(range.clone())).await.unwrap();
        assert_eq!(
            &got[..],
            &data[range.start as usize..range.end as usize],
            "{range:?}"
        );
    }
    assert_eq!(
        &store.get(&k, Some(2 * s..u64::MAX)).await.unwrap()[..],
        &data[2 * S..]
    );
    let (meta, _) = store.get_stream(&k, Some(2 * s..2 * s + 5)).await.unwrap();
    assert_eq!(meta.size, len as u64);
    for past in [len as u64, len as u64 + 1, 10 * s] {
        match store.get(&k, Some(past..past + 1)).await {
            Err(StorageError::InvalidRange { size }) => assert_eq!(size, len as u64),
            other => panic!("{past}: {other:?}"),
        }
    }
}

/// Expects the read of `range` of `k` to fail as a blob that cannot be read (or is under another key).
async fn assert_refused(store: &EncryptedBlobs, k: &BlobKey, range: Option<std::ops::Range<u64>>) {
    match store.get(k, range.clone()).await {
        Err(StorageError::Other { message, .. }) => assert!(
            message.contains("cannot be read") || message.contains("another key"),
            "{message}"
        ),
        other => panic!(
            "{range:?}: expected an error, got {:?}",
            other.map(|b| b.len())
        ),
    }
}

#[tokio::test]
async fn tampered_reordered_or_truncated_blobs_are_errors_never_bytes() {
    let (store, inner) = stores(Plaintext::Read);
    let data = pattern(2 * S + 500);
    let k = key("tamper/blob");
    store.put(&k, Bytes::from(data.clone())).await.unwrap();
    let good = inner.get(&k, None).await.unwrap().to_vec();
    let seg = |i: usize| HEADER + i * SEALED as usize;

    // One bit flipped in segment 1: reads touching it fail, segment 0 alone still reads.
    let mut flipped = good.clone();
    flipped[seg(1) + 10] ^= 1;
    inner.put(&k, Bytes::from(flipped)).await.unwrap();
    assert_refused(&store, &k, None).await;
    assert_refused(&store, &k, Some(SEGMENT + 5..SEGMENT + 6)).await;
    assert_eq!(&store.get(&k, Some(0..10)).await.unwrap()[..], &data[..10]);

    // The salt (or any header byte) changed: a different key, nothing authenticates.
    let mut salted = good.clone();
    salted[HEADER - 10] ^= 0x80;
    inner.put(&k, Bytes::from(salted)).await.unwrap();
    assert_refused(&store, &k, Some(0..1)).await;

    // Segments 0 and 1 swapped.
    let mut swapped = good.clone();
    let (a, b) = (good[seg(0)..seg(1)].to_vec(), good[seg(1)..seg(2)].to_vec());
    swapped[seg(0)..seg(1)].copy_from_slice(&b);
    swapped[seg(1)..seg(2)].copy_from_slice(&a);
    inner.put(&k, Bytes::from(swapped)).await.unwrap();
    assert_refused(&store, &k, None).await;

    // Cut after two whole segments: a valid size for a shorter blob, but segment 1 was not the last.
    inner
        .put(&k, Bytes::copy_from_slice(&good[..seg(2)]))
        .await
        .unwrap();
    assert_eq!(store.head(&k).await.unwrap().size, 2 * SEGMENT);
    assert_refused(&store, &k, None).await;
    assert_refused(&store, &k, Some(SEGMENT..SEGMENT + 1)).await;
    // Cut anywhere else: a size no blob has, or a last segment that does not authenticate.
    for cut in [
        seg(2) + 5,
        seg(2) + 16,
        good.len() - 1,
        HEADER + 3,
        HEADER - 1,
        4,
    ] {
        inner
            .put(&k, Bytes::copy_from_slice(&good[..cut]))
            .await
            .unwrap();
        assert_refused(&store, &k, None).await;
    }
}

#[tokio::test]
async fn another_key_is_an_error_naming_the_key_ids() {
    let (store, inner) = stores(Plaintext::Read);
    let k = key("keys/blob");
    store.put(&k, Bytes::from_static(b"secret")).await.unwrap();
    let other = EncryptedBlobs::new(inner, MasterKey::new([8; 32]), Plaintext::Read);
    assert_refused(&other, &k, None).await;
    let err = other.head(&k).await.unwrap_err().to_string();
    assert!(err.contains("another key"), "{err}");
    assert!(
        format!("{other:?}").contains("MasterKey(id "),
        "the key itself never shows"
    );
}

#[tokio::test]
async fn unencrypted_blobs_are_served_or_refused_as_configured() {
    let (reading, inner) = stores(Plaintext::Read);
    let refusing = EncryptedBlobs::new(inner.clone(), MasterKey::new([7; 32]), Plaintext::Refuse);
    let k = key("legacy/original");
    let old = Bytes::from(pattern(3 * S));
    inner.put(&k, old.clone()).await.unwrap();
    let empty = key("legacy/empty");
    inner.put(&empty, Bytes::new()).await.unwrap();
    assert_eq!(reading.get(&k, None).await.unwrap(), old);
    assert_eq!(
        &reading.get(&k, Some(S as u64..S as u64 + 9)).await.unwrap()[..],
        &old[S..S + 9]
    );
    assert_eq!(reading.head(&k).await.unwrap().size, old.len() as u64);
    assert_eq!(reading.head(&empty).await.unwrap().size, 0);
    assert_eq!(reading.get(&empty, None).await.unwrap(), Bytes::new());
    assert_eq!(reading.list("legacy/").await.unwrap().len(), 2);
    for k in [&k, &empty] {
        let err = refusing.get(k, None).await.unwrap_err().to_string();
        assert!(err.contains("not encrypted"), "{err}");
        assert!(refusing.head(k).await.is_err());
    }
    // A rewrite through the encrypting store encrypts it.
    reading.put(&k, old.clone()).await.unwrap();
    assert_eq!(refusing.get(&k, None).await.unwrap(), old);
}

#[tokio::test]
async fn a_failed_stream_stores_nothing() {
    let (store, inner) = stores(Plaintext::Refuse);
    let k = key("failed/blob");
    let stream = chunks(&pattern(3 * S))
        .chain(futures::stream::once(async {
            Err(StorageError::Aborted("client went away".into()))
        }))
        .boxed();
    let err = store.put_stream(&k, stream).await.unwrap_err();
    assert!(matches!(err, StorageError::Aborted(_)), "{err:?}");
    assert!(inner.list("").await.unwrap().is_empty());
}

#[tokio::test]
async fn multipart_parts_are_encrypted_and_complete_into_one_encrypted_blob() {
    use darkroom_core::ports::MultipartStore;
    let dir = tempfile::tempdir().unwrap();
    let inner: Arc<dyn BlobStore> = Arc::new(ObjectStoreBlobs::local(dir.path()).unwrap());
    let store = EncryptedBlobs::new(inner.clone(), MasterKey::new([9; 32]), Plaintext::Refuse);
    let k = key("images/mp/original");
    let (one, two) = (pattern(5 * 1024 * 1024), pattern(70_000));
    let id = store.create_multipart(&k).await.unwrap();
    let second = store.put_part(&k, &id, 2, chunks(&two)).await.unwrap();
    let first = store.put_part(&k, &id, 1, chunks(&one)).await.unwrap();
    assert_eq!(
        (first.size, second.size),
        (one.len() as u64, two.len() as u64)
    );
    // Staged parts are on disk encrypted, and hidden from the listing.
    let staged = inner.list(super::multipart::STAGING).await.unwrap();
    assert_eq!(staged.len(), 3, "{staged:?}");
    for blob in &staged {
        let bytes = std::fs::read(dir.path().join(&blob.key)).unwrap();
        assert!(!bytes.windows(64).any(|w| w == &two[1000..1064]));
    }
    assert!(store.list("").await.unwrap().is_empty());
    let meta = store
        .complete_multipart(&k, &id, &[first, second])
        .await
        .unwrap();
    assert_eq!(meta.size, (one.len() + two.len()) as u64);
    let whole = store.get(&k, None).await.unwrap();
    assert!(whole[..one.len()] == one[..] && whole[one.len()..] == two[..]);
    let on_disk = std::fs::read(dir.path().join(k.as_str())).unwrap();
    assert_eq!(on_disk.len() as u64, sealed_len(meta.size));
    assert_eq!(inner.list("").await.unwrap().len(), 1, "the parts are gone");
}
