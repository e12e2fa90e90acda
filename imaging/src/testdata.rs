//! Test helpers: the shared real-world photos, and small images made on the spot.

use std::io::Cursor;
use std::path::PathBuf;

use image::{DynamicImage, ImageFormat as Codec, Rgb, RgbImage, Rgba, RgbaImage};

/// The shared test photos: `DARKROOM_TESTDATA` when set, else `../shared/testdata` beside the repository.
pub(crate) fn dir() -> PathBuf {
    std::env::var_os("DARKROOM_TESTDATA").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/testdata"
            ))
        },
        PathBuf::from,
    )
}

pub(crate) fn read(relative: &str) -> Vec<u8> {
    let path = dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A fixture committed with this crate under `imaging/testdata/`, for inputs the shared photos lack (small
/// AVIF and HEIC files).
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata")).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Every file in a test data folder, sorted by name so failures are reproducible.
pub(crate) fn all_in(folder: &str) -> Vec<(String, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir().join(folder))
        .expect("test data folder")
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// A gradient, so resizing and orientation bugs show up as pixel differences.
pub(crate) fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            128,
        ])
    })
}

pub(crate) fn encode(image: &DynamicImage, codec: Codec) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, codec).unwrap();
    out.into_inner()
}

pub(crate) fn png(image: &DynamicImage) -> Vec<u8> {
    encode(image, Codec::Png)
}

pub(crate) fn solid_rgba(width: u32, height: u32, colour: [u8; 4]) -> RgbaImage {
    RgbaImage::from_pixel(width, height, Rgba(colour))
}

/// CRC-32 (ISO-HDLC, as PNG uses it), bit by bit: tests only build a few tiny chunks.
pub(crate) fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Walks a JPEG's marker segments up to the first scan: (marker, payload without the length).
pub(crate) fn jpeg_header_segments(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "not a jpeg");
    let mut segments = Vec::new();
    let mut pos = 2;
    while pos + 4 <= bytes.len() {
        assert_eq!(bytes[pos], 0xFF, "marker expected at {pos}");
        let marker = bytes[pos + 1];
        let len = usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
        segments.push((marker, bytes[pos + 4..pos + 2 + len].to_vec()));
        if marker == 0xDA {
            break;
        }
        pos += 2 + len;
    }
    segments
}

/// Whether an IFD entry pointing to a sub-IFD (`tag`, type LONG, count 1) appears anywhere, in either byte
/// order: eight bytes specific enough not to turn up by chance in compressed data.
pub(crate) fn contains_ifd_pointer(haystack: &[u8], tag: u16) -> bool {
    let mut big = tag.to_be_bytes().to_vec();
    big.extend_from_slice(&[0, 4, 0, 0, 0, 1]);
    let mut little = tag.to_le_bytes().to_vec();
    little.extend_from_slice(&[4, 0, 1, 0, 0, 0]);
    haystack
        .windows(8)
        .any(|w| w == big.as_slice() || w == little.as_slice())
}

#[test]
fn testdata_folder_resolves() {
    assert!(dir().join("README.md").is_file(), "{}", dir().display());
    assert_eq!(
        crc32(&[b"IEND"]),
        0xAE42_6082,
        "crc of the well-known IEND chunk"
    );
}
