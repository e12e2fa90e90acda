//! Domain types: values parsed once at the edge (newtypes) and the records the use cases pass around.

mod caption;
mod capture;
mod edit;
mod events;
mod ids;
mod image;
mod image_ready;
mod jobs;
mod page;
mod social;
mod upload;
mod user;

pub use caption::{checked_text, Caption, CommentText, Lines};
pub use capture::{Capture, MAX_CAPTURE_TEXT};
pub use edit::{
    parse_hex_colour, Derivation, EditFit, EditOperation, FlipDirection, WatermarkPosition,
    MAX_EDIT_OPERATIONS,
};
pub use events::Event;
pub use ids::{CommentId, ImageId, NotificationId, PostId, UploadId, UserId};
pub use image::{
    merge_variant_files, Failure, Image, ImageFormat, ImagePatch, ImageStatus, LateVariantFile,
    NewImage, OutputFormat, ProcessedImage, Variant, VariantFile, VariantName, Visibility,
};
pub use image_ready::ImageReady;
pub use jobs::{Job, OutboxMessage, JOBS_TOPIC};

/// Every topic the product publishes to itself (jobs, events and `image.ready`), for queues that provision
/// topics up front.
pub fn all_topics() -> impl Iterator<Item = &'static str> {
    Job::TOPICS
        .into_iter()
        .chain(Event::TOPICS)
        .chain([ImageReady::TOPIC])
}
pub use page::{Cursor, Page, PageRequest};
pub use social::{
    Comment, Follow, FollowState, Notification, NotificationKind, Post, TimelineEntry,
};
pub use upload::{Upload, UploadPart, UploadStatus};
pub use user::{
    AccessFacts, DisplayName, Email, NewUser, Password, ProfilePatch, RefreshToken, User, Username,
    ValidationError,
};
