//! Encryption and decryption as streams: a blob is sealed segment by segment as its bytes arrive and
//! opened segment by segment as they are read, so neither side ever holds more than a chunk and a segment.

use std::ops::Range;

use bytes::Bytes;
use darkroom_core::ports::{ByteStream, StorageError};
use futures::{StreamExt, TryStreamExt};

use super::format::{corrupt, segment_offset, BlobCipher, MasterKey, SEALED, SEGMENT};

/// `data` encrypted under a fresh blob key: the header first, then each segment as soon as it is known
/// not to be the last. An error of `data` ends the stream with that error.
pub(super) fn seal_stream(
    master: &MasterKey,
    data: ByteStream,
) -> Result<ByteStream, StorageError> {
    let cipher = BlobCipher::fresh(master)?;
    let header = Bytes::copy_from_slice(cipher.header());
    let sealer = Sealer {
        cipher,
        pending: Vec::with_capacity(SEALED as usize),
        index: 0,
        input: Some(data),
    };
    let body = futures::stream::try_unfold(sealer, |mut sealer| async move {
        while let Some(input) = sealer.input.as_mut() {
            match input.next().await {
                Some(chunk) => {
                    if let Some(sealed) = sealer.push(&chunk?)? {
                        return Ok(Some((sealed, sealer)));
                    }
                }
                None => {
                    sealer.input = None;
                    let last = sealer.finish()?;
                    return Ok(Some((last, sealer)));
                }
            }
        }
        Ok::<_, StorageError>(None)
    });
    Ok(futures::stream::once(async move { Ok(header) })
        .chain(body)
        .boxed())
}

struct Sealer {
    cipher: BlobCipher,
    /// Plaintext of the segment being filled; a full one is sealed only once more bytes follow it.
    pending: Vec<u8>,
    index: u64,
    input: Option<ByteStream>,
}

impl Sealer {
    fn push(&mut self, mut chunk: &[u8]) -> Result<Option<Bytes>, StorageError> {
        let mut out = Vec::new();
        while !chunk.is_empty() {
            if self.pending.len() as u64 == SEGMENT {
                self.seal_pending(false, &mut out)?;
            }
            let take = (SEGMENT as usize - self.pending.len()).min(chunk.len());
            self.pending.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        Ok((!out.is_empty()).then(|| Bytes::from(out)))
    }

    fn finish(&mut self) -> Result<Bytes, StorageError> {
        let mut out = Vec::with_capacity(SEALED as usize);
        self.seal_pending(true, &mut out)?;
        Ok(Bytes::from(out))
    }

    fn seal_pending(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), StorageError> {
        if out.capacity() == 0 {
            out.reserve(4 * SEALED as usize);
        }
        self.cipher.seal(self.index, last, &mut self.pending)?;
        out.extend_from_slice(&self.pending);
        self.pending.clear();
        self.index += 1;
        Ok(())
    }
}

/// What a read of an encrypted blob opens: segments `first..=through` of a blob whose last segment is
/// `last` and whose stored size is `sealed`, yielding the plaintext bytes of `want` they hold.
pub(super) struct Opening {
    pub cipher: BlobCipher,
    pub key: String,
    pub first: u64,
    pub through: u64,
    pub last: u64,
    pub sealed: u64,
    pub want: Range<u64>,
}

impl Opening {
    /// Opens `input`, which must hold exactly the sealed segments `first..=through`. Any segment that does
    /// not authenticate, and any byte missing or extra, ends the stream with an error: never wrong bytes.
    pub(super) fn open(self, input: ByteStream) -> ByteStream {
        let state = Opener {
            index: self.first,
            pending: Vec::with_capacity(SEALED as usize),
            opening: self,
        };
        futures::stream::try_unfold((state, Some(input)), |(mut state, mut input)| async move {
            while let Some(stream) = input.as_mut() {
                match stream.next().await {
                    Some(chunk) => {
                        if let Some(plain) = state.push(&chunk?)? {
                            return Ok(Some((plain, (state, input))));
                        }
                    }
                    None => {
                        input = None;
                        if state.index <= state.opening.through || !state.pending.is_empty() {
                            return Err(corrupt(&state.opening.key, "it ends early"));
                        }
                    }
                }
            }
            Ok::<_, StorageError>(None)
        })
        .boxed()
    }
}

struct Opener {
    opening: Opening,
    index: u64,
    pending: Vec<u8>,
}

impl Opener {
    fn segment_len(&self, index: u64) -> usize {
        let o = &self.opening;
        if index < o.last {
            SEALED as usize
        } else {
            (o.sealed - segment_offset(o.last)) as usize
        }
    }

    fn push(&mut self, mut chunk: &[u8]) -> Result<Option<Bytes>, StorageError> {
        let mut out = Vec::new();
        while !chunk.is_empty() {
            if self.index > self.opening.through {
                return Err(corrupt(
                    &self.opening.key,
                    "it holds more than its size says",
                ));
            }
            let len = self.segment_len(self.index);
            let take = (len - self.pending.len()).min(chunk.len());
            self.pending.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if self.pending.len() < len {
                break;
            }
            let o = &self.opening;
            let plain = o.cipher.open_segment(
                self.index,
                self.index == o.last,
                &mut self.pending,
                &o.key,
            )?;
            let start = self.index * SEGMENT;
            let from = (o.want.start.saturating_sub(start) as usize).min(plain.len());
            let to = (o.want.end.saturating_sub(start) as usize).min(plain.len());
            if from < to {
                if out.capacity() == 0 {
                    out.reserve(chunk.len() + to - from);
                }
                out.extend_from_slice(&plain[from..to]);
            }
            self.pending.clear();
            self.index += 1;
        }
        Ok((!out.is_empty()).then(|| Bytes::from(out)))
    }
}

/// The first bytes of `stream`, at least `want` unless it ends sooner (whole chunks: maybe more).
pub(super) async fn read_start(
    stream: &mut ByteStream,
    want: usize,
) -> Result<Vec<u8>, StorageError> {
    let mut start = Vec::new();
    while start.len() < want {
        match stream.try_next().await? {
            Some(chunk) => start.extend_from_slice(&chunk),
            None => break,
        }
    }
    Ok(start)
}
