//! From a checked header to upright, sRGB outputs: one decode (shrunk on load as far as the largest output
//! allows), every output resized from it, then turned upright and colour-converted. The worker's upload
//! variants and plans that start with a resize (`darkroom thumbnail`) both come through here.

use super::budget::Reservation;
use super::colour::ToSrgb;
use super::deadline::Deadline;
use super::decode::{swaps_sides, Probe};
use super::pixels::Pixels;
use super::shrink::ShrinkOnLoad;
use super::variants::{render_targets, Target};
use super::ImagingError;

/// Renders `targets` (sizes as seen upright) from `probe`, in the order given. The reservation returned
/// covers the outputs' encoding too: drop it when they are encoded.
pub(crate) fn render_upright(
    probe: Probe<'_>,
    targets: &[Target],
    rule: ShrinkOnLoad,
    threads: usize,
    deadline: &Deadline,
) -> Result<(Vec<Pixels>, Reservation), ImagingError> {
    let (width, height) = probe.upright_dimensions();
    let scale = targets
        .iter()
        .map(|t| t.scale(width, height))
        .fold(0.0, f64::max);
    let orientation = probe.orientation;
    let to_srgb = ToSrgb::from_icc(probe.icc.as_deref());
    let decoded = probe.decode(scale, rule, threads, deadline)?;
    tracing::debug!(
        denominator = decoded.denominator,
        scale,
        "decoded for rendering"
    );
    let rendered = render_decoded(&decoded.pixels, targets, orientation, to_srgb.as_ref())?;
    Ok((rendered, decoded.reservation))
}

/// The part after decoding: `pixels` are as stored, `targets` as seen upright.
pub(crate) fn render_decoded(
    pixels: &Pixels,
    targets: &[Target],
    orientation: image::metadata::Orientation,
    to_srgb: Option<&ToSrgb>,
) -> Result<Vec<Pixels>, ImagingError> {
    // Resize in the stored orientation, and turn only the (much smaller) outputs upright.
    let stored: Vec<Target> = if swaps_sides(orientation) {
        targets.iter().map(|t| t.transposed()).collect()
    } else {
        targets.to_vec()
    };
    let rendered = render_targets(pixels, &stored)?;
    Ok(rendered
        .into_iter()
        .map(|p| {
            let mut upright = p.without_unused_alpha().oriented(orientation);
            if let Some(to_srgb) = to_srgb {
                to_srgb.apply(&mut upright);
            }
            upright
        })
        .collect())
}
