//! The explorer's supervised side (issue 15): when the data has a label column, the notebooks'
//! random-forest classifier is cross-validated on the worker, its out-of-fold probability shows
//! beside the isolation-forest score in the Anomalies list (`P`), and the evaluation panel (`E`)
//! sets both detectors against the label.
//!
//! Part of `App` (an `impl App` block) plus the panel's text. The learning is
//! [`crate::classify::dataset`]; the isolation forest's metrics are [`crate::detect::evaluate`],
//! computed once when the panel opens or the classifier arrives, never while drawing.

use super::app::{App, Popup};
use super::theme::Theme;
use super::widgets::cell;
use super::worker::{JobResult, Slot};
use crate::classify::{ClassifyParams, Evaluation as Classified};
use crate::dataset::Role;
use crate::detect::Evaluation;
use ratatui::text::Line;
use std::sync::Arc;

/// A cross-validated classifier and each row's class under the label.
#[derive(Debug)]
pub struct SupervisedRun {
    pub classifier: Classified,
    /// Each row's label: true for the positive class.
    pub y: Vec<bool>,
}

/// The classifier's state in the explorer.
#[derive(Debug, Default)]
pub struct Supervised {
    pub run: Option<Arc<SupervisedRun>>,
    pub error: Option<String>,
    /// Being computed on the worker.
    pub busy: bool,
    generation: u64,
    /// The isolation forest against the same label, at the selection of the moment.
    pub forest: Option<Evaluation>,
}

/// Cross-validates the classifier on the label column with the classify defaults.
fn classify(
    ds: &crate::dataset::Dataset,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<SupervisedRun, String> {
    let label = ds
        .role_index(Role::Label)
        .ok_or("no label column (a column named label, is_anomaly or is_attack)")?;
    let classifier = crate::classify::dataset::evaluate_until(
        ds,
        label,
        &[],
        ClassifyParams::default(),
        Some(cancel),
    )
    .map_err(|e| e.to_string())?;
    let y = (0..ds.rows)
        .map(|r| *ds.cell_text(r, label) == *classifier.positive)
        .collect();
    Ok(SupervisedRun { classifier, y })
}

impl App {
    /// The evaluation panel wants the classifier: trains it unless it exists or is coming.
    pub(super) fn want_classifier(&mut self) {
        let Some(ds) = self.ds.clone() else { return };
        self.refresh_forest_evaluation();
        if self.supervised.run.is_some() || self.supervised.busy {
            return;
        }
        if ds.role(Role::Label).is_none() {
            self.supervised.error =
                Some("no label column: name one label, is_anomaly or is_attack".into());
            return;
        }
        self.supervised.generation += 1;
        self.supervised.busy = true;
        self.supervised.error = None;
        let generation = self.supervised.generation;
        self.worker
            .submit(Slot::Classify, move |cancel| JobResult::Classified {
                generation,
                result: classify(&ds, cancel).map(Arc::new),
            });
    }

    /// A classifier arrived (older ones are dropped).
    pub(super) fn on_classified(
        &mut self,
        generation: u64,
        result: Result<Arc<SupervisedRun>, String>,
    ) {
        if generation != self.supervised.generation {
            return;
        }
        self.supervised.busy = false;
        match result {
            Ok(run) => {
                self.supervised.run = Some(run);
                self.refresh_forest_evaluation();
            }
            Err(e) => self.supervised.error = Some(e),
        }
    }

    /// The isolation forest's figures against the label at the current selection.
    pub(super) fn refresh_forest_evaluation(&mut self) {
        self.supervised.forest = match (&self.supervised.run, &self.det, &self.selection) {
            (Some(run), Some(det), Some(sel)) => {
                crate::detect::evaluate(&run.y, &det.detection.index, sel).ok()
            }
            _ => None,
        };
    }

    /// Opening the evaluation panel starts the classifier.
    pub(super) fn open_evaluation(&mut self, popup: Popup) {
        self.want_classifier();
        self.popup = Some(popup);
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The evaluation panel: both detectors against the label.
pub fn lines(s: &Supervised, rule: &str, t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(run) = &s.run else {
        out.push(match &s.error {
            Some(e) => Line::styled(format!("no evaluation: {}", cell(e, 300)), t.alert()),
            None => Line::styled(
                "cross-validating the random-forest classifier on the label (5 folds, 100 trees)…",
                t.stale(),
            ),
        });
        return out;
    };
    let c = &run.classifier;
    out.push(Line::styled(
        format!(
            "against the label column '{}': positive class '{}', {} of {} rows ({})",
            cell(&c.label, 40),
            cell(&c.positive, 30),
            c.positives,
            c.rows,
            pct(c.positives as f64 / c.rows.max(1) as f64)
        ),
        t.title(),
    ));
    out.push(Line::raw(""));
    out.push(Line::styled(
        "isolation forest (unsupervised: it never sees the label)",
        t.header(),
    ));
    match &s.forest {
        Some(Evaluation::Scored(m)) => {
            let k = &m.confusion;
            out.push(Line::raw(format!(
                "  ROC AUC {:.4} · PR AUC {:.4}",
                m.roc_auc, m.pr_auc
            )));
            out.push(Line::raw(format!(
                "  flagged at {rule}: precision {} · recall {:.3} · F1 {:.3}",
                m.precision.map_or("—".into(), |p| format!("{p:.3}")),
                m.recall,
                m.f1
            )));
            out.push(Line::raw(format!(
                "  {} true positives · {} false positives · {} missed · {} true negatives",
                k.true_positives, k.false_positives, k.false_negatives, k.true_negatives
            )));
        }
        Some(Evaluation::ConstantLabel { rows, .. }) => out.push(Line::raw(format!(
            "  the label has one value in all {rows} rows: nothing to score against"
        ))),
        None => out.push(Line::styled("  waiting for the model…", t.stale())),
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        format!(
            "random-forest classifier (supervised: {}-fold stratified cross-validation, {} trees, seed {})",
            c.params.folds, c.params.trees, c.params.seed
        ),
        t.header(),
    ));
    let k = &c.confusion;
    out.push(Line::raw(format!(
        "  ROC AUC {:.4} · PR AUC {:.4} (mean of the folds)",
        c.roc_auc, c.pr_auc
    )));
    out.push(Line::raw(format!(
        "  at probability > 0.5: precision {:.3} · recall {:.3} · F1 {:.3} · accuracy {:.3}",
        c.precision, c.recall, c.f1, c.accuracy
    )));
    out.push(Line::raw(format!(
        "  {} true positives · {} false positives · {} missed · {} true negatives",
        k.true_positives, k.false_positives, k.false_negatives, k.true_negatives
    )));
    let top: Vec<String> = c
        .importances
        .iter()
        .take(6)
        .map(|(n, v)| format!("{} {}", cell(n, 24), pct(*v)))
        .collect();
    out.push(Line::raw(format!(
        "  features by importance: {}",
        top.join(", ")
    )));
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Each row's probability (P in the Anomalies list) comes from the fold that held it out: a forest that never saw it.",
        t.dim(),
    ));
    out
}
