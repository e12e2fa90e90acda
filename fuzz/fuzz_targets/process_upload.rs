//! The decode entry point as the worker calls it: any bytes, the upload job's outputs. It must return Ok
//! or a coded error: never panic, hang or allocate past the limits.
#![no_main]

use darkroom_core::domain::OutputFormat;
use darkroom_core::imaging::{
    process_upload, read_header, thumbnail, Fit, Limits, ShrinkOnLoad, ThumbnailOptions,
};
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
    // The one-output path, shrunk on load the most.
    let options = ThumbnailOptions {
        width: 64,
        height: Some(64),
        fit: Fit::Cover,
        format: OutputFormat::Png,
        quality: None,
        effort: None,
        shrink_on_load: ShrinkOnLoad::Fast,
        threads: 2,
    };
    if let Err(error) = thumbnail(data, &limits, &options) {
        assert!(!error.code().is_empty());
    }
});
