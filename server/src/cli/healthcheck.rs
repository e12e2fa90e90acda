//! `darkroom healthcheck`: asks a running instance's `/readyz` and exits 0 when it answers 200, 1 otherwise
//! (refused, timed out, 503 with a backend down), so a container image needs no curl for its HEALTHCHECK.
//! One plain HTTP/1.1 request over a `TcpStream`: the probe talks to its own process over loopback, and an
//! HTTP client (with TLS) would be a heavy dependency for that.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

/// How much of the answer is read (and printed): `/readyz` is a few hundred bytes.
const MAX_ANSWER_BYTES: u64 = 16 * 1024;

#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// The instance to ask, `http://HOST[:PORT][/PATH]` (PATH defaults to /readyz). Default: this config's
    /// `listen` port on 127.0.0.1, so inside a container it needs no flag.
    #[arg(long)]
    pub url: Option<String>,
    /// How long to wait for the whole answer.
    #[arg(long, default_value_t = 5)]
    pub timeout_secs: u64,
}

/// The URL of this instance's `/readyz`, from the address it listens on (an unspecified address such as
/// 0.0.0.0 is asked over loopback).
pub fn local_url(listen: SocketAddr) -> String {
    format!("http://127.0.0.1:{}/readyz", listen.port())
}

pub fn run(url: &str, timeout: Duration) -> ExitCode {
    match probe(url, timeout) {
        Ok((200, body)) => {
            println!("{body}");
            ExitCode::SUCCESS
        }
        Ok((status, body)) => {
            eprintln!("darkroom healthcheck: {url} answered {status}: {body}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("darkroom healthcheck: {url}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The status code and body of `GET url`.
fn probe(url: &str, timeout: Duration) -> Result<(u16, String), String> {
    let (host, port, path) = parse_http_url(url)?;
    let addresses: Vec<SocketAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let mut last_error = format!("{host} has no address");
    for address in addresses {
        match ask(address, &host, &path, timeout) {
            Ok(answer) => return Ok(answer),
            Err(err) => last_error = err,
        }
    }
    Err(last_error)
}

fn ask(
    address: SocketAddr,
    host: &str,
    path: &str,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect_timeout(&address, timeout).map_err(|e| format!("{address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: darkroom-healthcheck\r\n\
         Accept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending the request: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER_BYTES)
        .read_to_end(&mut answer)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("HTTP/1."))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| "the answer is not HTTP".to_string())?;
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .trim();
    Ok((status, body.to_string()))
}

/// `http://HOST[:PORT][/PATH]` into its parts; a URL without a path asks `/readyz`.
fn parse_http_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url:?} is not an http:// URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(slash) if slash + 1 < rest.len() => (&rest[..slash], &rest[slash..]),
        Some(slash) => (&rest[..slash], "/readyz"),
        None => (rest, "/readyz"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        // An IPv6 literal is bracketed: `[::1]:8080`; a colon inside the brackets is no port.
        Some((host, port)) if !port.contains(']') => (
            host,
            port.parse()
                .map_err(|_| format!("{port:?} is not a port"))?,
        ),
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    Ok((host.to_string(), port, path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_default_to_readyz_and_port_80() {
        let parts = |host: &str, port, path: &str| Ok((host.to_string(), port, path.to_string()));
        assert_eq!(
            parse_http_url("http://127.0.0.1:8080"),
            parts("127.0.0.1", 8080, "/readyz")
        );
        assert_eq!(parse_http_url("http://api/"), parts("api", 80, "/readyz"));
        assert_eq!(
            parse_http_url("http://api:9/healthz"),
            parts("api", 9, "/healthz")
        );
        assert_eq!(
            parse_http_url("http://[::1]:8080"),
            parts("::1", 8080, "/readyz")
        );
        assert_eq!(parse_http_url("http://[::1]"), parts("::1", 80, "/readyz"));
        assert!(parse_http_url("https://api").is_err());
        assert!(parse_http_url("http://api:port").is_err());
        assert!(parse_http_url("http://:80").is_err());
    }

    #[test]
    fn the_local_url_asks_loopback_on_the_listen_port() {
        assert_eq!(
            local_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080/readyz"
        );
    }
}
