//! What a JPEG's marker segments say before the first scan: frame geometry, orientation, ICC profile.
//!
//! Read by us rather than by the decoder so that both JPEG backends (libjpeg-turbo and jpeg-decoder) see
//! the same orientation and profile, and so the memory a decode needs is known before it starts.

use super::exif::{orientation_of, EXIF_PREFIX};
use super::jpeg_markers::{entropy_coded_end, next_marker, segment_at, EOI, SOI, SOS};

const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";

/// One colour component of the frame: its sampling factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Component {
    pub h: u8,
    pub v: u8,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JpegInfo {
    pub width: u32,
    pub height: u32,
    pub precision: u8,
    /// SOF2/SOF6/SOF10/SOF14: the whole coefficient image is held in memory while decoding.
    pub progressive: bool,
    /// SOF3 (lossless) and the arithmetic-coded or hierarchical frames the fast paths leave alone.
    pub unusual: bool,
    pub components: Vec<Component>,
    /// The EXIF orientation (1 when absent or unreadable).
    pub orientation: u8,
    /// The ICC profile, reassembled from its APP2 chunks in sequence order.
    pub icc: Option<Vec<u8>>,
    /// Scans in the file (counted for progressive images only: a baseline image has one per component
    /// group and costs one pass whatever it declares).
    pub scans: u32,
}

impl JpegInfo {
    /// Bytes of DCT coefficients a progressive decode keeps for the whole image (2 per coefficient, each
    /// component at its own sampling), or 0 for a baseline image, which is decoded a row of blocks at a time.
    pub fn coefficient_bytes(&self) -> u64 {
        if !self.progressive {
            return 0;
        }
        let h_max = self
            .components
            .iter()
            .map(|c| c.h)
            .max()
            .unwrap_or(1)
            .max(1);
        let v_max = self
            .components
            .iter()
            .map(|c| c.v)
            .max()
            .unwrap_or(1)
            .max(1);
        self.components
            .iter()
            .map(|c| {
                let w = u64::from(self.width) * u64::from(c.h) / u64::from(h_max) + 8;
                let h = u64::from(self.height) * u64::from(c.v) / u64::from(v_max) + 8;
                w * h * 2
            })
            .sum()
    }
}

/// Parses every segment up to the first scan. `None` when the data is not a JPEG or has no frame header.
pub(crate) fn jpeg_info(bytes: &[u8]) -> Option<JpegInfo> {
    if !bytes.starts_with(&[0xFF, SOI]) {
        return None;
    }
    let mut info = JpegInfo {
        orientation: 1,
        ..JpegInfo::default()
    };
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut exif_seen = false;
    let mut frame_seen = false;
    let mut pos = 2;
    while let Some((marker, after_marker)) = next_marker(bytes, pos) {
        match marker {
            SOS => {
                if info.progressive {
                    info.scans = count_scans(bytes, pos);
                }
                break;
            }
            EOI => break,
            0x01 | 0xD0..=0xD7 | SOI => {
                pos = after_marker;
                continue;
            }
            _ => {}
        }
        let Ok((payload, end)) = segment_at(bytes, after_marker) else {
            break;
        };
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && !frame_seen => {
                frame_seen = true;
                read_frame(marker, payload, &mut info)?;
            }
            0xE1 if payload.starts_with(EXIF_PREFIX) && !exif_seen => {
                exif_seen = true;
                info.orientation = orientation_of(payload);
            }
            0xE2 if payload.starts_with(ICC_PREFIX) => {
                // Sequence number (1-based), then the chunk count, then the data.
                if let (Some(&seq), Some(data)) = (
                    payload.get(ICC_PREFIX.len()),
                    payload.get(ICC_PREFIX.len() + 2..),
                ) {
                    icc_chunks.push((seq, data));
                }
            }
            _ => {}
        }
        pos = end;
    }
    if !frame_seen {
        return None;
    }
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        info.icc = Some(
            icc_chunks
                .iter()
                .flat_map(|(_, d)| d.iter().copied())
                .collect(),
        );
    }
    Some(info)
}

/// Scans from the one whose marker is at or after `pos` to the end: each progressive scan is a pass over
/// the whole coefficient image, so their number is what a hostile file inflates.
fn count_scans(bytes: &[u8], mut pos: usize) -> u32 {
    let mut scans = 0;
    while let Some((marker, after_marker)) = next_marker(bytes, pos) {
        match marker {
            EOI => break,
            0x01 | 0xD0..=0xD7 | SOI => pos = after_marker,
            _ => {
                let Ok((_, end)) = segment_at(bytes, after_marker) else {
                    break;
                };
                pos = end;
                if marker == SOS {
                    scans += 1;
                    pos = entropy_coded_end(bytes, end);
                }
            }
        }
    }
    scans
}

fn read_frame(marker: u8, payload: &[u8], info: &mut JpegInfo) -> Option<()> {
    info.precision = *payload.first()?;
    info.height = u32::from(u16::from_be_bytes([*payload.get(1)?, *payload.get(2)?]));
    info.width = u32::from(u16::from_be_bytes([*payload.get(3)?, *payload.get(4)?]));
    let count = usize::from(*payload.get(5)?);
    for i in 0..count {
        let sampling = *payload.get(6 + 3 * i + 1)?;
        info.components.push(Component {
            h: sampling >> 4,
            v: sampling & 0x0F,
        });
    }
    info.progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
    info.unusual = !matches!(marker, 0xC0..=0xC2);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn reads_a_phone_photo() {
        let info = jpeg_info(&testdata::read("photos/iphone_4032x3024.jpg")).unwrap();
        assert_eq!((info.width, info.height), (4032, 3024));
        assert_eq!(info.precision, 8);
        assert_eq!(info.components.len(), 3);
        assert!(!info.unusual);
        assert_eq!(info.orientation, 1);
        let tagged = jpeg_info(&testdata::read("photos/landscape_2.jpg")).unwrap();
        let icc = tagged.icc.expect("an apple generic rgb profile");
        assert_eq!(&icc[36..40], b"acsp", "a whole ICC header");
        assert_eq!(
            u32::from_be_bytes([icc[0], icc[1], icc[2], icc[3]]) as usize,
            icc.len()
        );
    }

    #[test]
    fn reads_the_orientation() {
        for n in 1..=8u8 {
            let info = jpeg_info(&testdata::read(&format!("photos/landscape_{n}.jpg"))).unwrap();
            assert_eq!(info.orientation, n);
        }
    }

    #[test]
    fn progressive_coefficients_follow_the_sampling() {
        let info = JpegInfo {
            width: 1000,
            height: 1000,
            progressive: true,
            components: vec![
                Component { h: 2, v: 2 },
                Component { h: 1, v: 1 },
                Component { h: 1, v: 1 },
            ],
            ..JpegInfo::default()
        };
        assert_eq!(
            info.coefficient_bytes(),
            1008 * 1008 * 2 + 2 * 508 * 508 * 2
        );
        let baseline = JpegInfo {
            progressive: false,
            ..info
        };
        assert_eq!(baseline.coefficient_bytes(), 0);
    }

    #[test]
    fn garbage_has_no_info() {
        assert_eq!(jpeg_info(b""), None);
        assert_eq!(jpeg_info(&[0xFF, 0xD8, 0xFF, 0xD9]), None);
        assert_eq!(jpeg_info(&[0xFF, 0xD8, 0xFF, 0xC0, 0x00]), None);
    }
}
