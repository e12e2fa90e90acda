//! JPEG encoding: libjpeg-turbo with the `native-codecs` feature, the pure-Rust jpeg-encoder without.
//!
//! Both write baseline 4:2:0 (what sharp and libvips write by default, so sizes compare like for like),
//! libjpeg-turbo with optimised Huffman tables as sharp does, and a JFIF header only: nothing of the
//! source's metadata.

use image::RgbImage;

use super::ImagingError;

pub(crate) fn encode_jpeg(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, ImagingError> {
    backend::encode(rgb, quality.clamp(1, 100))
}

#[cfg(feature = "native-codecs")]
mod backend {
    use super::*;
    use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

    pub(super) fn encode(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, ImagingError> {
        let failed = |e: turbojpeg::Error| ImagingError::encode_failed("jpeg", e);
        let mut compressor = Compressor::new().map_err(failed)?;
        compressor.set_quality(i32::from(quality)).map_err(failed)?;
        compressor.set_subsamp(Subsamp::Sub2x2).map_err(failed)?;
        compressor.set_optimize(true).map_err(failed)?;
        let (width, height) = (rgb.width() as usize, rgb.height() as usize);
        compressor
            .compress_to_vec(Image {
                pixels: rgb.as_raw().as_slice(),
                width,
                pitch: width * 3,
                height,
                format: PixelFormat::RGB,
            })
            .map_err(failed)
    }
}

#[cfg(not(feature = "native-codecs"))]
mod backend {
    use super::*;
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

    pub(super) fn encode(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, ImagingError> {
        let failed = |e: jpeg_encoder::EncodingError| ImagingError::encode_failed("jpeg", e);
        let width = u16::try_from(rgb.width())
            .map_err(|_| ImagingError::encode_failed("jpeg", "wider than 65535"))?;
        let height = u16::try_from(rgb.height())
            .map_err(|_| ImagingError::encode_failed("jpeg", "taller than 65535"))?;
        let mut out = Vec::new();
        let mut encoder = Encoder::new(&mut out, quality);
        encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
        // Not its optimised Huffman tables: for flat images they can contain a code of all one bits,
        // which the standard forbids and zune-jpeg (the `image` crate's decoder) decodes as black.
        // The standard tables cost about 1.5% in size.
        encoder
            .encode(rgb.as_raw(), width, height, ColorType::Rgb)
            .map_err(failed)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn quality_trades_bytes() {
        let photo = image::load_from_memory(&testdata::read("photos/DSCN0010.jpg"))
            .unwrap()
            .to_rgb8();
        let low = encode_jpeg(&photo, 40).unwrap();
        let high = encode_jpeg(&photo, 95).unwrap();
        assert!(
            low.len() * 2 < high.len(),
            "{} vs {}",
            low.len(),
            high.len()
        );
        let back = image::load_from_memory(&high).unwrap().to_rgb8();
        assert_eq!(back.dimensions(), photo.dimensions());
    }

    #[test]
    fn odd_sizes_and_single_pixels_encode() {
        for (w, h) in [(1, 1), (3, 7), (17, 1)] {
            let jpeg = encode_jpeg(&testdata::gradient(w, h), 80).unwrap();
            let back = image::load_from_memory(&jpeg).unwrap();
            assert_eq!((back.width(), back.height()), (w, h));
        }
    }
}
