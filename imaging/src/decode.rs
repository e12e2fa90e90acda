//! One decode per image, in two steps: [`probe`] reads and checks the header (and what the decode will
//! cost), the caller decides the output sizes, then [`Probe::decode`] decodes once at the smallest scale
//! those sizes allow.

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder};

use super::budget::{reserve, Reservation};
use super::deadline::Deadline;
use super::header::{open, CheckedDecoder};
use super::jpeg_decode::{decode_jpeg, MAX_SCANS};
use super::jpeg_info::{jpeg_info, JpegInfo};
use super::pixels::Pixels;
use super::shrink::{jpeg_denominator, ShrinkOnLoad};
use super::{sniff, ImagingError, Limits};
use crate::domain::ImageFormat;
use darkroom_core::imaging::{check_dimensions, Header};

/// A header that passed every limit, with what decoding it needs.
pub(crate) struct Probe<'a> {
    pub header: Header,
    pub orientation: Orientation,
    pub icc: Option<Vec<u8>>,
    bytes: &'a [u8],
    limits: Limits,
    source: Source<'a>,
    /// For the general decoder: what the whole job is estimated to hold at its peak.
    image_job_bytes: u64,
}

enum Source<'a> {
    /// An ordinary 8-bit YCbCr or greyscale JPEG: decoded by our JPEG path, with DCT-domain shrinking.
    Jpeg(JpegInfo),
    /// Everything else, through the `image` crate's decoder (already positioned after the header).
    Image(CheckedDecoder<'a>),
    /// HEIC and AVIF, through libheif: decoded whole, and already upright.
    #[cfg(feature = "native-codecs")]
    Heif(super::heif::HeifSource<'a>),
}

impl std::fmt::Debug for Probe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("header", &self.header)
            .field("orientation", &self.orientation)
            .finish_non_exhaustive()
    }
}

/// The pixels of one decode, still as stored (not yet upright), maybe shrunk by `denominator`, and the
/// memory reserved for the job: keep it until the job's outputs are encoded.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub pixels: Pixels,
    pub denominator: u32,
    pub reservation: Reservation,
}

/// What resizing and encoding add to the decoded buffer, beyond what scales with it: the encoders'
/// own buffers and the smaller variants. Measured at about 20 MiB for a 12 Mpx upload's eight encodings.
const RENDER_OVERHEAD: u64 = 24 << 20;

/// A job's estimated peak: the upload (held by the caller and, for the public original, copied), what
/// the decoder holds besides its output (`extra`), the 8-bit decoded buffer, and half of it again for
/// the resize's intermediate rows and the larger variants.
fn job_bytes(input: usize, decoded: u64, extra: u64) -> u64 {
    2 * input as u64 + extra + decoded + decoded / 2 + RENDER_OVERHEAD
}

/// Checks everything the header tells before a pixel is decoded: bytes, dimensions, pixel count, and the
/// memory the decode would need (the upload itself included) against `limits.max_decode_alloc`.
pub(crate) fn probe<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Probe<'a>, ImagingError> {
    #[cfg(feature = "native-codecs")]
    if let Some(format) = super::heif::format_of(bytes) {
        return probe_heif(bytes, limits, format);
    }
    if sniff(bytes) == Some(ImageFormat::Jpeg) {
        if let Some(info) = jpeg_info(bytes).filter(fast_path_handles) {
            return probe_jpeg(bytes, limits, info);
        }
    }
    let (header, mut decoder) = open(bytes, limits)?;
    // A broken EXIF block must not sink an otherwise good image: it only costs us the orientation.
    let orientation = decoder.orientation().unwrap_or_else(|error| {
        tracing::debug!(%error, "unreadable exif orientation, keeping the image as stored");
        Orientation::NoTransforms
    });
    let icc = decoder.icc_profile().ok().flatten();
    let decoded = decoder.total_bytes();
    let pixels = u64::from(header.width) * u64::from(header.height);
    // Anything but 8-bit RGB(A) is converted to it after decoding, the source buffer still alive.
    let job = match decoder.color_type() {
        image::ColorType::Rgb8 | image::ColorType::Rgba8 => job_bytes(bytes.len(), decoded, 0),
        _ => job_bytes(bytes.len(), pixels * 4, decoded),
    };
    check_budget(limits, job, &header)?;
    Ok(Probe {
        header,
        orientation,
        icc,
        bytes,
        limits: *limits,
        source: Source::Image(decoder),
        image_job_bytes: job,
    })
}

/// Checks the header and decodes the whole image at its original bit depth, upright (a TIFF's public
/// original is re-encoded from this).
pub(crate) fn decode_upright(bytes: &[u8], limits: &Limits) -> Result<DynamicImage, ImagingError> {
    let probe = probe(bytes, limits)?;
    let orientation = probe.orientation;
    let (mut image, _reservation) =
        probe.decode_full_depth(&Deadline::start(limits.max_duration))?;
    image.apply_orientation(orientation);
    Ok(image)
}

#[cfg(feature = "native-codecs")]
fn probe_heif<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    format: ImageFormat,
) -> Result<Probe<'a>, ImagingError> {
    let (header, icc, source) = super::heif::open(bytes, format, limits)?;
    let pixels = u64::from(header.width) * u64::from(header.height);
    let job = job_bytes(
        bytes.len(),
        pixels * source.channels(),
        source.working_bytes(),
    );
    check_budget(limits, job, &header)?;
    Ok(Probe {
        header,
        // libheif has already applied the container's rotation and mirroring to the pixels and the
        // dimensions; EXIF orientation must not turn them a second time.
        orientation: Orientation::NoTransforms,
        icc,
        bytes,
        limits: *limits,
        source: Source::Heif(source),
        image_job_bytes: job,
    })
}

/// CMYK, 12-bit, lossless, arithmetic-coded and hierarchical JPEGs go the general way.
fn fast_path_handles(info: &JpegInfo) -> bool {
    info.precision == 8 && !info.unusual && matches!(info.components.len(), 1 | 3)
}

fn probe_jpeg<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    info: JpegInfo,
) -> Result<Probe<'a>, ImagingError> {
    let actual = bytes.len() as u64;
    if actual > limits.max_bytes {
        return Err(ImagingError::TooManyBytes {
            actual,
            max: limits.max_bytes,
        });
    }
    let header = Header {
        format: ImageFormat::Jpeg,
        width: info.width,
        height: info.height,
    };
    check_dimensions(&header, limits)?;
    if info.scans > MAX_SCANS {
        return Err(ImagingError::DecodeLimitExceeded(format!(
            "progressive jpeg with {} scans, more than the {MAX_SCANS} allowed",
            info.scans
        )));
    }
    // The least it can cost, at 1/8 scale: what the decode costs at the scale its outputs need is
    // known once they are (`Probe::decode`).
    let smallest = u64::from(info.width.div_ceil(8)) * u64::from(info.height.div_ceil(8)) * 3;
    check_budget(
        limits,
        job_bytes(bytes.len(), smallest, info.coefficient_bytes()),
        &header,
    )?;
    Ok(Probe {
        header,
        orientation: Orientation::from_exif(info.orientation).unwrap_or(Orientation::NoTransforms),
        icc: info.icc.clone(),
        bytes,
        limits: *limits,
        source: Source::Jpeg(info),
        image_job_bytes: 0,
    })
}

fn check_budget(limits: &Limits, needed: u64, header: &Header) -> Result<(), ImagingError> {
    if needed > limits.max_decode_alloc {
        return Err(ImagingError::DecodeLimitExceeded(format!(
            "{} needs about {} MiB to process, more than the {} MiB allowed",
            describe(header),
            needed >> 20,
            limits.max_decode_alloc >> 20
        )));
    }
    Ok(())
}

fn describe(header: &Header) -> String {
    format!("a {}x{} {}", header.width, header.height, header.format)
}

impl Probe<'_> {
    /// The size once turned upright.
    pub fn upright_dimensions(&self) -> (u32, u32) {
        if swaps_sides(self.orientation) {
            (self.header.height, self.header.width)
        } else {
            (self.header.width, self.header.height)
        }
    }

    /// Decodes once. `scale` is the largest output's size relative to the image (output pixels per source
    /// pixel); a JPEG is shrunk in the DCT domain as far as `rule` allows for it.
    /// A large JPEG with restart markers is decoded on up to `threads` cores.
    /// Memory for the job is reserved from the process-wide pool first (see `budget`), waiting for other
    /// jobs if need be; where libvips' 2x headroom would not fit the pool, the JPEG is shrunk further,
    /// down to the outputs' own size (sharp's default), rather than refused.
    pub fn decode(
        self,
        scale: f64,
        rule: ShrinkOnLoad,
        threads: usize,
        deadline: &Deadline,
    ) -> Result<Decoded, ImagingError> {
        let pool = self.limits.max_decode_alloc;
        let what = describe(&self.header);
        match self.source {
            Source::Jpeg(info) => {
                let input = self.bytes.len();
                let estimate = |d: u32| {
                    let pixels =
                        u64::from(info.width.div_ceil(d)) * u64::from(info.height.div_ceil(d)) * 3;
                    // libjpeg-turbo decodes each strip into its place in the one buffer; jpeg-decoder
                    // returns each strip in a buffer of its own, held beside the stacked image.
                    let strips = if threads > 1 && !cfg!(feature = "native-codecs") {
                        pixels
                    } else {
                        0
                    };
                    job_bytes(input, pixels, info.coefficient_bytes() + strips)
                };
                let mut denominator = jpeg_denominator(info.width, info.height, scale, rule);
                if estimate(denominator) > pool {
                    let fast = jpeg_denominator(info.width, info.height, scale, ShrinkOnLoad::Fast);
                    denominator = denominator.max(fast);
                }
                let reservation = reserve(estimate(denominator), pool, &what, deadline)?;
                match decode_jpeg(self.bytes, &info, denominator, threads) {
                    Ok(rgb) => Ok(Decoded {
                        pixels: rgb,
                        denominator,
                        reservation,
                    }),
                    // Damage the fast decoder will not get past may still be decodable, as far as it goes,
                    // by the general one (which also decides how to report it).
                    Err(error) => {
                        tracing::debug!(%error, "jpeg fast path failed, trying the general decoder");
                        drop(reservation);
                        let full = u64::from(info.width) * u64::from(info.height) * 3;
                        let reservation =
                            reserve(job_bytes(input, full, 0), pool, &what, deadline)?;
                        let (_, decoder) = open(self.bytes, &self.limits)?;
                        decode_image(decoder).map(|image| Decoded {
                            pixels: Pixels::from_image(image),
                            denominator: 1,
                            reservation,
                        })
                    }
                }
            }
            Source::Image(decoder) => {
                let reservation = reserve(self.image_job_bytes, pool, &what, deadline)?;
                decode_image(decoder).map(|image| Decoded {
                    pixels: Pixels::from_image(image),
                    denominator: 1,
                    reservation,
                })
            }
            #[cfg(feature = "native-codecs")]
            Source::Heif(source) => {
                let reservation = reserve(self.image_job_bytes, pool, &what, deadline)?;
                // libheif cannot be interrupted once decoding: a job already out of time stops here.
                deadline.check("waiting for memory")?;
                source.decode().map(|image| Decoded {
                    pixels: Pixels::from_image(image),
                    denominator: 1,
                    reservation,
                })
            }
        }
    }

    /// Decodes at full size and original bit depth (a TIFF's public original is rebuilt from this).
    pub fn decode_full_depth(
        self,
        deadline: &Deadline,
    ) -> Result<(DynamicImage, Reservation), ImagingError> {
        let what = describe(&self.header);
        let (decoder, job) = match self.source {
            Source::Image(decoder) => (decoder, self.image_job_bytes),
            #[cfg(feature = "native-codecs")]
            Source::Heif(source) => {
                let reservation = reserve(
                    self.image_job_bytes,
                    self.limits.max_decode_alloc,
                    &what,
                    deadline,
                )?;
                deadline.check("waiting for memory")?;
                return Ok((source.decode()?, reservation));
            }
            Source::Jpeg(info) => {
                let full = u64::from(info.width) * u64::from(info.height) * 3;
                let (_, decoder) = open(self.bytes, &self.limits)?;
                (decoder, job_bytes(self.bytes.len(), full, 0))
            }
        };
        let reservation = reserve(job, self.limits.max_decode_alloc, &what, deadline)?;
        Ok((decode_image(decoder)?, reservation))
    }
}

fn decode_image(decoder: CheckedDecoder<'_>) -> Result<DynamicImage, ImagingError> {
    DynamicImage::from_decoder(decoder).map_err(crate::decode_error::from_decode)
}

pub(crate) fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}
