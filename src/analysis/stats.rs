//! Descriptive statistics with pandas' definitions.
//!
//! count, mean, std (ddof = 1), min, q1, median, q3 (linear interpolation,
//! numpy's default), max, range, mode (most frequent; smallest on ties),
//! skewness (adjusted Fisher-Pearson, `Series.skew`) and excess kurtosis
//! (bias-corrected, `Series.kurt`). Missing values (`NaN`) are skipped, as pandas
//! does. Undefined statistics are `None`, never NaN. Pure functions, no I/O.

use serde::Serialize;

/// The statistics of one numeric series; keys match pandas' `describe()` plus extras.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub count: usize,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub min: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
    pub max: Option<f64>,
    pub range: Option<f64>,
    pub mode: Option<f64>,
    pub skewness: Option<f64>,
    pub kurtosis: Option<f64>,
    /// Values missing (not counted).
    pub missing: usize,
}

/// A running compensated (Neumaier) sum. Adding values one by one gives exactly [`sum`] of
/// them in that order, so a sum can be carried across blocks of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Neumaier {
    s: f64,
    c: f64,
}

impl Neumaier {
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.s + x;
        if self.s.abs() >= x.abs() {
            self.c += (self.s - t) + x;
        } else {
            self.c += (x - t) + self.s;
        }
        self.s = t;
    }
    #[inline]
    pub fn value(&self) -> f64 {
        self.s + self.c
    }
}

/// `N` compensated sums side by side, each exactly what a [`Neumaier`] given the same terms in the
/// same order gives (a test checks it). Written lane by lane without branches so that a loop of
/// additions vectorises (see `analysis::wide`).
#[derive(Debug, Clone, Copy)]
pub struct NeumaierLanes<const N: usize> {
    s: [f64; N],
    c: [f64; N],
}

impl<const N: usize> Default for NeumaierLanes<N> {
    fn default() -> Self {
        Self {
            s: [0.0; N],
            c: [0.0; N],
        }
    }
}

impl<const N: usize> NeumaierLanes<N> {
    /// Sums that go on from these.
    pub fn from_sums(sums: [Neumaier; N]) -> Self {
        Self {
            s: sums.map(|n| n.s),
            c: sums.map(|n| n.c),
        }
    }

    /// The sums as separate accumulators.
    pub fn sums(&self) -> [Neumaier; N] {
        std::array::from_fn(|q| Neumaier {
            s: self.s[q],
            c: self.c[q],
        })
    }

    /// Adds `x[q]` to sum `q`, for every `q`.
    #[inline(always)]
    pub fn add(&mut self, x: [f64; N]) {
        for q in 0..N {
            let (s, x) = (self.s[q], x[q]);
            let t = s + x;
            let (big, small) = if s.abs() >= x.abs() { (s, x) } else { (x, s) };
            self.c[q] += (big - t) + small;
            self.s[q] = t;
        }
    }

    /// Adds `x[q]` to sum `q` where `keep[q]`; the other sums are left as they are.
    #[inline(always)]
    pub fn add_where(&mut self, x: [f64; N], keep: [bool; N]) {
        for q in 0..N {
            let (s, c, x) = (self.s[q], self.c[q], x[q]);
            let t = s + x;
            let (big, small) = if s.abs() >= x.abs() { (s, x) } else { (x, s) };
            let c2 = c + ((big - t) + small);
            self.s[q] = if keep[q] { t } else { s };
            self.c[q] = if keep[q] { c2 } else { c };
        }
    }

    /// Each sum's value.
    pub fn values(&self) -> [f64; N] {
        std::array::from_fn(|q| self.s[q] + self.c[q])
    }
}

/// Compensated (Neumaier) sum: as accurate as numpy's pairwise sum or better.
pub fn sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut acc = Neumaier::default();
    for x in values {
        acc.add(x);
    }
    acc.value()
}

/// The linearly interpolated quantile of sorted data (numpy "linear", type 7).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    quantile_sorted_at(sorted.len(), |i| sorted[i], p)
}

/// [`quantile_sorted`] over `n` ascending values read through `at` (index `0..n`), for sorted data
/// held some other way (e.g. descending) without copying it.
pub fn quantile_sorted_at(n: usize, at: impl Fn(usize) -> f64, p: f64) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (at(lo), at(hi));
    let t = h - lo as f64;
    let gap = b - a;
    // numpy's _lerp: symmetric form for accuracy near t = 1. When the gap itself
    // overflows (values near ±f64::MAX), weight the ends instead.
    Some(if !gap.is_finite() {
        a * (1.0 - t) + b * t
    } else if t >= 0.5 {
        b - gap * (1.0 - t)
    } else {
        a + gap * t
    })
}

/// Computes [`Stats`] of a series; `NaN` entries are missing.
pub fn describe(values: &[f64]) -> Stats {
    describe_owned(values.to_vec())
}

/// [`describe`] of a series the caller no longer needs: sorts it in place instead of copying.
pub fn describe_owned(mut values: Vec<f64>) -> Stats {
    let total = values.len();
    values.retain(|x| !x.is_nan());
    let missing = total - values.len();
    let sorted = super::sort::sort_floats(values);
    describe_sorted(&sorted, missing)
}

/// [`describe`] on data already sorted ascending without NaN.
pub fn describe_sorted(sorted: &[f64], missing: usize) -> Stats {
    let n = sorted.len();
    let nf = n as f64;
    let (min, max) = (sorted.first().copied(), sorted.last().copied());
    let mean = (n > 0).then(|| {
        let m = sum(sorted.iter().copied()) / nf;
        // A sum past f64::MAX: add the values already divided instead.
        if m.is_finite() {
            m
        } else {
            sum(sorted.iter().map(|x| x / nf))
        }
    });
    let constant = min == max;
    // Central moments of x / scale; the scale is 1 unless a power overflows.
    let (mut m2, mut m3, mut m4, mut scale) = (0.0, 0.0, 0.0, 1.0);
    if let Some(mu) = mean {
        (m2, m3, m4) = central_moments(sorted, mu, 1.0);
        if !(m2.is_finite() && m3.is_finite() && m4.is_finite()) {
            scale = min.map_or(1.0, f64::abs).max(max.map_or(1.0, f64::abs));
            (m2, m3, m4) = central_moments(sorted, mu, scale);
        }
    }
    // Skewness and kurtosis do not depend on the scale; std is scaled back.
    let (std, skewness, kurtosis) = shape_from_moments(n, m2, m3, m4, constant);
    let std = std.map(|s| scale * s);
    let finite = |x: Option<f64>| x.filter(|x| x.is_finite());
    Stats {
        count: n,
        mean: finite(mean),
        std: finite(std),
        min,
        q1: quantile_sorted(sorted, 0.25),
        median: quantile_sorted(sorted, 0.5),
        q3: quantile_sorted(sorted, 0.75),
        max,
        range: finite(min.zip(max).map(|(a, b)| b - a)),
        mode: mode_sorted(sorted),
        skewness: finite(skewness),
        kurtosis: finite(kurtosis),
        missing,
    }
}

/// pandas' sample std, bias-corrected skewness and excess kurtosis from `n` values whose
/// central moments (sums of the 2nd, 3rd and 4th powers of `x − mean`) are `m2`, `m3`, `m4`;
/// `constant` when every value is the same. The one home of these formulas (local statistics and
/// the engines' summary queries use it).
pub fn shape_from_moments(
    n: usize,
    m2: f64,
    m3: f64,
    m4: f64,
    constant: bool,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    let nf = n as f64;
    let std = (n > 1).then(|| (m2 / (nf - 1.0)).sqrt());
    let skewness = (n > 2 && !constant && m2 > 0.0)
        .then(|| (nf * (nf - 1.0).sqrt() / (nf - 2.0)) * (m3 / m2.powf(1.5)));
    let kurtosis = (n > 3 && !constant && m2 > 0.0).then(|| {
        let adj = 3.0 * (nf - 1.0).powi(2) / ((nf - 2.0) * (nf - 3.0));
        let num = nf * (nf + 1.0) * (nf - 1.0) * m4;
        let den = (nf - 2.0) * (nf - 3.0) * m2 * m2;
        num / den - adj
    });
    (std, skewness, kurtosis)
}

/// Sums of the 2nd, 3rd and 4th powers of `(x − mu) / scale`.
fn central_moments(values: &[f64], mu: f64, scale: f64) -> (f64, f64, f64) {
    // One pass, three independent compensated sums side by side: each sees its terms in order
    // (the same bits as three passes), and the CPU overlaps (and vectorises) their chains.
    super::wide::run(|| {
        let mut m = NeumaierLanes::<3>::default();
        for x in values {
            let e = x / scale - mu / scale;
            m.add([e.powi(2), e.powi(3), e.powi(4)]);
        }
        let [m2, m3, m4] = m.values();
        (m2, m3, m4)
    })
}

/// Most frequent value of sorted data; the smallest on ties.
pub fn mode_sorted(sorted: &[f64]) -> Option<f64> {
    let mut best: Option<(f64, usize)> = None;
    let mut i = 0;
    while let Some(&v) = sorted.get(i) {
        let run = sorted
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&x| x == v)
            .count()
            .max(1);
        if best.is_none_or(|(_, n)| run > n) {
            best = Some((v, run));
        }
        i += run;
    }
    best.map(|(v, _)| v)
}

/// The linearly interpolated quantile of unsorted data without NaN, as [`quantile_sorted`] of
/// the sorted data but in linear time; reorders `values`.
pub fn quantile_unsorted(values: &mut [f64], p: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let (_, &mut a, right) = values.select_nth_unstable_by(lo, f64::total_cmp);
    // The next order statistic is the smallest value to the right of the lo-th.
    let b = right.iter().copied().min_by(f64::total_cmp).unwrap_or(a);
    let t = h - lo as f64;
    Some(if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    })
}

/// Pearson correlation of two series over rows where both are present;
/// `None` when either is constant or fewer than two pairs exist.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let pairs = || {
        a.iter()
            .zip(b)
            .filter(|(x, y)| !x.is_nan() && !y.is_nan())
            .map(|(x, y)| (*x, *y))
    };
    let count = pairs().count();
    if count < 2 {
        return None;
    }
    let n = count as f64;
    let (mut sa, mut sb) = (Neumaier::default(), Neumaier::default());
    for (x, y) in pairs() {
        sa.add(x);
        sb.add(y);
    }
    let (ma, mb) = (sa.value() / n, sb.value() / n);
    let (mut sab, mut saa, mut sbb) = (
        Neumaier::default(),
        Neumaier::default(),
        Neumaier::default(),
    );
    for (x, y) in pairs() {
        sab.add((x - ma) * (y - mb));
        saa.add((x - ma).powi(2));
        sbb.add((y - mb).powi(2));
    }
    if saa.value().is_finite() && sbb.value().is_finite() && sab.value().is_finite() {
        return pearson_from(sab.value(), saa.value(), sbb.value());
    }
    // A sum of squares overflowed (values near f64::MAX): r does not depend on
    // scale, so retry on values divided by their largest magnitude.
    let all: Vec<(f64, f64)> = pairs().collect();
    let largest = |f: fn(&(f64, f64)) -> f64| all.iter().map(|p| f(p).abs()).fold(0.0, f64::max);
    let r = pearson_scaled(&all, largest(|p| p.0), largest(|p| p.1))?;
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

/// The correlation from the centred sums of products and of squares (shared by [`pearson`] and
/// the streaming correlation matrix, so both give the same bits).
#[inline]
pub fn pearson_from(sab: f64, saa: f64, sbb: f64) -> Option<f64> {
    let r = sab / (saa.sqrt() * sbb.sqrt());
    (saa > 0.0 && sbb > 0.0 && r.is_finite()).then(|| r.clamp(-1.0, 1.0))
}

/// Pearson's r of `(a / sa, b / sb)`; `None` when a series is constant or a sum
/// is not finite.
fn pearson_scaled(pairs: &[(f64, f64)], sa: f64, sb: f64) -> Option<f64> {
    let n = pairs.len() as f64;
    let ma = sum(pairs.iter().map(|p| p.0 / sa)) / n;
    let mb = sum(pairs.iter().map(|p| p.1 / sb)) / n;
    let da = |p: &(f64, f64)| p.0 / sa - ma;
    let db = |p: &(f64, f64)| p.1 / sb - mb;
    let sab = sum(pairs.iter().map(|p| da(p) * db(p)));
    let saa = sum(pairs.iter().map(|p| da(p).powi(2)));
    let sbb = sum(pairs.iter().map(|p| db(p).powi(2)));
    let finite = sab.is_finite() && saa.is_finite() && sbb.is_finite();
    (finite && saa > 0.0 && sbb > 0.0).then(|| sab / (saa.sqrt() * sbb.sqrt()))
}

/// Interquartile-range fences (q1 − k·IQR, q3 + k·IQR); infinite when the IQR
/// overflows, `None` when undefined. Always ordered, never NaN, so they can be
/// handed to `f64::clamp`, which panics on NaN.
pub fn iqr_fences(stats: &Stats, k: f64) -> Option<(f64, f64)> {
    let (q1, q3) = (stats.q1?, stats.q3?);
    let iqr = q3 - q1;
    let (lo, hi) = (q1 - k * iqr, q3 + k * iqr);
    (lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-12 * b.abs().max(1.0))
    }

    /// Side-by-side sums are, lane for lane, the one-at-a-time sums, skipped terms included; and
    /// the moments come out the same with and without the AVX2 build.
    #[test]
    fn lanes_of_sums_are_the_single_sums() {
        let mut state = 11u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 10f64.powi((state % 23) as i32)
        };
        let terms: Vec<[f64; 3]> = (0..5_000)
            .map(|_| std::array::from_fn(|_| next()))
            .collect();
        let mut lanes = NeumaierLanes::<3>::default();
        let mut single = [Neumaier::default(); 3];
        for (k, t) in terms.iter().enumerate() {
            let keep = [true, k % 3 != 0, k % 7 == 0];
            lanes.add_where(*t, keep);
            for q in 0..3 {
                if keep[q] {
                    single[q].add(t[q]);
                }
            }
        }
        assert_eq!(lanes.sums(), single);
        let mut values: Vec<f64> = terms.iter().flatten().copied().collect();
        values.sort_by(f64::total_cmp);
        let wide = describe_sorted(&values, 0);
        let portable = super::super::wide::portable(|| describe_sorted(&values, 0));
        assert_eq!(format!("{wide:?}"), format!("{portable:?}"));
        assert!(wide.kurtosis.is_some());
    }

    #[test]
    fn matches_pandas_on_a_small_series() {
        // pandas: pd.Series([1, 2, 2, 3, 10]).describe(), .skew(), .kurt()
        let s = describe(&[1.0, 2.0, 2.0, 3.0, 10.0, f64::NAN]);
        assert_eq!(s.count, 5);
        assert_eq!(s.missing, 1);
        assert!(close(s.mean, 3.6));
        assert!(close(s.std, 3.646916505762094));
        assert!(close(s.q1, 2.0));
        assert!(close(s.median, 2.0));
        assert!(close(s.q3, 3.0));
        assert!(close(s.mode, 2.0));
        assert!(close(s.skewness, 2.0286991020803327));
        assert!(close(s.kurtosis, 4.272146531742891));
    }

    #[test]
    fn quantiles_interpolate_linearly() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!(close(quantile_sorted(&v, 0.25), 1.75));
        assert!(close(quantile_sorted(&v, 0.5), 2.5));
    }

    #[test]
    fn constant_and_tiny_series_are_defined() {
        let s = describe(&[5.0; 4]);
        assert_eq!(s.skewness, None);
        assert_eq!(s.kurtosis, None);
        assert!(close(s.std, 0.0));
        let one = describe(&[7.0]);
        assert_eq!(one.std, None);
        assert!(close(one.median, 7.0));
        let none = describe(&[]);
        assert_eq!(none.count, 0);
        assert_eq!(none.mean, None);
    }

    #[test]
    fn values_near_the_largest_float_give_finite_statistics() {
        let big = 1.7e308;
        let s = describe(&[-big, -big, big, big, big]);
        assert!(close(s.mean, big / 5.0));
        assert!(close(s.q1, -big), "{:?}", s.q1);
        assert!(close(s.median, big));
        // sqrt(0.3) * 2 * big: past f64::MAX, so undefined rather than inf.
        assert_eq!(s.std, None);
        assert_eq!(s.range, None);
        assert!(close(s.skewness, -0.6085806194501846), "{:?}", s.skewness);
        assert!(close(s.kurtosis, -3.3333333333333335), "{:?}", s.kurtosis);
        let s = describe(&[big, big / 2.0, 0.0]);
        assert!(close(s.std, big / 2.0), "{:?}", s.std);
        assert!(close(s.range, big));
        assert!(close(pearson(&[-big, 0.0, big], &[1.0, 2.0, 3.0]), 1.0));
        assert!(close(pearson(&[-big, big, -big], &[big, -big, big]), -1.0));
    }

    #[test]
    fn unsorted_quantiles_equal_sorted_ones_bit_for_bit() {
        let mut v: Vec<f64> = (0..1001)
            .map(|i| ((i * 7919) % 1009) as f64 * if i % 3 == 0 { -0.5 } else { 1.25 })
            .collect();
        v.extend([0.0, -0.0, 1e300, -1e300]);
        let mut sorted = v.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        for n in [0, 1, 2, 5, v.len()] {
            let mut part = v[..n].to_vec();
            let mut sorted_part = part.clone();
            sorted_part.sort_unstable_by(f64::total_cmp);
            for p in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0] {
                assert_eq!(
                    quantile_unsorted(&mut part, p).map(f64::to_bits),
                    quantile_sorted(&sorted_part, p).map(f64::to_bits),
                    "n {n} p {p}"
                );
            }
        }
        let mut tame: Vec<f64> = v.iter().copied().filter(|x| x.abs() < 1e6).collect();
        tame.push(f64::NAN);
        assert_eq!(describe_owned(tame.clone()), describe(&tame));
    }

    #[test]
    fn running_sum_equals_the_sum_function() {
        let v = [1e16, 1.0, -1e16, 3.5, 1e-3, -7.25];
        let mut acc = Neumaier::default();
        v.iter().for_each(|&x| acc.add(x));
        assert_eq!(acc.value().to_bits(), sum(v).to_bits());
        // The compensation recovers the 1.0 a naive sum loses to 1e16.
        assert!((sum(v) - (-2.749)).abs() < 1e-12, "{}", sum(v));
    }

    #[test]
    fn mode_prefers_smallest_on_ties() {
        assert_eq!(mode_sorted(&[1.0, 1.0, 2.0, 2.0, 3.0]), Some(1.0));
    }

    #[test]
    fn pearson_of_constant_is_undefined() {
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert!(close(
            pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.5]),
            0.9979487157886733
        ));
    }
}
