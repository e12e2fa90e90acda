//! What the pipeline learns about an image while it processes it, beyond its variants: the raw material
//! of the automatic tags (see [`super::auto_tags`]) and of the capture the database keeps.

use crate::domain::Capture;

/// One colour of an image's palette and the share of its pixels near it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaletteColour {
    pub rgb: [u8; 3],
    /// Between 0 and 1; the shares of a palette add up to at most 1.
    pub share: f32,
}

/// Facts found during the one decode of an upload (or read from its metadata blocks without decoding).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageFacts {
    /// Frames in the container: 1 for a still, more for an animated GIF, WebP or AVIF sequence.
    pub frames: u32,
    /// Whether some pixel is not fully opaque (an alpha channel that is only ever 255 does not count).
    pub transparent: bool,
    /// The most populated colours, most populated first; the first is the dominant colour.
    pub palette: Vec<PaletteColour>,
    /// Camera and shooting time from EXIF (never location).
    pub capture: Capture,
}
