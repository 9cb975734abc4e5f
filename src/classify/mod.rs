//! Supervised classification: the notebooks' Random Forest, cross-validated honestly.
//!
//! Owns the label check (two classes, enough of each for the folds), stratified k-fold splitting,
//! the forest ([`forest`]) and the report the notebooks printed ([`Evaluation`]): confusion matrix,
//! precision, recall, F1, accuracy, ROC AUC, PR AUC and feature importances, from out-of-fold
//! predictions only. It takes plain inputs (feature columns, label text per row) and must not read
//! files, print or know about the CLI.
//!
//! **Which crate.** `smartcore` 0.7 and `linfa-ensemble` 0.8 (+ `linfa-trees`) were tried first.
//! Neither forest gives class probabilities, which ROC and PR AUC need: smartcore's
//! `RandomForestClassifier` only predicts by majority vote and keeps its trees private;
//! linfa-ensemble's `EnsembleLearner` only returns per-model votes, samples one feature subset per
//! tree (not per split) and pulls in ndarray and the linfa stack. Bagging smartcore's
//! `DecisionTreeClassifier` (which has `predict_proba`) worked but was slow and weaker: on
//! mammography, 5 folds × 100 trees, ROC AUC 0.9344 at about 25 s per fold, against 0.9462 at about
//! 6 s for [`forest`] in the same (debug) build; scikit-learn gives 0.9435. So the forest is our own
//! (~250 lines): scikit-learn's `RandomForestClassifier` defaults — Gini, √d features per split,
//! bootstrap weights, trees grown to purity, leaf probabilities averaged, mean-decrease-in-impurity
//! importances — with trees fitted in parallel. Measured quality and speed against scikit-learn
//! are in BENCHMARKS.md (`bench/classify_sklearn.py` makes the reference numbers).

pub mod dataset;
pub mod forest;

use crate::detect::{average_precision, parse_label, roc_auc};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use thiserror::Error;

/// What can be wrong with a classification request, for the person at the keyboard.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ClassifyError {
    #[error(
        "label column '{column}' has a single value, '{value}', in all {rows} rows: there is nothing to learn (a classifier would score 100% by always answering '{value}'); choose a column with two classes"
    )]
    ConstantLabel {
        column: String,
        value: String,
        rows: usize,
    },
    #[error(
        "label column '{column}' has {count} different values ({examples}); classify needs exactly two classes, such as 0/1 or benign/malicious"
    )]
    TooManyClasses {
        column: String,
        count: usize,
        examples: String,
    },
    #[error(
        "label column '{column}': class '{class}' has only {count} rows, fewer than the {folds} folds; use --folds {count} or fewer (at least 2), or more data"
    )]
    TooFewForFolds {
        column: String,
        class: String,
        count: usize,
        folds: usize,
    },
    #[error("{param} = {value} is not allowed: {reason}")]
    InvalidParam {
        param: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("the classifier failed: {0}")]
    Model(String),
    #[error("cancelled")]
    Cancelled,
}

/// How to fit and validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClassifyParams {
    pub folds: usize,
    pub trees: usize,
    pub seed: u64,
}

impl Default for ClassifyParams {
    fn default() -> Self {
        Self {
            folds: 5,
            trees: 100,
            seed: 42,
        }
    }
}

/// The two classes and each row's class (true = the positive class).
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    /// The positive class's text (an "anomaly"-like value if there is one, else the rarer class).
    pub positive: String,
    pub negative: String,
    pub y: Vec<bool>,
}

impl Labels {
    /// Reads a label column given as one text per row. Missing (empty) labels are not allowed:
    /// the caller drops or fills them first.
    pub fn new(column: &str, texts: &[String]) -> Result<Labels, ClassifyError> {
        // Distinct values in order of first appearance, with counts.
        let mut seen: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
        let mut values: Vec<(&str, usize)> = Vec::new();
        for t in texts {
            let i = *seen.entry(t.as_str()).or_insert_with(|| {
                values.push((t.as_str(), 0));
                values.len() - 1
            });
            values[i].1 += 1;
        }
        let shown = |v: &[(&str, usize)]| {
            v.iter()
                .take(5)
                .map(|(s, _)| format!("'{}'", crate::sanitize::inert(s)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let column = crate::sanitize::inert(column).into_owned();
        match values.len() {
            0 | 1 => Err(ClassifyError::ConstantLabel {
                column,
                value: crate::sanitize::inert(values.first().map_or("", |v| v.0)).into_owned(),
                rows: texts.len(),
            }),
            2 => {
                let (a, b) = (values[0], values[1]);
                let a_positive = match (parse_label(a.0), parse_label(b.0)) {
                    (Some(pa), Some(pb)) if pa != pb => pa,
                    _ => a.1 < b.1 || (a.1 == b.1 && a.0 > b.0),
                };
                let (pos, neg) = if a_positive { (a.0, b.0) } else { (b.0, a.0) };
                Ok(Labels {
                    positive: pos.to_string(),
                    negative: neg.to_string(),
                    y: texts.iter().map(|t| t == pos).collect(),
                })
            }
            n => Err(ClassifyError::TooManyClasses {
                column,
                count: n,
                examples: shown(&values),
            }),
        }
    }
}

/// Row indices of each fold's test part: every class shuffled (seeded) and dealt round-robin, so
/// each fold has the class balance of the whole (scikit-learn's `StratifiedKFold(shuffle=True)`).
pub fn stratified_folds(y: &[bool], folds: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = vec![Vec::new(); folds];
    let mut next = 0;
    for class in [true, false] {
        let mut rows: Vec<usize> = (0..y.len()).filter(|&r| y[r] == class).collect();
        rows.shuffle(&mut rng);
        for r in rows {
            out[next % folds].push(r);
            next += 1;
        }
    }
    for f in &mut out {
        f.sort_unstable();
    }
    out
}

/// Confusion matrix of the out-of-fold predictions at probability 0.5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub true_positives: usize,
    pub false_positives: usize,
    pub true_negatives: usize,
    pub false_negatives: usize,
}

/// One fold's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldResult {
    pub test_rows: usize,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub fit_seconds: f64,
}

/// A cross-validated evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub label: String,
    pub positive: String,
    pub negative: String,
    pub rows: usize,
    pub positives: usize,
    pub features: Vec<String>,
    pub params: ClassifyParams,
    pub folds: Vec<FoldResult>,
    /// Mean of the folds' ROC AUC.
    pub roc_auc: f64,
    /// Mean of the folds' PR AUC (average precision).
    pub pr_auc: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub accuracy: f64,
    pub confusion: Confusion,
    /// Mean decrease in impurity per feature (sums to 1), from forests of every fold; largest first.
    pub importances: Vec<(String, f64)>,
    /// Each row's out-of-fold probability of the positive class (from the fold that held it out).
    #[serde(skip)]
    pub probability: Vec<f64>,
}

/// Cross-validates the forest on `columns` (one `Vec` per feature, no NaN) against `labels`.
pub fn cross_validate(
    label: &str,
    names: &[String],
    columns: &[Vec<f64>],
    labels: &Labels,
    params: ClassifyParams,
) -> Result<Evaluation, ClassifyError> {
    cross_validate_until(label, names, columns, labels, params, None)
}

/// [`cross_validate`] that stops before the next fold once `cancel` is set (an explorer job
/// replaced by a newer one), failing with [`ClassifyError::Cancelled`].
pub fn cross_validate_until(
    label: &str,
    names: &[String],
    columns: &[Vec<f64>],
    labels: &Labels,
    params: ClassifyParams,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Evaluation, ClassifyError> {
    if params.folds < 2 {
        return Err(ClassifyError::InvalidParam {
            param: "folds",
            value: params.folds.to_string(),
            reason: "cross-validation needs at least 2 folds",
        });
    }
    if params.trees == 0 {
        return Err(ClassifyError::InvalidParam {
            param: "trees",
            value: "0".into(),
            reason: "use at least one tree",
        });
    }
    let y = &labels.y;
    let positives = y.iter().filter(|p| **p).count();
    for (class, count) in [
        (&labels.positive, positives),
        (&labels.negative, y.len() - positives),
    ] {
        if count < params.folds {
            return Err(ClassifyError::TooFewForFolds {
                column: crate::sanitize::inert(label).into_owned(),
                class: crate::sanitize::inert(class).into_owned(),
                count,
                folds: params.folds,
            });
        }
    }
    let folds = stratified_folds(y, params.folds, params.seed);
    let mut proba = vec![0.0; y.len()];
    let mut results = Vec::new();
    let mut importance = vec![0.0; names.len()];
    for (k, test) in folds.iter().enumerate() {
        if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
            return Err(ClassifyError::Cancelled);
        }
        let mut in_test = vec![false; y.len()];
        test.iter().for_each(|&r| in_test[r] = true);
        let train: Vec<usize> = (0..y.len()).filter(|&r| !in_test[r]).collect();
        let started = std::time::Instant::now();
        let seed = params.seed.wrapping_add(k as u64);
        let model = forest::Forest::fit(columns, y, &train, params.trees, seed)?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let p = model.predict_proba(columns, test);
        let fy: Vec<bool> = test.iter().map(|&r| y[r]).collect();
        for (&r, &pr) in test.iter().zip(&p) {
            proba[r] = pr;
        }
        for (acc, v) in importance.iter_mut().zip(model.importances()) {
            *acc += v / params.folds as f64;
        }
        results.push(FoldResult {
            test_rows: test.len(),
            roc_auc: roc_auc(&fy, &p),
            pr_auc: average_precision(&fy, &p),
            fit_seconds,
        });
    }
    let mean = |f: fn(&FoldResult) -> Option<f64>| {
        let v: Vec<f64> = results.iter().filter_map(f).collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let mut c = Confusion::default();
    for (&truth, &p) in y.iter().zip(&proba) {
        match (truth, p > 0.5) {
            (true, true) => c.true_positives += 1,
            (false, true) => c.false_positives += 1,
            (false, false) => c.true_negatives += 1,
            (true, false) => c.false_negatives += 1,
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(c.true_positives, c.true_positives + c.false_positives);
    let recall = ratio(c.true_positives, c.true_positives + c.false_negatives);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let total = importance.iter().sum::<f64>();
    let mut importances: Vec<(String, f64)> = names
        .iter()
        .cloned()
        .zip(
            importance
                .iter()
                .map(|v| if total > 0.0 { v / total } else { 0.0 }),
        )
        .collect();
    importances.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Evaluation {
        label: label.to_string(),
        positive: labels.positive.clone(),
        negative: labels.negative.clone(),
        rows: y.len(),
        positives,
        features: names.to_vec(),
        params,
        roc_auc: mean(|f| f.roc_auc),
        pr_auc: mean(|f| f.pr_auc),
        folds: results,
        precision,
        recall,
        f1,
        accuracy: ratio(c.true_positives + c.true_negatives, y.len()),
        confusion: c,
        importances,
        probability: proba,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn texts(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn labels_need_two_classes() {
        let e = Labels::new("detection_types", &texts(&["waf_rule"; 4])).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("'detection_types'") && msg.contains("'waf_rule'"),
            "{msg}"
        );
        let e = Labels::new("c", &texts(&["a", "b", "c"])).unwrap_err();
        assert!(matches!(e, ClassifyError::TooManyClasses { count: 3, .. }));
        let l = Labels::new("c", &texts(&["benign", "malicious", "benign"])).unwrap();
        assert_eq!(
            (l.positive.as_str(), l.y.clone()),
            ("malicious", vec![false, true, false])
        );
        // Without label words, the rarer class is positive.
        let l = Labels::new("c", &texts(&["x", "y", "x"])).unwrap();
        assert_eq!(l.positive, "y");
    }

    #[test]
    fn folds_are_stratified_and_cover_every_row_once() {
        let y: Vec<bool> = (0..103).map(|i| i % 10 == 0).collect();
        let folds = stratified_folds(&y, 5, 1);
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
        for f in &folds {
            let pos = f.iter().filter(|&&r| y[r]).count();
            assert!((2..=3).contains(&pos), "{pos}");
        }
    }

    #[test]
    fn too_few_examples_for_the_folds_is_refused() {
        let y = texts(&["0", "0", "0", "0", "0", "0", "1", "1"]);
        let l = Labels::new("label", &y).unwrap();
        let cols = vec![(0..8).map(f64::from).collect()];
        let e = cross_validate("label", &["f".into()], &cols, &l, ClassifyParams::default())
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("class '1' has only 2 rows, fewer than the 5 folds"),
            "{e}"
        );
    }

    #[test]
    fn a_separable_problem_is_learned() {
        // Positive when f0 > 0.8; f1 is noise.
        let n = 400;
        let f0: Vec<f64> = (0..n).map(|i| ((i * 37) % 100) as f64 / 100.0).collect();
        let f1: Vec<f64> = (0..n).map(|i| ((i * 61) % 97) as f64).collect();
        let y: Vec<String> = f0.iter().map(|v| u8::from(*v > 0.8).to_string()).collect();
        let l = Labels::new("label", &y).unwrap();
        let names = vec!["f0".to_string(), "f1".to_string()];
        let p = ClassifyParams {
            folds: 5,
            trees: 20,
            seed: 3,
        };
        let e = cross_validate("label", &names, &[f0, f1], &l, p).unwrap();
        assert!(e.roc_auc > 0.99, "{}", e.roc_auc);
        assert!(e.accuracy > 0.97, "{}", e.accuracy);
        assert_eq!(e.importances[0].0, "f0");
        assert_eq!(e.folds.len(), 5);
        let c = e.confusion;
        assert_eq!(
            c.true_positives + c.false_positives + c.true_negatives + c.false_negatives,
            n
        );
    }
}
