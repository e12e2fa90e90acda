//! `Application::build(config)` wires backends, services, routes and background loops; `run_until_*`
//! serves until told to stop, then drains: no new connections, in-flight requests and jobs finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use darkroom_core::caching::{
    CachedImageRepository, CachedPostRepository, CachedTimelineRepository, CachedUserRepository,
    InvalidatingOriginalTiers, LocalCopies,
};
use darkroom_core::clock::Clock;
use darkroom_core::domain::{Image, ImageId};
use darkroom_core::ports::{ImagePipeline, ImageRepository, TimelineRepository, UserRepository};
use darkroom_core::services::access::Audience;
use darkroom_core::services::archive::OriginalArchive;
use darkroom_core::services::auth::{AuthService, AuthSettings, LiveAccounts};
use darkroom_core::services::images::{ImageService, ImageSettings, TemporaryUrls};
use darkroom_core::services::outbox::run_relay;
use darkroom_core::services::processing::Processor;
use darkroom_core::services::social::{
    EventHandlers, Inbox, People, Posts, SearchIndexer, Timelines,
};
use darkroom_core::services::transform::TransformService;
use darkroom_core::services::uploads::UploadService;
use darkroom_core::worker::{run_worker, WorkerSettings};
use darkroom_imaging::{NativePipeline, RenderSettings};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::Server;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::api::{self, AppState, CorsOrigins, OperatorAccess, RateLimits};
use crate::backends::metered_pipeline::MeteredPipeline;
use crate::backends::Backends;
use crate::config::Config;
use crate::listener::TunedAcceptor;

/// How long image metadata stays in the cache. Every write through the cached repository drops its entry,
/// so this only bounds what another replica's in-process cache may still hold.
const IMAGE_METADATA_TTL: Duration = Duration::from_secs(300);
/// Decoded images kept beside an in-process cache: a few kilobytes each, so at most some tens of MiB.
const LOCAL_IMAGE_COPIES: usize = 10_000;
/// How long a post stays in the cache. Likes and comments through this process drop it at once; this
/// bounds how stale another replica's in-process copy of its counts may be.
const POST_TTL: Duration = Duration::from_secs(60);
/// How long the head of a stored timeline stays in the cache. The fan-out and every other write drop the heads
/// they touch at once; with a cache per process (no Redis) and the worker in another process, this bounds how
/// late a new post may reach a reader's first page there.
const TIMELINE_HEAD_TTL: Duration = Duration::from_secs(30);

/// How long an account's access facts (it exists, it is private or not, its avatar) stay in the cache. Edits
/// through this process drop the entry at once; this bounds what another replica's in-process cache may still
/// hold, so a removed account's tokens, or an account turned private, take at most this long to be refused
/// there (at once with a shared Redis cache).
const ACCOUNT_FACTS_TTL: Duration = Duration::from_secs(60);

pub struct Application {
    port: u16,
    config: Config,
    acceptor: TunedAcceptor,
    /// The operator's listener (`metrics_listen`), when configured.
    operator_listener: Option<(u16, TunedAcceptor)>,
    state: AppState,
    stop_tx: watch::Sender<bool>,
    background: Vec<JoinHandle<()>>,
    clock: Clock,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("role", &self.config.role)
            .finish_non_exhaustive()
    }
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // A secret copied from the public .env.example stops the server before it touches anything.
        crate::example_secrets::refuse_example_secrets(&config)?;
        // Settings that only a pass reads are still checked at start, on every role.
        config.janitor_grace()?;
        // Install the metrics recorder before anything records.
        crate::telemetry::metrics();
        let backends = Backends::connect(&config).await?;
        // Every image request asks who owns it and whether that account is private, and every authenticated
        // request whether its account still exists: those few facts come through the cache.
        let users: Arc<dyn UserRepository> = Arc::new(CachedUserRepository::new(
            backends.db.users.clone(),
            backends.cache.clone(),
            ACCOUNT_FACTS_TTL,
        ));
        let signing_key = crate::signing_key::signing_key(&config)?;
        let previous_signing_keys = config.previous_jwt_secrets()?;
        // The time of the scheduled passes, of deletions (the retention window) and of TOTP codes and login
        // challenges: tests move it.
        let clock = Clock::system();
        let auth = AuthService::new(
            backends.db.users.clone(),
            backends.db.sessions.clone(),
            backends.db.second_factors.clone(),
            backends.cache.clone(),
            &AuthSettings {
                signing_key: signing_key.clone(),
                previous_signing_keys: previous_signing_keys.clone(),
                access_ttl: Duration::from_secs(config.access_token_ttl_secs),
                refresh_ttl: Duration::from_secs(config.refresh_token_ttl_secs),
                session_max_age: Duration::from_secs(config.session_max_age_secs),
                password_hashing: config.password_hashing(),
            },
            clock.clone(),
        );
        // The API reads images through the cache; every write, the worker's too, drops the entry it made
        // stale (see `CachedImageRepository` for why the worker reads the repository itself).
        let local_images = local_image_copies(&backends);
        let image_repository: Arc<dyn ImageRepository> = Arc::new(
            CachedImageRepository::new(
                backends.db.images.clone(),
                backends.cache.clone(),
                IMAGE_METADATA_TTL,
            )
            .with_local_copies(local_images.clone()),
        );
        let outbox_written = Arc::new(Notify::new());
        // Temporary URLs are signed with keys derived from the token keys, current first, rotating with them.
        let temporary_urls = TemporaryUrls::new(
            std::iter::once(signing_key.as_slice())
                .chain(previous_signing_keys.iter().map(Vec::as_slice)),
            Duration::from_secs(config.temporary_url_ttl_secs),
            clock.clone(),
        );
        // The image pipeline is an adapter like the others: this build's codecs (`native-codecs`).
        let pipeline: Arc<dyn ImagePipeline> =
            Arc::new(MeteredPipeline::new(Arc::new(NativePipeline::new())));
        let images = ImageService::new(
            image_repository.clone(),
            backends.storage.clone(),
            pipeline.clone(),
            ImageSettings {
                limits: config.limits(),
                public_originals: config.public_originals,
                retention: config.retention(),
            },
            outbox_written.clone(),
            Audience::new(users.clone(), backends.db.follows.clone()),
        )
        .with_clock(clock.clone())
        .with_temporary_urls(temporary_urls)
        .with_archive(original_archive(
            &config,
            &backends,
            local_images.clone(),
            &clock,
        ));
        // Transformations run one render per slot, each on one core: the slots are the parallelism.
        let transform_pipeline: Arc<dyn ImagePipeline> = Arc::new(MeteredPipeline::new(Arc::new(
            NativePipeline::with_settings(RenderSettings {
                threads: 1,
                ..RenderSettings::default()
            }),
        )));
        let transforms = TransformService::new(
            images.clone(),
            backends.storage.clone(),
            transform_pipeline,
            config
                .transform_settings()
                .map_err(|e| anyhow::anyhow!("invalid transform settings: {e}"))?,
        );
        let uploads = UploadService::new(
            backends.db.uploads.clone(),
            backends.multipart.clone(),
            backends.storage.clone(),
            images.clone(),
            config.upload_settings()?,
            clock.clone(),
        );
        let social = config.social();
        let people = People::new(
            users.clone(),
            backends.db.follows.clone(),
            image_repository.clone(),
            backends.search.clone(),
            outbox_written.clone(),
        );
        // Posts (with the likes and comments that change their counts) are read through the cache: every
        // timeline page reads its posts by id, and popular posts are on many pages.
        let mut api_db = backends.db.clone();
        api_db.users = users.clone();
        let cached_posts = Arc::new(CachedPostRepository::new(
            backends.db.posts.clone(),
            backends.db.likes.clone(),
            backends.db.comments.clone(),
            backends.cache.clone(),
            POST_TTL,
        ));
        api_db.posts = cached_posts.clone();
        // First pages of home timelines, by far the most read, come through the cache; the worker's fan-out
        // writes through the same wrapper below, which drops the heads it changes.
        let timeline_repository: Arc<dyn TimelineRepository> =
            Arc::new(CachedTimelineRepository::new(
                backends.db.timelines.clone(),
                backends.cache.clone(),
                TIMELINE_HEAD_TTL,
            ));
        api_db.timelines = timeline_repository.clone();
        api_db.likes = cached_posts.clone();
        api_db.comments = cached_posts;
        let posts = Posts::new(&api_db, images.clone(), social, outbox_written.clone());
        let timelines = Timelines::new(
            api_db.timelines.clone(),
            api_db.posts.clone(),
            api_db.follows.clone(),
            social,
        );
        let inbox = Inbox::new(&backends.db);

        let (stop_tx, stop_rx) = watch::channel(false);
        let mut background = Vec::new();
        if config.role.serves_api() {
            background.push(tokio::spawn(run_relay(
                backends.db.outbox.clone(),
                backends.queue.clone(),
                outbox_written,
                stop_rx.clone(),
            )));
            // The backlog gauges, on the API role only (see `queue_gauges` for why not the worker's).
            background.push(crate::queue_gauges::spawn(
                backends.queue_depth.clone(),
                backends.db.outbox.clone(),
                stop_rx.clone(),
            ));
        }
        if config.role.runs_worker() {
            // The metadata export for analysts, when `analytics_url` is set: the upload job then announces
            // each image it makes ready.
            let exporter = crate::analytics::exporter(&config, &backends, &clock).await?;
            let processor = Processor::new(
                Arc::new(
                    CachedImageRepository::invalidating_only(
                        backends.db.images.clone(),
                        backends.cache.clone(),
                    )
                    .with_local_copies(local_images.clone()),
                ),
                backends.storage.clone(),
                backends.queue.clone(),
                pipeline,
                config.limits(),
                config.variant_formats()?,
            )
            .with_inbox(inbox.clone());
            let processor = match exporter {
                Some(exporter) => {
                    background.push(tokio::spawn(exporter.run(stop_rx.clone())));
                    processor.announcing_ready()
                }
                None => processor,
            };
            let events = EventHandlers {
                timelines: Timelines::new(
                    timeline_repository.clone(),
                    backends.db.posts.clone(),
                    backends.db.follows.clone(),
                    social,
                ),
                inbox: inbox.clone(),
                indexer: SearchIndexer::new(backends.db.users.clone(), backends.search.clone()),
            };
            // The scheduled passes (upload expiry, retention purge), on one worker replica at a time.
            background.extend(crate::passes::spawn(
                &config,
                &backends,
                &uploads,
                original_archive(&config, &backends, local_images, &clock),
                &clock,
                &stop_rx,
            ));
            let mut handlers = processor.handlers();
            handlers.extend(events.handlers());
            let settings = WorkerSettings {
                concurrency: config.worker_concurrency(),
                max_attempts: backends.queue_settings.max_attempts,
                retry_after: Duration::from_secs(5),
                visibility_timeout: backends.queue_settings.visibility_timeout,
            };
            background.push(tokio::spawn(run_worker(
                backends.queue.clone(),
                handlers,
                settings,
                stop_rx,
            )));
        }

        let (port, acceptor) = bind(config.listen, &config).await?;
        let operator_listener = match config.metrics_listen {
            Some(address) => Some(bind(address, &config).await?),
            None => None,
        };
        let rate_limits = RateLimits {
            settings: Arc::new(config.rate_limit_settings()?),
            limiter: backends.rate_limiter.clone(),
        };
        let live_accounts = LiveAccounts::new(users.clone());
        let state = AppState {
            auth,
            live_accounts,
            images,
            transforms,
            uploads,
            people,
            posts,
            timelines,
            inbox,
            backends,
            role: config.role,
            limits: config.request_limits(),
            rate_limits,
            operator: OperatorAccess::with_token(config.metrics_token.as_deref()),
            cors: CorsOrigins::parse(&config.cors_origins).map_err(anyhow::Error::msg)?,
        };
        tracing::info!(port, role = ?config.role, "darkroom listening");
        if let Some((metrics_port, _)) = &operator_listener {
            tracing::info!(port = metrics_port, "metrics and readiness listening");
        }
        Ok(Self {
            port,
            config,
            acceptor,
            operator_listener,
            state,
            stop_tx,
            background,
            clock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the operator's listener (`metrics_listen`), when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.operator_listener.as_ref().map(|(port, _)| *port)
    }

    /// The clock the scheduled passes read; tests move it forward.
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// Serves until `stop` resolves, then drains and returns.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let grace = Duration::from_secs(self.config.shutdown_grace_secs);
        let stop_tx = self.stop_tx.clone();
        let stopping = async move {
            stop.await;
            tracing::info!("stopping: no new requests; finishing what is in flight");
            let _ = stop_tx.send(true);
        };
        // The operator's listener stops taking connections when the API does, and drains alongside it.
        let operator = self.operator_listener.map(|(_, acceptor)| {
            let mut stopped = self.stop_tx.subscribe();
            let routes = api::operator_routes(self.state.clone());
            tokio::spawn(async move {
                let stop = async move {
                    let _ = stopped.wait_for(|stopped| *stopped).await;
                };
                Server::new_with_acceptor(acceptor)
                    .run_with_graceful_shutdown(routes, stop, Some(grace))
                    .await
            })
        });
        let routes = api::routes(self.state.clone());
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(routes, stopping, Some(grace))
            .await;
        let _ = self.stop_tx.send(true);
        if let Some(operator) = operator {
            if let Ok(Err(err)) = operator.await {
                tracing::warn!(error = %err, "the metrics listener failed");
            }
        }
        for task in self.background {
            if tokio::time::timeout(grace, task).await.is_err() {
                tracing::warn!("a background task did not finish within the grace period");
            }
        }
        tracing::info!("stopped");
        served.context("the HTTP server failed")
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        self.run_until_stopped(shutdown_signal()).await
    }
}

/// Opens a tuned listener (`TCP_NODELAY`, connection limits and timeouts) and tells which port it got.
async fn bind(address: SocketAddr, config: &Config) -> anyhow::Result<(u16, TunedAcceptor)> {
    let acceptor = TcpListener::bind(address)
        .into_acceptor()
        .await
        .map(|acceptor| {
            TunedAcceptor::new(
                acceptor,
                config.max_connections,
                config.connection_timeouts(),
            )
        })
        .with_context(|| format!("cannot listen on {address}"))?;
    let port = acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().map(|a| a.port()))
        .context("the listener has no address")?;
    Ok((port, acceptor))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

/// The archive tier of originals with what it moves them by, when the config has one. Its marks drop the
/// images' cached entries (`copies`: the process's decoded copies, which they must drop too).
fn original_archive(
    config: &Config,
    backends: &Backends,
    copies: Option<LocalCopies<ImageId, Image>>,
    clock: &Clock,
) -> Option<OriginalArchive> {
    let (tier, after) = (backends.archive.clone()?, config.archive_after()?);
    let invalidating = CachedImageRepository::invalidating_only(
        backends.db.images.clone(),
        backends.cache.clone(),
    )
    .with_local_copies(copies);
    Some(OriginalArchive::new(
        Arc::new(InvalidatingOriginalTiers::new(
            backends.db.original_tiers.clone(),
            invalidating,
        )),
        backends.db.images.clone(),
        backends.storage.clone(),
        tier,
        clock.clone(),
        after,
    ))
}

/// Decoded image metadata kept beside an in-process cache (see `LocalCopies`); none with a shared cache,
/// whose entries other replicas' writes drop without this process hearing of it.
fn local_image_copies(backends: &Backends) -> Option<LocalCopies<ImageId, Image>> {
    (backends.cache.backend() == "memory")
        .then(|| LocalCopies::new(LOCAL_IMAGE_COPIES, IMAGE_METADATA_TTL))
}
