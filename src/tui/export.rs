//! What `x` and `e` write: the current table (the filtered rows, or the anomaly
//! list on tab 5) as CSV/JSON, and the findings report of the current view.
//! [`Request::from_app`] takes what is needed from the app state (cheaply: shared
//! data and row lists); [`Request::run`] builds the bytes on the worker thread, as a
//! report of a filtered view refits the forest on its rows. `App` does the atomic
//! write and asks before replacing a file.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::action::Tab;
use super::app::App;
use crate::dataset::Dataset;
use crate::detect::pipeline::{DetectParams, DetectionRun};
use crate::detect::{Rule, RunControl, Selection};
use crate::report::export::{ExportFormat, Scores, export_rows};

/// Everything an export or report needs, detached from the app.
pub struct Request {
    ds: Arc<Dataset>,
    det: Option<Arc<DetectionRun>>,
    selection: Option<Selection>,
    what: What,
    path: String,
}

enum What {
    /// These rows as CSV/JSON.
    Table { rows: Vec<u32> },
    /// The findings report; `view` holds the rows in view when a filter is on.
    Report {
        view: Option<Arc<Vec<u32>>>,
        params: DetectParams,
        rule: Rule,
        rule_text: String,
    },
}

impl Request {
    /// What `x` (`report == false`) or `e` would write to `path` now.
    pub fn from_app(app: &App, report: bool, path: &str) -> Result<Request, String> {
        let ds = app.ds.clone().ok_or("no data loaded")?;
        let what = if report {
            let view = app
                .view
                .as_ref()
                .filter(|v| v.filtered)
                .map(|v| v.rows.clone());
            if view.is_none() && (app.det.is_none() || app.selection.is_none()) {
                return Err("detection has not finished yet; try again in a moment".into());
            }
            What::Report {
                view,
                params: app.params.clone(),
                rule: app.threshold.rule(),
                rule_text: app.threshold.describe(),
            }
        } else {
            What::Table {
                rows: if app.tab == Tab::Anomalies {
                    app.flagged_rows.clone()
                } else {
                    app.view_rows().to_vec()
                },
            }
        };
        Ok(Request {
            ds,
            det: app.det.clone(),
            selection: app.selection,
            what,
            path: path.to_string(),
        })
    }

    /// Where the bytes go.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Builds the bytes (on the worker; `cancel` stops a refit).
    pub fn run(self, cancel: &AtomicBool) -> Result<Vec<u8>, String> {
        let ds = self.ds.as_ref();
        let det = self.det.as_deref();
        let (view, params, rule, rule_text) = match self.what {
            What::Table { rows } => {
                let flagged = |r: usize| matches!((det, &self.selection), (Some(d), Some(s)) if d.detection.index.is_flagged(s, r));
                let scores = det.map(|d| Scores {
                    scores: d.scores(),
                    flagged: &flagged,
                });
                return export_rows(
                    ds,
                    &rows,
                    scores.as_ref(),
                    ExportFormat::from_path(&self.path),
                );
            }
            What::Report {
                view,
                params,
                rule,
                rule_text,
            } => (view, params, rule, rule_text),
        };
        let findings = match (view, det, self.selection) {
            (None, Some(d), Some(s)) => crate::report::findings::build(ds, d, &s, None, &rule_text),
            (Some(rows), _, _) => {
                // A filtered view: fit on the rows in view with the current parameters.
                let rows: Vec<usize> = rows.iter().map(|&r| r as usize).collect();
                let sub = ds.select_rows(&rows);
                let control = RunControl {
                    cancel: Some(cancel),
                    progress: None,
                };
                let run = DetectionRun::run(&sub, &params, &control)?;
                let sel = run.detection.index.select(rule);
                crate::report::findings::build(&sub, &run, &sel, None, &rule_text)
            }
            _ => return Err("detection has not finished yet; try again in a moment".into()),
        };
        let lower = self.path.to_ascii_lowercase();
        Ok(if lower.ends_with(".html") || lower.ends_with(".htm") {
            crate::report::html::render(&findings).into_bytes()
        } else if lower.ends_with(".json") {
            crate::report::json::to_string(&findings)
                .map_err(|e| e.to_string())?
                .into_bytes()
        } else {
            crate::report::markdown::render(&findings).into_bytes()
        })
    }
}
