//! The listener's socket options, checked on the server's side of a real connection: `TCP_NODELAY` is what
//! keeps a small response from waiting ~40 ms on Nagle and the client's delayed ACK, and a test of it must
//! time nothing, so it reads the option back from the accepted socket.

use std::time::Duration;

use darkroom::connection::ConnectionTimeouts;
use darkroom::listener::TunedAcceptor;
use poem::listener::{Acceptor, Listener, TcpListener};
use tokio::net::TcpStream;

/// Accepts one connection made to `acceptor` and returns whether its server side has `TCP_NODELAY`, read
/// from the accepted connection by `socket`.
async fn accepted_nodelay<A: Acceptor>(mut acceptor: A, socket: fn(&A::Io) -> &TcpStream) -> bool {
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .expect("a TCP listener has a socket address");
    let client = tokio::spawn(TcpStream::connect(addr));
    let (server_side, ..) = acceptor.accept().await.expect("accepts the connection");
    let _client = client
        .await
        .expect("the connecting task ran")
        .expect("connects");
    socket(&server_side).nodelay().expect("reads TCP_NODELAY")
}

#[tokio::test]
async fn accepted_connections_have_nagle_turned_off() {
    let timeouts = ConnectionTimeouts {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(10),
    };
    let tuned = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .map(|inner| TunedAcceptor::new(inner, 8, timeouts))
        .unwrap();
    assert!(accepted_nodelay(tuned, |stream| stream.socket()).await);
}

/// The control: without the tuned acceptor the kernel's default (Nagle on) stays, so the test above would
/// fail if `TunedAcceptor` stopped setting the option.
#[tokio::test]
async fn a_plain_acceptor_leaves_nagle_on() {
    let plain = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    assert!(!accepted_nodelay(plain, |stream| stream).await);
}
