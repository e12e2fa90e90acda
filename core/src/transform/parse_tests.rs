use std::collections::HashMap;

use super::*;
use crate::imaging::{Fit, Operation};

const ID: &str = "0190d3f4-6a1b-7c2d-8e3f-405162738495";

fn parsed(path: &str) -> TransformRequest {
    parse(path, &TransformPolicy::default()).unwrap()
}

fn refused(path: &str) -> String {
    parse(path, &TransformPolicy::default()).unwrap_err()
}

#[test]
fn reads_imgproxy_options_and_the_source() {
    let request = parsed(&format!(
        "/rs:fill:300:400:1/g:sm/q:80/bl:2.5/sh:0.5/rot:-90/bg:ff0000/exp:1900000000/{ID}.webp"
    ));
    assert_eq!(request.image.to_string(), ID);
    let o = &request.options;
    assert_eq!(o.resizing_type, ResizingType::Fill);
    assert_eq!((o.width, o.height, o.enlarge), (300, 400, true));
    assert_eq!(o.gravity, Gravity::Smart);
    assert_eq!(o.quality, Some(80));
    assert_eq!((o.blur, o.sharpen), (2.5, 0.5));
    assert_eq!(o.quarter_turns, 3);
    assert_eq!(o.background, Some([255, 0, 0]));
    assert_eq!(o.format, Some(OutputFormat::Webp));
    assert_eq!(request.expires, Some(1_900_000_000));
}

#[test]
fn long_and_short_names_and_plain_sources_agree() {
    let short = parsed(&format!(
        "/w:200/h:100/el:1/g:fp:0.25:0.75/c:50:60:no/f:png/{ID}"
    ));
    let long = parsed(&format!(
        "/width:200/height:100/enlarge:true/gravity:fp:0.25:0.75/crop:50:60:no/plain/{ID}@png"
    ));
    assert_eq!(short, long);
    assert_eq!(short.options.gravity, Gravity::Focus { x: 0.25, y: 0.75 });
    assert_eq!(
        short.options.crop,
        Some(CropOption {
            width: 50,
            height: 60,
            gravity: Some(Gravity::North)
        })
    );
    // `s` and an `rs` without a type keep the type set before.
    let sized = parsed(&format!("/rt:force/s:10:20/{ID}"));
    assert_eq!(sized.options.resizing_type, ResizingType::Force);
    assert_eq!((sized.options.width, sized.options.height), (10, 20));
    assert_eq!(parsed(&format!("/f:auto/{ID}")).options.format, None);
}

#[test]
fn the_canonical_form_ignores_spelling_and_expiry() {
    let a = parsed(&format!("/rs:fit:300/exp:1900000000/{ID}"));
    let b = parsed(&format!("/resize:fit:300:0:0/plain/{ID}"));
    assert_eq!(a.options.canonical(), b.options.canonical());
    let c = parsed(&format!("/rs:fit:301/{ID}"));
    assert_ne!(a.options.canonical(), c.options.canonical());
}

#[test]
fn refuses_what_is_outside_the_policy() {
    for path in [
        format!("/w:100000/{ID}"),
        format!("/rs:fit:16000:16000/{ID}"),
        format!("/bl:1e9/{ID}"),
        format!("/bl:NaN/{ID}"),
        format!("/sh:11/{ID}"),
        format!("/q:101/{ID}"),
        format!("/rot:45/{ID}"),
        format!("/c:20000:10/{ID}"),
        format!("/g:xx/{ID}"),
        format!("/g:no:10:0/{ID}"),
        format!("/g:fp:2:0/{ID}"),
        format!("/rs:stretch:10:10/{ID}"),
        format!("/w:-5/{ID}"),
        format!("/f:gif/{ID}"),
        format!("/wm:1/{ID}"),
        format!("/pr:nope/{ID}"),
        format!("/rs:fit:10:10:0:1/{ID}"),
        format!("/w:10/{ID}.tiff"),
        "/w:10/not-an-id".to_owned(),
        "/".to_owned(),
    ] {
        parse(&path, &TransformPolicy::default()).expect_err(&path);
    }
    assert!(refused(&format!("/w:100000/{ID}")).contains("limits"));
}

fn with_presets(only: bool) -> TransformPolicy {
    let presets = HashMap::from([
        ("thumb".to_owned(), "rs:fill:150:150/q:70".to_owned()),
        ("blurry".to_owned(), "bl:3".to_owned()),
        ("default".to_owned(), "f:webp".to_owned()),
        ("loop".to_owned(), "pr:loop".to_owned()),
    ]);
    TransformPolicy {
        only_presets: only,
        ..TransformPolicy::default()
    }
    .with_presets(&presets)
    .unwrap_err();
    let presets: HashMap<String, String> = presets
        .into_iter()
        .filter(|(name, _)| name != "loop")
        .collect();
    TransformPolicy {
        only_presets: only,
        ..TransformPolicy::default()
    }
    .with_presets(&presets)
    .unwrap()
}

#[test]
fn presets_expand_after_the_default_one() {
    let policy = with_presets(false);
    let request = parse(&format!("/pr:thumb:blurry/q:90/{ID}"), &policy).unwrap();
    let o = request.options;
    assert_eq!(
        (o.resizing_type, o.width, o.height),
        (ResizingType::Fill, 150, 150)
    );
    assert_eq!((o.quality, o.blur), (Some(90), 3.0));
    assert_eq!(o.format, Some(OutputFormat::Webp));
}

#[test]
fn only_presets_mode_refuses_other_options() {
    let policy = with_presets(true);
    let by_name = parse(&format!("/thumb:blurry/{ID}"), &policy).unwrap();
    let by_option = parse(&format!("/pr:thumb:blurry/{ID}"), &policy).unwrap();
    assert_eq!(by_name, by_option);
    assert_eq!(by_name.options.width, 150);
    parse(&format!("/w:10/{ID}"), &policy).unwrap_err();
}

#[test]
fn the_plan_follows_imgproxys_resizing_types() {
    let fit_of = |path: &str| {
        let plan = parsed(&format!("{path}/{ID}"))
            .options
            .plan(OutputFormat::Jpeg);
        plan.operations.iter().find_map(|op| match op {
            Operation::Resize(resize) => Some(resize.fit),
            _ => None,
        })
    };
    assert_eq!(fit_of("/rs:fill:10:10"), Some(Fit::Cover));
    assert_eq!(fit_of("/rs:fill-down:10:10"), Some(Fit::Fill));
    assert_eq!(fit_of("/rs:force:10:10"), Some(Fit::Force));
    assert_eq!(fit_of("/rs:force:10"), Some(Fit::Fit));
    assert_eq!(fit_of("/rs:auto:10:10"), Some(Fit::Auto));
    assert_eq!(fit_of("/q:50"), None);
    let plan = parsed(&format!("/rot:90/c:10:10/w:5/bg:0:0:0/bl:1/sh:1/{ID}"))
        .options
        .plan(OutputFormat::Png);
    let kinds: Vec<&str> = plan
        .operations
        .iter()
        .map(|op| match op {
            Operation::Rotate { .. } => "rotate",
            Operation::CropTo { .. } => "crop",
            Operation::Resize(_) => "resize",
            Operation::Background(_) => "background",
            Operation::Blur { .. } => "blur",
            Operation::Sharpen { .. } => "sharpen",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["rotate", "crop", "resize", "background", "blur", "sharpen"]
    );
}
