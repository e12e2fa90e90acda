//! A data-rate floor for uploads. An upload may be large and take long, so it has no total time limit;
//! instead each window of `window` must bring at least `min_bytes_per_sec` × its length, or the upload is
//! cut off as interrupted. A client trickling a byte now and then cannot hold a request open for hours.

use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use super::upload_body::ChunkStream;

struct Floor {
    body: ChunkStream,
    need: u64,
    window: Duration,
    window_ends: Instant,
    got: u64,
    done: bool,
}

impl Floor {
    fn next_window(&mut self) {
        self.window_ends = Instant::now() + self.window;
        self.got = 0;
    }

    fn too_slow(&mut self) -> String {
        self.done = true;
        metrics::counter!("http_uploads_too_slow_total").increment(1);
        format!(
            "the upload brought {} bytes in {} s, under the floor of {} bytes",
            self.got,
            self.window.as_secs(),
            self.need
        )
    }
}

pub fn with_rate_floor(body: ChunkStream, min_bytes_per_sec: u64, window: Duration) -> ChunkStream {
    let floor = Floor {
        body,
        need: min_bytes_per_sec.saturating_mul(window.as_secs().max(1)),
        window,
        window_ends: Instant::now() + window,
        got: 0,
        done: false,
    };
    futures::stream::unfold(floor, |mut floor| async move {
        if floor.done {
            return None;
        }
        loop {
            match tokio::time::timeout_at(floor.window_ends, floor.body.next()).await {
                Ok(Some(Ok(chunk))) => {
                    floor.got += chunk.len() as u64;
                    if Instant::now() >= floor.window_ends {
                        if floor.got < floor.need {
                            let reason = floor.too_slow();
                            return Some((Err(reason), floor));
                        }
                        floor.next_window();
                    }
                    return Some((Ok(chunk), floor));
                }
                Ok(Some(Err(reason))) => {
                    floor.done = true;
                    return Some((Err(reason), floor));
                }
                Ok(None) => return None,
                Err(_) if floor.got < floor.need => {
                    let reason = floor.too_slow();
                    return Some((Err(reason), floor));
                }
                Err(_) => floor.next_window(),
            }
        }
    })
    .boxed()
}
