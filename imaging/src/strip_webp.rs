//! Removing metadata from a WebP by rewriting its RIFF container; the bitstreams are copied untouched.

use super::exif::{orientation_of, orientation_only_tiff};
use super::ImagingError;

/// Chunks that make up the picture or its colour; EXIF, XMP and unknown chunks are dropped.
const KEPT: [&[u8; 4]; 7] = [
    b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L",
];
/// VP8X flag bits (first payload byte).
const FLAG_EXIF: u8 = 0x08;
const FLAG_XMP: u8 = 0x04;

/// Copies the kept chunks, keeps a non-upright orientation as a minimal EXIF chunk (extended format
/// only: the simple format has nowhere to flag it), fixes the VP8X flags and the RIFF size.
pub(crate) fn strip_webp(bytes: &[u8]) -> Result<Vec<u8>, ImagingError> {
    if bytes.len() < 12 || !bytes.starts_with(b"RIFF") || &bytes[8..12] != b"WEBP" {
        return Err(ImagingError::corrupt("not a riff webp container"));
    }
    let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    // Anything past the RIFF's declared end is not part of the image.
    let riff_end = usize::try_from(declared)
        .ok()
        .and_then(|size| size.checked_add(8))
        .map_or(bytes.len(), |end| end.min(bytes.len()));
    let mut rest = &bytes[12..riff_end];

    let mut out = Vec::with_capacity(riff_end);
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut vp8x_flags_at: Option<usize> = None;
    let mut orientation: Option<u8> = None;

    while rest.len() >= 8 {
        let (fourcc, payload, chunk, after) = next_chunk(rest)?;
        rest = after;
        if fourcc == b"VP8X" {
            vp8x_flags_at = Some(out.len() + 8);
        }
        if KEPT.contains(&fourcc) {
            out.extend_from_slice(chunk);
        } else if fourcc == b"EXIF" && orientation.is_none() {
            orientation = Some(orientation_of(payload));
        }
    }

    let keep_exif = match (orientation, vp8x_flags_at) {
        (Some(o), Some(_)) if o != 1 => {
            push_chunk(&mut out, b"EXIF", &orientation_only_tiff(o));
            true
        }
        _ => false,
    };
    if let Some(flags) = vp8x_flags_at.and_then(|at| out.get_mut(at)) {
        *flags &= !(FLAG_EXIF | FLAG_XMP);
        if keep_exif {
            *flags |= FLAG_EXIF;
        }
    }
    let riff_size = u32::try_from(out.len() - 8)
        .map_err(|_| ImagingError::corrupt("webp larger than riff allows"))?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Ok(out)
}

/// Splits off one chunk: its FourCC, its payload, the whole chunk including padding, and what follows.
#[allow(clippy::type_complexity)]
fn next_chunk(bytes: &[u8]) -> Result<(&[u8; 4], &[u8], &[u8], &[u8]), ImagingError> {
    let truncated = || ImagingError::corrupt("webp ends inside a chunk");
    let fourcc: &[u8; 4] = bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(truncated)?;
    let size = bytes
        .get(4..8)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(truncated)?;
    let size = usize::try_from(size).map_err(|_| truncated())?;
    let payload_end = size.checked_add(8).ok_or_else(truncated)?;
    let payload = bytes.get(8..payload_end).ok_or_else(truncated)?;
    // Odd-sized payloads are followed by one padding byte; tolerate its absence at the very end.
    let chunk_end = (payload_end + (size & 1)).min(bytes.len());
    Ok((fourcc, payload, &bytes[..chunk_end], &bytes[chunk_end..]))
}

fn push_chunk(out: &mut Vec<u8>, fourcc: &[u8; 4], payload: &[u8]) {
    // Only ever called with the 26-byte orientation block.
    let size = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OutputFormat;
    use crate::encode::encode;
    use crate::pixels::Pixels;
    use crate::testdata;

    fn riff_chunk(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        push_chunk(&mut out, fourcc, payload);
        out
    }

    /// An extended-format WebP around a real lossy bitstream, with EXIF (GPS pointer) and XMP chunks.
    fn extended_webp(exif: &[u8]) -> Vec<u8> {
        let simple = encode(
            &Pixels::Opaque(testdata::gradient(30, 20)),
            OutputFormat::Webp,
        )
        .unwrap()
        .unwrap();
        let (width, height) = (30u32 - 1, 20u32 - 1);
        let mut vp8x = vec![FLAG_EXIF | FLAG_XMP, 0, 0, 0];
        vp8x.extend_from_slice(&width.to_le_bytes()[..3]);
        vp8x.extend_from_slice(&height.to_le_bytes()[..3]);
        let mut body = b"WEBP".to_vec();
        body.extend(riff_chunk(b"VP8X", &vp8x));
        body.extend_from_slice(&simple[12..]);
        body.extend(riff_chunk(b"EXIF", exif));
        body.extend(riff_chunk(b"XMP ", b"<x:xmpmeta>secret place</x:xmpmeta>"));
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    fn gps_exif(orientation: u16) -> Vec<u8> {
        let mut exif = b"MM\0*\0\0\0\x08\0\x02".to_vec();
        exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
        exif.extend_from_slice(&orientation.to_be_bytes());
        exif.extend_from_slice(&[0, 0]);
        exif.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38, 0, 0, 0, 0]);
        exif
    }

    #[test]
    fn drops_exif_and_xmp_and_clears_their_flags() {
        let original = extended_webp(&gps_exif(1));
        assert!(
            image::load_from_memory(&original).is_ok(),
            "fixture decodes"
        );
        let stripped = strip_webp(&original).unwrap();
        assert!(!testdata::contains_ifd_pointer(&stripped, 0x8825));
        assert!(!stripped.windows(6).any(|w| w == b"secret"));
        assert_eq!(stripped[20] & (FLAG_EXIF | FLAG_XMP), 0, "vp8x flags");
        let declared = u32::from_le_bytes(stripped[4..8].try_into().unwrap()) as usize;
        assert_eq!(declared + 8, stripped.len());
        let before = image::load_from_memory(&original).unwrap().to_rgb8();
        let after = image::load_from_memory(&stripped).unwrap().to_rgb8();
        assert_eq!(before, after);
    }

    #[test]
    fn rotated_images_keep_only_their_orientation() {
        let stripped = strip_webp(&extended_webp(&gps_exif(8))).unwrap();
        assert!(!testdata::contains_ifd_pointer(&stripped, 0x8825));
        assert_eq!(stripped[20] & FLAG_EXIF, FLAG_EXIF);
        use image::ImageDecoder;
        let mut decoder =
            image::codecs::webp::WebPDecoder::new(std::io::Cursor::new(&stripped)).unwrap();
        assert_eq!(
            decoder.orientation().unwrap(),
            image::metadata::Orientation::Rotate270
        );
    }

    #[test]
    fn simple_webp_passes_through() {
        let simple = encode(
            &Pixels::Opaque(testdata::gradient(16, 16)),
            OutputFormat::Webp,
        )
        .unwrap()
        .unwrap();
        assert_eq!(strip_webp(&simple).unwrap(), simple);
    }

    #[test]
    fn hostile_bytes_give_errors_not_panics() {
        assert!(strip_webp(b"").is_err());
        assert!(strip_webp(b"RIFF\xff\xff\xff\xffWEBPVP8 \xff\xff\xff\xff").is_err());
        let good = extended_webp(&gps_exif(3));
        for cut in 0..good.len() {
            let _ = strip_webp(&good[..cut]);
        }
    }
}
