//! A rendering plan: the operations one decoded image goes through, in order, and the encoding at the end.
//!
//! Upload variants, `darkroom thumbnail`, on-the-fly transformations and edits are all plans over one
//! decode. Coordinates and sizes are those of the image as it stands at that step: upright (EXIF
//! orientation is applied before the first operation), after the operations before it.

use std::sync::Arc;

use bytes::Bytes;

use crate::domain::OutputFormat;

/// The operations, in order, then the encoding. Metadata is never carried into the output.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub operations: Vec<Operation>,
    pub output: Output,
    /// What [`Operation::Watermark`] lays over the image, by index: decoded or set in type (once each)
    /// only when the plan is rendered.
    pub overlays: Vec<Overlay>,
}

/// A watermark's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// An encoded image (any format the pipeline decodes), turned upright as any source is.
    Image(Bytes),
    /// One line of text, white with a dark shadow so it reads on any image.
    Text(String),
    /// An image decoded already (a mark configured once and laid on many renders).
    Rgba(Arc<RgbaMark>),
}

/// Decoded, upright, straight-alpha 8-bit RGBA pixels, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaMark {
    pub width: u32,
    pub height: u32,
    /// `width * height * 4` bytes.
    pub data: Vec<u8>,
}

/// How large a watermark is laid.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum MarkSize {
    /// An image shrunk to at most a quarter of the image on each side; text a tenth of its shorter side
    /// high (what edits lay).
    #[default]
    Quarter,
    /// As it is, shrunk only to fit inside the image (imgproxy's `wm` without a scale).
    Natural,
    /// This share of the image's width, its shape kept and held inside the image (imgproxy's `wm` scale).
    WidthShare(f32),
}

/// Where and how a watermark is laid beyond its compass position.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MarkLayout {
    /// Pixels, as imgproxy's offsets: inward from the edges the position sits on (leftwards from the
    /// east, upwards from the south), rightwards and downwards otherwise; held inside the image. When
    /// replicated, the space between tiles (never negative).
    pub offset: (i32, i32),
    pub size: MarkSize,
    /// Tiled over the whole image from its top-left corner instead of laid once.
    pub replicate: bool,
}

impl Plan {
    /// A plan that only encodes (the upright image, whole) in `output`.
    pub fn new(output: Output) -> Self {
        Self {
            operations: Vec::new(),
            output,
            overlays: Vec::new(),
        }
    }

    /// The same plan with `operation` appended.
    #[must_use]
    pub fn then(mut self, operation: Operation) -> Self {
        self.operations.push(operation);
        self
    }
}

/// One step of a plan. More may come: match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq)]
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
    /// Keeps a `width` x `height` region placed by `gravity` (imgproxy's `crop`); a zero side, or one
    /// larger than the image's, keeps that whole side.
    CropTo {
        width: u32,
        height: u32,
        gravity: Gravity,
        /// Pixels the region is moved by, as imgproxy's gravity offsets (see [`Gravity::place_offset`]).
        offset: (i32, i32),
    },
    /// A Gaussian blur of standard deviation `sigma` pixels (positive).
    Blur {
        sigma: f32,
    },
    /// An unsharp mask of radius `sigma` pixels (positive).
    Sharpen {
        sigma: f32,
    },
    /// Flattens any transparency onto this sRGB colour, so the image comes out opaque.
    Background([u8; 3]),
    /// Clockwise by any angle (in degrees) into the bounding box of the turned image, whose corners are
    /// filled with `background` (sRGB). Quarter turns are exact with [`Operation::Rotate`] instead.
    RotateBy {
        degrees: f32,
        background: [u8; 3],
    },
    /// Luma only (Rec. 709 weights), kept as RGB.
    Grayscale,
    /// A warm brown monochrome (the classic sepia matrix).
    Sepia,
    /// Every channel multiplied by `amount` (non-negative; 1 is no change).
    Brightness {
        amount: f32,
    },
    /// Tones pushed away from (above 1) or towards (below 1) mid-grey by `amount` (non-negative).
    Contrast {
        amount: f32,
    },
    /// `out = in^(1/amount)` on 0-1 values (positive; above 1 lightens the mid-tones).
    Gamma {
        amount: f32,
    },
    /// Automatic levels: each image's darkest and lightest luma (ignoring the outermost 0.5% of pixels)
    /// stretched to 0 and 255, the same mapping on every channel so the hues stay.
    Enhance,
    /// Lays `overlays[overlay]` over the image at `position` (its compass points and centre; other
    /// gravities count as the centre), at `opacity` (0-1) times its own alpha. An image is shrunk to at
    /// most a quarter of the image on each side (never enlarged); text is set a tenth of the image's
    /// shorter side high, shrunk to fit within nine tenths of its width.
    Watermark {
        overlay: usize,
        position: Gravity,
        opacity: f32,
        layout: MarkLayout,
    },
    /// Pads the image with transparency to at least `width` x `height` (a zero side, or one the image
    /// already reaches, is left as it is), the image placed in the canvas by `gravity` moved by `offset`
    /// pixels (see [`Gravity::place_offset`]); a later [`Operation::Background`], or the JPEG encoder's
    /// white, colours what was added. Sizes are in output pixels: put it after the resize. With
    /// `to_aspect_ratio`, only to the smallest canvas of `width`:`height`'s shape that holds the image
    /// (imgproxy's `extend_aspect_ratio`; both sides needed).
    Extend {
        width: u32,
        height: u32,
        gravity: Gravity,
        offset: (i32, i32),
        to_aspect_ratio: bool,
    },
}

/// Scales into a `width` x `height` box. Unless `enlarge`, never enlarges: a box larger than the image is
/// first shrunk to it, keeping the box's shape ([`Fit::Cover`] instead keeps what it can of each side). A
/// missing side is unbounded for [`Fit::Fit`], [`Fit::Cover`] and [`Fit::Auto`] and equal to the other side
/// for [`Fit::Fill`] and [`Fit::Force`]; at least one side is required, and no side may be zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resize {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    /// Which part of the image [`Fit::Fill`] and [`Fit::Cover`] keep; the other fits ignore it.
    pub gravity: Gravity,
    /// Whether an image smaller than the box is scaled up to it.
    pub enlarge: bool,
    /// Output pixels the kept region of [`Fit::Fill`] and [`Fit::Cover`] is moved by (see
    /// [`Gravity::place_offset`]); imgproxy's gravity offsets.
    pub offset: (i32, i32),
}

impl Resize {
    /// Into a `width` x `height` box with `fit`, centred.
    pub fn to(width: u32, height: u32, fit: Fit) -> Self {
        Self {
            width: Some(width),
            height: Some(height),
            fit,
            gravity: Gravity::Centre,
            enlarge: false,
            offset: (0, 0),
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
    /// Covers the box, aspect ratio kept, cropping what overflows at the [`Gravity`] (imgproxy's `fill`):
    /// unlike [`Fit::Fill`], an image smaller than the box is not enlarged and keeps what it has of each
    /// side, so the output may be smaller than the box on one side and not of its shape.
    Cover,
    /// [`Fit::Cover`] when the image and the box are both landscape (or both portrait), else [`Fit::Fit`]
    /// (imgproxy's `auto`).
    Auto,
}

/// The part of the image a crop to a smaller aspect ratio keeps.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
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
    /// Where the image has the most detail (edges), found on its pixels.
    Smart,
    /// Centred on this point as far as the image allows: `x` and `y` from 0 (left/top) to 1.
    Focus {
        x: f32,
        y: f32,
    },
}

impl Gravity {
    /// Where the kept region sits along each axis: 0 at the left/top, 0.5 centred, 1 at the right/bottom.
    /// `None` for [`Gravity::Smart`], decided on the pixels. A focus point is placed where the region is
    /// centred on it, which depends on the sizes: see [`Gravity::place`].
    pub fn position(self) -> Option<(f64, f64)> {
        Some(match self {
            Self::Smart => return None,
            Self::Focus { x, y } => (f64::from(x), f64::from(y)),
            Self::Centre => (0.5, 0.5),
            Self::North => (0.5, 0.0),
            Self::NorthEast => (1.0, 0.0),
            Self::East => (1.0, 0.5),
            Self::SouthEast => (1.0, 1.0),
            Self::South => (0.5, 1.0),
            Self::SouthWest => (0.0, 1.0),
            Self::West => (0.0, 0.5),
            Self::NorthWest => (0.0, 0.0),
        })
    }

    /// Where a `kept` long span starts inside a `side` long one (`kept <= side`), as a position from 0
    /// (at the start) to 1 (at the end) on one axis whose [`Self::position`] is `at`: a focus point
    /// centres the span on itself, clamped inside; the compass points place it directly.
    pub fn place(self, at: f64, kept: f64, side: f64) -> f64 {
        let free = side - kept;
        match self {
            Self::Focus { .. } if free > 0.0 => ((at * side - kept / 2.0) / free).clamp(0.0, 1.0),
            Self::Focus { .. } => 0.5,
            _ => at,
        }
    }

    /// [`Self::place`] moved by `offset` pixels of the `side`-long axis the way imgproxy moves it:
    /// inward from an edge the gravity sits on (so leftwards/upwards from the east/south), rightwards and
    /// downwards otherwise; held inside. A focus point and smart placement take no offset.
    pub fn place_offset(self, at: f64, kept: f64, side: f64, offset: f64) -> f64 {
        let placed = self.place(at, kept, side);
        let free = side - kept;
        if offset == 0.0 || free <= 0.0 || matches!(self, Self::Focus { .. } | Self::Smart) {
            return placed;
        }
        let inward = if at >= 1.0 { -offset } else { offset };
        ((free * placed + inward) / free).clamp(0.0, 1.0)
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
