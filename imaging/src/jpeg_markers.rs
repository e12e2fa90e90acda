//! Walking a JPEG's marker segments, shared by the header check and metadata stripping.

use super::ImagingError;

pub(crate) const SOI: u8 = 0xD8;
pub(crate) const EOI: u8 = 0xD9;
pub(crate) const SOS: u8 = 0xDA;

/// The width and height a JPEG's frame header (SOFn) declares, without decoding anything; `None` when no
/// frame header comes before the first scan or the data ends first.
pub(crate) fn frame_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(&[0xFF, SOI]) {
        return None;
    }
    let mut pos = 2;
    while let Some((marker, after_marker)) = next_marker(bytes, pos) {
        match marker {
            SOS | EOI => return None,
            0x01 | 0xD0..=0xD7 | SOI => {
                pos = after_marker;
                continue;
            }
            _ => {}
        }
        let (payload, end) = segment_at(bytes, after_marker).ok()?;
        // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let height = u16::from_be_bytes([*payload.get(1)?, *payload.get(2)?]);
            let width = u16::from_be_bytes([*payload.get(3)?, *payload.get(4)?]);
            return Some((u32::from(width), u32::from(height)));
        }
        pos = end;
    }
    None
}

/// Finds the marker at or after `pos`: returns it and the position after it. Garbage between segments is
/// skipped as libjpeg does, fill bytes (0xFF runs) are absorbed. `None` at the end of the data.
pub(crate) fn next_marker(bytes: &[u8], mut pos: usize) -> Option<(u8, usize)> {
    while pos < bytes.len() && bytes[pos] != 0xFF {
        pos += 1;
    }
    while pos < bytes.len() && bytes[pos] == 0xFF {
        pos += 1;
    }
    bytes.get(pos).map(|&marker| (marker, pos + 1))
}

/// The payload of the segment whose length field starts at `pos`, and where the segment ends.
pub(crate) fn segment_at(bytes: &[u8], pos: usize) -> Result<(&[u8], usize), ImagingError> {
    let length = bytes
        .get(pos..pos + 2)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .ok_or_else(|| ImagingError::corrupt("jpeg ends inside a segment header"))?;
    if length < 2 {
        return Err(ImagingError::corrupt("jpeg segment length below 2"));
    }
    let end = pos + length;
    let payload = bytes
        .get(pos + 2..end)
        .ok_or_else(|| ImagingError::corrupt("jpeg ends inside a segment"))?;
    Ok((payload, end))
}

/// Where the entropy-coded data after a scan header ends: at the next real marker, or at the end of the data
/// for a truncated file. Stuffed zeros (FF 00), restart markers and fill bytes belong to the scan; so do
/// reserved codes (FF 02-BF), which only appear in damaged data that decoders resynchronise past.
///
/// A 12 Mpx photo has ~3 MB of scan data and this runs before the (parallel) decode can start, so the scan
/// for 0xFF goes through memchr's SIMD search rather than a byte loop (a tenth of the instructions).
pub(crate) fn entropy_coded_end(bytes: &[u8], mut pos: usize) -> usize {
    while pos + 1 < bytes.len() {
        match memchr::memchr(0xFF, &bytes[pos..bytes.len() - 1]) {
            Some(offset) => pos += offset,
            None => break,
        }
        match bytes[pos + 1] {
            0xFF => pos += 1,
            0xC0..=0xCF | 0xD8..=0xFE => return pos,
            _ => pos += 2,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn reads_the_frame_size_of_real_photos() {
        let bytes = testdata::read("photos/iphone_4032x3024.jpg");
        assert_eq!(frame_dimensions(&bytes), Some((4032, 3024)));
        let bytes = testdata::read("photos/landscape_6.jpg");
        assert_eq!(frame_dimensions(&bytes), Some((450, 600)), "as stored");
    }

    #[test]
    fn finds_a_frame_header_with_nothing_after_it() {
        let sof = [
            0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0xFD, 0xE8, 0xFD, 0xE8, 1, 1, 0x11, 0,
        ];
        assert_eq!(frame_dimensions(&sof), Some((65_000, 65_000)));
        assert_eq!(frame_dimensions(&sof[..10]), None);
        assert_eq!(frame_dimensions(b""), None);
    }

    #[test]
    fn scans_end_at_real_markers_only() {
        let scan = [
            0x12, 0xFF, 0x00, 0xFF, 0xD3, 0x9F, 0xFF, 0x9F, 0x34, 0xFF, 0xFF, 0xD9,
        ];
        assert_eq!(
            entropy_coded_end(&scan, 0),
            10,
            "fill bytes stay with the scan"
        );
        assert_eq!(
            entropy_coded_end(&scan[..8], 0),
            8,
            "runs to the end when cut"
        );
    }
}
