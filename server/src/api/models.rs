//! The JSON shapes of the API (field names fixed by API.md), and their conversions from the domain.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{Capture, ImageStatus, User, Visibility};
use darkroom_core::services::auth::TokenPair;
use darkroom_core::services::images::{Grant, ShownImage};
use poem_openapi::{Enum, Object};

/// A user's public profile.
#[derive(Debug, Object)]
#[oai(rename = "User")]
pub struct UserView {
    pub id: uuid::Uuid,
    pub username: String,
    #[oai(nullable)]
    pub display_name: Option<String>,
    #[oai(nullable)]
    pub first_name: Option<String>,
    #[oai(nullable)]
    pub last_name: Option<String>,
    #[oai(nullable)]
    pub bio: Option<String>,
    pub followers_count: u64,
    pub following_count: u64,
    pub posts_count: u64,
    /// A private account's posts and images reach only the followers it approved.
    pub is_private: bool,
    /// The profile picture: one of the user's images.
    #[oai(nullable)]
    pub avatar_image_id: Option<uuid::Uuid>,
    /// Its `thumb` variant.
    #[oai(nullable)]
    pub avatar_url: Option<String>,
    /// Whether this user follows the caller (absent for anonymous callers and on the caller's own profile).
    #[oai(skip_serializing_if_is_none)]
    pub follows_you: Option<bool>,
    /// Whether the caller follows this user.
    #[oai(skip_serializing_if_is_none)]
    pub followed_by_you: Option<bool>,
    /// Whether the caller asked to follow this private account and awaits an answer.
    #[oai(skip_serializing_if_is_none)]
    pub follow_requested: Option<bool>,
    pub created_at: DateTime<Utc>,
}

impl From<darkroom_core::services::social::UserView> for UserView {
    fn from(view: darkroom_core::services::social::UserView) -> Self {
        let mut user = UserView::from(view.user);
        if let Some(relation) = view.relation {
            user.follows_you = Some(relation.follows_you);
            user.followed_by_you = Some(relation.followed_by_you);
            user.follow_requested = Some(relation.follow_requested);
        }
        user
    }
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            username: u.username,
            display_name: u.display_name,
            first_name: u.first_name,
            last_name: u.last_name,
            bio: u.bio,
            followers_count: u.followers_count,
            following_count: u.following_count,
            posts_count: u.posts_count,
            is_private: u.is_private,
            avatar_image_id: u.avatar_image_id.map(|id| id.0),
            avatar_url: u
                .avatar_image_id
                .map(|id| format!("/v1/images/{id}/variants/thumb")),
            follows_you: None,
            followed_by_you: None,
            follow_requested: None,
            created_at: u.created_at,
        }
    }
}

/// The caller's own account: the profile plus what only they see.
#[derive(Debug, Object)]
#[oai(rename = "Me")]
pub struct MeView {
    #[oai(flatten)]
    pub profile: UserView,
    pub email: String,
}

impl From<User> for MeView {
    fn from(u: User) -> Self {
        let email = u.email.clone();
        Self {
            profile: u.into(),
            email,
        }
    }
}

/// An access token and the refresh token to renew it.
#[derive(Debug, Object)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

impl From<TokenPair> for Tokens {
    fn from(p: TokenPair) -> Self {
        Self {
            access_token: p.access_token,
            refresh_token: p.refresh_token,
            token_type: "Bearer".into(),
            expires_in: p.expires_in,
            refresh_expires_in: p.refresh_expires_in,
        }
    }
}

/// `register`'s answer: the new account and its first token pair.
#[derive(Debug, Object)]
pub struct Registered {
    pub user: UserView,
    #[oai(flatten)]
    pub tokens: Tokens,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "Visibility", rename_all = "lowercase")]
pub enum VisibilityView {
    Public,
    Followers,
    Private,
}

impl From<Visibility> for VisibilityView {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Public => Self::Public,
            Visibility::Followers => Self::Followers,
            Visibility::Private => Self::Private,
        }
    }
}

impl From<VisibilityView> for Visibility {
    fn from(v: VisibilityView) -> Self {
        match v {
            VisibilityView::Public => Self::Public,
            VisibilityView::Followers => Self::Followers,
            VisibilityView::Private => Self::Private,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "ImageStatus", rename_all = "lowercase")]
pub enum StatusView {
    Processing,
    Ready,
    Failed,
}

impl From<ImageStatus> for StatusView {
    fn from(s: ImageStatus) -> Self {
        match s {
            ImageStatus::Processing => Self::Processing,
            ImageStatus::Ready => Self::Ready,
            ImageStatus::Failed => Self::Failed,
        }
    }
}

/// Why processing failed.
#[derive(Debug, Object)]
#[oai(rename = "Failure")]
pub struct FailureView {
    pub code: String,
    pub message: String,
}

/// One named variant; fetch it at `url`. To choose an encoding add `format=` to its query (`url` carries a
/// temporary URL's `exp` and `sig` when the image is not public, so append with `&` then).
#[derive(Debug, Object)]
#[oai(rename = "Variant")]
pub struct VariantView {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub formats: Vec<String>,
    pub url: String,
}

/// An image and what processing made of it.
#[derive(Debug, Object)]
#[oai(rename = "Image")]
pub struct ImageView {
    pub id: uuid::Uuid,
    /// The owner's username.
    pub owner: String,
    pub status: StatusView,
    #[oai(nullable)]
    pub failure: Option<FailureView>,
    #[oai(nullable)]
    pub width: Option<u32>,
    #[oai(nullable)]
    pub height: Option<u32>,
    /// The format of the original: jpeg, png, gif, webp, tiff.
    pub format: String,
    pub bytes: u64,
    /// The hex SHA-256 of the original the caller can download: as uploaded, for its owner; for anyone else
    /// the copy with its metadata removed (null until processing has made it). The upload's own hash is
    /// never shown to others: it would let them confirm a guess of the unstripped original, GPS and all.
    #[oai(nullable)]
    pub sha256: Option<String>,
    pub visibility: VisibilityView,
    #[oai(nullable)]
    pub alt_text: Option<String>,
    pub variants: Vec<VariantView>,
    #[oai(nullable)]
    pub blurhash: Option<String>,
    /// `#rrggbb`.
    #[oai(nullable)]
    pub dominant_color: Option<String>,
    /// The owner's tags (`updateImage`).
    pub tags: Vec<String>,
    /// Tags Darkroom derived once the image was processed (empty before): orientation, size class,
    /// colours, camera, year taken, `animated`, `transparent`. The vocabulary is in the README.
    pub auto_tags: Vec<String>,
    /// The camera's make from the original's EXIF. Only for the owner (served bytes never carry it).
    #[oai(nullable)]
    pub camera_make: Option<String>,
    /// The camera's model from the original's EXIF. Only for the owner.
    #[oai(nullable)]
    pub camera_model: Option<String>,
    /// When the photo was taken (EXIF `DateTimeOriginal`), as `YYYY-MM-DDTHH:MM:SS` in the camera's
    /// local time: EXIF gives no time zone. Only for the owner.
    #[oai(nullable)]
    pub taken_at: Option<String>,
    pub original_url: String,
    /// For an edit's result (`editImage`): the image it was made from.
    #[oai(nullable)]
    pub source_image_id: Option<uuid::Uuid>,
    /// For an edit's result: the operations that made it, in order.
    #[oai(nullable)]
    pub operations: Option<Vec<super::edit_models::EditOperationView>>,
    /// For an image not open to everyone: the grant its variant `url`s carry, which also opens its
    /// transformations (`transformImage`) when added to their query, until `expires_at`, without a bearer
    /// token (for `<img>` tags). Changing the image's visibility ends it. Null for public images, whose
    /// URLs need none. Originals are never served on a grant.
    #[oai(nullable)]
    pub temporary_access: Option<TemporaryAccessView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A temporary URL's grant.
#[derive(Debug, Object)]
#[oai(rename = "TemporaryAccess")]
pub struct TemporaryAccessView {
    /// The query that carries it: `exp=…&sig=…`.
    pub query: String,
    pub expires_at: DateTime<Utc>,
}

/// The image as it goes out to its viewer: its capture (camera, time taken) only to its owner.
impl From<ShownImage> for ImageView {
    fn from(shown: ShownImage) -> Self {
        let ShownImage {
            image: i,
            grant,
            to_owner,
        } = shown;
        let capture = if to_owner {
            i.capture.clone()
        } else {
            Capture::default()
        };
        let id = i.id;
        let query = grant.as_ref().map(Grant::query);
        let variant_url = |name| match &query {
            Some(query) => format!("/v1/images/{id}/variants/{name}?{query}"),
            None => format!("/v1/images/{id}/variants/{name}"),
        };
        Self {
            id: i.id.0,
            owner: i.owner_username,
            status: i.status.into(),
            failure: i.failure.map(|f| FailureView {
                code: f.code,
                message: f.message,
            }),
            width: i.width,
            height: i.height,
            format: i.format.to_string(),
            bytes: i.bytes,
            sha256: if to_owner {
                Some(i.sha256)
            } else {
                i.public_original_sha256
            },
            visibility: i.visibility.into(),
            alt_text: i.alt_text,
            variants: i
                .variants
                .into_iter()
                .map(|v| VariantView {
                    name: v.name.to_string(),
                    width: v.width,
                    height: v.height,
                    formats: v.files.iter().map(|f| f.format.to_string()).collect(),
                    url: variant_url(v.name),
                })
                .collect(),
            blurhash: i.blurhash,
            dominant_color: i.dominant_color,
            tags: i.tags,
            auto_tags: i.auto_tags,
            taken_at: capture.taken_at_text(),
            camera_make: capture.camera_make,
            camera_model: capture.camera_model,
            original_url: format!("/v1/images/{id}/original"),
            source_image_id: i.source_image_id.map(|id| id.0),
            operations: i
                .operations
                .map(|ops| ops.into_iter().map(Into::into).collect()),
            temporary_access: grant.map(|grant| TemporaryAccessView {
                expires_at: DateTime::from_timestamp(grant.expires, 0).unwrap_or_default(),
                query: grant.query(),
            }),
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// A page of images, newest first.
#[derive(Debug, Object)]
pub struct ImagePage {
    pub items: Vec<ImageView>,
    /// Pass as `cursor` for the next page; null at the end.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}
