//! The one EXIF fact a stripped original keeps: which way up it is.

use image::metadata::Orientation;

/// The prefix a JPEG APP1 segment (and some WebP EXIF chunks) put before the TIFF structure.
pub(crate) const EXIF_PREFIX: &[u8] = b"Exif\0\0";

/// The orientation an EXIF block states, with or without the `Exif\0\0` prefix. Unreadable or absent is
/// treated as upright, as the decoder does.
pub(crate) fn orientation_of(exif: &[u8]) -> u8 {
    let tiff = exif.strip_prefix(EXIF_PREFIX).unwrap_or(exif);
    Orientation::from_exif_chunk(tiff)
        .unwrap_or(Orientation::NoTransforms)
        .to_exif()
}

/// A complete big-endian TIFF structure with one IFD holding only the Orientation tag (0x0112, SHORT).
pub(crate) fn orientation_only_tiff(orientation: u8) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0*");
    tiff.extend_from_slice(&8u32.to_be_bytes()); // IFD0 right after the header
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&u16::from(orientation).to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding to 4 bytes
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_block_round_trips_every_orientation() {
        for orientation in 1..=8 {
            let tiff = orientation_only_tiff(orientation);
            assert_eq!(tiff.len(), 26);
            assert_eq!(orientation_of(&tiff), orientation);
            let mut prefixed = EXIF_PREFIX.to_vec();
            prefixed.extend_from_slice(&tiff);
            assert_eq!(orientation_of(&prefixed), orientation);
        }
    }

    #[test]
    fn garbage_reads_as_upright() {
        assert_eq!(orientation_of(b""), 1);
        assert_eq!(orientation_of(b"Exif\0\0II*\0\xff\xff\xff\xff"), 1);
        assert_eq!(orientation_of(&[0xAB; 100]), 1);
    }
}
