//! What encryption at rest costs the local store: a 100 MB blob written as an upload arrives (1 MiB
//! chunks), read whole, and read by 200 random 100 KB ranges, plain and encrypted, alternating in one run
//! so both see the same disk and the same machine. Prints MB/s per operation (median of the rounds).
//!
//! `cargo run --release -p darkroom-tests --example storage_encryption_bench [MB] [DIR]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use darkroom_adapters::storage::{EncryptedBlobs, MasterKey, Plaintext};
use darkroom_adapters::ObjectStoreBlobs;
use darkroom_core::ports::{BlobKey, BlobStore};
use futures::{StreamExt, TryStreamExt};

const ROUNDS: usize = 5;
const RANGE_READS: u64 = 200;
const RANGE_LEN: u64 = 100_000;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let megabytes: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let parent = args.next().map(std::path::PathBuf::from);
    let dir = match &parent {
        Some(parent) => tempfile::tempdir_in(parent),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let size = megabytes * 1_000_000;
    let data = Bytes::from(
        (0..size)
            .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
            .collect::<Vec<u8>>(),
    );
    let local = |name: &str| -> Arc<dyn BlobStore> {
        Arc::new(ObjectStoreBlobs::local(&dir.path().join(name)).expect("local store"))
    };
    let stores: [(&str, Arc<dyn BlobStore>); 2] = [
        ("plain", local("plain")),
        (
            "encrypted",
            Arc::new(EncryptedBlobs::new(
                local("encrypted"),
                MasterKey::new(*b"benchmark key, not for real use!"),
                Plaintext::Refuse,
            )),
        ),
    ];
    let key = BlobKey::parse("images/bench/original").expect("key");
    // Per store, per operation (write, read, ranges): each round's time.
    let mut times: [[Vec<Duration>; 3]; 2] = Default::default();
    for _ in 0..ROUNDS {
        for (which, (_, store)) in stores.iter().enumerate() {
            let chunks: Vec<_> = (0..size)
                .step_by(1 << 20)
                .map(|at| Ok(data.slice(at as usize..(at + (1 << 20)).min(size) as usize)))
                .collect();
            let started = Instant::now();
            store
                .put_stream(&key, futures::stream::iter(chunks).boxed())
                .await
                .expect("write");
            times[which][0].push(started.elapsed());

            let started = Instant::now();
            let (_, stream) = store.get_stream(&key, None).await.expect("read");
            let read: u64 = stream
                .map_ok(|chunk| chunk.len() as u64)
                .try_fold(0, |sum, n| async move { Ok(sum + n) })
                .await
                .expect("read");
            times[which][1].push(started.elapsed());
            assert_eq!(read, size);

            let started = Instant::now();
            for i in 0..RANGE_READS {
                // Spread over the blob, not aligned to anything.
                let start = (i * 7_919_993) % (size - RANGE_LEN);
                let (_, stream) = store
                    .get_stream(&key, Some(start..start + RANGE_LEN))
                    .await
                    .expect("range");
                let got: Vec<Bytes> = stream.try_collect().await.expect("range");
                let got: Vec<u8> = got.concat();
                assert_eq!(got[..], data[start as usize..(start + RANGE_LEN) as usize]);
            }
            times[which][2].push(started.elapsed());
        }
    }
    println!("{megabytes} MB blob, median of {ROUNDS} rounds (MB/s; ranges: {RANGE_READS} reads of {RANGE_LEN} bytes)");
    println!(
        "{:<10} {:>10} {:>10} {:>10}",
        "store", "write", "read", "ranges"
    );
    let rate = |bytes: u64, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let mut rates = Vec::new();
    for (which, (name, _)) in stores.iter().enumerate() {
        let median = |op: usize| {
            let mut t = times[which][op].clone();
            t.sort();
            t[t.len() / 2]
        };
        let row = [
            rate(size, median(0)),
            rate(size, median(1)),
            rate(RANGE_READS * RANGE_LEN, median(2)),
        ];
        println!(
            "{name:<10} {:>10.0} {:>10.0} {:>10.0}",
            row[0], row[1], row[2]
        );
        rates.push(row);
    }
    println!(
        "encrypted / plain: write {:.2}, read {:.2}, ranges {:.2}",
        rates[1][0] / rates[0][0],
        rates[1][1] / rates[0][1],
        rates[1][2] / rates[0][2]
    );
}
