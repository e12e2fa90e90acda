//! The camera and shooting time an original's EXIF states, read from its metadata block without decoding a
//! pixel. Only `Make`, `Model` and `DateTimeOriginal` (or `DateTimeDigitized`) are taken; the GPS IFD and
//! everything else the block holds are dropped with it.

use std::io::Cursor;

use ::exif::{Exif, In, Tag, Value};
use chrono::NaiveDate;
use darkroom_core::domain::{Capture, ImageFormat};

/// What `bytes`' EXIF says about the camera and the time of shooting; an empty [`Capture`] when there is
/// no EXIF, it is unreadable, or the format carries none we read (GIF).
pub(crate) fn read_capture(bytes: &[u8], format: ImageFormat) -> Capture {
    if format == ImageFormat::Gif {
        return Capture::default();
    }
    // A parser fed hostile bytes must cost us the capture at worst, never the upload.
    let exif = std::panic::catch_unwind(|| {
        ::exif::Reader::new().read_from_container(&mut Cursor::new(bytes))
    });
    match exif {
        Ok(Ok(exif)) => capture_of(&exif),
        Ok(Err(error)) => {
            tracing::debug!(%error, "no readable exif, so no camera or shooting time");
            Capture::default()
        }
        Err(_) => {
            tracing::warn!("the exif reader panicked; the image is kept without its capture");
            Capture::default()
        }
    }
}

fn capture_of(exif: &Exif) -> Capture {
    let text = |tag| {
        exif.get_field(tag, In::PRIMARY)
            .and_then(|field| match &field.value {
                Value::Ascii(parts) => parts
                    .first()
                    .map(|p| String::from_utf8_lossy(p).into_owned()),
                _ => None,
            })
            .and_then(|raw| Capture::clean_text(&raw))
    };
    let taken_at = [Tag::DateTimeOriginal, Tag::DateTimeDigitized]
        .into_iter()
        .find_map(|tag| text(tag).and_then(|raw| parse_exif_time(&raw)));
    Capture {
        camera_make: text(Tag::Make),
        camera_model: text(Tag::Model),
        taken_at,
    }
}

/// `YYYY:MM:DD HH:MM:SS`, as EXIF writes it; `None` for a blank, partial or impossible date.
fn parse_exif_time(raw: &str) -> Option<chrono::NaiveDateTime> {
    let time = ::exif::DateTime::from_ascii(raw.as_bytes()).ok()?;
    NaiveDate::from_ymd_opt(
        i32::from(time.year),
        u32::from(time.month),
        u32::from(time.day),
    )?
    .and_hms_opt(
        u32::from(time.hour),
        u32::from(time.minute),
        u32::from(time.second),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn capture(name: &str, format: ImageFormat) -> Capture {
        read_capture(&testdata::read(&format!("photos/{name}")), format)
    }

    #[test]
    fn camera_photos_give_make_model_and_time() {
        let canon = capture("Canon_40D.jpg", ImageFormat::Jpeg);
        assert_eq!(canon.camera_make.as_deref(), Some("Canon"));
        assert_eq!(canon.camera_model.as_deref(), Some("Canon EOS 40D"));
        assert_eq!(
            canon.taken_at_text().as_deref(),
            Some("2008-05-30T15:56:01")
        );
        let nikon = capture("Nikon_D70.jpg", ImageFormat::Jpeg);
        assert_eq!(nikon.camera_make.as_deref(), Some("NIKON CORPORATION"));
        assert_eq!(nikon.camera_model.as_deref(), Some("NIKON D70"));
        assert!(nikon.taken_at.is_some());
    }

    #[test]
    fn no_exif_and_broken_exif_give_nothing_and_no_error() {
        assert!(capture("no_exif.jpg", ImageFormat::Jpeg).is_empty());
        for (name, bytes) in testdata::all_in("broken") {
            // Whatever is readable is fine; what matters is that nothing panics.
            let _ = (name, read_capture(&bytes, ImageFormat::Jpeg));
        }
        assert!(read_capture(b"GIF89a", ImageFormat::Gif).is_empty());
        assert!(read_capture(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF], ImageFormat::Jpeg).is_empty());
    }

    #[test]
    fn impossible_dates_are_dropped() {
        assert_eq!(parse_exif_time("0000:00:00 00:00:00"), None);
        assert_eq!(parse_exif_time("2008:13:40 10:00:00"), None);
        assert_eq!(parse_exif_time("    :  :     :  :  "), None);
        assert!(parse_exif_time("2008:05:30 15:56:01").is_some());
    }
}
