//! One request body cut into consecutive pieces of exact lengths, each a stream of its own: a tus PATCH
//! carries any number of bytes, while the multipart store takes parts of `part_bytes`. The pieces are
//! read one after the other (each store call drains its piece before the next begins); a chunk that
//! straddles two pieces is split without copying.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::Mutex;

use crate::ports::{ByteStream, StorageError};

struct Cursor {
    source: ByteStream,
    /// What is left of a chunk the previous piece ended inside.
    pending: Option<Bytes>,
}

impl Cursor {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, StorageError>> {
        if let Some(pending) = self.pending.take() {
            return Some(Ok(pending));
        }
        loop {
            match self.source.next().await {
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                other => return other,
            }
        }
    }
}

/// The source of the pieces.
#[derive(Clone)]
pub struct Pieces(Arc<Mutex<Cursor>>);

impl Pieces {
    pub fn new(source: ByteStream) -> Self {
        Self(Arc::new(Mutex::new(Cursor {
            source,
            pending: None,
        })))
    }

    /// The next `len` bytes as a stream, which fails if the source ends before them (`Ends::Exact`), or
    /// ends with the source (`Ends::UpTo`). With `Ends::Last`, the source must end right after them, and
    /// that end is awaited before the piece ends: an error the source raises at its end (a checksum that
    /// does not match) fails this piece, so its store call records nothing.
    pub fn take(&self, len: u64, ends: Ends) -> ByteStream {
        let state = (self.0.clone(), len, false);
        futures::stream::unfold(state, move |(cursor, left, done)| async move {
            if done || (left == 0 && ends != Ends::Last) {
                return None;
            }
            let next = cursor.lock().await.next_chunk().await;
            if left == 0 {
                return match next {
                    None => None,
                    Some(Ok(_)) => Some((
                        Err(StorageError::Aborted(
                            "the body holds more bytes than it declared".into(),
                        )),
                        (cursor, 0, true),
                    )),
                    Some(Err(err)) => Some((Err(err), (cursor, 0, true))),
                };
            }
            match next {
                None if ends == Ends::UpTo => None,
                None => Some((
                    Err(StorageError::Aborted("the body ended early".into())),
                    (cursor, left, true),
                )),
                Some(Err(err)) => Some((Err(err), (cursor, left, true))),
                Some(Ok(mut chunk)) => {
                    if chunk.len() as u64 > left {
                        // `left` is below this chunk's length, which is a usize.
                        let rest = chunk.split_off(left as usize);
                        cursor.lock().await.pending = Some(rest);
                    }
                    let got = chunk.len() as u64;
                    Some((Ok(chunk), (cursor, left - got, false)))
                }
            }
        })
        .boxed()
    }

    /// Whether the source has ended; an error it ends with is returned.
    pub async fn at_end(&self) -> Result<bool, StorageError> {
        let mut cursor = self.0.lock().await;
        match cursor.next_chunk().await {
            None => Ok(true),
            Some(Ok(chunk)) => {
                cursor.pending = Some(chunk);
                Ok(false)
            }
            Some(Err(err)) => Err(err),
        }
    }
}

/// How a piece ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    /// After exactly its length; the source goes on.
    Exact,
    /// After exactly its length, where the source must end too.
    Last,
    /// After its length or where the source ends, whichever comes first.
    UpTo,
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;

    fn source(chunks: &[&'static [u8]], fail_at_end: bool) -> ByteStream {
        let mut items: Vec<Result<Bytes, StorageError>> =
            chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        if fail_at_end {
            items.push(Err(StorageError::Aborted("mismatch".into())));
        }
        futures::stream::iter(items).boxed()
    }

    async fn read(stream: ByteStream) -> Result<Vec<u8>, StorageError> {
        let chunks: Vec<Bytes> = stream.try_collect().await?;
        Ok(chunks.concat())
    }

    #[tokio::test]
    async fn pieces_split_chunks_at_their_lengths() {
        let pieces = Pieces::new(source(&[b"abcd", b"efghij", b"k"], false));
        assert_eq!(read(pieces.take(3, Ends::Exact)).await.unwrap(), b"abc");
        assert_eq!(read(pieces.take(5, Ends::Exact)).await.unwrap(), b"defgh");
        assert!(!pieces.at_end().await.unwrap());
        assert_eq!(read(pieces.take(3, Ends::Last)).await.unwrap(), b"ijk");
    }

    #[tokio::test]
    async fn a_short_source_fails_the_piece() {
        let pieces = Pieces::new(source(&[b"abc"], false));
        assert!(read(pieces.take(4, Ends::Last)).await.is_err());
    }

    #[tokio::test]
    async fn an_open_ended_piece_stops_where_the_source_does() {
        let pieces = Pieces::new(source(&[b"abcd", b"ef"], false));
        assert_eq!(read(pieces.take(4, Ends::UpTo)).await.unwrap(), b"abcd");
        assert_eq!(read(pieces.take(4, Ends::UpTo)).await.unwrap(), b"ef");
        assert!(pieces.at_end().await.unwrap());
        let failing = Pieces::new(source(&[b"ab"], true));
        assert_eq!(read(failing.take(2, Ends::UpTo)).await.unwrap(), b"ab");
        assert!(failing.at_end().await.is_err());
    }

    #[tokio::test]
    async fn the_last_piece_waits_for_the_end_and_its_error() {
        let pieces = Pieces::new(source(&[b"abc"], true));
        assert!(read(pieces.take(3, Ends::Last)).await.is_err());
        let longer = Pieces::new(source(&[b"abcd"], false));
        assert!(read(longer.take(3, Ends::Last)).await.is_err());
    }
}
