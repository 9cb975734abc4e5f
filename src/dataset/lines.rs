//! Which input line each row was read from, kept as the few places where the count of lines
//! does not simply go up by one (a blank or rejected line, a record spanning several lines, the
//! start of another file), so a file with one record a line costs one entry.
//!
//! Owns the mapping only; it never reads input (the loader tells it each kept row's line).

/// Row → 1-based input line (the header is line 1), for the rows as loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineMap {
    /// `(row, line)` where the line is not the previous row's plus one, by row.
    breaks: Vec<(u64, u64)>,
    /// Rows recorded so far.
    rows: u64,
}

impl LineMap {
    /// Records that the next row was read from `line`.
    pub fn push(&mut self, line: u64) {
        if self.follows(self.rows) != Some(line) {
            self.breaks.push((self.rows, line));
        }
        self.rows += 1;
    }

    /// Appends another map's rows after this one's.
    pub fn append(&mut self, other: &LineMap) {
        for (i, &(row, line)) in other.breaks.iter().enumerate() {
            let at = self.rows + row;
            // The first break of `other` may continue this map's count.
            if i == 0 && row == 0 && self.follows(at) == Some(line) {
                continue;
            }
            self.breaks.push((at, line));
        }
        self.rows += other.rows;
    }

    /// The line `row` was read from (`None` when unknown: no rows were recorded, or past them).
    pub fn line(&self, row: usize) -> Option<u64> {
        let row = row as u64;
        if row >= self.rows {
            return None;
        }
        self.follows(row)
    }

    /// The line `row` would be on, counting on from the last break before it.
    fn follows(&self, row: u64) -> Option<u64> {
        let i = self.breaks.partition_point(|&(r, _)| r <= row);
        let &(r, l) = self.breaks.get(i.checked_sub(1)?)?;
        Some(l + (row - r))
    }

    /// Whether any row's line is known.
    pub fn is_empty(&self) -> bool {
        self.breaks.is_empty()
    }

    /// Every line moved down by `by` (a chunk parsed as if it started at line 0).
    pub fn shift(&mut self, by: u64) {
        for b in &mut self.breaks {
            b.1 += by;
        }
    }

    /// Forgets the first `n` rows: row `n` becomes row 0 and keeps its line (a window over a
    /// followed file).
    pub fn drop_front(&mut self, n: u64) {
        let n = n.min(self.rows);
        let first = self.follows(n).filter(|_| n < self.rows);
        let rest = self.breaks.iter().filter(|&&(r, _)| r > n);
        let mut breaks: Vec<(u64, u64)> = first.map(|l| (0, l)).into_iter().collect();
        breaks.extend(rest.map(|&(r, l)| (r - n, l)));
        self.breaks = breaks;
        self.rows -= n;
    }

    /// Each line passed through `f` (e.g. from a converted CSV's lines to the original input's).
    pub fn remap(&self, f: impl Fn(u64) -> u64) -> LineMap {
        let mut out = LineMap::default();
        for row in 0..self.rows as usize {
            if let Some(l) = self.line(row) {
                out.push(f(l));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_lines_cost_one_entry_and_gaps_are_kept() {
        let mut m = LineMap::default();
        for l in [2, 3, 4, 7, 8, 12] {
            m.push(l);
        }
        assert_eq!(m.breaks.len(), 3);
        let lines: Vec<Option<u64>> = (0..6).map(|r| m.line(r)).collect();
        assert_eq!(lines, [2, 3, 4, 7, 8, 12].map(Some));
        assert_eq!(LineMap::default().line(0), None);
    }

    #[test]
    fn appended_files_start_again_at_their_own_lines() {
        let (mut a, mut b) = (LineMap::default(), LineMap::default());
        a.push(2);
        a.push(3);
        b.push(2);
        b.push(4);
        a.append(&b);
        let lines: Vec<Option<u64>> = (0..4).map(|r| a.line(r)).collect();
        assert_eq!(lines, [2, 3, 2, 4].map(Some));
        let shifted = a.remap(|l| l * 10);
        assert_eq!(shifted.line(3), Some(40));
    }

    #[test]
    fn dropping_the_first_rows_keeps_the_others_lines() {
        let mut m = LineMap::default();
        for l in [2, 3, 4, 7, 8, 12, 13] {
            m.push(l);
        }
        let mut d = m.clone();
        d.drop_front(2);
        let lines: Vec<Option<u64>> = (0..6).map(|r| d.line(r)).collect();
        assert_eq!(
            lines,
            [4, 7, 8, 12, 13]
                .map(Some)
                .into_iter()
                .chain([None])
                .collect::<Vec<_>>()
        );
        d.drop_front(3);
        assert_eq!(
            (d.line(0), d.line(1), d.line(2)),
            (Some(12), Some(13), None)
        );
        d.drop_front(9);
        assert_eq!(d.line(0), None);
        assert!(d.is_empty());
        let mut e = LineMap::default();
        e.drop_front(1);
        assert_eq!(e.line(0), None);
    }
}
