//! `summary`, `detect` and `report` with `--engine sc://… --table EXPR`: the same questions asked
//! of a table in Spark, answered by SQL run there (`source::remote`), printed as for a file.
//!
//! Owns the command-line policy of engine runs: which options apply (file-only preprocessing,
//! `--export`, `--label`, `--by` and per-row CSV are refused with a reason rather than ignored),
//! fitting on the engine's sample or reusing `--model`, and the engine's detection output (the
//! count and threshold over every row, the top flagged rows explained locally with the same
//! model). Errors carry the endpoint without its token. No SQL is written here.

use super::detect::{
    DetectArgs, DetectFormat, DetectOptions, flagged_row, outcome_of, run_detection,
};
use super::output::{Target, write_output};
use super::{Failure, InputArgs, ReportArgs, ReportFormat, SummaryArgs, SummaryFormat, to_json};
use crate::detect::RunControl;
use crate::detect::model::Model;
use crate::detect::pipeline::DetectionRun;
use crate::report::table::{Table, num};
use crate::source::engine::{self, EngineError};
use crate::source::remote::{EngineDetection, Remote, ScoringForm};
use serde::Serialize;
use std::sync::atomic::AtomicBool;

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

/// Refuses the options that only apply to files, then connects and opens the table.
fn open(input: &InputArgs, cancel: &AtomicBool) -> Result<(Remote, String), Failure> {
    let file_only = [
        (!input.file.is_empty(), "a FILE (the rows are the table's)"),
        (input.trim_text, "--trim-text"),
        (input.drop_duplicates, "--drop-duplicates"),
        (
            input.missing != crate::analysis::prep::MissingPolicy::Keep,
            "--missing",
        ),
        (
            input.outliers != crate::analysis::prep::OutlierPolicy::Report,
            "--outliers",
        ),
        (
            input.window.since.is_some() || input.window.until.is_some(),
            "--since/--until (use --filter \"time >= …\")",
        ),
        (input.window.flow_format.is_some(), "--flow-format"),
        (input.window.geoip.is_some(), "--geoip"),
    ];
    if let Some((_, what)) = file_only.iter().find(|(set, _)| *set) {
        return Err(Failure::usage(format!(
            "--engine reads a table in the engine: {what} does not apply to it"
        )));
    }
    let (Some(url), Some(table)) = (&input.engine.engine, &input.engine.table) else {
        return Err(Failure::usage(
            "--engine needs --table EXPR (a catalog table, a path such as parquet.`s3://…`, or a (subquery))",
        ));
    };
    let engine = engine::connect(url, input.engine.engine_timeout)?;
    let remote = Remote::open(engine, table, &input.engine.map, cancel)?;
    let view = remote.scope(input.filter.as_deref(), cancel)?;
    Ok((remote, view))
}

/// `summary --engine`.
pub fn cmd_summary(a: &SummaryArgs) -> Result<(), Failure> {
    if a.export.is_some() {
        return Err(Failure::usage(
            "--export writes every row, which stays in the engine with --engine: write it there (CREATE TABLE … AS SELECT)",
        ));
    }
    let cancel = AtomicBool::new(false);
    let (remote, view) = open(&a.input, &cancel)?;
    let s = crate::timing::phase("summary", || remote.summary(&view, a.top, &cancel))?;
    let text = match a.format {
        SummaryFormat::Text => crate::report::summary::render_text(&s),
        SummaryFormat::Json => to_json(&s)?,
    };
    write_output(&Target::Stdout, text.as_bytes(), false)?;
    Ok(())
}

/// `report --engine`: the report from the engine's views — the summary computed there, every row
/// scored there, the top flagged rows sent back and explained here.
pub fn cmd_report(a: &ReportArgs) -> Result<(), Failure> {
    use crate::report::engine::{EngineAnomalies, EngineReport, FlaggedRow};
    if a.detect.label.is_some() {
        return Err(Failure::usage(
            "--label is not available with --engine (the evaluation needs every row here)",
        ));
    }
    let target = Target::from_arg(a.output.as_deref());
    super::output::check_target(&target, a.force)?;
    let cancel = AtomicBool::new(false);
    let (remote, view) = open(&a.input, &cancel)?;
    let summary = crate::timing::phase("summary", || remote.summary(&view, 20, &cancel))?;
    let (model, note) = fitted(&remote, &view, &a.detect, &cancel)?;
    let contamination = model
        .contamination()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let det = crate::timing::phase("score in the engine", || {
        remote.detect(
            &view,
            &model,
            contamination,
            a.input.engine.engine_rows,
            ScoringForm::default(),
            &cancel,
        )
    })?;
    let flagged = explain(&det, &model)?
        .into_iter()
        .map(|f| FlaggedRow {
            rank: f.rank,
            score: f.score,
            time: f.time,
            src_ip: f.src_ip,
            country: f.country,
            bytes_in: f.bytes_in,
            bytes_out: f.bytes_out,
            explanation: f.explanation,
        })
        .collect();
    let report = EngineReport {
        source: remote.name().to_string(),
        filter: a.input.filter.clone(),
        anomalies: EngineAnomalies {
            rows: det.rows,
            flagged: det.flagged,
            share: det.flagged as f64 / det.rows.max(1) as f64,
            threshold: det.threshold,
            rule: format!("contamination {contamination}"),
            features: model.features.iter().map(|f| f.name.clone()).collect(),
            trees: model.trees,
            sample_size: model.sample_size,
            seed: model.seed,
        },
        flagged,
        summary,
        notes: vec![
            note,
            "Not in an engine report: the patterns, per-country flagged shares, the heuristic alert and per-source (entity) detection, which need every flagged row here; run `report` on an extract for them.".into(),
        ],
    };
    let text = match a.format {
        ReportFormat::Md => crate::report::engine::markdown(&report),
        ReportFormat::Html => crate::report::engine::html(&report),
        ReportFormat::Json => to_json(&report)?,
    };
    write_output(&target, text.as_bytes(), a.force)?;
    Ok(())
}

/// A flagged row from the engine, explained (JSON output).
#[derive(Debug, Serialize)]
pub struct EngineFlagged {
    pub rank: usize,
    pub score: f64,
    pub src_ip: Option<String>,
    pub country: Option<String>,
    pub time: Option<String>,
    pub bytes_in: Option<f64>,
    pub bytes_out: Option<f64>,
    pub explanation: String,
    pub contributions: Vec<crate::detect::Contribution>,
    pub patterns: Vec<String>,
}

/// `detect --engine` as JSON.
#[derive(Debug, Serialize)]
pub struct EngineDetectJson {
    pub source: String,
    pub rows: usize,
    pub anomalies: usize,
    pub threshold: f64,
    pub params: serde_json::Value,
    /// The top flagged rows (at most --engine-rows).
    pub flagged: Vec<EngineFlagged>,
    pub notes: Vec<String>,
}

/// `detect --engine`: fit on the engine's sample (or load `--model`), score every row there.
pub fn cmd_detect(a: &DetectArgs) -> Result<(), Failure> {
    let refused = [
        (a.export.is_some(), "--export"),
        (a.detect.label.is_some(), "--label"),
        (!a.entity.by.is_empty(), "--by"),
        (
            a.model.emit_sql.is_some(),
            "--emit-sql (it needs no engine)",
        ),
        (
            matches!(a.format, DetectFormat::Csv),
            "--format csv (a line per row: score in the engine with `detect --emit-sql spark`)",
        ),
    ];
    if let Some((_, what)) = refused.iter().find(|(set, _)| *set) {
        return Err(Failure::usage(format!(
            "{what} is not available with --engine"
        )));
    }
    let cancel = AtomicBool::new(false);
    let (remote, view) = open(&a.input, &cancel)?;
    let (model, notes) = model_for(&remote, &view, a, &cancel)?;
    let contamination = model
        .contamination()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let det = crate::timing::phase("score in the engine", || {
        remote.detect(
            &view,
            &model,
            contamination,
            a.input.engine.engine_rows,
            ScoringForm::default(),
            &cancel,
        )
    })?;
    let flagged = explain(&det, &model)?;
    let out = EngineDetectJson {
        source: remote.name().to_string(),
        rows: det.rows,
        anomalies: det.flagged,
        threshold: det.threshold,
        params: serde_json::json!({
            "features": model.features.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
            "log1p": model.features.iter().filter(|f| f.log1p).map(|f| f.name.clone()).collect::<Vec<_>>(),
            "trees": model.trees,
            "sample_size": model.sample_size,
            "seed": model.seed,
            "contamination": contamination.to_string(),
            "fitted_rows": model.fitted_rows,
        }),
        flagged,
        notes,
    };
    let text = match a.format {
        DetectFormat::Json => to_json(&out)?,
        DetectFormat::Jsonl => {
            let mut s = String::new();
            for f in &out.flagged {
                s.push_str(&crate::report::json::to_line(f).map_err(|e| Failure {
                    code: 1,
                    message: e.to_string(),
                })?);
            }
            s
        }
        _ => table_text(&out),
    };
    write_output(
        &Target::from_arg(a.output.as_deref()),
        text.as_bytes(),
        a.force,
    )?;
    Ok(())
}

/// The model: `--model`, or fitted here on the engine's sample of trees × sample-size rows.
fn model_for(
    remote: &Remote,
    view: &str,
    a: &DetectArgs,
    cancel: &AtomicBool,
) -> Result<(Model, Vec<String>), Failure> {
    if let Some(path) = &a.model.model {
        let model = super::engine::load_model(path)?;
        let note = format!(
            "scored with the saved model {}",
            crate::sanitize::inert(path)
        );
        return Ok((model, vec![note]));
    }
    let (model, note) = fitted(remote, view, &a.detect, cancel)?;
    if let Some(path) = &a.model.save_model {
        write_output(
            &Target::from_arg(Some(path)),
            model.to_json().as_bytes(),
            a.force,
        )?;
    }
    Ok((model, vec![note]))
}

/// A forest fitted here on the engine's sample of trees × sample-size rows drawn for the seed.
fn fitted(
    remote: &Remote,
    view: &str,
    opts: &DetectOptions,
    cancel: &AtomicBool,
) -> Result<(Model, String), Failure> {
    let per_tree = opts
        .sample
        .unwrap_or(crate::detect::defaults::SAMPLE as u64) as usize;
    let n = per_tree.saturating_mul(opts.trees as usize).max(per_tree);
    let sample = crate::timing::phase("sample", || remote.sample(view, n, opts.seed, cancel))?;
    let outcome = run_detection(&sample, opts)?;
    let model = Model::from_run(
        &sample,
        &outcome.run,
        outcome.contamination,
        outcome.selection.threshold,
    );
    let note = format!(
        "fitted on {} rows drawn by the engine for seed {} (the rows with the smallest hash of seed and row), every row scored in the engine",
        sample.rows, opts.seed
    );
    Ok((model, note))
}

/// The pulled rows explained with the same model, locally (a saved model scores row by row, so
/// each row's local score is the engine's).
fn explain(det: &EngineDetection, model: &Model) -> Result<Vec<EngineFlagged>, Failure> {
    let Some(top) = &det.top else {
        return Ok(Vec::new());
    };
    let run = DetectionRun::run_model(top, model, &RunControl::default())
        .map_err(|e| Failure::usage(format!("the model cannot score this table: {e}")))?;
    let contamination = model
        .contamination()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let outcome = outcome_of(top, run, contamination, None)?;
    Ok((0..top.rows)
        .map(|r| {
            let f = flagged_row(top, &outcome, r + 1, r);
            EngineFlagged {
                rank: r + 1,
                score: det.top_scores.get(r).copied().unwrap_or(f.score),
                src_ip: f.src_ip,
                country: f.country,
                time: f.time,
                bytes_in: f.bytes_in,
                bytes_out: f.bytes_out,
                explanation: f.explanation,
                contributions: f.contributions,
                patterns: f.patterns,
            }
        })
        .collect())
}

fn table_text(out: &EngineDetectJson) -> String {
    let mut text = format!(
        "{} of {} rows flagged (threshold {:.4}) · {}\n",
        out.anomalies, out.rows, out.threshold, out.source
    );
    for n in &out.notes {
        text.push_str(&format!("{n}\n"));
    }
    text.push('\n');
    let mut t = Table::new(&[
        "rank",
        "score",
        "time",
        "src_ip",
        "country",
        "bytes_in",
        "bytes_out",
        "why",
    ])
    .right_align(&[0, 1, 5, 6]);
    for f in &out.flagged {
        t.row(&[
            f.rank.to_string(),
            format!("{:.4}", f.score),
            f.time.clone().unwrap_or_default(),
            f.src_ip.clone().unwrap_or_default(),
            f.country.clone().unwrap_or_default(),
            num(f.bytes_in),
            num(f.bytes_out),
            f.explanation.clone(),
        ]);
    }
    if out.flagged.is_empty() {
        text.push_str("No row is flagged at this threshold.\n");
    } else {
        text.push_str(&t.render(""));
        if out.flagged.len() < out.anomalies {
            text.push_str(&format!(
                "\n(the top {} of {} flagged rows; --engine-rows N lists more)\n",
                out.flagged.len(),
                out.anomalies
            ));
        }
    }
    text
}
