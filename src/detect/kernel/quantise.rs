//! Quantised splits for the AVX2 kernel: every threshold becomes its rank among the forest's
//! distinct thresholds on the same feature, and every row value the number of those thresholds
//! below it, so one integer comparison answers exactly what the `f32` one does.
//!
//! For a feature's sorted distinct thresholds `T₀ < … < Tₘ₋₁` and a value `x`, let
//! `q(x) = #{j : Tⱼ < x}`. Then `x > Tⱼ ⇔ q(x) > j`: if `x > Tⱼ` every `Tₖ` with `k ≤ j` is below
//! `x`; otherwise only those with `k < j` can be (and NaN is above none). A split is stored as one
//! `i32`, `rank · 16 + feature`, and a row value as `q · 16`, so `code > split ⇔ q > rank` (the
//! feature bits never decide) and one table lookup gives both the split and its feature.
//! Pass-through nodes (`+inf`) get a rank no value reaches. This file owns that encoding; it
//! must not walk trees.

use super::{LANES, Step};

/// Feature bits in a split code (features are `< 16`).
pub(super) const FEATURE_BITS: u32 = 4;

/// The forest's splits as codes, and each feature's sorted distinct thresholds.
pub(super) struct Quantised {
    /// Per tree `stride` codes: entry `i` is split `i` (entry 0 unused), padded with
    /// pass-through codes.
    pub(super) table: Vec<i32>,
    /// Codes per tree: `max(2^depth, 8)`, so the first eight load as one register.
    pub(super) stride: usize,
    /// Per feature, its distinct thresholds in increasing order.
    pub(super) cuts: Vec<Vec<f32>>,
}

impl Quantised {
    /// Encodes `steps` (`2^depth` per tree, offsets `feature · LANES`) for `d <= 16` features;
    /// `None` if a threshold is NaN or there are too many to rank in the code's bits.
    pub(super) fn new(steps: &[Step], depth: u32, d: usize) -> Option<Self> {
        if d > 1 << FEATURE_BITS {
            return None;
        }
        let width = 1usize << depth;
        let mut cuts = vec![Vec::new(); d];
        for s in steps.iter().filter(|s| s.threshold != f32::INFINITY) {
            if s.threshold.is_nan() {
                return None;
            }
            cuts.get_mut(s.offset as usize / LANES)?.push(s.threshold);
        }
        for c in &mut cuts {
            c.sort_by(f32::total_cmp);
            // −0 and +0 compare equal and sort side by side: one rank.
            c.dedup_by(|a, b| a == b);
        }
        // Ranks and codes must stay below the pass-through code.
        let pass = i32::MAX >> FEATURE_BITS << FEATURE_BITS;
        if cuts
            .iter()
            .any(|c| (c.len() as u64) << FEATURE_BITS >= pass as u64)
        {
            return None;
        }
        let stride = width.max(8);
        let mut table = Vec::with_capacity(steps.len() / width * stride);
        for tree in steps.chunks_exact(width) {
            for i in 0..stride {
                let code = match tree.get(i) {
                    Some(s) if i > 0 && s.threshold != f32::INFINITY => {
                        let f = s.offset as usize / LANES;
                        let rank = cuts[f].partition_point(|&t| t < s.threshold);
                        ((rank as i32) << FEATURE_BITS) | f as i32
                    }
                    _ => pass,
                };
                table.push(code);
            }
        }
        Some(Self {
            table,
            stride,
            cuts,
        })
    }
}

/// `#{t in cuts : t < x}` for sorted `cuts`: the statement the AVX2 kernel's `encode` computes
/// sixteen lanes at a time, checked here against `>`.
#[cfg(test)]
fn below(cuts: &[f32], x: f32) -> usize {
    let (mut base, mut n) = (0usize, cuts.len());
    while n > 1 {
        let half = n / 2;
        // `base + half - 1 < base + n <= cuts.len()`.
        if cuts[base + half - 1] < x {
            base += half;
        }
        n -= half;
    }
    base + usize::from(n == 1 && cuts[base] < x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_counts_the_thresholds_under_a_value() {
        let cuts = [-3.0f32, -0.0, 1.5, 2.0, 7.0];
        for x in [
            f32::NEG_INFINITY,
            -4.0,
            -3.0,
            -1.0,
            -0.0,
            0.0,
            1.0,
            1.5,
            1.75,
            2.0,
            7.0,
            8.0,
            f32::INFINITY,
            f32::NAN,
        ] {
            let expected = cuts.iter().filter(|&&t| t < x).count();
            assert_eq!(below(&cuts, x), expected, "x = {x}");
            for (j, &t) in cuts.iter().enumerate() {
                assert_eq!(x > t, below(&cuts, x) > j, "x = {x}, t = {t}");
            }
        }
        assert_eq!(below(&[], 1.0), 0);
        assert_eq!(below(&[2.0], 1.0), 0);
        assert_eq!(below(&[2.0], 3.0), 1);
    }
}
