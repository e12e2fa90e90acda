//! The metadata export for analysts (`analytics_url`; see `services::analytics`): its settings checked,
//! its store connected, and its exporter made for the worker role.

use std::time::Duration;

use anyhow::{ensure, Context};
use darkroom_core::clock::Clock;
use darkroom_core::services::analytics::{ExportSettings, Exporter};

use crate::backends::{self, Backends};
use crate::config::Config;

/// The smallest `analytics_batch_bytes`: one image's line is a few hundred bytes.
const MIN_BATCH_BYTES: usize = 1024;

/// The export's settings; `None` when `analytics_url` is not set (the export is off).
pub fn settings(config: &Config) -> anyhow::Result<Option<ExportSettings>> {
    if config.analytics_url.as_deref().is_none_or(str::is_empty) {
        return Ok(None);
    }
    ensure!(
        config.analytics_flush_secs > 0,
        "analytics_flush_secs must be at least 1"
    );
    ensure!(
        config.analytics_batch_records > 0,
        "analytics_batch_records must be at least 1"
    );
    ensure!(
        config.analytics_batch_bytes >= MIN_BATCH_BYTES,
        "analytics_batch_bytes must be at least {MIN_BATCH_BYTES}"
    );
    Ok(Some(ExportSettings {
        flush_after: Duration::from_secs(config.analytics_flush_secs),
        max_records: config.analytics_batch_records,
        max_bytes: config.analytics_batch_bytes,
    }))
}

/// The exporter of a worker, its store connected; `None` when the export is off.
pub async fn exporter(
    config: &Config,
    backends: &Backends,
    clock: &Clock,
) -> anyhow::Result<Option<Exporter>> {
    let (Some(settings), Some(url)) = (settings(config)?, config.analytics_url.as_deref()) else {
        return Ok(None);
    };
    let sink = backends::storage::connect(url, config.auto_migrate)
        .await
        .with_context(|| format!("analytics storage {}", backends::redact(url)))?;
    Ok(Some(Exporter::new(
        backends.queue.clone(),
        backends.db.images.clone(),
        sink,
        clock.clone(),
        settings,
        backends.queue_settings.visibility_timeout,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_is_off_without_a_url_and_refuses_settings_that_never_write() {
        assert_eq!(settings(&Config::default()).unwrap(), None);
        let on = Config {
            analytics_url: Some("file:///tmp/analytics".into()),
            ..Config::default()
        };
        let defaults = settings(&on).unwrap().unwrap();
        assert_eq!(defaults.flush_after, Duration::from_secs(60));
        assert_eq!(defaults.max_records, 10_000);
        for broken in [
            Config {
                analytics_flush_secs: 0,
                ..on.clone()
            },
            Config {
                analytics_batch_records: 0,
                ..on.clone()
            },
            Config {
                analytics_batch_bytes: 10,
                ..on.clone()
            },
        ] {
            assert!(settings(&broken).is_err());
        }
    }
}
