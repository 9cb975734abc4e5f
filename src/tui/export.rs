//! What `x` and `e` write: the current table (the filtered rows, or the anomaly
//! list on tab 5) as CSV/JSON, and the findings report of the current view.
//! Builds bytes from the app state; `App` does the atomic write and asks before
//! replacing a file.

use super::action::Tab;
use super::app::App;
use crate::detect::RunControl;
use crate::detect::pipeline::DetectionRun;
use crate::report::export::{ExportFormat, Scores, export_rows};

/// The bytes to write for an export (`report == false`) or a report.
pub fn prepare(app: &App, report: bool, path: &str) -> Result<Vec<u8>, String> {
    let ds = app.ds.as_ref().ok_or("no data loaded")?;
    let det = app.det.as_ref();
    if !report {
        let rows: Vec<u32> = if app.tab == Tab::Anomalies {
            app.flagged_rows.clone()
        } else {
            app.view_rows().to_vec()
        };
        let flagged = |r: usize| matches!((det, &app.selection), (Some(d), Some(s)) if d.detection.index.is_flagged(s, r));
        let scores = det.map(|d| Scores {
            scores: d.scores(),
            flagged: &flagged,
        });
        return export_rows(ds, &rows, scores.as_ref(), ExportFormat::from_path(path));
    }
    let rule = app.threshold.describe();
    let (sub, run, sel);
    let (data, run_ref, sel_ref) =
        match (app.view.as_ref().filter(|v| v.filtered), det, app.selection) {
            (None, Some(d), Some(s)) => (ds.as_ref(), d.as_ref(), s),
            (Some(v), _, _) => {
                // A filtered view: fit on the rows in view with the current parameters.
                let rows: Vec<usize> = v.rows.iter().map(|&r| r as usize).collect();
                sub = ds.select_rows(&rows);
                run = DetectionRun::run(&sub, &app.params, &RunControl::default())?;
                sel = run.detection.index.select(app.threshold.rule());
                (&sub, &run, sel)
            }
            _ => return Err("detection has not finished yet; try again in a moment".into()),
        };
    let findings = crate::report::findings::build(data, run_ref, &sel_ref, None, &rule);
    let lower = path.to_ascii_lowercase();
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
