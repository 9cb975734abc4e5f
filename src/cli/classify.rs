//! `threatlens classify`: the notebooks' Random Forest, cross-validated, headless.
//!
//! Owns the `classify` options and the text and JSON renderings of a
//! [`crate::classify::Evaluation`]. Choosing the features, reading the label, the learning and
//! the metrics are [`crate::classify`].

use super::output::{Target, check_target, write_output};
use super::{Failure, InputArgs, load_input, to_json};
use crate::classify::{ClassifyParams, Evaluation};
use crate::dataset::{Dataset, format_number};
use crate::report::table::Table;
use crate::sanitize::inert;
use clap::{Args, ValueEnum};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClassifyFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The label column: exactly two classes (0/1, benign/malicious, any two values).
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// Features, comma-separated (columns or derived: bytes_per_sec, session_duration, …).
    /// Default: every numeric column except the label.
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    pub features: Vec<String>,
    /// Cross-validation folds (stratified).
    #[arg(long, default_value_t = 5, value_name = "K", value_parser = clap::value_parser!(u64).range(2..=100))]
    pub folds: u64,
    /// Number of trees.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub trees: u64,
    /// Random seed (folds and bootstrap samples).
    #[arg(long, default_value_t = 42, value_name = "S")]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ClassifyFormat,
    /// Output path (`-` or none: stdout).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<String>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// Runs the cross-validation asked for.
pub fn evaluate(ds: &Dataset, a: &ClassifyArgs) -> Result<Evaluation, Failure> {
    use crate::classify::dataset::{self, DataError};
    let fail = |e: DataError| match e {
        DataError::Usage(m) => Failure::usage(m),
        DataError::Model(message) => Failure { code: 1, message },
    };
    let label = dataset::label_column(ds, &a.label).map_err(fail)?;
    let params = ClassifyParams {
        folds: a.folds as usize,
        trees: a.trees as usize,
        seed: a.seed,
    };
    dataset::evaluate(ds, label, &a.features, params).map_err(fail)
}

/// The JSON document: the keys the notebooks' report had, plus what was fitted.
#[derive(Serialize)]
struct ClassifyJson<'a> {
    source: &'a str,
    #[serde(flatten)]
    evaluation: &'a Evaluation,
}

/// The `classify` subcommand.
pub fn cmd_classify(a: &ClassifyArgs) -> Result<(), Failure> {
    let target = Target::from_arg(a.output.as_deref());
    check_target(&target, a.force)?;
    let ds = load_input(&a.input)?;
    let e = evaluate(&ds, a)?;
    let text = match a.format {
        ClassifyFormat::Json => to_json(&ClassifyJson {
            source: &ds.source,
            evaluation: &e,
        })?,
        ClassifyFormat::Text => text(&e),
    };
    write_output(&target, text.as_bytes(), a.force)?;
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The evaluation for people: what was learned, the metrics, the confusion matrix, importances.
pub fn text(e: &Evaluation) -> String {
    let c = &e.confusion;
    let mut out = format!(
        "Random forest ({} trees) predicting {} = '{}' ({} of {} rows) from {}; {}-fold stratified cross-validation, seed {}\n\n",
        e.params.trees,
        inert(&e.label),
        inert(&e.positive),
        e.positives,
        e.rows,
        e.features
            .iter()
            .map(|f| inert(f).into_owned())
            .collect::<Vec<_>>()
            .join(", "),
        e.params.folds,
        e.params.seed
    );
    out.push_str(&format!(
        "ROC AUC {:.4} · PR AUC {:.4} · accuracy {} · precision {} · recall {} · F1 {:.4}\n\n",
        e.roc_auc,
        e.pr_auc,
        pct(e.accuracy),
        pct(e.precision),
        pct(e.recall),
        e.f1
    ));
    let mut t = Table::new(&["", "predicted positive", "predicted negative"]).right_align(&[1, 2]);
    t.row(&[
        format!("actual {}", e.positive),
        c.true_positives.to_string(),
        c.false_negatives.to_string(),
    ]);
    t.row(&[
        format!("actual {}", e.negative),
        c.false_positives.to_string(),
        c.true_negatives.to_string(),
    ]);
    out.push_str("Confusion matrix (out-of-fold predictions, probability > 0.5)\n");
    out.push_str(&t.render("  "));
    out.push_str("\nFeature importances (mean decrease in impurity)\n");
    let mut t = Table::new(&["feature", "importance"]).right_align(&[1]);
    for (f, v) in &e.importances {
        t.row(&[f.clone(), format!("{v:.4}")]);
    }
    out.push_str(&t.render("  "));
    out.push_str("\nFolds\n");
    let mut t = Table::new(&["fold", "test rows", "ROC AUC", "PR AUC", "fit s"])
        .right_align(&[0, 1, 2, 3, 4]);
    let opt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.4}"));
    for (i, f) in e.folds.iter().enumerate() {
        t.row(&[
            (i + 1).to_string(),
            f.test_rows.to_string(),
            opt(f.roc_auc),
            opt(f.pr_auc),
            format_number((f.fit_seconds * 1000.0).round() / 1000.0),
        ]);
    }
    out.push_str(&t.render("  "));
    out
}
