//! Hostile input: bombs, floods, animations, polyglots and non-images are refused with a clear code or
//! made harmless, and every input the fuzzer ever crashed on (`fuzz/regressions/`) stays fixed.

use std::io::Write;

use image::DynamicImage;

use super::testdata;
use super::*;
use crate::domain::{ImageFormat, OutputFormat};

const WEB: [OutputFormat; 2] = [OutputFormat::Jpeg, OutputFormat::Webp];

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&testdata::crc32(&[kind, data]).to_be_bytes());
    out
}

/// An 8-bit RGB PNG of `width` x `height` black pixels, with `extra` chunks before the image data.
fn png(width: u32, height: u32, extra: &[Vec<u8>], raw_rows: Option<Vec<u8>>) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let rows = raw_rows.unwrap_or_else(|| vec![0u8; (1 + 3 * width as usize) * height as usize]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    for c in extra {
        out.extend_from_slice(c);
    }
    out.extend(chunk(b"IDAT", &zlib(&rows)));
    out.extend(chunk(b"IEND", &[]));
    out
}

#[test]
fn a_zlib_bomb_in_the_image_data_stops_at_the_declared_size() {
    // 64x64 declared, 64 MB of zeros compressed into ~64 KB behind it.
    let bomb = png(64, 64, &[], Some(vec![0u8; 64 << 20]));
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    match process_upload(&bomb, &Limits::default(), &WEB) {
        Ok(processed) => assert_eq!((processed.width, processed.height), (64, 64)),
        Err(e) => assert_eq!(e.code(), "corrupt_image", "{e}"),
    }
}

#[test]
fn a_zlib_bomb_in_the_icc_profile_is_refused_from_the_container() {
    let mut iccp = b"bomb\0\0".to_vec();
    iccp.extend(zlib(&vec![0u8; 200 << 20]));
    let bomb = png(16, 16, &[chunk(b"iCCP", &iccp)], None);
    let err = read_header(&bomb, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "decode_limit_exceeded", "{err}");
    // A real-sized profile is fine (an unusable one is ignored).
    let mut small = b"icc\0\0".to_vec();
    small.extend(zlib(&[7u8; 3000]));
    let fine = png(16, 16, &[chunk(b"iCCP", &small)], None);
    assert!(process_upload(&fine, &Limits::default(), &WEB).is_ok());
}

#[test]
fn a_pixel_flood_within_the_side_limits_is_refused_from_the_header() {
    // 10000x6000 = 60 Mpx: each side allowed, the area not; the file itself is tiny.
    let flood = png(10_000, 6_000, &[], Some(Vec::new()));
    let err = process_upload(&flood, &Limits::default(), &WEB).unwrap_err();
    assert_eq!(err.code(), "image_dimensions_too_large", "{err}");
}

#[test]
fn a_decode_beyond_the_memory_budget_is_refused_before_it_starts() {
    let image = DynamicImage::ImageRgba16(image::ImageBuffer::from_pixel(
        400,
        400,
        image::Rgba([1u16, 2, 3, 65535]),
    ));
    let bytes = testdata::png(&image);
    let tight = Limits {
        max_decode_alloc: 1_000_000, // 400x400x8 = 1.28 MB decoded, plus the conversion to 8 bits
        ..Limits::default()
    };
    let err = process_upload(&bytes, &tight, &WEB).unwrap_err();
    assert_eq!(err.code(), "decode_limit_exceeded", "{err}");
    // The same for the JPEG path, whose cost is computed from the frame header.
    let jpeg = testdata::read("photos/iphone_4032x3024.jpg");
    let err = process_upload(
        &jpeg,
        &Limits {
            max_decode_alloc: 30 << 20,
            ..Limits::default()
        },
        &WEB,
    )
    .unwrap_err();
    assert_eq!(err.code(), "decode_limit_exceeded", "{err}");
}

#[test]
fn svg_html_and_scripts_are_not_images() {
    for body in [
        &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
        b"<?xml version=\"1.0\"?><svg/>",
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b"%PDF-1.7\n",
        b"PK\x03\x04zip",
        b"",
    ] {
        let err = process_upload(body, &Limits::default(), &WEB).unwrap_err();
        assert_eq!(err.code(), "unsupported_media_type");
    }
}

#[test]
fn polyglots_lose_their_second_life_in_the_public_original() {
    let html = b"<html><script>alert(document.cookie)</script></html>";
    let zip = b"PK\x03\x04\x14\x00\x00\x00payload.js";
    // JPEG with a comment holding HTML and a ZIP after EOI.
    let mut jpeg = testdata::read("photos/Canon_40D.jpg");
    let mut comment = vec![0xFF, 0xFE];
    comment.extend_from_slice(&((html.len() + 2) as u16).to_be_bytes());
    comment.extend_from_slice(html);
    jpeg.splice(2..2, comment);
    jpeg.extend_from_slice(zip);
    // PNG with the HTML in a text chunk and the ZIP after IEND.
    let mut text = b"Comment\0".to_vec();
    text.extend_from_slice(html);
    let mut png = png(8, 8, &[chunk(b"tEXt", &text)], None);
    png.extend_from_slice(zip);
    for (name, bytes) in [("jpeg", jpeg), ("png", png)] {
        let processed = process_upload(&bytes, &Limits::default(), &WEB).unwrap();
        let public = &processed.public_original;
        assert!(
            !public.windows(6).any(|w| w == b"<html>"),
            "{name}: html kept"
        );
        assert!(
            !public.windows(4).any(|w| w == b"PK\x03\x04"),
            "{name}: zip kept"
        );
    }
}

#[test]
fn an_animation_within_the_limit_gives_its_first_frame() {
    let mut gif = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        for colour in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let frame = image::Frame::new(testdata::solid_rgba(30, 20, colour));
            encoder.encode_frame(frame).unwrap();
        }
    }
    let processed = process_upload(&gif, &Limits::default(), &WEB).unwrap();
    assert_eq!(processed.format, ImageFormat::Gif);
    assert_eq!(processed.dominant_color, "#ff0000");
    let few = Limits {
        max_frames: 1,
        ..Limits::default()
    };
    let err = process_upload(&gif, &few, &WEB).unwrap_err();
    assert_eq!(err.code(), "too_many_frames");
}

#[test]
fn a_progressive_jpeg_with_absurd_scans_is_refused_from_the_container() {
    let rgb = testdata::gradient(64, 64);
    let mut progressive = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut progressive, 80);
    encoder.set_progressive(true);
    encoder
        .encode(rgb.as_raw(), 64, 64, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    assert!(process_upload(&progressive, &Limits::default(), &WEB).is_ok());
    // Its last scan repeated a thousand times: each repeat is another pass over every block.
    let last_sos = progressive
        .windows(2)
        .rposition(|w| w == [0xFF, 0xDA])
        .unwrap();
    let end = progressive.len() - 2;
    let mut many = progressive[..end].to_vec();
    for _ in 0..1000 {
        many.extend_from_slice(&progressive[last_sos..end]);
    }
    many.extend_from_slice(&[0xFF, 0xD9]);
    let err = process_upload(&many, &Limits::default(), &WEB).unwrap_err();
    assert_eq!(err.code(), "decode_limit_exceeded", "{err}");
}

#[test]
fn every_fuzzer_finding_stays_fixed() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions"));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let limits = Limits {
            max_pixels: 4_000_000,
            max_decode_alloc: 64 << 20,
            max_frames: 100,
            ..Limits::default()
        };
        if let Err(e) = process_upload(&bytes, &limits, &WEB) {
            assert!(!e.code().is_empty(), "{}", path.display());
        }
    }
}

#[test]
fn a_job_past_its_time_limit_stops_between_stages() {
    let bytes = testdata::read("photos/Canon_40D.jpg");
    let no_time = Limits {
        max_duration: std::time::Duration::ZERO,
        ..Limits::default()
    };
    let err = process_upload(&bytes, &no_time, &WEB).unwrap_err();
    assert_eq!(err.code(), "processing_timeout", "{err}");
}
