//! Removing metadata from a GIF by walking its blocks; frames are copied untouched.

use super::ImagingError;

const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;
const GRAPHIC_CONTROL: u8 = 0xF9;
const APPLICATION: u8 = 0xFF;
/// Application extensions that change how the image plays or looks: looping, and an ICC profile.
const KEPT_APPLICATIONS: [&[u8; 11]; 3] = [b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"];

/// Keeps the header, palettes, frames, graphic controls and the looping extension. Comments, plain-text
/// extensions (no browser renders them) and other application extensions (XMP among them) are dropped.
/// A file cut short ends after its last complete block, with a trailer: what a browser would show.
pub(crate) fn strip_gif(bytes: &[u8]) -> Result<Vec<u8>, ImagingError> {
    if bytes.len() < 13 || !(bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        return Err(ImagingError::corrupt("gif header missing"));
    }
    let global_palette = palette_len(bytes[10]);
    let header_end = 13 + global_palette;
    let header = bytes
        .get(..header_end)
        .ok_or_else(|| ImagingError::corrupt("gif ends inside its global palette"))?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(header);

    let mut pos = header_end;
    while let Some(&introducer) = bytes.get(pos) {
        let block_end = match introducer {
            IMAGE => image_block_end(bytes, pos),
            EXTENSION => bytes
                .get(pos + 1)
                .and_then(|_| sub_blocks_end(bytes, pos + 2)),
            // The trailer, or junk after the last frame that decoders stop at too.
            _ => break,
        };
        let Some(block_end) = block_end else { break };
        if introducer == IMAGE || keeps_extension(&bytes[pos..block_end]) {
            out.extend_from_slice(&bytes[pos..block_end]);
        }
        pos = block_end;
    }
    out.push(TRAILER);
    Ok(out)
}

/// Size in bytes of a colour table announced by a packed flags byte.
fn palette_len(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

/// The end of an image block: descriptor, optional local palette, LZW code size, data sub-blocks.
fn image_block_end(bytes: &[u8], pos: usize) -> Option<usize> {
    let flags = *bytes.get(pos + 9)?;
    let code_size_at = pos + 10 + palette_len(flags);
    bytes.get(code_size_at)?;
    sub_blocks_end(bytes, code_size_at + 1)
}

/// The position after a chain of length-prefixed sub-blocks and its zero terminator.
fn sub_blocks_end(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let length = usize::from(*bytes.get(pos)?);
        pos += 1;
        if length == 0 {
            return Some(pos);
        }
        pos += length;
        if pos > bytes.len() {
            return None;
        }
    }
}

fn keeps_extension(block: &[u8]) -> bool {
    match block.get(1) {
        Some(&GRAPHIC_CONTROL) => true,
        // The application identifier is the first sub-block: 11 bytes, right after the label.
        Some(&APPLICATION) => block
            .get(2..14)
            .is_some_and(|id| id[0] == 11 && KEPT_APPLICATIONS.iter().any(|k| &id[1..] == *k)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame, RgbaImage};

    fn animated_gif() -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new(&mut out);
            encoder.set_repeat(Repeat::Infinite).unwrap();
            for shade in [0u8, 128, 255] {
                let frame = RgbaImage::from_pixel(8, 6, image::Rgba([shade, 0, 0, 255]));
                encoder
                    .encode_frame(Frame::from_parts(
                        frame,
                        0,
                        0,
                        Delay::from_numer_denom_ms(100, 1),
                    ))
                    .unwrap();
            }
        }
        out
    }

    /// Inserts a comment and an XMP application extension before the first frame's graphic control.
    fn with_metadata(gif: &[u8]) -> Vec<u8> {
        let header_end = 13 + palette_len(gif[10]);
        let mut out = gif[..header_end].to_vec();
        out.extend_from_slice(&[EXTENSION, 0xFE, 9]);
        out.extend_from_slice(b"Jane Doe!");
        out.push(0);
        out.extend_from_slice(&[EXTENSION, APPLICATION, 11]);
        out.extend_from_slice(b"XMP DataXMP");
        out.extend_from_slice(&[12]);
        out.extend_from_slice(b"secret place");
        out.push(0);
        out.extend_from_slice(&gif[header_end..]);
        out
    }

    fn frame_count(gif: &[u8]) -> usize {
        use image::AnimationDecoder;
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif))
            .unwrap()
            .into_frames()
            .count()
    }

    #[test]
    fn drops_comments_and_xmp_but_keeps_the_animation() {
        let clean = animated_gif();
        let dirty = with_metadata(&clean);
        let stripped = strip_gif(&dirty).unwrap();
        assert!(!stripped.windows(8).any(|w| w == b"Jane Doe"));
        assert!(!stripped.windows(6).any(|w| w == b"secret"));
        assert!(
            stripped.windows(11).any(|w| w == b"NETSCAPE2.0"),
            "loop kept"
        );
        assert_eq!(frame_count(&stripped), 3);
        assert_eq!(
            stripped, clean,
            "exactly the original without the additions"
        );
    }

    #[test]
    fn truncated_files_end_after_the_last_complete_block() {
        let gif = animated_gif();
        let header_end = 13 + palette_len(gif[10]);
        for cut in header_end..gif.len() {
            let stripped = strip_gif(&gif[..cut]).unwrap();
            assert_eq!(stripped.last(), Some(&TRAILER));
            assert!(stripped.len() <= cut + 1);
        }
        assert!(strip_gif(b"GIF89a").is_err());
        assert!(strip_gif(b"").is_err());
    }
}
