//! The render plan of an edit: the owner's operations as plan steps (the same steps transformations and
//! upload variants use), encoded in a format that keeps what the source had.

use bytes::Bytes;

use super::{Fit, Flip, Gravity, MarkLayout, Operation, Output, Overlay, Plan, Resize};
use crate::domain::{
    parse_hex_colour, EditFit, EditOperation, FlipDirection, ImageFormat, ImageId, OutputFormat,
    WatermarkPosition,
};

/// What an arbitrary rotation fills the uncovered corners with when the edit names no colour.
pub const DEFAULT_BACKGROUND: [u8; 3] = [255, 255, 255];

/// JPEG quality of an edit's result: high, since it is processed (and re-encoded) again like an upload.
const EDIT_JPEG_QUALITY: u8 = 92;

/// The format an edit of a `source` image is stored in: photographic sources as JPEG, the others (which may
/// hold transparency or flat graphics) as lossless PNG.
pub fn edit_output(source: ImageFormat) -> (ImageFormat, Output) {
    match source {
        ImageFormat::Png | ImageFormat::Gif | ImageFormat::Webp => {
            (ImageFormat::Png, Output::new(OutputFormat::Png))
        }
        ImageFormat::Jpeg | ImageFormat::Tiff | ImageFormat::Avif | ImageFormat::Heic => (
            ImageFormat::Jpeg,
            Output {
                format: OutputFormat::Jpeg,
                quality: Some(EDIT_JPEG_QUALITY),
                effort: None,
            },
        ),
    }
}

/// The images an edit's watermarks lay, in the order of their operations (a plan's overlays).
pub fn watermark_images(operations: &[EditOperation]) -> Vec<ImageId> {
    operations
        .iter()
        .filter_map(|op| match op {
            EditOperation::Watermark {
                image_id: Some(id), ..
            } => Some(*id),
            _ => None,
        })
        .collect()
}

/// The plan of `operations`, with `images` the encoded bytes of [`watermark_images`], in order. Each
/// operation becomes exactly one plan step, so a plan of the first `n` operations checks those alone (a
/// watermark without its image or text, which the API refuses, is left out).
pub fn edit_plan(operations: &[EditOperation], output: Output, images: Vec<Bytes>) -> Plan {
    let mut plan = Plan::new(output);
    let mut images = images.into_iter();
    for op in operations {
        let step = match op {
            EditOperation::Crop {
                x,
                y,
                width,
                height,
            } => Operation::Crop {
                x: *x,
                y: *y,
                width: *width,
                height: *height,
            },
            EditOperation::Rotate {
                degrees,
                background,
            } => Operation::RotateBy {
                degrees: *degrees,
                background: background
                    .as_deref()
                    .and_then(parse_hex_colour)
                    .unwrap_or(DEFAULT_BACKGROUND),
            },
            EditOperation::Flip { direction } => Operation::Flip(match direction {
                FlipDirection::Horizontal => Flip::Horizontal,
                FlipDirection::Vertical => Flip::Vertical,
            }),
            EditOperation::Resize { width, height, fit } => Operation::Resize(Resize {
                width: *width,
                height: *height,
                fit: match fit {
                    EditFit::Fit => Fit::Fit,
                    EditFit::Fill => Fit::Fill,
                    EditFit::Force => Fit::Force,
                },
                gravity: Gravity::Centre,
                enlarge: false,
                offset: (0, 0),
            }),
            EditOperation::Grayscale => Operation::Grayscale,
            EditOperation::Sepia => Operation::Sepia,
            EditOperation::Blur { sigma } => Operation::Blur { sigma: *sigma },
            EditOperation::Sharpen { sigma } => Operation::Sharpen { sigma: *sigma },
            EditOperation::Brightness { amount } => Operation::Brightness { amount: *amount },
            EditOperation::Contrast { amount } => Operation::Contrast { amount: *amount },
            EditOperation::Gamma { amount } => Operation::Gamma { amount: *amount },
            EditOperation::Enhance => Operation::Enhance,
            EditOperation::Watermark {
                text,
                image_id,
                position,
                opacity,
            } => {
                let overlay = match (image_id, text) {
                    (Some(_), _) => match images.next() {
                        Some(bytes) => Overlay::Image(bytes),
                        None => continue,
                    },
                    (None, Some(text)) => Overlay::Text(text.clone()),
                    (None, None) => continue,
                };
                plan.overlays.push(overlay);
                Operation::Watermark {
                    overlay: plan.overlays.len() - 1,
                    position: gravity(*position),
                    opacity: *opacity,
                    layout: MarkLayout::default(),
                }
            }
        };
        plan = plan.then(step);
    }
    plan
}

fn gravity(position: WatermarkPosition) -> Gravity {
    match position {
        WatermarkPosition::NorthWest => Gravity::NorthWest,
        WatermarkPosition::North => Gravity::North,
        WatermarkPosition::NorthEast => Gravity::NorthEast,
        WatermarkPosition::West => Gravity::West,
        WatermarkPosition::Center => Gravity::Centre,
        WatermarkPosition::East => Gravity::East,
        WatermarkPosition::SouthWest => Gravity::SouthWest,
        WatermarkPosition::South => Gravity::South,
        WatermarkPosition::SouthEast => Gravity::SouthEast,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_per_operation_and_overlays_in_order() {
        let (a, b) = (ImageId::new(), ImageId::new());
        let mark = |id| EditOperation::Watermark {
            text: None,
            image_id: Some(id),
            position: WatermarkPosition::SouthEast,
            opacity: 0.4,
        };
        let ops = vec![
            mark(a),
            EditOperation::Rotate {
                degrees: 30.0,
                background: Some("#102030".into()),
            },
            EditOperation::Watermark {
                text: Some("hello".into()),
                image_id: None,
                position: WatermarkPosition::SouthEast,
                opacity: 0.4,
            },
            mark(b),
        ];
        assert_eq!(watermark_images(&ops), [a, b]);
        let (_, output) = edit_output(ImageFormat::Heic);
        let plan = edit_plan(&ops, output, vec![Bytes::from("a"), Bytes::from("b")]);
        assert_eq!(
            plan.overlays,
            [
                Overlay::Image(Bytes::from("a")),
                Overlay::Text("hello".into()),
                Overlay::Image(Bytes::from("b"))
            ]
        );
        assert_eq!(
            plan.operations,
            [
                Operation::Watermark {
                    overlay: 0,
                    position: Gravity::SouthEast,
                    opacity: 0.4,
                    layout: MarkLayout::default(),
                },
                Operation::RotateBy {
                    degrees: 30.0,
                    background: [0x10, 0x20, 0x30]
                },
                Operation::Watermark {
                    overlay: 1,
                    position: Gravity::SouthEast,
                    opacity: 0.4,
                    layout: MarkLayout::default(),
                },
                Operation::Watermark {
                    overlay: 2,
                    position: Gravity::SouthEast,
                    opacity: 0.4,
                    layout: MarkLayout::default(),
                },
            ]
        );
        assert_eq!(plan.output.format, OutputFormat::Jpeg);
        assert_eq!(edit_output(ImageFormat::Png).0, ImageFormat::Png);
    }
}
