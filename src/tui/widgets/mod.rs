//! Small reusable drawing helpers shared by the tabs: text sparklines, bars,
//! number formatting and inert cells. Pure functions returning text or spans.

use crate::sanitize;

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A one-line sparkline of `values` (empty buckets as spaces).
pub fn spark(values: &[u64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                ' '
            } else {
                let i = ((v as f64 / max as f64) * 7.0).round() as usize;
                BLOCKS[i.min(7)]
            }
        })
        .collect()
}

/// A horizontal bar of `width` cells for `v / max`, with eighth-block precision.
pub fn bar(v: f64, max: f64, width: usize) -> String {
    if max <= 0.0 || !v.is_finite() || v <= 0.0 {
        return String::new();
    }
    let eighths = ((v / max).clamp(0.0, 1.0) * (width * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    let rest = eighths % 8;
    if rest > 0 {
        s.push([' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][rest]);
    }
    s
}

/// Data text made inert and cut to a display width.
pub fn cell(s: &str, width: usize) -> String {
    let inert = sanitize::inert(s);
    sanitize::truncate_to_width(&inert, width).into_owned()
}

/// A compact number: 1234 → `1234`, 1.2e6 → `1.2M`.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "—".into()
    } else if a >= 1e9 {
        format!("{:.1}G", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// Fits `s` into `width` columns, padding on the right.
pub fn pad(s: &str, width: usize) -> String {
    let t = sanitize::truncate_to_width(s, width);
    let w = sanitize::display_width(&t);
    format!("{t}{}", " ".repeat(width.saturating_sub(w)))
}

/// Right-aligns `s` in `width` columns.
pub fn rpad(s: &str, width: usize) -> String {
    let t = sanitize::truncate_to_width(s, width);
    let w = sanitize::display_width(&t);
    format!("{}{t}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparks_and_bars_scale() {
        assert_eq!(spark(&[0, 1, 2, 4]), " ▃▅█");
        assert_eq!(bar(1.0, 1.0, 3), "███");
        assert_eq!(bar(0.0, 1.0, 3), "");
        assert_eq!(compact(1_500_000.0), "1.5M");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(rpad("ab", 4), "  ab");
    }
}
