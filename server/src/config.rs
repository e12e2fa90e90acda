//! Configuration: defaults, then an optional `darkroom.toml`, then `DARKROOM_*` environment variables,
//! then command-line flags (figment). Every setting has a default that runs on one machine with no services.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use darkroom_core::domain::{OutputFormat, PageRequest};
use darkroom_core::imaging::Limits;
use darkroom_core::ports::QueueSettings;
use darkroom_core::services::processing::VariantFormats;
use darkroom_core::services::social::SocialSettings;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Which side of the product a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The API and the worker in one process (the embedded default).
    All,
    /// HTTP only (and the outbox relay).
    Api,
    /// Jobs only (with `/healthz`, `/readyz` and `/metrics` for probes).
    Worker,
}

impl Role {
    pub fn serves_api(self) -> bool {
        matches!(self, Self::All | Self::Api)
    }

    pub fn runs_worker(self) -> bool {
        matches!(self, Self::All | Self::Worker)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub role: Role,
    /// `sqlite://PATH` (default: `darkroom.sqlite` in the data dir), `sqlite::memory:`, `postgres://…` or
    /// `dynamodb://TABLE?region=…&endpoint=…`.
    pub database_url: Option<String>,
    /// `file:///PATH` (default: `blobs/` in the data dir), `memory://` or
    /// `s3://BUCKET?region=…&endpoint=…&path_style=…&prefix=…`.
    pub storage_url: Option<String>,
    /// `embedded` (a durable queue in `queue.sqlite` in the data dir), `nats://…`, `amqp://…` or `sqs://…`.
    pub queue_url: String,
    /// `memory` (moka, in-process), `redis://…`, or `redis+local://…` (moka in front of Redis).
    pub cache_url: String,
    /// Whether `serve` creates what each backend needs at start (`darkroom migrate` always does).
    pub auto_migrate: bool,
    /// HS256 key for access tokens. When unset, one is generated once and kept in the data dir.
    pub jwt_secret: Option<String>,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub max_upload_bytes: u64,
    pub max_image_width: u32,
    pub max_image_height: u32,
    pub max_image_pixels: u64,
    /// Whether anyone may download the metadata-stripped original of a public image.
    pub public_originals: bool,
    /// Jobs a worker runs at once; 0 means one per core.
    pub worker_concurrency: usize,
    /// The formats of the upload variants, comma-separated: `jpeg` (required), `webp`, `avif`. AVIF is
    /// made by a job of its own once the image is ready, so it never delays `ready`.
    pub variant_formats: String,
    /// How long a job taken by a worker stays invisible to the others. A worker extends it while it works
    /// (every third of it), so this is how soon the jobs of a worker that died come back, not a limit on
    /// how long a job may take.
    pub queue_visibility_timeout_secs: u64,
    pub queue_max_attempts: u32,
    pub cache_max_bytes: u64,
    /// `text` or `json`.
    pub log_format: String,
    /// Whether every request is logged (one line, target `darkroom::access`).
    pub access_log: bool,
    /// Memory for the hot variants and originals served from RAM instead of storage; 0 turns it off.
    /// A blob enters on its second read and only if it is at most an eighth of this.
    pub serving_cache_bytes: u64,
    /// How long a stop waits for in-flight requests and jobs.
    pub shutdown_grace_secs: u64,
    /// Authors with more followers than this are not fanned out on write: their posts are merged into
    /// their followers' timelines when those are read.
    pub timeline_celebrity_threshold: u64,
    /// How many entries each stored home timeline keeps; older posts are read from the follow graph.
    pub timeline_cap: u32,
}

impl Default for Config {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            role: Role::All,
            database_url: None,
            storage_url: None,
            queue_url: "embedded".into(),
            cache_url: "memory".into(),
            auto_migrate: true,
            jwt_secret: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            max_upload_bytes: limits.max_bytes,
            max_image_width: limits.max_width,
            max_image_height: limits.max_height,
            max_image_pixels: limits.max_pixels,
            public_originals: true,
            worker_concurrency: 0,
            variant_formats: "jpeg,webp,avif".into(),
            queue_visibility_timeout_secs: QueueSettings::default().visibility_timeout.as_secs(),
            queue_max_attempts: 5,
            cache_max_bytes: 256 * 1024 * 1024,
            log_format: "text".into(),
            access_log: true,
            serving_cache_bytes: 128 * 1024 * 1024,
            shutdown_grace_secs: 30,
            timeline_celebrity_threshold: SocialSettings::default().celebrity_threshold,
            timeline_cap: SocialSettings::default().timeline_cap,
        }
    }
}

/// Flags that override every other layer when given.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

impl Config {
    /// Reads the layers. `file` defaults to `darkroom.toml` in the working directory, if it exists.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, Box<figment::Error>> {
        let file = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("darkroom.toml"));
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("DARKROOM_").filter(|key| !key.as_str().starts_with("test_")))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }

    pub fn social(&self) -> SocialSettings {
        SocialSettings {
            celebrity_threshold: self.timeline_celebrity_threshold,
            // A cap below one page would make every read fall back to the follow graph.
            timeline_cap: self.timeline_cap.max(PageRequest::MAX_LIMIT),
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.max_upload_bytes,
            max_width: self.max_image_width,
            max_height: self.max_image_height,
            max_pixels: self.max_image_pixels,
            ..Limits::default()
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join("darkroom.sqlite").display()
            )
        })
    }

    pub fn storage_url(&self) -> String {
        self.storage_url.clone().unwrap_or_else(|| {
            format!(
                "file://{}",
                absolute(&self.data_dir.join("blobs")).display()
            )
        })
    }

    pub fn variant_formats(&self) -> anyhow::Result<VariantFormats> {
        let formats = self
            .variant_formats
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| {
                f.to_ascii_lowercase()
                    .parse::<OutputFormat>()
                    .map_err(|_| anyhow::anyhow!("variant_formats: unknown format {f:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        VariantFormats::new(&formats).map_err(|e| anyhow::anyhow!("variant_formats: {e}"))
    }

    pub fn worker_concurrency(&self) -> usize {
        match self.worker_concurrency {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            n => n,
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "darkroom.toml",
                "listen = \"127.0.0.1:9000\"\nmax_upload_bytes = 10\nrole = \"api\"",
            )?;
            jail.set_env("DARKROOM_MAX_UPLOAD_BYTES", "20");
            jail.set_env("DARKROOM_TEST_POSTGRES_URL", "postgres://ignored");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.listen.port(), 9000);
            assert_eq!(config.max_upload_bytes, 20);
            assert_eq!(config.role, Role::Api);
            let flags = Overrides {
                role: Some(Role::Worker),
                ..Overrides::default()
            };
            assert_eq!(
                Config::load(None, &flags).map_err(|e| *e)?.role,
                Role::Worker
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn variant_formats_come_from_a_comma_separated_list() {
        assert_eq!(
            Config::default().variant_formats().unwrap(),
            VariantFormats::default()
        );
        figment::Jail::expect_with(|jail| {
            jail.set_env("DARKROOM_VARIANT_FORMATS", "JPEG, webp");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            let formats = config.variant_formats().unwrap();
            assert_eq!(
                (formats.with_upload, formats.after_ready),
                (vec![OutputFormat::Jpeg, OutputFormat::Webp], vec![])
            );
            Ok(())
        });
        let broken = |list: &str| Config {
            variant_formats: list.into(),
            ..Config::default()
        };
        assert!(broken("jpeg,gif").variant_formats().is_err());
        assert!(broken("webp,avif").variant_formats().is_err());
    }
}
