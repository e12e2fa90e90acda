//! What a container declares, checked before any decoder runs: the frame count of an animated GIF or WebP,
//! and the size of a PNG's compressed ICC profile.
//!
//! Variants are made from the first frame only, but the public original keeps the animation, and every
//! client that plays it decodes every frame: a 10 000-frame GIF is refused before anything else is done.
//! A PNG decoder inflates the whole ICC profile while reading the header, up to its allocation cap; a
//! small profile chunk that inflates a thousandfold is a zlib bomb in a place nothing looks at.

use super::{ImagingError, Limits};
use crate::domain::ImageFormat;

/// Compressed ICC profiles above this are refused: real ones are a few kilobytes, and deflate inflates up
/// to about 1032x, so this bounds the profile to some 33 MB.
pub(crate) const MAX_PNG_ICCP: usize = 32 * 1024;

/// Refuses an animation with more than `limits.max_frames` frames and a PNG whose ICC profile chunk is
/// larger than [`MAX_PNG_ICCP`]. Damaged containers are read as far as they go: the decoder reports the
/// damage itself.
pub(crate) fn check_containers(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<(), ImagingError> {
    let frames = match format {
        ImageFormat::Gif => gif_frames(bytes),
        ImageFormat::Webp => webp_frames(bytes),
        ImageFormat::Png => {
            let iccp = png_iccp_len(bytes);
            if iccp > MAX_PNG_ICCP {
                return Err(ImagingError::DecodeLimitExceeded(format!(
                    "png icc profile chunk of {iccp} bytes, more than the {MAX_PNG_ICCP} allowed"
                )));
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    if frames > u64::from(limits.max_frames) {
        return Err(ImagingError::TooManyFrames {
            frames,
            max: limits.max_frames,
        });
    }
    Ok(())
}

/// The length of a PNG's iCCP chunk (0 without one), walking the chunks before the image data.
fn png_iccp_len(bytes: &[u8]) -> usize {
    let mut pos = 8;
    while let Some(header) = bytes.get(pos..pos + 8) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        match &header[4..8] {
            b"iCCP" => return len,
            b"IDAT" | b"IEND" => return 0,
            _ => pos = pos.saturating_add(12).saturating_add(len),
        }
    }
    0
}

/// Image descriptors (0x2C) in a GIF, walking the block structure.
pub(crate) fn gif_frames(bytes: &[u8]) -> u64 {
    // Header (6) and logical screen descriptor (7), then the global colour table if flagged.
    let Some(&packed) = bytes.get(10) else {
        return 0;
    };
    let mut pos = 13 + colour_table_len(packed);
    let mut frames = 0;
    while let Some(&introducer) = bytes.get(pos) {
        match introducer {
            0x21 => pos = skip_sub_blocks(bytes, pos + 2),
            0x2C => {
                frames += 1;
                let Some(&packed) = bytes.get(pos + 9) else {
                    break;
                };
                // Descriptor (10), local colour table, LZW minimum code size (1), then the data.
                pos = skip_sub_blocks(bytes, pos + 10 + colour_table_len(packed) + 1);
            }
            _ => break, // the trailer (0x3B), or damage
        }
    }
    frames
}

fn colour_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 0x07) + 1)
    }
}

/// Position after a run of data sub-blocks (length byte, data) ended by a zero length.
fn skip_sub_blocks(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(&len) = bytes.get(pos) {
        pos += 1 + usize::from(len);
        if len == 0 {
            return pos;
        }
    }
    usize::MAX
}

/// ANMF chunks in a WebP (1 for a still image).
pub(crate) fn webp_frames(bytes: &[u8]) -> u64 {
    let mut pos = 12;
    let mut frames = 0;
    while let Some(header) = bytes.get(pos..pos + 8) {
        if &header[..4] == b"ANMF" {
            frames += 1;
        }
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        pos = pos
            .saturating_add(8)
            .saturating_add(size)
            .saturating_add(size & 1);
    }
    frames.max(1)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testdata;

    /// A GIF of `frames` 1x1 frames, built by hand: the encoder would take seconds for 10 000 of them.
    pub(crate) fn animated_gif(frames: usize) -> Vec<u8> {
        // 1x1 screen with a two-colour global table.
        let mut out = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
        for _ in 0..frames {
            // Descriptor at 0,0 size 1x1, no local table; LZW size 2: clear, index 0, end.
            out.extend_from_slice(b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0");
        }
        out.push(0x3B);
        out
    }

    #[test]
    fn counts_gif_frames() {
        assert_eq!(gif_frames(&animated_gif(1)), 1);
        assert_eq!(gif_frames(&animated_gif(37)), 37);
        assert_eq!(gif_frames(b"GIF89a"), 0);
    }

    #[test]
    fn ten_thousand_frames_are_refused_before_decoding() {
        let gif = animated_gif(10_000);
        let err = check_containers(&gif, ImageFormat::Gif, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "too_many_frames", "{err}");
        let err = crate::read_header(&gif, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "too_many_frames");
        let few = Limits {
            max_frames: 36,
            ..Limits::default()
        };
        assert!(check_containers(&animated_gif(36), ImageFormat::Gif, &few).is_ok());
        assert!(check_containers(&animated_gif(37), ImageFormat::Gif, &few).is_err());
    }

    #[test]
    fn counts_webp_animation_frames() {
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
        webp.extend_from_slice(&10u32.to_le_bytes());
        webp.extend_from_slice(&[0; 10]);
        for _ in 0..3 {
            webp.extend_from_slice(b"ANMF");
            webp.extend_from_slice(&5u32.to_le_bytes());
            webp.extend_from_slice(&[0; 6]); // 5 bytes and a pad byte
        }
        assert_eq!(webp_frames(&webp), 3);
        let still = testdata::encode(
            &image::DynamicImage::ImageRgb8(testdata::gradient(8, 8)),
            image::ImageFormat::WebP,
        );
        assert_eq!(webp_frames(&still), 1);
    }
}
