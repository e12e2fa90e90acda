//! OpenTelemetry traces, exported over OTLP/HTTP (protobuf) when `otlp_endpoint` is set: the tracer
//! provider with the service's resource, the `tracing` layer that turns spans into OpenTelemetry spans, the
//! W3C propagation that carries a context through the outbox and the queue (see
//! `darkroom_core::trace_context`), and the span of each HTTP request.
//!
//! Unset, none of this exists: no exporter thread, no span per request, nothing carried in payloads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use poem::{Endpoint, Request, Response};
use tracing::Instrument;
use tracing_opentelemetry::{OpenTelemetrySpanExt, OtelData};
use tracing_subscriber::registry::LookupSpan;

use crate::api::route_label::{method_label, route_label};
use crate::config::Role;

/// The service name in every exported span's resource.
pub const SERVICE_NAME: &str = "darkroom";

static REQUEST_SPANS: AtomicBool = AtomicBool::new(false);

/// The exporter, kept to flush what is buffered when the process stops.
#[derive(Debug)]
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// Sends every span ended so far (blocking until the collector answered or the export timed out).
    pub fn flush(&self) {
        if let Err(err) = self.provider.force_flush() {
            eprintln!("darkroom: flushing traces failed: {err}");
        }
    }

    /// Flushes and stops the exporter; spans ended afterwards are dropped.
    pub fn shutdown(&self) {
        if let Err(err) = self.provider.shutdown() {
            eprintln!("darkroom: stopping the trace exporter failed: {err}");
        }
    }
}

/// The tracer of an exporter to `endpoint` (the collector's base URL; traces go to its `/v1/traces`), with
/// the service name, version and role as resource attributes. Starts the exporter's batching thread.
pub fn exporter(endpoint: &str, role: Role) -> anyhow::Result<(Traces, SdkTracer)> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url.clone())
        .build()
        .with_context(|| format!("otlp_endpoint {url}"))?;
    let role = role.name();
    let resource = Resource::builder()
        .with_service_name(SERVICE_NAME)
        .with_attributes([
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("darkroom.role", role),
        ])
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer(SERVICE_NAME);
    darkroom_core::trace_context::install(Box::new(W3cPropagation));
    REQUEST_SPANS.store(true, Ordering::Relaxed);
    Ok((Traces { provider }, tracer))
}

/// `traceparent` in and out of `tracing` spans, through the OpenTelemetry layer.
struct W3cPropagation;

const TRACEPARENT: &str = "traceparent";

impl darkroom_core::trace_context::Propagation for W3cPropagation {
    fn traceparent(&self, span: &tracing::Span) -> Option<String> {
        let context = span.context();
        if !context.span().span_context().is_valid() {
            return None;
        }
        let mut carrier = HashMap::new();
        TraceContextPropagator::new().inject_context(&context, &mut carrier);
        carrier.remove(TRACEPARENT)
    }

    fn set_parent(&self, span: &tracing::Span, traceparent: &str) {
        let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
        let parent = TraceContextPropagator::new().extract(&carrier);
        // A malformed context extracts as none: the span starts a trace of its own.
        if parent.span().span_context().is_valid() {
            span.set_parent(parent);
        }
    }
}

/// The trace and span ids of a span, as the hex a trace backend searches by.
pub fn ids<S>(span: &tracing_subscriber::registry::SpanRef<'_, S>) -> Option<(String, String)>
where
    S: for<'a> LookupSpan<'a>,
{
    let extensions = span.extensions();
    let data = extensions.get::<OtelData>()?;
    let parent = data.parent_cx.span();
    let trace_id = if data.parent_cx.has_active_span() {
        Some(parent.span_context().trace_id())
    } else {
        data.builder.trace_id
    }?;
    let span_id = data.builder.span_id?;
    Some((trace_id.to_string(), span_id.to_string()))
}

/// One server span per request while traces are exported, named by method and route template (bounded,
/// like the metrics' labels), a child of the caller's `traceparent` when it sends one. The outbox rows the
/// request writes carry this span's context to the worker.
pub async fn request_span<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if !REQUEST_SPANS.load(Ordering::Relaxed) {
        return Ok(next.get_response(req).await);
    }
    let method = method_label(req.method());
    let route = route_label(req.uri().path());
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = method,
        http.route = route,
        http.response.status_code = tracing::field::Empty,
    );
    if let Some(traceparent) = req
        .headers()
        .get(TRACEPARENT)
        .and_then(|value| value.to_str().ok())
    {
        darkroom_core::trace_context::Propagation::set_parent(&W3cPropagation, &span, traceparent);
    }
    let response = next.get_response(req).instrument(span.clone()).await;
    span.record(
        "http.response.status_code",
        i64::from(response.status().as_u16()),
    );
    if response.status().is_server_error() {
        span.set_status(opentelemetry::trace::Status::error(""));
    }
    Ok(response)
}
