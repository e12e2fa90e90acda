//! Criterion benches of the image pipeline on the 12 Mpx phone photo: each stage, the 800 px thumbnail
//! (JPEG and WebP, fast and quality shrink-on-load), and the whole upload-variants job.
//!
//! `cargo bench -p darkroom-imaging --bench imaging` (add `--features native-codecs` for libjpeg-turbo).
//! Absolute times depend on the machine; compare runs on the same machine, or use bench/compare.sh for
//! ratios against sharp and libvips measured in the same run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use darkroom_core::domain::OutputFormat;
use darkroom_core::imaging::{Fit, Limits, Operation, Output, Plan, Resize};
use darkroom_imaging::{process_upload, read_header, render, stages, RenderSettings, ShrinkOnLoad};

fn photo() -> Vec<u8> {
    // The shared test photos: `DARKROOM_TESTDATA` when set, else `../shared/testdata` beside the repository.
    let dir = std::env::var("DARKROOM_TESTDATA").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata").to_owned()
    });
    let path = format!("{dir}/photos/iphone_4032x3024.jpg");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn stages_bench(c: &mut Criterion) {
    let bytes = photo();
    let mut group = c.benchmark_group("stages");
    group.bench_function("read_header", |b| {
        b.iter(|| read_header(black_box(&bytes), &Limits::default()))
    });
    for (name, scale) in [
        ("decode 1/1", 1.0),
        ("decode 1/2", 0.5),
        ("decode 1/4", 0.25),
        ("decode 1/8", 0.125),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| stages::decode(black_box(&bytes), scale, ShrinkOnLoad::Fast, 1))
        });
    }
    group.bench_function("decode 1/4 on every core (restart strips)", |b| {
        b.iter(|| stages::decode(black_box(&bytes), 0.25, ShrinkOnLoad::Fast, 0))
    });
    let quarter = stages::decode(&bytes, 0.25, ShrinkOnLoad::Fast, 1).expect("decodes");
    let full = stages::decode(&bytes, 1.0, ShrinkOnLoad::Off, 1).expect("decodes");
    group.bench_function("resize 1008x756 -> 800x600", |b| {
        b.iter(|| stages::resize_to(black_box(&quarter), 800, 600))
    });
    group.bench_function("resize 4032x3024 -> 2048x1536", |b| {
        b.iter(|| stages::resize_to(black_box(&full), 2048, 1536))
    });
    let small = stages::resize_to(&quarter, 800, 600).expect("resizes");
    for (name, format) in [
        ("encode jpeg q80 800x600", OutputFormat::Jpeg),
        ("encode webp q80 800x600", OutputFormat::Webp),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| stages::encode(black_box(&small), format, Some(80)))
        });
    }
    group.finish();
}

fn thumbnail_bench(c: &mut Criterion) {
    let bytes = photo();
    let mut group = c.benchmark_group("thumbnail 12 Mpx");
    for (name, width, format, rule) in [
        ("800 jpeg fast", 800, OutputFormat::Jpeg, ShrinkOnLoad::Fast),
        (
            "800 jpeg quality",
            800,
            OutputFormat::Jpeg,
            ShrinkOnLoad::Quality,
        ),
        ("400 jpeg fast", 400, OutputFormat::Jpeg, ShrinkOnLoad::Fast),
        ("800 webp fast", 800, OutputFormat::Webp, ShrinkOnLoad::Fast),
    ] {
        // One core, as in a worker already busy on every core; the strip-split decode is benched above.
        let plan = Plan {
            operations: vec![Operation::Resize(Resize {
                width: Some(width),
                height: None,
                fit: Fit::Fit,
                gravity: Default::default(),
                enlarge: false,
                offset: (0, 0),
            })],
            output: Output {
                format,
                quality: Some(80),
                effort: None,
            },
            overlays: Vec::new(),
        };
        let settings = RenderSettings {
            shrink_on_load: rule,
            threads: 1,
        };
        group.bench_function(name, |b| {
            b.iter(|| render(black_box(&bytes), &plan, &Limits::default(), settings))
        });
    }
    group.finish();
}

fn upload_bench(c: &mut Criterion) {
    let bytes = photo();
    let mut group = c.benchmark_group("upload variants 12 Mpx");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("4 sizes x jpeg+webp", |b| {
        b.iter(|| {
            process_upload(
                black_box(&bytes),
                &Limits::default(),
                &[OutputFormat::Jpeg, OutputFormat::Webp],
            )
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1));
    targets = stages_bench, thumbnail_bench, upload_bench
}
criterion_main!(benches);
