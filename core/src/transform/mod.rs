//! On-the-fly transformations in imgproxy's URL format: the signature ([`Signer`]), the processing
//! options ([`parse`] into a normalised [`TransformOptions`]) and the plan they render. The use case that
//! serves them is `services::transform`.

mod options;
mod parse;
mod signature;

pub use options::{CropOption, ExtendOption, ResizingType, TransformOptions, WatermarkOption};
pub use parse::{parse, TransformPolicy, TransformRequest};
pub use signature::{Signer, FULL_SIGNATURE_SIZE};
