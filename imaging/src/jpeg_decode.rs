//! JPEG decoding with shrink-on-load: the inverse DCT computes only the 1/2, 1/4 or 1/8 scale image.
//!
//! With the `native-codecs` feature this is libjpeg-turbo (SIMD IDCT and colour conversion); without it,
//! jpeg-decoder, which scales the same way in pure Rust at roughly half the speed. Both give 8-bit RGB;
//! the caller has already checked the header against the limits and the memory budget.

use image::RgbImage;

use super::jpeg_info::JpegInfo;
use super::jpeg_strips::{split, Strip};
use super::pixels::Pixels;
use super::ImagingError;

/// A progressive JPEG may declare any number of scans, each a pass over the whole coefficient image;
/// real encoders write about ten. Far more is a known denial-of-service pattern: refused from the
/// container (see `decode::probe`), and libjpeg-turbo is told too.
pub(crate) const MAX_SCANS: u32 = 500;

/// Decodes at 1/`denominator` scale (1, 2, 4 or 8) to RGB, on up to `threads` cores when the file can be
/// split at restart markers (see `jpeg_strips`).
pub(crate) fn decode_jpeg(
    bytes: &[u8],
    info: &JpegInfo,
    denominator: u32,
    threads: usize,
) -> Result<Pixels, ImagingError> {
    if let Some(strips) = split(bytes, info, threads) {
        match decode_strips(&strips, info, denominator) {
            Ok(image) => return Ok(Pixels::Opaque(image)),
            // The whole file may still decode (or fail with the decoder's own words).
            Err(error) => tracing::debug!(%error, "jpeg strips failed, decoding in one piece"),
        }
    }
    let image = backend::decode(bytes, info, denominator)?;
    Ok(Pixels::Opaque(image))
}

/// Decodes every strip on its own thread straight into its rows of one buffer, so the strips never exist
/// beside the stacked image (with libjpeg-turbo; the pure-Rust decoder hands back its own buffer, which is
/// copied in).
pub(crate) fn decode_strips(
    strips: &[Strip],
    info: &JpegInfo,
    denominator: u32,
) -> Result<RgbImage, ImagingError> {
    // Both decoders scale a side to ceil(side / denominator); every strip but the last is a whole number of
    // MCU rows (8 or 16 pixels), which 1, 2, 4 and 8 divide, so the strips' rows add up to the image's.
    let width = info.width.div_ceil(denominator);
    let row = width as usize * 3;
    let heights: Vec<u32> = strips
        .iter()
        .map(|s| s.height.div_ceil(denominator))
        .collect();
    let height: u32 = heights.iter().sum();
    let mut raw = vec![0u8; row * height as usize];
    let mut chunks = Vec::with_capacity(strips.len());
    let mut rest = raw.as_mut_slice();
    for h in &heights {
        let (chunk, tail) = rest.split_at_mut(row * *h as usize);
        chunks.push(chunk);
        rest = tail;
    }
    let decode = |strip: &Strip, out: &mut [u8]| {
        let strip_info = JpegInfo {
            height: strip.height,
            ..info.clone()
        };
        backend::decode_into(&strip.jpeg, &strip_info, denominator, out)
    };
    let results: Vec<Result<(), ImagingError>> = std::thread::scope(|scope| {
        let mut jobs: Vec<_> = strips.iter().zip(chunks).collect();
        let mine = jobs.pop();
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(strip, out)| scope.spawn(move || decode(strip, out)))
            .collect();
        let mut results: Vec<_> = mine
            .map(|(strip, out)| decode(strip, out))
            .into_iter()
            .collect();
        results.extend(handles.into_iter().map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(ImagingError::corrupt("a strip decoder panicked")))
        }));
        results
    });
    for result in results {
        result?;
    }
    RgbImage::from_raw(width, height, raw)
        .ok_or_else(|| ImagingError::corrupt("jpeg strips do not add up"))
}

#[cfg(feature = "native-codecs")]
mod backend {
    use super::*;
    use turbojpeg::{Decompressor, Image, PixelFormat, ScalingFactor};

    /// Decodes into `out`, which must be exactly the scaled image's size (RGB rows, no padding).
    pub(super) fn decode_into(
        bytes: &[u8],
        _info: &JpegInfo,
        denominator: u32,
        out: &mut [u8],
    ) -> Result<(), ImagingError> {
        let failed = |e: turbojpeg::Error| ImagingError::corrupt(e.to_string());
        let (mut decompressor, factor) = decompressor(denominator)?;
        let header = decompressor
            .read_header(bytes)
            .map_err(failed)?
            .scaled(factor);
        let (width, height) = (header.width, header.height);
        if width * height * 3 != out.len() {
            return Err(ImagingError::corrupt(
                "jpeg strip decodes to another size than its place",
            ));
        }
        decompressor
            .decompress(
                bytes,
                Image {
                    pixels: out,
                    width,
                    pitch: width * 3,
                    height,
                    format: PixelFormat::RGB,
                },
            )
            .map_err(failed)
    }

    fn decompressor(denominator: u32) -> Result<(Decompressor, ScalingFactor), ImagingError> {
        let failed = |e: turbojpeg::Error| ImagingError::corrupt(e.to_string());
        let mut decompressor = Decompressor::new().map_err(failed)?;
        let factor = ScalingFactor::new(1, denominator as usize);
        decompressor.set_scaling_factor(factor).map_err(failed)?;
        decompressor.set_scan_limit(MAX_SCANS).map_err(failed)?;
        Ok((decompressor, factor))
    }

    pub(super) fn decode(
        bytes: &[u8],
        info: &JpegInfo,
        denominator: u32,
    ) -> Result<RgbImage, ImagingError> {
        let failed = |e: turbojpeg::Error| ImagingError::corrupt(e.to_string());
        let (mut decompressor, factor) = decompressor(denominator)?;
        let header = decompressor
            .read_header(bytes)
            .map_err(failed)?
            .scaled(factor);
        let mut pixels = vec![0u8; header.width * header.height * 3];
        decode_into(bytes, info, denominator, &mut pixels)?;
        let (w, h) = (
            u32::try_from(header.width).map_err(|_| ImagingError::corrupt("width overflows"))?,
            u32::try_from(header.height).map_err(|_| ImagingError::corrupt("height overflows"))?,
        );
        RgbImage::from_raw(w, h, pixels)
            .ok_or_else(|| ImagingError::corrupt("decoded buffer has the wrong size"))
    }
}

#[cfg(not(feature = "native-codecs"))]
mod backend {
    use super::*;
    use jpeg_decoder::{Decoder, PixelFormat};

    /// Decodes into `out`, which must be exactly the scaled image's size. jpeg-decoder cannot write into a
    /// caller's buffer, so this decodes and copies.
    pub(super) fn decode_into(
        bytes: &[u8],
        info: &JpegInfo,
        denominator: u32,
        out: &mut [u8],
    ) -> Result<(), ImagingError> {
        let image = decode(bytes, info, denominator)?;
        if image.as_raw().len() != out.len() {
            return Err(ImagingError::corrupt(
                "jpeg strip decodes to another size than its place",
            ));
        }
        out.copy_from_slice(image.as_raw());
        Ok(())
    }

    pub(super) fn decode(
        bytes: &[u8],
        info: &JpegInfo,
        denominator: u32,
    ) -> Result<RgbImage, ImagingError> {
        let failed = |e: jpeg_decoder::Error| ImagingError::corrupt(e.to_string());
        let mut decoder = Decoder::new(bytes);
        decoder.read_info().map_err(failed)?;
        // jpeg-decoder picks the smallest scale that still covers the requested size.
        let request = |side: u32| u16::try_from(side.div_ceil(denominator)).unwrap_or(u16::MAX);
        let (width, height) = decoder
            .scale(request(info.width), request(info.height))
            .map_err(failed)?;
        let (width, height) = (u32::from(width), u32::from(height));
        let raw = decoder.decode().map_err(failed)?;
        let format = decoder
            .info()
            .map(|i| i.pixel_format)
            .ok_or_else(|| ImagingError::corrupt("jpeg decoded without a frame"))?;
        let rgb = match format {
            PixelFormat::RGB24 => raw,
            PixelFormat::L8 => raw.iter().flat_map(|&l| [l, l, l]).collect(),
            other => {
                return Err(ImagingError::UnsupportedFeature(format!(
                    "jpeg pixel format {other:?}"
                )))
            }
        };
        RgbImage::from_raw(width, height, rgb)
            .ok_or_else(|| ImagingError::corrupt("decoded buffer has the wrong size"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_info::jpeg_info;
    use crate::testdata;

    #[test]
    fn shrinks_while_decoding() {
        let bytes = testdata::read("photos/iphone_4032x3024.jpg");
        let info = jpeg_info(&bytes).unwrap();
        for (denominator, size) in [(1, (4032, 3024)), (4, (1008, 756)), (8, (504, 378))] {
            let pixels = decode_jpeg(&bytes, &info, denominator, 1).unwrap();
            assert_eq!(pixels.dimensions(), size, "1/{denominator}");
        }
    }

    #[test]
    fn a_shrunk_decode_looks_like_a_resized_full_one() {
        let bytes = testdata::read("photos/landscape_1.jpg");
        let info = jpeg_info(&bytes).unwrap();
        let Pixels::Opaque(small) = decode_jpeg(&bytes, &info, 4, 1).unwrap() else {
            panic!("jpeg is opaque")
        };
        let full = image::load_from_memory(&bytes).unwrap().to_rgb8();
        let reference = image::imageops::resize(
            &full,
            small.width(),
            small.height(),
            image::imageops::FilterType::Triangle,
        );
        let mean = small
            .as_raw()
            .iter()
            .zip(reference.as_raw())
            .map(|(a, b)| f64::from(a.abs_diff(*b)))
            .sum::<f64>()
            / small.as_raw().len() as f64;
        // A different filter, not a different picture: a wrong scale or shift costs 20 or more.
        assert!(mean < 7.0, "mean difference {mean:.2}");
    }

    #[test]
    fn greyscale_comes_out_as_rgb() {
        let grey = image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(64, 48, |x, _| {
            image::Luma([(x * 4) as u8])
        }));
        let bytes = testdata::encode(&grey, image::ImageFormat::Jpeg);
        let info = jpeg_info(&bytes).unwrap();
        assert_eq!(info.components.len(), 1);
        let Pixels::Opaque(rgb) = decode_jpeg(&bytes, &info, 2, 1).unwrap() else {
            panic!("jpeg is opaque")
        };
        assert_eq!(rgb.dimensions(), (32, 24));
        let [r, g, b] = rgb.get_pixel(20, 10).0;
        assert!(r == g && g == b);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let bytes = testdata::read("photos/Canon_40D.jpg");
        let info = jpeg_info(&bytes).unwrap();
        for cut in [100, bytes.len() / 2, bytes.len() - 10] {
            let _ = decode_jpeg(&bytes[..cut], &info, 2, 2);
        }
    }
}
