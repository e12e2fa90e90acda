//! `ImageRepository` cases for edits: a derived image keeps its source and operations, and its rendered
//! original's size and hash are recorded only while it is processing.

use std::sync::Arc;

use darkroom_core::domain::{
    Derivation, EditFit, EditOperation, Failure, FlipDirection, ImageId, ImageStatus,
    WatermarkPosition,
};

use super::{create_user, new_image, now, stored_image, TestDatabase};

fn operations(mark: ImageId) -> Vec<EditOperation> {
    vec![
        EditOperation::Crop {
            x: 10,
            y: 20,
            width: 300,
            height: 200,
        },
        EditOperation::Rotate {
            degrees: 12.5,
            background: Some("#102030".into()),
        },
        EditOperation::Flip {
            direction: FlipDirection::Vertical,
        },
        EditOperation::Resize {
            width: Some(100),
            height: None,
            fit: EditFit::Fit,
        },
        EditOperation::Grayscale,
        EditOperation::Brightness { amount: 1.25 },
        EditOperation::Watermark {
            text: None,
            image_id: Some(mark),
            position: WatermarkPosition::NorthEast,
            opacity: 0.5,
        },
    ]
}

pub async fn a_derived_image_keeps_its_source_and_operations(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let source = new_image(owner.id, now());
    stored_image(db.as_ref(), &source).await;
    let mut edited = new_image(owner.id, now());
    let ops = operations(ImageId::new());
    edited.derivation = Some(Derivation {
        source_image_id: source.id,
        operations: ops.clone(),
    });
    stored_image(db.as_ref(), &edited).await;

    let image = db.images.image(edited.id).await.unwrap().unwrap();
    assert_eq!(image.source_image_id, Some(source.id));
    assert_eq!(image.operations.as_ref(), Some(&ops), "in order, exactly");
    let by_id = db.images.images_by_ids(&[edited.id]).await.unwrap();
    assert_eq!(by_id[0].operations.as_ref(), Some(&ops));

    let plain = db.images.image(source.id).await.unwrap().unwrap();
    assert_eq!((plain.source_image_id, plain.operations), (None, None));

    // The source may go (deleted, then purged for good) while its edit stays.
    let deleted_at = now();
    db.images
        .delete_image(source.id, deleted_at)
        .await
        .unwrap()
        .unwrap();
    let after = deleted_at + chrono::Duration::seconds(1);
    assert!(db.images.purge_image(source.id, after).await.unwrap());
    assert_eq!(db.images.image(source.id).await.unwrap(), None);
    let still = db.images.image(edited.id).await.unwrap().unwrap();
    assert_eq!(still.source_image_id, Some(source.id));
}

pub async fn record_original_only_changes_processing_images(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;
    let hash = "cd".repeat(32);
    assert!(db
        .images
        .record_original(new.id, 12_345, &hash)
        .await
        .unwrap());
    let image = db.images.image(new.id).await.unwrap().unwrap();
    assert_eq!(
        (image.bytes, image.sha256.as_str()),
        (12_345, hash.as_str())
    );
    assert_eq!(image.status, ImageStatus::Processing);

    let failure = Failure {
        code: "edit_failed".into(),
        message: "gone".into(),
    };
    assert!(db.images.fail_processing(new.id, &failure).await.unwrap());
    assert!(!db
        .images
        .record_original(new.id, 1, &"00".repeat(32))
        .await
        .unwrap());
    let failed = db.images.image(new.id).await.unwrap().unwrap();
    assert_eq!(failed.bytes, 12_345, "a settled image is not changed");
    assert!(!db
        .images
        .record_original(ImageId::new(), 1, &hash)
        .await
        .unwrap());
}
