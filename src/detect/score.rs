//! Batch scoring of a feature matrix through a fitted forest, with progress and cancellation.
//!
//! Owns the public scoring calls and the [`RunControl`] / [`Progress`] types a caller uses to watch
//! and stop a long run. Rows are split into blocks of `kernel::BLOCK`; blocks run in parallel with
//! rayon, each through every tree in the kernel (`kernel.rs`). Each row's path lengths are summed in
//! tree order, so scores are bit-identical whatever the thread count. This file must not change the
//! model or decide thresholds.

use super::forest::IsolationForest;
use super::kernel::{BLOCK, Prepared};
use super::{DetectError, FeatureMatrix, FeatureRows};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Shared counters a long run updates; poll [`Progress::fraction`] from another thread.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicUsize,
    total: AtomicUsize,
}

impl Progress {
    /// A fresh counter at 0 of 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Units (rows) finished so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Units in the current run.
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Fraction done in `[0, 1]`; 1 when the run has no work.
    pub fn fraction(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            1.0
        } else {
            (self.done() as f64 / total as f64).min(1.0)
        }
    }

    pub(crate) fn start(&self, total: usize) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    pub(crate) fn add(&self, n: usize) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// How a caller watches and stops a long run. The default watches nothing and never cancels.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunControl<'a> {
    /// Set to `true` (from any thread) to stop; the run returns [`DetectError::Cancelled`].
    /// Checked once per block of rows.
    pub cancel: Option<&'a AtomicBool>,
    /// Updated after every block of rows.
    pub progress: Option<&'a Progress>,
}

impl RunControl<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

impl IsolationForest {
    /// Scores every row of `matrix` (higher = more anomalous, in (0, 1)).
    ///
    /// The matrix must have the same feature names, in the same order, as the one the forest was
    /// fitted on.
    pub fn score(
        &self,
        matrix: &FeatureMatrix,
        control: &RunControl<'_>,
    ) -> Result<Vec<f64>, DetectError> {
        let mut out = vec![0.0; matrix.rows()];
        self.score_into(matrix, &mut out, control)?;
        Ok(out)
    }

    /// Like [`IsolationForest::score`], writing into `out` (one entry per row). On error `out` holds
    /// a mix of scores and stale values.
    pub fn score_into(
        &self,
        matrix: &FeatureMatrix,
        out: &mut [f64],
        control: &RunControl<'_>,
    ) -> Result<(), DetectError> {
        self.check_names(&matrix.names)?;
        matrix.check()?;
        self.score_rows_into(matrix, out, control)
    }

    /// Scores every row of `rows` (see [`FeatureRows`] for what it must guarantee), reading it one
    /// block of rows at a time.
    pub fn score_rows<R: FeatureRows + ?Sized>(
        &self,
        rows: &R,
        control: &RunControl<'_>,
    ) -> Result<Vec<f64>, DetectError> {
        let mut out = vec![0.0; rows.rows()];
        self.score_rows_into(rows, &mut out, control)?;
        Ok(out)
    }

    /// [`IsolationForest::score_rows`], writing into `out` (one entry per row).
    pub fn score_rows_into<R: FeatureRows + ?Sized>(
        &self,
        rows: &R,
        out: &mut [f64],
        control: &RunControl<'_>,
    ) -> Result<(), DetectError> {
        self.check_names(rows.names())?;
        if out.len() != rows.rows() {
            return Err(DetectError::LengthMismatch {
                what: "score output buffer",
                expected: rows.rows(),
                found: out.len(),
            });
        }
        if let Some(p) = control.progress {
            p.start(out.len());
        }
        let d = rows.names().len();
        let denominator = self.denominator();
        let prepared = Prepared::new(self, d)?;
        out.par_chunks_mut(BLOCK).enumerate().try_for_each_init(
            || prepared.block(),
            |block, (b, chunk)| {
                if control.cancelled() {
                    return Err(DetectError::Cancelled);
                }
                prepared.run(rows, b * BLOCK, chunk.len(), block);
                for (o, &s) in chunk.iter_mut().zip(&block.sums) {
                    *o = Self::score_from_sum(s, denominator);
                }
                if let Some(p) = control.progress {
                    p.add(chunk.len());
                }
                Ok(())
            },
        )
    }

    fn check_names(&self, names: &[String]) -> Result<(), DetectError> {
        if names != self.feature_names() {
            return Err(DetectError::FeatureMismatch {
                expected: self.feature_names().join(", "),
                found: names.join(", "),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::ForestParams;
    use super::*;

    fn matrix(cols: Vec<Vec<f64>>) -> FeatureMatrix {
        let names = (0..cols.len()).map(|i| format!("f{i}")).collect();
        FeatureMatrix::new(names, cols).unwrap()
    }

    /// Scores row by row through the plain tree walk, as a reference for the batch kernel.
    fn reference_scores(f: &IsolationForest, m: &FeatureMatrix) -> Vec<f64> {
        (0..m.rows())
            .map(|r| {
                let x: Vec<f32> = m.row(r).unwrap().iter().map(|&v| v as f32).collect();
                let sum: f64 = (0..f.trees()).map(|t| f.walk(t, &x, |_| {}).0).sum();
                IsolationForest::score_from_sum(sum, f.denominator())
            })
            .collect()
    }

    fn sample_matrix(n: usize) -> FeatureMatrix {
        let a = (0..n).map(|i| ((i * 7919) % 1009) as f64 / 10.0).collect();
        let b = (0..n)
            .map(|i| ((i * 104_729) % 4001) as f64 - 2000.0)
            .collect();
        matrix(vec![a, b])
    }

    #[test]
    fn batch_scores_equal_row_by_row_scores() {
        // 1234 rows: several blocks and a ragged last block and lane group. Sample sizes give
        // depth limits 1, 4, 8 and 11.
        let m = sample_matrix(1234);
        for sample_size in [Some(2), Some(16), None, Some(1234)] {
            let params = ForestParams {
                sample_size,
                ..ForestParams::default()
            };
            let f = IsolationForest::fit(&m, &params).unwrap();
            let batch = f.score(&m, &RunControl::default()).unwrap();
            assert_eq!(batch, reference_scores(&f, &m), "{sample_size:?}");
            assert!(batch.iter().all(|s| *s > 0.0 && *s < 1.0));
        }
    }

    #[test]
    fn scores_are_identical_across_thread_counts() {
        let m = sample_matrix(5000);
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let f = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
                f.score(&m, &RunControl::default()).unwrap()
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
    }

    #[test]
    fn an_outlier_scores_highest() {
        let mut col: Vec<f64> = (0..999).map(|i| f64::from(i % 50)).collect();
        col.push(10_000.0);
        let m = matrix(vec![col]);
        let f = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
        let s = f.score(&m, &RunControl::default()).unwrap();
        let best = (0..s.len()).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap();
        assert_eq!(best, 999);
        // Only ~1 tree in 4 samples the outlier; the others still send it to an edge leaf.
        assert!(s[999] > 0.65, "{}", s[999]);
        let second = s[..999].iter().copied().fold(0.0, f64::max);
        assert!(s[999] > second + 0.05, "{} vs {second}", s[999]);
    }

    #[test]
    fn degenerate_inputs_have_defined_scores() {
        // One row: c(1) = 0, scikit-learn's convention gives 0.5.
        let one = matrix(vec![vec![4.0], vec![1.0]]);
        let f = IsolationForest::fit(&one, &ForestParams::default()).unwrap();
        assert_eq!(f.score(&one, &RunControl::default()).unwrap(), vec![0.5]);
        // Identical rows: every tree is one leaf of c(n) → s = 2^-1.
        let same = matrix(vec![vec![2.0; 10], vec![2.0; 10]]);
        let f = IsolationForest::fit(&same, &ForestParams::default()).unwrap();
        for s in f.score(&same, &RunControl::default()).unwrap() {
            assert!((s - 0.5).abs() < 1e-12, "{s}");
        }
        // A constant feature next to a varying one: defined, finite, the varying one decides.
        let mixed = matrix(vec![vec![1.0; 40], (0..40).map(f64::from).collect()]);
        let f = IsolationForest::fit(&mixed, &ForestParams::default()).unwrap();
        let s = f.score(&mixed, &RunControl::default()).unwrap();
        assert!(s.iter().all(|v| v.is_finite() && *v > 0.0 && *v < 1.0));
        // Zero rows: a clear error.
        let empty = matrix(vec![vec![]]);
        let e = IsolationForest::fit(&empty, &ForestParams::default()).unwrap_err();
        assert!(e.to_string().contains("no rows"), "{e}");
        // Scoring zero rows is fine: nothing to do.
        let none = f.score(&matrix(vec![vec![], vec![]]), &RunControl::default());
        assert_eq!(none.unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn cancellation_and_progress() {
        let m = sample_matrix(3000);
        let f = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
        let progress = Progress::new();
        let stop = AtomicBool::new(false);
        let ctl = RunControl {
            cancel: Some(&stop),
            progress: Some(&progress),
        };
        f.score(&m, &ctl).unwrap();
        assert_eq!((progress.done(), progress.total()), (3000, 3000));
        assert_eq!(progress.fraction(), 1.0);
        stop.store(true, Ordering::Relaxed);
        assert_eq!(f.score(&m, &ctl), Err(DetectError::Cancelled));
        assert_eq!(progress.done(), 0);
    }

    #[test]
    fn scoring_other_features_is_refused() {
        let m = sample_matrix(100);
        let f = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
        let other = FeatureMatrix::new(vec!["x".into(), "f1".into()], m.columns.clone()).unwrap();
        let e = f.score(&other, &RunControl::default()).unwrap_err();
        assert!(e.to_string().contains("fitted on features [f0, f1]"), "{e}");
    }
}
