//! A rendering plan: the operations one decoded image goes through, in order, and the encoding at the end.
//!
//! Upload variants, `darkroom thumbnail`, on-the-fly transformations and edits are all plans over one
//! decode. Coordinates and sizes are those of the image as it stands at that step: upright (EXIF
//! orientation is applied before the first operation), after the operations before it.

use crate::domain::OutputFormat;

/// The operations, in order, then the encoding. Metadata is never carried into the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub operations: Vec<Operation>,
    pub output: Output,
}

impl Plan {
    /// A plan that only encodes (the upright image, whole) in `output`.
    pub fn new(output: Output) -> Self {
        Self {
            operations: Vec::new(),
            output,
        }
    }

    /// The same plan with `operation` appended.
    #[must_use]
    pub fn then(mut self, operation: Operation) -> Self {
        self.operations.push(operation);
        self
    }
}

/// One step of a plan. More will come (filters, a watermark): match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    Resize(Resize),
    /// Keeps the `width` x `height` rectangle whose top-left corner is at (`x`, `y`); it must lie inside
    /// the image.
    Crop {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
    /// Clockwise by `quarter_turns` x 90 degrees (taken modulo 4).
    Rotate {
        quarter_turns: u8,
    },
    Flip(Flip),
}

/// Scales into a `width` x `height` box. Never enlarges: a box larger than the image is first shrunk to
/// it, keeping the box's shape. A missing side is unbounded for [`Fit::Fit`] and equal to the other side
/// for [`Fit::Fill`] and [`Fit::Force`]; at least one side is required, and no side may be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resize {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    /// Which part of the image [`Fit::Fill`] keeps; the other fits ignore it.
    pub gravity: Gravity,
}

impl Resize {
    /// Into a `width` x `height` box with `fit`, centred.
    pub fn to(width: u32, height: u32, fit: Fit) -> Self {
        Self {
            width: Some(width),
            height: Some(height),
            fit,
            gravity: Gravity::Centre,
        }
    }
}

/// How the image meets the resize box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Inside the box, aspect ratio kept (sharp's `inside`): one side may come out shorter.
    #[default]
    Fit,
    /// The box exactly, aspect ratio kept, cropping what overflows at the [`Gravity`] (sharp's `cover`).
    Fill,
    /// The box exactly, stretched (sharp's `fill`).
    Force,
}

/// The part of the image a crop to a smaller aspect ratio keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gravity {
    #[default]
    Centre,
    North,
    NorthEast,
    East,
    SouthEast,
    South,
    SouthWest,
    West,
    NorthWest,
}

impl Gravity {
    /// Where the kept region sits along each axis: 0 at the left/top, 0.5 centred, 1 at the right/bottom.
    pub fn position(self) -> (f64, f64) {
        match self {
            Self::Centre => (0.5, 0.5),
            Self::North => (0.5, 0.0),
            Self::NorthEast => (1.0, 0.0),
            Self::East => (1.0, 0.5),
            Self::SouthEast => (1.0, 1.0),
            Self::South => (0.5, 1.0),
            Self::SouthWest => (0.0, 1.0),
            Self::West => (0.0, 0.5),
            Self::NorthWest => (0.0, 0.0),
        }
    }
}

/// Which way a flip mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flip {
    /// Left and right exchange.
    Horizontal,
    /// Top and bottom exchange.
    Vertical,
}

/// The encoding at the end of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub format: OutputFormat,
    /// 1-100 on the format's own scale; `None` for the upload variants' default.
    pub quality: Option<u8>,
    /// WebP only: libwebp's `method`, 0 (fastest) to 6 (smallest); `None` for the upload variants' 4.
    pub effort: Option<u8>,
}

impl Output {
    /// `format` at the upload variants' quality and effort.
    pub fn new(format: OutputFormat) -> Self {
        Self {
            format,
            quality: None,
            effort: None,
        }
    }
}
