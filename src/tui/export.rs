//! What `x` and `e` write: the current table (the filtered rows, or the anomaly
//! list on tab 5) as CSV/JSON, and the findings report of the current view.
//! [`Request::from_app`] takes what is needed from the app state (cheaply: shared
//! data and row lists); [`Request::run`] builds the bytes on the worker thread. A
//! report of a filtered view covers the rows in view under the model, scores and
//! threshold the screen shows (never a refit on the subset) and names the filter.
//! `App` does the atomic write and asks before replacing a file.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::action::Tab;
use super::app::App;
use crate::dataset::Dataset;
use crate::detect::Selection;
use crate::detect::pipeline::DetectionRun;
use crate::report::export::{CsvCells, ExportFormat, export_detected, export_rows};

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
        filter: Option<String>,
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
            if app.det.is_none() || app.selection.is_none() {
                return Err("detection has not finished yet; try again in a moment".into());
            }
            What::Report {
                view,
                filter: app.filter.clone(),
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

    /// Builds the bytes (on the worker).
    pub fn run(self, _cancel: &AtomicBool) -> Result<Vec<u8>, String> {
        let ds = self.ds.as_ref();
        let det = self.det.as_deref();
        let (view, filter, rule_text) = match self.what {
            What::Table { rows } => {
                let format = ExportFormat::from_path(&self.path);
                return match (det, &self.selection) {
                    (Some(d), Some(s)) => {
                        export_detected(ds, &rows, d, s, format, CsvCells::Guarded)
                    }
                    _ => export_rows(ds, &rows, None, format),
                };
            }
            What::Report {
                view,
                filter,
                rule_text,
            } => (view, filter, rule_text),
        };
        let (Some(d), Some(s)) = (det, self.selection) else {
            return Err("detection has not finished yet; try again in a moment".into());
        };
        // The screen's model, scores and threshold; under a filter, only the rows in view.
        let findings = match (&view, filter.as_deref()) {
            (Some(rows), Some(filter)) => {
                let scope = crate::report::findings::Scope { filter, rows };
                crate::report::findings::build_scoped(ds, d, &s, &rule_text, scope)
            }
            _ => crate::report::findings::build(ds, d, &s, None, &rule_text),
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
