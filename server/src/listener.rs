//! The HTTP listener: poem's TCP acceptor with the socket options and limits every connection needs.
//!
//! `TCP_NODELAY` matters more than it looks: a response written as headers then body in separate small
//! writes meets Nagle's algorithm on the server and the client's delayed ACK, and each small image waits
//! about 40 ms for nothing. Every accepted socket turns Nagle off.
//!
//! At most `max_connections` are open at once: past it, new connections wait in the kernel's backlog
//! until one closes. Each accepted connection is a `GuardedStream` (header-read and idle timeouts).

use std::sync::Arc;

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, TcpAcceptor};
use poem::web::{LocalAddr, RemoteAddr};
use tokio::sync::Semaphore;

use crate::connection::{ConnectionTimeouts, GuardedStream};

/// Accepts TCP connections with `TCP_NODELAY` set, up to a limit, under time limits.
pub struct TunedAcceptor {
    inner: TcpAcceptor,
    slots: Arc<Semaphore>,
    timeouts: ConnectionTimeouts,
}

impl std::fmt::Debug for TunedAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunedAcceptor")
            .field("free_slots", &self.slots.available_permits())
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl TunedAcceptor {
    pub fn new(inner: TcpAcceptor, max_connections: usize, timeouts: ConnectionTimeouts) -> Self {
        Self {
            inner,
            slots: Arc::new(Semaphore::new(max_connections.max(1))),
            timeouts,
        }
    }
}

impl Acceptor for TunedAcceptor {
    type Io = GuardedStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> std::io::Result<(GuardedStream, LocalAddr, RemoteAddr, Scheme)> {
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| std::io::Error::other("the connection limit was closed"))?;
        let (stream, local, remote, scheme) = self.inner.accept().await?;
        // A socket that refuses the option still serves, only slower for small responses.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY on an accepted connection");
        }
        let stream = GuardedStream::new(stream, slot, self.timeouts);
        Ok((stream, local, remote, scheme))
    }
}
