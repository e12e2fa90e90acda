//! The janitor's decisions, apart from any I/O: what is old enough, which multipart uploads a live upload
//! row still owns, and which image ids under `images/` hold only blobs nobody may own.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use crate::domain::{ImageId, Upload};
use crate::ports::{DatedBlob, Leftover, LeftoverKind};

/// What the upload rows protect: their storage uploads, and the images they will become.
#[derive(Debug, Default, Clone)]
pub struct LiveUploads {
    pub storage_ids: HashSet<String>,
    pub image_ids: HashSet<ImageId>,
}

impl LiveUploads {
    pub fn of(uploads: &[Upload]) -> Self {
        Self {
            storage_ids: uploads
                .iter()
                .map(|upload| upload.storage_upload_id.clone())
                .collect(),
            image_ids: uploads.iter().map(|upload| upload.image_id).collect(),
        }
    }
}

/// Whether a leftover may go: begun before `cutoff`, and (a multipart upload) not one an upload row
/// refers to. A row's upload is the expiry pass's to abort, when the row expires.
pub fn abandoned(leftover: &Leftover, cutoff: DateTime<Utc>, live: &LiveUploads) -> bool {
    if leftover.started >= cutoff {
        return false;
    }
    match leftover.kind {
        LeftoverKind::StagingFile => true,
        LeftoverKind::Multipart => leftover
            .upload_id
            .as_ref()
            .is_none_or(|id| !live.storage_ids.contains(id)),
    }
}

/// The image id of a key `images/{id}/…` (the id in its canonical form); `None` for any other key.
pub fn image_of(key: &str) -> Option<ImageId> {
    let rest = key.strip_prefix("images/")?;
    let (segment, tail) = rest.split_once('/')?;
    if tail.is_empty() {
        return None;
    }
    let id: ImageId = segment.parse().ok()?;
    (id.to_string() == segment).then_some(id)
}

/// The image ids under `images/` whose blobs were all written before `cutoff` and that no upload row will
/// become, each with its blobs' keys: candidates, until the image rows say whether one exists.
pub fn stale_images(
    blobs: Vec<DatedBlob>,
    cutoff: DateTime<Utc>,
    live: &LiveUploads,
) -> BTreeMap<ImageId, Vec<String>> {
    let mut groups: BTreeMap<ImageId, (bool, Vec<String>)> = BTreeMap::new();
    for blob in blobs {
        let Some(id) = image_of(&blob.key) else {
            continue;
        };
        let group = groups.entry(id).or_insert((true, Vec::new()));
        group.0 &= blob.modified < cutoff;
        group.1.push(blob.key);
    }
    groups
        .into_iter()
        .filter(|(id, (old, _))| *old && !live.image_ids.contains(id))
        .map(|(id, (_, keys))| (id, keys))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Duration;

    use super::*;

    fn at(hours_ago: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() - Duration::hours(hours_ago)
    }

    fn multipart(id: &str, hours_ago: i64) -> Leftover {
        Leftover {
            kind: LeftoverKind::Multipart,
            key: "images/x/original".into(),
            upload_id: Some(id.into()),
            started: at(hours_ago),
        }
    }

    fn blob(key: &str, hours_ago: i64) -> DatedBlob {
        DatedBlob {
            key: key.into(),
            size: 1,
            modified: at(hours_ago),
        }
    }

    #[test]
    fn only_leftovers_older_than_the_cutoff_go() {
        let live = LiveUploads::default();
        let cutoff = at(24);
        let staging = Leftover {
            kind: LeftoverKind::StagingFile,
            key: "images/x/original#ab".into(),
            upload_id: None,
            started: at(25),
        };
        assert!(abandoned(&staging, cutoff, &live));
        let fresh = Leftover {
            started: at(23),
            ..staging
        };
        assert!(!abandoned(&fresh, cutoff, &live));
        assert!(abandoned(&multipart("old", 48), cutoff, &live));
        assert!(!abandoned(&multipart("new", 1), cutoff, &live));
    }

    #[test]
    fn a_multipart_an_upload_row_refers_to_stays_however_old() {
        let live = LiveUploads {
            storage_ids: HashSet::from(["kept".to_owned()]),
            ..LiveUploads::default()
        };
        assert!(!abandoned(&multipart("kept", 24 * 365), at(24), &live));
        assert!(abandoned(&multipart("other", 24 * 365), at(24), &live));
    }

    #[test]
    fn image_ids_come_from_canonical_second_segments_only() {
        let id = ImageId::new();
        assert_eq!(image_of(&format!("images/{id}/original")), Some(id));
        assert_eq!(
            image_of(&format!("images/{id}/variants/thumb.webp")),
            Some(id)
        );
        assert_eq!(image_of(&format!("images/{id}/")), None);
        assert_eq!(image_of(&format!("images/{id}")), None);
        assert_eq!(
            image_of(&format!("images/{}/original", id.0.simple())),
            None
        );
        assert_eq!(image_of("images/not-a-uuid/original"), None);
        assert_eq!(image_of(&format!("uploads/{id}/metadata")), None);
    }

    #[test]
    fn an_image_with_any_recent_blob_or_a_live_upload_is_no_candidate() {
        let (old, mixed, pending) = (ImageId::new(), ImageId::new(), ImageId::new());
        let live = LiveUploads {
            image_ids: HashSet::from([pending]),
            ..LiveUploads::default()
        };
        let blobs = vec![
            blob(&format!("images/{old}/original"), 30),
            blob(&format!("images/{old}/variants/thumb.webp"), 29),
            blob(&format!("images/{mixed}/original"), 30),
            blob(&format!("images/{mixed}/variants/thumb.webp"), 1),
            blob(&format!("images/{pending}/original"), 30),
            blob("images/elsewhere/original", 30),
        ];
        let stale = stale_images(blobs, at(24), &live);
        assert_eq!(stale.keys().copied().collect::<Vec<_>>(), vec![old]);
        assert_eq!(stale[&old].len(), 2);
    }
}
