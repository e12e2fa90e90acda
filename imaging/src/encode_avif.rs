//! AVIF through ravif (rav1e, pure Rust; `native-codecs` adds rav1e's assembly). Made for the upload
//! variants by a job of its own after the image is ready (AV1 costs several times a WebP encode), and by
//! `darkroom thumbnail --format avif`.

use ravif::{AlphaColorMode, BitDepth, ColorModel, Encoder, Img, RGB8, RGBA8};

use super::pixels::Pixels;
use super::ImagingError;

/// ravif's 1-100 scale. At 82 the 12 Mpx phone photo's variants have the PSNR of the WebP ones (q80) and
/// within 0.6 dB of the JPEG ones (q82) at about 55% of the JPEG bytes and 85% of the WebP bytes; AV1
/// smooths fine texture, so their luma SSIM is a little lower (0.962 against JPEG's 0.975). 85 would match
/// the SSIM but costs more bytes than WebP. Figures: docs/pipeline.md.
pub(crate) const AVIF_QUALITY: u8 = 82;

/// rav1e's speed preset (1 slow .. 10 fast). On the phone photo's variants 9 is 3.2x faster than 8 for
/// about 5% more bytes; 10 is another 1.3x faster but 10% larger (ravif turns on `tx_domain_rate`).
pub(crate) const AVIF_SPEED: u8 = 9;

/// Lossy AVIF, 8-bit 4:4:4 YCbCr (BT.601, full range, sRGB), no metadata. A translucent image gets an
/// alpha auxiliary image, encoded at the same quality; its fully transparent pixels' colour is evened
/// out first (ravif's `UnassociatedClean`), as nobody can see it and it compresses better flat.
///
/// One thread per encode: the pipeline already runs one encode per core (`encode_all`), and the worker
/// one job per core, so rav1e's own tile threads would only fight them for the same cores.
pub(crate) fn encode_avif(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, ImagingError> {
    let quality = f32::from(quality.clamp(1, 100));
    let encoder = Encoder::new()
        .with_quality(quality)
        .with_alpha_quality(quality)
        .with_speed(AVIF_SPEED)
        .with_bit_depth(BitDepth::Eight)
        .with_internal_color_model(ColorModel::YCbCr)
        .with_alpha_color_mode(AlphaColorMode::UnassociatedClean)
        .with_num_threads(Some(1));
    let (width, height) = pixels.dimensions();
    let (width, height) = (width as usize, height as usize);
    // ravif takes pixel structs; copying into them costs a few milliseconds against the encode's
    // hundreds, and keeps this free of unsafe casts.
    let encoded = match pixels {
        Pixels::Opaque(image) => {
            let rgb: Vec<RGB8> = image
                .as_raw()
                .chunks_exact(3)
                .map(|p| RGB8::new(p[0], p[1], p[2]))
                .collect();
            encoder.encode_rgb(Img::new(rgb.as_slice(), width, height))
        }
        Pixels::Translucent(image) => {
            let rgba: Vec<RGBA8> = image
                .as_raw()
                .chunks_exact(4)
                .map(|p| RGBA8::new(p[0], p[1], p[2], p[3]))
                .collect();
            encoder.encode_rgba(Img::new(rgba.as_slice(), width, height))
        }
    };
    encoded
        .map(|image| image.avif_file)
        .map_err(|e| ImagingError::encode_failed("avif", e))
}
