//! The variants every upload gets, and rendering them from one decoded image.

use super::pixels::Pixels;
use super::resize::{fit_within, resize};
use super::ImagingError;
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
}

/// Renders every spec from `source`, returned in the order of `specs`.
///
/// Larger variants are rendered first so a smaller one can start from a variant at least twice its size
/// rather than from the full image: Lanczos over 2x or more loses nothing visible and is much cheaper.
pub(crate) fn render(source: &Pixels, specs: &[VariantSpec]) -> Result<Vec<Pixels>, ImagingError> {
    let (width, height) = source.dimensions();
    let mut order: Vec<usize> = (0..specs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(specs[i].edge));

    let mut rendered: Vec<Option<Pixels>> = vec![None; specs.len()];
    for i in order {
        let spec = specs[i];
        let (target_w, target_h) = spec.target_size(width, height);
        // Only whole-image variants can stand in for the source; a square crop has lost its edges.
        let start = rendered
            .iter()
            .zip(specs)
            .filter_map(|(pixels, s)| pixels.as_ref().filter(|_| !s.square))
            .filter(|p| covers_twice(p.dimensions(), (target_w, target_h), spec.square))
            .min_by_key(|p| p.dimensions().0)
            .unwrap_or(source);
        let pixels = if start.dimensions() == (target_w, target_h) {
            start.clone()
        } else {
            resize(start, target_w, target_h, spec.square)?
        };
        rendered[i] = Some(pixels);
    }
    rendered
        .into_iter()
        .map(|p| p.ok_or_else(|| ImagingError::encode_failed("variant", "variant not rendered")))
        .collect()
}

/// Whether `candidate` has at least twice the pixels per side the target needs.
fn covers_twice(candidate: (u32, u32), target: (u32, u32), square: bool) -> bool {
    let (cw, ch) = (u64::from(candidate.0), u64::from(candidate.1));
    let (tw, th) = (u64::from(target.0), u64::from(target.1));
    if square {
        // The crop is a centred square of the candidate's shorter side.
        cw.min(ch) >= 2 * tw
    } else {
        cw >= 2 * tw && ch >= 2 * th
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imaging::testdata;

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
    fn renders_in_spec_order_at_target_sizes() {
        let source = Pixels::Opaque(testdata::gradient(3000, 1000));
        let rendered = render(&source, &UPLOAD_VARIANTS).unwrap();
        let sizes: Vec<(u32, u32)> = rendered.iter().map(Pixels::dimensions).collect();
        assert_eq!(sizes, [(256, 256), (640, 213), (1280, 427), (2048, 683)]);
    }

    #[test]
    fn a_variant_made_from_a_larger_one_matches_one_made_from_the_source() {
        let source = Pixels::Opaque(testdata::gradient(2600, 2600));
        let rendered = render(&source, &UPLOAD_VARIANTS).unwrap();
        let direct = resize(&source, 640, 640, false).unwrap();
        let (Pixels::Opaque(chained), Pixels::Opaque(direct)) = (&rendered[1], &direct) else {
            panic!("opaque in, opaque out")
        };
        let worst = chained
            .as_raw()
            .iter()
            .zip(direct.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 3, "largest channel difference {worst}");
    }
}
