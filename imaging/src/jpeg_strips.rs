//! Decoding one baseline JPEG on several cores, split at restart markers.
//!
//! Huffman decoding is sequential and is most of a shrunk decode's cost, so a single JPEG normally keeps
//! one core busy. A JPEG with restart markers (phones and most cameras write them) resets its entropy
//! coder at each one: the scan splits there into independent runs of MCUs. Cut at MCU rows that fall on
//! restart boundaries, each strip becomes a small JPEG of its own (same tables, a frame header with the
//! strip's height, its restart markers renumbered from 0) that any decoder decodes, with shrink-on-load,
//! on its own thread. The strips' rows are then stacked. Chroma upsampling at a cut sees no neighbour row
//! across it, which changes a row of chroma at each cut by a level or two.

use super::jpeg_info::JpegInfo;
use super::jpeg_markers::{entropy_coded_end, next_marker, segment_at, EOI, SOI, SOS};

/// Strips are only worth their setup (a scan of the data for restart markers, threads) for large images.
const MIN_PIXELS: u64 = 2_000_000;

/// One strip: a complete JPEG and the height in pixels of what it decodes to at full scale.
#[derive(Debug)]
pub(crate) struct Strip {
    pub jpeg: Vec<u8>,
    pub height: u32,
}

/// Splits `bytes` into up to `parts` independently decodable strips, top to bottom; `None` when the image
/// is too small, progressive, not one interleaved scan, without restart markers, or anything is off.
pub(crate) fn split(bytes: &[u8], info: &JpegInfo, parts: usize) -> Option<Vec<Strip>> {
    if parts < 2 || info.progressive || u64::from(info.width) * u64::from(info.height) < MIN_PIXELS
    {
        return None;
    }
    let layout = Layout::read(bytes)?;
    let (h_max, v_max) = info
        .components
        .iter()
        .fold((1, 1), |(h, v), c| (h.max(c.h), v.max(c.v)));
    let (mcu_w, mcu_h) = if info.components.len() == 1 {
        (8, 8)
    } else {
        (8 * u32::from(h_max), 8 * u32::from(v_max))
    };
    let mcus_x = info.width.div_ceil(mcu_w) as usize;
    let mcus_y = info.height.div_ceil(mcu_h) as usize;
    let interval = layout.restart_interval;
    let intervals = (mcus_x * mcus_y).div_ceil(interval);
    let restarts = restart_markers(bytes, layout.data_start, layout.data_end);
    if restarts.len() + 1 != intervals {
        return None;
    }

    // Cuts at MCU rows whose first MCU starts a restart interval, as close to even as that allows.
    let mut cuts: Vec<usize> = (1..parts)
        .filter_map(|k| {
            let ideal = k * mcus_y / parts;
            (1..mcus_y)
                .filter(|row| (row * mcus_x) % interval == 0)
                .min_by_key(|row| row.abs_diff(ideal))
        })
        .collect();
    cuts.dedup();
    if cuts.is_empty() {
        return None;
    }
    let mut rows = vec![0];
    rows.extend(cuts);
    rows.push(mcus_y);

    let strips = rows
        .windows(2)
        .map(|pair| {
            let (first_row, end_row) = (pair[0], pair[1]);
            let (first, end) = (
                first_row * mcus_x / interval,
                (end_row * mcus_x).div_ceil(interval),
            );
            let start = if first == 0 {
                layout.data_start
            } else {
                restarts[first - 1] + 2
            };
            let stop = if end == intervals {
                layout.data_end
            } else {
                restarts[end - 1]
            };
            let top = first_row as u32 * mcu_h;
            let height = info.height.min(end_row as u32 * mcu_h) - top;
            Strip {
                jpeg: layout.strip_jpeg(
                    bytes,
                    start,
                    stop,
                    &restarts[first..end.saturating_sub(1)],
                    height,
                ),
                height,
            }
        })
        .collect();
    Some(strips)
}

/// Where a single-scan baseline JPEG keeps what a strip needs.
struct Layout {
    /// DQT, DHT, DRI, JFIF and Adobe segments, verbatim.
    tables: Vec<u8>,
    /// The whole SOF segment (marker included) and where its height field sits in it.
    frame: Vec<u8>,
    scan_header: Vec<u8>,
    restart_interval: usize,
    data_start: usize,
    /// Where the scan's data ends: at EOI.
    data_end: usize,
}

impl Layout {
    fn read(bytes: &[u8]) -> Option<Self> {
        let mut layout = Layout {
            tables: Vec::new(),
            frame: Vec::new(),
            scan_header: Vec::new(),
            restart_interval: 0,
            data_start: 0,
            data_end: 0,
        };
        let mut pos = 2;
        while let Some((marker, after_marker)) = next_marker(bytes, pos) {
            if matches!(marker, 0x01 | 0xD0..=0xD7 | SOI | EOI) {
                return None;
            }
            let (payload, end) = segment_at(bytes, after_marker).ok()?;
            let segment = bytes.get(after_marker - 2..end)?;
            match marker {
                0xDB | 0xC4 => layout.tables.extend_from_slice(segment),
                0xDD => {
                    layout.restart_interval =
                        usize::from(u16::from_be_bytes([*payload.first()?, *payload.get(1)?]));
                    layout.tables.extend_from_slice(segment);
                }
                0xE0 | 0xEE => layout.tables.extend_from_slice(segment),
                0xC0 | 0xC1 if layout.frame.is_empty() => layout.frame = segment.to_vec(),
                0xC2..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => return None,
                SOS => {
                    // One scan with every component interleaved, or there is more than one scan to split.
                    let components = *layout.frame.get(9)?;
                    if layout.frame.is_empty() || *payload.first()? != components {
                        return None;
                    }
                    layout.scan_header = segment.to_vec();
                    layout.data_start = end;
                    layout.data_end = entropy_coded_end(bytes, end);
                    // Only EOI may follow: a second scan or a truncated file is not split.
                    let (after, _) = next_marker(bytes, layout.data_end)?;
                    return (after == EOI && layout.restart_interval > 0).then_some(layout);
                }
                _ => {} // APPn, COM: nothing a decoder needs
            }
            pos = end;
        }
        None
    }

    fn strip_jpeg(
        &self,
        bytes: &[u8],
        start: usize,
        stop: usize,
        restarts: &[usize],
        height: u32,
    ) -> Vec<u8> {
        let data = &bytes[start..stop];
        let mut out = Vec::with_capacity(data.len() + self.tables.len() + 64);
        out.extend_from_slice(&[0xFF, SOI]);
        out.extend_from_slice(&self.tables);
        let frame_at = out.len();
        out.extend_from_slice(&self.frame);
        // FF Cn, length (2), precision (1), then the height.
        out[frame_at + 5..frame_at + 7].copy_from_slice(&(height as u16).to_be_bytes());
        out.extend_from_slice(&self.scan_header);
        let data_at = out.len();
        out.extend_from_slice(data);
        // Decoders expect RST0, RST1, ... from the start of a scan.
        for (n, &at) in restarts.iter().enumerate() {
            out[data_at + at - start + 1] = 0xD0 + (n % 8) as u8;
        }
        out.extend_from_slice(&[0xFF, EOI]);
        out
    }
}

/// Positions of the restart markers (their 0xFF) in the entropy-coded data `[from, to)`.
fn restart_markers(bytes: &[u8], from: usize, to: usize) -> Vec<usize> {
    let data = &bytes[from..to];
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(offset) = memchr::memchr(0xFF, &data[i..]) {
        let at = i + offset;
        match data.get(at + 1) {
            Some(0xD0..=0xD7) => found.push(from + at),
            None => break,
            _ => {}
        }
        i = at + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_decode::{decode_jpeg, decode_strips};
    use crate::jpeg_info::jpeg_info;
    use crate::pixels::Pixels;
    use crate::testdata;

    fn rgb(pixels: Pixels) -> image::RgbImage {
        match pixels {
            Pixels::Opaque(rgb) => rgb,
            Pixels::Translucent(_) => panic!("jpeg is opaque"),
        }
    }

    /// Decodes whole and in strips; returns the largest and the mean channel difference.
    fn compare(bytes: &[u8], denominator: u32, parts: usize) -> (u8, f64) {
        let info = jpeg_info(bytes).unwrap();
        let strips = split(bytes, &info, parts).expect("splits");
        assert_eq!(strips.iter().map(|s| s.height).sum::<u32>(), info.height);
        let whole = rgb(decode_jpeg(bytes, &info, denominator, 1).unwrap());
        // The strips themselves, not `decode_jpeg`, which would quietly fall back to a whole decode.
        let split = decode_strips(&strips, &info, denominator).unwrap();
        assert_eq!(whole.dimensions(), split.dimensions());
        let diffs: Vec<u8> = whole
            .as_raw()
            .iter()
            .zip(split.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .collect();
        let mean = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / diffs.len() as f64;
        (diffs.iter().copied().max().unwrap_or(0), mean)
    }

    #[test]
    fn a_phone_photo_splits_and_decodes_alike() {
        let bytes = testdata::read("photos/iphone_4032x3024.jpg");
        for (denominator, parts) in [(1, 2), (4, 2), (8, 3)] {
            let (_, mean) = compare(&bytes, denominator, parts);
            // Only the rows next to a cut may differ (chroma upsampling has no neighbour there).
            assert!(
                mean < 0.05,
                "1/{denominator} in {parts}: mean difference {mean}"
            );
        }
    }

    #[test]
    fn restart_intervals_that_do_not_divide_a_row_still_split() {
        let image = testdata::gradient(2000, 1100);
        let mut bytes = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 85);
        encoder.set_restart_interval(7);
        encoder
            .encode(image.as_raw(), 2000, 1100, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        let (_, mean) = compare(&bytes, 2, 2);
        assert!(mean < 0.05, "mean difference {mean}");
    }

    #[test]
    fn files_without_restart_markers_or_too_small_are_not_split() {
        let image = testdata::gradient(2000, 1100);
        let mut bytes = Vec::new();
        jpeg_encoder::Encoder::new(&mut bytes, 85)
            .encode(image.as_raw(), 2000, 1100, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        let info = jpeg_info(&bytes).unwrap();
        assert!(split(&bytes, &info, 2).is_none());
        let small = testdata::read("photos/landscape_1.jpg");
        assert!(split(&small, &jpeg_info(&small).unwrap(), 2).is_none());
        let photo = testdata::read("photos/iphone_4032x3024.jpg");
        let info = jpeg_info(&photo).unwrap();
        assert!(split(&photo, &info, 1).is_none());
        // Cut short: the restart markers no longer add up.
        assert!(split(&photo[..photo.len() / 2], &info, 2).is_none());
    }
}
