//! `darkroom thumbnail`: resizes local files with the very pipeline the worker runs on uploads, as a
//! one-resize plan (`ImagePipeline::render`), one file per thread, `--threads` at a time.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use darkroom_core::domain::OutputFormat;
use darkroom_core::imaging::{
    Fit, Gravity, ImagingError, Limits, Operation, Output, Plan, RenderedVariant, Resize,
};
use darkroom_core::ports::ImagePipeline;
use darkroom_imaging::{NativePipeline, RenderSettings, ShrinkOnLoad};

#[derive(Debug, clap::Args)]
pub struct ThumbnailArgs {
    /// Width of the box to fit into, in pixels.
    #[arg(long, required_unless_present = "upload_variants")]
    width: Option<u32>,
    /// Height of the box (default: unbounded for `inside`, the width for `cover` and `fill`).
    #[arg(long)]
    height: Option<u32>,
    #[arg(long, value_enum, default_value_t = FitArg::Inside)]
    fit: FitArg,
    #[arg(long, value_enum, default_value_t = FormatArg::Jpeg)]
    format: FormatArg,
    /// 1-100 on the format's own scale (default: as the upload variants, 82 for JPEG, 80 for WebP, 82 for
    /// AVIF).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: Option<u8>,
    /// WebP encoder effort, libwebp's `method`: 0 (fastest) to 6 (smallest). The default, 2, skips
    /// libwebp's rate-distortion search: 2.3x faster than 4 (the upload variants', and sharp's, default)
    /// for ~3% more bytes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=6))]
    effort: u8,
    /// Files processed at once (default: one per core). With fewer files in flight than cores, each
    /// large JPEG is decoded on the cores left over.
    #[arg(long)]
    threads: Option<usize>,
    /// How far a JPEG is shrunk while decoding: `fast` keeps the output size (sharp's default),
    /// `quality` twice the output size (libvips' rule, what upload variants use), `off` decodes it whole.
    #[arg(long, value_enum, default_value_t = ShrinkArg::Fast)]
    shrink_on_load: ShrinkArg,
    /// Directory the outputs go to, as `<file stem>.<format>`.
    #[arg(short = 'o', long = "out-dir")]
    out_dir: PathBuf,
    /// Instead of one thumbnail, run the worker's whole upload job on each file and write every variant
    /// (thumb, small, medium, large) as JPEG and WebP, named `<file stem>-<variant>.<format>`.
    #[arg(long, conflicts_with_all = ["width", "height", "fit", "format", "quality", "effort", "shrink_on_load"])]
    upload_variants: bool,
    /// With `--upload-variants`, also run the job that adds AVIF variants once an image is ready, and
    /// report the time of each job.
    #[arg(long, requires = "upload_variants")]
    avif_variants: bool,
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FitArg {
    Inside,
    Cover,
    Fill,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Jpeg,
    Webp,
    Avif,
    Png,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ShrinkArg {
    Fast,
    Quality,
    Off,
}

impl ThumbnailArgs {
    /// The thumbnail as a plan: one resize (sharp's fit names map to the plan's), one encode.
    fn plan(&self) -> Plan {
        let output = Output {
            format: match self.format {
                FormatArg::Jpeg => OutputFormat::Jpeg,
                FormatArg::Webp => OutputFormat::Webp,
                FormatArg::Avif => OutputFormat::Avif,
                FormatArg::Png => OutputFormat::Png,
            },
            quality: self.quality,
            effort: Some(self.effort),
        };
        Plan::new(output).then(Operation::Resize(Resize {
            width: Some(self.width.unwrap_or(1)),
            height: self.height,
            fit: match self.fit {
                FitArg::Inside => Fit::Fit,
                FitArg::Cover => Fit::Fill,
                FitArg::Fill => Fit::Force,
            },
            gravity: Gravity::Centre,
            enlarge: false,
            offset: (0, 0),
        }))
    }

    /// The pipeline with this run's shrink-on-load rule and the cores each decode may use.
    fn pipeline(&self, decode_threads: usize) -> NativePipeline {
        NativePipeline::with_settings(RenderSettings {
            shrink_on_load: match self.shrink_on_load {
                ShrinkArg::Fast => ShrinkOnLoad::Fast,
                ShrinkArg::Quality => ShrinkOnLoad::Quality,
                ShrinkArg::Off => ShrinkOnLoad::Off,
            },
            threads: decode_threads,
        })
    }
}

/// Processes every file; a file that fails is reported on stderr and the others still run.
pub fn run(args: &ThumbnailArgs) -> ExitCode {
    if let Err(err) = std::fs::create_dir_all(&args.out_dir) {
        eprintln!("darkroom: cannot create {}: {err}", args.out_dir.display());
        return ExitCode::FAILURE;
    }
    let limits = Limits::default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = args
        .threads
        .unwrap_or(cores)
        .clamp(1, args.files.len().max(1));
    let pipeline = args.pipeline((cores / threads).max(1));
    let plan = args.plan();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(file) = args.files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let done = if args.upload_variants {
                        variants(&pipeline, file, &args.out_dir, &limits, args.avif_variants)
                    } else {
                        one(&pipeline, file, &args.out_dir, &plan, &limits)
                    };
                    match done {
                        Ok(line) => println!("{line}"),
                        Err(err) => {
                            eprintln!("darkroom: {}: {err}", file.display());
                            failed.store(true, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    if failed.load(Ordering::Relaxed) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads a file, refusing an oversized one before reading it into memory.
fn read(file: &Path, limits: &Limits) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(file).map_err(|e| e.to_string())?.len();
    if size > limits.max_bytes {
        return Err(format!(
            "{size} bytes, more than the {} allowed",
            limits.max_bytes
        ));
    }
    std::fs::read(file).map_err(|e| e.to_string())
}

/// The worker's upload job on one file (JPEG and WebP, with the public original and placeholders) and,
/// with `avif`, the job that adds AVIF after `ready`, each timed.
fn variants(
    pipeline: &dyn ImagePipeline,
    file: &Path,
    out_dir: &Path,
    limits: &Limits,
    avif: bool,
) -> Result<String, String> {
    let bytes = read(file, limits)?;
    let stem = file
        .file_stem()
        .unwrap_or(file.as_os_str())
        .to_string_lossy();
    let started = Instant::now();
    let processed = pipeline
        .process_upload(&bytes, limits, &[OutputFormat::Jpeg, OutputFormat::Webp])
        .map_err(coded)?;
    let mut line = format!(
        "{} -> {}/{stem}-*.{{jpeg,webp}} ({} variants, {} bytes, {} ms)",
        file.display(),
        out_dir.display(),
        processed.variants.len(),
        write_variants(&processed.variants, out_dir, &stem)?,
        started.elapsed().as_millis()
    );
    if avif {
        let started = Instant::now();
        let avif = pipeline
            .render_upload_variants(&bytes, limits, &[OutputFormat::Avif])
            .map_err(coded)?;
        let took = started.elapsed().as_millis();
        let written = write_variants(&avif, out_dir, &stem)?;
        line += &format!("; {stem}-*.avif ({written} bytes, {took} ms)");
    }
    Ok(line)
}

/// Writes every encoding of `variants`; returns the bytes written.
fn write_variants(
    variants: &[RenderedVariant],
    out_dir: &Path,
    stem: &str,
) -> Result<usize, String> {
    let mut written = 0;
    for variant in variants {
        for (format, encoded) in &variant.encodings {
            let target = out_dir.join(format!("{stem}-{}.{}", variant.name, format.as_str()));
            std::fs::write(&target, encoded).map_err(|e| format!("{}: {e}", target.display()))?;
            written += encoded.len();
        }
    }
    Ok(written)
}

fn one(
    pipeline: &dyn ImagePipeline,
    file: &Path,
    out_dir: &Path,
    plan: &Plan,
    limits: &Limits,
) -> Result<String, String> {
    let bytes = read(file, limits)?;
    let out = pipeline.render(&bytes, plan, limits).map_err(coded)?;
    // Not `with_extension`: a stem like `photo.001` would lose its `.001`.
    let stem = file
        .file_stem()
        .unwrap_or(file.as_os_str())
        .to_string_lossy();
    let target = out_dir.join(format!("{stem}.{}", out.format.as_str()));
    std::fs::write(&target, &out.bytes).map_err(|e| format!("{}: {e}", target.display()))?;
    Ok(format!(
        "{} -> {} ({}x{}, {} bytes)",
        file.display(),
        target.display(),
        out.width,
        out.height,
        out.bytes.len()
    ))
}

/// A refusal as the user sees it: the stable code, then why.
fn coded(error: ImagingError) -> String {
    format!("{} ({error})", error.code())
}
