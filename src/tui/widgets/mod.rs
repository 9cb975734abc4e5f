//! Small reusable drawing helpers shared by the tabs: text sparklines, bars,
//! number formatting and inert cells. Pure functions returning text or spans.

pub mod labels;

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

/// Column names shortened to `width` columns so that no two read the same:
/// a name that fits is kept; else every word but the last is cut to its first
/// letter (`bytes_in` → `b_in`, `response.code` → `r.code`), or to more letters
/// where one is not enough to tell two names apart (`req_co…`, `res_co…`), and
/// what is still too long is cut behind `…`.
pub fn abbreviate(names: &[&str], width: usize) -> Vec<String> {
    let short = |n: &str, k: usize| -> String {
        let n = sanitize::inert(n);
        if sanitize::display_width(&n) <= width {
            return n.into_owned();
        }
        let mut out = String::new();
        let parts: Vec<&str> = n.split_inclusive(['_', '.', '-', ' ']).collect();
        for (i, p) in parts.iter().enumerate() {
            if i + 1 == parts.len() {
                out.push_str(p);
                break;
            }
            let body = p.trim_end_matches(['_', '.', '-', ' ']);
            out.extend(body.chars().take(k));
            out.push_str(&p[body.len()..]);
        }
        sanitize::truncate_to_width(&out, width).into_owned()
    };
    let tries: Vec<Vec<String>> = (1..=8)
        .map(|k| names.iter().map(|n| short(n, k)).collect())
        .collect();
    (0..names.len())
        .map(|i| {
            tries
                .iter()
                .find(|t| t.iter().enumerate().all(|(j, o)| j == i || *o != t[i]))
                .unwrap_or(&tries[0])[i]
                .clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_stay_apart() {
        let names = [
            "bytes_in",
            "bytes_out",
            "dst_port",
            "duration_s",
            "bytes_in_per_s",
        ];
        assert_eq!(
            abbreviate(&names, 6),
            ["b_in", "b_out", "d_port", "d_s", "b_i_p…"]
        );
        assert_eq!(abbreviate(&["response.code", "x"], 7), ["r.code", "x"]);
        // One letter is not enough: more letters of the first word.
        assert_eq!(
            abbreviate(&["request_count", "response_count"], 7),
            ["req_co…", "res_co…"]
        );
    }

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
