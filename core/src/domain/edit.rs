//! Edits (`editImage`): the operations an owner asks for, in order, checked once at the edge. A derived
//! image records them with the image it was made from, so that `getImage` can say how it came to be.

use serde::{Deserialize, Serialize};

use super::ImageId;

/// The most operations one edit may list.
pub const MAX_EDIT_OPERATIONS: usize = 20;

/// One operation of an edit, in pixels of the upright image as it stands at that step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum EditOperation {
    /// Keeps the `width` x `height` rectangle whose top-left corner is at (`x`, `y`).
    Crop {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
    /// Clockwise by `degrees`. Multiples of 90 turn the pixels exactly; any other angle rotates into the
    /// bounding box of the turned image, the corners filled with `background` (`#rrggbb`, white if absent).
    Rotate {
        degrees: f32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        background: Option<String>,
    },
    Flip {
        direction: FlipDirection,
    },
    /// Into a `width` x `height` box (one side may be absent), never enlarged.
    Resize {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        width: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        height: Option<u32>,
        fit: EditFit,
    },
    Grayscale,
    Sepia,
    /// A Gaussian blur of standard deviation `sigma` pixels.
    Blur {
        sigma: f32,
    },
    /// An unsharp mask of radius `sigma` pixels.
    Sharpen {
        sigma: f32,
    },
    /// Multiplies every channel by `amount` (1 leaves the image as it is).
    Brightness {
        amount: f32,
    },
    /// Stretches (above 1) or flattens (below 1) the tones around mid-grey.
    Contrast {
        amount: f32,
    },
    /// Gamma correction: above 1 lightens the mid-tones, below 1 darkens them.
    Gamma {
        amount: f32,
    },
    /// Automatic levels and contrast: the darkest and lightest tones (ignoring the outermost 0.5%) are
    /// stretched to black and white.
    Enhance,
    /// Another of the owner's ready images (`image_id`) or `text`, laid over the image at `position`.
    Watermark {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_id: Option<ImageId>,
        position: WatermarkPosition,
        opacity: f32,
    },
}

impl EditOperation {
    /// The `op` name, as the API spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Crop { .. } => "crop",
            Self::Rotate { .. } => "rotate",
            Self::Flip { .. } => "flip",
            Self::Resize { .. } => "resize",
            Self::Grayscale => "grayscale",
            Self::Sepia => "sepia",
            Self::Blur { .. } => "blur",
            Self::Sharpen { .. } => "sharpen",
            Self::Brightness { .. } => "brightness",
            Self::Contrast { .. } => "contrast",
            Self::Gamma { .. } => "gamma",
            Self::Enhance => "enhance",
            Self::Watermark { .. } => "watermark",
        }
    }
}

/// Which way a flip mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlipDirection {
    Horizontal,
    Vertical,
}

/// How a resized image meets its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditFit {
    /// Inside the box, aspect ratio kept.
    Fit,
    /// The box exactly, aspect ratio kept, cropping what overflows (centred).
    Fill,
    /// The box exactly, stretched.
    Force,
}

/// Where a watermark sits: a corner, an edge's middle, or the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatermarkPosition {
    NorthWest,
    North,
    NorthEast,
    West,
    Center,
    East,
    SouthWest,
    South,
    SouthEast,
}

impl WatermarkPosition {
    pub const ALL: [Self; 9] = [
        Self::NorthWest,
        Self::North,
        Self::NorthEast,
        Self::West,
        Self::Center,
        Self::East,
        Self::SouthWest,
        Self::South,
        Self::SouthEast,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NorthWest => "north_west",
            Self::North => "north",
            Self::NorthEast => "north_east",
            Self::West => "west",
            Self::Center => "center",
            Self::East => "east",
            Self::SouthWest => "south_west",
            Self::South => "south",
            Self::SouthEast => "south_east",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// What a derived image was made from: the source and the operations, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derivation {
    pub source_image_id: ImageId,
    pub operations: Vec<EditOperation>,
}

/// `#rrggbb` (or `rrggbb`) as RGB.
pub fn parse_hex_colour(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#').unwrap_or(text);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_round_trip_as_tagged_json() {
        let ops = vec![
            EditOperation::Crop {
                x: 1,
                y: 2,
                width: 3,
                height: 4,
            },
            EditOperation::Grayscale,
            EditOperation::Watermark {
                text: None,
                image_id: Some(ImageId::new()),
                position: WatermarkPosition::SouthEast,
                opacity: 0.5,
            },
        ];
        let text = serde_json::to_string(&ops).unwrap();
        assert!(text.contains(r#"{"op":"grayscale"}"#), "{text}");
        assert!(text.contains(r#""position":"south_east""#), "{text}");
        assert!(
            !text.contains("\"text\""),
            "absent options are left out: {text}"
        );
        let back: Vec<EditOperation> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ops);
    }

    #[test]
    fn colours_and_positions_parse() {
        assert_eq!(parse_hex_colour("#ff8000"), Some([255, 128, 0]));
        assert_eq!(parse_hex_colour("00ff00"), Some([0, 255, 0]));
        assert_eq!(parse_hex_colour("#ff80"), None);
        assert_eq!(parse_hex_colour("#gg0000"), None);
        for p in WatermarkPosition::ALL {
            assert_eq!(WatermarkPosition::parse(p.as_str()), Some(p));
        }
        assert_eq!(WatermarkPosition::parse("middle"), None);
    }
}
