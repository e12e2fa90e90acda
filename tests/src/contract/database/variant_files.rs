//! `ImageRepository::add_variant_files`: encodings added after an image is ready (AVIF).

use std::sync::Arc;

use darkroom_core::domain::{
    Failure, ImageId, ImageStatus, LateVariantFile, OutputFormat, ProcessedImage, Variant,
    VariantFile, VariantName,
};

use super::{create_user, new_image, now, stored_image, TestDatabase};

fn file(id: ImageId, name: VariantName, format: OutputFormat, bytes: u64) -> VariantFile {
    VariantFile {
        format,
        key: format!("images/{id}/variants/{name}.{}", format.extension()),
        bytes,
        sha256: format!("{bytes:0>64}"),
    }
}

fn late(id: ImageId, name: VariantName, bytes: u64) -> LateVariantFile {
    LateVariantFile {
        name,
        file: file(id, name, OutputFormat::Avif, bytes),
    }
}

fn processed(id: ImageId) -> ProcessedImage {
    let variant = |name, edge| Variant {
        name,
        width: edge,
        height: edge * 3 / 4,
        files: vec![
            file(id, name, OutputFormat::Jpeg, u64::from(edge) * 10),
            file(id, name, OutputFormat::Webp, u64::from(edge) * 7),
        ],
    };
    ProcessedImage {
        width: 4000,
        height: 3000,
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj".into(),
        dominant_color: "#336699".into(),
        variants: vec![
            variant(VariantName::Thumb, 256),
            variant(VariantName::Large, 2048),
        ],
        public_original_key: format!("images/{id}/public-original.jpeg"),
        public_original_sha256: "ab".repeat(32),
        auto_tags: Vec::new(),
        capture: Default::default(),
    }
}

pub async fn add_variant_files_only_adds_to_ready_images_and_once(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;
    let id = new.id;
    let files = [
        late(id, VariantName::Thumb, 3_000),
        late(id, VariantName::Large, 90_000),
    ];

    // Still processing: nothing is recorded.
    assert!(!db.images.add_variant_files(id, &files).await.unwrap());
    assert!(db
        .images
        .image(id)
        .await
        .unwrap()
        .unwrap()
        .variants
        .is_empty());

    let result = processed(id);
    assert!(db.images.complete_processing(id, &result).await.unwrap());
    assert!(db.images.add_variant_files(id, &files).await.unwrap());
    let ready = db.images.image(id).await.unwrap().unwrap();
    assert_eq!(ready.status, ImageStatus::Ready);
    for (variant, before) in ready.variants.iter().zip(&result.variants) {
        assert_eq!(
            (variant.name, variant.width, variant.height),
            (before.name, before.width, before.height)
        );
        let formats: Vec<OutputFormat> = variant.files.iter().map(|f| f.format).collect();
        assert_eq!(
            formats,
            [OutputFormat::Jpeg, OutputFormat::Webp, OutputFormat::Avif],
            "{}",
            variant.name
        );
    }
    assert_eq!(
        ready.variants[1].file(OutputFormat::Avif),
        Some(&files[1].file)
    );

    // Again, with other bytes and a variant the image does not have: one AVIF file each, the first kept.
    let again = [
        late(id, VariantName::Thumb, 1),
        late(id, VariantName::Medium, 2),
    ];
    assert!(db.images.add_variant_files(id, &again).await.unwrap());
    let after = db.images.image(id).await.unwrap().unwrap();
    assert_eq!(after.variants, ready.variants);

    // Neither an unknown image nor a failed one takes files.
    assert!(!db
        .images
        .add_variant_files(ImageId::new(), &files)
        .await
        .unwrap());
    let other = new_image(owner.id, now());
    stored_image(db.as_ref(), &other).await;
    let failure = Failure {
        code: "corrupt_image".into(),
        message: "broken".into(),
    };
    assert!(db.images.fail_processing(other.id, &failure).await.unwrap());
    assert!(!db
        .images
        .add_variant_files(other.id, &[late(other.id, VariantName::Thumb, 5)])
        .await
        .unwrap());
    assert!(db
        .images
        .image(other.id)
        .await
        .unwrap()
        .unwrap()
        .variants
        .is_empty());
}

pub async fn concurrent_variant_file_additions_keep_every_format(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;
    let id = new.id;
    let mut result = processed(id);
    for variant in &mut result.variants {
        variant.files.retain(|f| f.format == OutputFormat::Jpeg);
    }
    assert!(db.images.complete_processing(id, &result).await.unwrap());

    // Two formats added at once by two jobs: neither may overwrite the other's (a lost update).
    let add = |format: OutputFormat| {
        let db = db.clone();
        async move {
            let files: Vec<LateVariantFile> = [VariantName::Thumb, VariantName::Large]
                .into_iter()
                .map(|name| LateVariantFile {
                    name,
                    file: file(id, name, format, 42),
                })
                .collect();
            db.images.add_variant_files(id, &files).await.unwrap()
        }
    };
    let (webp, avif) = tokio::join!(
        tokio::spawn(add(OutputFormat::Webp)),
        tokio::spawn(add(OutputFormat::Avif))
    );
    assert!(webp.unwrap() && avif.unwrap());
    for variant in db.images.image(id).await.unwrap().unwrap().variants {
        let mut formats: Vec<&str> = variant.files.iter().map(|f| f.format.as_str()).collect();
        formats.sort_unstable();
        assert_eq!(formats, ["avif", "jpeg", "webp"], "{}", variant.name);
    }
}
