//! A database as the server wires it (`darkroom::backends::database::connect`, migrations included), the
//! social services over it as `startup.rs` builds them, and the bulk writer beside it.

use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use darkroom::backends::database;
use darkroom_adapters::ObjectStoreBlobs;
use darkroom_core::domain::{
    Event, ImageFormat, ImageId, Job, NewImage, OutboxMessage, OutputFormat, Password,
    ProcessedImage, UserId, Variant, VariantFile, VariantName, Visibility,
};
use darkroom_core::imaging::Limits;
use darkroom_core::ports::{Message, Repositories, UserSearch};
use darkroom_core::services::access::Audience;
use darkroom_core::services::auth::PasswordHasher;
use darkroom_core::services::images::{keys, ImageService, ImageSettings};
use darkroom_core::services::social::{
    EventHandlers, Inbox, Posts, SearchIndexer, SocialSettings, Timelines,
};
use darkroom_core::worker::{Attempt, JobHandler};
use darkroom_imaging::NativePipeline;
use tokio::sync::Notify;

use crate::bulk::Raw;
use crate::rows::{ImageTemplate, PASSWORD, TEMPLATE_ID};

pub struct World {
    pub repos: Repositories,
    search: Arc<dyn UserSearch>,
    pub raw: Raw,
    settings: SocialSettings,
    /// The Postgres schema this run made (dropped by `close`), or the SQLite file's directory.
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl World {
    /// A fresh database: a SQLite file in a temporary directory for `sqlite`, or a schema of its own in the
    /// Postgres database at `target` (a `postgres://` URL).
    pub async fn fresh(target: &str, settings: SocialSettings) -> anyhow::Result<Self> {
        if target == "sqlite" {
            let dir = tempfile::TempDir::new()?;
            let url = format!("sqlite://{}", dir.path().join("darkroom.sqlite").display());
            let mut world = Self::open(&url, settings).await?;
            world._dir = Some(dir);
            return Ok(world);
        }
        let schema = format!("bench_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let separator = if target.contains('?') { '&' } else { '?' };
        let mut world =
            Self::open(&format!("{target}{separator}schema={schema}"), settings).await?;
        world.schema = Some(schema);
        Ok(world)
    }

    /// The database at `url`, migrated.
    pub async fn open(url: &str, settings: SocialSettings) -> anyhow::Result<Self> {
        let db = database::connect(url, true)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        Ok(Self {
            repos: db.repositories,
            search: db.search,
            raw: Raw::open(url).await?,
            settings,
            schema: None,
            _dir: None,
        })
    }

    /// Drops what `fresh` made in Postgres (the SQLite directory goes with `self`).
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(schema) = &self.schema {
            self.raw
                .exec(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        if self.raw.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// `createPost` as the API calls it.
    pub fn posts(&self) -> Posts {
        let notify = Arc::new(Notify::new());
        let images = ImageService::new(
            self.repos.images.clone(),
            Arc::new(ObjectStoreBlobs::in_memory()),
            Arc::new(NativePipeline::new()),
            ImageSettings {
                limits: Limits::default(),
                public_originals: true,
                retention: darkroom_core::services::retention::DEFAULT_RETENTION,
            },
            notify.clone(),
            Audience::new(self.repos.users.clone(), self.repos.follows.clone()),
        );
        Posts::new(&self.repos, images, self.settings, notify)
    }

    /// The worker's handler of `post.created`.
    pub fn post_created_handler(&self) -> anyhow::Result<Arc<dyn JobHandler>> {
        let events = EventHandlers {
            timelines: self.timelines(),
            inbox: Inbox::new(&self.repos),
            indexer: SearchIndexer::new(self.repos.users.clone(), self.search.clone()),
        };
        events
            .handlers()
            .into_iter()
            .find(|handler| handler.topic() == "post.created")
            .context("no post.created handler")
    }

    pub fn timelines(&self) -> Timelines {
        Timelines::new(
            self.repos.timelines.clone(),
            self.repos.posts.clone(),
            self.repos.follows.clone(),
            self.settings,
        )
    }

    /// A ready image of `owner`'s, stored through the port as processing stores one: four variants in
    /// JPEG and WebP.
    pub async fn ready_image(&self, owner: UserId) -> anyhow::Result<ImageId> {
        let id = ImageId::new();
        let image = NewImage {
            id,
            owner_id: owner,
            format: ImageFormat::Jpeg,
            bytes: 2_400_000,
            sha256: "5e".repeat(32),
            visibility: Visibility::Public,
            original_key: keys::original(id),
            idempotency_key: None,
            derivation: None,
            created_at: Utc::now(),
        };
        let job = OutboxMessage::job(&Job::ProcessImage { image_id: id });
        self.repos.images.create_image(&image, &job).await?;
        self.repos.outbox.mark_outbox_relayed(&[job.id]).await?;
        let sizes = [
            (VariantName::Thumb, 256, 256),
            (VariantName::Small, 640, 480),
            (VariantName::Medium, 1280, 960),
            (VariantName::Large, 2048, 1536),
        ];
        let variants = sizes
            .into_iter()
            .map(|(name, width, height)| Variant {
                name,
                width,
                height,
                files: [OutputFormat::Jpeg, OutputFormat::Webp]
                    .into_iter()
                    .map(|format| VariantFile {
                        format,
                        key: keys::variant(id, name, format),
                        bytes: u64::from(width * height) / 8,
                        sha256: "7f".repeat(32),
                    })
                    .collect(),
            })
            .collect();
        let processed = ProcessedImage {
            width: 4032,
            height: 3024,
            blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj".into(),
            dominant_color: "#5a6b7c".into(),
            variants,
            public_original_key: keys::public_original(id, ImageFormat::Jpeg),
            public_original_sha256: "ab".repeat(32),
            auto_tags: Vec::new(),
            capture: Default::default(),
        };
        anyhow::ensure!(
            self.repos
                .images
                .complete_processing(id, &processed)
                .await?,
            "the image did not become ready"
        );
        Ok(id)
    }

    /// What seeded images copy: a ready image stored by the adapter, read back in its own encoding.
    pub async fn image_template(&self, owner: UserId) -> anyhow::Result<ImageTemplate> {
        let id = self.ready_image(owner).await?;
        let cast = if self.raw.is_postgres() { "::text" } else { "" };
        let column = |name: &str| format!("SELECT {name}{cast} FROM images WHERE id = '{id}'");
        Ok(ImageTemplate {
            variants: self
                .raw
                .text(&column("variants"))
                .await?
                .replace(&id.to_string(), TEMPLATE_ID),
            blurhash: self.raw.text(&column("blurhash")).await?,
            dominant_color: self.raw.text(&column("dominant_color")).await?,
            sha256: self.raw.text(&column("sha256")).await?,
        })
    }
}

/// The argon2 hash of `PASSWORD`, as registration makes it.
pub async fn password_hash() -> anyhow::Result<String> {
    let password = Password::parse(PASSWORD).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    PasswordHasher::default()
        .hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The queue message the relay would publish for `event`.
pub fn message_of(event: &Event) -> Message {
    let outbox = event.to_outbox();
    Message {
        id: outbox.id.to_string(),
        topic: outbox.topic,
        payload: outbox.payload,
    }
}

pub const FIRST_ATTEMPT: Attempt = Attempt { number: 1, max: 5 };
