//! The image pipeline's policy: what core decides about images, with no codec in sight.
//!
//! The pipeline itself (decoders, resizers, encoders, libheif) is the `darkroom-imaging` crate, reached
//! through the [`ImagePipeline`](crate::ports::ImagePipeline) port and wired by the composition root like
//! any adapter. What stays here is what the product decides: the [`Limits`] an upload must keep, the
//! [`UPLOAD_VARIANTS`] every image gets, the [`Plan`] a rendering follows, the results and the
//! [`ImagingError`] (with the stable codes the API shows), the format a public original is served in,
//! and [`sniff`]: magic bytes are pure, and the upload path needs them while the body streams.

mod colour_names;
mod edit_plan;
mod error;
mod facts;
mod limits;
mod original;
mod outcome;
mod plan;
mod sniff;
mod tags;
mod variants;

pub use colour_names::{colour_name, COLOUR_NAMES};
pub use edit_plan::{edit_output, edit_plan, watermark_images, DEFAULT_BACKGROUND};
pub use error::ImagingError;
pub use facts::{ImageFacts, PaletteColour};
pub use limits::{check_dimensions, Header, Limits};
pub use original::public_original_format;
pub use outcome::{Processed, Rendered, RenderedVariant};
pub use plan::{
    Fit, Flip, Gravity, MarkLayout, MarkSize, Operation, Output, Overlay, Plan, Resize, RgbaMark,
};
pub use sniff::{sniff, SNIFF_LEN};
pub use tags::auto_tags;
pub use variants::{fit_within, VariantSpec, UPLOAD_VARIANTS};
