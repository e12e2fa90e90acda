//! What the camera recorded about a photo that Darkroom keeps: make, model and when it was taken.
//!
//! The served bytes lose all of it (see `ImagePipeline::strip_metadata`), but the database keeps these
//! three facts for the owner and for the automatic tags. Location is never among them: GPS is not read.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Longer values are cut: EXIF text fields are free-form, and a hostile file may fill them.
pub const MAX_CAPTURE_TEXT: usize = 64;

/// The camera and the time of shooting, each absent when the file does not say (or says nonsense).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// EXIF `Make`, trimmed, e.g. `Canon` or `NIKON CORPORATION`.
    #[serde(default)]
    pub camera_make: Option<String>,
    /// EXIF `Model`, trimmed, e.g. `Canon EOS 40D`.
    #[serde(default)]
    pub camera_model: Option<String>,
    /// EXIF `DateTimeOriginal`: the camera's local time, with no time zone (EXIF gives none reliably).
    #[serde(default)]
    pub taken_at: Option<NaiveDateTime>,
}

impl Capture {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// A text field as stored: printable characters only, trimmed, at most [`MAX_CAPTURE_TEXT`]
    /// characters; `None` when nothing is left.
    pub fn clean_text(raw: &str) -> Option<String> {
        let text: String = raw
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .trim()
            .chars()
            .take(MAX_CAPTURE_TEXT)
            .collect();
        let text = text.trim_end().to_owned();
        (!text.is_empty()).then_some(text)
    }

    /// `taken_at` as the databases store it: `YYYY-MM-DDTHH:MM:SS`, which sorts as it reads.
    pub fn taken_at_text(&self) -> Option<String> {
        self.taken_at.map(|t| t.format(TAKEN_AT_FORMAT).to_string())
    }

    /// Reads what [`Self::taken_at_text`] wrote.
    pub fn parse_taken_at(text: &str) -> Result<NaiveDateTime, chrono::ParseError> {
        NaiveDateTime::parse_from_str(text, TAKEN_AT_FORMAT)
    }
}

const TAKEN_AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_cleaned_and_capped() {
        assert_eq!(Capture::clean_text("  Canon \0\0"), Some("Canon".into()));
        assert_eq!(Capture::clean_text(" \0 "), None);
        assert_eq!(
            Capture::clean_text(&"x".repeat(500)).map(|t| t.len()),
            Some(MAX_CAPTURE_TEXT)
        );
    }

    #[test]
    fn taken_at_round_trips_through_text() {
        let capture = Capture {
            taken_at: NaiveDateTime::parse_from_str("2008-05-30 15:56:01", "%Y-%m-%d %H:%M:%S")
                .ok(),
            ..Capture::default()
        };
        let text = capture.taken_at_text().unwrap();
        assert_eq!(text, "2008-05-30T15:56:01");
        assert_eq!(Capture::parse_taken_at(&text).ok(), capture.taken_at);
        assert!(Capture::default().is_empty() && !capture.is_empty());
    }
}
