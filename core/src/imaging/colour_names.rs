//! A small named palette for the colour tags: twelve names anyone would search for, each colour mapped
//! to one of them by hue, saturation and lightness.

/// Every name [`colour_name`] answers.
pub const COLOUR_NAMES: [&str; 12] = [
    "black", "white", "gray", "red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink",
    "brown",
];

/// The name of the palette colour nearest `rgb` as people name colours: greys by lightness, the rest by
/// hue, with dark oranges and yellows called brown and light reds pink.
pub fn colour_name(rgb: [u8; 3]) -> &'static str {
    let [r, g, b] = rgb.map(|c| f32::from(c) / 255.0);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let chroma = max - min;
    let lightness = (max + min) / 2.0;
    // HSL saturation; a chroma this small reads as grey whatever the hue.
    let saturation = if chroma == 0.0 {
        0.0
    } else {
        chroma / (1.0 - (2.0 * lightness - 1.0).abs())
    };
    if chroma < 0.1 || saturation < 0.15 {
        return match lightness {
            l if l < 0.2 => "black",
            l if l > 0.85 => "white",
            _ => "gray",
        };
    }
    if lightness < 0.1 {
        return "black";
    }
    if lightness > 0.95 {
        return "white";
    }
    let hue = if max == r {
        60.0 * ((g - b) / chroma).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / chroma + 2.0)
    } else {
        60.0 * ((r - g) / chroma + 4.0)
    };
    match hue {
        h if !(15.0..345.0).contains(&h) => {
            if lightness > 0.75 {
                "pink"
            } else if lightness < 0.3 && saturation < 0.6 {
                "brown"
            } else {
                "red"
            }
        }
        h if h < 45.0 => {
            if lightness < 0.4 {
                "brown"
            } else {
                "orange"
            }
        }
        h if h < 70.0 => {
            if lightness < 0.3 {
                "brown"
            } else {
                "yellow"
            }
        }
        h if h < 165.0 => "green",
        h if h < 190.0 => "cyan",
        h if h < 255.0 => "blue",
        h if h < 290.0 => "purple",
        _ => "pink",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primaries_and_neutrals_have_their_names() {
        let cases: [([u8; 3], &str); 16] = [
            ([0, 0, 0], "black"),
            ([255, 255, 255], "white"),
            ([128, 128, 128], "gray"),
            ([120, 125, 130], "gray"),
            ([255, 0, 0], "red"),
            ([255, 140, 0], "orange"),
            ([255, 230, 0], "yellow"),
            ([0, 160, 0], "green"),
            ([0, 200, 200], "cyan"),
            ([20, 60, 220], "blue"),
            ([120, 30, 180], "purple"),
            ([255, 105, 180], "pink"),
            ([255, 190, 200], "pink"),
            ([110, 60, 20], "brown"),
            ([135, 206, 235], "blue"),
            ([250, 250, 245], "white"),
        ];
        for (rgb, name) in cases {
            assert_eq!(colour_name(rgb), name, "{rgb:?}");
            assert!(COLOUR_NAMES.contains(&name));
        }
    }
}
