//! How many frames an image holds, read from its container without decoding: the `animated` tag's fact.
//! GIF and WebP are counted as the frame limit counts them (`containers.rs`); an AVIF or HEIF image
//! sequence by the sample count of its tracks (`moov/trak/mdia/minf/stbl/stsz`).

use super::containers::{gif_frames, webp_frames};
use crate::domain::ImageFormat;

/// Frames in `bytes` (1 for a still image, or when the container says nothing readable).
pub(crate) fn frame_count(bytes: &[u8], format: ImageFormat) -> u32 {
    let frames = match format {
        ImageFormat::Gif => gif_frames(bytes),
        ImageFormat::Webp => webp_frames(bytes),
        ImageFormat::Avif | ImageFormat::Heic => sequence_samples(bytes),
        _ => 1,
    };
    u32::try_from(frames.max(1)).unwrap_or(u32::MAX)
}

/// The largest sample count of any track of a sequence (a still image has no `moov`: 0).
fn sequence_samples(bytes: &[u8]) -> u64 {
    let Some(moov) = child(bytes, b"moov") else {
        return 0;
    };
    boxes(moov)
        .filter(|(kind, _)| kind == b"trak")
        .filter_map(|(_, trak)| {
            let stbl = [b"mdia", b"minf", b"stbl"]
                .into_iter()
                .try_fold(trak, |parent, kind| child(parent, kind))?;
            // A full box: version and flags (4), sample_size (4), sample_count (4).
            let stsz = child(stbl, b"stsz")?;
            let count = stsz.get(8..12)?;
            Some(u64::from(u32::from_be_bytes([
                count[0], count[1], count[2], count[3],
            ])))
        })
        .max()
        .unwrap_or(0)
}

fn child<'a>(parent: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(parent).find(|(k, _)| k == kind).map(|(_, body)| body)
}

/// The boxes directly inside `bytes`, as (type, body); stops at the first that does not fit.
fn boxes(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let header = bytes.get(pos..pos.checked_add(8)?)?;
        let kind = [header[4], header[5], header[6], header[7]];
        let (size, start) = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
            0 => (bytes.len() - pos, 8),
            1 => {
                let large = bytes.get(pos + 8..pos + 16)?;
                let mut be = [0u8; 8];
                be.copy_from_slice(large);
                (usize::try_from(u64::from_be_bytes(be)).ok()?, 16)
            }
            size => (size as usize, 8),
        };
        if size < start {
            return None;
        }
        let body = bytes.get(pos + start..pos.checked_add(size)?)?;
        pos += size;
        Some((kind, body))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn bmff(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// An `avis` file whose one track has `samples` samples: only the boxes the count is read from.
    fn sequence(samples: u32) -> Vec<u8> {
        let mut stsz = vec![0; 8];
        stsz.extend_from_slice(&samples.to_be_bytes());
        let stbl = bmff(b"stbl", &bmff(b"stsz", &stsz));
        let trak = bmff(b"trak", &bmff(b"mdia", &bmff(b"minf", &stbl)));
        let mut file = bmff(b"ftyp", b"avis\0\0\0\0avifavismif1");
        file.extend(bmff(b"moov", &trak));
        file
    }

    #[test]
    fn sequences_count_their_samples_and_stills_are_one_frame() {
        assert_eq!(frame_count(&sequence(12), ImageFormat::Avif), 12);
        assert_eq!(frame_count(&sequence(1), ImageFormat::Avif), 1);
        let still = testdata::fixture("landscape_320x240.avif");
        assert_eq!(frame_count(&still, ImageFormat::Avif), 1);
        let photo = testdata::read("photos/Canon_40D.jpg");
        assert_eq!(frame_count(&photo, ImageFormat::Jpeg), 1);
    }

    #[test]
    fn gifs_count_their_frames() {
        let gif = crate::containers::tests::animated_gif(5);
        assert_eq!(frame_count(&gif, ImageFormat::Gif), 5);
        assert_eq!(
            frame_count(&crate::containers::tests::animated_gif(1), ImageFormat::Gif),
            1
        );
    }

    #[test]
    fn damaged_boxes_read_as_one_frame() {
        let mut cut = sequence(12);
        cut.truncate(cut.len() - 3);
        assert_eq!(frame_count(&cut, ImageFormat::Avif), 1);
        assert_eq!(
            frame_count(&[0, 0, 0, 1, b'm', b'o', b'o', b'v'], ImageFormat::Avif),
            1
        );
        assert_eq!(frame_count(&[], ImageFormat::Heic), 1);
    }
}
