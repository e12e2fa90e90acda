//! How far a JPEG may be shrunk while it is decoded (DCT scaling by 1/2, 1/4 or 1/8).
//!
//! Shrinking in the DCT domain is nearly free (most of the inverse transform is skipped) but it is a
//! block filter: sharper and more aliased than the Lanczos resize that follows. libvips therefore keeps
//! at least twice the output size for that final resize; sharp by default keeps only the output size.

/// How much of the final resize the DCT-domain shrink may take over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShrinkOnLoad {
    /// libvips' rule: decode at no less than twice the largest output, so Lanczos does the last 2x or more.
    #[default]
    Quality,
    /// sharp's default (`fastShrinkOnLoad`): decode at no less than the largest output.
    Fast,
    /// Always decode at full size (for reference output).
    Off,
}

impl ShrinkOnLoad {
    fn headroom(self) -> Option<f64> {
        match self {
            Self::Quality => Some(2.0),
            Self::Fast => Some(1.0),
            Self::Off => None,
        }
    }
}

/// The DCT denominator (1, 2, 4 or 8) for a `width` x `height` image whose largest output is `scale`
/// times its size (output pixels per source pixel, at most 1).
pub(crate) fn jpeg_denominator(width: u32, height: u32, scale: f64, rule: ShrinkOnLoad) -> u32 {
    let Some(headroom) = rule.headroom() else {
        return 1;
    };
    // NaN fails every comparison: `scale > 0.0` is false for it too.
    if scale.is_nan() || scale <= 0.0 {
        return 1;
    }
    // The sizes the final resize must produce (less a hair of float error, so an exact eighth stays one);
    // the decode keeps `headroom` times them on both axes, whatever the rounding of the scaled sizes.
    let scale = scale.min(1.0);
    let needed_w = (f64::from(width) * scale - 1e-6).ceil() * headroom;
    let needed_h = (f64::from(height) * scale - 1e-6).ceil() * headroom;
    [8u32, 4, 2]
        .into_iter()
        .find(|&d| {
            f64::from(width.div_ceil(d)) >= needed_w && f64::from(height.div_ceil(d)) >= needed_h
        })
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWELVE_MPX: (u32, u32) = (4032, 3024);

    fn denominator(output_width: u32, rule: ShrinkOnLoad) -> u32 {
        let scale = f64::from(output_width) / f64::from(TWELVE_MPX.0);
        jpeg_denominator(TWELVE_MPX.0, TWELVE_MPX.1, scale, rule)
    }

    #[test]
    fn quality_keeps_twice_the_output() {
        assert_eq!(denominator(2048, ShrinkOnLoad::Quality), 1);
        assert_eq!(denominator(1280, ShrinkOnLoad::Quality), 1);
        assert_eq!(denominator(800, ShrinkOnLoad::Quality), 2);
        assert_eq!(denominator(400, ShrinkOnLoad::Quality), 4);
        assert_eq!(denominator(200, ShrinkOnLoad::Quality), 8);
    }

    #[test]
    fn fast_keeps_the_output_like_sharp() {
        assert_eq!(denominator(2048, ShrinkOnLoad::Fast), 1);
        assert_eq!(denominator(1280, ShrinkOnLoad::Fast), 2);
        assert_eq!(denominator(800, ShrinkOnLoad::Fast), 4);
        assert_eq!(denominator(400, ShrinkOnLoad::Fast), 8);
        // Exactly an eighth: the decode is the output.
        assert_eq!(denominator(504, ShrinkOnLoad::Fast), 8);
    }

    #[test]
    fn never_below_the_output_even_with_odd_sizes() {
        // 1001 / 8 rounds up to 126; an output of 126 still fits, one of 127 does not.
        assert_eq!(
            jpeg_denominator(1001, 1001, 126.0 / 1001.0, ShrinkOnLoad::Fast),
            8
        );
        assert_eq!(
            jpeg_denominator(1001, 1001, 127.0 / 1001.0, ShrinkOnLoad::Fast),
            4
        );
    }

    #[test]
    fn off_and_nonsense_scales_decode_everything() {
        assert_eq!(denominator(100, ShrinkOnLoad::Off), 1);
        assert_eq!(jpeg_denominator(100, 100, 0.0, ShrinkOnLoad::Fast), 1);
        assert_eq!(jpeg_denominator(100, 100, f64::NAN, ShrinkOnLoad::Fast), 1);
        assert_eq!(jpeg_denominator(100, 100, 3.0, ShrinkOnLoad::Fast), 1);
    }
}
