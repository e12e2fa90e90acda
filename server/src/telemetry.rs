//! Logs (tracing) and metrics (Prometheus text format).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Installs the global log subscriber once; later calls (tests spawning many apps) are no-ops.
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_env("DARKROOM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
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

/// The process-wide metrics recorder, installed on first use.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first, in which case ours just stays empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}
