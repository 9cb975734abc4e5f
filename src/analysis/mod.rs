//! Analysis of a [`Dataset`](crate::dataset::Dataset): statistics, correlations,
//! rankings, time series, histograms and data-quality checks.
//!
//! Every function takes the dataset plus a row selection ([`Rows`]) and returns
//! plain values, so the explorer can recompute them for a filtered view. This
//! module holds no state, does no I/O and never touches the terminal.

pub mod correlation;
pub mod flow_patterns;
pub mod flows;
pub mod geo;
pub mod histogram;
pub mod prep;
pub mod rankings;
pub mod sort;
pub mod stats;
pub mod summary;
pub mod timeseries;
pub mod wide;

use crate::dataset::{Dataset, NumericSource, SeriesReader};

/// Which rows an analysis covers: all of them, or a subset by index.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    All(usize),
    Subset(&'a [u32]),
}

impl Rows<'_> {
    pub fn len(&self) -> usize {
        match self {
            Rows::All(n) => *n,
            Rows::Subset(s) => s.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(usize)) {
        match self {
            Rows::All(n) => (0..*n).for_each(f),
            Rows::Subset(s) => s.iter().for_each(|&r| f(r as usize)),
        }
    }
    /// The selected values of a numeric source (missing as `NaN`), computed once.
    pub fn series(&self, ds: &Dataset, src: NumericSource) -> Vec<f64> {
        match self {
            Rows::All(_) => ds.values(src),
            Rows::Subset(s) => {
                let mut out = vec![0.0; s.len()];
                SeriesReader::new(ds, src).fill_rows(s, &mut out);
                out
            }
        }
    }
    /// The selected values of a full-length series.
    pub fn gather(&self, values: &[f64]) -> Vec<f64> {
        match self {
            Rows::All(_) => values.to_vec(),
            Rows::Subset(s) => s
                .iter()
                .map(|&r| values.get(r as usize).copied().unwrap_or(f64::NAN))
                .collect(),
        }
    }
}
