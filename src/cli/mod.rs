//! The command line: argument parsing (clap) and the headless subcommands.
//!
//! `threatlens [FILE…]` opens the explorer; `summary`, `detect`, `report` and
//! `demo` run headless. Data goes to stdout, diagnostics to stderr. Exit code 2
//! for bad input or usage, 1 for other failures. This is the shell over the core:
//! it owns I/O policy (where output goes, what is printed), not the analysis.

pub mod classify;
pub mod detect;
pub mod doctor;
pub mod engine;
pub mod entity;
pub mod explore_remote;
pub mod follow;
pub mod launch;
pub mod output;
pub mod progress;
pub mod remote;
pub mod shell;
pub mod window;

use crate::analysis::prep::{self, MissingPolicy, OutlierPolicy, PrepOptions};
use crate::analysis::{Rows, summary};
use crate::dataset::Dataset;
use crate::ingest::{self, IngestError, LoadProgress};
use clap::{Args, Parser, Subcommand, ValueEnum};
use output::{OutputError, Target, check_target, write_output};
use std::process::ExitCode;

/// threatlens — explore web-threat interaction logs: statistics, timelines,
/// rankings and isolation-forest anomaly detection, in the terminal.
#[derive(Debug, Parser)]
#[command(
    name = "threatlens",
    version,
    disable_version_flag = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Print the version (with --verbose: also the scoring kernel, CPU and threads, as `doctor`).
    #[arg(short = 'V', long, action = clap::ArgAction::SetTrue)]
    pub version: bool,
    /// With --version: say which scoring kernel and how many threads this machine uses.
    #[arg(long, requires = "version")]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Log files or folders to explore (CSV, VPC flow logs, Parquet, WAF, Logs Insights; plain or
    /// .gz; `-` is stdin). None: the built-in demo data.
    pub files: Vec<String>,
    /// Configuration file (default: config.toml in the config directory, or $THREATLENS_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub progress: progress::ProgressArgs,
    #[command(flatten)]
    pub input: window::ExplorerInputArgs,
    #[command(flatten)]
    pub follow: follow::ExploreFollowArgs,
    #[command(flatten)]
    pub engine: engine::EngineArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Statistics, correlations, rankings, time range and data quality of a file.
    Summary(SummaryArgs),
    /// Isolation-forest anomaly detection: flagged rows with explanations, CSV scores or JSON.
    Detect(detect::DetectArgs),
    /// Findings report (overview, patterns, suspicious IPs, trends, recommendations): md, json or html.
    Report(ReportArgs),
    /// Write demo traffic with planted, labelled attacks as CSV.
    Demo(DemoArgs),
    /// Supervised random forest on a label column: cross-validated ROC/PR AUC, confusion matrix, importances.
    Classify(classify::ClassifyArgs),
    /// What this machine will do: scoring kernel and why, CPU vector extensions, threads.
    Doctor(doctor::DoctorArgs),
    /// Print a shell completion script (bash, zsh or fish) to stdout.
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man,
}

/// Input file and the optional preprocessing steps.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The log file or folder (CSV, VPC flow logs, Parquet, WAF, Logs Insights; plain or .gz; `-`
    /// is stdin). A folder is read whole: every .log, .log.gz, .gz, .csv, .jsonl and .parquet file
    /// beneath it.
    /// (Optional to clap so that `detect --emit-sql` needs none; empty means not given.)
    #[arg(default_value = "", hide_default_value = true)]
    pub file: String,
    #[command(flatten)]
    pub window: window::WindowArgs,
    /// Trim surrounding and repeated spaces in text values.
    #[arg(long)]
    pub trim_text: bool,
    /// Drop rows identical to an earlier row.
    #[arg(long)]
    pub drop_duplicates: bool,
    /// Missing values: keep, impute (median / most frequent) or drop rows.
    #[arg(long, default_value = "keep", value_name = "POLICY")]
    pub missing: MissingPolicy,
    /// IQR outliers (1.5×IQR fences): report, cap to the fences, or remove rows.
    #[arg(long, default_value = "report", value_name = "POLICY")]
    pub outliers: OutlierPolicy,
    /// Keep only rows matching a filter expression (as the explorer's `f`), e.g.
    /// "country = US and bytes_in > 1M" or "src_ip in 155.91.45.0/24".
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub engine: engine::EngineArgs,
}

impl InputArgs {
    pub fn prep(&self) -> PrepOptions {
        PrepOptions {
            trim_text: self.trim_text,
            drop_duplicates: self.drop_duplicates,
            missing: self.missing,
            outliers: self.outliers,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
    /// How many countries and source IPs to list.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Also write the (filtered) rows to PATH: CSV, or JSON for a .json name.
    #[arg(long, value_name = "PATH")]
    pub export: Option<String>,
    /// Write exported CSV text cells exactly as read. By default a cell a spreadsheet would run as
    /// a formula (starting with = + - @) gets a leading ' so opening the export cannot run it.
    #[arg(long, requires = "export")]
    pub raw_csv: bool,
    /// Replace an existing export file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub detect: detect::DetectOptions,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormat,
    /// Output path (`-` or none: stdout).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<String>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// What `demo` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DemoFormat {
    /// CloudWatch-schema CSV (one file).
    #[default]
    Csv,
    /// AWS VPC flow logs: gzip files in the S3 layout under `-o DIR`, with labels.json. Planted:
    /// port scan 198.51.100.23 → 10.0.1.10 (mostly REJECT); SSH brute force 192.0.2.77 →
    /// 10.0.1.5:22; RDP brute force 192.0.2.78 → 10.0.1.11:3389; exfiltration 10.0.2.20 →
    /// 203.0.113.50:443; DDoS from 198.18.0.0/15 → 10.0.1.10:80 at 16:00; NODATA 02:00–06:00,
    /// SKIPDATA at 14:00.
    VpcFlow,
    /// The same flow logs as S3 delivers them in Parquet (`.log.parquet`, gzip pages).
    VpcFlowParquet,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// What to write.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: DemoFormat,
    /// Number of rows (for vpc-flow: background sessions).
    #[arg(long, default_value_t = crate::demo::EMBEDDED_ROWS, value_name = "N")]
    pub rows: usize,
    /// Random seed (the same seed gives the same file).
    #[arg(long, default_value_t = crate::demo::EMBEDDED_SEED, value_name = "S")]
    pub seed: u64,
    /// Output path (`-` or none: stdout).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<String>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// A failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl From<IngestError> for Failure {
    fn from(e: IngestError) -> Self {
        let code = if matches!(e, IngestError::Cancelled { .. }) {
            1
        } else {
            2
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

impl From<OutputError> for Failure {
    fn from(e: OutputError) -> Self {
        Failure {
            code: 2,
            message: e.to_string(),
        }
    }
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

/// Runs the command line; returns the process exit code.
pub fn run(mut cli: Cli) -> ExitCode {
    // The headless commands' inputs find `geoip` in the same config file.
    match &mut cli.command {
        Some(Command::Summary(SummaryArgs { input, .. }))
        | Some(Command::Report(ReportArgs { input, .. }))
        | Some(Command::Detect(detect::DetectArgs { input, .. }))
        | Some(Command::Classify(classify::ClassifyArgs { input, .. })) => {
            input.window.config = cli.config.clone();
        }
        _ => {}
    }
    let headless = matches!(
        cli.command,
        Some(Command::Summary(_) | Command::Detect(_) | Command::Report(_))
    );
    // The bar is cleared (dropped) before any message is printed.
    let bar = headless.then(|| progress::Reporter::start(cli.progress));
    let result = match cli.command {
        _ if cli.version => cmd_version(cli.verbose),
        Some(Command::Summary(a)) => cmd_summary(&a),
        Some(Command::Detect(a)) => detect::cmd_detect(&a),
        Some(Command::Report(a)) => cmd_report(&a),
        Some(Command::Demo(a)) => cmd_demo(&a),
        Some(Command::Classify(a)) => classify::cmd_classify(&a),
        Some(Command::Doctor(a)) => doctor::cmd_doctor(&a),
        Some(Command::Completions(a)) => shell::cmd_completions(&a),
        Some(Command::Man) => shell::cmd_man(),
        None if cli.engine.engine.is_some() => explore_remote::explore(&cli.files, &cli.engine),
        None => explore(&cli.files, cli.config.as_deref(), &cli.input, &cli.follow),
    };
    drop(bar);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("threatlens: {}", crate::sanitize::inert(&f.message));
            ExitCode::from(f.code)
        }
    }
}

/// `--version`, and with `--verbose` the account `doctor` gives (kernel, CPU, threads).
fn cmd_version(verbose: bool) -> Result<(), Failure> {
    let text = if verbose {
        doctor::account(doctor::DEFAULT_FEATURES)?
    } else {
        doctor::version_line()
    };
    write_output(&Target::Stdout, text.as_bytes(), false)?;
    Ok(())
}

/// Loads a file, applies the requested preprocessing, then the filter.
pub fn load_input(input: &InputArgs) -> Result<Dataset, Failure> {
    let file = Some(input.file.as_str())
        .filter(|f| !f.is_empty())
        .ok_or_else(|| {
            Failure::usage(
                "no input: give a FILE or folder (CSV or VPC flow logs, plain or .gz; - is stdin)",
            )
        })?;
    let opts = input.window.options().map_err(Failure::usage)?;
    let mut ds = ingest::load_path_with(file, progress::load_progress(), &opts)?;
    let opts = input.prep();
    if opts != PrepOptions::default() {
        ds = prep::apply(&ds, &opts).0;
    }
    if let Some(text) = input
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let f = crate::filter::build(text, &ds)
            .map_err(|e| Failure::usage(format!("--filter: {}", e.one_line(text))))?;
        if f.needs_detection() {
            return Err(Failure::usage(
                "--filter: 'anomaly' and 'score' need the explorer (headless filters run before detection)",
            ));
        }
        let rows: Vec<usize> = f
            .select(&ds, &crate::filter::EvalContext::NONE)
            .into_iter()
            .map(|r| r as usize)
            .collect();
        if rows.is_empty() {
            return Err(Failure::usage(format!("--filter '{text}' matches no row")));
        }
        let mut kept = ds.select_rows(&rows);
        kept.notes.push(format!(
            "filtered to {} of {} rows by: {text}",
            rows.len(),
            ds.rows
        ));
        ds = kept;
    }
    Ok(ds)
}

fn cmd_summary(a: &SummaryArgs) -> Result<(), Failure> {
    if a.input.engine.engine.is_some() {
        return remote::cmd_summary(a);
    }
    if let Some(path) = &a.export {
        check_target(&Target::from_arg(Some(path)), a.force)?;
    }
    let ds = crate::timing::phase("load", || load_input(&a.input))?;
    crate::memory::for_analysis();
    let opts = summary::SummaryOptions {
        top: a.top,
        ..summary::SummaryOptions::default()
    };
    let s = crate::timing::phase("summary", || {
        summary::summarize(&ds, Rows::All(ds.rows), opts)
    });
    let text = match a.format {
        SummaryFormat::Text => crate::report::summary::render_text(&s),
        SummaryFormat::Json => to_json(&s)?,
    };
    write_output(&Target::Stdout, text.as_bytes(), false)?;
    if let Some(path) = &a.export {
        let rows: Vec<u32> = (0..ds.rows as u32).collect();
        let fmt = crate::report::export::ExportFormat::from_path(path);
        let bytes =
            crate::report::export::export_rows_with(&ds, &rows, None, fmt, csv_cells(a.raw_csv))
                .map_err(|e| Failure {
                    code: 1,
                    message: e,
                })?;
        write_output(&Target::from_arg(Some(path)), &bytes, a.force)?;
    }
    Ok(())
}

/// How `--export` writes CSV text cells.
pub fn csv_cells(raw: bool) -> crate::report::export::CsvCells {
    if raw {
        crate::report::export::CsvCells::Raw
    } else {
        crate::report::export::CsvCells::Guarded
    }
}

/// Pretty JSON with a trailing newline, safe to print on a terminal.
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Failure> {
    crate::report::json::to_string(v).map_err(|e| Failure {
        code: 1,
        message: format!("cannot encode JSON: {e}"),
    })
}

/// `report` runs detection and the statistics concurrently while their combined working memory
/// stays under this.
const CONCURRENT_WORK_BYTES: usize = 256 * 1024 * 1024;

fn cmd_report(a: &ReportArgs) -> Result<(), Failure> {
    use crate::timing::phase;
    if a.input.engine.engine.is_some() {
        return remote::cmd_report(a);
    }
    check_target(&Target::from_arg(a.output.as_deref()), a.force)?;
    let ds = phase("load", || load_input(&a.input))?;
    crate::memory::for_analysis();
    // Detection, the statistics and the per-source detection are independent: all at once,
    // sharing the cores, unless their working copies together (about 64 bytes a row at their
    // peaks) would be large: then one after the other, so a big file's peak memory is the
    // largest of them, not the sum.
    let detection = || phase("detect", || detect::run_detection(&ds, &a.detect));
    let statistics = || phase("summary", || crate::report::findings::summary_for(&ds));
    let sources = || {
        phase("sources", || {
            let params = entity::EntityOptions::default().params(&a.detect);
            crate::report::sources::suspicious_sources(&ds, params, a.detect.contamination)
        })
    };
    let ((outcome, summary), suspicious) = if ds.rows.saturating_mul(64) <= CONCURRENT_WORK_BYTES {
        rayon::join(|| rayon::join(detection, statistics), sources)
    } else {
        // The statistics first: what they leave behind is small, what detection keeps is not.
        let summary = statistics();
        let suspicious = sources();
        ((detection(), summary), suspicious)
    };
    let outcome = outcome?;
    let rule = format!("contamination {}", outcome.contamination);
    let mut findings = phase("findings", || {
        crate::report::findings::build_with_summary(
            &ds,
            &outcome.run,
            &outcome.selection,
            outcome.evaluation,
            &rule,
            summary,
        )
    });
    findings.suspicious_sources = suspicious;
    let text = phase("render", || match a.format {
        ReportFormat::Md => Ok(crate::report::markdown::render(&findings)),
        ReportFormat::Html => Ok(crate::report::html::render(&findings)),
        ReportFormat::Json => to_json(&findings),
    })?;
    write_output(
        &Target::from_arg(a.output.as_deref()),
        text.as_bytes(),
        a.force,
    )?;
    Ok(())
}

fn cmd_demo(a: &DemoArgs) -> Result<(), Failure> {
    if matches!(a.format, DemoFormat::VpcFlow | DemoFormat::VpcFlowParquet) {
        return demo_flow(a);
    }
    check_target(&Target::from_arg(a.output.as_deref()), a.force)?;
    let mut buf = Vec::new();
    crate::demo::write_demo(&mut buf, a.rows, a.seed).map_err(|e| Failure {
        code: 1,
        message: format!("cannot generate demo data: {e}"),
    })?;
    write_output(&Target::from_arg(a.output.as_deref()), &buf, a.force)?;
    Ok(())
}

/// `demo --format vpc-flow -o DIR`: the flow-log files under DIR.
fn demo_flow(a: &DemoArgs) -> Result<(), Failure> {
    let Some(dir) = a.output.as_deref().filter(|d| *d != "-") else {
        return Err(Failure::usage(
            "demo --format vpc-flow writes a folder of files: give it with -o DIR",
        ));
    };
    let dir = std::path::Path::new(dir);
    if dir.join("AWSLogs").exists() && !a.force {
        return Err(Failure::usage(format!(
            "{}: already holds AWSLogs/ (use --force to overwrite)",
            dir.display()
        )));
    }
    let fail = |e: std::io::Error| Failure {
        code: 1,
        message: format!(
            "cannot write the demo flow logs under {}: {e}",
            dir.display()
        ),
    };
    let mut files = crate::demo_flow::files(a.rows, a.seed).map_err(fail)?;
    if a.format == DemoFormat::VpcFlowParquet {
        files = crate::demo_flow::as_parquet(files).map_err(|e| Failure {
            code: 1,
            message: format!("cannot write the demo flow logs as Parquet: {e}"),
        })?;
    }
    for (name, bytes) in &files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        std::fs::write(&path, bytes).map_err(fail)?;
    }
    eprintln!(
        "threatlens: wrote {} flow-log files and labels.json under {}",
        files.len() - 1,
        dir.display()
    );
    Ok(())
}

/// The explorer's entry point. Without a terminal on stdout (output piped or redirected) it
/// prints the summary instead and says so on stderr (see [`launch::decide`]).
fn explore(
    files: &[String],
    config: Option<&std::path::Path>,
    input: &window::ExplorerInputArgs,
    follow: &follow::ExploreFollowArgs,
) -> Result<(), Failure> {
    let opts = input.options(config).map_err(Failure::usage)?;
    let terminal = launch::decide(launch::Terminal::probe()) == launch::Launch::Explorer;
    follow.check(files, terminal)?;
    if terminal {
        // Check the path first so a bad one fails with exit 2 before the screen changes (a
        // folder is read whole).
        if let Some(f) = files.first().filter(|f| f.as_str() != "-") {
            std::fs::metadata(f).map_err(|e| {
                Failure::from(match e.kind() {
                    std::io::ErrorKind::NotFound => IngestError::NotFound { path: f.clone() },
                    _ => IngestError::Unreadable {
                        path: f.clone(),
                        cause: ingest::io_cause(&e),
                    },
                })
            })?;
        }
        return crate::tui::run_with(files, config, &opts, follow.window()).map_err(|e| Failure {
            code: 1,
            message: format!("terminal error: {e}"),
        });
    }
    eprintln!(
        "threatlens: not a terminal, so printing the summary (run `threatlens summary FILE` for scripts)"
    );
    let ds = match files.first() {
        Some(f) => ingest::load_path_with(f, LoadProgress::new(), &opts)?,
        None => ingest::load_bytes("<demo>", crate::demo::EMBEDDED)?,
    };
    let s = summary::summarize(&ds, Rows::All(ds.rows), summary::SummaryOptions::default());
    write_output(
        &Target::Stdout,
        crate::report::summary::render_text(&s).as_bytes(),
        false,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn json_has_no_raw_c1_or_bidi_and_means_the_same() {
        let value = serde_json::json!({ "k\u{9b}": "a\u{9b}2J\u{7f}\u{202e}b\u{1b}" });
        let text = to_json(&value).unwrap_or_else(|f| panic!("{}", f.message));
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(!text.contains('\u{202e}'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, value);
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
