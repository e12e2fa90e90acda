//! Image pipeline stage times as a wrapper of the pipeline port: each stage (the upload job's whole render,
//! the late formats' variants, a transformation's render, a header read, a metadata strip) timed by stage
//! and outcome into `pipeline_stage_duration_seconds`. The port's methods are the stages: CPU work whose
//! time is the job's, apart from the storage and database calls around it (timed by their own wrappers).

use std::sync::Arc;
use std::time::Instant;

use darkroom_core::domain::{ImageFormat, OutputFormat};
use darkroom_core::imaging::{
    Header, ImagingError, Limits, Plan, Processed, Rendered, RenderedVariant,
};
use darkroom_core::ports::ImagePipeline;

const METRIC: &str = "pipeline_stage_duration_seconds";

#[derive(Debug)]
pub struct MeteredPipeline {
    inner: Arc<dyn ImagePipeline>,
}

impl MeteredPipeline {
    pub fn new(inner: Arc<dyn ImagePipeline>) -> Self {
        metrics::describe_histogram!(
            METRIC,
            metrics::Unit::Seconds,
            "image pipeline stages (process_upload, late_variants, render, read_header, strip_metadata), by outcome"
        );
        Self { inner }
    }
}

fn timed<T>(
    stage: &'static str,
    run: impl FnOnce() -> Result<T, ImagingError>,
) -> Result<T, ImagingError> {
    let started = Instant::now();
    let result = run();
    let outcome = if result.is_ok() { "ok" } else { "refused" };
    metrics::histogram!(METRIC, "stage" => stage, "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
    result
}

impl ImagePipeline for MeteredPipeline {
    fn decodable_formats(&self) -> Vec<ImageFormat> {
        self.inner.decodable_formats()
    }

    fn decodable(&self, format: ImageFormat) -> bool {
        self.inner.decodable(format)
    }

    fn read_header(&self, bytes: &[u8], limits: &Limits) -> Result<Header, ImagingError> {
        timed("read_header", || self.inner.read_header(bytes, limits))
    }

    fn process_upload(
        &self,
        original: &[u8],
        limits: &Limits,
        outputs: &[OutputFormat],
    ) -> Result<Processed, ImagingError> {
        timed("process_upload", || {
            self.inner.process_upload(original, limits, outputs)
        })
    }

    fn render_upload_variants(
        &self,
        original: &[u8],
        limits: &Limits,
        outputs: &[OutputFormat],
    ) -> Result<Vec<RenderedVariant>, ImagingError> {
        timed("late_variants", || {
            self.inner.render_upload_variants(original, limits, outputs)
        })
    }

    fn render(
        &self,
        source: &[u8],
        plan: &Plan,
        limits: &Limits,
    ) -> Result<Rendered, ImagingError> {
        timed("render", || self.inner.render(source, plan, limits))
    }

    /// Not timed: arithmetic on sizes, no pixel touched.
    fn check_plan(
        &self,
        plan: &Plan,
        width: u32,
        height: u32,
        limits: &Limits,
    ) -> Result<(u32, u32), ImagingError> {
        self.inner.check_plan(plan, width, height, limits)
    }

    fn strip_metadata(&self, bytes: &[u8], format: ImageFormat) -> Result<Vec<u8>, ImagingError> {
        timed("strip_metadata", || {
            self.inner.strip_metadata(bytes, format)
        })
    }
}
