//! Thresholds that never refit: which rows are flagged at a contamination, a score cut-off, top-k or a
//! robust (median + k·MAD) cut-off, answered from one sorted view of the scores.
//!
//! Owns [`ScoreIndex`] (built once per scoring run, O(n log n)), the [`Rule`] a person picks, the
//! [`Selection`] a rule resolves to, and [`Contamination`] parsing. Every rule flags a prefix of the
//! rows in descending score order, so a selection is just a cut value and a count: resolving a rule
//! costs O(log n), listing the flagged rows O(k), and "is row r flagged?" O(1). This file must not
//! touch the forest: it works on any scores, higher = more anomalous.

use super::DetectError;
use std::fmt;
use std::str::FromStr;

/// How many rows to expect to be anomalous, as scikit-learn's `contamination`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Contamination {
    /// Flag rows scoring above 0.5 (scikit-learn's `offset_ = -0.5`).
    Auto,
    /// Flag rows scoring strictly above the (1 − c) quantile of the scores; `c` in (0, 0.5].
    Fraction(f64),
}

impl Contamination {
    /// A validated fraction in (0, 0.5].
    pub fn fraction(c: f64) -> Result<Self, DetectError> {
        if c.is_finite() && c > 0.0 && c <= 0.5 {
            Ok(Self::Fraction(c))
        } else {
            Err(DetectError::InvalidContamination {
                input: c.to_string(),
            })
        }
    }
}

impl Default for Contamination {
    /// The notebooks' 0.05.
    fn default() -> Self {
        Self::Fraction(super::defaults::CONTAMINATION)
    }
}

impl FromStr for Contamination {
    type Err = DetectError;

    /// Accepts `auto` (any case), a fraction such as `0.05`, or a percentage such as `5%`; surrounding
    /// spaces are ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        let bad = || DetectError::InvalidContamination { input: s.into() };
        let value = match t.strip_suffix('%') {
            Some(pct) => pct.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
            None => t.parse::<f64>().map_err(|_| bad())?,
        };
        Self::fraction(value).map_err(|_| bad())
    }
}

impl fmt::Display for Contamination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Fraction(c) => write!(f, "{c}"),
        }
    }
}

/// A way of deciding which rows are flagged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// scikit-learn's `offset_` rule for the given contamination.
    Contamination(Contamination),
    /// Rows scoring strictly above this value.
    Above(f64),
    /// The k highest-scoring rows (ties at the cut broken by lower row index first).
    TopK(usize),
    /// Rows scoring strictly above `median + k·MAD`, MAD being the raw median absolute deviation of
    /// the scores (no 1.4826 normal-consistency factor).
    Robust(f64),
}

/// What a [`Rule`] resolved to on one [`ScoreIndex`]: the flagged rows are the first `count` rows in
/// descending score order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    /// The rule asked for.
    pub rule: Rule,
    /// The cut: rows scoring strictly above it are flagged. For [`Rule::TopK`] it is instead the lowest
    /// flagged score (NaN when k = 0), since ties at the cut may be split.
    pub threshold: f64,
    /// How many rows are flagged.
    pub count: usize,
}

/// The scores in descending order, built once, answering every [`Rule`] without refitting.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreIndex {
    /// Row indices, highest score first; ties by ascending row.
    order: Vec<u32>,
    /// `rank[row]` = position of `row` in `order`.
    rank: Vec<u32>,
    /// `sorted[i]` = score of `order[i]`.
    sorted: Vec<f64>,
    median: f64,
    mad: f64,
}

impl ScoreIndex {
    /// Sorts and indexes the scores. Fails on an empty slice, a NaN, or more than 2³² rows.
    pub fn new(scores: &[f64]) -> Result<Self, DetectError> {
        let n = scores.len();
        if n == 0 {
            return Err(DetectError::NoRows);
        }
        if n > u32::MAX as usize {
            return Err(DetectError::InvalidParam {
                param: "rows",
                value: n.to_string(),
                reason: "at most 4294967295 rows can be indexed",
            });
        }
        if let Some(row) = scores.iter().position(|s| s.is_nan()) {
            return Err(DetectError::NanScore { row });
        }
        // Highest score first, ties in row order: a stable radix sort of the rows (already in
        // row order) by the complement of each score's total-order key.
        use crate::analysis::sort::{from_total_order_key, sort_by_u64_key, total_order_key};
        let mut pairs: Vec<(u64, u32)> = scores
            .iter()
            .enumerate()
            .map(|(r, &s)| (!total_order_key(s), r as u32))
            .collect();
        sort_by_u64_key(&mut pairs, |p| p.0);
        // The order first, then the scores written over the pairs' own buffer (an in-place
        // collect) and shrunk: at millions of rows this build is the peak of a detection run.
        let order: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        let mut sorted: Vec<f64> = pairs
            .into_iter()
            .map(|p| from_total_order_key(!p.0))
            .collect();
        sorted.shrink_to_fit();
        let mut rank = vec![0u32; n];
        for (i, &r) in order.iter().enumerate() {
            rank[r as usize] = i as u32;
        }
        // `sorted` is descending, so the median is read from the middle either way round.
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let mad = median_deviation(&sorted, median);
        Ok(Self {
            order,
            rank,
            sorted,
            median,
            mad,
        })
    }

    /// The scores, highest first.
    pub fn sorted_descending(&self) -> &[f64] {
        &self.sorted
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Never true: an index holds at least one row.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Median of the scores.
    pub fn median(&self) -> f64 {
        self.median
    }

    /// Median absolute deviation of the scores from their median (raw, unscaled).
    pub fn mad(&self) -> f64 {
        self.mad
    }

    /// The score at position `i` in descending order (`i = 0` is the highest).
    pub fn score_at_rank(&self, i: usize) -> Option<f64> {
        self.sorted.get(i).copied()
    }

    /// Position of `row` in descending score order.
    pub fn rank_of(&self, row: usize) -> Option<usize> {
        self.rank.get(row).map(|&r| r as usize)
    }

    /// Resolves a rule in O(log n). Never fails: a NaN cut-off flags nothing, `k` beyond the row count
    /// flags every row, and a contamination fraction outside [0, 1] is clamped.
    pub fn select(&self, rule: Rule) -> Selection {
        let strictly_above = |threshold: f64| Selection {
            rule,
            threshold,
            count: self.sorted.partition_point(|&s| s > threshold),
        };
        match rule {
            Rule::Contamination(Contamination::Auto) => strictly_above(0.5),
            Rule::Contamination(Contamination::Fraction(c)) => strictly_above(self.offset_cut(c)),
            Rule::Above(cut) => strictly_above(cut),
            Rule::Robust(k) => strictly_above(self.median + k * self.mad),
            Rule::TopK(k) => {
                let count = k.min(self.len());
                let threshold = count.checked_sub(1).map_or(f64::NAN, |i| self.sorted[i]);
                Selection {
                    rule,
                    threshold,
                    count,
                }
            }
        }
    }

    /// The flagged rows, most anomalous first, in O(1) per row.
    pub fn flagged(&self, selection: &Selection) -> impl ExactSizeIterator<Item = usize> + '_ {
        let count = selection.count.min(self.len());
        self.order[..count].iter().map(|&r| r as usize)
    }

    /// Every row with its score, highest score first (ties by ascending row).
    pub fn ranked(&self) -> impl ExactSizeIterator<Item = (usize, f64)> + '_ {
        self.order
            .iter()
            .zip(&self.sorted)
            .map(|(&r, &s)| (r as usize, s))
    }

    /// Whether `row` is flagged by `selection` (false for rows out of range).
    pub fn is_flagged(&self, selection: &Selection, row: usize) -> bool {
        self.rank
            .get(row)
            .is_some_and(|&r| (r as usize) < selection.count)
    }

    /// scikit-learn's cut for contamination `c`: it sets
    /// `offset_ = np.percentile(-scores, 100 * c)` (linear interpolation) and flags `-score < offset_`,
    /// i.e. `score > -offset_`. This replays numpy's arithmetic on the negated scores so the cut is
    /// the same double, not just the same in exact arithmetic.
    fn offset_cut(&self, c: f64) -> f64 {
        let n = self.len();
        // Negated scores ascending = `-sorted[i]`.
        let neg = |i: usize| -self.sorted[i];
        let q = ((100.0 * c) / 100.0).clamp(0.0, 1.0);
        let virtual_index = (n - 1) as f64 * q;
        let offset = if virtual_index >= (n - 1) as f64 {
            neg(n - 1)
        } else {
            let prev = virtual_index.floor();
            let gamma = virtual_index - prev;
            let (a, b) = (neg(prev as usize), neg(prev as usize + 1));
            let diff = b - a;
            if gamma >= 0.5 {
                b - diff * (1.0 - gamma)
            } else {
                a + diff * gamma
            }
        };
        -offset
    }
}

/// Median (average of the two middle values for an even count) by selection; `v` is reordered.
/// The median of `|x − median|` over `desc` (sorted descending, no NaN), without a copy: the
/// deviations of the values at or above `median` ascend from the middle towards the front, those
/// below ascend towards the back, so a merge of the two runs meets the middle ones in order.
fn median_deviation(desc: &[f64], median: f64) -> f64 {
    let n = desc.len();
    if n == 0 {
        return f64::NAN;
    }
    let split = desc.partition_point(|&x| x >= median);
    let (mut up, mut down) = (split, split);
    let mut next = || {
        let a = (up > 0).then(|| desc[up - 1] - median);
        let b = (down < n).then(|| median - desc[down]);
        match (a, b) {
            (Some(a), Some(b)) if a.total_cmp(&b).is_le() => {
                up -= 1;
                a
            }
            (Some(a), None) => {
                up -= 1;
                a
            }
            (_, Some(b)) => {
                down += 1;
                b
            }
            (None, None) => f64::NAN,
        }
    };
    // The k-th smallest deviation (0-based) for k = n/2 − 1 and n/2.
    let mut lo = f64::NAN;
    for _ in 0..n / 2 {
        lo = next();
    }
    let hi = next();
    if n % 2 == 1 { hi } else { (lo + hi) / 2.0 }
}

#[cfg(test)]
fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return hi;
    }
    let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo + hi) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_deviation_matches_a_copy_and_select() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 40) as f64 / 1e4
        };
        for n in [1usize, 2, 3, 4, 5, 10, 101, 1000] {
            for ties in [false, true] {
                let mut v: Vec<f64> = (0..n)
                    .map(|_| {
                        if ties {
                            (next() * 10.0).floor()
                        } else {
                            next()
                        }
                    })
                    .collect();
                v.sort_unstable_by(|a, b| b.total_cmp(a));
                let median = if n % 2 == 1 {
                    v[n / 2]
                } else {
                    (v[n / 2 - 1] + v[n / 2]) / 2.0
                };
                let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
                let want = median_in_place(&mut dev);
                assert_eq!(
                    median_deviation(&v, median).to_bits(),
                    want.to_bits(),
                    "n = {n}"
                );
            }
        }
    }

    fn rows(ix: &ScoreIndex, sel: &Selection) -> Vec<usize> {
        ix.flagged(sel).collect()
    }

    #[test]
    fn contamination_parses_and_rejects_with_a_message() {
        assert_eq!(
            "auto".parse::<Contamination>().unwrap(),
            Contamination::Auto
        );
        assert_eq!(
            " AUTO ".parse::<Contamination>().unwrap(),
            Contamination::Auto
        );
        assert_eq!(
            "0.05".parse::<Contamination>().unwrap(),
            Contamination::Fraction(0.05)
        );
        assert_eq!(
            "5%".parse::<Contamination>().unwrap(),
            Contamination::Fraction(0.05)
        );
        assert_eq!(
            "0.5".parse::<Contamination>().unwrap(),
            Contamination::Fraction(0.5)
        );
        for bad in ["0", "0.51", "-0.1", "nan", "inf", "", "abc", "60%"] {
            let e = bad.parse::<Contamination>().unwrap_err();
            assert!(e.to_string().contains(&format!("'{bad}'")), "{e}");
            assert!(e.to_string().contains("(0, 0.5]"), "{e}");
        }
        assert_eq!(Contamination::default().to_string(), "0.05");
    }

    #[test]
    fn order_breaks_ties_by_row_and_answers_rank_queries() {
        let ix = ScoreIndex::new(&[0.3, 0.9, 0.3, 0.1, 0.9]).unwrap();
        let all = ix.select(Rule::TopK(10));
        assert_eq!(all.count, 5);
        assert_eq!(rows(&ix, &all), vec![1, 4, 0, 2, 3]);
        assert_eq!(ix.rank_of(2), Some(3));
        assert_eq!(ix.score_at_rank(0), Some(0.9));
        let top3 = ix.select(Rule::TopK(3));
        assert_eq!((top3.count, top3.threshold), (3, 0.3));
        assert!(ix.is_flagged(&top3, 0) && !ix.is_flagged(&top3, 2) && !ix.is_flagged(&top3, 99));
        assert!(ix.select(Rule::TopK(0)).threshold.is_nan());
    }

    #[test]
    fn cut_offs_are_strictly_above() {
        let ix = ScoreIndex::new(&[0.2, 0.5, 0.6, 0.5, 0.7]).unwrap();
        let sel = ix.select(Rule::Above(0.5));
        assert_eq!(rows(&ix, &sel), vec![4, 2]);
        let auto = ix.select(Rule::Contamination(Contamination::Auto));
        assert_eq!((auto.threshold, auto.count), (0.5, 2));
        assert_eq!(ix.select(Rule::Above(f64::NAN)).count, 0);
        assert_eq!(ix.select(Rule::Above(-1.0)).count, 5);
    }

    #[test]
    fn contamination_interpolates_like_numpy() {
        // 11 scores 0.0, 0.1, ..., 1.0 (shuffled). At c = 0.05: -offset_ is the 95th percentile,
        // virtual index 10 × 0.05 = 0.5 on the negated scores → between -1.0 and -0.9 → 0.95.
        let s = [0.3, 1.0, 0.0, 0.9, 0.5, 0.1, 0.7, 0.2, 0.8, 0.4, 0.6];
        let ix = ScoreIndex::new(&s).unwrap();
        let sel = ix.select(Rule::Contamination(Contamination::Fraction(0.05)));
        assert!((sel.threshold - 0.95).abs() < 1e-12, "{}", sel.threshold);
        assert_eq!(rows(&ix, &sel), vec![1]);
        // c = 0.2: index 2.0 exactly → cut = 0.8, and 0.8 itself is NOT flagged (strictly above).
        let sel = ix.select(Rule::Contamination(Contamination::Fraction(0.2)));
        assert!((sel.threshold - 0.8).abs() < 1e-12);
        assert_eq!(rows(&ix, &sel), vec![1, 3]);
        // c = 0.5 on 4 scores: index 1.5 → midway between the 2nd and 3rd highest.
        let ix = ScoreIndex::new(&[0.4, 0.1, 0.8, 0.6]).unwrap();
        let sel = ix.select(Rule::Contamination(Contamination::Fraction(0.5)));
        assert!((sel.threshold - 0.5).abs() < 1e-12);
        assert_eq!(rows(&ix, &sel), vec![2, 3]);
    }

    #[test]
    fn tied_scores_at_the_quantile_are_not_flagged() {
        // Many rows share the cut value: none of them are flagged, only those strictly above.
        let mut s = vec![0.4; 95];
        s.extend([0.6, 0.6, 0.6, 0.7, 0.8]);
        let ix = ScoreIndex::new(&s).unwrap();
        let sel = ix.select(Rule::Contamination(Contamination::Fraction(0.1)));
        assert_eq!(sel.threshold, 0.4);
        assert_eq!(sel.count, 5);
        let sel = ix.select(Rule::Contamination(Contamination::Fraction(0.02)));
        // index 99 × 0.02 = 1.98 on negated → between -0.7 (index 1) and -0.6 (index 2), γ ≥ 0.5.
        assert!((sel.threshold - 0.602).abs() < 1e-12, "{}", sel.threshold);
        assert_eq!(rows(&ix, &sel), vec![99, 98]);
    }

    #[test]
    fn robust_cut_uses_median_and_mad() {
        let ix = ScoreIndex::new(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap();
        assert_eq!((ix.median(), ix.mad()), (3.0, 1.0));
        let sel = ix.select(Rule::Robust(3.0));
        assert_eq!((sel.threshold, rows(&ix, &sel)), (6.0, vec![4]));
        let even = ScoreIndex::new(&[1.0, 2.0, 4.0, 10.0]).unwrap();
        // median 3; deviations 2, 1, 1, 7 → MAD 1.5.
        assert_eq!((even.median(), even.mad()), (3.0, 1.5));
    }

    #[test]
    fn single_row_and_bad_input() {
        let ix = ScoreIndex::new(&[0.5]).unwrap();
        let sel = ix.select(Rule::Contamination(Contamination::Fraction(0.05)));
        assert_eq!((sel.threshold, sel.count), (0.5, 0));
        assert_eq!(ScoreIndex::new(&[]), Err(DetectError::NoRows));
        assert_eq!(
            ScoreIndex::new(&[0.1, f64::NAN]),
            Err(DetectError::NanScore { row: 1 })
        );
    }
}
