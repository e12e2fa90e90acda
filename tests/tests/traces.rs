//! Traces over OTLP: a server exporting to an OTLP/HTTP receiver inside the test (a small HTTP server that
//! decodes the protobuf export requests), driven through an upload. One upload must be one trace: the upload
//! request's span, the outbox relay's span below it, and the worker's span below the relay's, carried from
//! the request through the outbox row and the queue message.
//!
//! A test binary of its own: the process's log subscriber and tracer are global, installed once, and here
//! they must be the server's own (`telemetry::init` with a tracer), not the other suites' test logger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use darkroom::config::Role;
use darkroom_tests::app::{spawn_app, spawn_app_with};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{handler, post, EndpointExt, Route, Server};
use prost::Message as _;

/// A span as received, with its resource's attributes.
#[derive(Debug, Clone)]
struct Received {
    span: Span,
    resource: Vec<KeyValue>,
}

type Spans = Arc<Mutex<Vec<Received>>>;

#[handler]
async fn export(body: poem::Body, spans: Data<&Spans>) -> poem::http::StatusCode {
    let Ok(bytes) = body.into_bytes().await else {
        return poem::http::StatusCode::BAD_REQUEST;
    };
    let Ok(request) = ExportTraceServiceRequest::decode(bytes) else {
        return poem::http::StatusCode::BAD_REQUEST;
    };
    let mut spans = spans.lock().unwrap();
    for resource_spans in request.resource_spans {
        let resource = resource_spans
            .resource
            .map(|r| r.attributes)
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                spans.push(Received {
                    span,
                    resource: resource.clone(),
                });
            }
        }
    }
    poem::http::StatusCode::OK
}

/// Starts the receiver; returns its base URL (what `otlp_endpoint` is set to) and what it received.
async fn receiver() -> (String, Spans) {
    let spans = Spans::default();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    let routes = Route::new()
        .at("/v1/traces", post(export))
        .data(spans.clone());
    tokio::spawn(Server::new_with_acceptor(acceptor).run(routes));
    (format!("http://127.0.0.1:{port}"), spans)
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn string_attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    match attribute(attributes, key)? {
        AnyValue::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

/// The spans named `name` whose attribute `key` is `value`.
fn named<'a>(spans: &'a [Received], name: &str, key: &str, value: &str) -> Vec<&'a Received> {
    spans
        .iter()
        .filter(|r| {
            r.span.name == name
                && string_attribute(&r.span.attributes, key).as_deref() == Some(value)
        })
        .collect()
}

/// Whether `ancestor` is `span`'s parent, or its parent's parent, and so on, among `spans`.
fn descends_from(spans: &[Received], span: &Span, ancestor: &Span) -> bool {
    let by_id: HashMap<&[u8], &Span> = spans
        .iter()
        .map(|r| (r.span.span_id.as_slice(), &r.span))
        .collect();
    let mut parent = span.parent_span_id.as_slice();
    // Bounded by the number of spans: a cycle cannot loop forever.
    for _ in 0..=spans.len() {
        if parent == ancestor.span_id.as_slice() {
            return true;
        }
        match by_id.get(parent) {
            Some(next) => parent = next.parent_span_id.as_slice(),
            None => return false,
        }
    }
    false
}

#[test]
fn one_upload_is_one_trace_across_the_api_the_relay_and_the_worker() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (endpoint, received) = runtime.block_on(receiver());
    let (traces, tracer) = darkroom::traces::exporter(&endpoint, Role::All).unwrap();
    darkroom::telemetry::init("json", true, Some(tracer));

    let image_id = runtime.block_on(async {
        let app = spawn_app().await;
        let alice = app.register("alice").await;
        let uploaded = app
            .upload_testdata(&alice, "photos/Nikon_D70.jpg", "public")
            .await;
        let id = uploaded["id"].as_str().unwrap().to_owned();
        let image = app.wait_processed(&alice, &id).await;
        assert_eq!(image["status"], "ready", "{image}");
        id
    });

    // The worker's span ends after its job was settled, a moment after the image turned ready: flush
    // until it has arrived (each flush waits for the receiver's answer).
    let job_name = "process image.process";
    let mut spans = Vec::new();
    for _ in 0..100 {
        traces.flush();
        spans = received.lock().unwrap().clone();
        if !named(
            &spans,
            job_name,
            "messaging.destination.name",
            "image.process",
        )
        .is_empty()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    let uploads = named(&spans, "POST /v1/images", "http.route", "/v1/images");
    assert_eq!(uploads.len(), 1, "one upload request span: {spans:#?}");
    let upload = &uploads[0].span;
    let relays = named(
        &spans,
        "publish image.process",
        "messaging.destination.name",
        "image.process",
    );
    assert_eq!(relays.len(), 1, "one relay span: {spans:#?}");
    let relay = &relays[0].span;
    let jobs = named(
        &spans,
        job_name,
        "messaging.destination.name",
        "image.process",
    );
    assert_eq!(jobs.len(), 1, "one worker span: {spans:#?}");
    let job = &jobs[0].span;

    // One trace, and the links right: request → relay → worker.
    assert_eq!(
        relay.trace_id, upload.trace_id,
        "the relay joins the upload's trace"
    );
    assert_eq!(
        job.trace_id, upload.trace_id,
        "the worker joins the upload's trace"
    );
    assert!(
        descends_from(&spans, relay, upload),
        "the relay span descends from the upload request's span"
    );
    assert_eq!(
        job.parent_span_id, relay.span_id,
        "the worker's span is the relay's child"
    );
    // Kinds as OpenTelemetry knows them: server, producer, consumer.
    assert_eq!(upload.kind, 2);
    assert_eq!(relay.kind, 4);
    assert_eq!(job.kind, 5);
    assert_eq!(
        string_attribute(&upload.attributes, "http.request.method").as_deref(),
        Some("POST")
    );
    match attribute(&upload.attributes, "http.response.status_code") {
        Some(AnyValue::IntValue(status)) => assert_eq!(*status, 202),
        other => panic!("the upload span's status code: {other:?}"),
    }
    // The message id the worker saw is the outbox row's, which names the image's job.
    assert!(string_attribute(&job.attributes, "messaging.message.id").is_some());

    // Who sent them: the service and its role.
    let resource = &jobs[0].resource;
    assert_eq!(
        string_attribute(resource, "service.name").as_deref(),
        Some("darkroom")
    );
    assert_eq!(
        string_attribute(resource, "darkroom.role").as_deref(),
        Some("all")
    );

    // A request that carries a traceparent (from a proxy or a client) is a child of it.
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    runtime.block_on(async {
        let app = spawn_app_with(|_| {}).await;
        let response = app
            .client
            .get(app.url(&format!("/v1/images/{image_id}")))
            .header("traceparent", format!("00-{caller_trace}-{caller_span}-01"))
            .send()
            .await
            .unwrap();
        // Another server's data dir: the image is not there.
        assert_eq!(response.status(), 404);
    });
    let mut continued = Vec::new();
    for _ in 0..100 {
        traces.flush();
        let spans = received.lock().unwrap().clone();
        continued = named(
            &spans,
            "GET /v1/images/{id}",
            "http.route",
            "/v1/images/{id}",
        )
        .into_iter()
        .filter(|r| hex::encode(&r.span.trace_id) == caller_trace)
        .map(|r| r.span.clone())
        .collect();
        if !continued.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(continued.len(), 1, "the caller's trace is continued");
    assert_eq!(hex::encode(&continued[0].parent_span_id), caller_span);
    traces.shutdown();
}
