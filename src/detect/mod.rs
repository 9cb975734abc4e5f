//! Anomaly detection: an isolation forest with scikit-learn semantics, thresholds that never refit,
//! per-row explanations, per-group aggregation and evaluation against a label.
//!
//! This module owns the detection maths and nothing else. It takes plain inputs (a [`FeatureMatrix`],
//! score slices, group codes, 0/1 labels) rather than a dataset, so the ingest layer can evolve on its
//! own, and returns plain values. It must never import a terminal crate (ratatui, crossterm), read
//! files, or print: the CLI and TUI decide what to show. The only threads it uses are rayon
//! data-parallel loops behind plain function calls; long runs take a [`RunControl`] for progress and
//! cancellation.
//!
//! Flow: [`FeatureMatrix::new`] (or any [`FeatureRows`]) → [`IsolationForest::fit`] → [`IsolationForest::score`] →
//! [`ScoreIndex::new`] → [`ScoreIndex::select`] (every keypress) → [`explain`], [`mod@aggregate`],
//! [`eval`]. [`Detection::run`] does the first four steps in one call.

pub mod aggregate;
pub mod defaults;
pub mod entity;
pub mod eval;
pub mod explain;
pub mod forest;
mod kernel;
pub mod model;
pub mod pipeline;
mod score;
pub mod threshold;

pub use aggregate::{GroupSummary, aggregate};
pub use eval::{Confusion, Evaluation, Metrics, average_precision, evaluate, parse_label, roc_auc};
pub use explain::{
    Contribution, Direction, ExplainBasis, Explanation, Pattern, PatternReference, RowFacts,
    feature_medians,
};
pub use forest::{ForestParams, IsolationForest, ResolvedParams, average_path_length};
pub use kernel::dispatch::{KERNEL_ENV, Kernel, KernelChoice, cpu_features};
pub use kernel::kernel_choice;
pub use score::{Progress, RunControl};
pub use threshold::{Contamination, Rule, ScoreIndex, Selection};

use thiserror::Error;

/// Everything that can go wrong in detection, worded for the person at the keyboard.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DetectError {
    /// The feature matrix has no rows.
    #[error("there are no rows to analyse: the feature matrix is empty")]
    NoRows,
    /// The feature matrix has no columns.
    #[error("no features were chosen: pick at least one numeric column to detect anomalies on")]
    NoFeatures,
    /// `names` and `columns` disagree.
    #[error("{names} feature names were given for {columns} feature columns")]
    NameCount {
        /// Number of names.
        names: usize,
        /// Number of columns.
        columns: usize,
    },
    /// A column's length differs from the first column's.
    #[error(
        "feature '{name}' has {found} values but '{first}' has {expected}: every feature needs one value per row"
    )]
    ColumnLength {
        /// The offending column.
        name: String,
        /// The first column, whose length sets the row count.
        first: String,
        /// Row count of the first column.
        expected: usize,
        /// Row count of the offending column.
        found: usize,
    },
    /// NaN or infinity in the input.
    #[error(
        "feature '{name}' has a missing or infinite value ({value}) at row {row}: impute or drop it before detection"
    )]
    NonFinite {
        /// Column name.
        name: String,
        /// 0-based row.
        row: usize,
        /// The value as found.
        value: f64,
    },
    /// A value that does not fit in 32-bit floats, which scikit-learn (and this forest) use.
    #[error(
        "feature '{name}' has the value {value} at row {row}, too large for the 32-bit floats the forest uses (limit ±3.4e38); rescale or log-transform it"
    )]
    TooLarge {
        /// Column name.
        name: String,
        /// 0-based row.
        row: usize,
        /// The value as found.
        value: f64,
    },
    /// A parameter out of range.
    #[error("{param} = {value} is not allowed: {reason}")]
    InvalidParam {
        /// Parameter name as a person would type it.
        param: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// Contamination text that is neither `auto` nor a fraction in (0, 0.5].
    #[error(
        "contamination '{input}' is not valid: use 'auto' or a fraction in (0, 0.5], such as 0.05 or 5%"
    )]
    InvalidContamination {
        /// The text given.
        input: String,
    },
    /// Scoring a matrix whose features differ from the ones the forest was fitted on.
    #[error("the forest was fitted on features [{expected}] but was asked to score [{found}]")]
    FeatureMismatch {
        /// Fitted feature names, comma-separated.
        expected: String,
        /// Given feature names, comma-separated.
        found: String,
    },
    /// Two inputs that should have one entry per row do not.
    #[error("{what}: expected {expected} entries (one per row) but got {found}")]
    LengthMismatch {
        /// What was being compared.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        found: usize,
    },
    /// A value that should be a valid score is NaN.
    #[error("score at row {row} is not a number; scores must come from the forest")]
    NanScore {
        /// 0-based row.
        row: usize,
    },
    /// A row index out of range.
    #[error("row {row} does not exist: there are {rows} rows")]
    RowOutOfRange {
        /// Requested row.
        row: usize,
        /// Row count.
        rows: usize,
    },
    /// A group code with no label.
    #[error("row {row} has group code {code} but only {labels} group labels were given")]
    GroupCode {
        /// 0-based row.
        row: usize,
        /// The code.
        code: u32,
        /// Number of labels.
        labels: usize,
    },
    /// The run was cancelled through its [`RunControl`].
    #[error("cancelled before the run finished")]
    Cancelled,
    /// `THREATLENS_KERNEL` names no scoring kernel.
    #[error(
        "THREATLENS_KERNEL is '{0}', which names no scoring kernel: set it to avx512, avx2 or portable, or unset it"
    )]
    KernelRequest(String),
}

/// Columnar feature matrix: `names.len() == columns.len()`, every column has the same length,
/// no NaN or infinity (the caller imputes). Build it with [`FeatureMatrix::new`] to have this checked;
/// the forest checks again (cheaply) before fitting or scoring, because the fields are public.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// One name per column, used in explanations and error messages.
    pub names: Vec<String>,
    /// Column-major values.
    pub columns: Vec<Vec<f64>>,
}

impl FeatureMatrix {
    /// Validates shapes and values and builds the matrix.
    ///
    /// Zero rows are allowed here (the forest refuses them when fitting, with [`DetectError::NoRows`]);
    /// zero features, ragged columns, NaN, infinity and values beyond the 32-bit float range are not.
    pub fn new(names: Vec<String>, columns: Vec<Vec<f64>>) -> Result<Self, DetectError> {
        let m = Self { names, columns };
        m.check()?;
        Ok(m)
    }

    /// Number of rows (0 when there are no columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.columns.len()
    }

    /// The values of one row, in feature order.
    pub fn row(&self, row: usize) -> Result<Vec<f64>, DetectError> {
        if row >= self.rows() {
            return Err(DetectError::RowOutOfRange {
                row,
                rows: self.rows(),
            });
        }
        Ok(self.columns.iter().map(|c| c[row]).collect())
    }

    /// Checks the invariants listed on the type.
    pub fn check(&self) -> Result<(), DetectError> {
        if self.columns.is_empty() {
            return Err(DetectError::NoFeatures);
        }
        if self.names.len() != self.columns.len() {
            return Err(DetectError::NameCount {
                names: self.names.len(),
                columns: self.columns.len(),
            });
        }
        let expected = self.rows();
        for (name, col) in self.names.iter().zip(&self.columns) {
            if col.len() != expected {
                return Err(DetectError::ColumnLength {
                    name: name.clone(),
                    first: self.names[0].clone(),
                    expected,
                    found: col.len(),
                });
            }
            // Fast path: one pass with no branches taken on clean data.
            let limit = f64::from(f32::MAX);
            if col.iter().all(|v| v.abs() <= limit) {
                continue;
            }
            if let Some((row, &value)) = col.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(DetectError::NonFinite {
                    name: name.clone(),
                    row,
                    value,
                });
            }
            if let Some((row, &value)) = col.iter().enumerate().find(|(_, v)| v.abs() > limit) {
                return Err(DetectError::TooLarge {
                    name: name.clone(),
                    row,
                    value,
                });
            }
        }
        Ok(())
    }
}

/// Where the forest reads feature values: a [`FeatureMatrix`], or a view that computes them on
/// demand (the dataset bridge does, so millions of rows are never copied into a matrix).
///
/// An implementation must give the same value for the same feature and row every time, and only
/// finite values within the `f32` range (what [`FeatureMatrix::check`] guarantees for a matrix): the
/// forest trusts this, as checking again would cost a pass over the data. Breaking it gives
/// meaningless scores, never unsafety.
pub trait FeatureRows: Sync {
    /// One name per feature, in order.
    fn names(&self) -> &[String];
    /// Number of rows.
    fn rows(&self) -> usize;
    /// Feature `f` of rows `first..first + out.len()`.
    fn fill(&self, f: usize, first: usize, out: &mut [f64]);
    /// Feature `f` of one row.
    fn value(&self, f: usize, row: usize) -> f64;
}

impl FeatureRows for FeatureMatrix {
    fn names(&self) -> &[String] {
        &self.names
    }

    fn rows(&self) -> usize {
        FeatureMatrix::rows(self)
    }

    fn fill(&self, f: usize, first: usize, out: &mut [f64]) {
        out.copy_from_slice(&self.columns[f][first..first + out.len()]);
    }

    fn value(&self, f: usize, row: usize) -> f64 {
        self.columns[f][row]
    }
}

/// One complete detection run: the fitted forest, every row's score and the index that answers
/// threshold questions without refitting.
#[derive(Debug, Clone)]
pub struct Detection {
    /// The fitted model (also carries the resolved parameters).
    pub forest: IsolationForest,
    /// One score per row of the matrix the forest was fitted on; higher = more anomalous.
    pub scores: Vec<f64>,
    /// Sorted view of `scores`.
    pub index: ScoreIndex,
}

impl Detection {
    /// Fits a forest on `matrix`, scores every row of it and indexes the scores.
    pub fn run(
        matrix: &FeatureMatrix,
        params: &ForestParams,
        control: &RunControl<'_>,
    ) -> Result<Self, DetectError> {
        let forest = IsolationForest::fit(matrix, params)?;
        let scores = forest.score(matrix, control)?;
        let index = ScoreIndex::new(&scores)?;
        Ok(Self {
            forest,
            scores,
            index,
        })
    }

    /// The parameters actually used (sample size and depth resolved against the row count).
    pub fn params(&self) -> &ResolvedParams {
        self.forest.params()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("f{i}")).collect()
    }

    #[test]
    fn matrix_rejects_bad_shapes_and_values() {
        assert_eq!(
            FeatureMatrix::new(vec![], vec![]),
            Err(DetectError::NoFeatures)
        );
        assert!(matches!(
            FeatureMatrix::new(names(1), vec![vec![1.0], vec![2.0]]),
            Err(DetectError::NameCount { .. })
        ));
        let e = FeatureMatrix::new(names(2), vec![vec![1.0, 2.0], vec![2.0]]).unwrap_err();
        assert!(
            e.to_string().contains("'f1' has 1 values but 'f0' has 2"),
            "{e}"
        );
        let e = FeatureMatrix::new(names(1), vec![vec![1.0, f64::NAN]]).unwrap_err();
        assert!(matches!(e, DetectError::NonFinite { row: 1, .. }), "{e}");
        let e = FeatureMatrix::new(names(1), vec![vec![f64::INFINITY]]).unwrap_err();
        assert!(matches!(e, DetectError::NonFinite { row: 0, .. }), "{e}");
        let e = FeatureMatrix::new(names(1), vec![vec![0.0, 1e300]]).unwrap_err();
        assert!(matches!(e, DetectError::TooLarge { row: 1, .. }), "{e}");
        let m = FeatureMatrix::new(names(2), vec![vec![1.0, 2.0], vec![3.0, 4.0]]).unwrap();
        assert_eq!((m.rows(), m.features()), (2, 2));
        assert_eq!(m.row(1).unwrap(), vec![2.0, 4.0]);
        assert!(m.row(2).is_err());
    }

    #[test]
    fn detection_run_ties_the_pieces_together() {
        let col: Vec<f64> = (0..100).map(|i| f64::from(i % 10)).chain([500.0]).collect();
        let m = FeatureMatrix::new(names(1), vec![col]).unwrap();
        let d = Detection::run(&m, &ForestParams::default(), &RunControl::default()).unwrap();
        assert_eq!(d.scores.len(), 101);
        assert_eq!(d.params().sample_size, 101);
        let top = d.index.select(Rule::TopK(1));
        assert_eq!(d.index.flagged(&top).collect::<Vec<_>>(), vec![100]);
    }
}
