//! Data sources: the one seam between what the explorer, the report and the headless
//! commands show and where the rows live.
//!
//! A [`Source`] answers *views* — a records page, the summary, a timeline, a ranking,
//! the anomaly list, one record's detail — and returns plain values (no references into
//! a dataset, nothing a terminal crate defines). Callers never walk rows themselves: a
//! tab that needs something new adds a view here, and every source answers it. This
//! module owns the view types and the trait; it must never import `tui`, `cli`,
//! ratatui or crossterm, print, or decide how anything looks.
//!
//! Every question carries a [`Scope`]: the filter text (the language of
//! [`crate::filter`]) and the flagging [`Rule`] in force, so a report or export of a
//! filtered view is answered with the same rows, model and threshold the screen shows.
//! Rows are named by [`RowId`], the 0-based position of the row in the source (the
//! same number everywhere: screen, CSV, report). Calls may be slow (a full scan of ten
//! million rows, a round trip to a cluster): the explorer makes them on its worker
//! thread, and every call takes a cancel flag that long loops check.
//!
//! # Implementations
//! - **In memory** ([`local::LocalSource`]): the loaded [`crate::dataset::Dataset`] plus
//!   the fitted [`crate::detect::pipeline::DetectionRun`]. Filters compile to the
//!   column evaluator; selections are cached per scope, so the summary, the rankings
//!   and the timeline of one scope select the rows once.
//! - **A followed file** (rows appended while it is open): keeps an in-memory dataset
//!   and appends parsed rows to it in blocks. Each append bumps [`Source::version`];
//!   callers compare versions and re-ask the views they show (a records page at the end
//!   of the file simply grows, the timeline's last bucket changes). Row ids are append
//!   order, so they never change for rows already seen. The model is not refitted per
//!   append: new rows are *scored* against the current forest (flags for the scope's
//!   rule are then exact for the scores it has), and [`SourceInfo::model_rows`] says
//!   how many rows the model was fitted on so the shell can offer a refit.
//! - **A remote SQL engine** (Spark through its SQL endpoint): each view is one SQL
//!   query whose result is small — `COUNT(*)` plus `ORDER BY … LIMIT/OFFSET` for a
//!   records page, `GROUP BY key ORDER BY … LIMIT k` for a ranking, `GROUP BY
//!   floor(ts / bucket)` for a timeline, aggregates for the summary; only results cross
//!   the network, never the table. The scope's filter is compiled from the filter AST to
//!   a `WHERE` clause with every identifier and literal quoted by one function. Row ids
//!   come from a row-number column the engine adds when the table is registered.
//!   Detection fits on a sample the engine returns and scores on the engine (or on
//!   pulled feature columns); until scores exist, [`Scope::rule`] views answer
//!   [`SourceError::NoModel`].
//!
//! The same question must get the same answer from every implementation: tests ask
//! each one the same views and compare the values.

pub mod engine;
pub mod facts;
pub mod follow;
pub mod local;
pub mod remote;
pub mod remote_source;
pub mod search;
#[cfg(feature = "spark")]
pub mod spark;
pub mod view;

use crate::analysis::rankings::RankBy;
use crate::analysis::summary::Summary;
use crate::analysis::timeseries::Series;
use crate::detect::{Explanation, Rule};
use std::sync::atomic::AtomicBool;
use thiserror::Error;

/// A row's identity: its 0-based position in the source (file order for a file).
pub type RowId = u64;

/// What every view is restricted to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// Filter text in the [`crate::filter`] language; `None` (or blank) is every row.
    pub filter: Option<String>,
    /// The flagging rule: decides `flagged` everywhere and the `anomaly` filter field.
    /// `None` before a model exists.
    pub rule: Option<Rule>,
}

/// A sort order for records: a column by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub column: String,
    pub descending: bool,
}

/// A page of records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordsQuery {
    pub scope: Scope,
    pub sort: Option<SortKey>,
    /// First row of the page, in the scope's order.
    pub offset: usize,
    /// Most rows returned.
    pub limit: usize,
}

/// One record as text cells (not sanitised: the shell sanitises what it draws).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: RowId,
    /// 1-based line in the source file when known.
    pub line: Option<u64>,
    /// One cell per column of [`SourceInfo::columns`].
    pub cells: Vec<String>,
    pub score: Option<f64>,
    pub flagged: bool,
}

/// The answer to a [`RecordsQuery`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordsPage {
    /// Rows in the scope (not just on this page).
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<Record>,
}

/// A timeline of the scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelineQuery {
    pub scope: Scope,
    /// Bucket width in seconds; `None` lets the source pick one from the time range.
    pub bucket_secs: Option<i64>,
    /// Only rows starting inside this window (epoch ms, inclusive).
    pub range: Option<(i64, i64)>,
}

/// Sessions and bytes per bucket, and how many were flagged in each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub series: Series,
    /// One count per bucket of `series` (all zero without a model).
    pub flagged: Vec<u64>,
}

/// A ranking of the scope's rows grouped by one column.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingQuery {
    pub scope: Scope,
    /// The column grouped by.
    pub key: String,
    pub by: RankBy,
    /// Most entities returned.
    pub top: usize,
}

/// One ranked entity.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedRow {
    pub key: String,
    pub sessions: u64,
    /// Byte sums; `None` when no session has a value (a flow log has no bytes out).
    pub bytes_in: Option<u128>,
    pub bytes_out: Option<u128>,
    /// Flagged sessions under the scope's rule.
    pub flagged: u64,
    pub max_score: Option<f64>,
    /// Distinct destination ports and addresses (rankings of the source-IP column only).
    pub dst_ports: Option<u64>,
    pub dst_addrs: Option<u64>,
}

/// The answer to a [`RankingQuery`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranking {
    pub key: String,
    /// Distinct entities in the scope (the list may hold fewer).
    pub distinct: usize,
    pub rows: Vec<RankedRow>,
}

/// The flagged rows of a scope.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyQuery {
    /// `scope.rule` decides what is flagged ([`Rule::TopK`] for "top k").
    pub scope: Scope,
    /// Most rows returned, most anomalous first.
    pub limit: usize,
}

/// One flagged row.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    /// The row's cells, one per column of [`SourceInfo::columns`] (not sanitised).
    pub cells: Vec<String>,
    pub id: RowId,
    pub score: f64,
    /// 1-based rank among every scored row.
    pub rank: usize,
    /// Plain-words patterns, strongest first.
    pub patterns: Vec<String>,
    /// A one-line explanation.
    pub why: String,
}

/// The answer to an [`AnomalyQuery`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnomalyList {
    /// The score cut of the rule over every row.
    pub threshold: f64,
    /// Flagged rows in the scope (the list may hold fewer).
    pub total: usize,
    pub rows: Vec<Anomaly>,
}

/// One session of a source IP, for the drill-down's "same source" list.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: RowId,
    pub start: Option<i64>,
    pub bytes_in: Option<f64>,
    pub bytes_out: Option<f64>,
    pub score: Option<f64>,
    pub flagged: bool,
}

/// Every session of one source IP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SameSource {
    pub ip: String,
    /// Sessions of this IP in the whole source.
    pub total: usize,
    /// The first of them in source order (at most the asked limit).
    pub sessions: Vec<Session>,
    /// First and last start time (epoch ms).
    pub span: Option<(i64, i64)>,
    /// Sessions per slice of `span` (for a sparkline).
    pub activity: Vec<u64>,
}

/// One record in full, computed once when the drill-down opens.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDetail {
    pub record: Record,
    /// (column name, cell text) for every column.
    pub fields: Vec<(String, String)>,
    /// (derived feature name, value).
    pub derived: Vec<(String, Option<f64>)>,
    /// 1-based rank among every scored row, and the row count scored.
    pub rank: Option<(usize, usize)>,
    pub explanation: Option<Explanation>,
    pub patterns: Vec<String>,
    pub same_source: Option<SameSource>,
    /// The plain-words facts the drill-down leads with (None without a model).
    pub facts: Option<facts::PlainFacts>,
}

/// One column as a source describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    /// `text`, `ip`, `time`, `int`, `uint`, `float`, …
    pub kind: &'static str,
    pub numeric: bool,
}

impl ColumnInfo {
    /// Every column of a dataset, described.
    pub fn all(columns: &[crate::dataset::Column]) -> Vec<ColumnInfo> {
        columns
            .iter()
            .map(|c| ColumnInfo {
                name: c.name.clone(),
                kind: c.data.kind(),
                numeric: c.data.is_numeric(),
            })
            .collect()
    }
}

/// What a source holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceInfo {
    /// A name to show (file path, table name).
    pub name: String,
    pub rows: usize,
    pub columns: Vec<ColumnInfo>,
    /// Rows the loader rejected.
    pub rejected: u64,
    /// Rows the current model was fitted on (0 without a model).
    pub model_rows: usize,
}

/// Why a view could not be answered, worded for the person at the keyboard.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SourceError {
    #[error("filter not applied: {0}")]
    Filter(String),
    #[error("no column named '{0}': choose one of the columns the source lists")]
    UnknownColumn(String),
    #[error("no row {0}: the source has {1} rows")]
    UnknownRow(RowId, usize),
    #[error("no anomaly model yet: wait for detection to finish, or change its features")]
    NoModel,
    #[error("cancelled")]
    Cancelled,
    /// The engine or file could not answer (connection lost, file removed).
    #[error("{0}")]
    Unavailable(String),
}

/// Something that answers the explorer's views. See the module doc for how each
/// implementation answers them.
pub trait Source: Send + Sync {
    /// What the source holds now.
    fn info(&self) -> SourceInfo;
    /// Changes whenever the rows or the model change (a followed file's append, a refit);
    /// a caller holding an answer from an older version asks again.
    fn version(&self) -> u64;
    fn records(&self, q: &RecordsQuery, cancel: &AtomicBool) -> Result<RecordsPage, SourceError>;
    fn summary(&self, scope: &Scope, cancel: &AtomicBool) -> Result<Summary, SourceError>;
    fn timeline(&self, q: &TimelineQuery, cancel: &AtomicBool) -> Result<Timeline, SourceError>;
    fn ranking(&self, q: &RankingQuery, cancel: &AtomicBool) -> Result<Ranking, SourceError>;
    fn anomalies(&self, q: &AnomalyQuery, cancel: &AtomicBool) -> Result<AnomalyList, SourceError>;
    /// One record with its explanation and up to `sessions` sessions of its source IP.
    fn detail(
        &self,
        id: RowId,
        scope: &Scope,
        sessions: usize,
        cancel: &AtomicBool,
    ) -> Result<RecordDetail, SourceError>;
}

/// `Err(Cancelled)` once the flag is set (long loops call it between blocks).
pub fn check(cancel: &AtomicBool) -> Result<(), SourceError> {
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        Err(SourceError::Cancelled)
    } else {
        Ok(())
    }
}
