//! The HTTP listener: poem's TCP acceptor with the socket options every connection needs.
//!
//! `TCP_NODELAY` matters more than it looks: a response written as headers then body in separate small
//! writes meets Nagle's algorithm on the server and the client's delayed ACK, and each small image waits
//! about 40 ms for nothing. Every accepted socket turns Nagle off.

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, TcpAcceptor};
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::TcpStream;

/// Accepts TCP connections with `TCP_NODELAY` set.
pub struct TunedAcceptor {
    inner: TcpAcceptor,
}

impl std::fmt::Debug for TunedAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunedAcceptor").finish_non_exhaustive()
    }
}

impl TunedAcceptor {
    pub fn new(inner: TcpAcceptor) -> Self {
        Self { inner }
    }
}

impl Acceptor for TunedAcceptor {
    type Io = TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> std::io::Result<(TcpStream, LocalAddr, RemoteAddr, Scheme)> {
        let (stream, local, remote, scheme) = self.inner.accept().await?;
        // A socket that refuses the option still serves, only slower for small responses.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY on an accepted connection");
        }
        Ok((stream, local, remote, scheme))
    }
}
