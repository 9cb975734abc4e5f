//! Text labels on a chart that never overlap: each label claims the cells it
//! covers (plus one blank cell either side), and a label that does not fit in
//! the free cells is shortened with `…` or left out. Two labels can therefore
//! never run together into text that is not in the data (two addresses reading as
//! a third, `NL` + `LE` reading as `NLE`).
//!
//! Owns only the occupancy grid of one draw; it does not choose which labels
//! matter (callers place the important ones first) and computes nothing else.

use super::cell;
use crate::sanitize;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// The shortest cut label worth showing (three characters and `…`).
const MIN_CUT: usize = 4;

/// The cells of one chart area already taken by labels.
pub struct Labels {
    area: Rect,
    taken: Vec<bool>,
}

impl Labels {
    /// An empty grid over `area` (the inside of the chart's border).
    pub fn new(area: Rect) -> Self {
        let n = usize::from(area.width) * usize::from(area.height);
        Labels {
            area,
            taken: vec![false; n],
        }
    }

    /// The cell of a canvas point, mapped as ratatui's canvas maps its own labels;
    /// `None` outside the bounds.
    pub fn cell_of(&self, xb: [f64; 2], yb: [f64; 2], x: f64, y: f64) -> Option<(u16, u16)> {
        let (w, h) = (xb[1] - xb[0], yb[1] - yb[0]);
        if self.area.is_empty() || w <= 0.0 || h <= 0.0 {
            return None;
        }
        if !(xb[0]..=xb[1]).contains(&x) || !(yb[0]..=yb[1]).contains(&y) {
            return None;
        }
        let cx = (x - xb[0]) * f64::from(self.area.width - 1) / w;
        let cy = (yb[1] - y) * f64::from(self.area.height - 1) / h;
        Some((self.area.x + cx as u16, self.area.y + cy as u16))
    }

    fn idx(&self, x: u16, y: u16) -> Option<usize> {
        let a = self.area;
        if x < a.x || y < a.y || x >= a.right() || y >= a.bottom() {
            return None;
        }
        Some(usize::from(y - a.y) * usize::from(a.width) + usize::from(x - a.x))
    }

    fn free(&self, x: u16, y: u16) -> bool {
        self.idx(x, y).is_some_and(|i| !self.taken[i])
    }

    /// Writes `text` (made inert) at cell `(x, y)` if it fits in free cells, else
    /// its longest `…`-cut that does and keeps at least three characters, else
    /// nothing. Returns whether something was written.
    pub fn place(&mut self, buf: &mut Buffer, x: u16, y: u16, text: &str, style: Style) -> bool {
        if !self.free(x, y) {
            return false;
        }
        let mut run = 0u16;
        while self.free(x + run, y) {
            run += 1;
        }
        let full = sanitize::display_width(&sanitize::inert(text));
        let shown = if full <= usize::from(run) {
            cell(text, full)
        } else if usize::from(run) >= MIN_CUT && full > MIN_CUT {
            cell(text, usize::from(run))
        } else {
            return false;
        };
        let w = sanitize::display_width(&shown) as u16;
        buf.set_stringn(x, y, &shown, usize::from(w), style);
        for cx in x.saturating_sub(1)..=x.saturating_add(w) {
            if let Some(i) = self.idx(cx, y) {
                self.taken[i] = true;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect::<String>()
    }

    #[test]
    fn overlapping_labels_are_cut_or_left_out_never_merged() {
        let area = Rect::new(0, 0, 20, 2);
        let mut buf = Buffer::empty(area);
        let mut l = Labels::new(area);
        assert!(l.place(&mut buf, 0, 0, "136.226.7.10", Style::new()));
        // Starts inside the first label: left out.
        assert!(!l.place(&mut buf, 5, 0, "10.0.0.138", Style::new()));
        // Starts right after it, with no blank between: left out too.
        assert!(!l.place(&mut buf, 12, 0, "NL", Style::new()));
        // Room for a cut one after a blank.
        assert!(l.place(&mut buf, 13, 0, "94.188.248.7", Style::new()));
        assert_eq!(row(&buf, 0), "136.226.7.10 94.188…");
        // Too little room for three characters and the ellipsis: nothing.
        assert!(!l.place(&mut buf, 17, 1, "94.188.248.7", Style::new()));
        assert!(l.place(&mut buf, 17, 1, "LE", Style::new()));
        assert_eq!(row(&buf, 1).trim(), "LE");
    }

    #[test]
    fn canvas_points_map_to_cells_like_ratatui() {
        let l = Labels::new(Rect::new(1, 1, 11, 5));
        assert_eq!(
            l.cell_of([0.0, 100.0], [0.0, 100.0], 0.0, 100.0),
            Some((1, 1))
        );
        assert_eq!(
            l.cell_of([0.0, 100.0], [0.0, 100.0], 100.0, 0.0),
            Some((11, 5))
        );
        assert_eq!(l.cell_of([0.0, 100.0], [0.0, 100.0], 101.0, 0.0), None);
    }
}
