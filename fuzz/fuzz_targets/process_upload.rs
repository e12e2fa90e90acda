//! The decode entry point as the worker calls it: any bytes, the upload job's outputs. It must return Ok
//! or a coded error: never panic, hang or allocate past the limits.
#![no_main]

use darkroom_core::domain::OutputFormat;
use darkroom_core::imaging::{Fit, Limits, Operation, Output, Plan, Resize};
use darkroom_imaging::{process_upload, read_header, render, RenderSettings, ShrinkOnLoad};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Smaller than the server's limits so each input is quick; the checks are the same code.
    let limits = Limits {
        max_pixels: 4_000_000,
        max_decode_alloc: 64 << 20,
        max_frames: 100,
        ..Limits::default()
    };
    let header = read_header(data, &limits);
    match process_upload(data, &limits, &[OutputFormat::Jpeg, OutputFormat::Webp]) {
        Ok(processed) => {
            assert!(header.is_ok(), "decoded what the header check refused");
            assert!(!processed.variants.is_empty());
        }
        Err(error) => assert!(!error.code().is_empty()),
    }
    // The one-output path (a plan), shrunk on load the most.
    let plan = Plan::new(Output::new(OutputFormat::Png))
        .then(Operation::Resize(Resize::to(64, 64, Fit::Fill)));
    let settings = RenderSettings {
        shrink_on_load: ShrinkOnLoad::Fast,
        threads: 2,
    };
    if let Err(error) = render(data, &plan, &limits, settings) {
        assert!(!error.code().is_empty());
    }
});
