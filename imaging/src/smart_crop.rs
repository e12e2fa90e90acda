//! Smart crop (imgproxy's `g:sm`): the region to keep is where the image has the most detail, measured
//! as the sum of luma gradients (edges) over a coarse grid. Cheap enough to run on every request: the
//! grid has at most `GRID` cells a side whatever the image's size.

use super::pixels::Pixels;

/// Cells along the longest side of the grid the detail is measured on.
const GRID: u32 = 128;

/// Where the largest region of `width` x `height`'s aspect ratio (or that region itself, when it fits)
/// sits in `pixels` to hold the most detail: 0 left/top to 1 right/bottom on each axis, as
/// `resize_at` and a crop take it.
pub(crate) fn smart_position(pixels: &Pixels, width: u32, height: u32) -> (f64, f64) {
    let (w, h) = pixels.dimensions();
    if w == 0 || h == 0 || width == 0 || height == 0 {
        return (0.5, 0.5);
    }
    // The region kept, in source pixels: the crop itself, or the largest of its shape.
    let (region_w, region_h) = if width <= w && height <= h {
        (f64::from(width), f64::from(height))
    } else {
        let scale = (f64::from(w) / f64::from(width)).min(f64::from(h) / f64::from(height));
        (f64::from(width) * scale, f64::from(height) * scale)
    };
    let step = (w.max(h) / GRID).max(1);
    let (gw, gh) = (w.div_ceil(step), h.div_ceil(step));
    let luma = |x: u32, y: u32| -> i32 {
        let [r, g, b] = pixels.rgb_at(x.min(w - 1), y.min(h - 1));
        (i32::from(r) * 77 + i32::from(g) * 150 + i32::from(b) * 29) >> 8
    };
    // Summed-area table of the detail in each cell: prefix[y][x] is the sum over cells above and left.
    let stride = gw as usize + 1;
    let mut prefix = vec![0i64; stride * (gh as usize + 1)];
    for cy in 0..gh {
        let mut row = 0i64;
        for cx in 0..gw {
            let (x, y) = (cx * step, cy * step);
            let here = luma(x, y);
            let detail = (luma(x + step, y) - here).abs() + (luma(x, y + step) - here).abs();
            row += i64::from(detail);
            let i = (cy as usize + 1) * stride + cx as usize + 1;
            prefix[i] = prefix[i - stride] + row;
        }
    }
    let cells = |len: f64, grid: u32| ((len / f64::from(step)).round() as u32).clamp(1, grid);
    let (rw, rh) = (cells(region_w, gw), cells(region_h, gh));
    let sum = |x: u32, y: u32| {
        let (x0, y0, x1, y1) = (x as usize, y as usize, (x + rw) as usize, (y + rh) as usize);
        prefix[y1 * stride + x1] - prefix[y0 * stride + x1] - prefix[y1 * stride + x0]
            + prefix[y0 * stride + x0]
    };
    // The most detailed window; among equals, the one nearest the centre.
    let (free_x, free_y) = (gw - rw, gh - rh);
    let mut best = (i64::MIN, u64::MAX, free_x / 2, free_y / 2);
    for y in 0..=free_y {
        for x in 0..=free_x {
            let off_centre = u64::from(x.abs_diff(free_x / 2)) + u64::from(y.abs_diff(free_y / 2));
            let score = sum(x, y);
            if score > best.0 || (score == best.0 && off_centre < best.1) {
                best = (score, off_centre, x, y);
            }
        }
    }
    if best.0 <= 0 {
        // No detail anywhere: nothing to prefer over the centre.
        return (0.5, 0.5);
    }
    let position = |at: u32, free: u32| {
        if free == 0 {
            0.5
        } else {
            f64::from(at) / f64::from(free)
        }
    };
    (position(best.2, free_x), position(best.3, free_y))
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};

    use super::*;

    /// A flat grey `width` x `height` image with a checkerboard in the square at (`x`, `y`).
    fn detail_at(width: u32, height: u32, x: u32, y: u32, side: u32) -> Pixels {
        Pixels::Opaque(RgbImage::from_fn(width, height, |px, py| {
            let inside = (x..x + side).contains(&px) && (y..y + side).contains(&py);
            if inside && (px / 4 + py / 4) % 2 == 0 {
                Rgb([255; 3])
            } else if inside {
                Rgb([0; 3])
            } else {
                Rgb([128; 3])
            }
        }))
    }

    #[test]
    fn keeps_the_detailed_part_of_a_wide_image() {
        let right = detail_at(600, 200, 480, 40, 100);
        let (x, _) = smart_position(&right, 100, 100);
        assert!(x > 0.9, "{x}");
        let left = detail_at(600, 200, 10, 40, 100);
        assert!(smart_position(&left, 100, 100).0 < 0.1);
    }

    #[test]
    fn keeps_the_detailed_part_of_a_tall_image_at_a_smaller_crop() {
        let bottom = detail_at(200, 800, 50, 650, 100);
        let (x, y) = smart_position(&bottom, 120, 120);
        assert!(y > 0.8, "{y}");
        assert!((0.2..0.8).contains(&x), "{x}");
    }

    #[test]
    fn a_flat_image_is_cropped_in_the_centre() {
        let flat = detail_at(300, 100, 0, 0, 0);
        let (x, y) = smart_position(&flat, 50, 50);
        assert!((x - 0.5).abs() < 0.02 && (y - 0.5).abs() < 0.02, "{x} {y}");
    }
}
