//! The whole upload job: header check, one decode, orientation, variants, placeholders, public original.

use image::metadata::Orientation::NoTransforms;

use super::capture::read_capture;
use super::colour::ToSrgb;
use super::deadline::Deadline;
use super::decode::probe;
use super::encode::encode;
use super::frames::frame_count;
use super::pixels::Pixels;
use super::placeholder::placeholders;
use super::render::{render_decoded, render_upright};
use super::shrink::ShrinkOnLoad;
use super::strip::{rebuild_original, rebuilt_from_pixels, strip_metadata};
use super::variants::{target, Target};
use super::{ImagingError, Limits, Processed, RenderedVariant, UPLOAD_VARIANTS};
use crate::domain::OutputFormat;
use darkroom_core::imaging::ImageFacts;

/// The whole upload job: header check, one decode, orientation, every variant in every `outputs` format.
///
/// The decode is shrunk on load (JPEG) as far as the largest variant allows with libvips' 2x headroom, and
/// every variant is resized from that one buffer. Formats this build cannot encode (see
/// [`super::encodable`]) are skipped, so a variant's `encodings` may hold fewer entries than `outputs`.
/// Animated GIF and WebP give still variants of their first frame; the public original keeps the animation.
/// The facts the automatic tags are made of come from that same decode (transparency, palette) and from
/// the container and its EXIF block, read without decoding (frames, camera, shooting time).
pub fn process_upload(
    bytes: &[u8],
    limits: &Limits,
    outputs: &[OutputFormat],
) -> Result<Processed, ImagingError> {
    let deadline = Deadline::start(limits.max_duration);
    let probe = probe(bytes, limits)?;
    let format = probe.header.format;
    let (width, height) = probe.upright_dimensions();
    let targets = upload_targets(width, height);

    let (public_original, rendered, _reservation) = if rebuilt_from_pixels(format) {
        // TIFF, HEIC and AVIF public originals are rebuilt from their pixels: decode once, at full size.
        let to_srgb = ToSrgb::from_icc(probe.icc.as_deref());
        let icc = probe.icc.clone();
        let orientation = probe.orientation;
        let (mut image, reservation) = probe.decode_full_depth(&deadline)?;
        image.apply_orientation(orientation);
        let public_original = rebuild_original(&image, format, icc.as_deref())?;
        let pixels = Pixels::from_image(image);
        let rendered = render_decoded(&pixels, &targets, NoTransforms, to_srgb.as_ref())?;
        (public_original, rendered, reservation)
    } else {
        let public_original = strip_metadata(bytes, format)?;
        let (rendered, reservation) =
            render_upright(probe, &targets, ShrinkOnLoad::Quality, cores(), &deadline)?;
        (public_original, rendered, reservation)
    };

    deadline.check("decode and resize")?;

    // The placeholders start from the smallest whole-image variant: it already is a clean downscale.
    let smallest_whole = rendered
        .iter()
        .zip(&UPLOAD_VARIANTS)
        .filter(|(_, spec)| !spec.square)
        .min_by_key(|(_, spec)| spec.edge)
        .map(|(pixels, _)| pixels)
        .ok_or_else(|| ImagingError::encode_failed("variant", "no whole-image variant"))?;
    let placeholders = placeholders(smallest_whole)?;
    // The largest variant holds the most of the alpha channel (each had its unused alpha dropped).
    let transparent = rendered.iter().any(|p| matches!(p, Pixels::Translucent(_)));
    let facts = ImageFacts {
        frames: frame_count(bytes, format),
        transparent,
        palette: placeholders.palette,
        capture: read_capture(bytes, format),
    };

    let variants = encode_variants(&rendered, outputs, &deadline)?;

    Ok(Processed {
        format,
        width,
        height,
        variants,
        blurhash: placeholders.blurhash,
        dominant_color: placeholders.dominant_color,
        public_original,
        facts,
    })
}

/// Only the upload variants, in `outputs`: the same header check, shrunk decode, sizes and encoders as
/// [`process_upload`], without the public original and the placeholders. For formats made after the image
/// is ready (AVIF, whose encoder is too slow to hold up `ready`): its variants match the earlier ones
/// pixel for pixel in size.
pub fn render_upload_variants(
    bytes: &[u8],
    limits: &Limits,
    outputs: &[OutputFormat],
) -> Result<Vec<RenderedVariant>, ImagingError> {
    let deadline = Deadline::start(limits.max_duration);
    let probe = probe(bytes, limits)?;
    let (width, height) = probe.upright_dimensions();
    let targets = upload_targets(width, height);
    let (rendered, _reservation) =
        render_upright(probe, &targets, ShrinkOnLoad::Quality, cores(), &deadline)?;
    deadline.check("decode and resize")?;
    encode_variants(&rendered, outputs, &deadline)
}

/// The size of every `UPLOAD_VARIANTS` entry for an upright `width` x `height` image, in that order.
fn upload_targets(width: u32, height: u32) -> Vec<Target> {
    UPLOAD_VARIANTS
        .iter()
        .map(|spec| target(spec, width, height))
        .collect()
}

/// Encodes the rendered `UPLOAD_VARIANTS` (in that order) in every `outputs` format.
fn encode_variants(
    rendered: &[Pixels],
    outputs: &[OutputFormat],
    deadline: &Deadline,
) -> Result<Vec<RenderedVariant>, ImagingError> {
    let encodings = encode_all(rendered, outputs, deadline)?;
    Ok(UPLOAD_VARIANTS
        .iter()
        .zip(rendered)
        .zip(encodings)
        .map(|((spec, pixels), encodings)| {
            let (width, height) = pixels.dimensions();
            RenderedVariant {
                name: spec.name,
                width,
                height,
                encodings,
            }
        })
        .collect())
}

/// One variant's encodings, in the order of the requested outputs.
type Encodings = Vec<(OutputFormat, Vec<u8>)>;

/// Encodes every variant in every output format, the encodings spread over the cores: they are most of
/// an upload's cost (a 2048 px WebP alone takes longer than decoding a 12 Mpx JPEG), and sharp runs its
/// outputs in parallel too. Largest first, so the longest encode starts at once.
fn encode_all(
    rendered: &[Pixels],
    outputs: &[OutputFormat],
    deadline: &Deadline,
) -> Result<Vec<Encodings>, ImagingError> {
    let mut formats: Vec<OutputFormat> = Vec::with_capacity(outputs.len());
    for &output in outputs {
        if !formats.contains(&output) {
            formats.push(output);
        }
    }
    let mut tasks: Vec<(usize, usize)> = (0..rendered.len())
        .flat_map(|v| (0..formats.len()).map(move |f| (v, f)))
        .collect();
    let area = |v: usize| {
        let (w, h) = rendered[v].dimensions();
        u64::from(w) * u64::from(h)
    };
    tasks.sort_by_key(|&(v, _)| std::cmp::Reverse(area(v)));

    let threads = cores().min(tasks.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(&(v, f)) = tasks.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
        {
            deadline.check("encode")?;
            done.push((v, f, encode(&rendered[v], formats[f])?));
        }
        Ok::<_, ImagingError>(done)
    };
    let results: Vec<Result<_, ImagingError>> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(ImagingError::encode_failed(
                            "variant",
                            "an encoder panicked",
                        ))
                    })
                })
                .collect()
        })
    };

    let mut by_variant: Vec<Vec<Option<Vec<u8>>>> = vec![vec![None; formats.len()]; rendered.len()];
    for result in results {
        for (v, f, encoded) in result? {
            by_variant[v][f] = encoded;
        }
    }
    // In the order of `outputs`, skipping what this build cannot encode.
    Ok(by_variant
        .into_iter()
        .map(|encoded| {
            formats
                .iter()
                .zip(encoded)
                .filter_map(|(format, bytes)| bytes.map(|b| (*format, b)))
                .collect()
        })
        .collect())
}

/// The cores one upload may use: the worker runs uploads one after another on its blocking pool, and an
/// upload's wait is what a user sees.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
