//! The wrapper against an in-memory repository and cache: reads are served from the cache, and no read
//! after a write through the wrapper sees the image as it was before.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;
use tokio::sync::Notify;

use super::*;
use crate::caching::map_cache::MapCache;
use crate::domain::{Capture, ImageFormat, ImageStatus, Visibility};

/// Images in a map, counting how often one was read.
#[derive(Debug, Default)]
struct MemoryImages {
    images: Mutex<HashMap<ImageId, Image>>,
    reads: Mutex<usize>,
    /// Set, the next `image` read tells the first `Notify` it has read, then waits for the second.
    pause: Mutex<Option<(Arc<Notify>, Arc<Notify>)>>,
}

impl MemoryImages {
    /// Makes the next single-image read stop after reading: returns (it has read, let it go on).
    fn pause_next_read(&self) -> (Arc<Notify>, Arc<Notify>) {
        let pause = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        *self.pause.lock().unwrap() = Some(pause.clone());
        pause
    }

    fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }

    fn change(&self, id: ImageId, change: impl FnOnce(&mut Image) -> bool) -> bool {
        self.images.lock().unwrap().get_mut(&id).is_some_and(change)
    }
}

#[async_trait]
impl ImageRepository for MemoryImages {
    async fn create_image(
        &self,
        image: &NewImage,
        _job: &OutboxMessage,
    ) -> Result<CreateImageOutcome, DbError> {
        let stored = Image {
            id: image.id,
            owner_id: image.owner_id,
            owner_username: "owner".into(),
            status: ImageStatus::Processing,
            failure: None,
            format: image.format,
            bytes: image.bytes,
            sha256: image.sha256.clone(),
            width: None,
            height: None,
            visibility: image.visibility,
            alt_text: None,
            tags: Vec::new(),
            auto_tags: Vec::new(),
            capture: Capture::default(),
            blurhash: None,
            dominant_color: None,
            variants: Vec::new(),
            original_key: image.original_key.clone(),
            public_original_key: None,
            public_original_sha256: None,
            source_image_id: image.derivation.as_ref().map(|d| d.source_image_id),
            operations: image.derivation.as_ref().map(|d| d.operations.clone()),
            created_at: image.created_at,
            updated_at: image.created_at,
            deleted_at: None,
        };
        self.images.lock().unwrap().insert(image.id, stored);
        Ok(CreateImageOutcome::Created)
    }

    async fn image(&self, id: ImageId) -> Result<Option<Image>, DbError> {
        *self.reads.lock().unwrap() += 1;
        let image = self.images.lock().unwrap().get(&id).cloned();
        let pause = self.pause.lock().unwrap().take();
        if let Some((has_read, go_on)) = pause {
            has_read.notify_one();
            go_on.notified().await;
        }
        Ok(image)
    }

    async fn images_by_ids(&self, ids: &[ImageId]) -> Result<Vec<Image>, DbError> {
        *self.reads.lock().unwrap() += 1;
        let images = self.images.lock().unwrap();
        Ok(ids
            .iter()
            .filter_map(|id| images.get(id).cloned())
            .collect())
    }

    async fn images_by_owner(&self, _: UserId, _: PageRequest) -> Result<Page<Image>, DbError> {
        Ok(Page {
            items: Vec::new(),
            next: None,
        })
    }

    async fn images_by_owner_with_tag(
        &self,
        _: UserId,
        _: &str,
        _: PageRequest,
    ) -> Result<Page<Image>, DbError> {
        Ok(Page {
            items: Vec::new(),
            next: None,
        })
    }

    async fn update_image(
        &self,
        id: ImageId,
        patch: &ImagePatch,
    ) -> Result<Option<Image>, DbError> {
        self.change(id, |image| {
            if let Some(visibility) = patch.visibility {
                image.visibility = visibility;
            }
            if let Some(alt) = &patch.alt_text {
                image.alt_text = alt.clone();
            }
            true
        });
        Ok(self.images.lock().unwrap().get(&id).cloned())
    }

    async fn complete_processing(
        &self,
        id: ImageId,
        result: &ProcessedImage,
    ) -> Result<bool, DbError> {
        Ok(self.change(id, |image| {
            image.status = ImageStatus::Ready;
            image.width = Some(result.width);
            image.variants = result.variants.clone();
            image.auto_tags = result.auto_tags.clone();
            image.capture = result.capture.clone();
            true
        }))
    }

    async fn record_original(
        &self,
        id: ImageId,
        bytes: u64,
        sha256: &str,
    ) -> Result<bool, DbError> {
        Ok(self.change(id, |image| {
            image.bytes = bytes;
            image.sha256 = sha256.to_owned();
            true
        }))
    }

    async fn fail_processing(&self, id: ImageId, failure: &Failure) -> Result<bool, DbError> {
        Ok(self.change(id, |image| {
            image.status = ImageStatus::Failed;
            image.failure = Some(failure.clone());
            true
        }))
    }

    async fn delete_image(
        &self,
        id: ImageId,
        at: chrono::DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        let mut images = self.images.lock().unwrap();
        Ok(images
            .get_mut(&id)
            .filter(|image| image.deleted_at.is_none())
            .map(|image| {
                image.deleted_at = Some(at);
                image.clone()
            }))
    }

    async fn restore_image(
        &self,
        id: ImageId,
        deleted_since: chrono::DateTime<Utc>,
    ) -> Result<Option<Image>, DbError> {
        let mut images = self.images.lock().unwrap();
        Ok(images
            .get_mut(&id)
            .filter(|image| image.deleted_at.is_some_and(|at| at >= deleted_since))
            .map(|image| {
                image.deleted_at = None;
                image.clone()
            }))
    }

    async fn deleted_images(
        &self,
        deleted_before: chrono::DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ImageId>, DbError> {
        let images = self.images.lock().unwrap();
        Ok(images
            .values()
            .filter(|image| image.deleted_at.is_some_and(|at| at < deleted_before))
            .map(|image| image.id)
            .take(limit)
            .collect())
    }

    async fn purge_image(
        &self,
        id: ImageId,
        deleted_before: chrono::DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let mut images = self.images.lock().unwrap();
        let purgeable = images
            .get(&id)
            .is_some_and(|image| image.deleted_at.is_some_and(|at| at < deleted_before));
        if purgeable {
            images.remove(&id);
        }
        Ok(purgeable)
    }

    async fn add_variant_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError> {
        Ok(self.change(id, |image| {
            crate::domain::merge_variant_files(&mut image.variants, files);
            true
        }))
    }
}

fn wrapped(cache: MapCache) -> (Arc<MemoryImages>, CachedImageRepository) {
    let inner = Arc::new(MemoryImages::default());
    let repo = CachedImageRepository::new(inner.clone(), Arc::new(cache), Duration::from_secs(60));
    (inner, repo)
}

fn new_image() -> NewImage {
    let id = ImageId::new();
    NewImage {
        id,
        owner_id: UserId::new(),
        format: ImageFormat::Png,
        bytes: 1,
        sha256: "0".repeat(64),
        visibility: Visibility::Public,
        original_key: format!("images/{id}/original"),
        idempotency_key: None,
        derivation: None,
        created_at: Utc::now(),
    }
}

fn job() -> OutboxMessage {
    OutboxMessage::job(&crate::domain::Job::PurgeImage {
        image_id: ImageId::new(),
    })
}

async fn created(repo: &CachedImageRepository) -> ImageId {
    let new = new_image();
    repo.create_image(&new, &job()).await.unwrap();
    new.id
}

#[tokio::test]
async fn repeated_reads_are_served_from_the_cache() {
    let (inner, repo) = wrapped(MapCache::default());
    let id = created(&repo).await;
    let first = repo.image(id).await.unwrap();
    let second = repo.image(id).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(inner.reads(), 1, "the second read came from the cache");
}

#[tokio::test]
async fn no_write_is_followed_by_a_stale_read() {
    let (_, repo) = wrapped(MapCache::default());
    let id = created(&repo).await;

    repo.image(id).await.unwrap(); // cached as processing
    let patch = ImagePatch {
        visibility: Some(Visibility::Private),
        alt_text: Some(Some("a lake".into())),
        tags: None,
    };
    repo.update_image(id, &patch).await.unwrap();
    let image = repo.image(id).await.unwrap().unwrap();
    assert_eq!(image.visibility, Visibility::Private);
    assert_eq!(image.alt_text.as_deref(), Some("a lake"));

    let processed = ProcessedImage {
        width: 640,
        height: 480,
        blurhash: "LKO2?U%2Tw=w".into(),
        dominant_color: "#336699".into(),
        variants: Vec::new(),
        public_original_key: "k".into(),
        public_original_sha256: "ab".repeat(32),
        auto_tags: vec!["landscape".into(), "camera:canon".into()],
        capture: Capture {
            camera_make: Some("Canon".into()),
            camera_model: Some("Canon EOS 40D".into()),
            taken_at: chrono::NaiveDate::from_ymd_opt(2008, 5, 30)
                .and_then(|d| d.and_hms_opt(15, 56, 1)),
        },
    };
    repo.complete_processing(id, &processed).await.unwrap();
    let image = repo.image(id).await.unwrap().unwrap();
    assert_eq!((image.status, image.width), (ImageStatus::Ready, Some(640)));
    // The tags and the capture survive the cache's JSON: the read after this one is the cache's.
    let cached = repo.image(id).await.unwrap().unwrap();
    assert_eq!(cached, image);
    assert_eq!(cached.auto_tags, processed.auto_tags);
    assert_eq!(cached.capture, processed.capture);

    let failure = Failure {
        code: "c".into(),
        message: "m".into(),
    };
    repo.fail_processing(id, &failure).await.unwrap();
    assert_eq!(
        repo.image(id).await.unwrap().unwrap().failure,
        Some(failure)
    );

    repo.add_variant_files(id, &[]).await.unwrap();
    repo.image(id).await.unwrap();
    let at = Utc::now();
    repo.delete_image(id, at).await.unwrap();
    assert_eq!(
        repo.image(id).await.unwrap().unwrap().deleted_at,
        Some(at),
        "a deleted image is marked"
    );
    repo.restore_image(id, at).await.unwrap();
    assert_eq!(
        repo.image(id).await.unwrap().unwrap().deleted_at,
        None,
        "a restored image is not marked"
    );
    repo.delete_image(id, at).await.unwrap();
    repo.image(id).await.unwrap();
    let later = at + chrono::Duration::seconds(1);
    assert!(repo.purge_image(id, later).await.unwrap());
    assert_eq!(
        repo.image(id).await.unwrap(),
        None,
        "a purged image is gone"
    );
}

/// A read that misses, reads the image, and only stores it after a write through another clone of `repo`
/// changed it: what it stores must not outlive the write.
async fn race_a_read_with_a_write(inner: &MemoryImages, repo: &CachedImageRepository) {
    let id = created(repo).await;
    let (has_read, go_on) = inner.pause_next_read();
    let reader = {
        let repo = repo.clone();
        tokio::spawn(async move { repo.image(id).await })
    };
    has_read.notified().await;
    let patch = ImagePatch {
        visibility: Some(Visibility::Private),
        alt_text: None,
        tags: None,
    };
    repo.update_image(id, &patch).await.unwrap();
    go_on.notify_one();
    let raced = reader.await.unwrap().unwrap().unwrap();
    assert_eq!(
        raced.visibility,
        Visibility::Public,
        "read before the write"
    );

    for _ in 0..2 {
        assert_eq!(
            repo.image(id).await.unwrap().unwrap().visibility,
            Visibility::Private,
            "the racing read left the image as it was before the write"
        );
    }
}

#[tokio::test]
async fn a_read_that_raced_a_write_leaves_nothing_stale_behind() {
    let (inner, repo) = wrapped(MapCache::guarded());
    race_a_read_with_a_write(&inner, &repo).await;
}

#[tokio::test]
async fn a_read_that_raced_a_write_leaves_no_stale_local_copy() {
    let inner = Arc::new(MemoryImages::default());
    let repo = CachedImageRepository::new(
        inner.clone(),
        Arc::new(MapCache::guarded()),
        Duration::from_secs(60),
    )
    .with_local_copies(Some(LocalCopies::new(100, Duration::from_secs(60))));
    race_a_read_with_a_write(&inner, &repo).await;
}

#[tokio::test]
async fn a_broken_cache_is_a_miss_never_an_error() {
    let (inner, repo) = wrapped(MapCache {
        broken: true,
        ..MapCache::default()
    });
    let id = created(&repo).await;
    assert!(repo.image(id).await.unwrap().is_some());
    assert!(repo.image(id).await.unwrap().is_some());
    assert_eq!(inner.reads(), 2, "every read went to the repository");
    let patch = ImagePatch {
        visibility: Some(Visibility::Private),
        ..ImagePatch::default()
    };
    assert!(repo.update_image(id, &patch).await.unwrap().is_some());
    assert!(repo.delete_image(id, Utc::now()).await.unwrap().is_some());
}

#[tokio::test]
async fn unreadable_entries_are_misses() {
    let cache = MapCache::default();
    let id = ImageId::new();
    cache
        .entries
        .lock()
        .unwrap()
        .insert(cache_key(id), Bytes::from_static(b"{not json"));
    let (_, repo) = wrapped(cache);
    assert_eq!(repo.image(id).await.unwrap(), None);
}

#[tokio::test]
async fn the_invalidating_only_wrapper_reads_the_repository_and_drops_the_shared_entry() {
    let inner = Arc::new(MemoryImages::default());
    let cache: Arc<MapCache> = Arc::new(MapCache::default());
    let api = CachedImageRepository::new(inner.clone(), cache.clone(), Duration::from_secs(60));
    let worker = CachedImageRepository::invalidating_only(inner.clone(), cache.clone());
    let id = created(&api).await;

    api.image(id).await.unwrap(); // the API's entry: processing
    let before = inner.reads();
    worker.image(id).await.unwrap();
    worker.image(id).await.unwrap();
    assert_eq!(
        inner.reads(),
        before + 2,
        "every worker read reached the repository"
    );
    assert!(
        cache
            .entries
            .lock()
            .unwrap()
            .contains_key(&format!("image:{id}")),
        "the worker's reads leave the API's entry alone"
    );

    let failure = Failure {
        code: "c".into(),
        message: "m".into(),
    };
    worker.fail_processing(id, &failure).await.unwrap();
    assert_eq!(
        api.image(id).await.unwrap().unwrap().status,
        ImageStatus::Failed,
        "the worker's write dropped the API's stale entry"
    );
}

#[tokio::test]
async fn local_copies_are_dropped_by_a_write_through_any_wrapper_that_shares_them() {
    let inner = Arc::new(MemoryImages::default());
    let cache: Arc<dyn Cache> = Arc::new(MapCache::default());
    let copies = LocalCopies::new(100, Duration::from_secs(60));
    // As the composition root wires one process: the API reads through the cache, the worker only writes.
    let api = CachedImageRepository::new(inner.clone(), cache.clone(), Duration::from_secs(60))
        .with_local_copies(Some(copies.clone()));
    let worker = CachedImageRepository::invalidating_only(inner.clone(), cache)
        .with_local_copies(Some(copies.clone()));
    let id = created(&api).await;

    api.image(id).await.unwrap();
    assert!(copies.get(&id).is_some(), "the read left a decoded copy");
    let reads = inner.reads();
    assert!(api.image(id).await.unwrap().is_some());
    assert_eq!(inner.reads(), reads, "served from the copy");

    let failure = Failure {
        code: "c".into(),
        message: "m".into(),
    };
    worker.fail_processing(id, &failure).await.unwrap();
    assert!(copies.get(&id).is_none(), "the worker's write dropped it");
    let image = api.image(id).await.unwrap().unwrap();
    assert_eq!(image.status, ImageStatus::Failed);
}
