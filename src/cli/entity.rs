//! `threatlens detect --by KEY`: per-entity detection, headless.
//!
//! Owns the `--by` / `--entity-features` options and the three renderings of an
//! [`EntityRun`]: a table of flagged entities (most anomalous first, with why and the behaviour),
//! CSV (`key,score,anomaly,behaviour` and every feature, for every entity) and JSON (`entities`
//! plus the same `threshold`/`params` block as row detection). The detection itself is
//! [`crate::detect::entity`]; this file only chooses options and formats.

use super::Failure;
use super::detect::{DetectArgs, DetectFormat, DetectOptions};
use super::output::{Target, write_output};
use crate::dataset::Dataset;
use crate::detect::entity::{EntityParams, EntityReport, EntityRun};
use crate::detect::{Rule, RunControl, Selection};
use crate::report::table::Table;
use clap::Args;
use serde::Serialize;

/// Options for per-entity detection.
#[derive(Debug, Args, Clone, Default)]
pub struct EntityOptions {
    /// Detect per entity instead of per row: group rows by these columns (src_ip, dst_ip,
    /// src_ip,dst_port, any column) and score each group's behaviour.
    #[arg(long, value_delimiter = ',', value_name = "COL,…")]
    pub by: Vec<String>,
    /// Entity features, comma-separated (default: all the file supports): sessions,
    /// distinct_dst_ports, distinct_dst_ips, share_rejected, bytes_in_total, bytes_out_total,
    /// bytes_in_median, bytes_out_median, in_out_ratio, median_duration, share_short,
    /// active_span, sessions_per_minute, share_sensitive_ports, interarrival_cv.
    #[arg(long, value_delimiter = ',', value_name = "A,B,…", requires = "by")]
    pub entity_features: Vec<String>,
}

impl EntityOptions {
    /// Entity parameters from these options and the shared detection options.
    pub fn params(&self, d: &DetectOptions) -> EntityParams {
        EntityParams {
            by: self.by.iter().map(|s| s.trim().to_string()).collect(),
            features: self
                .entity_features
                .iter()
                .map(|s| s.trim().to_string())
                .collect(),
            log1p: d.log1p.clone(),
            trees: d.trees as usize,
            sample: d.sample.map(|s| s as usize),
            seed: d.seed,
        }
    }
}

/// An entity run with its selection.
pub struct EntityOutcome {
    pub run: EntityRun,
    pub selection: Selection,
}

/// Runs entity detection with the detect options' contamination.
pub fn run_entities(
    ds: &Dataset,
    entity: &EntityOptions,
    d: &DetectOptions,
) -> Result<EntityOutcome, Failure> {
    let run =
        EntityRun::run(ds, &entity.params(d), &RunControl::default()).map_err(Failure::usage)?;
    let selection = run.select(Rule::Contamination(d.contamination));
    Ok(EntityOutcome { run, selection })
}

/// The entity result as JSON.
#[derive(Serialize)]
struct EntitiesJson<'a> {
    source: &'a str,
    rows: usize,
    by: &'a [String],
    entity_count: usize,
    anomalies: usize,
    threshold: f64,
    params: serde_json::Value,
    entities: Vec<EntityReport>,
    notes: &'a [String],
}

/// `detect --by`: entity detection in the chosen format.
pub fn cmd_entities(ds: &Dataset, a: &DetectArgs) -> Result<(), Failure> {
    if a.export.is_some() {
        return Err(Failure::usage(
            "--export writes flagged rows and is not available with --by; use --format csv for the entities",
        ));
    }
    if a.detect.label.is_some() {
        return Err(Failure::usage(
            "--label evaluates rows and is not available with --by",
        ));
    }
    let o = run_entities(ds, &a.entity, &a.detect)?;
    let target = Target::from_arg(a.output.as_deref());
    let text = match a.format {
        DetectFormat::Json => {
            let mut out = Vec::new();
            let mut ser = serde_json::Serializer::with_formatter(
                &mut out,
                crate::report::json::InertFormatter::default(),
            );
            json(ds, &o, &a.detect)
                .serialize(&mut ser)
                .map_err(|e| Failure {
                    code: 1,
                    message: e.to_string(),
                })?;
            out.push(b'\n');
            out
        }
        DetectFormat::Csv => csv(&o)?,
        DetectFormat::Jsonl => jsonl(&o)?,
        DetectFormat::Table => table(ds, &o, &a.detect).into_bytes(),
    };
    write_output(&target, &text, a.force)?;
    Ok(())
}

/// One entity a line, most anomalous first (the objects of the JSON `entities` list).
fn jsonl(o: &EntityOutcome) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    for r in o.run.all(&o.selection) {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            crate::report::json::InertFormatter::default(),
        );
        r.serialize(&mut ser).map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })?;
        out.push(b'\n');
    }
    Ok(out)
}

fn json<'a>(ds: &'a Dataset, o: &'a EntityOutcome, d: &DetectOptions) -> EntitiesJson<'a> {
    let p = o.run.detection.forest.params();
    EntitiesJson {
        source: &ds.source,
        rows: ds.rows,
        by: &o.run.grouping.columns,
        entity_count: o.run.len(),
        anomalies: o.selection.count,
        threshold: o.selection.threshold,
        params: serde_json::json!({
            "features": o.run.fitted.iter().map(|f| f.name()).collect::<Vec<_>>(),
            "log1p": o.run.fitted.iter().zip(&o.run.log1p).filter(|(_, l)| **l).map(|(f, _)| f.name()).collect::<Vec<_>>(),
            "contamination": d.contamination.to_string(),
            "trees": p.trees,
            "sample_size": p.sample_size,
            "max_depth": p.max_depth,
            "seed": p.seed,
        }),
        entities: o.run.all(&o.selection),
        notes: &o.run.notes,
    }
}

/// Every entity, most anomalous first: key, score, anomaly, behaviour, then every feature. The key
/// is made inert and guarded against spreadsheet formulas; the csv writer quotes it.
fn csv(o: &EntityOutcome) -> Result<Vec<u8>, Failure> {
    let fail = |e: csv::Error| Failure {
        code: 1,
        message: format!("cannot write CSV: {e}"),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["key", "score", "anomaly", "behaviour"];
    header.extend(o.run.features.available.iter().map(|f| f.name()));
    w.write_record(&header).map_err(fail)?;
    for r in o.run.all(&o.selection) {
        let key = crate::sanitize::inert(&r.key);
        let mut record = vec![
            crate::report::export::csv_cell(&key, Default::default()).into_owned(),
            r.score.to_string(),
            u8::from(r.anomaly).to_string(),
            r.behaviour.map(|b| b.to_string()).unwrap_or_default(),
        ];
        record.extend(r.features.0.iter().map(|(_, v)| {
            if v.is_finite() {
                v.to_string()
            } else {
                String::new()
            }
        }));
        w.write_record(&record).map_err(fail)?;
    }
    w.into_inner().map_err(|e| Failure {
        code: 1,
        message: format!("cannot write CSV: {e}"),
    })
}

fn table(ds: &Dataset, o: &EntityOutcome, d: &DetectOptions) -> String {
    let p = o.run.detection.forest.params();
    let mut out = format!(
        "{} of {} entities (by {}, from {} rows) flagged (contamination {}, threshold {:.4}) · features {} · {} trees × {} samples, seed {}\n\n",
        o.selection.count,
        o.run.len(),
        o.run.grouping.columns.join(","),
        ds.rows,
        d.contamination,
        o.selection.threshold,
        o.run
            .fitted
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", "),
        p.trees,
        p.sample_size,
        p.seed
    );
    let flagged = o.run.flagged(&o.selection, usize::MAX);
    if flagged.is_empty() {
        out.push_str("No entity is flagged at this threshold.\n");
    } else {
        let mut t = Table::new(&["rank", "key", "score", "sessions", "behaviour", "why"])
            .right_align(&[0, 2, 3]);
        for (i, r) in flagged.iter().enumerate() {
            let sessions = r.features.0.first().map(|s| s.1).unwrap_or(0.0);
            t.row(&[
                (i + 1).to_string(),
                crate::sanitize::inert(&r.key).into_owned(),
                format!("{:.4}", r.score),
                crate::dataset::format_number(sessions),
                r.behaviour.map(|b| b.to_string()).unwrap_or_default(),
                r.explanation.clone(),
            ]);
        }
        out.push_str(&t.render(""));
    }
    for n in &o.run.notes {
        out.push_str(&format!("note: {}\n", crate::sanitize::inert(n)));
    }
    out
}
