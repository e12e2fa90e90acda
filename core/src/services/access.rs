//! Who may see what. One function, used by every read, so that visibility cannot be forgotten on one path.

use crate::domain::{Image, UserId, Visibility};

/// Whether `viewer` (None: anonymous) may see `image`. Everything else answers 404, never 403.
///
/// `followers` images are visible to their owner only until the follow graph exists (a later issue adds the
/// follower check here, and only here).
pub fn can_view(viewer: Option<UserId>, image: &Image) -> bool {
    match image.visibility {
        Visibility::Public => true,
        Visibility::Followers | Visibility::Private => viewer == Some(image.owner_id),
    }
}

/// Whether `viewer` may change or delete `image`.
pub fn can_modify(viewer: UserId, image: &Image) -> bool {
    viewer == image.owner_id
}
