//! The `image` crate's errors in the pipeline's terms.

use darkroom_core::imaging::ImagingError;

/// Translates an error the `image` crate raised while reading a header or decoding pixels.
///
/// Our own limit checks run before the decoder's, so a decoder limit error here means the header
/// passed but the decoder still wanted more memory than allowed.
pub(crate) fn from_decode(error: image::ImageError) -> ImagingError {
    use image::ImageError as E;
    match error {
        E::Limits(e) => ImagingError::DecodeLimitExceeded(e.to_string()),
        E::Unsupported(e) => ImagingError::UnsupportedFeature(e.to_string()),
        // Reading from an in-memory cursor fails only when the data ends early.
        E::IoError(e) => ImagingError::Corrupt(format!("truncated or unreadable data: {e}")),
        E::Decoding(e) => ImagingError::Corrupt(e.to_string()),
        E::Parameter(e) => ImagingError::Corrupt(e.to_string()),
        E::Encoding(e) => ImagingError::Corrupt(e.to_string()),
    }
}
