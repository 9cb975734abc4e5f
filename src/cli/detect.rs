//! `threatlens detect`: the isolation forest, headless.
//!
//! Fits on the chosen features, flags rows by contamination (or `auto`), and
//! prints a table (flagged rows, most anomalous first, with explanation), CSV
//! (`row,score,anomaly[,label]` for every row) or JSON (counts, threshold,
//! parameters, flagged rows, per-IP aggregation, evaluation against a label).

use super::output::{Target, check_target, write_output, write_output_with};
use super::{Failure, InputArgs, load_input};
use crate::analysis::rankings;
use crate::dataset::{Dataset, Role};
use crate::detect::defaults;
use crate::detect::pipeline::{DetectParams, DetectionRun, default_features};
use crate::detect::{Contamination, Evaluation, GroupSummary, Rule, RunControl, Selection};
use crate::report::table::{Table, num};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetectFormat {
    Table,
    Csv,
    Json,
    /// One JSON object per flagged row, a line each (what `--follow` prints as rows arrive).
    Jsonl,
}

/// Detection options shared by `detect` and `report`.
#[derive(Debug, Args, Clone)]
pub struct DetectOptions {
    /// Features, comma-separated (columns or derived: bytes_per_sec, session_duration, …).
    /// Default: bytes_in,bytes_out,bytes_per_sec (CloudWatch) or every numeric column.
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    pub features: Vec<String>,
    /// Features to transform with log1p before fitting.
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    pub log1p: Vec<String>,
    /// Fraction flagged, 0 < C ≤ 0.5 (e.g. 0.05 or 5%), or `auto` (score > 0.5).
    #[arg(long, default_value_t = Contamination::default(), value_name = "C|auto")]
    pub contamination: Contamination,
    /// Number of trees.
    #[arg(long, default_value_t = defaults::TREES as u64, value_name = "N", value_parser = clap::value_parser!(u64).range(*defaults::TREES_RANGE.start() as u64..=*defaults::TREES_RANGE.end() as u64))]
    pub trees: u64,
    /// Rows drawn per tree (default min(256, rows)).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(defaults::SAMPLE_MIN as u64..))]
    pub sample: Option<u64>,
    /// Random seed.
    #[arg(long, default_value_t = defaults::SEED, value_name = "N")]
    pub seed: u64,
    /// Label column for evaluation (0/1, true/false, yes/no, normal/anomaly, benign/malicious).
    #[arg(long, value_name = "COL")]
    pub label: Option<String>,
}

impl DetectOptions {
    pub fn params(&self, ds: &Dataset) -> DetectParams {
        DetectParams {
            features: if self.features.is_empty() {
                default_features(ds)
            } else {
                self.features.iter().map(|f| f.trim().to_string()).collect()
            },
            log1p: self.log1p.clone(),
            trees: self.trees as usize,
            sample: self.sample.map(|s| s as usize),
            seed: self.seed,
        }
    }
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub detect: DetectOptions,
    #[command(flatten)]
    pub entity: super::entity::EntityOptions,
    #[command(flatten)]
    pub model: super::engine::ModelArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: DetectFormat,
    /// Output path (`-` or none: stdout).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<String>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Also write the flagged rows (every column, score, anomaly) to PATH: CSV, or JSON for a .json name.
    #[arg(long, value_name = "PATH")]
    pub export: Option<String>,
    /// Write exported CSV text cells exactly as read. By default a cell a spreadsheet would run as
    /// a formula (starting with = + - @) gets a leading ' so opening the export cannot run it.
    #[arg(long, requires = "export")]
    pub raw_csv: bool,
    #[command(flatten)]
    pub follow: super::follow::FollowArgs,
}

/// A flagged row in the JSON output.
#[derive(Debug, Serialize)]
pub struct Flagged {
    pub row: usize,
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

/// The detect result as JSON.
#[derive(Serialize)]
pub struct DetectJson<'a> {
    pub source: String,
    pub rows: usize,
    pub anomalies: usize,
    pub threshold: f64,
    pub params: serde_json::Value,
    /// Built while being written (there is one per flagged row: 5% of millions of rows).
    pub flagged: FlaggedRows<'a>,
    pub by_ip: Vec<GroupSummary>,
    pub by_country: Vec<GroupSummary>,
    pub evaluation: Option<Evaluation>,
    pub notes: Vec<String>,
}

/// Everything a detection run produces for reporting.
pub struct Outcome {
    pub run: DetectionRun,
    pub selection: Selection,
    pub labels: Option<Vec<bool>>,
    pub evaluation: Option<Evaluation>,
    pub contamination: Contamination,
}

/// Runs detection on a loaded dataset.
pub fn run_detection(ds: &Dataset, opts: &DetectOptions) -> Result<Outcome, Failure> {
    let params = opts.params(ds);
    let run = DetectionRun::run(ds, &params, &RunControl::default()).map_err(Failure::usage)?;
    outcome_of(ds, run, opts.contamination, opts.label.as_deref())
}

/// Flags a finished run's rows by `contamination` and evaluates them against a label column.
pub fn outcome_of(
    ds: &Dataset,
    run: DetectionRun,
    contamination: Contamination,
    label: Option<&str>,
) -> Result<Outcome, Failure> {
    let selection = run
        .detection
        .index
        .select(Rule::Contamination(contamination));
    let labels = match label {
        Some(col) => Some(labels(ds, col)?),
        None => None,
    };
    let evaluation = match &labels {
        Some(l) => Some(
            crate::detect::evaluate(l, &run.detection.index, &selection)
                .map_err(|e| Failure::usage(e.to_string()))?,
        ),
        None => None,
    };
    Ok(Outcome {
        run,
        selection,
        labels,
        evaluation,
        contamination,
    })
}

/// Reads a label column as booleans; any value that is not a label is an error.
pub fn labels(ds: &Dataset, col: &str) -> Result<Vec<bool>, Failure> {
    let i = ds.column_index(col).ok_or_else(|| {
        let names: Vec<String> = ds
            .columns
            .iter()
            .map(|c| crate::sanitize::inert(&c.name).into_owned())
            .collect();
        Failure::usage(format!(
            "no label column '{}': the columns are {}",
            crate::sanitize::inert(col),
            names.join(", ")
        ))
    })?;
    (0..ds.rows)
        .map(|r| {
            let text = ds.cell_text(r, i);
            crate::detect::parse_label(&text).ok_or_else(|| {
                Failure::usage(format!(
                    "label column '{}': row {r} has '{}', which is not a label (use 0/1, true/false, yes/no, normal/anomaly or benign/malicious)",
                    crate::sanitize::inert(col),
                    crate::sanitize::inert(&text)
                ))
            })
        })
        .collect()
}

/// Per-group aggregation of the flags for a role column (IP or country).
pub fn by_group(ds: &Dataset, outcome: &Outcome, role: Role) -> Vec<GroupSummary> {
    let Some(groups) = ds.role_index(role).and_then(|i| rankings::groups(ds, i)) else {
        return Vec::new();
    };
    let index = &outcome.run.detection.index;
    crate::detect::aggregate(&groups.codes, &groups.labels, outcome.run.scores(), |r| {
        index.is_flagged(&outcome.selection, r)
    })
    .unwrap_or_default()
}

fn text(ds: &Dataset, row: usize, role: Role) -> Option<String> {
    let i = ds.role_index(role)?;
    let t = ds.cell_text(row, i);
    (!t.is_empty()).then(|| t.into_owned())
}

/// One flagged row with its explanation (`rank` counts from 1).
pub fn flagged_row(ds: &Dataset, outcome: &Outcome, rank: usize, row: usize) -> Flagged {
    let run = &outcome.run;
    let explanation = run.explain(ds, row);
    let patterns = run.patterns(ds, row);
    Flagged {
        row: ds.origin_row(row),
        rank,
        score: run.scores().get(row).copied().unwrap_or(0.0),
        src_ip: text(ds, row, Role::SrcIp),
        country: text(ds, row, Role::Country),
        time: ds.start_time(row).map(crate::dataset::format_time),
        bytes_in: ds.role(Role::BytesIn).and_then(|c| c.data.number(row)),
        bytes_out: ds.role(Role::BytesOut).and_then(|c| c.data.number(row)),
        explanation: run.explanation_line_for(explanation.as_ref(), &patterns),
        contributions: explanation.map(|e| e.contributions).unwrap_or_default(),
        patterns: patterns.iter().map(|p| p.to_string()).collect(),
    }
}

/// The flagged rows with their explanations, most anomalous first (explained in parallel).
pub fn flagged_rows(ds: &Dataset, outcome: &Outcome, limit: usize) -> Vec<Flagged> {
    let rows: Vec<usize> = outcome
        .run
        .detection
        .index
        .flagged(&outcome.selection)
        .take(limit)
        .collect();
    rows.par_iter()
        .enumerate()
        .map(|(i, &row)| flagged_row(ds, outcome, i + 1, row))
        .collect()
}

/// The flagged rows as a JSON list, explained in parallel batches while being written, so the
/// list is never held whole.
pub struct FlaggedRows<'a> {
    ds: &'a Dataset,
    outcome: &'a Outcome,
    limit: usize,
}

impl Serialize for FlaggedRows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        const BATCH: usize = 4096;
        let index = &self.outcome.run.detection.index;
        let count = self.outcome.selection.count.min(self.limit);
        let mut seq = s.serialize_seq(Some(count))?;
        let mut rows = index.flagged(&self.outcome.selection).take(count);
        let mut rank = 0;
        loop {
            let batch: Vec<usize> = rows.by_ref().take(BATCH).collect();
            if batch.is_empty() {
                break;
            }
            let explained: Vec<Flagged> = batch
                .par_iter()
                .enumerate()
                .map(|(i, &row)| flagged_row(self.ds, self.outcome, rank + i + 1, row))
                .collect();
            rank += batch.len();
            for f in &explained {
                seq.serialize_element(f)?;
            }
        }
        seq.end()
    }
}

/// The `detect` subcommand.
pub fn cmd_detect(a: &DetectArgs) -> Result<(), Failure> {
    if a.follow.follow && !a.entity.by.is_empty() {
        return Err(Failure::usage(
            "--by scores whole entities and cannot --follow row by row; drop one of them",
        ));
    }
    if a.follow.follow && a.input.engine.engine.is_some() {
        return Err(Failure::usage(
            "--follow reads a growing file; it cannot follow a table in an engine (drop --engine)",
        ));
    }
    if a.follow.follow {
        return super::follow::cmd_follow(a);
    }
    check_target(&Target::from_arg(a.output.as_deref()), a.force)?;
    if super::engine::emit_sql(&a.model, a.output.as_deref(), a.force)? {
        return Ok(());
    }
    for path in [&a.export, &a.model.save_model].into_iter().flatten() {
        check_target(&Target::from_arg(Some(path)), a.force)?;
    }
    if a.input.engine.engine.is_some() {
        return super::remote::cmd_detect(a);
    }
    let ds = crate::timing::phase("load", || load_input(&a.input))?;
    crate::memory::for_analysis();
    if !a.entity.by.is_empty() {
        return super::entity::cmd_entities(&ds, a);
    }
    let outcome = super::engine::detect(&ds, &a.detect, &a.model)?;
    super::engine::save_model(&ds, &outcome, &a.model, a.force)?;
    let target = Target::from_arg(a.output.as_deref());
    match a.format {
        // Both have a line per row (or per flagged row): streamed, never built whole.
        DetectFormat::Csv => write_output_with(&target, a.force, |w| write_csv(&ds, &outcome, w))?,
        DetectFormat::Json => write_output_with(&target, a.force, |w| {
            let mut ser = serde_json::Serializer::with_formatter(
                &mut *w,
                crate::report::json::InertFormatter::default(),
            );
            serde::Serialize::serialize(&json_output(&ds, &outcome), &mut ser)?;
            w.write_all(b"\n")
        })?,
        DetectFormat::Jsonl => write_output_with(&target, a.force, |w| {
            for f in flagged_rows(&ds, &outcome, usize::MAX) {
                let line = crate::report::json::to_line(&f).map_err(std::io::Error::other)?;
                w.write_all(line.as_bytes())?;
            }
            Ok(())
        })?,
        DetectFormat::Table => {
            write_output(&target, table_output(&ds, &outcome).as_bytes(), a.force)?;
        }
    }
    if let Some(path) = &a.export {
        let index = &outcome.run.detection.index;
        let rows: Vec<u32> = index
            .flagged(&outcome.selection)
            .map(|r| r as u32)
            .collect();
        let fmt = crate::report::export::ExportFormat::from_path(path);
        let bytes = crate::report::export::export_detected(
            &ds,
            &rows,
            &outcome.run,
            &outcome.selection,
            fmt,
            super::csv_cells(a.raw_csv),
        )
        .map_err(|e| Failure {
            code: 1,
            message: e,
        })?;
        write_output(&Target::from_arg(Some(path)), &bytes, a.force)?;
    }
    Ok(())
}

/// `row,score,anomaly[,label]` for every row.
pub fn csv_output(ds: &Dataset, o: &Outcome) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write_csv(ds, o, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`csv_output`], written to `w` as it is produced.
pub fn write_csv(ds: &Dataset, o: &Outcome, w: &mut dyn Write) -> std::io::Result<()> {
    let index = &o.run.detection.index;
    w.write_all(if o.labels.is_some() {
        b"row,score,anomaly,label\n"
    } else {
        b"row,score,anomaly\n"
    })?;
    for (row, score) in o.run.scores().iter().enumerate() {
        let flag = u8::from(index.is_flagged(&o.selection, row));
        match &o.labels {
            Some(l) => writeln!(
                w,
                "{},{score},{flag},{}",
                ds.origin_row(row),
                u8::from(l.get(row).copied().unwrap_or(false))
            )?,
            None => writeln!(w, "{},{score},{flag}", ds.origin_row(row))?,
        }
    }
    Ok(())
}

pub fn json_output<'a>(ds: &'a Dataset, o: &'a Outcome) -> DetectJson<'a> {
    let p = o.run.detection.params();
    DetectJson {
        source: ds.source.clone(),
        rows: ds.rows,
        anomalies: o.selection.count,
        threshold: o.selection.threshold,
        params: serde_json::json!({
            "features": o.run.feature_names,
            "log1p": o.run.params.log1p,
            "contamination": o.contamination.to_string(),
            "trees": p.trees,
            "sample_size": p.sample_size,
            "max_depth": p.max_depth,
            "seed": p.seed,
        }),
        flagged: FlaggedRows {
            ds,
            outcome: o,
            limit: usize::MAX,
        },
        by_ip: by_group(ds, o, Role::SrcIp)
            .into_iter()
            .filter(|g| g.flagged > 0)
            .collect(),
        by_country: by_group(ds, o, Role::Country)
            .into_iter()
            .filter(|g| g.flagged > 0)
            .collect(),
        evaluation: o.evaluation,
        notes: o.run.notes.clone(),
    }
}

fn table_output(ds: &Dataset, o: &Outcome) -> String {
    let p = o.run.detection.params();
    let mut out = format!(
        "{} of {} rows flagged (contamination {}, threshold {:.4}) · features {} · {} trees × {} samples, seed {}\n\n",
        o.selection.count,
        ds.rows,
        o.contamination,
        o.selection.threshold,
        o.run.feature_names.join(", "),
        p.trees,
        p.sample_size,
        p.seed
    );
    let mut t = Table::new(&[
        "rank",
        "row",
        "score",
        "time",
        "src_ip",
        "country",
        "bytes_in",
        "bytes_out",
        "why",
    ])
    .right_align(&[0, 1, 2, 6, 7]);
    for f in flagged_rows(ds, o, usize::MAX) {
        t.row(&[
            f.rank.to_string(),
            f.row.to_string(),
            format!("{:.4}", f.score),
            f.time.unwrap_or_default(),
            f.src_ip.unwrap_or_default(),
            f.country.unwrap_or_default(),
            num(f.bytes_in),
            num(f.bytes_out),
            f.explanation,
        ]);
    }
    if o.selection.count == 0 {
        out.push_str("No row is flagged at this threshold.\n");
    } else {
        out.push_str(&t.render(""));
    }
    let ips: Vec<GroupSummary> = by_group(ds, o, Role::SrcIp)
        .into_iter()
        .filter(|g| g.flagged > 0)
        .collect();
    if !ips.is_empty() {
        out.push_str("\nBy source IP\n");
        let mut t = Table::new(&[
            "src_ip",
            "flagged",
            "sessions",
            "share",
            "max score",
            "top-3 mean",
        ])
        .right_align(&[1, 2, 3, 4, 5]);
        for g in ips.iter().take(20) {
            t.row(&[
                g.label.clone(),
                g.flagged.to_string(),
                g.sessions.to_string(),
                format!("{:.1}%", g.share_flagged * 100.0),
                format!("{:.4}", g.max_score),
                format!("{:.4}", g.top3_mean),
            ]);
        }
        out.push_str(&t.render("  "));
    }
    if let Some(e) = &o.evaluation {
        out.push_str(&format!("\n{}\n", evaluation_text(e)));
    }
    for n in &o.run.notes {
        out.push_str(&format!("note: {}\n", crate::sanitize::inert(n)));
    }
    out
}

/// Evaluation in words.
pub fn evaluation_text(e: &Evaluation) -> String {
    format!("Evaluation: {}", crate::report::evaluation_text(e))
}
