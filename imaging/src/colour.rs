//! Colour management: pixels described by an embedded ICC profile are converted to sRGB.
//!
//! Outputs carry no profile (nothing of the source's metadata reaches them), so a browser reads them as
//! sRGB; without this a Display P3 phone photo or an Adobe RGB camera file would look washed out.
//! The transform runs on the resized variants, not on the decode: per-pixel work on a fraction of the
//! pixels, as libvips' thumbnail does outside linear mode.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

use super::pixels::Pixels;

/// A conversion from an embedded profile to sRGB, built once per image and applied to every variant.
pub(crate) struct ToSrgb {
    rgb: std::sync::Arc<moxcms::Transform8BitExecutor>,
    rgba: std::sync::Arc<moxcms::Transform8BitExecutor>,
}

impl std::fmt::Debug for ToSrgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ToSrgb")
    }
}

impl ToSrgb {
    /// `None` when there is nothing to do: no profile, an sRGB one, or one we cannot use (unparseable, or
    /// not an RGB profile: a grey or CMYK profile does not describe the RGB pixels we hold). A bad profile
    /// only costs accurate colour, never the image.
    pub fn from_icc(icc: Option<&[u8]>) -> Option<Self> {
        let icc = icc?;
        let source = match ColorProfile::new_from_slice(icc) {
            Ok(profile) => profile,
            Err(error) => {
                tracing::debug!(
                    ?error,
                    "unreadable icc profile, treating the pixels as srgb"
                );
                return None;
            }
        };
        if source.color_space != DataColorSpace::Rgb || is_srgb(&source) {
            return None;
        }
        let srgb = ColorProfile::new_srgb();
        let options = TransformOptions::default();
        let build = |layout| source.create_transform_8bit(layout, &srgb, layout, options);
        match (build(Layout::Rgb), build(Layout::Rgba)) {
            (Ok(rgb), Ok(rgba)) => Some(Self { rgb, rgba }),
            (Err(error), _) | (_, Err(error)) => {
                tracing::debug!(
                    ?error,
                    "icc profile gives no transform, treating the pixels as srgb"
                );
                None
            }
        }
    }

    /// Converts in place (through one scratch row buffer); alpha is carried over untouched.
    pub fn apply(&self, pixels: &mut Pixels) {
        let (data, channels, transform) = match pixels {
            Pixels::Opaque(image) => (&mut **image, 3, &self.rgb),
            Pixels::Translucent(image) => (&mut **image, 4, &self.rgba),
        };
        let row_len = (data.len() / channels).min(4096) * channels;
        if row_len == 0 {
            return;
        }
        let mut scratch = vec![0u8; row_len];
        for chunk in data.chunks_mut(row_len) {
            let out = &mut scratch[..chunk.len()];
            if transform.transform(chunk, out).is_ok() {
                chunk.copy_from_slice(out);
            }
        }
    }
}

/// Whether `icc` parses as a profile for RGB pixels (the only kind worth embedding in an RGB file).
pub(crate) fn is_rgb_profile(icc: &[u8]) -> bool {
    ColorProfile::new_from_slice(icc).is_ok_and(|p| p.color_space == DataColorSpace::Rgb)
}

/// Whether a profile is sRGB already, judged by its description tag as browsers effectively do: the
/// colorants of "sRGB IEC61966-2.1" profiles vary slightly between vendors, the name does not.
fn is_srgb(profile: &ColorProfile) -> bool {
    let description = format!("{:?}", profile.description).to_ascii_lowercase();
    description.contains("srgb")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{jpeg_info::jpeg_info, testdata};
    use image::RgbImage;

    fn profile_of(name: &str) -> Vec<u8> {
        jpeg_info(&testdata::read(name)).unwrap().icc.unwrap()
    }

    #[test]
    fn a_gamma_18_profile_is_converted() {
        // landscape_2..8 carry Apple's "Generic RGB" profile: gamma 1.8, so a stored mid grey is lighter
        // in sRGB numbers, and stays grey.
        let to_srgb = ToSrgb::from_icc(Some(&profile_of("photos/landscape_2.jpg")))
            .expect("generic rgb needs a transform");
        let mut pixels = Pixels::Opaque(RgbImage::from_pixel(2, 1, image::Rgb([128, 128, 128])));
        to_srgb.apply(&mut pixels);
        let Pixels::Opaque(out) = pixels else {
            panic!("stays opaque")
        };
        let [r, g, b] = out.get_pixel(1, 0).0;
        assert!(r > 138 && r < 160, "({r}, {g}, {b})");
        assert!(r.abs_diff(g) <= 3 && g.abs_diff(b) <= 3, "({r}, {g}, {b})");
    }

    #[test]
    fn alpha_is_carried_over() {
        let to_srgb = ToSrgb::from_icc(Some(&profile_of("photos/landscape_2.jpg"))).unwrap();
        let mut pixels = Pixels::Translucent(testdata::solid_rgba(3, 3, [128, 128, 128, 77]));
        to_srgb.apply(&mut pixels);
        let Pixels::Translucent(out) = pixels else {
            panic!("stays translucent")
        };
        let [r, _, _, a] = out.get_pixel(1, 1).0;
        assert!(r > 138, "converted: {r}");
        assert_eq!(a, 77, "alpha untouched");
    }

    #[test]
    fn missing_srgb_and_garbage_profiles_do_nothing() {
        assert!(ToSrgb::from_icc(None).is_none());
        assert!(ToSrgb::from_icc(Some(b"not a profile")).is_none());
        assert!(ToSrgb::from_icc(Some(&[0u8; 200])).is_none());
        let srgb = profile_of("photos/Canon_40D.jpg");
        assert!(
            ToSrgb::from_icc(Some(&srgb)).is_none(),
            "srgb needs nothing"
        );
    }
}
