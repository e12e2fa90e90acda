//! imgproxy's processing-option syntax: `/{option}:{arg}:{arg}/…/{id}[.{ext}]` or `/…/plain/{id}[@{ext}]`,
//! where the source is a Darkroom image id. Every option is checked against the policy here, so a
//! request outside it is refused before anything is read or decoded.

use std::collections::HashMap;

use super::options::{
    compass, CropOption, ExtendOption, ResizingType, TransformOptions, WatermarkOption,
};
use crate::domain::{parse_hex_colour, ImageId, OutputFormat};
use crate::imaging::{Gravity, Limits};

/// How deep presets may name presets, so a preset that names itself ends.
const PRESET_DEPTH: u8 = 4;

/// What transformations may ask for.
#[derive(Debug, Clone)]
pub struct TransformPolicy {
    /// Output sides and pixels are held to the ingest limits.
    pub limits: Limits,
    /// The largest blur sigma, in output pixels.
    pub max_blur: f32,
    /// The largest sharpen sigma, in output pixels.
    pub max_sharpen: f32,
    /// Named option lists (`pr:name`), each as its URL segments (`rs:fill:300:300`, `q:80`). One named
    /// `default` applies to every request first, as imgproxy's does.
    pub presets: HashMap<String, Vec<String>>,
    /// Only presets may be named: `pr:a:b`, or the names themselves as a segment (`a:b`).
    pub only_presets: bool,
    /// A watermark image is configured (`transform_watermark_path`), so `wm` may be asked for.
    pub watermark: bool,
}

impl Default for TransformPolicy {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            max_blur: 100.0,
            max_sharpen: 10.0,
            presets: HashMap::new(),
            only_presets: false,
            watermark: false,
        }
    }
}

impl TransformPolicy {
    /// Parses `presets` given as `name` → options separated by `/` (`rs:fill:300:300/q:80`), checking
    /// each against this policy.
    pub fn with_presets(mut self, presets: &HashMap<String, String>) -> Result<Self, String> {
        for (name, options) in presets {
            let segments: Vec<String> = options
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            self.presets.insert(name.clone(), segments);
        }
        for name in self.presets.keys() {
            let mut options = TransformOptions::default();
            let mut expires = None;
            apply_preset(name, &mut options, &mut expires, &self, 0)
                .and_then(|()| check(&options, &self))
                .map_err(|e| format!("transform preset {name}: {e}"))?;
        }
        Ok(self)
    }
}

/// A parsed transformation URL.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformRequest {
    pub image: ImageId,
    pub options: TransformOptions,
    /// Unix seconds after which the URL is refused (`exp`).
    pub expires: Option<i64>,
}

/// Parses the path after the signature segment (leading `/` included). The error says what is wrong.
pub fn parse(path: &str, policy: &TransformPolicy) -> Result<TransformRequest, String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (option_segments, image, extension) = match segments.iter().position(|s| *s == "plain") {
        Some(at) => {
            let source = segments[at + 1..].join("/");
            let (id, ext) = match source.split_once('@') {
                Some((id, ext)) => (id.to_owned(), Some(ext.to_owned())),
                None => (source, None),
            };
            (&segments[..at], id, ext)
        }
        None => {
            let (last, options) = segments
                .split_last()
                .ok_or_else(|| "the image id is missing".to_owned())?;
            let (id, ext) = match last.split_once('.') {
                Some((id, ext)) => (id.to_owned(), Some(ext.to_owned())),
                None => ((*last).to_owned(), None),
            };
            (options, id, ext)
        }
    };
    let image: ImageId = image
        .parse()
        .map_err(|_| format!("{image:?} is not an image id"))?;
    let mut options = TransformOptions::default();
    let mut expires = None;
    if policy.presets.contains_key("default") {
        apply_preset("default", &mut options, &mut expires, policy, 0)?;
    }
    for segment in option_segments.iter().filter(|s| !s.is_empty()) {
        let (name, args) = segment.split_once(':').unwrap_or((segment, ""));
        let args: Vec<&str> = args.split(':').collect();
        if policy.only_presets {
            // Either `pr:a:b` or the bare names `a:b`.
            let names = match name {
                "pr" | "preset" => args,
                _ => segment.split(':').collect(),
            };
            for preset in names {
                apply_preset(preset, &mut options, &mut expires, policy, 0)?;
            }
        } else {
            apply(name, &args, &mut options, &mut expires, policy, 0)?;
        }
    }
    if let Some(ext) = extension.filter(|e| !e.is_empty()) {
        options.format = format(&ext)?;
    }
    check(&options, policy)?;
    Ok(TransformRequest {
        image,
        options,
        expires,
    })
}

fn apply_preset(
    name: &str,
    options: &mut TransformOptions,
    expires: &mut Option<i64>,
    policy: &TransformPolicy,
    depth: u8,
) -> Result<(), String> {
    let segments = policy
        .presets
        .get(name)
        .ok_or_else(|| format!("no preset named {name:?}"))?;
    if depth >= PRESET_DEPTH {
        return Err(format!(
            "presets nest deeper than {PRESET_DEPTH} at {name:?}"
        ));
    }
    for segment in segments {
        let (option, args) = segment.split_once(':').unwrap_or((segment, ""));
        let args: Vec<&str> = args.split(':').collect();
        apply(option, &args, options, expires, policy, depth + 1)?;
    }
    Ok(())
}

/// Applies one option. An empty argument leaves that setting as it was, as imgproxy's do.
fn apply(
    name: &str,
    args: &[&str],
    o: &mut TransformOptions,
    expires: &mut Option<i64>,
    policy: &TransformPolicy,
    depth: u8,
) -> Result<(), String> {
    let arg = |i: usize| args.get(i).copied().filter(|a| !a.is_empty());
    let at_most = |n: usize| {
        if args.len() > n {
            Err(format!("{name} takes at most {n} arguments"))
        } else {
            Ok(())
        }
    };
    match name {
        "resize" | "rs" => {
            // type, width, height, enlarge, then extend's own four.
            at_most(8)?;
            if let Some(kind) = arg(0) {
                o.resizing_type = resizing_type(kind)?;
            }
            size(&args[1.min(args.len())..], o)?;
        }
        "size" | "s" => {
            at_most(7)?;
            size(args, o)?;
        }
        "resizing_type" | "rt" => {
            at_most(1)?;
            o.resizing_type = resizing_type(arg(0).unwrap_or("fit"))?;
        }
        "width" | "w" => {
            at_most(1)?;
            o.width = number(arg(0).unwrap_or("0"), "width")?;
        }
        "height" | "h" => {
            at_most(1)?;
            o.height = number(arg(0).unwrap_or("0"), "height")?;
        }
        "enlarge" | "el" => {
            at_most(1)?;
            o.enlarge = boolean(arg(0).unwrap_or("1"))?;
        }
        "gravity" | "g" => (o.gravity, o.gravity_offset) = gravity(args)?,
        "crop" | "c" => {
            let width = number(arg(0).unwrap_or("0"), "crop width")?;
            let height = number(arg(1).unwrap_or("0"), "crop height")?;
            let (gravity, offset) = match args
                .get(2..)
                .filter(|rest| rest.iter().any(|a| !a.is_empty()))
            {
                Some(rest) => {
                    let (gravity, offset) = gravity(rest)?;
                    (Some(gravity), offset)
                }
                None => (None, (0, 0)),
            };
            o.crop = (width != 0 || height != 0).then_some(CropOption {
                width,
                height,
                gravity,
                offset,
            });
        }
        "extend" | "ex" => o.extend = extend(args)?,
        "extend_aspect_ratio" | "extend_ar" | "exar" => o.extend_aspect_ratio = extend(args)?,
        "watermark" | "wm" => {
            at_most(5)?;
            o.watermark = watermark(args, policy)?;
        }
        "quality" | "q" => {
            at_most(1)?;
            let q: u32 = number(arg(0).unwrap_or("0"), "quality")?;
            if q > 100 {
                return Err(format!("quality is 1 to 100 (0 for the default), not {q}"));
            }
            o.quality = (q != 0).then_some(q as u8);
        }
        "format" | "f" | "ext" => {
            at_most(1)?;
            o.format = format(arg(0).unwrap_or("auto"))?;
        }
        "blur" | "bl" => {
            at_most(1)?;
            o.blur = sigma(arg(0).unwrap_or("0"), "blur", policy.max_blur)?;
        }
        "sharpen" | "sh" => {
            at_most(1)?;
            o.sharpen = sigma(arg(0).unwrap_or("0"), "sharpen", policy.max_sharpen)?;
        }
        "rotate" | "rot" => {
            at_most(1)?;
            let angle: i64 = arg(0)
                .unwrap_or("0")
                .parse()
                .map_err(|_| "rotate takes an angle in degrees".to_owned())?;
            if angle % 90 != 0 {
                return Err(format!(
                    "rotate takes a multiple of 90 degrees, not {angle}"
                ));
            }
            o.quarter_turns = (angle / 90).rem_euclid(4) as u8;
        }
        "background" | "bg" => o.background = background(args)?,
        "expires" | "exp" => {
            at_most(1)?;
            let at = arg(0)
                .ok_or_else(|| "expires takes a unix timestamp".to_owned())?
                .parse()
                .map_err(|_| "expires takes a unix timestamp".to_owned())?;
            *expires = Some(at);
        }
        "preset" | "pr" => {
            for preset in args.iter().filter(|a| !a.is_empty()) {
                apply_preset(preset, o, expires, policy, depth)?;
            }
        }
        other => return Err(format!("unknown or unsupported option {other:?}")),
    }
    Ok(())
}

fn size(args: &[&str], o: &mut TransformOptions) -> Result<(), String> {
    let arg = |i: usize| args.get(i).copied().filter(|a| !a.is_empty());
    if let Some(w) = arg(0) {
        o.width = number(w, "width")?;
    }
    if let Some(h) = arg(1) {
        o.height = number(h, "height")?;
    }
    if let Some(enlarge) = arg(2) {
        o.enlarge = boolean(enlarge)?;
    }
    if let Some(rest) = args.get(3..).filter(|rest| !rest.is_empty()) {
        if rest.len() > 4 {
            return Err("too many arguments for a size and its extend".into());
        }
        if rest.iter().any(|a| !a.is_empty()) {
            o.extend = extend(rest)?;
        }
    }
    Ok(())
}

/// `extend:%extend:%gravity[:%x:%y]`.
fn extend(args: &[&str]) -> Result<Option<ExtendOption>, String> {
    if args.len() > 4 {
        return Err("extend takes at most 4 arguments".into());
    }
    let on = boolean(
        args.first()
            .copied()
            .filter(|a| !a.is_empty())
            .unwrap_or("1"),
    )?;
    let (gravity, offset) = match args
        .get(1..)
        .filter(|rest| rest.iter().any(|a| !a.is_empty()))
    {
        Some(rest) => gravity(rest)?,
        None => (Gravity::Centre, (0, 0)),
    };
    if gravity == Gravity::Smart {
        return Err("extend's gravity cannot be sm".into());
    }
    Ok(on.then_some(ExtendOption { gravity, offset }))
}

/// `watermark:%opacity:%position:%x_offset:%y_offset:%scale`; an opacity of 0 is no watermark.
fn watermark(args: &[&str], policy: &TransformPolicy) -> Result<Option<WatermarkOption>, String> {
    let arg = |i: usize| args.get(i).copied().filter(|a| !a.is_empty());
    let opacity: f32 = arg(0)
        .unwrap_or("0")
        .parse()
        .map_err(|_| "watermark opacity is a number from 0 to 1".to_owned())?;
    if !(0.0..=1.0).contains(&opacity) {
        return Err(format!("watermark opacity is 0 to 1, not {opacity}"));
    }
    if opacity == 0.0 {
        return Ok(None);
    }
    if !policy.watermark {
        return Err(
            "no watermark is configured on this server (transform_watermark_path)".to_owned(),
        );
    }
    let position = match arg(1).unwrap_or("ce") {
        "re" => None,
        "sm" => return Err("a watermark's position cannot be sm".into()),
        name => Some(compass(name).ok_or_else(|| {
            format!("watermark position is ce, no, so, ea, we, nowe, noea, sowe, soea or re, not {name:?}")
        })?),
    };
    let offset = (
        offset(arg(2).unwrap_or("0"), "watermark x offset")?,
        offset(arg(3).unwrap_or("0"), "watermark y offset")?,
    );
    if position.is_none() && (offset.0 < 0 || offset.1 < 0) {
        return Err("the space between replicated watermarks cannot be negative".into());
    }
    let scale: f32 = arg(4)
        .unwrap_or("0")
        .parse()
        .map_err(|_| "watermark scale is a number from 0 to 1".to_owned())?;
    if !(0.0..=1.0).contains(&scale) {
        return Err(format!("watermark scale is 0 to 1, not {scale}"));
    }
    Ok(Some(WatermarkOption {
        opacity,
        position,
        offset,
        scale,
    }))
}

fn offset(s: &str, what: &str) -> Result<i32, String> {
    s.parse()
        .map_err(|_| format!("{what} must be a whole number of pixels, not {s:?}"))
}

fn resizing_type(s: &str) -> Result<ResizingType, String> {
    ResizingType::parse(s)
        .ok_or_else(|| format!("resizing type is fit, fill, fill-down, force or auto, not {s:?}"))
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{what} must be a whole number, not {s:?}"))
}

fn boolean(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "true" => Ok(true),
        "0" | "f" | "false" => Ok(false),
        _ => Err(format!("{s:?} is not a boolean (1, t, true, 0, f, false)")),
    }
}

fn sigma(s: &str, what: &str, max: f32) -> Result<f32, String> {
    let sigma: f32 = s
        .parse()
        .map_err(|_| format!("{what} takes a sigma, not {s:?}"))?;
    if !sigma.is_finite() || !(0.0..=max).contains(&sigma) {
        return Err(format!("{what} sigma is 0 to {max}, not {s}"));
    }
    Ok(sigma)
}

/// A gravity and its offsets: `type[:x:y]`, or `fp:x:y` whose two values are the point itself.
fn gravity(args: &[&str]) -> Result<(Gravity, (i32, i32)), String> {
    match args {
        ["fp", x, y] => {
            let unit = |s: &str| {
                s.parse::<f32>()
                    .ok()
                    .filter(|v| (0.0..=1.0).contains(v))
                    .ok_or_else(|| format!("a focus point coordinate is 0 to 1, not {s:?}"))
            };
            let point = Gravity::Focus {
                x: unit(x)?,
                y: unit(y)?,
            };
            Ok((point, (0, 0)))
        }
        [kind, offsets @ ..] if offsets.len() <= 2 => {
            let gravity = compass(kind).ok_or_else(|| format!("unknown gravity {kind:?}"))?;
            let at = |i: usize| match offsets.get(i).copied().filter(|o| !o.is_empty()) {
                Some(o) => offset(o, "a gravity offset"),
                None => Ok(0),
            };
            let shift = (at(0)?, at(1)?);
            if gravity == Gravity::Smart && shift != (0, 0) {
                return Err("smart gravity takes no offsets".into());
            }
            Ok((gravity, shift))
        }
        _ => Err("gravity takes a type (and fp takes x and y)".into()),
    }
}

fn background(args: &[&str]) -> Result<Option<[u8; 3]>, String> {
    match args {
        [] | [""] => Ok(None),
        [hex] if hex.len() == 6 => parse_hex_colour(hex)
            .map(Some)
            .ok_or_else(|| format!("{hex:?} is not a hex colour")),
        [r, g, b] => {
            let channel = |s: &str| number::<u8>(s, "a background channel (0-255)");
            Ok(Some([channel(r)?, channel(g)?, channel(b)?]))
        }
        _ => Err("background is r:g:b or a hex colour".into()),
    }
}

fn format(s: &str) -> Result<Option<OutputFormat>, String> {
    Ok(Some(match s {
        "auto" | "best" => return Ok(None),
        "jpg" | "jpeg" => OutputFormat::Jpeg,
        "png" => OutputFormat::Png,
        "webp" => OutputFormat::Webp,
        "avif" => OutputFormat::Avif,
        other => {
            return Err(format!(
                "format is jpg, png, webp, avif or auto, not {other:?}"
            ))
        }
    }))
}

/// Holds the output to the ingest limits: nothing is tried that an upload could not be.
fn check(o: &TransformOptions, policy: &TransformPolicy) -> Result<(), String> {
    let limits = &policy.limits;
    let fits = |w: u32, h: u32| {
        w <= limits.max_width
            && h <= limits.max_height
            && u64::from(w) * u64::from(h) <= limits.max_pixels
    };
    if !fits(o.width, o.height) {
        return Err(format!(
            "{}x{} is over the limits ({}x{}, {} pixels)",
            o.width, o.height, limits.max_width, limits.max_height, limits.max_pixels
        ));
    }
    if let Some(crop) = o.crop {
        if !fits(crop.width, crop.height) {
            return Err(format!(
                "a {}x{} crop is over the limits",
                crop.width, crop.height
            ));
        }
    }
    // No offset may move anything further than the largest image is wide or high.
    let within = |(x, y): (i32, i32)| {
        x.unsigned_abs() <= limits.max_width && y.unsigned_abs() <= limits.max_height
    };
    let offsets = [
        Some(o.gravity_offset),
        o.crop.map(|c| c.offset),
        o.extend.map(|e| e.offset),
        o.extend_aspect_ratio.map(|e| e.offset),
        o.watermark.map(|w| w.offset),
    ];
    if let Some((x, y)) = offsets.into_iter().flatten().find(|&off| !within(off)) {
        return Err(format!(
            "an offset of {x}:{y} is over the limits ({}x{})",
            limits.max_width, limits.max_height
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
