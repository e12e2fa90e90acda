//! Every resource a client can make the server hold is limited (issue 13): JSON bodies and small form
//! fields, password hashing, header blocks, and slow or silent connections.

use std::time::Duration;

use darkroom_tests::app::{assert_problem, spawn_app, spawn_app_with, TestApp};
use futures::StreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A guard against a test hanging when the server under test waits forever; never what is asserted.
const HANG_GUARD: Duration = Duration::from_secs(30);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(HANG_GUARD, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "the server kept the connection open: {}",
                String::from_utf8_lossy(&answer)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return String::from_utf8_lossy(&answer).into_owned(),
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_declared_oversized_json_body_is_refused_before_it_is_sent() {
    let app = spawn_app().await;
    let mut stream = connect(&app).await;
    // 48 MiB declared, one byte sent: the answer must come without the rest.
    stream
        .write_all(
            b"POST /v1/auth/login HTTP/1.1\r\nHost: darkroom\r\nContent-Type: application/json\r\n\
              Content-Length: 50331648\r\n\r\n{",
        )
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(HANG_GUARD, stream.read(&mut buf))
        .await
        .expect("an answer before the body was sent")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
}

#[tokio::test]
async fn a_chunked_json_body_is_cut_off_at_the_limit() {
    let app = spawn_app_with(|c| c.max_json_body_bytes = 64 * 1024).await;
    // 2 MiB of whitespace then a valid object, with no declared length (chunked).
    let chunks = futures::stream::iter(
        (0..32)
            .map(|_| vec![b' '; 64 * 1024])
            .chain(std::iter::once(
                b"{\"login\":\"a\",\"password\":\"b\"}".to_vec(),
            ))
            .map(Ok::<_, std::io::Error>),
    );
    let response = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks.boxed()))
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn form_fields_other_than_the_file_are_capped() {
    let app = spawn_app().await;
    let me = app.register("fields").await;
    let form = reqwest::multipart::Form::new()
        .text("visibility", "x".repeat(64 * 1024))
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![0xFF, 0xD8, 0xFF]),
        );
    let response = app
        .client
        .post(app.url("/v1/images"))
        .bearer_auth(&me.access_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn password_hashing_is_bounded_and_the_rest_are_told_to_retry() {
    let app = spawn_app_with(|c| {
        c.password_hash_concurrency = 1;
        c.password_hash_wait_ms = 0;
    })
    .await;
    app.register("crowd").await;
    let login = || {
        app.client
            .post(app.url("/v1/auth/login"))
            .json(&json!({"login": "crowd", "password": "correct horse battery"}))
            .send()
    };
    let answers = futures::future::join_all((0..16).map(|_| login())).await;
    let mut refused = 0;
    for answer in answers {
        let answer = answer.unwrap();
        match answer.status().as_u16() {
            200 => {}
            503 => {
                refused += 1;
                assert_eq!(answer.headers()["retry-after"], "1");
                assert_problem(answer, 503, "busy").await;
            }
            other => panic!("unexpected {other}: {:?}", answer.text().await),
        }
    }
    // One hash at a time, none waiting: sixteen logins at once cannot all have had a turn.
    assert!(refused > 0, "every concurrent login was hashed at once");
    assert!(refused < 16, "no login was served");
}

#[tokio::test]
async fn too_many_headers_are_refused_with_431() {
    let app = spawn_app_with(|c| c.max_header_count = 20).await;
    let mut request = app.client.get(app.url("/v1/limits"));
    for i in 0..30 {
        request = request.header(format!("x-filler-{i}"), "value");
    }
    assert_problem(request.send().await.unwrap(), 431, "headers_too_large").await;
    assert_eq!(app.get(None, "/v1/limits", &[]).await.status(), 200);
}

#[tokio::test]
async fn a_client_that_stops_halfway_through_its_headers_is_disconnected() {
    let app = spawn_app_with(|c| c.header_read_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: darkroom\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let app = spawn_app_with(|c| c.idle_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: darkroom\r\n\r\n")
        .await
        .unwrap();
    // The answer arrives, then the connection is closed once it has been idle long enough.
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_trickled_upload_is_cut_off_by_the_rate_floor() {
    let app = spawn_app_with(|c| {
        c.upload_min_bytes_per_sec = 1024;
        c.upload_rate_window_secs = 1;
    })
    .await;
    let me = app.register("trickle").await;
    // A JPEG's first bytes, then one byte every 200 ms: far under 1 KiB/s.
    let head = futures::stream::iter([Ok::<_, std::io::Error>(vec![0xFF, 0xD8, 0xFF, 0xE0])]);
    let trickle = futures::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Ok::<_, std::io::Error>(vec![0u8]), ()))
    });
    let response = tokio::time::timeout(
        HANG_GUARD,
        app.client
            .post(app.url("/v1/images"))
            .bearer_auth(&me.access_token)
            .header("content-type", "image/jpeg")
            .body(reqwest::Body::wrap_stream(head.chain(trickle).boxed()))
            .send(),
    )
    .await
    .expect("the upload was cut off")
    .unwrap();
    assert_problem(response, 400, "upload_interrupted").await;
}
