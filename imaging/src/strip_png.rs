//! Removing metadata from a PNG (and APNG) by dropping chunks; image data is copied untouched.

use super::exif::{orientation_of, orientation_only_tiff};
use super::ImagingError;

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Chunks that decide how the image looks or animates. Anything else (tEXt, zTXt, iTXt, tIME, eXIf,
/// C2PA manifests, private chunks) may carry identity or location and is dropped.
const KEPT: [&[u8; 4]; 22] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
    b"cICP", b"mDCV", b"mDCv", b"cLLI", b"cLLi", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL",
    b"fcTL", b"fdAT",
];

/// Copies the kept chunks in order and stops at IEND. An eXIf with a non-upright orientation is replaced by
/// one holding the orientation alone, in the same place (before the image data, as the spec requires).
pub(crate) fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, ImagingError> {
    let mut rest = bytes
        .strip_prefix(SIGNATURE)
        .ok_or_else(|| ImagingError::corrupt("png signature missing"))?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    let mut seen_exif = false;

    while !rest.is_empty() {
        let (kind, data, chunk, after) = next_chunk(rest)?;
        rest = after;
        if KEPT.contains(&kind) {
            out.extend_from_slice(chunk);
        } else if kind == b"eXIf" && !seen_exif {
            seen_exif = true;
            let orientation = orientation_of(data);
            if orientation != 1 {
                push_chunk(&mut out, b"eXIf", &orientation_only_tiff(orientation));
            }
        }
        if kind == b"IEND" {
            break;
        }
    }
    Ok(out)
}

/// Splits off one chunk: its type, its data, the whole chunk (length, type, data, CRC) and what follows.
#[allow(clippy::type_complexity)]
fn next_chunk(bytes: &[u8]) -> Result<(&[u8; 4], &[u8], &[u8], &[u8]), ImagingError> {
    let truncated = || ImagingError::corrupt("png ends inside a chunk");
    let header = bytes.get(..8).ok_or_else(truncated)?;
    let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let length = usize::try_from(length).map_err(|_| truncated())?;
    let kind: &[u8; 4] = header[4..8].try_into().map_err(|_| truncated())?;
    let end = length
        .checked_add(12)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(truncated)?;
    Ok((kind, &bytes[8..8 + length], &bytes[..end], &bytes[end..]))
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Only ever called with the 26-byte orientation block.
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// CRC-32 as PNG defines it, bit by bit: it only ever covers the one small chunk we write.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in parts.iter().flat_map(|p| p.iter()) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&testdata::crc32(&[kind, data]).to_be_bytes());
        out
    }

    /// A real PNG with metadata chunks inserted after IHDR, and trailing junk after IEND.
    fn png_with(extra: &[Vec<u8>]) -> Vec<u8> {
        let png = testdata::png(&image::DynamicImage::ImageRgb8(testdata::gradient(20, 10)));
        let ihdr_end = 8 + 12 + 13;
        let mut out = png[..ihdr_end].to_vec();
        for c in extra {
            out.extend_from_slice(c);
        }
        out.extend_from_slice(&png[ihdr_end..]);
        out.extend_from_slice(b"trailing junk");
        out
    }

    fn chunk_types(png: &[u8]) -> Vec<[u8; 4]> {
        let mut rest = &png[8..];
        let mut kinds = Vec::new();
        while !rest.is_empty() {
            let (kind, _, _, after) = next_chunk(rest).unwrap();
            kinds.push(*kind);
            rest = after;
        }
        kinds
    }

    #[test]
    fn drops_text_time_and_exif_and_keeps_the_picture() {
        let mut exif = b"MM\0*\0\0\0\x08\0\x01".to_vec();
        exif.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
        let original = png_with(&[
            chunk(b"tEXt", b"Author\0Jane Doe"),
            chunk(b"zTXt", b"Comment\0\0x"),
            chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>"),
            chunk(b"tIME", &[7, 232, 1, 1, 0, 0, 0]),
            chunk(b"eXIf", &exif),
            chunk(b"prVt", b"private"),
            chunk(b"gAMA", &45455u32.to_be_bytes()),
        ]);
        let stripped = strip_png(&original).unwrap();
        let kinds = chunk_types(&stripped);
        assert_eq!(kinds.first(), Some(b"IHDR"));
        assert_eq!(kinds.last(), Some(b"IEND"));
        assert!(kinds.contains(b"gAMA"));
        for gone in [b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf", b"prVt"] {
            assert!(!kinds.contains(gone), "{}", String::from_utf8_lossy(gone));
        }
        assert!(!testdata::contains_ifd_pointer(&stripped, 0x8825));
        let before = image::load_from_memory(&original).unwrap().to_rgb8();
        let after = image::load_from_memory(&stripped).unwrap().to_rgb8();
        assert_eq!(before, after);
    }

    #[test]
    fn rotated_exif_becomes_an_orientation_only_exif() {
        let original = png_with(&[chunk(b"eXIf", &orientation_only_tiff(6))]);
        let stripped = strip_png(&original).unwrap();
        assert!(chunk_types(&stripped).contains(b"eXIf"));
        let mut decoder =
            image::codecs::png::PngDecoder::new(std::io::Cursor::new(&stripped)).unwrap();
        use image::ImageDecoder;
        assert_eq!(
            decoder.orientation().unwrap(),
            image::metadata::Orientation::Rotate90
        );
    }

    #[test]
    fn our_crc_matches_the_reference() {
        assert_eq!(crc32(&[b"IEND"]), testdata::crc32(&[b"IEND"]));
        assert_eq!(crc32(&[b"eXIf", b"abc"]), testdata::crc32(&[b"eXIfabc"]));
    }

    #[test]
    fn hostile_bytes_give_errors_not_panics() {
        assert!(strip_png(b"").is_err());
        assert!(strip_png(b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIDAT").is_err());
        let good = png_with(&[]);
        for cut in 0..good.len() {
            let _ = strip_png(&good[..cut]);
        }
    }
}
