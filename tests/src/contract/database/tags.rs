//! `ImageRepository` cases for what processing derives besides variants: the automatic tags and the
//! capture (camera, time taken) are stored and read back, and listing by tag matches either kind of tag
//! with the same keyset pages as the unfiltered listing.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use darkroom_core::domain::{
    Capture, Cursor, ImageId, ImagePatch, PageRequest, ProcessedImage, UserId,
};

use super::{create_user, new_image, now, stored_image, TestDatabase};

fn processed(id: ImageId, auto_tags: &[&str], capture: Capture) -> ProcessedImage {
    ProcessedImage {
        width: 640,
        height: 480,
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj".into(),
        dominant_color: "#336699".into(),
        variants: Vec::new(),
        public_original_key: format!("images/{id}/public"),
        public_original_sha256: "ab".repeat(32),
        auto_tags: auto_tags.iter().map(|t| (*t).to_owned()).collect(),
        capture,
    }
}

fn canon() -> Capture {
    Capture {
        camera_make: Some("Canon".into()),
        camera_model: Some("Canon EOS 40D".into()),
        taken_at: NaiveDate::from_ymd_opt(2008, 5, 30).and_then(|d| d.and_hms_opt(15, 56, 1)),
    }
}

pub async fn processing_stores_auto_tags_and_capture(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let new = new_image(owner.id, now());
    stored_image(db.as_ref(), &new).await;
    let before = db.images.image(new.id).await.unwrap().unwrap();
    assert_eq!(
        (before.auto_tags.clone(), before.capture.clone()),
        (Vec::new(), Capture::default()),
        "nothing is derived before processing"
    );

    let result = processed(new.id, &["landscape", "camera:canon", "year:2008"], canon());
    assert!(db
        .images
        .complete_processing(new.id, &result)
        .await
        .unwrap());
    let ready = db.images.image(new.id).await.unwrap().unwrap();
    assert_eq!(ready.auto_tags, result.auto_tags);
    assert_eq!(ready.capture, canon());
    // Every read path gives the same.
    let listed = db
        .images
        .images_by_owner(owner.id, PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(listed.items, vec![ready.clone()]);
    assert_eq!(
        db.images.images_by_ids(&[new.id]).await.unwrap(),
        vec![ready.clone()]
    );
    // The owner's tags are theirs to change; the automatic ones and the capture stay.
    let patch = ImagePatch {
        tags: Some(vec!["holiday".into()]),
        ..ImagePatch::default()
    };
    let patched = db
        .images
        .update_image(new.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(patched.tags, ["holiday"]);
    assert_eq!(
        (patched.auto_tags, patched.capture),
        (result.auto_tags, canon())
    );

    // A partial capture (no camera, say) keeps its absences absent.
    let other = new_image(owner.id, now());
    stored_image(db.as_ref(), &other).await;
    let partial = Capture {
        camera_model: Some("E950".into()),
        ..Capture::default()
    };
    assert!(db
        .images
        .complete_processing(other.id, &processed(other.id, &[], partial.clone()))
        .await
        .unwrap());
    let other = db.images.image(other.id).await.unwrap().unwrap();
    assert_eq!((other.auto_tags, other.capture), (Vec::new(), partial));
}

/// Pages through `owner`'s images tagged `tag` three at a time, returning the ids seen.
async fn tagged_ids(db: &TestDatabase, owner: UserId, tag: &str) -> Vec<ImageId> {
    let mut seen = Vec::new();
    let mut after: Option<Cursor> = None;
    for _ in 0..20 {
        let page = db
            .images
            .images_by_owner_with_tag(owner, tag, PageRequest::new(Some(3), after))
            .await
            .unwrap();
        assert!(page.items.len() <= 3);
        for image in &page.items {
            assert_eq!(image.owner_id, owner);
            assert!(
                image.tags.iter().chain(&image.auto_tags).any(|t| t == tag),
                "{:?} / {:?} lack {tag}",
                image.tags,
                image.auto_tags
            );
        }
        seen.extend(page.items.iter().map(|i| i.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return seen,
        }
    }
    panic!("paging by tag does not end");
}

pub async fn images_by_owner_with_tag_matches_either_kind_and_pages_exactly(db: Arc<TestDatabase>) {
    let owner = create_user(db.as_ref()).await;
    let neighbour = create_user(db.as_ref()).await;
    // The neighbour's image carries the tag too: it must never show up.
    let theirs = new_image(neighbour.id, now());
    stored_image(db.as_ref(), &theirs).await;
    db.images
        .complete_processing(
            theirs.id,
            &processed(theirs.id, &["portrait"], Capture::default()),
        )
        .await
        .unwrap();

    // Eight images, some sharing an instant; even ones are `portrait` automatically, those divisible by
    // three carry the owner's tag `portrait` (so 0 and 6 have it both ways: listed once).
    let base = now() - Duration::hours(1);
    let offsets = [0, 1, 1, 1, 2, 3, 3, 4];
    let mut images = Vec::new();
    for (i, offset) in offsets.iter().enumerate() {
        let new = new_image(owner.id, base + Duration::seconds(*offset));
        stored_image(db.as_ref(), &new).await;
        let auto: &[&str] = if i % 2 == 0 {
            &["portrait", "size:small"]
        } else {
            &["landscape", "size:small"]
        };
        db.images
            .complete_processing(new.id, &processed(new.id, auto, Capture::default()))
            .await
            .unwrap();
        if i % 3 == 0 {
            let patch = ImagePatch {
                tags: Some(vec!["portrait".into(), "mine".into()]),
                ..ImagePatch::default()
            };
            db.images.update_image(new.id, &patch).await.unwrap();
        }
        images.push((i, new));
    }
    // One more, tagged, but deleted: left out as the plain listing leaves it out.
    let gone = new_image(owner.id, base + Duration::seconds(2));
    stored_image(db.as_ref(), &gone).await;
    db.images
        .complete_processing(
            gone.id,
            &processed(gone.id, &["portrait"], Capture::default()),
        )
        .await
        .unwrap();
    db.images.delete_image(gone.id, now()).await.unwrap();

    let newest_first = |keep: &dyn Fn(usize) -> bool| {
        let mut kept: Vec<_> = images
            .iter()
            .filter(|(i, _)| keep(*i))
            .map(|(_, n)| n)
            .collect();
        kept.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.id)));
        kept.into_iter().map(|n| n.id).collect::<Vec<_>>()
    };
    let portrait = tagged_ids(db.as_ref(), owner.id, "portrait").await;
    assert_eq!(
        portrait,
        newest_first(&|i| i % 2 == 0 || i % 3 == 0),
        "auto and owner tags, newest first on (created_at, id), no gaps or repeats"
    );
    assert_eq!(
        portrait.iter().collect::<HashSet<_>>().len(),
        portrait.len()
    );
    assert_eq!(
        tagged_ids(db.as_ref(), owner.id, "mine").await,
        newest_first(&|i| i % 3 == 0)
    );
    assert_eq!(
        tagged_ids(db.as_ref(), owner.id, "size:small").await,
        newest_first(&|_| true)
    );
    assert!(tagged_ids(db.as_ref(), owner.id, "camera:canon")
        .await
        .is_empty());
    // Exact matches only: no prefixes, no other case.
    assert!(tagged_ids(db.as_ref(), owner.id, "port").await.is_empty());
    assert!(tagged_ids(db.as_ref(), owner.id, "Portrait")
        .await
        .is_empty());
    assert!(tagged_ids(db.as_ref(), UserId::new(), "portrait")
        .await
        .is_empty());
}
