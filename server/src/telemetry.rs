//! Logs (tracing), the access log, and metrics (Prometheus text format).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use poem::{Endpoint, Request, Response};
use tracing_subscriber::EnvFilter;

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
/// `access_log` the access log's callsite is disabled, which costs a request nothing at all.
pub fn init(format: &str, access_log: bool) {
    let mut filter =
        EnvFilter::try_from_env("DARKROOM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if !access_log {
        if let Ok(off) = format!("{ACCESS_LOG}=off").parse() {
            filter = filter.add_directive(off);
        }
    }
    // Colour only for a person at a terminal; log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    let _ = match format {
        "json" => builder.json().try_init(),
        _ => builder.try_init(),
    };
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
