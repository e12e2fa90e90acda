//! The variants every upload gets.

use super::plan::{Fit, Operation, Output, Plan, Resize};
use crate::domain::VariantName;

/// One variant's geometry: fit inside `edge` x `edge`, or with `square` a centred `edge` x `edge` crop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantSpec {
    pub name: VariantName,
    pub edge: u32,
    pub square: bool,
}

/// thumb: 256x256 centre square crop; small 640, medium 1280, large 2048: fit inside edge x edge, aspect kept.
pub const UPLOAD_VARIANTS: [VariantSpec; 4] = [
    VariantSpec {
        name: VariantName::Thumb,
        edge: 256,
        square: true,
    },
    VariantSpec {
        name: VariantName::Small,
        edge: 640,
        square: false,
    },
    VariantSpec {
        name: VariantName::Medium,
        edge: 1280,
        square: false,
    },
    VariantSpec {
        name: VariantName::Large,
        edge: 2048,
        square: false,
    },
];

impl VariantSpec {
    /// The variant's size for an upright `width` x `height` image. Never upscales: a square's side is at
    /// most the image's shorter side.
    pub fn target_size(&self, width: u32, height: u32) -> (u32, u32) {
        if self.square {
            let side = self.edge.min(width).min(height);
            (side, side)
        } else {
            fit_within(width, height, self.edge)
        }
    }

    /// The variant as a plan encoding to `output`: the same size as [`Self::target_size`].
    pub fn plan(&self, output: Output) -> Plan {
        let fit = if self.square { Fit::Fill } else { Fit::Fit };
        Plan::new(output).then(Operation::Resize(Resize::to(self.edge, self.edge, fit)))
    }
}

/// The size that fits inside `edge` x `edge` with the aspect ratio kept; never larger than the source.
pub fn fit_within(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= edge {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        // Rounded, and never zero: a 10000x1 panorama still has a row.
        let scaled = (u64::from(side) * u64::from(edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(edge).clamp(1, edge)
    };
    if width >= height {
        (edge, scale(height))
    } else {
        (scale(width), edge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_sizes_for_a_twelve_megapixel_photo() {
        let sizes: Vec<(u32, u32)> = UPLOAD_VARIANTS
            .iter()
            .map(|s| s.target_size(4032, 3024))
            .collect();
        assert_eq!(sizes, [(256, 256), (640, 480), (1280, 960), (2048, 1536)]);
    }

    #[test]
    fn small_images_are_never_upscaled() {
        let sizes: Vec<(u32, u32)> = UPLOAD_VARIANTS
            .iter()
            .map(|s| s.target_size(300, 200))
            .collect();
        assert_eq!(sizes, [(200, 200), (300, 200), (300, 200), (300, 200)]);
    }

    #[test]
    fn fits_inside_the_edge_keeping_aspect() {
        assert_eq!(fit_within(4032, 3024, 2048), (2048, 1536));
        assert_eq!(fit_within(3024, 4032, 1280), (960, 1280));
        assert_eq!(fit_within(4032, 3024, 640), (640, 480));
        assert_eq!(fit_within(1000, 1000, 640), (640, 640));
        assert_eq!(fit_within(10_000, 1, 640), (640, 1));
    }

    #[test]
    fn fit_within_never_upscales() {
        assert_eq!(fit_within(300, 200, 2048), (300, 200));
        assert_eq!(fit_within(640, 480, 640), (640, 480));
    }
}
