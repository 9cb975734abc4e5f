//! Plain-text tables aligned by display width, for terminal output.
//!
//! Every cell is passed through the sanitiser before it is measured, so data
//! text can never carry a control sequence into the output. Numeric-looking
//! columns are right-aligned. Pure string building.

use crate::sanitize;

/// A text table with a header row.
#[derive(Debug, Default, Clone)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    pub fn new<S: AsRef<str>>(header: &[S]) -> Self {
        Table {
            header: header
                .iter()
                .map(|h| sanitize::inert(h.as_ref()).into_owned())
                .collect(),
            rows: Vec::new(),
            right: vec![false; header.len()],
        }
    }

    /// Right-aligns the given columns (numbers).
    pub fn right_align(mut self, cols: &[usize]) -> Self {
        for &c in cols {
            if let Some(r) = self.right.get_mut(c) {
                *r = true;
            }
        }
        self
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        self.rows.push(
            cells
                .iter()
                .map(|c| {
                    let inert = sanitize::inert(c.as_ref());
                    sanitize::truncate_to_width(&inert, 100).into_owned()
                })
                .collect(),
        );
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders with two spaces between columns and an indent.
    pub fn render(&self, indent: &str) -> String {
        let ncols = self.header.len();
        let mut widths = vec![0usize; ncols];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(sanitize::display_width(c));
            }
        }
        let mut out = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::from(indent);
            for (i, c) in r.iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(0);
                let pad = w.saturating_sub(sanitize::display_width(c));
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(c);
                } else {
                    line.push_str(c);
                    if i + 1 < r.len() {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A statistic for a table cell: `—` when undefined, integers plain,
/// large values with 2 decimals, small ones with 4 significant decimals,
/// and from 10^15 on in scientific notation (`1.7000e308`, not 309 digits).
pub fn num(x: Option<f64>) -> String {
    match x {
        None => "—".into(),
        Some(x) if !x.is_finite() => "—".into(),
        Some(x) if x.abs() >= 1e15 => format!("{x:.4e}"),
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) if x.abs() >= 100.0 => format!("{x:.2}"),
        Some(x) => {
            let s = format!("{x:.4}");
            if s == "-0.0000" { "0.0000".into() } else { s }
        }
    }
}

/// A byte count with a unit (`315.0 MB`).
pub fn bytes(x: u128) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = x as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{x} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_by_display_width_and_neutralises_controls() {
        let mut t = Table::new(&["name", "n"]).right_align(&[1]);
        t.row(&["日本", "5"]);
        t.row(&["evil\x1b[2J", "10"]);
        let s = t.render("");
        assert!(!s.contains('\x1b'));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            sanitize::display_width(lines[1]),
            sanitize::display_width(lines[2])
        );
    }

    #[test]
    fn numbers_and_bytes_read_well() {
        assert_eq!(num(Some(600.0)), "600");
        assert_eq!(num(Some(1199390.1914893617)), "1199390.19");
        assert_eq!(num(Some(0.20666)), "0.2067");
        assert_eq!(num(None), "—");
        assert_eq!(num(Some(-1.7e308)), "-1.7000e308");
        assert_eq!(num(Some(18446744073709551614.0)), "1.8447e19");
        assert_eq!(bytes(314_710_879), "314.7 MB");
        assert_eq!(bytes(512), "512 B");
    }
}
