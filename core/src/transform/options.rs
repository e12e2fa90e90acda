//! The processing options of a transformation, normalised: every imgproxy spelling of the same request
//! comes to the same [`TransformOptions`], whose [`TransformOptions::canonical`] form names the stored
//! result, and whose [`TransformOptions::plan`] is what the pipeline renders.

use crate::domain::OutputFormat;
use crate::imaging::{
    Fit, Gravity, MarkLayout, MarkSize, Operation, Output, Overlay, Plan, Resize,
};

/// imgproxy's resizing types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResizingType {
    #[default]
    Fit,
    Fill,
    FillDown,
    Force,
    Auto,
}

impl ResizingType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "fit" => Self::Fit,
            "fill" => Self::Fill,
            "fill-down" => Self::FillDown,
            "force" => Self::Force,
            "auto" => Self::Auto,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Fit => "fit",
            Self::Fill => "fill",
            Self::FillDown => "fill-down",
            Self::Force => "force",
            Self::Auto => "auto",
        }
    }
}

/// A crop before the resize (imgproxy's `c`): a zero side keeps that whole side; `gravity` `None`
/// follows the request's gravity and its offsets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropOption {
    pub width: u32,
    pub height: u32,
    pub gravity: Option<Gravity>,
    /// The crop's own gravity offsets, in pixels (with `gravity` only).
    pub offset: (i32, i32),
}

/// imgproxy's `extend`: a result smaller than the requested size is padded to it with the background
/// (`bg`; transparent where the format has alpha, white for JPEG), the image placed by `gravity`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtendOption {
    pub gravity: Gravity,
    pub offset: (i32, i32),
}

/// imgproxy's `watermark`, laying the configured watermark image (`transform_watermark_path`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WatermarkOption {
    /// Over 0 (a 0 is no watermark at all) and at most 1.
    pub opacity: f32,
    /// A compass point or the centre; `None` to tile it over the whole image (`re`).
    pub position: Option<Gravity>,
    /// Pixels inward from the position's edges, or the space between tiles.
    pub offset: (i32, i32),
    /// The mark's width as a share of the result's (0 to 1); 0 keeps its own size.
    pub scale: f32,
}

/// What a transformation URL asks for, checked against the policy and normalised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransformOptions {
    pub resizing_type: ResizingType,
    /// 0: not constrained on that side (imgproxy's convention).
    pub width: u32,
    pub height: u32,
    pub enlarge: bool,
    pub gravity: Gravity,
    /// imgproxy's gravity offsets in pixels (`g:type:x:y`), for the crops (`c` and the fill's).
    pub gravity_offset: (i32, i32),
    pub crop: Option<CropOption>,
    pub extend: Option<ExtendOption>,
    /// `exar`: pad to the requested size's aspect ratio only (with both sides given; `ex` wins).
    pub extend_aspect_ratio: Option<ExtendOption>,
    pub watermark: Option<WatermarkOption>,
    /// 1-100; `None` for the format's default.
    pub quality: Option<u8>,
    /// `None` (or `f:auto`): negotiated from `Accept`.
    pub format: Option<OutputFormat>,
    /// 0 for none.
    pub blur: f32,
    /// 0 for none.
    pub sharpen: f32,
    /// Clockwise quarter turns, 0-3.
    pub quarter_turns: u8,
    pub background: Option<[u8; 3]>,
}

impl TransformOptions {
    /// The plan that renders these options in `format`: turn, crop, resize, extend, flatten, blur,
    /// sharpen, watermark (`watermark`, the configured image, when one is asked for). Sizes and crops are
    /// in pixels of the upright image after the turn.
    pub fn plan(&self, format: OutputFormat, watermark: Option<&Overlay>) -> Plan {
        let mut plan = Plan::new(Output {
            format,
            quality: self.quality,
            effort: None,
        });
        if self.quarter_turns != 0 {
            plan = plan.then(Operation::Rotate {
                quarter_turns: self.quarter_turns,
            });
        }
        if let Some(crop) = self.crop {
            let (gravity, offset) = self.crop_gravity(crop);
            plan = plan.then(Operation::CropTo {
                width: crop.width,
                height: crop.height,
                gravity,
                offset,
            });
        }
        if self.width != 0 || self.height != 0 {
            let side = |n: u32| (n != 0).then_some(n);
            let fit = match self.resizing_type {
                ResizingType::Fit => Fit::Fit,
                ResizingType::Fill => Fit::Cover,
                ResizingType::FillDown => Fit::Fill,
                ResizingType::Auto => Fit::Auto,
                // imgproxy stretches only with both sides given; with one, it scales proportionally.
                ResizingType::Force if self.width == 0 || self.height == 0 => Fit::Fit,
                ResizingType::Force => Fit::Force,
            };
            // Darkroom's fill-down with one side means a square; imgproxy's keeps the proportions.
            let fit = if fit == Fit::Fill && (self.width == 0 || self.height == 0) {
                Fit::Fit
            } else {
                fit
            };
            plan = plan.then(Operation::Resize(Resize {
                width: side(self.width),
                height: side(self.height),
                fit,
                gravity: self.gravity,
                enlarge: self.enlarge,
                offset: self.gravity_offset,
            }));
            if let Some((extend, to_aspect_ratio)) = self.extension() {
                plan = plan.then(Operation::Extend {
                    width: self.width,
                    height: self.height,
                    gravity: extend.gravity,
                    offset: extend.offset,
                    to_aspect_ratio,
                });
            }
        }
        if let Some(colour) = self.background {
            plan = plan.then(Operation::Background(colour));
        }
        if self.blur > 0.0 {
            plan = plan.then(Operation::Blur { sigma: self.blur });
        }
        if self.sharpen > 0.0 {
            plan = plan.then(Operation::Sharpen {
                sigma: self.sharpen,
            });
        }
        if let (Some(mark), Some(overlay)) = (self.watermark, watermark) {
            plan.overlays.push(overlay.clone());
            let index = plan.overlays.len() - 1;
            plan = plan.then(Operation::Watermark {
                overlay: index,
                position: mark.position.unwrap_or(Gravity::NorthWest),
                opacity: mark.opacity,
                layout: MarkLayout {
                    offset: mark.offset,
                    size: if mark.scale > 0.0 {
                        MarkSize::WidthShare(mark.scale)
                    } else {
                        MarkSize::Natural
                    },
                    replicate: mark.position.is_none(),
                },
            });
        }
        plan
    }

    /// What the result is extended by, and whether only to the aspect ratio: `ex` with a size, else
    /// `exar` with both sides.
    fn extension(&self) -> Option<(ExtendOption, bool)> {
        match (self.extend, self.extend_aspect_ratio) {
            (Some(extend), _) if self.width != 0 || self.height != 0 => Some((extend, false)),
            (_, Some(extend)) if self.width != 0 && self.height != 0 => Some((extend, true)),
            _ => None,
        }
    }

    /// The gravity and offsets a crop is placed by: its own, or the request's.
    fn crop_gravity(&self, crop: CropOption) -> (Gravity, (i32, i32)) {
        match crop.gravity {
            Some(gravity) => (gravity, crop.offset),
            None => (self.gravity, self.gravity_offset),
        }
    }

    /// One string per distinct rendering (format aside): what the stored result is named after and what
    /// concurrent requests coalesce on. Options that do not change the pixels (expiry, presets by name,
    /// the spelling) are not in it.
    pub fn canonical(&self) -> String {
        let mut out = format!(
            "rs:{}:{}:{}:{}/g:{}",
            self.resizing_type.as_str(),
            self.width,
            self.height,
            u8::from(self.enlarge),
            placed(self.gravity, self.gravity_offset)
        );
        if let Some(crop) = self.crop {
            let (gravity, offset) = self.crop_gravity(crop);
            let gravity = placed(gravity, offset);
            out.push_str(&format!("/c:{}:{}:{gravity}", crop.width, crop.height));
        }
        // Extending only happens with a requested size.
        if let Some((extend, to_aspect_ratio)) = self.extension() {
            let name = if to_aspect_ratio { "exar" } else { "ex" };
            out.push_str(&format!(
                "/{name}:1:{}",
                placed(extend.gravity, extend.offset)
            ));
        }
        if let Some(q) = self.quality {
            out.push_str(&format!("/q:{q}"));
        }
        if self.blur > 0.0 {
            out.push_str(&format!("/bl:{}", self.blur));
        }
        if self.sharpen > 0.0 {
            out.push_str(&format!("/sh:{}", self.sharpen));
        }
        if self.quarter_turns != 0 {
            out.push_str(&format!("/rot:{}", u32::from(self.quarter_turns) * 90));
        }
        if let Some([r, g, b]) = self.background {
            out.push_str(&format!("/bg:{r:02x}{g:02x}{b:02x}"));
        }
        if let Some(mark) = self.watermark {
            let position = mark.position.map_or_else(|| "re".into(), gravity_str);
            let (x, y) = mark.offset;
            out.push_str(&format!(
                "/wm:{}:{position}:{x}:{y}:{}",
                mark.opacity, mark.scale
            ));
        }
        out
    }
}

/// A gravity and its offsets as the canonical form writes them (no offsets when both are zero, so
/// results stored before offsets existed keep their names).
fn placed(gravity: Gravity, offset: (i32, i32)) -> String {
    match offset {
        (0, 0) => gravity_str(gravity),
        (x, y) => format!("{}:{x}:{y}", gravity_str(gravity)),
    }
}

fn gravity_str(gravity: Gravity) -> String {
    match gravity {
        Gravity::Centre => "ce".into(),
        Gravity::North => "no".into(),
        Gravity::NorthEast => "noea".into(),
        Gravity::East => "ea".into(),
        Gravity::SouthEast => "soea".into(),
        Gravity::South => "so".into(),
        Gravity::SouthWest => "sowe".into(),
        Gravity::West => "we".into(),
        Gravity::NorthWest => "nowe".into(),
        Gravity::Smart => "sm".into(),
        Gravity::Focus { x, y } => format!("fp:{x}:{y}"),
    }
}

/// The compass gravities by imgproxy's names.
pub(super) fn compass(name: &str) -> Option<Gravity> {
    Some(match name {
        "ce" => Gravity::Centre,
        "no" => Gravity::North,
        "noea" => Gravity::NorthEast,
        "ea" => Gravity::East,
        "soea" => Gravity::SouthEast,
        "so" => Gravity::South,
        "sowe" => Gravity::SouthWest,
        "we" => Gravity::West,
        "nowe" => Gravity::NorthWest,
        "sm" => Gravity::Smart,
        _ => return None,
    })
}
