//! Domain types: values parsed once at the edge (newtypes) and the records the use cases pass around.

mod ids;
mod image;
mod jobs;
mod page;
mod user;

pub use ids::{ImageId, UserId};
pub use image::{
    merge_variant_files, Failure, Image, ImageFormat, ImagePatch, ImageStatus, LateVariantFile,
    NewImage, OutputFormat, ProcessedImage, Variant, VariantFile, VariantName, Visibility,
};
pub use jobs::{Job, OutboxMessage, JOBS_TOPIC};
pub use page::{Cursor, Page, PageRequest};
pub use user::{
    DisplayName, Email, NewUser, Password, RefreshToken, User, Username, ValidationError,
};
