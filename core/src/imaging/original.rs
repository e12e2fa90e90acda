//! The format a public original is stored and served in.

use crate::domain::ImageFormat;

/// The format the public original of a `format` upload is stored and served in: the upload's own, except
/// HEIC and AVIF, which are rebuilt from their pixels as JPEG. Their metadata (EXIF and XMP items with
/// GPS) hangs off the same `meta` box as the image structure, so removing it means rewriting `iinf`,
/// `iloc` and `iref` of a hostile file; a JPEG holds only the pixels, and every browser shows it (few
/// show HEIC). Storage keys and the served content type both follow from this.
pub fn public_original_format(format: ImageFormat) -> ImageFormat {
    match format {
        ImageFormat::Heic | ImageFormat::Avif => ImageFormat::Jpeg,
        other => other,
    }
}
