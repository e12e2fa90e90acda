//! Recognising a format from its first bytes, so an upload is classified while it streams.

use crate::domain::ImageFormat;

/// The most bytes `sniff` looks at: enough for an ISO-BMFF `ftyp` box with four compatible brands.
pub const SNIFF_LEN: usize = 32;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Recognises a format by its magic bytes alone; `None` for anything else, including too short a prefix.
pub fn sniff(prefix: &[u8]) -> Option<ImageFormat> {
    let prefix = &prefix[..prefix.len().min(SNIFF_LEN)];
    if prefix.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if prefix.starts_with(PNG_SIGNATURE) {
        Some(ImageFormat::Png)
    } else if prefix.starts_with(b"GIF87a") || prefix.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if prefix.len() >= 12 && prefix.starts_with(b"RIFF") && &prefix[8..12] == b"WEBP" {
        Some(ImageFormat::Webp)
    } else if is_tiff(prefix) {
        Some(ImageFormat::Tiff)
    } else {
        sniff_iso_bmff(prefix)
    }
}

/// Classic TIFF in either byte order, and BigTIFF (which the `tiff` decoder also reads).
fn is_tiff(prefix: &[u8]) -> bool {
    [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"]
        .iter()
        .any(|magic| prefix.starts_with(*magic))
}

const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];
const HEIC_BRANDS: [&[u8; 4]; 6] = [b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm"];

/// AVIF and HEIC share the ISO base media file format: a `ftyp` box whose brands say what is inside.
fn sniff_iso_bmff(prefix: &[u8]) -> Option<ImageFormat> {
    if prefix.len() < 12 || &prefix[4..8] != b"ftyp" {
        return None;
    }
    let box_size = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    let major = &prefix[8..12];
    // Compatible brands follow the major brand and the 4-byte minor version, up to the box's end.
    let brands_end = box_size.min(prefix.len());
    let compatible: Vec<&[u8]> = prefix
        .get(16..brands_end)
        .unwrap_or_default()
        .chunks_exact(4)
        .collect();
    let is_one_of = |brand: &[u8], family: &[&[u8; 4]]| family.iter().any(|b| &b[..] == brand);

    if is_one_of(major, &AVIF_BRANDS) {
        return Some(ImageFormat::Avif);
    }
    if is_one_of(major, &HEIC_BRANDS) {
        return Some(ImageFormat::Heic);
    }
    // The generic HEIF brands: what the file holds is told by its compatible brands.
    if major == b"mif1" || major == b"msf1" {
        if compatible.iter().any(|b| is_one_of(b, &AVIF_BRANDS)) {
            return Some(ImageFormat::Avif);
        }
        if compatible.iter().any(|b| is_one_of(b, &HEIC_BRANDS)) || major == b"msf1" {
            return Some(ImageFormat::Heic);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut out = (size as u32).to_be_bytes().to_vec();
        out.extend_from_slice(b"ftyp");
        out.extend_from_slice(major);
        out.extend_from_slice(&[0, 0, 0, 0]);
        for brand in compatible {
            out.extend_from_slice(*brand);
        }
        out
    }

    #[test]
    fn recognises_every_format_by_its_magic_bytes() {
        let cases: [(&[u8], ImageFormat); 9] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0], ImageFormat::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", ImageFormat::Png),
            (b"GIF87a\x01\0", ImageFormat::Gif),
            (b"GIF89a\x01\0", ImageFormat::Gif),
            (b"RIFF\x10\0\0\0WEBPVP8 ", ImageFormat::Webp),
            (b"II*\0\x08\0\0\0", ImageFormat::Tiff),
            (b"MM\0*\0\0\0\x08", ImageFormat::Tiff),
            (b"II+\0\x08\0\0\0", ImageFormat::Tiff),
            (b"MM\0+\0\x08\0\0", ImageFormat::Tiff),
        ];
        for (bytes, format) in cases {
            assert_eq!(sniff(bytes), Some(format), "{bytes:?}");
        }
    }

    #[test]
    fn tells_avif_from_heic_by_brand() {
        assert_eq!(sniff(&ftyp(b"avif", &[b"mif1"])), Some(ImageFormat::Avif));
        assert_eq!(sniff(&ftyp(b"avis", &[])), Some(ImageFormat::Avif));
        assert_eq!(
            sniff(&ftyp(b"mif1", &[b"mif1", b"avif"])),
            Some(ImageFormat::Avif)
        );
        for brand in [b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm"] {
            assert_eq!(sniff(&ftyp(brand, &[])), Some(ImageFormat::Heic));
        }
        assert_eq!(
            sniff(&ftyp(b"mif1", &[b"mif1", b"heic"])),
            Some(ImageFormat::Heic)
        );
        assert_eq!(sniff(&ftyp(b"msf1", &[])), Some(ImageFormat::Heic));
        // A plain mif1 with nothing telling the codec, and video files, are not images we know.
        assert_eq!(sniff(&ftyp(b"mif1", &[b"mif1"])), None);
        assert_eq!(sniff(&ftyp(b"isom", &[b"mp42"])), None);
    }

    #[test]
    fn junk_and_short_prefixes_are_not_images() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None);
        assert_eq!(sniff(b"\x89PNG"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"<html><body>hello</body></html>"), None);
        assert_eq!(sniff(b"\0\0\0\x08ftyp"), None);
        assert_eq!(sniff(&[0u8; 64]), None);
    }
}
