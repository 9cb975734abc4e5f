//! Classification data from a dataset: the label column read as two classes, the feature
//! columns chosen and their missing values imputed, then cross-validated.
//!
//! Shared by `threatlens classify` and the explorer's evaluation panel, so both learn from the
//! same columns the same way. Pure: errors are sentences naming the column or row at fault.

use super::{ClassifyError, ClassifyParams, Evaluation, Labels, cross_validate_until};
use crate::dataset::{Dataset, NumericSource};
use crate::sanitize::inert;

/// What went wrong, for the caller to map to an exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The input or the options cannot be learnt from (exit 2 in the CLI).
    Usage(String),
    /// The learning failed.
    Model(String),
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataError::Usage(m) | DataError::Model(m) => f.write_str(m),
        }
    }
}

/// The features to learn from: the ones named, or every numeric column but the label.
fn features(ds: &Dataset, named: &[String], label: usize) -> Result<Vec<NumericSource>, DataError> {
    let usage = |m: String| DataError::Usage(m);
    if named.is_empty() {
        let f: Vec<NumericSource> = ds
            .numeric_sources()
            .into_iter()
            .filter(|s| matches!(s, NumericSource::Column(i) if *i != label))
            .collect();
        if f.is_empty() {
            return Err(usage(
                "no numeric column to learn from besides the label: name features with --features"
                    .into(),
            ));
        }
        return Ok(f);
    }
    named
        .iter()
        .map(|name| {
            if ds.column_index(name.trim()) == Some(label) {
                return Err(usage(format!(
                    "'{}' is the label: it cannot also be a feature",
                    inert(name)
                )));
            }
            ds.numeric_source(name.trim()).ok_or_else(|| {
                usage(format!(
                    "unknown feature '{}': choose from {}",
                    inert(name),
                    crate::detect::pipeline::available_features(ds).join(", ")
                ))
            })
        })
        .collect()
}

/// A feature's values with missing ones replaced by the median of the others.
fn imputed(ds: &Dataset, src: NumericSource) -> Vec<f64> {
    let mut v = ds.values(src);
    if v.iter().any(|x| !x.is_finite()) {
        let mut present: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        let median = crate::analysis::stats::quantile_unsorted(&mut present, 0.5).unwrap_or(0.0);
        v.iter_mut()
            .filter(|x| !x.is_finite())
            .for_each(|x| *x = median);
    }
    v
}

/// The label column's index, or a message listing the columns.
pub fn label_column(ds: &Dataset, label: &str) -> Result<usize, DataError> {
    ds.column_index(label).ok_or_else(|| {
        let names: Vec<String> = ds
            .columns
            .iter()
            .map(|c| inert(&c.name).into_owned())
            .collect();
        DataError::Usage(format!(
            "no label column '{}': the columns are {}",
            inert(label),
            names.join(", ")
        ))
    })
}

/// Cross-validates the classifier on the dataset's column `label` (by index) with the named
/// features (none: every numeric column but the label).
pub fn evaluate(
    ds: &Dataset,
    label: usize,
    named: &[String],
    params: ClassifyParams,
) -> Result<Evaluation, DataError> {
    evaluate_until(ds, label, named, params, None)
}

/// [`evaluate`] that stops between folds once `cancel` is set.
pub fn evaluate_until(
    ds: &Dataset,
    label: usize,
    named: &[String],
    params: ClassifyParams,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Evaluation, DataError> {
    let name = ds
        .columns
        .get(label)
        .map(|c| c.name.clone())
        .ok_or_else(|| DataError::Usage(format!("no column {label}")))?;
    let mut texts = Vec::with_capacity(ds.rows);
    for r in 0..ds.rows {
        let t = ds.cell_text(r, label);
        if t.trim().is_empty() {
            return Err(DataError::Usage(format!(
                "label column '{}' is empty at data row {}: fill or drop rows without a label (e.g. --filter)",
                inert(&name),
                ds.origin_row(r) + 1
            )));
        }
        texts.push(t.into_owned());
    }
    let labels = Labels::new(&name, &texts).map_err(|e| DataError::Usage(e.to_string()))?;
    let sources = features(ds, named, label)?;
    let names: Vec<String> = sources.iter().map(|s| ds.source_name(*s)).collect();
    let columns: Vec<Vec<f64>> = sources.iter().map(|s| imputed(ds, *s)).collect();
    cross_validate_until(&name, &names, &columns, &labels, params, cancel).map_err(|e| match e {
        ClassifyError::Model(_) | ClassifyError::Cancelled => DataError::Model(e.to_string()),
        _ => DataError::Usage(e.to_string()),
    })
}
