//! `ImageRepository` cases for an image's life after creation: processing results, failures, the owner's
//! patches (deletion, restore and purge are in `retention.rs`).

use std::sync::Arc;

use darkroom_core::domain::{
    Failure, ImageId, ImagePatch, ImageStatus, OutputFormat, ProcessedImage, Variant, VariantFile,
    VariantName, Visibility,
};

use super::{create_user, new_image, now, stored_image, TestDatabase};

pub(crate) fn processed(id: ImageId) -> ProcessedImage {
    let file = |format: OutputFormat, bytes| VariantFile {
        format,
        key: format!("images/{id}/thumb.{}", format.extension()),
        bytes,
        sha256: "ab".repeat(32),
    };
    ProcessedImage {
        width: 4000,
        height: 3000,
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj".into(),
        dominant_color: "#336699".into(),
        variants: vec![
            Variant {
                name: VariantName::Thumb,
                width: 200,
                height: 150,
                files: vec![
                    file(OutputFormat::Jpeg, 9_000),
                    file(OutputFormat::Webp, 6_000),
                ],
            },
            Variant {
                name: VariantName::Large,
                width: 2048,
                height: 1536,
                files: vec![file(OutputFormat::Avif, 90_000)],
            },
        ],
        public_original_key: format!("images/{id}/public"),
        public_original_sha256: "ab".repeat(32),
        auto_tags: Vec::new(),
        capture: Default::default(),
    }
}

pub async fn complete_processing_only_moves_processing_images(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;
    let result = processed(new.id);
    assert!(db
        .images
        .complete_processing(new.id, &result)
        .await
        .unwrap());

    let ready = db.images.image(new.id).await.unwrap().unwrap();
    assert_eq!(
        (ready.status, ready.failure.clone()),
        (ImageStatus::Ready, None)
    );
    assert_eq!((ready.width, ready.height), (Some(4000), Some(3000)));
    assert_eq!(
        (ready.blurhash.as_deref(), ready.dominant_color.as_deref()),
        (Some(result.blurhash.as_str()), Some("#336699"))
    );
    assert_eq!(ready.variants, result.variants);
    assert_eq!(
        ready.public_original_key.as_deref(),
        Some(result.public_original_key.as_str())
    );
    assert_eq!(
        ready.public_original_sha256.as_deref(),
        Some(result.public_original_sha256.as_str())
    );

    // A redelivered job must not undo or redo anything.
    assert!(!db
        .images
        .complete_processing(new.id, &processed(ImageId::new()))
        .await
        .unwrap());
    let failure = Failure {
        code: "late".into(),
        message: "too late".into(),
    };
    assert!(!db.images.fail_processing(new.id, &failure).await.unwrap());
    assert_eq!(db.images.image(new.id).await.unwrap(), Some(ready));
    assert!(!db
        .images
        .complete_processing(ImageId::new(), &result)
        .await
        .unwrap());
}

pub async fn fail_processing_only_moves_processing_images(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;
    let failure = Failure {
        code: "unsupported_format".into(),
        message: "heic is not supported".into(),
    };
    assert!(db.images.fail_processing(new.id, &failure).await.unwrap());

    let failed = db.images.image(new.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.status, failed.failure.clone()),
        (ImageStatus::Failed, Some(failure.clone()))
    );
    assert!(!db
        .images
        .complete_processing(new.id, &processed(new.id))
        .await
        .unwrap());
    let other = Failure {
        code: "other".into(),
        message: "other".into(),
    };
    assert!(!db.images.fail_processing(new.id, &other).await.unwrap());
    assert_eq!(db.images.image(new.id).await.unwrap(), Some(failed));
    assert!(!db
        .images
        .fail_processing(ImageId::new(), &failure)
        .await
        .unwrap());
}

pub async fn update_image_applies_the_patch(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;

    let patch = ImagePatch {
        visibility: Some(Visibility::Private),
        ..ImagePatch::default()
    };
    let got = db
        .images
        .update_image(new.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.visibility, got.alt_text.clone(), got.tags.clone()),
        (Visibility::Private, None, vec![])
    );

    let tags = vec!["cat".to_owned(), "sofa".to_owned()];
    let patch = ImagePatch {
        alt_text: Some(Some("a cat on a sofa".into())),
        tags: Some(tags.clone()),
        ..ImagePatch::default()
    };
    let got = db
        .images
        .update_image(new.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got.visibility,
        Visibility::Private,
        "fields left out stay as they are"
    );
    assert_eq!(
        (got.alt_text.as_deref(), got.tags.clone()),
        (Some("a cat on a sofa"), tags.clone())
    );
    assert_eq!(
        db.images.image(new.id).await.unwrap(),
        Some(got.clone()),
        "update returns the image as stored"
    );

    let unchanged = db
        .images
        .update_image(new.id, &ImagePatch::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            unchanged.visibility,
            unchanged.alt_text.clone(),
            unchanged.tags.clone()
        ),
        (got.visibility, got.alt_text, got.tags)
    );

    let cleared = db
        .images
        .update_image(
            new.id,
            &ImagePatch {
                alt_text: Some(None),
                ..ImagePatch::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((cleared.alt_text, cleared.tags), (None, tags));
    let untagged = db
        .images
        .update_image(
            new.id,
            &ImagePatch {
                tags: Some(vec![]),
                ..ImagePatch::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (untagged.tags, untagged.status),
        (vec![], ImageStatus::Processing)
    );
    assert_eq!(
        db.images
            .update_image(ImageId::new(), &patch)
            .await
            .unwrap(),
        None
    );
}
