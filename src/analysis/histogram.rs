//! Histograms of a numeric series, on a linear or logarithmic axis.
//!
//! Bins are equal-width between the minimum and maximum (of log10(1 + x) on the
//! log axis). Missing values are skipped. Pure functions.

use serde::Serialize;

/// A histogram: `counts[i]` values fall in `[edges[i], edges[i + 1])` (the last bin is closed).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
    pub log: bool,
}

/// Bins of the histograms a view carries: a smaller screen shows them merged ([`Histogram::merged`]).
pub const VIEW_BINS: usize = 12;

impl Histogram {
    /// The same counts in at most `bins` bins, each the union of neighbouring ones (so every edge
    /// is one of the original edges and nothing is counted again).
    pub fn merged(&self, bins: usize) -> Histogram {
        let n = self.counts.len();
        let group = n.div_ceil(bins.max(1)).max(1);
        if group == 1 {
            return self.clone();
        }
        let counts = self.counts.chunks(group).map(|c| c.iter().sum()).collect();
        let mut edges: Vec<f64> = self.edges.iter().step_by(group).copied().collect();
        if !n.is_multiple_of(group)
            && let Some(&last) = self.edges.last()
        {
            edges.push(last);
        }
        Histogram {
            edges,
            counts,
            log: self.log,
        }
    }
}

/// Builds a histogram with `bins` bins.
pub fn histogram(values: &[f64], bins: usize, log: bool) -> Histogram {
    let bins = bins.max(1);
    let tf = |x: f64| if log { x.max(0.0).ln_1p() } else { x };
    let inv = |y: f64| if log { y.exp_m1() } else { y };
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &v in values.iter().filter(|v| v.is_finite()) {
        let t = tf(v);
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if !lo.is_finite() {
        return Histogram {
            log,
            ..Histogram::default()
        };
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let n = bins as f64;
    // Near ±f64::MAX, hi − lo overflows: divide before subtracting.
    let w = match (hi - lo) / n {
        w if w.is_finite() => w,
        _ => hi / n - lo / n,
    };
    let mut counts = vec![0u64; bins];
    for &v in values.iter().filter(|v| v.is_finite()) {
        let i = ((tf(v) / w - lo / w) as usize).min(bins - 1);
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    let edges = (0..=bins)
        .map(|i| {
            let e = lo + w * i as f64;
            let f = i as f64 / n;
            inv(if e.is_finite() {
                e
            } else {
                lo * (1.0 - f) + hi * f
            })
        })
        .collect();
    Histogram { edges, counts, log }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_bins_keep_every_count_and_original_edges() {
        let values: Vec<f64> = (0..1000).map(|i| f64::from(i % 97)).collect();
        let h = histogram(&values, VIEW_BINS, false);
        for k in 1..=VIEW_BINS + 2 {
            let m = h.merged(k);
            assert!(m.counts.len() <= k.max(1), "{k}: {m:?}");
            assert_eq!(m.counts.iter().sum::<u64>(), 1000);
            assert_eq!(m.edges.len(), m.counts.len() + 1, "{k}");
            assert!(m.edges.iter().all(|e| h.edges.contains(e)));
            assert_eq!(m.edges.first(), h.edges.first());
            assert_eq!(m.edges.last(), h.edges.last());
        }
    }

    #[test]
    fn counts_every_finite_value_once() {
        let h = histogram(&[0.0, 1.0, 2.0, 3.0, f64::NAN, 10.0], 5, false);
        assert_eq!(h.counts.iter().sum::<u64>(), 5);
        assert_eq!(h.counts[4], 1);
        let c = histogram(&[4.0, 4.0], 3, true);
        assert_eq!(c.counts.iter().sum::<u64>(), 2);
        assert!(histogram(&[], 3, false).counts.is_empty());
    }

    #[test]
    fn values_near_the_largest_float_have_finite_edges() {
        let h = histogram(&[-1.7e308, 0.0, 1.7e308, 1.6e308], 4, false);
        assert!(h.edges.iter().all(|e| e.is_finite()), "{:?}", h.edges);
        assert_eq!(h.counts, [1, 0, 1, 2]);
    }
}
