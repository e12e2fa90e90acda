//! Time limits on one client connection, enforced on its byte stream so they hold whatever the HTTP layer
//! does: a slow or silent client cannot keep a connection (and its memory) forever.
//!
//! A connection moves through three phases, told apart by the bytes themselves:
//! - **headers**: from the connection's start, or the first byte of the next request, until the blank line
//!   that ends the header block. The whole block must arrive within `header_read_timeout`, however it is
//!   trickled (slowloris).
//! - **body**: from the end of the headers until the server writes its answer. No limit here: a JSON body
//!   has its own whole-body timeout and an upload its data-rate floor (both in `api/`), and a slow handler
//!   must not be cut off.
//! - **idle**: after the server wrote, until the next request's first byte. A connection idle (or whose
//!   client stopped reading our answer) for `idle_timeout` is closed.
//!
//! HTTP/2 (prior knowledge) interleaves streams, so its connections only get the idle limit.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

/// How long each phase may last.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionTimeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a header block; `matched` is how much of "\r\n\r\n" the last bytes were.
    Headers {
        matched: u8,
    },
    Body,
    Idle,
    /// HTTP/2: only idleness is limited.
    Multiplexed,
}

const END_OF_HEADERS: &[u8; 4] = b"\r\n\r\n";
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

/// An accepted connection under `ConnectionTimeouts`, holding its place in the connection limit.
#[derive(Debug)]
pub struct GuardedStream {
    inner: TcpStream,
    _slot: OwnedSemaphorePermit,
    timeouts: ConnectionTimeouts,
    phase: Phase,
    /// How much of the HTTP/2 preface the connection's first bytes have matched so far; `None` once
    /// decided either way (it may arrive split over several reads).
    preface_matched: Option<usize>,
    /// When the current phase runs out (`None`: it does not).
    deadline: Option<Instant>,
    timer: Pin<Box<Sleep>>,
}

impl GuardedStream {
    pub fn new(inner: TcpStream, slot: OwnedSemaphorePermit, timeouts: ConnectionTimeouts) -> Self {
        let deadline = Instant::now() + timeouts.header_read;
        Self {
            inner,
            _slot: slot,
            timeouts,
            phase: Phase::Headers { matched: 0 },
            preface_matched: Some(0),
            deadline: Some(deadline),
            timer: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    /// The socket underneath, for its options (the listener's tests read `TCP_NODELAY` back from it).
    pub fn socket(&self) -> &TcpStream {
        &self.inner
    }

    fn on_read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.detect_http2(bytes);
        match self.phase {
            Phase::Multiplexed => self.deadline = Some(Instant::now() + self.timeouts.idle),
            Phase::Body => {}
            Phase::Idle => {
                self.phase = Phase::Headers { matched: 0 };
                self.deadline = Some(Instant::now() + self.timeouts.header_read);
                self.scan(bytes);
            }
            Phase::Headers { .. } => self.scan(bytes),
        }
    }

    fn detect_http2(&mut self, bytes: &[u8]) {
        let Some(matched) = self.preface_matched else {
            return;
        };
        let rest = &HTTP2_PREFACE[matched..];
        let n = rest.len().min(bytes.len());
        self.preface_matched = if bytes[..n] != rest[..n] {
            None
        } else if matched + n == HTTP2_PREFACE.len() {
            self.phase = Phase::Multiplexed;
            None
        } else {
            Some(matched + n)
        };
    }

    /// Follows the header block to its end; the rest of these bytes (a body) needs no scanning.
    fn scan(&mut self, bytes: &[u8]) {
        let Phase::Headers { mut matched } = self.phase else {
            return;
        };
        for &byte in bytes {
            matched = if byte == END_OF_HEADERS[matched as usize] {
                matched + 1
            } else if byte == b'\r' {
                1
            } else {
                0
            };
            if matched as usize == END_OF_HEADERS.len() {
                self.phase = Phase::Body;
                self.deadline = None;
                return;
            }
        }
        self.phase = Phase::Headers { matched };
    }

    fn on_write(&mut self, first_bytes: &[u8]) {
        // An interim answer (`100 Continue`) invites the body: the request is not over yet.
        let interim =
            first_bytes.starts_with(b"HTTP/1.1 1") || first_bytes.starts_with(b"HTTP/1.0 1");
        match self.phase {
            Phase::Multiplexed => {}
            Phase::Body if interim => return,
            _ => self.phase = Phase::Idle,
        }
        self.deadline = Some(Instant::now() + self.timeouts.idle);
    }

    /// Starts the clock of the phase a write began. The HTTP layer may have last polled the read side
    /// before it wrote (while the body was still the phase, with no clock) and not poll it again until
    /// the client sends something; the timer, registered here, wakes it when the phase is over.
    fn arm(&mut self, cx: &mut Context<'_>) {
        if self.poll_deadline(cx).is_ready() {
            // Already over: the next read or write reports it.
            cx.waker().wake_by_ref();
        }
    }

    /// Called when the stream would wait: an error once the phase's time is up, else wait (also on the
    /// timer, so that a silent peer still wakes us).
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        loop {
            if Instant::now() >= deadline {
                metrics::counter!("http_connections_timed_out_total").increment(1);
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client was too slow",
                ));
            }
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.on_read(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    this.on_write(buf);
                    this.arm(cx);
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    let first = bufs
                        .iter()
                        .find(|b| !b.is_empty())
                        .map_or(&[][..], |b| &b[..]);
                    this.on_write(first);
                    this.arm(cx);
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A guarded stream over a real loopback connection (its peer kept alive beside it).
    async fn guarded() -> (GuardedStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let slot = Arc::new(tokio::sync::Semaphore::new(1))
            .acquire_owned()
            .await
            .unwrap();
        let timeouts = ConnectionTimeouts {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        };
        (GuardedStream::new(stream, slot, timeouts), peer)
    }

    #[tokio::test]
    async fn phases_follow_the_bytes_of_http1() {
        let (mut stream, _peer) = guarded().await;
        stream.on_read(b"POST /v1/images HTTP/1.1\r\nExpect: 100-continue\r");
        assert!(matches!(stream.phase, Phase::Headers { .. }));
        stream.on_read(b"\n\r\n");
        assert_eq!(stream.phase, Phase::Body);
        assert_eq!(stream.deadline, None, "a body has no clock here");
        // An interim answer invites the body: still the body.
        stream.on_write(b"HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(stream.phase, Phase::Body);
        stream.on_read(b"raw image bytes with no blank line");
        assert_eq!(stream.phase, Phase::Body);
        stream.on_write(b"HTTP/1.1 202 Accepted\r\n");
        assert_eq!(stream.phase, Phase::Idle);
        assert!(stream.deadline.is_some());
        stream.on_read(b"GET /healthz HTTP/1.1\r\n");
        assert!(matches!(stream.phase, Phase::Headers { .. }));
    }

    #[tokio::test]
    async fn http2_is_recognised_even_when_its_preface_is_split() {
        let (mut stream, _peer) = guarded().await;
        stream.on_read(b"PRI * HT");
        assert!(matches!(stream.phase, Phase::Headers { .. }));
        stream.on_read(b"TP/2.0\r\n\r\nSM\r\n\r\n");
        assert_eq!(stream.phase, Phase::Multiplexed);
        stream.on_write(b"\x00\x00\x00\x04");
        assert_eq!(stream.phase, Phase::Multiplexed);

        let (mut http1, _peer) = guarded().await;
        http1.on_read(b"PRIVATE");
        http1.on_read(b" HTTP/2.0");
        assert!(matches!(http1.phase, Phase::Headers { .. }));
    }
}
