//! Which formats the worker makes variants in, and when: with the upload job, before the image is
//! `ready`, or by a job of their own after it.

use crate::domain::OutputFormat;

/// The variant formats, split by when they are made. AVIF goes after `ready`: its encoder costs several
/// times JPEG and WebP together (docs/pipeline.md), and a client that asks for AVIF before it exists is
/// served the next format it accepts, so nobody waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFormats {
    /// Encoded by the upload job, which then marks the image `ready`.
    pub with_upload: Vec<OutputFormat>,
    /// Each encoded by an `EncodeVariants` job published once the image is `ready`.
    pub after_ready: Vec<OutputFormat>,
}

impl VariantFormats {
    /// Splits `formats` (duplicates ignored). JPEG is required: it is what every client can be served,
    /// the last resort of content negotiation. PNG is not a variant format.
    pub fn new(formats: &[OutputFormat]) -> Result<Self, String> {
        let mut split = Self {
            with_upload: Vec::new(),
            after_ready: Vec::new(),
        };
        for &format in formats {
            let side = match format {
                OutputFormat::Jpeg | OutputFormat::Webp => &mut split.with_upload,
                OutputFormat::Avif => &mut split.after_ready,
                OutputFormat::Png => return Err("png is not a variant format".into()),
            };
            if !side.contains(&format) {
                side.push(format);
            }
        }
        if !split.with_upload.contains(&OutputFormat::Jpeg) {
            return Err("jpeg is required: every client must be able to get a variant".into());
        }
        Ok(split)
    }
}

impl Default for VariantFormats {
    /// JPEG and WebP with the upload, AVIF after it is ready.
    fn default() -> Self {
        Self {
            with_upload: vec![OutputFormat::Jpeg, OutputFormat::Webp],
            after_ready: vec![OutputFormat::Avif],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OutputFormat::{Avif, Jpeg, Png, Webp};

    #[test]
    fn avif_waits_for_ready_and_jpeg_is_required() {
        assert_eq!(
            VariantFormats::new(&[Avif, Jpeg, Webp, Jpeg]).unwrap(),
            VariantFormats::default()
        );
        let plain = VariantFormats::new(&[Jpeg]).unwrap();
        assert_eq!((plain.with_upload, plain.after_ready), (vec![Jpeg], vec![]));
        assert!(VariantFormats::new(&[Webp, Avif]).is_err());
        assert!(VariantFormats::new(&[Jpeg, Png]).is_err());
    }
}
