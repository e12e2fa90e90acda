//! Configuration: defaults, then an optional `darkroom.toml`, then `DARKROOM_*` environment variables,
//! then command-line flags (figment). Every setting has a default that runs on one machine with no services.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use darkroom_core::domain::{OutputFormat, PageRequest};
use darkroom_core::imaging::Limits;
use darkroom_core::ports::{QueueSettings, Quota};
use darkroom_core::services::auth::PasswordHashing;
use darkroom_core::services::processing::VariantFormats;
use darkroom_core::services::social::SocialSettings;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::api::{Network, RateLimitClass, RateLimitSettings};

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
    /// On-the-fly transformations only (`transformImage`, with `/healthz`, `/readyz` and `/metrics`), so
    /// their CPU scales apart from the API's: no other route, no outbox relay, no worker, no passes.
    Transform,
}

impl Role {
    /// The whole v1 API (every operation but `transformImage` needs this), and the outbox relay behind it.
    pub fn serves_api(self) -> bool {
        matches!(self, Self::All | Self::Api)
    }

    /// The transformation route: the API serves it too, so a deployment without a transform role loses
    /// nothing.
    pub fn serves_transforms(self) -> bool {
        matches!(self, Self::All | Self::Api | Self::Transform)
    }

    pub fn runs_worker(self) -> bool {
        matches!(self, Self::All | Self::Worker)
    }

    /// Whether the role publishes or consumes jobs: a transform replica never does, so its readiness does
    /// not wait on the queue.
    pub fn uses_queue(self) -> bool {
        self.serves_api() || self.runs_worker()
    }

    /// The role's name as configured (`DARKROOM_ROLE`, `--role`).
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Api => "api",
            Self::Worker => "worker",
            Self::Transform => "transform",
        }
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
    /// Encryption at rest of the local store: a 32-byte key in base64. Unset (and no key file): blobs are
    /// stored as they come.
    pub storage_encryption_key: Option<String>,
    /// A file holding that key (base64 text, or the 32 raw bytes); instead of `storage_encryption_key`.
    pub storage_encryption_key_file: Option<PathBuf>,
    /// With encryption on, what becomes of blobs written before it was: `read` serves them as they are,
    /// `refuse` makes them errors.
    pub storage_encryption_plaintext: String,
    /// `embedded` (a durable queue in `queue.sqlite` in the data dir), `nats://…`, `amqp://…` or `sqs://…`.
    pub queue_url: String,
    /// `memory` (moka, in-process), `redis://…`, or `redis+local://…` (moka in front of Redis).
    pub cache_url: String,
    /// Whether `serve` creates what each backend needs at start (`darkroom migrate` always does).
    pub auto_migrate: bool,
    /// HS256 key for access tokens. When unset, one is generated once and kept in the data dir.
    pub jwt_secret: Option<String>,
    /// Secrets that signed access tokens before `jwt_secret` was rotated, comma-separated: still accepted,
    /// never used to sign. Keep one for an access-token lifetime after a rotation, then remove it.
    pub jwt_previous_secrets: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    /// The longest a session lives from its login, however often it is refreshed; then its owner logs in
    /// again.
    pub session_max_age_secs: u64,
    /// How long the temporary URLs of images that are not public (variant and transformation URLs that work
    /// without a bearer token, in `<img>` tags) live at least; they are rounded up by a quarter of it, so
    /// an image's URLs stay the same for a while.
    pub temporary_url_ttl_secs: u64,
    pub max_upload_bytes: u64,
    /// Resumable uploads: the size of every part but the last (the largest part taken), at least 5 MiB
    /// (S3's smallest) and under common proxy body limits by default (50 MiB).
    pub upload_part_max_bytes: u64,
    /// Resumable uploads left unfinished this long are aborted and removed by the worker's expiry pass.
    pub upload_expiry_secs: u64,
    /// How often the worker's expiry pass runs.
    pub upload_expiry_pass_secs: u64,
    /// How many days a deleted image stays restorable (`restoreImage`); the worker's purge pass then removes
    /// its blobs and rows for good.
    pub retention_days: u32,
    /// How often the worker's purge pass runs.
    pub retention_pass_secs: u64,
    /// Originals (the upload and the public original; never variants) not read for this many days move to
    /// the archive tier; 0 turns the tier off. The tier is `archive_storage_url`, or on S3 storage without
    /// one, `archive_storage_class`; on other storage without `archive_storage_url` there is no tier.
    pub archive_after_days: u32,
    /// A second storage URL (any the storage accepts: `file:///…`, `s3://…`) that archived originals move
    /// to. Must not be the storage URL itself.
    pub archive_storage_url: Option<String>,
    /// On S3 storage with no `archive_storage_url`: the storage class archived originals are copied into
    /// (`GLACIER_IR`, `STANDARD_IA`, `ONEZONE_IA`, `INTELLIGENT_TIERING`, `GLACIER`, `DEEP_ARCHIVE`).
    pub archive_storage_class: String,
    /// How often the worker's archive pass runs.
    pub archive_pass_secs: u64,
    /// How often the worker's janitor runs (removing what interrupted writes left behind).
    pub janitor_pass_secs: u64,
    /// How old a leftover of an interrupted write (a staging file, a multipart upload, blobs no image row
    /// owns) must be before the janitor removes it; at least 3600.
    pub janitor_grace_secs: u64,
    /// Where each ready image's metadata goes for analysts, as gzip NDJSON batches under
    /// `analytics/date=YYYY-MM-DD/` (any storage URL: `file:///…`, `s3://…`); unset, the export is off.
    pub analytics_url: Option<String>,
    /// A batch is written at the latest this long after its first image arrived.
    pub analytics_flush_secs: u64,
    /// A batch is written as soon as it holds this many images.
    pub analytics_batch_records: usize,
    /// A batch is written as soon as its lines (before compression) reach this many bytes.
    pub analytics_batch_bytes: usize,
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
    /// An OpenTelemetry collector's OTLP/HTTP base URL (`http://localhost:4318`): when set, traces are
    /// exported to its `/v1/traces` (protobuf). Unset: no span is exported and nothing is started for it.
    pub otlp_endpoint: Option<String>,
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
    /// Largest JSON request body, in bytes (refused with 413 before it is read when declared, and as soon
    /// as a chunked body passes it).
    pub max_json_body_bytes: u64,
    /// Largest multipart field other than `file`, in bytes.
    pub max_form_field_bytes: u64,
    /// How long a JSON body (or a small form field) may take to arrive.
    pub body_read_timeout_secs: u64,
    /// Largest header block in bytes, and most header lines, of one request (431 past them).
    pub max_header_bytes: usize,
    pub max_header_count: usize,
    /// Password hashes (argon2id, ~19 MiB each) computed at once; 0 means one per core. Others wait up to
    /// `password_hash_wait_ms`, then get 503 with `Retry-After`.
    pub password_hash_concurrency: usize,
    pub password_hash_wait_ms: u64,
    /// How long a client may take to send a whole header block (from connecting, or from the first byte
    /// of the next request on a kept-alive connection).
    pub header_read_timeout_secs: u64,
    /// How long a connection may sit idle between requests, or with our answer unread, before it is closed.
    pub idle_timeout_secs: u64,
    /// An upload must bring at least this many bytes per second, averaged over each
    /// `upload_rate_window_secs`, or it is cut off (a trickled body).
    pub upload_min_bytes_per_sec: u64,
    pub upload_rate_window_secs: u64,
    /// Connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Requests per minute by class, per client address and per account alike:
    /// `login=…,register=…,refresh=…,uploads=…,writes=…,reads=…` (a class left out is not limited), or
    /// `off`.
    pub rate_limits: String,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` name the client: comma-separated addresses or
    /// networks (`10.0.0.0/8`). Empty: the peer is the client.
    pub trusted_proxies: String,
    /// Failed logins per account and client address allowed in a burst; after them, one more every
    /// `login_lockout_secs / login_lockout_failures` (0 turns this off).
    pub login_lockout_failures: u32,
    pub login_lockout_secs: u64,
    /// Origins (`https://app.example.org`, comma-separated) whose pages may call the API from a browser.
    /// Empty: none.
    pub cors_origins: String,
    /// A second listener for the operator: `/metrics`, `/readyz` with each backend's state, `/healthz`.
    /// Keep it off the public network (e.g. `0.0.0.0:9090` inside a pod, scraped by Prometheus).
    pub metrics_listen: Option<SocketAddr>,
    /// A bearer token that opens `/metrics` and the detailed `/readyz` on the API's own port. Without it
    /// (and without `metrics_listen`) metrics are not served at all.
    pub metrics_token: Option<String>,
    /// `transformImage` signing keys and salts, hex, comma-separated for rotation (imgproxy's
    /// `IMGPROXY_KEY`/`IMGPROXY_SALT`). Empty: any signature segment is accepted.
    pub transform_key: String,
    pub transform_salt: String,
    /// Bytes a signature is truncated to (1-32); 0 for the whole 32.
    pub transform_signature_size: usize,
    /// Named option lists for `pr:NAME`, each options separated by `/` (`rs:fill:300:300/q:80`); one
    /// named `default` applies to every transformation first.
    pub transform_presets: HashMap<String, String>,
    /// Only presets may be named in transformation URLs.
    pub transform_only_presets: bool,
    /// Transformations rendered at once; 0 means one per core. `transform_queue` more may wait, past
    /// them requests get 503 with `Retry-After`.
    pub transform_concurrency: usize,
    pub transform_queue: usize,
    /// A PNG, JPEG or WebP file that `wm` lays on transformations (imgproxy's `IMGPROXY_WATERMARK_PATH`),
    /// read and decoded once at start-up and held to the ingest limits. None: `wm` is refused.
    pub transform_watermark_path: Option<PathBuf>,
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
            storage_encryption_key: None,
            storage_encryption_key_file: None,
            storage_encryption_plaintext: "read".into(),
            queue_url: "embedded".into(),
            cache_url: "memory".into(),
            auto_migrate: true,
            jwt_secret: None,
            jwt_previous_secrets: String::new(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            session_max_age_secs: 90 * 24 * 3600,
            temporary_url_ttl_secs: 3600,
            max_upload_bytes: limits.max_bytes,
            upload_part_max_bytes: 50 * 1024 * 1024,
            upload_expiry_secs: 24 * 3600,
            upload_expiry_pass_secs: 300,
            retention_days: 7,
            retention_pass_secs: 3600,
            archive_after_days: 90,
            archive_storage_url: None,
            archive_storage_class: "GLACIER_IR".into(),
            archive_pass_secs: 3600,
            janitor_pass_secs: 3600,
            janitor_grace_secs: 24 * 3600,
            analytics_url: None,
            analytics_flush_secs: 60,
            analytics_batch_records: 10_000,
            analytics_batch_bytes: 16 * 1024 * 1024,
            max_image_width: limits.max_width,
            max_image_height: limits.max_height,
            max_image_pixels: limits.max_pixels,
            public_originals: true,
            transform_key: String::new(),
            transform_salt: String::new(),
            transform_signature_size: 0,
            transform_presets: HashMap::new(),
            transform_only_presets: false,
            transform_concurrency: 0,
            transform_queue: 32,
            transform_watermark_path: None,
            worker_concurrency: 0,
            variant_formats: "jpeg,webp,avif".into(),
            queue_visibility_timeout_secs: QueueSettings::default().visibility_timeout.as_secs(),
            queue_max_attempts: 5,
            cache_max_bytes: 256 * 1024 * 1024,
            log_format: "text".into(),
            access_log: true,
            otlp_endpoint: None,
            serving_cache_bytes: 128 * 1024 * 1024,
            shutdown_grace_secs: 30,
            timeline_celebrity_threshold: SocialSettings::default().celebrity_threshold,
            timeline_cap: SocialSettings::default().timeline_cap,
            max_json_body_bytes: 1024 * 1024,
            max_form_field_bytes: 4096,
            body_read_timeout_secs: 30,
            max_header_bytes: 32 * 1024,
            max_header_count: 100,
            password_hash_concurrency: 0,
            password_hash_wait_ms: 3000,
            header_read_timeout_secs: 15,
            idle_timeout_secs: 60,
            upload_min_bytes_per_sec: 1024,
            upload_rate_window_secs: 20,
            max_connections: 1024,
            rate_limits: "login=30,register=20,refresh=60,uploads=120,writes=600,reads=6000".into(),
            trusted_proxies: String::new(),
            login_lockout_failures: 5,
            login_lockout_secs: 300,
            cors_origins: String::new(),
            metrics_listen: None,
            metrics_token: None,
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
            .extract::<Config>()
            .map(Config::with_raw_transform_secrets)
            .map_err(Box::new)
    }

    pub fn social(&self) -> SocialSettings {
        SocialSettings {
            celebrity_threshold: self.timeline_celebrity_threshold,
            // A cap below one page would make every read fall back to the follow graph.
            timeline_cap: self.timeline_cap.max(PageRequest::MAX_LIMIT),
        }
    }

    pub fn upload_settings(
        &self,
    ) -> anyhow::Result<darkroom_core::services::uploads::UploadSettings> {
        let settings = darkroom_core::services::uploads::UploadSettings {
            part_bytes: self.upload_part_max_bytes,
            expiry: Duration::from_secs(self.upload_expiry_secs),
        };
        settings.check().map_err(anyhow::Error::msg)?;
        Ok(settings)
    }

    /// How old a leftover must be before the janitor removes it: `janitor_grace_secs`, refused under an hour
    /// (a sync upload's S3 multipart keeps the time it began while the body arrives: a shorter grace would
    /// abort slow uploads under way).
    pub fn janitor_grace(&self) -> anyhow::Result<Duration> {
        let grace = Duration::from_secs(self.janitor_grace_secs);
        let least = darkroom_core::services::janitor::MIN_GRACE;
        anyhow::ensure!(
            grace >= least,
            "janitor_grace_secs must be at least {} (an hour): a multipart upload of a slow sync upload \
             keeps the time it began, and a shorter grace would abort it; got {}",
            least.as_secs(),
            self.janitor_grace_secs
        );
        Ok(grace)
    }

    /// How long a deleted image stays restorable: `retention_days`.
    pub fn retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.retention_days) * 86_400)
    }

    /// How long an original stays unread before it moves to the archive tier; `None`: no tier.
    pub fn archive_after(&self) -> Option<Duration> {
        (self.archive_after_days > 0)
            .then(|| Duration::from_secs(u64::from(self.archive_after_days) * 86_400))
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

    pub fn request_limits(&self) -> crate::api::RequestLimits {
        crate::api::RequestLimits {
            max_json_bytes: self.max_json_body_bytes,
            max_form_field_bytes: self.max_form_field_bytes,
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
            max_header_bytes: self.max_header_bytes,
            max_header_count: self.max_header_count,
            upload_min_bytes_per_sec: self.upload_min_bytes_per_sec,
            upload_rate_window: Duration::from_secs(self.upload_rate_window_secs.max(1)),
        }
    }

    pub fn previous_jwt_secrets(&self) -> anyhow::Result<Vec<Vec<u8>>> {
        self.jwt_previous_secrets
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|secret| {
                anyhow::ensure!(
                    secret.len() >= 32,
                    "jwt_previous_secrets: every secret must be at least 32 bytes long"
                );
                Ok(secret.as_bytes().to_vec())
            })
            .collect()
    }

    pub fn rate_limit_settings(&self) -> anyhow::Result<RateLimitSettings> {
        let mut per_minute = HashMap::new();
        let spec = self.rate_limits.trim();
        if !spec.eq_ignore_ascii_case("off") {
            for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let (name, limit) = entry
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("rate_limits: {entry:?} is not class=limit"))?;
                let class = RateLimitClass::ALL
                    .into_iter()
                    .find(|c| c.name() == name.trim())
                    .ok_or_else(|| anyhow::anyhow!("rate_limits: unknown class {name:?}"))?;
                let limit: u32 = limit
                    .trim()
                    .parse()
                    .ok()
                    .filter(|l| *l > 0)
                    .ok_or_else(|| {
                        anyhow::anyhow!("rate_limits: {entry:?} needs a positive limit")
                    })?;
                per_minute.insert(class, limit);
            }
        }
        let trusted_proxies = self
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<Network>()
                    .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let login_failures = (self.login_lockout_failures > 0).then(|| Quota {
            limit: self.login_lockout_failures,
            period: Duration::from_secs(self.login_lockout_secs.max(1)),
        });
        Ok(RateLimitSettings {
            per_minute,
            trusted_proxies,
            login_failures,
        })
    }

    pub fn connection_timeouts(&self) -> crate::connection::ConnectionTimeouts {
        crate::connection::ConnectionTimeouts {
            header_read: Duration::from_secs(self.header_read_timeout_secs.max(1)),
            idle: Duration::from_secs(self.idle_timeout_secs.max(1)),
        }
    }

    pub fn password_hashing(&self) -> PasswordHashing {
        PasswordHashing {
            concurrency: match self.password_hash_concurrency {
                0 => cores(),
                n => n,
            },
            wait: Duration::from_millis(self.password_hash_wait_ms),
        }
    }

    pub fn worker_concurrency(&self) -> usize {
        match self.worker_concurrency {
            0 => cores(),
            n => n,
        }
    }
}

pub(crate) fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
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
    fn the_transform_role_is_named_in_the_file_the_environment_or_a_flag() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("darkroom.toml", "role = \"transform\"")?;
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.role, Role::Transform);
            jail.set_env("DARKROOM_ROLE", "api");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.role, Role::Api);
            jail.set_env("DARKROOM_ROLE", "transform");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.role, Role::Transform);
            jail.set_env("DARKROOM_ROLE", "transformer");
            assert!(Config::load(None, &Overrides::default()).is_err());
            Ok(())
        });
        assert_eq!(
            <Role as clap::ValueEnum>::from_str("transform", false),
            Ok(Role::Transform)
        );
    }

    #[test]
    fn each_role_does_only_its_part() {
        let parts = |role: Role| {
            (
                role.serves_api(),
                role.serves_transforms(),
                role.runs_worker(),
                role.uses_queue(),
            )
        };
        assert_eq!(parts(Role::All), (true, true, true, true));
        assert_eq!(parts(Role::Api), (true, true, false, true));
        assert_eq!(parts(Role::Worker), (false, false, true, true));
        assert_eq!(parts(Role::Transform), (false, true, false, false));
        for role in [Role::All, Role::Api, Role::Worker, Role::Transform] {
            assert_eq!(serde_json::to_value(role).unwrap(), role.name());
        }
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
