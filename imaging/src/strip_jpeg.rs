//! Removing metadata from a JPEG without re-encoding it: segments are copied or dropped whole.

use super::exif::{orientation_of, orientation_only_tiff, EXIF_PREFIX};
use super::jpeg_markers::{entropy_coded_end, next_marker, segment_at, EOI, SOI, SOS};
use super::ImagingError;

const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
/// JFIF APP0 up to and including the thumbnail size bytes.
const JFIF_FIXED_LEN: usize = 14;

/// Keeps only what decoding and colour need: frame, tables, scans, JFIF (without its thumbnail), the ICC
/// profile and Adobe's colour-transform flag. Every other APPn (EXIF and its GPS IFD, XMP, IPTC, maker
/// notes, MPF with its appended images) and every comment goes; so does anything after EOI. A non-upright
/// orientation survives as a minimal EXIF block so viewers still turn the image the right way.
pub(crate) fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, ImagingError> {
    if !bytes.starts_with(&[0xFF, SOI]) {
        return Err(ImagingError::corrupt("jpeg does not start with SOI"));
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, SOI]);
    let mut insert_exif_at = out.len();
    let mut orientation: Option<u8> = None;
    let mut pos = 2;

    while let Some((marker, marker_end)) = next_marker(bytes, pos) {
        pos = marker_end;
        match marker {
            EOI => {
                out.extend_from_slice(&[0xFF, EOI]);
                break;
            }
            // Standalone markers: no length, nothing to strip.
            0x01 | 0xD0..=0xD7 | SOI => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }
        let (payload, segment_end) = segment_at(bytes, pos)?;
        let segment = &bytes[pos - 2..segment_end];
        match marker {
            APP0 if payload.starts_with(b"JFIF\0") && payload.len() >= JFIF_FIXED_LEN => {
                // A JFIF thumbnail is the picture before any crop: keep the header, drop the thumbnail.
                let mut jfif = payload[..JFIF_FIXED_LEN].to_vec();
                jfif[12] = 0;
                jfif[13] = 0;
                push_segment(&mut out, APP0, &jfif);
                if insert_exif_at == 2 {
                    insert_exif_at = out.len();
                }
            }
            APP1 if payload.starts_with(EXIF_PREFIX) && orientation.is_none() => {
                orientation = Some(orientation_of(payload));
            }
            APP2 if payload.starts_with(b"ICC_PROFILE\0") => out.extend_from_slice(segment),
            APP14 if payload.starts_with(b"Adobe") => out.extend_from_slice(segment),
            // Every other application segment and comments.
            0xE0..=0xEF | 0xFE => {}
            SOS => {
                out.extend_from_slice(segment);
                let data_end = entropy_coded_end(bytes, segment_end);
                out.extend_from_slice(&bytes[segment_end..data_end]);
                pos = data_end;
            }
            _ => out.extend_from_slice(segment),
        }
        if marker != SOS {
            pos = segment_end;
        }
    }

    if let Some(orientation) = orientation.filter(|&o| o != 1) {
        let mut exif = EXIF_PREFIX.to_vec();
        exif.extend_from_slice(&orientation_only_tiff(orientation));
        let mut segment = Vec::new();
        push_segment(&mut segment, APP1, &exif);
        out.splice(insert_exif_at..insert_exif_at, segment);
    }
    Ok(out)
}

fn push_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    // Callers only build small segments (JFIF header, minimal EXIF), far below the 64 KiB limit.
    let length = u16::try_from(payload.len() + 2).unwrap_or(u16::MAX);
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    const GPS_IFD_POINTER: u16 = 0x8825;

    fn app_segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
        testdata::jpeg_header_segments(jpeg)
            .into_iter()
            .filter(|(m, _)| (0xE0..=0xEF).contains(m) || *m == 0xFE)
            .collect()
    }

    #[test]
    fn gps_photos_lose_every_exif_block() {
        for name in ["DSCN0010.jpg", "DSCN0012.jpg"] {
            let original = testdata::read(&format!("photos/{name}"));
            assert!(
                testdata::contains_ifd_pointer(&original, GPS_IFD_POINTER),
                "{name} should carry a gps ifd to begin with"
            );
            let stripped = strip_jpeg(&original).unwrap();
            assert!(
                !testdata::contains_ifd_pointer(&stripped, GPS_IFD_POINTER),
                "{name}"
            );
            for (marker, payload) in app_segments(&stripped) {
                assert_ne!(marker, 0xFE, "{name}: comment kept");
                assert_ne!(marker, 0xED, "{name}: iptc kept");
                if marker == APP1 {
                    // Only ever the minimal orientation block.
                    assert_eq!(payload.len(), 6 + 26, "{name}: big app1 kept");
                }
            }
            let before = image::load_from_memory(&original).unwrap();
            let after = image::load_from_memory(&stripped).unwrap();
            assert_eq!(
                (before.width(), before.height()),
                (after.width(), after.height())
            );
            assert!(stripped.len() < original.len());
        }
    }

    #[test]
    fn pixels_are_untouched() {
        let original = testdata::read("photos/Nikon_D70.jpg");
        let stripped = strip_jpeg(&original).unwrap();
        let before = image::load_from_memory(&original).unwrap().to_rgb8();
        let after = image::load_from_memory(&stripped).unwrap().to_rgb8();
        assert_eq!(before, after);
    }

    #[test]
    fn orientation_survives_as_a_minimal_exif_block() {
        for n in 1..=8u8 {
            let original = testdata::read(&format!("photos/landscape_{n}.jpg"));
            let stripped = strip_jpeg(&original).unwrap();
            let app1: Vec<Vec<u8>> = app_segments(&stripped)
                .into_iter()
                .filter(|(m, _)| *m == APP1)
                .map(|(_, p)| p)
                .collect();
            if n == 1 {
                assert!(app1.is_empty(), "upright needs no exif");
            } else {
                assert_eq!(app1.len(), 1, "landscape_{n}");
                assert_eq!(orientation_of(&app1[0]), n, "landscape_{n}");
            }
        }
    }

    #[test]
    fn xmp_only_files_lose_their_xmp() {
        let original = testdata::read("photos/no_exif.jpg");
        let stripped = strip_jpeg(&original).unwrap();
        assert!(!stripped.windows(9).any(|w| w == b"x:xmpmeta"));
        assert!(app_segments(&stripped).iter().all(|(m, _)| *m != APP1));
        assert!(image::load_from_memory(&stripped).is_ok());
    }

    #[test]
    fn icc_profiles_are_kept() {
        for (name, original) in testdata::all_in("photos") {
            if !name.ends_with(".jpg") {
                continue;
            }
            let had_icc = app_segments(&original)
                .iter()
                .any(|(m, p)| *m == APP2 && p.starts_with(b"ICC_PROFILE\0"));
            let stripped = strip_jpeg(&original).unwrap();
            let has_icc = app_segments(&stripped)
                .iter()
                .any(|(m, p)| *m == APP2 && p.starts_with(b"ICC_PROFILE\0"));
            assert_eq!(had_icc, has_icc, "{name}");
            // Nothing trails the image: no appended MPF pictures or vendor trailers.
            assert_eq!(&stripped[stripped.len() - 2..], &[0xFF, EOI], "{name}");
        }
    }

    #[test]
    fn hostile_bytes_give_errors_not_panics() {
        assert!(strip_jpeg(b"").is_err());
        assert!(strip_jpeg(b"\xFF\xD8\xFF\xE1\x00").is_err());
        assert!(strip_jpeg(b"\xFF\xD8\xFF\xE1\x00\x01").is_err());
        assert!(strip_jpeg(b"\xFF\xD8\xFF\xE1\xFF\xFF\x00").is_err());
        // A scan with no end just runs to the end of the data.
        let truncated = strip_jpeg(b"\xFF\xD8\xFF\xDA\x00\x02\x12\x34\xFF\x00").unwrap();
        assert_eq!(truncated, b"\xFF\xD8\xFF\xDA\x00\x02\x12\x34\xFF\x00");
        let original = testdata::read("photos/Canon_40D.jpg");
        for cut in (0..original.len()).step_by(97) {
            let _ = strip_jpeg(&original[..cut]);
        }
    }
}
