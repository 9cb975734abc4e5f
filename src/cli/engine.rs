//! `detect --save-model`, `--model` and `--emit-sql`: models that travel between machines and
//! engines.
//!
//! Owns these options ([`ModelArgs`], flattened into `detect`), reading and writing model files
//! (the format itself is `detect::model`) and printing the scoring SQL (`sql::score`). A model
//! file that is missing, not JSON, foreign or damaged is bad input (exit 2) with the path and,
//! where it applies, the line and column. No analysis happens here.

use super::Failure;
use super::detect::{DetectOptions, Outcome, outcome_of};
use super::output::{Target, write_output};
use crate::dataset::Dataset;
use crate::detect::RunControl;
use crate::detect::model::Model;
use crate::detect::pipeline::DetectionRun;
use crate::sql::Dialect;
use clap::{Args, ValueEnum};

/// The engines `--emit-sql` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqlDialect {
    /// Apache Spark SQL (Databricks, EMR, Glue).
    Spark,
    /// DuckDB.
    Duckdb,
    /// Trino and Amazon Athena.
    Trino,
}

impl SqlDialect {
    fn dialect(self) -> Dialect {
        match self {
            SqlDialect::Spark => Dialect::Spark,
            SqlDialect::Duckdb => Dialect::DuckDb,
            SqlDialect::Trino => Dialect::Trino,
        }
    }
}

/// Saving, reusing and compiling models.
#[derive(Debug, Args, Clone, Default)]
pub struct ModelArgs {
    /// Write the fitted model (features, transforms, medians, trees, threshold rule, seed) as JSON.
    #[arg(long, value_name = "PATH", conflicts_with = "model")]
    pub save_model: Option<String>,
    /// Score with a saved model instead of fitting one: its features, medians and contamination.
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with_all = ["features", "log1p", "trees", "sample", "seed", "contamination"]
    )]
    pub model: Option<String>,
    /// Print the model's scoring SQL and exit: one SELECT reading the relation `input` and
    /// returning its columns, then `score`. Needs --model; no input file.
    #[arg(long, value_enum, value_name = "DIALECT", requires = "model")]
    pub emit_sql: Option<SqlDialect>,
}

/// Reads and checks a model file.
pub fn load_model(path: &str) -> Result<Model, Failure> {
    let shown = crate::sanitize::inert(path).into_owned();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read the model '{shown}': {e} (write one with `threatlens detect FILE --save-model PATH`)"
        ))
    })?;
    Model::from_json(&text).map_err(|e| Failure::usage(format!("model '{shown}': {e}")))
}

/// `--emit-sql`: prints the scoring query to the output.
pub fn emit_sql(args: &ModelArgs, output: Option<&str>, force: bool) -> Result<bool, Failure> {
    let Some(dialect) = args.emit_sql else {
        return Ok(false);
    };
    let path = args
        .model
        .as_deref()
        .ok_or_else(|| Failure::usage("--emit-sql needs --model PATH"))?;
    let model = load_model(path)?;
    let sql = crate::sql::score::scoring_select(&model, dialect.dialect(), "input")
        .map_err(|e| Failure::usage(format!("model '{}': {e}", crate::sanitize::inert(path))))?;
    write_output(&Target::from_arg(output), sql.as_bytes(), force)?;
    Ok(true)
}

/// Detection with `--model` (scores only) or by fitting.
pub fn detect(ds: &Dataset, opts: &DetectOptions, args: &ModelArgs) -> Result<Outcome, Failure> {
    let Some(path) = &args.model else {
        return super::detect::run_detection(ds, opts);
    };
    let model = load_model(path)?;
    let run = DetectionRun::run_model(ds, &model, &RunControl::default()).map_err(|e| {
        Failure::usage(format!(
            "model '{}' cannot score this data: {e}",
            crate::sanitize::inert(path)
        ))
    })?;
    let contamination = model
        .contamination()
        .map_err(|e| Failure::usage(e.to_string()))?;
    outcome_of(ds, run, contamination, opts.label.as_deref())
}

/// `--save-model`: writes the fitted model (refusing to replace a file without --force).
pub fn save_model(
    ds: &Dataset,
    outcome: &Outcome,
    args: &ModelArgs,
    force: bool,
) -> Result<(), Failure> {
    let Some(path) = &args.save_model else {
        return Ok(());
    };
    let model = Model::from_run(
        ds,
        &outcome.run,
        outcome.contamination,
        outcome.selection.threshold,
    );
    write_output(
        &Target::from_arg(Some(path)),
        model.to_json().as_bytes(),
        force,
    )?;
    Ok(())
}

/// Where the data lives when it is not a file: a table in Spark, through Spark Connect.
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// Run in Spark through Spark Connect: sc://HOST:PORT[/;use_ssl=true;token=…] (the token may
    /// instead be in $SPARK_CONNECT_AUTHENTICATE_TOKEN; it is never printed). Needs a build with
    /// `--features spark`.
    #[arg(long, value_name = "URL", requires = "table")]
    pub engine: Option<String>,
    /// The table in the engine: a catalog name (logs.vpc_flow), a path read by a data source
    /// (parquet.`s3://bucket/AWSLogs/…`) or a (subquery). Names are quoted, never run as SQL.
    #[arg(long, value_name = "EXPR", requires = "engine")]
    pub table: Option<String>,
    /// Which column plays a role, when its name does not say (repeatable):
    /// --map src_ip=client_addr --map bytes_in=bytes.
    #[arg(long = "map", value_name = "ROLE=COLUMN", requires = "engine")]
    pub map: Vec<String>,
    /// With --engine: most flagged rows brought back and listed (the count and threshold are
    /// over every row).
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "engine")]
    pub engine_rows: usize,
    /// With --engine: seconds to wait for the server to accept and answer before giving up
    /// (a refused connection fails at once).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = timeout_secs, requires = "engine")]
    pub engine_timeout: std::time::Duration,
}

impl Default for EngineArgs {
    fn default() -> Self {
        EngineArgs {
            engine: None,
            table: None,
            map: Vec::new(),
            engine_rows: 1000,
            engine_timeout: crate::source::engine::DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// `--engine-timeout`: a number of seconds, more than 0 and at most a day.
fn timeout_secs(text: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = text.trim().parse().map_err(|_| {
        format!(
            "'{}' is not a number of seconds (e.g. 10 or 2.5)",
            crate::sanitize::inert(text)
        )
    })?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "{secs} is out of range: give more than 0 and at most 86400 seconds"
        ));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}
