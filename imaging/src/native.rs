//! [`NativePipeline`]: this crate as core's [`ImagePipeline`] port, what the composition root wires.

use darkroom_core::domain::{ImageFormat, OutputFormat};
use darkroom_core::imaging::{
    Header, ImagingError, Limits, Plan, Processed, Rendered, RenderedVariant,
};
use darkroom_core::ports::ImagePipeline;

use super::RenderSettings;

/// The image pipeline of this build (JPEG through libjpeg-turbo and HEIC/AVIF through libheif with the
/// `native-codecs` feature, pure-Rust codecs without it).
#[derive(Debug, Clone, Copy, Default)]
pub struct NativePipeline {
    settings: RenderSettings,
}

impl NativePipeline {
    /// Renders plans with the upload variants' shrink-on-load rule, on every core.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renders plans with `settings` (the upload jobs keep their own: libvips' rule, every core).
    pub fn with_settings(settings: RenderSettings) -> Self {
        Self { settings }
    }
}

impl ImagePipeline for NativePipeline {
    fn decodable_formats(&self) -> Vec<ImageFormat> {
        super::decodable_formats()
    }

    fn decodable(&self, format: ImageFormat) -> bool {
        super::decodable(format)
    }

    fn read_header(&self, bytes: &[u8], limits: &Limits) -> Result<Header, ImagingError> {
        super::read_header(bytes, limits)
    }

    fn process_upload(
        &self,
        original: &[u8],
        limits: &Limits,
        outputs: &[OutputFormat],
    ) -> Result<Processed, ImagingError> {
        super::process_upload(original, limits, outputs)
    }

    fn render_upload_variants(
        &self,
        original: &[u8],
        limits: &Limits,
        outputs: &[OutputFormat],
    ) -> Result<Vec<RenderedVariant>, ImagingError> {
        super::render_upload_variants(original, limits, outputs)
    }

    fn render(
        &self,
        source: &[u8],
        plan: &Plan,
        limits: &Limits,
    ) -> Result<Rendered, ImagingError> {
        super::render(source, plan, limits, self.settings)
    }

    fn check_plan(
        &self,
        plan: &Plan,
        width: u32,
        height: u32,
        limits: &Limits,
    ) -> Result<(u32, u32), ImagingError> {
        super::check_plan(plan, width, height, limits)
    }

    fn strip_metadata(&self, bytes: &[u8], format: ImageFormat) -> Result<Vec<u8>, ImagingError> {
        super::strip_metadata(bytes, format)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn serves_as_the_port() {
        let pipeline: Arc<dyn ImagePipeline> = Arc::new(NativePipeline::new());
        assert_eq!(pipeline.decodable_formats(), crate::decodable_formats());
        assert!(pipeline.decodable(ImageFormat::Jpeg));
        let err = pipeline
            .read_header(b"not an image", &Limits::default())
            .unwrap_err();
        assert_eq!(err.code(), "unsupported_media_type");
    }
}
