use std::collections::HashMap;

use super::*;
use crate::imaging::{Fit, MarkLayout, MarkSize, Operation, Overlay};

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
            gravity: Some(Gravity::North),
            offset: (0, 0),
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
        format!("/g:no:1.5:0/{ID}"),
        format!("/g:sm:10:0/{ID}"),
        format!("/g:no:20000:0/{ID}"),
        format!("/c:10:10:ea:0:-20000/{ID}"),
        format!("/ex:maybe/{ID}"),
        format!("/ex:1:sm/{ID}"),
        format!("/ex:1:so:0:0:9/{ID}"),
        format!("/rs:fit:10:10:0:1:so:99999:0/{ID}"),
        format!("/g:fp:2:0/{ID}"),
        format!("/rs:stretch:10:10/{ID}"),
        format!("/w:-5/{ID}"),
        format!("/f:gif/{ID}"),
        format!("/wm:1/{ID}"),
        format!("/pr:nope/{ID}"),
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
            .plan(OutputFormat::Jpeg, None);
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
        .plan(OutputFormat::Png, None);
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

fn with_watermark() -> TransformPolicy {
    TransformPolicy {
        watermark: true,
        ..TransformPolicy::default()
    }
}

#[test]
fn gravity_offsets_go_to_the_crops_and_the_canonical_form() {
    let o = parsed(&format!("/rs:fill:100:100/g:soea:10:-5/c:50:60/{ID}")).options;
    assert_eq!(
        (o.gravity, o.gravity_offset),
        (Gravity::SouthEast, (10, -5))
    );
    let plan = o.plan(OutputFormat::Jpeg, None);
    assert!(plan.operations.contains(&Operation::CropTo {
        width: 50,
        height: 60,
        gravity: Gravity::SouthEast,
        offset: (10, -5),
    }));
    assert!(plan.operations.iter().any(
        |op| matches!(op, Operation::Resize(r) if r.offset == (10, -5) && r.fit == Fit::Cover)
    ));
    // A crop's own gravity brings its own offsets.
    let own = parsed(&format!("/g:ea:7:0/c:50:60:no:0:3/{ID}")).options;
    assert_eq!(
        own.crop.map(|c| (c.gravity, c.offset)),
        Some((Some(Gravity::North), (0, 3)))
    );
    // Offsets name a distinct result; zero offsets the same one as none (names stored before offsets).
    let none = parsed(&format!("/rs:fill:100:100/g:soea/{ID}"))
        .options
        .canonical();
    let zero = parsed(&format!("/rs:fill:100:100/g:soea:0:0/{ID}"))
        .options
        .canonical();
    let moved = parsed(&format!("/rs:fill:100:100/g:soea:10:0/{ID}"))
        .options
        .canonical();
    assert_eq!(none, zero);
    assert_ne!(none, moved);
    assert!(moved.contains("g:soea:10:0"), "{moved}");
    // A focus point's two values are the point, not offsets.
    let fp = parsed(&format!("/g:fp:0.5:0.25/{ID}")).options;
    assert_eq!(fp.gravity_offset, (0, 0));
}

#[test]
fn extend_pads_to_the_requested_size_after_the_resize() {
    let o = parsed(&format!("/rs:fit:300:300/ex:1:we:4:0/{ID}")).options;
    let extend = o.extend.expect("extend");
    assert_eq!((extend.gravity, extend.offset), (Gravity::West, (4, 0)));
    let plan = o.plan(OutputFormat::Png, None);
    let at = |kind: fn(&Operation) -> bool| plan.operations.iter().position(kind);
    let resize = at(|op| matches!(op, Operation::Resize(_))).unwrap();
    let ext = at(|op| matches!(op, Operation::Extend { .. })).unwrap();
    assert_eq!(ext, resize + 1);
    assert_eq!(
        plan.operations[ext],
        Operation::Extend {
            width: 300,
            height: 300,
            gravity: Gravity::West,
            offset: (4, 0),
            to_aspect_ratio: false,
        }
    );
    // The same by rs's and s's trailing arguments, and by the long name; centred by default.
    let by_rs = parsed(&format!("/rs:fit:300:300:0:1:we:4:0/{ID}")).options;
    let by_s = parsed(&format!("/rt:fit/s:300:300:0:1:we:4:0/{ID}")).options;
    assert_eq!(by_rs.extend, o.extend);
    assert_eq!(by_s.extend, o.extend);
    let centred = parsed(&format!("/w:300/extend:true/{ID}")).options;
    assert_eq!(centred.extend.map(|e| e.gravity), Some(Gravity::Centre));
    assert!(parsed(&format!("/w:300/ex:0/{ID}"))
        .options
        .extend
        .is_none());
    let plain = parsed(&format!("/rs:fit:300:300/{ID}")).options.canonical();
    assert_ne!(o.canonical(), plain);
    assert_ne!(o.canonical(), centred.canonical());
    // Nothing to extend to without a size: no step, and the same result as without it.
    let sizeless = parsed(&format!("/ex:1/q:80/{ID}")).options;
    assert!(!sizeless
        .plan(OutputFormat::Png, None)
        .operations
        .iter()
        .any(|op| matches!(op, Operation::Extend { .. })));
    assert_eq!(
        sizeless.canonical(),
        parsed(&format!("/q:80/{ID}")).options.canonical()
    );
}

#[test]
fn watermarks_need_one_configured_and_stay_in_bounds() {
    let refused_here = refused(&format!("/wm:0.5/{ID}"));
    assert!(
        refused_here.contains("no watermark is configured"),
        "{refused_here}"
    );
    // Opacity 0 is no watermark, configured or not, and the same result as none.
    let zero = parsed(&format!("/w:10/wm:0:soea/{ID}")).options;
    assert!(zero.watermark.is_none());
    assert_eq!(
        zero.canonical(),
        parsed(&format!("/w:10/{ID}")).options.canonical()
    );

    let policy = with_watermark();
    let o = parse(&format!("/w:10/wm:0.5:soea:10:20:0.25/{ID}"), &policy)
        .unwrap()
        .options;
    let mark = o.watermark.expect("a watermark");
    assert_eq!(
        (mark.opacity, mark.position, mark.offset, mark.scale),
        (0.5, Some(Gravity::SouthEast), (10, 20), 0.25)
    );
    let long = parse(
        &format!("/w:10/watermark:0.5:soea:10:20:0.25/{ID}"),
        &policy,
    )
    .unwrap();
    assert_eq!(long.options, o);
    let tiled = parse(&format!("/wm:1:re:5:5/{ID}"), &policy)
        .unwrap()
        .options;
    assert_eq!(tiled.watermark.map(|w| w.position), Some(None));
    assert_ne!(o.canonical(), tiled.canonical());
    let other = parse(&format!("/w:10/wm:0.5:soea:10:21:0.25/{ID}"), &policy).unwrap();
    assert_ne!(o.canonical(), other.options.canonical());

    // The plan lays the overlay it is given, last.
    let overlay = Overlay::Text("mark".into());
    let plan = o.plan(OutputFormat::Jpeg, Some(&overlay));
    assert_eq!(plan.overlays, [overlay]);
    assert_eq!(
        plan.operations.last(),
        Some(&Operation::Watermark {
            overlay: 0,
            position: Gravity::SouthEast,
            opacity: 0.5,
            layout: MarkLayout {
                offset: (10, 20),
                size: MarkSize::WidthShare(0.25),
                replicate: false,
            },
        })
    );

    for path in [
        "/wm:1.5",
        "/wm:-1",
        "/wm:NaN",
        "/wm:1:xx",
        "/wm:1:sm",
        "/wm:1:ce:a:0",
        "/wm:1:ce:0:0:2",
        "/wm:1:re:-5:0",
        "/wm:1:ce:99999:0",
        "/wm:1:ce:0:0:0:9",
    ] {
        parse(&format!("{path}/{ID}"), &policy).expect_err(path);
    }
}

#[test]
fn extend_aspect_ratio_needs_both_sides_and_yields_to_extend() {
    let o = parsed(&format!("/rs:fit:400:200/exar:1:no/{ID}")).options;
    let steps = |o: &TransformOptions| -> Vec<Operation> {
        o.plan(OutputFormat::Png, None)
            .operations
            .into_iter()
            .filter(|op| matches!(op, Operation::Extend { .. }))
            .collect()
    };
    assert_eq!(
        steps(&o),
        [Operation::Extend {
            width: 400,
            height: 200,
            gravity: Gravity::North,
            offset: (0, 0),
            to_aspect_ratio: true,
        }]
    );
    let long = parsed(&format!("/rs:fit:400:200/extend_aspect_ratio:1:no/{ID}")).options;
    assert_eq!(long.canonical(), o.canonical());
    assert!(o.canonical().contains("exar:1:no"), "{}", o.canonical());
    // One side only: no ratio to extend to.
    let one_side = parsed(&format!("/w:400/exar:1/{ID}")).options;
    assert!(steps(&one_side).is_empty());
    assert_eq!(
        one_side.canonical(),
        parsed(&format!("/w:400/{ID}")).options.canonical()
    );
    // With ex too, ex decides.
    let both = parsed(&format!("/rs:fit:400:200/exar:1:no/ex:1:so/{ID}")).options;
    assert!(matches!(
        steps(&both)[..],
        [Operation::Extend {
            to_aspect_ratio: false,
            gravity: Gravity::South,
            ..
        }]
    ));
}
