//! Why the image pipeline refused or failed, with the stable code the API shows for each case.

use crate::domain::ImageFormat;

/// Everything that can go wrong between the uploaded bytes and the encoded variants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImagingError {
    /// The magic bytes match no image format we know.
    #[error("unrecognised image format")]
    UnrecognisedFormat,
    /// A known format that this build cannot decode (AVIF, HEIC).
    #[error("{0} images are not supported by this server")]
    UnsupportedFormat(ImageFormat),
    /// A decodable format using a feature the decoder lacks (e.g. a CMYK TIFF).
    #[error("unsupported image feature: {0}")]
    UnsupportedFeature(String),
    #[error("image is {actual} bytes, more than the {max} allowed")]
    TooManyBytes { actual: u64, max: u64 },
    #[error(
        "image is {width}x{height}, more than the allowed {max_width}x{max_height} or {max_pixels} pixels"
    )]
    DimensionsTooLarge {
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
        max_pixels: u64,
    },
    #[error("animation has {frames} frames, more than the {max} allowed")]
    TooManyFrames { frames: u64, max: u32 },
    #[error("corrupt image: {0}")]
    Corrupt(String),
    /// Decoding would need more memory than `Limits::max_decode_alloc` allows.
    #[error("decoding the image would exceed the memory limit: {0}")]
    DecodeLimitExceeded(String),
    #[error("processing took {elapsed_ms} ms by the end of {stage}, more than the {limit_ms} ms allowed")]
    TimedOut {
        stage: &'static str,
        elapsed_ms: u64,
        limit_ms: u64,
    },
    /// A plan that cannot be carried out (a zero or missing size, a crop outside the image).
    #[error("invalid plan: {0}")]
    InvalidPlan(String),
    #[error("encoding {format} failed: {reason}")]
    EncodeFailed {
        format: &'static str,
        reason: String,
    },
}

impl ImagingError {
    /// Stable machine-readable code the API shows.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnrecognisedFormat | Self::UnsupportedFormat(_) | Self::UnsupportedFeature(_) => {
                "unsupported_media_type"
            }
            Self::TooManyBytes { .. } => "image_too_large",
            Self::DimensionsTooLarge { .. } => "image_dimensions_too_large",
            Self::TooManyFrames { .. } => "too_many_frames",
            Self::Corrupt(_) => "corrupt_image",
            Self::DecodeLimitExceeded(_) => "decode_limit_exceeded",
            Self::TimedOut { .. } => "processing_timeout",
            Self::InvalidPlan(_) => "invalid_plan",
            Self::EncodeFailed { .. } => "encode_failed",
        }
    }

    /// What the image's owner (and, for a public image, anyone) reads about the failure: the limit the image
    /// broke, or a fixed sentence. A decoder's or encoder's own words stay in the logs: they describe the
    /// server's libraries, not the image.
    pub fn public_message(&self) -> String {
        match self {
            Self::UnsupportedFormat(_)
            | Self::TooManyBytes { .. }
            | Self::DimensionsTooLarge { .. }
            | Self::TooManyFrames { .. }
            | Self::TimedOut { .. } => self.to_string(),
            Self::UnrecognisedFormat => {
                "the file is not an image in a format this server reads".into()
            }
            Self::UnsupportedFeature(_) => {
                "the image uses a feature this server cannot decode (for example a CMYK TIFF)"
                    .into()
            }
            Self::Corrupt(_) => "the image data is damaged or truncated".into(),
            Self::DecodeLimitExceeded(_) => {
                "decoding the image would need more memory than this server allows".into()
            }
            Self::InvalidPlan(_) => "the requested rendering cannot be made from this image".into(),
            Self::EncodeFailed { format, .. } => {
                format!("the {format} encoding of the image failed")
            }
        }
    }

    pub fn corrupt(reason: impl Into<String>) -> Self {
        Self::Corrupt(reason.into())
    }

    pub fn encode_failed(format: &'static str, reason: impl ToString) -> Self {
        Self::EncodeFailed {
            format,
            reason: reason.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_documented_code() {
        let cases = [
            (ImagingError::UnrecognisedFormat, "unsupported_media_type"),
            (
                ImagingError::UnsupportedFormat(ImageFormat::Heic),
                "unsupported_media_type",
            ),
            (
                ImagingError::UnsupportedFeature("cmyk".into()),
                "unsupported_media_type",
            ),
            (
                ImagingError::TooManyBytes { actual: 2, max: 1 },
                "image_too_large",
            ),
            (
                ImagingError::DimensionsTooLarge {
                    width: 2,
                    height: 2,
                    max_width: 1,
                    max_height: 1,
                    max_pixels: 1,
                },
                "image_dimensions_too_large",
            ),
            (
                ImagingError::TooManyFrames { frames: 2, max: 1 },
                "too_many_frames",
            ),
            (ImagingError::corrupt("bad"), "corrupt_image"),
            (
                ImagingError::DecodeLimitExceeded("big".into()),
                "decode_limit_exceeded",
            ),
            (
                ImagingError::TimedOut {
                    stage: "decode",
                    elapsed_ms: 2,
                    limit_ms: 1,
                },
                "processing_timeout",
            ),
            (
                ImagingError::InvalidPlan("zero width".into()),
                "invalid_plan",
            ),
            (ImagingError::encode_failed("jpeg", "oops"), "encode_failed"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error}");
            let message = error.to_string();
            assert!(
                message.starts_with(|c: char| !c.is_uppercase()),
                "{message}"
            );
        }
    }
}
