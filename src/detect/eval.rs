//! Evaluation against a 0/1 label: confusion matrix at the current selection, precision, recall, F1,
//! ROC AUC and PR AUC (average precision), plus the parser that turns label text into a boolean.
//!
//! Owns the metric definitions, chosen to match scikit-learn: ROC AUC counts ties as half (average
//! ranks, the Mann–Whitney statistic), PR AUC is `average_precision_score` (step-wise, no
//! interpolation). A label column with a single value is reported as [`Evaluation::ConstantLabel`],
//! never scored. Everything walks the scores once in descending order, reusing a [`ScoreIndex`], so an
//! evaluation costs O(n) and no sort. This file must not know where labels or scores came from.

use super::DetectError;
use super::threshold::{ScoreIndex, Selection};

/// Counts at one selection; "positive" = labelled anomalous, "predicted" = flagged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Confusion {
    /// Flagged and anomalous.
    pub true_positives: usize,
    /// Flagged but normal.
    pub false_positives: usize,
    /// Not flagged and normal.
    pub true_negatives: usize,
    /// Not flagged but anomalous.
    pub false_negatives: usize,
}

/// Scores of a detection against a label with both values present.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// Counts at the selection.
    pub confusion: Confusion,
    /// TP / (TP + FP); `None` when nothing is flagged (undefined, not zero).
    pub precision: Option<f64>,
    /// TP / (TP + FN).
    pub recall: f64,
    /// 2·TP / (2·TP + FP + FN).
    pub f1: f64,
    /// Area under the ROC curve, ties counted as half.
    pub roc_auc: f64,
    /// Average precision, as scikit-learn's `average_precision_score`.
    pub pr_auc: f64,
}

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evaluation {
    /// Every row has the same label, so no score means anything (every detector is "100 % accurate"
    /// or "0 % accurate" by construction).
    ConstantLabel {
        /// The single label value: true = every row anomalous.
        anomalous: bool,
        /// Rows evaluated.
        rows: usize,
    },
    /// Both labels present.
    Scored(Metrics),
}

/// Evaluates a scored run: `labels[row]` is true for an anomaly; `index` was built from the run's
/// scores; `selection` is the current threshold.
pub fn evaluate(
    labels: &[bool],
    index: &ScoreIndex,
    selection: &Selection,
) -> Result<Evaluation, DetectError> {
    if labels.len() != index.len() {
        return Err(DetectError::LengthMismatch {
            what: "labels",
            expected: index.len(),
            found: labels.len(),
        });
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Ok(Evaluation::ConstantLabel {
            anomalous: positives > 0,
            rows: labels.len(),
        });
    }
    let mut c = Confusion::default();
    for (i, (row, _)) in index.ranked().enumerate() {
        match (i < selection.count, labels[row]) {
            (true, true) => c.true_positives += 1,
            (true, false) => c.false_positives += 1,
            (false, false) => c.true_negatives += 1,
            (false, true) => c.false_negatives += 1,
        }
    }
    let (roc_auc, pr_auc) = ranked_areas(labels, index.ranked(), positives, negatives);
    let flagged = c.true_positives + c.false_positives;
    Ok(Evaluation::Scored(Metrics {
        confusion: c,
        precision: (flagged > 0).then(|| c.true_positives as f64 / flagged as f64),
        recall: c.true_positives as f64 / positives as f64,
        f1: 2.0 * c.true_positives as f64
            / (2 * c.true_positives + c.false_positives + c.false_negatives) as f64,
        roc_auc,
        pr_auc,
    }))
}

/// ROC AUC of `scores` against `labels` (ties count half); `None` when the lengths differ, a score is
/// NaN, or the label is constant.
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Option<f64> {
    areas(labels, scores).map(|a| a.0)
}

/// Average precision (PR AUC) as scikit-learn's `average_precision_score`: the sum over distinct
/// score thresholds, highest first, of (recall gain) × precision; `None` as for [`roc_auc`].
pub fn average_precision(labels: &[bool], scores: &[f64]) -> Option<f64> {
    areas(labels, scores).map(|a| a.1)
}

fn areas(labels: &[bool], scores: &[f64]) -> Option<(f64, f64)> {
    if labels.len() != scores.len() {
        return None;
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let index = ScoreIndex::new(scores).ok()?;
    Some(ranked_areas(labels, index.ranked(), positives, negatives))
}

/// Both areas in one pass over `(row, score)` in descending score order, tie groups taken together.
fn ranked_areas(
    labels: &[bool],
    ranked: impl Iterator<Item = (usize, f64)>,
    positives: usize,
    negatives: usize,
) -> (f64, f64) {
    // Twice the Mann–Whitney U, kept as an exact integer: each positive beats every negative below
    // its tie group (2 points) and ties with each negative inside it (1 point).
    let mut u2: u128 = 0;
    let mut ap = 0.0;
    let (mut tp, mut fp) = (0usize, 0usize);
    let (mut group_tp, mut group_fp) = (0usize, 0usize);
    let mut prev_recall = 0.0;
    let mut ranked = ranked.peekable();
    while let Some((row, score)) = ranked.next() {
        if labels[row] {
            group_tp += 1;
        } else {
            group_fp += 1;
        }
        if ranked.peek().is_some_and(|&(_, next)| next == score) {
            continue;
        }
        // End of a tie group.
        tp += group_tp;
        fp += group_fp;
        let below = (negatives - fp) as u128;
        u2 += group_tp as u128 * (2 * below + group_fp as u128);
        let recall = tp as f64 / positives as f64;
        ap += (recall - prev_recall) * (tp as f64 / (tp + fp) as f64);
        prev_recall = recall;
        group_tp = 0;
        group_fp = 0;
    }
    let auc = u2 as f64 / (2.0 * positives as f64 * negatives as f64);
    (auc, ap)
}

/// Reads one label: `1`/`0`, `true`/`false`, `yes`/`no`, `anomaly`/`normal`, `malicious`/`benign`
/// (any case, surrounding spaces ignored; `1.0`/`0.0` too). `Some(true)` = anomalous; `None` for
/// anything else.
pub fn parse_label(text: &str) -> Option<bool> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "1" | "1.0" | "true" | "yes" | "anomaly" | "malicious" => Some(true),
        "0" | "0.0" | "false" | "no" | "normal" | "benign" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::threshold::Rule;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn roc_auc_counts_ties_as_half() {
        // Positives 0.9, 0.5; negatives 0.5, 0.1. Pairs: (0.9>0.5) 1, (0.9>0.1) 1, (0.5=0.5) ½,
        // (0.5>0.1) 1 → 3.5 / 4.
        let labels = [true, true, false, false];
        let scores = [0.9, 0.5, 0.5, 0.1];
        assert_eq!(roc_auc(&labels, &scores), Some(0.875));
        // All tied: 0.5 whatever the labels.
        assert_eq!(roc_auc(&labels, &[0.3; 4]), Some(0.5));
        // Perfect and inverted.
        assert_eq!(roc_auc(&[true, false], &[0.8, 0.2]), Some(1.0));
        assert_eq!(roc_auc(&[true, false], &[0.2, 0.8]), Some(0.0));
        // Constant label, NaN score, length mismatch: no number.
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
        assert_eq!(roc_auc(&[true, false], &[0.1, f64::NAN]), None);
        assert_eq!(roc_auc(&[true], &[0.1, 0.2]), None);
    }

    #[test]
    fn roc_auc_matches_rank_sum_formula() {
        // Scores with ties: [0.2, 0.7, 0.7, 0.4, 0.9, 0.2, 0.7]; ascending average ranks:
        // 0.2→1.5 (×2), 0.4→3, 0.7→5 (×3), 0.9→7. Positives at rows 1 (0.7), 3 (0.4), 5 (0.2):
        // R = 5 + 3 + 1.5 = 9.5; U = 9.5 − 3·4/2 = 3.5; AUC = 3.5 / (3·4).
        let labels = [false, true, false, true, false, true, false];
        let scores = [0.2, 0.7, 0.7, 0.4, 0.9, 0.2, 0.7];
        let auc = roc_auc(&labels, &scores).unwrap();
        assert!((auc - 3.5 / 12.0).abs() < 1e-15, "{auc}");
    }

    #[test]
    fn average_precision_is_stepwise_like_sklearn() {
        // sklearn: average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333…
        let ap = average_precision(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap();
        assert!((ap - 5.0 / 6.0).abs() < 1e-12, "{ap}");
        // Ties form one step: scores all equal → AP = prevalence.
        let ap = average_precision(&[true, false, false, false], &[0.5; 4]).unwrap();
        assert!((ap - 0.25).abs() < 1e-12);
        // sklearn: average_precision_score([1, 0, 1, 0, 1], [0.9, 0.8, 0.8, 0.3, 0.1])
        // thresholds 0.9: P=1 R=1/3; 0.8: P=2/3 R=2/3; 0.3: P=2/4; 0.1: P=3/5 R=1
        // → 1/3·1 + 1/3·2/3 + 0 + 1/3·3/5 = 0.7555…
        let ap = average_precision(
            &[true, false, true, false, true],
            &[0.9, 0.8, 0.8, 0.3, 0.1],
        )
        .unwrap();
        assert!((ap - (1.0 + 2.0 / 3.0 + 0.6) / 3.0).abs() < 1e-12, "{ap}");
    }

    #[test]
    fn evaluate_at_a_selection() {
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
        let labels = [true, false, true, false, false, false];
        let ix = ScoreIndex::new(&scores).unwrap();
        let sel = ix.select(Rule::TopK(3));
        let Evaluation::Scored(m) = evaluate(&labels, &ix, &sel).unwrap() else {
            panic!("expected scores")
        };
        let c = m.confusion;
        assert_eq!(
            (
                c.true_positives,
                c.false_positives,
                c.true_negatives,
                c.false_negatives
            ),
            (2, 1, 3, 0)
        );
        assert_eq!((m.precision, m.recall), (Some(2.0 / 3.0), 1.0));
        assert!((m.f1 - 0.8).abs() < 1e-12);
        assert!((m.roc_auc - 7.0 / 8.0).abs() < 1e-12);
        let none = ix.select(Rule::TopK(0));
        let Evaluation::Scored(m) = evaluate(&labels, &ix, &none).unwrap() else {
            panic!("expected scores")
        };
        assert_eq!((m.precision, m.recall, m.f1), (None, 0.0, 0.0));
    }

    #[test]
    fn constant_label_is_reported_not_scored() {
        let ix = ScoreIndex::new(&[0.1, 0.9, 0.5]).unwrap();
        let sel = ix.select(Rule::TopK(1));
        assert_eq!(
            evaluate(&[true; 3], &ix, &sel).unwrap(),
            Evaluation::ConstantLabel {
                anomalous: true,
                rows: 3
            }
        );
        assert_eq!(
            evaluate(&[false; 3], &ix, &sel).unwrap(),
            Evaluation::ConstantLabel {
                anomalous: false,
                rows: 3
            }
        );
        assert!(evaluate(&[false; 2], &ix, &sel).is_err());
    }

    #[test]
    fn label_words() {
        for t in ["1", "true", "YES", " Anomaly ", "malicious", "1.0"] {
            assert_eq!(parse_label(t), Some(true), "{t}");
        }
        for t in ["0", "False", "no", "normal\t", "BENIGN", "0.0"] {
            assert_eq!(parse_label(t), Some(false), "{t}");
        }
        for t in ["", "2", "maybe", "waf_rule", "0.5"] {
            assert_eq!(parse_label(t), None, "{t}");
        }
    }

    proptest! {
        #[test]
        fn label_parsing_ignores_case_and_padding(
            word in prop::sample::select(vec!["1", "0", "true", "false", "yes", "no", "normal", "anomaly", "benign", "malicious"]),
            upper in prop::collection::vec(any::<bool>(), 9),
            left in "[ \t]{0,3}", right in "[ \t]{0,3}",
        ) {
            let cased: String = word.chars().zip(upper.iter().cycle())
                .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c }).collect();
            prop_assert_eq!(parse_label(&format!("{left}{cased}{right}")), parse_label(word));
            prop_assert!(parse_label(word).is_some());
        }

        #[test]
        fn auc_and_ap_are_in_range_and_auc_flips(
            data in prop::collection::vec((0u8..5, any::<bool>()), 2..60)
        ) {
            let scores: Vec<f64> = data.iter().map(|d| f64::from(d.0)).collect();
            let labels: Vec<bool> = data.iter().map(|d| d.1).collect();
            if let Some(auc) = roc_auc(&labels, &scores) {
                prop_assert!((0.0..=1.0).contains(&auc));
                let neg: Vec<f64> = scores.iter().map(|s| -s).collect();
                let flipped = roc_auc(&labels, &neg).unwrap();
                prop_assert!((auc + flipped - 1.0).abs() < 1e-12);
                let ap = average_precision(&labels, &scores).unwrap();
                prop_assert!(ap > 0.0 && ap <= 1.0);
            }
        }
    }
}
