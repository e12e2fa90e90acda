//! The automatic tags: what Darkroom says about an image, from its size and the facts processing found.
//! The vocabulary is the README's ("Automatic tags"); every tag is lower-case ASCII or a `prefix:value`
//! pair, so that `listMyImages?tag=` matches them exactly.
//!
//! In this order: orientation (`landscape`, `portrait` or `square`, and `panorama` for 2:1 or longer),
//! `size:small|medium|large|huge`, up to three `color:<name>`, `camera:<make>` and
//! `camera:<make>-<model>`, `year:<yyyy>`, `animated`, `transparent`.

use std::collections::HashMap;

use chrono::Datelike;

use super::colour_names::colour_name;
use super::ImageFacts;

/// Sides within 2% of each other make a square.
const SQUARE_TOLERANCE_PERCENT: u64 = 2;
/// A side at least twice the other makes a panorama.
const PANORAMA_RATIO: u64 = 2;
/// Megapixel bounds of the size classes: below 1 small, below 4 medium, below 12 large, else huge.
const SIZE_CLASSES: [(u64, &str); 3] = [
    (1_000_000, "size:small"),
    (4_000_000, "size:medium"),
    (12_000_000, "size:large"),
];
const HUGE: &str = "size:huge";
/// A colour besides the most common one is named when this share of the pixels (or more) has it.
const COLOUR_SHARE: f32 = 0.15;
const MAX_COLOUR_TAGS: usize = 3;
/// Camera tokens are cut to this many characters, so every tag fits the 50 of a user tag.
const MAX_TOKEN: usize = 40;
/// Years outside this range are a camera's unset clock, not a date.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2099;

/// The automatic tags of an upright `width` x `height` image with `facts`, in the documented order,
/// without duplicates.
pub fn auto_tags(width: u32, height: u32, facts: &ImageFacts) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    tags.extend(orientation(width, height).iter().map(|t| (*t).to_owned()));
    tags.push(size_class(width, height).to_owned());
    tags.extend(colours(facts).into_iter().map(|c| format!("color:{c}")));
    tags.extend(camera(
        facts.capture.camera_make.as_deref(),
        facts.capture.camera_model.as_deref(),
    ));
    if let Some(year) = facts.capture.taken_at.map(|t| t.year()) {
        if YEARS.contains(&year) {
            tags.push(format!("year:{year}"));
        }
    }
    if facts.frames > 1 {
        tags.push("animated".to_owned());
    }
    if facts.transparent {
        tags.push("transparent".to_owned());
    }
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    tags
}

fn orientation(width: u32, height: u32) -> Vec<&'static str> {
    let (w, h) = (u64::from(width), u64::from(height));
    let (long, short) = (w.max(h), w.min(h));
    if long * 100 <= short * (100 + SQUARE_TOLERANCE_PERCENT) {
        return vec!["square"];
    }
    let mut tags = vec![if w > h { "landscape" } else { "portrait" }];
    if long >= short * PANORAMA_RATIO {
        tags.push("panorama");
    }
    tags
}

fn size_class(width: u32, height: u32) -> &'static str {
    let pixels = u64::from(width) * u64::from(height);
    SIZE_CLASSES
        .iter()
        .find(|(below, _)| pixels < *below)
        .map_or(HUGE, |(_, tag)| tag)
}

/// The palette's colours by name, the shares of colours with one name added up: the most common name,
/// then any other with at least [`COLOUR_SHARE`] of the pixels, most common first.
fn colours(facts: &ImageFacts) -> Vec<&'static str> {
    let mut shares: HashMap<&'static str, f32> = HashMap::new();
    let mut order: Vec<&'static str> = Vec::new();
    for colour in &facts.palette {
        let name = colour_name(colour.rgb);
        if !shares.contains_key(name) {
            order.push(name);
        }
        *shares.entry(name).or_default() += colour.share;
    }
    // Stable: equal shares keep the palette's order, so the result is deterministic.
    order.sort_by(|a, b| shares[b].total_cmp(&shares[a]));
    order
        .into_iter()
        .enumerate()
        .filter(|(i, name)| *i == 0 || shares[name] >= COLOUR_SHARE)
        .map(|(_, name)| name)
        .take(MAX_COLOUR_TAGS)
        .collect()
}

/// `camera:<make>` and `camera:<make>-<model>`, each a lower-case token (see [`token`]). The make is its
/// first word (`NIKON CORPORATION` is `nikon`), a few known long names shortened; a model that repeats
/// the make does not say it twice (`Canon EOS 40D` by `Canon` is `canon-eos-40d`).
fn camera(make: Option<&str>, model: Option<&str>) -> Vec<String> {
    let make = make.map(token).and_then(|make| {
        let first = make.split('-').next().unwrap_or_default().to_owned();
        let known = match first.as_str() {
            "eastman" => "kodak",
            "hewlett" => "hp",
            "research" => "blackberry",
            other => other,
        };
        (!known.is_empty()).then(|| known.to_owned())
    });
    let model = model.map(token).filter(|m| !m.is_empty());
    let mut tags = Vec::new();
    if let Some(make) = &make {
        tags.push(format!("camera:{make}"));
    }
    match (make, model) {
        (Some(make), Some(model)) => {
            let rest = if model == make {
                ""
            } else {
                model
                    .strip_prefix(&format!("{make}-"))
                    .unwrap_or(model.as_str())
            };
            if !rest.is_empty() {
                tags.push(format!("camera:{}", cap(&format!("{make}-{rest}"))));
            }
        }
        (None, Some(model)) => tags.push(format!("camera:{model}")),
        _ => {}
    }
    tags
}

/// Lower-case letters and digits, every other run of characters one `-`, none at the ends; at most
/// [`MAX_TOKEN`] characters.
fn token(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    cap(out.trim_end_matches('-'))
}

fn cap(token: &str) -> String {
    let capped: String = token.chars().take(MAX_TOKEN).collect();
    capped.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::Capture;
    use crate::imaging::PaletteColour;

    fn facts() -> ImageFacts {
        ImageFacts {
            frames: 1,
            ..ImageFacts::default()
        }
    }

    #[test]
    fn orientation_and_size_come_from_the_upright_size() {
        assert_eq!(auto_tags(640, 480, &facts()), ["landscape", "size:small"]);
        assert_eq!(auto_tags(3024, 4032, &facts()), ["portrait", "size:huge"]);
        assert_eq!(auto_tags(1000, 1015, &facts()), ["square", "size:medium"]);
        assert_eq!(
            auto_tags(6000, 1500, &facts()),
            ["landscape", "panorama", "size:large"]
        );
        assert_eq!(auto_tags(1, 1, &facts()), ["square", "size:small"]);
        // The bounds belong to the larger class.
        assert_eq!(size_class(1000, 1000), "size:medium");
        assert_eq!(size_class(4000, 3000), "size:huge");
        assert_eq!(size_class(3999, 3000), "size:large");
    }

    #[test]
    fn colours_are_named_by_summed_share() {
        let colour = |rgb, share| PaletteColour { rgb, share };
        let facts = ImageFacts {
            // Two blues of 12% each outweigh a 20% green; a 5% red is too rare to name.
            palette: vec![
                colour([200, 200, 200], 0.4),
                colour([20, 60, 220], 0.12),
                colour([0, 160, 0], 0.2),
                colour([30, 80, 200], 0.12),
                colour([255, 0, 0], 0.05),
            ],
            ..facts()
        };
        let tags = auto_tags(10, 8, &facts);
        assert_eq!(
            tags[2..],
            ["color:gray", "color:blue", "color:green"],
            "{tags:?}"
        );
        let single = ImageFacts {
            palette: vec![colour([255, 0, 0], 0.01)],
            ..ImageFacts::default()
        };
        assert!(auto_tags(10, 5, &single).contains(&"color:red".to_owned()));
    }

    #[test]
    fn cameras_are_normalised_tokens() {
        let tags = |make: Option<&str>, model: Option<&str>| camera(make, model);
        assert_eq!(
            tags(Some("Canon"), Some("Canon EOS 40D")),
            ["camera:canon", "camera:canon-eos-40d"]
        );
        assert_eq!(
            tags(Some("NIKON CORPORATION"), Some("NIKON D70")),
            ["camera:nikon", "camera:nikon-d70"]
        );
        assert_eq!(
            tags(Some("NIKON"), Some("E950")),
            ["camera:nikon", "camera:nikon-e950"]
        );
        assert_eq!(
            tags(Some("Apple"), Some("iPhone 4S")),
            ["camera:apple", "camera:apple-iphone-4s"]
        );
        assert_eq!(
            tags(
                Some("EASTMAN KODAK COMPANY"),
                Some("KODAK Z740 ZOOM DIGITAL CAMERA")
            ),
            ["camera:kodak", "camera:kodak-z740-zoom-digital-camera"]
        );
        assert_eq!(tags(None, Some("X100")), ["camera:x100"]);
        assert_eq!(tags(Some("Canon"), Some("Canon")), ["camera:canon"]);
        assert_eq!(
            tags(Some("Canon"), Some("Canonet QL17")),
            ["camera:canon", "camera:canon-canonet-ql17"]
        );
        assert_eq!(tags(Some(" ** "), None), Vec::<String>::new());
        let long = tags(Some("Make"), Some(&"very long model ".repeat(10)));
        assert!(
            long.iter().all(|t| t.len() <= 50 && !t.ends_with('-')),
            "{long:?}"
        );
    }

    #[test]
    fn year_animation_and_transparency() {
        let taken =
            |y, m, d| NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(12, 0, 0));
        let facts = ImageFacts {
            frames: 3,
            transparent: true,
            capture: Capture {
                taken_at: taken(2008, 5, 30),
                ..Capture::default()
            },
            ..ImageFacts::default()
        };
        assert_eq!(
            auto_tags(100, 100, &facts),
            [
                "square",
                "size:small",
                "year:2008",
                "animated",
                "transparent"
            ]
        );
        let unset_clock = ImageFacts {
            capture: Capture {
                taken_at: taken(1, 1, 1),
                ..Capture::default()
            },
            ..ImageFacts::default()
        };
        assert_eq!(auto_tags(100, 100, &unset_clock), ["square", "size:small"]);
    }
}
