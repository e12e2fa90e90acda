//! Logs (tracing), the access log, and metrics (Prometheus text format). Traces: `traces`.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry_sdk::trace::SdkTracer;
use poem::{Endpoint, Request, Response};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::api::client_ip::client_ip;
use crate::api::rate_limits::RateLimitSettings;

/// The target of the access log's lines, so a filter (`DARKROOM_LOG=darkroom::access=off`) or
/// `access_log = false` can silence them alone.
pub const ACCESS_LOG: &str = "darkroom::access";

/// Latency buckets in seconds: from a cached variant (~100 µs) to an upload (seconds).
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0,
];
/// How often recorded histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the global log subscriber once; later calls (tests spawning many apps) are no-ops. Without
/// `access_log` the access log's callsite is disabled, which costs a request nothing at all. With a `tracer`
/// (`otlp_endpoint` set), the spans `DARKROOM_LOG` lets through are exported through it too, and JSON log lines
/// written inside a span carry its `trace_id` and `span_id`.
pub fn init(format: &str, access_log: bool, tracer: Option<SdkTracer>) {
    let mut filter =
        EnvFilter::try_from_env("DARKROOM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if !access_log {
        if let Ok(off) = format!("{ACCESS_LOG}=off").parse() {
            filter = filter.add_directive(off);
        }
    }
    // Colour only for a person at a terminal; log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let logs: Box<dyn Layer<Filtered> + Send + Sync> = match format {
        "json" => json_logs(std::io::stdout).boxed(),
        _ => tracing_subscriber::fmt::layer().with_ansi(ansi).boxed(),
    };
    // One filter for logs and spans alike, in front of both: per-layer filters keep per-thread state that
    // `tracing::enabled!` (the access log's check) leaves behind for the next span, which then went
    // unrecorded by one of the layers.
    let mut layers = vec![logs];
    layers.extend(tracer.map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer).boxed()));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .try_init();
}

/// The registry behind the global filter: what the log and trace layers see.
type Filtered = tracing_subscriber::layer::Layered<EnvFilter, Registry>;

/// JSON lines to `writer`, with the trace and span ids of the span they were written in.
fn json_logs<S, W>(writer: W) -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .event_format(WithTraceIds(tracing_subscriber::fmt::format().json()))
        .with_writer(writer)
}

/// The JSON formatter with the OpenTelemetry ids of the current span added to each line, so a log line
/// leads to its trace.
struct WithTraceIds<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let Some((trace_id, span_id)) = ctx
            .lookup_current()
            .and_then(|span| crate::traces::ids(&span))
        else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        // The JSON formatter writes one object and a newline: the ids go in before its closing brace.
        match line.trim_end().strip_suffix('}') {
            Some(object) => writeln!(
                writer,
                "{object},\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"}}"
            ),
            None => writer.write_str(&line),
        }
    }
}

/// One line per request: no span (a span's fields are formatted into a string when it opens, whether or
/// not anything inside logs) and nothing formatted at all when the line is filtered out. The client is the
/// one the rate limits count: forwarding headers are believed only from `trusted_proxies`, so a client cannot
/// write someone else's address into the log.
pub async fn access_log<E: Endpoint>(
    next: E,
    req: Request,
    settings: Arc<RateLimitSettings>,
) -> poem::Result<Response> {
    let started = Instant::now();
    let enabled = tracing::enabled!(target: ACCESS_LOG, tracing::Level::INFO);
    // Kept only when a line will be written: the response consumes the request.
    let line = if enabled {
        let remote = match client_ip(&req, &settings.trusted_proxies) {
            Some(ip) => ip.to_string(),
            None => req.remote_addr().to_string(),
        };
        Some((req.method().clone(), req.original_uri().clone(), remote))
    } else {
        None
    };
    let response = next.get_response(req).await;
    if let Some((method, uri, remote)) = line {
        tracing::info!(
            target: ACCESS_LOG,
            %remote,
            %method,
            %uri,
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "request"
        );
    }
    Ok(response)
}

/// The process-wide metrics recorder, installed on first use. Histograms have fixed buckets (a sample is a
/// counter increment when folded) rather than the summary default, whose quantile sketches cost per
/// sample; a background thread folds samples every few seconds, so their buffer stays small under load
/// however rarely `/metrics` is scraped.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Refused only for an empty list, which ours is not.
        let builder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first, in which case ours just stays empty.
        let _ = metrics::set_global_recorder(recorder);
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        handle
    })
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::layer::SubscriberExt;

    use super::json_logs;

    /// What the log layer wrote, line by line.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::ErrorKind::Other)?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_inside_a_span_carry_its_trace_and_span_ids() {
        // A provider without an exporter: spans get ids, nothing is sent anywhere.
        let provider = SdkTracerProvider::builder().build();
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry()
            .with(json_logs(move || writer.clone()))
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let expected = tracing::subscriber::with_default(subscriber, || {
            tracing::info!("outside any span");
            let span = tracing::info_span!("work");
            let _entered = span.enter();
            tracing::info!("inside");
            let context = span.context();
            let ids = context.span().span_context().clone();
            (ids.trace_id().to_string(), ids.span_id().to_string())
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["fields"]["message"], "outside any span");
        assert!(lines[0].get("trace_id").is_none(), "{text}");
        assert_eq!(lines[1]["fields"]["message"], "inside");
        assert_eq!(lines[1]["trace_id"], expected.0.as_str(), "{text}");
        assert_eq!(lines[1]["span_id"], expected.1.as_str(), "{text}");
        assert_eq!(expected.0.len(), 32);
    }
}
