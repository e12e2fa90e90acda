//! Rendering the upload variants (core's `UPLOAD_VARIANTS`) from one decoded image.

use darkroom_core::imaging::VariantSpec;

use super::pixels::Pixels;
use super::resize::resize;
use super::ImagingError;

/// The output `spec` asks of an upright `width` x `height` image.
pub(crate) fn target(spec: &VariantSpec, width: u32, height: u32) -> Target {
    let (w, h) = spec.target_size(width, height);
    Target {
        width: w,
        height: h,
        crop: spec.square,
    }
}

/// One output's size, in the orientation of the pixels it is rendered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    pub width: u32,
    pub height: u32,
    /// Take the largest centred region with the target's aspect ratio first (thumbnails); otherwise the
    /// whole image is scaled (stretched, if the aspect ratios differ).
    pub crop: bool,
}

impl Target {
    /// Output pixels per source pixel for a `width` x `height` source (the larger of the two axes).
    pub fn scale(&self, width: u32, height: u32) -> f64 {
        let w = f64::from(self.width) / f64::from(width.max(1));
        let h = f64::from(self.height) / f64::from(height.max(1));
        w.max(h)
    }

    /// The same target with width and height exchanged, for pixels stored sideways.
    pub fn transposed(self) -> Self {
        Self {
            width: self.height,
            height: self.width,
            crop: self.crop,
        }
    }
}

/// Renders every spec from `source`, returned in the order of `specs`.
#[cfg(test)]
pub(crate) fn render(source: &Pixels, specs: &[VariantSpec]) -> Result<Vec<Pixels>, ImagingError> {
    let (width, height) = source.dimensions();
    let targets: Vec<Target> = specs
        .iter()
        .map(|spec| target(spec, width, height))
        .collect();
    render_targets(source, &targets)
}

/// Renders every target from `source`, returned in the order of `targets`.
///
/// Larger outputs are rendered first so a smaller one can start from an uncropped output at least twice its
/// size rather than from the full image: Lanczos over 2x or more loses nothing visible and is much cheaper.
pub(crate) fn render_targets(
    source: &Pixels,
    targets: &[Target],
) -> Result<Vec<Pixels>, ImagingError> {
    let (width, height) = source.dimensions();
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (
            targets[a].scale(width, height),
            targets[b].scale(width, height),
        );
        b.total_cmp(&a)
    });

    let mut rendered: Vec<Option<Pixels>> = vec![None; targets.len()];
    for i in order {
        let target = targets[i];
        // The whole image at the target's scale: what a stand-in must have twice of.
        let scale = target.scale(width, height);
        let needed = (
            f64::from(width) * scale * 2.0,
            f64::from(height) * scale * 2.0,
        );
        // Only uncropped outputs can stand in for the source; a cropped one has lost its edges.
        let start = rendered
            .iter()
            .zip(targets)
            .filter_map(|(pixels, t)| pixels.as_ref().filter(|_| !t.crop))
            .filter(|p| {
                let (w, h) = p.dimensions();
                // A stretched output has the wrong shape to stand in (rounding allows a pixel either way).
                let same_shape = (u64::from(w) * u64::from(height))
                    .abs_diff(u64::from(h) * u64::from(width))
                    <= u64::from(width.max(height));
                same_shape && f64::from(w) >= needed.0 && f64::from(h) >= needed.1
            })
            .min_by_key(|p| p.dimensions().0)
            .unwrap_or(source);
        let pixels = if start.dimensions() == (target.width, target.height) {
            start.clone()
        } else {
            resize(start, target.width, target.height, target.crop)?
        };
        rendered[i] = Some(pixels);
    }
    rendered
        .into_iter()
        .map(|p| p.ok_or_else(|| ImagingError::encode_failed("variant", "variant not rendered")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;
    use crate::UPLOAD_VARIANTS;

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
