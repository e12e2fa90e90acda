//! What the pipeline hands back: an upload's variants and placeholders, or one rendered plan.

use super::ImageFacts;
use crate::domain::{ImageFormat, OutputFormat, VariantName};

/// One variant with its encodings, one per requested format this build can encode.
#[derive(Debug, Clone)]
pub struct RenderedVariant {
    pub name: VariantName,
    pub width: u32,
    pub height: u32,
    pub encodings: Vec<(OutputFormat, Vec<u8>)>,
}

/// Everything processing makes from one upload.
#[derive(Debug, Clone)]
pub struct Processed {
    pub format: ImageFormat,
    /// Upright, after EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// One per `UPLOAD_VARIANTS` entry, in that order.
    pub variants: Vec<RenderedVariant>,
    /// 4x3 components.
    pub blurhash: String,
    /// `#rrggbb`, lowercase.
    pub dominant_color: String,
    /// The original with metadata removed (the port's `strip_metadata`).
    pub public_original: Vec<u8>,
    /// What the automatic tags and the stored capture are made from.
    pub facts: ImageFacts,
}

/// One [`Plan`](super::Plan) rendered: the encoded bytes and their size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub width: u32,
    pub height: u32,
    pub format: OutputFormat,
    pub bytes: Vec<u8>,
}
