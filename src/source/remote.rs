//! A table in a SQL engine (Spark) answering threatlens's questions where it lives: each view is
//! SQL run by the engine, and only results travel.
//!
//! Owns the session's relations — the base view (`--table`, `--map`, flow-log records that are
//! not flows left out as locally), a scope view per filter, the scored view of a model — and the
//! views asked of them: the summary (pandas' statistics with exact quantiles, rankings, time range,
//! hourly totals), a ranking, a timeline, a reproducible sample for fitting, and detection (every
//! row scored by the compiled forest in the engine, the contamination threshold as the engine's
//! exact quantile, the top rows pulled). Roles come from a small probe of rows loaded with the
//! file rules (`ingest`), so a table is read exactly as a file with the same columns would be.
//! Builds SQL only through `crate::sql`; never prints, never imports `cli` or `tui`; knows no
//! client library (that is [`super::engine::SqlEngine`]).

use super::engine::{Cell, EngineError, SqlEngine, Table};
use crate::analysis::prep::Quality;
use crate::analysis::rankings::ByteAgg;
use crate::analysis::summary::{
    CountryRow, HourTotal, IpRow, MAX_HOURLY_TOTALS, Ordered, RejectSummary, Summary, TimeRange,
};
use crate::dataset::{Dataset, NumericSource, Role, format_time};
use crate::detect::model::Model;
use crate::sql::views::{self, RankOrder};
use crate::sql::{Dialect, SqlError, relation};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const D: Dialect = Dialect::Spark;

/// Rows read to learn the table's roles and kinds.
pub const PROBE_ROWS: usize = 2_000;

/// Distinguishes the views one process creates.
static VIEWS: AtomicU64 = AtomicU64::new(0);

/// A table in an engine, opened.
pub struct Remote {
    engine: Box<dyn SqlEngine>,
    /// Temporary view of the base relation.
    base: String,
    /// A few rows read as a file would be: roles, kinds, derived features.
    probe: Dataset,
    /// What to call the source (the endpoint and the table, no secrets).
    name: String,
}

/// One ranked key from the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedKey {
    pub key: String,
    pub sessions: u64,
    pub bytes_in: ByteAgg,
    pub bytes_out: ByteAgg,
}

/// How the forest is written for the engine (the same scores either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoringForm {
    /// One nested `CASE` per tree, each in a column of its own, summed one projection up
    /// (`sql::score::columns_select`): the fastest form measured on Spark (BENCHMARKS.md).
    #[default]
    Columns,
    /// Trees as constant arrays walked a level at a time (`sql::stepped`); its plan is large
    /// (the driver ran out of memory at 100 000 rows), kept for measurement.
    Stepped,
    /// One expression summing every tree's nested `CASE` (`sql::score`, what `--emit-sql` prints).
    Nested,
}

/// What detection in the engine found.
#[derive(Debug, Clone)]
pub struct EngineDetection {
    /// Rows scored.
    pub rows: usize,
    /// Rows scoring strictly above it are flagged.
    pub threshold: f64,
    /// Rows flagged.
    pub flagged: usize,
    /// The top flagged rows (at most the limit asked), most anomalous first, as a local dataset
    /// with the same columns (`None` when no row is flagged), and the engine's score of each.
    pub top: Option<Dataset>,
    pub top_scores: Vec<f64>,
    /// The id of each top row (`sql::pages::row_id`: the hash of its cells).
    pub top_ids: Vec<u64>,
}

fn sql_err(e: SqlError) -> EngineError {
    EngineError::Input(e.to_string())
}

fn ident(name: &str) -> Result<String, EngineError> {
    D.ident(name).map_err(sql_err)
}

impl Remote {
    /// Opens `table` (`--table EXPR`) with `maps` (`--map role=column` texts) on `engine`.
    pub fn open(
        engine: Box<dyn SqlEngine>,
        table: &str,
        maps: &[String],
        cancel: &AtomicBool,
    ) -> Result<Remote, EngineError> {
        let from = relation::table_expr(D, table).map_err(sql_err)?;
        let columns = engine.columns(&format!("SELECT * FROM {from} AS {}", ident("__tl_src")?))?;
        let maps: Vec<relation::Mapping> = maps
            .iter()
            .map(|m| relation::mapping(m, &columns))
            .collect::<Result<_, _>>()
            .map_err(EngineError::Input)?;
        let mut base_sql = relation::base_select(D, &from, &columns, &maps).map_err(sql_err)?;
        let status = maps
            .iter()
            .find(|m| m.role == Role::LogStatus)
            .map(|m| m.role.canonical().to_string())
            .or_else(|| {
                columns
                    .iter()
                    .find(|c| Role::from_header(c) == Some(Role::LogStatus))
                    .cloned()
            });
        if let Some(status) = status {
            // As locally, only flow records (log-status OK) are rows.
            base_sql = format!(
                "SELECT * FROM ({base_sql}) AS {} WHERE upper(trim(CAST({} AS STRING))) = {}",
                ident("__tl_ok")?,
                ident(&status)?,
                D.string("OK")
            );
        }
        let base = view_name("base");
        engine.query(
            &format!(
                "CREATE OR REPLACE TEMPORARY VIEW {} AS {base_sql}",
                ident(&base)?
            ),
            cancel,
        )?;
        let name = format!(
            "{} {}",
            engine.shown(),
            crate::sanitize::inert(table.trim())
        );
        let probe_rows = engine.query(
            &format!("SELECT * FROM {} LIMIT {PROBE_ROWS}", ident(&base)?),
            cancel,
        )?;
        let probe = dataset(&name, &probe_rows)?;
        Ok(Remote {
            engine,
            base,
            probe,
            name,
        })
    }

    /// The source's name for messages and reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The probe: the table's first rows read as a file (roles, column kinds).
    pub fn probe(&self) -> &Dataset {
        &self.probe
    }

    /// The engine.
    pub fn engine(&self) -> &dyn SqlEngine {
        self.engine.as_ref()
    }

    /// The view every question of this scope reads: the base, or the rows matching `filter`
    /// (the filter language compiled to a `WHERE` clause).
    pub fn scope(&self, filter: Option<&str>, cancel: &AtomicBool) -> Result<String, EngineError> {
        let Some(text) = filter.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(self.base.clone());
        };
        let condition = crate::filter::to_sql::where_clause(D, text, &self.probe)
            .map_err(|e| EngineError::Input(format!("--filter: {e}")))?;
        let view = view_name("scope");
        self.engine.query(
            &format!(
                "CREATE OR REPLACE TEMPORARY VIEW {} AS SELECT * FROM {} WHERE {condition}",
                ident(&view)?,
                ident(&self.base)?
            ),
            cancel,
        )?;
        Ok(view)
    }

    fn role_name(&self, role: Role) -> Option<String> {
        self.probe.role(role).map(|c| c.name.clone())
    }

    /// Rows of `view`.
    pub fn count(&self, view: &str, cancel: &AtomicBool) -> Result<usize, EngineError> {
        let t = self
            .engine
            .query(&format!("SELECT COUNT(*) FROM {}", ident(view)?), cancel)?;
        Ok(t.one_row("COUNT(*)")?
            .first()
            .and_then(Cell::integer)
            .unwrap_or(0)
            .max(0) as usize)
    }

    /// The SQL value of numeric source `src` of the probe, over `view`'s columns.
    fn source_expr(&self, view: &str, src: NumericSource) -> Result<String, EngineError> {
        let name = self.probe.source_name(src);
        let input = crate::detect::model::input_of(&self.probe, &name);
        crate::sql::score::raw_value(D, &ident(view)?, &input).map_err(sql_err)
    }

    /// The correlation matrix of the numeric sources (`exprs`, named as in `numeric`) over
    /// `view`: one query of centred sums, r as the local matrix computes it.
    fn correlation(
        &self,
        view: &str,
        exprs: &[String],
        numeric: &[(String, crate::analysis::stats::Stats)],
        cancel: &AtomicBool,
    ) -> Result<Ordered<Ordered<Option<f64>>>, EngineError> {
        if exprs.is_empty() {
            return Ok(Ordered(Vec::new()));
        }
        let sql = views::correlation_select(D, view, exprs).map_err(sql_err)?;
        let t = self.engine.query(&sql, cancel)?;
        let row: Vec<Option<f64>> = t
            .one_row("the correlations")?
            .iter()
            .map(Cell::number)
            .collect();
        let matrix = views::correlation_from_row(exprs.len(), &row);
        let names = || numeric.iter().map(|(n, _)| n.clone());
        Ok(Ordered(
            names()
                .zip(matrix)
                .map(|(a, row)| (a, Ordered(names().zip(row).collect())))
                .collect(),
        ))
    }

    /// The summary of `view`, as `summary` prints it for a file: statistics of every numeric
    /// column and derived feature, countries and source IPs ranked, the time range, hourly totals.
    pub fn summary(
        &self,
        view: &str,
        top: usize,
        cancel: &AtomicBool,
    ) -> Result<Summary, EngineError> {
        let rows = self.count(view, cancel)?;
        let mut numeric = Vec::new();
        let mut exprs = Vec::new();
        // As a file's summary: a flow log's ports are identifiers, not quantities.
        for src in crate::analysis::summary::summary_sources(&self.probe) {
            let expr = self.source_expr(view, src)?;
            exprs.push(expr.clone());
            let sql = views::summary_select_expr(D, view, &expr).map_err(sql_err)?;
            let t = self.engine.query(&sql, cancel)?;
            let row = t.one_row("the statistics")?;
            let mut values = [None; 11];
            for (v, c) in values.iter_mut().zip(row) {
                *v = c.number();
            }
            numeric.push((self.probe.source_name(src), views::stats_from_row(&values)));
        }
        let pearson_correlation = self.correlation(view, &exprs, &numeric, cancel)?;
        let countries = match self.role_name(Role::Country) {
            Some(c) => self.ranking(view, &c, RankOrder::Sessions, top, cancel)?,
            None => Vec::new(),
        };
        let (ip_order, src_ips_by) = if self.probe.role(Role::BytesIn).is_some() {
            (RankOrder::BytesIn, "bytes_in")
        } else {
            (RankOrder::Sessions, "sessions")
        };
        let (ips, unique_src_ips) = match self.role_name(Role::SrcIp) {
            Some(c) => (
                self.ranking(view, &c, ip_order, top, cancel)?,
                self.distinct(view, &c, cancel)?,
            ),
            None => (Vec::new(), 0),
        };
        let range = self.time_range(view, cancel)?;
        let mut notes = vec![format!(
            "computed by the engine at {}; the modes and the data-quality checks are not computed there",
            self.name
        )];
        let hourly = match range {
            Some((first, last)) => {
                let hours = (last - first) / 3_600_000 + 1;
                if hours <= MAX_HOURLY_TOTALS {
                    self.timeline(view, 3600, cancel)?.buckets
                } else {
                    notes.push(format!(
                        "hourly totals left out: the times span {hours} hours, more than {MAX_HOURLY_TOTALS}"
                    ));
                    Vec::new()
                }
            }
            None => Vec::new(),
        };
        Ok(Summary {
            source: self.name.clone(),
            mode: self.probe.mode(),
            rows,
            rejected: RejectSummary {
                total: 0,
                by_reason: Default::default(),
                first: Vec::new(),
            },
            numeric: Ordered(numeric),
            pearson_correlation,
            // The engine lists every country; no report overview is built from this summary.
            country_totals: None,
            countries: countries
                .into_iter()
                .map(|r| CountryRow {
                    country: r.key,
                    sessions: r.sessions,
                    bytes_in: r.bytes_in,
                    bytes_out: r.bytes_out,
                })
                .collect(),
            unique_src_ips,
            src_ips_by,
            src_ips: ips
                .into_iter()
                .map(|r| IpRow {
                    src_ip: r.key,
                    sessions: r.sessions,
                    bytes_in: (r.bytes_in.count > 0).then_some(r.bytes_in.sum),
                    bytes_out: (r.bytes_out.count > 0).then_some(r.bytes_out.sum),
                })
                .collect(),
            time_range: range.map(|(a, b)| TimeRange {
                first: format_time(a),
                last: format_time(b),
                first_ms: a,
                last_ms: b,
            }),
            hourly_totals: hourly
                .into_iter()
                .map(|b| HourTotal {
                    hour: format_time(b.start),
                    sessions: b.sessions,
                    bytes_in: b.bytes_in,
                    bytes_out: b.bytes_out,
                })
                .collect(),
            data_quality: Quality::default(),
            notes,
            files: 1,
        })
    }

    /// Distinct values of `column` in `view` (missing counted as one value, as locally).
    pub fn distinct(
        &self,
        view: &str,
        column: &str,
        cancel: &AtomicBool,
    ) -> Result<usize, EngineError> {
        let sql = format!(
            "SELECT COUNT(DISTINCT COALESCE(CAST({} AS STRING), {})) FROM {}",
            ident(column)?,
            D.string(""),
            ident(view)?
        );
        let t = self.engine.query(&sql, cancel)?;
        Ok(t.one_row("COUNT(DISTINCT)")?
            .first()
            .and_then(Cell::integer)
            .unwrap_or(0)
            .max(0) as usize)
    }

    /// The top `limit` keys of `column` by `order` (ties by key), with byte aggregates.
    pub fn ranking(
        &self,
        view: &str,
        column: &str,
        order: RankOrder,
        limit: usize,
        cancel: &AtomicBool,
    ) -> Result<Vec<RankedKey>, EngineError> {
        let (bi, bo) = (
            self.role_name(Role::BytesIn),
            self.role_name(Role::BytesOut),
        );
        let sql = views::ranking_select(
            D,
            view,
            column,
            (bi.as_deref(), bo.as_deref()),
            order,
            limit as u64,
        )
        .map_err(sql_err)?;
        let t = self.engine.query(&sql, cancel)?;
        let agg = |sum: &Cell, count: &Cell, max: &Cell| {
            let count = count.integer().unwrap_or(0).max(0) as u64;
            let sum = sum.integer().unwrap_or(0).max(0) as u128;
            ByteAgg {
                sum,
                mean: (count > 0).then(|| sum as f64 / count as f64),
                max: max.integer().map(|m| m.max(0) as u64),
                count,
            }
        };
        Ok(t.rows
            .iter()
            .filter(|r| r.len() >= 8)
            .map(|r| RankedKey {
                key: r[0].text(),
                sessions: r[1].integer().unwrap_or(0).max(0) as u64,
                bytes_in: agg(&r[2], &r[3], &r[4]),
                bytes_out: agg(&r[5], &r[6], &r[7]),
            })
            .collect())
    }

    /// First and last time (epoch ms) of the time column in `view`.
    pub fn time_range(
        &self,
        view: &str,
        cancel: &AtomicBool,
    ) -> Result<Option<(i64, i64)>, EngineError> {
        let Some(time) = self.probe.time_column().map(|c| c.name.clone()) else {
            return Ok(None);
        };
        let sql = views::time_range_select(D, view, &time).map_err(sql_err)?;
        let t = self.engine.query(&sql, cancel)?;
        let row = t.one_row("the time range")?;
        Ok(
            match (
                row.first().and_then(Cell::integer),
                row.get(1).and_then(Cell::integer),
            ) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            },
        )
    }

    /// Sessions and bytes per `width_secs` bucket of `view`.
    pub fn timeline(
        &self,
        view: &str,
        width_secs: i64,
        cancel: &AtomicBool,
    ) -> Result<crate::analysis::timeseries::Series, EngineError> {
        let Some(time) = self.probe.time_column().map(|c| c.name.clone()) else {
            return Ok(views::series_from_rows(width_secs, &[]));
        };
        let (bi, bo) = (
            self.role_name(Role::BytesIn),
            self.role_name(Role::BytesOut),
        );
        let sql =
            views::timeline_select(D, view, &time, (bi.as_deref(), bo.as_deref()), width_secs)
                .map_err(sql_err)?;
        let t = self.engine.query(&sql, cancel)?;
        let rows: Vec<(i64, u64, u128, u128)> = t
            .rows
            .iter()
            .filter(|r| r.len() >= 4)
            .filter_map(|r| {
                Some((
                    r[0].integer()?,
                    r[1].integer()?.max(0) as u64,
                    r[2].integer().unwrap_or(0).max(0) as u128,
                    r[3].integer().unwrap_or(0).max(0) as u128,
                ))
            })
            .collect();
        Ok(views::series_from_rows(width_secs, &rows))
    }

    /// `n` rows of `view` drawn by the engine for `seed`: the rows with the smallest 64-bit
    /// hash of (seed, every column). The same table and seed give the same rows on any cluster
    /// layout (no partition-dependent random numbers).
    pub fn sample(
        &self,
        view: &str,
        n: usize,
        seed: u64,
        cancel: &AtomicBool,
    ) -> Result<Dataset, EngineError> {
        let cols: Vec<String> = self
            .probe
            .columns
            .iter()
            .map(|c| ident(&c.name))
            .collect::<Result<_, _>>()?;
        let seed = D.integer(seed as i64);
        let sql = format!(
            "SELECT * FROM {} ORDER BY xxhash64({seed}, {list}), {list} LIMIT {n}",
            ident(view)?,
            list = cols.join(", ")
        );
        let t = self.engine.query(&sql, cancel)?;
        dataset(&format!("{} (sample of {n} rows)", self.name), &t)
    }

    /// Scores every row of `view` with `model` in the engine, flags by `contamination` (the
    /// engine's exact quantile, as locally) and pulls the `limit` highest-scoring flagged rows.
    pub fn detect(
        &self,
        view: &str,
        model: &Model,
        contamination: crate::detect::Contamination,
        limit: usize,
        form: ScoringForm,
        cancel: &AtomicBool,
    ) -> Result<EngineDetection, EngineError> {
        let scored = view_name("scored");
        let columns: Vec<String> = self.probe.columns.iter().map(|c| c.name.clone()).collect();
        let select = match form {
            ScoringForm::Columns => crate::sql::score::columns_select(model, D, view, &columns),
            ScoringForm::Stepped => crate::sql::stepped::scoring_select(model, view, &columns),
            ScoringForm::Nested => crate::sql::score::scoring_select(model, D, view),
        }
        .map_err(sql_err)?;
        // Generated methods over HotSpot's 8000-byte JIT limit fall back to Spark's per-operator
        // code (Spark's own advice; 2× faster scoring measured). Best effort: a shared endpoint
        // may refuse to set it, and the scores are the same without.
        let _ = self
            .engine
            .query("SET spark.sql.codegen.hugeMethodLimit=8000", cancel);
        // Scored once into the cache (memory, then disk): the threshold, the count and the top
        // rows read the cached scores instead of scoring every row three times.
        // Each row's id (the hash of its cells) beside its score, for the explorer's drill-down.
        let id = crate::sql::pages::row_id(D, &columns).map_err(sql_err)?;
        self.engine.query(
            &format!(
                "CACHE TABLE {} AS SELECT {id} AS {}, * FROM ({select}) AS {}",
                ident(&scored)?,
                ident(crate::sql::pages::ID)?,
                ident("__tl_scoring")?
            ),
            cancel,
        )?;
        let result = self.flag(&scored, contamination, limit, cancel);
        let _ = self.engine.query(
            &format!("UNCACHE TABLE IF EXISTS {}", ident(&scored)?),
            &AtomicBool::new(false),
        );
        result
    }

    /// The threshold, the flagged count and the top `limit` rows of the cached scores `scored`.
    fn flag(
        &self,
        scored: &str,
        contamination: crate::detect::Contamination,
        limit: usize,
        cancel: &AtomicBool,
    ) -> Result<EngineDetection, EngineError> {
        let score = ident("score")?;
        let rel = ident(scored)?;
        let cut = match contamination {
            crate::detect::Contamination::Auto => "CAST(NULL AS DOUBLE)".to_string(),
            crate::detect::Contamination::Fraction(c) => {
                format!("-percentile(-{score}, {})", D.number(c).map_err(sql_err)?)
            }
        };
        let t = self
            .engine
            .query(&format!("SELECT COUNT(*), {cut} FROM {rel}"), cancel)?;
        let row = t.one_row("the threshold")?;
        let rows = row.first().and_then(Cell::integer).unwrap_or(0).max(0) as usize;
        let threshold = match contamination {
            crate::detect::Contamination::Auto => 0.5,
            _ => row.get(1).and_then(Cell::number).unwrap_or(f64::NAN),
        };
        let above = format!("{score} > {}", D.number(threshold).map_err(sql_err)?);
        let t = self
            .engine
            .query(&format!("SELECT COUNT(*) FROM {rel} WHERE {above}"), cancel)?;
        let flagged = t
            .one_row("the flagged count")?
            .first()
            .and_then(Cell::integer)
            .unwrap_or(0)
            .max(0) as usize;
        let t = self.engine.query(
            &format!("SELECT * FROM {rel} WHERE {above} ORDER BY {score} DESC LIMIT {limit}"),
            cancel,
        )?;
        // Columns: the id, the table's, the score.
        let at = t.columns.len().saturating_sub(1);
        let top_scores = t
            .rows
            .iter()
            .map(|r| r.get(at).and_then(Cell::number).unwrap_or(f64::NAN))
            .collect();
        let top_ids = t
            .rows
            .iter()
            .map(|r| r.first().and_then(Cell::integer).unwrap_or(0) as u64)
            .collect();
        let without_score = Table {
            columns: t.columns.get(1..at).unwrap_or_default().to_vec(),
            rows: t
                .rows
                .iter()
                .map(|r| r.get(1..at.min(r.len())).unwrap_or_default().to_vec())
                .collect(),
        };
        Ok(EngineDetection {
            rows,
            threshold,
            flagged,
            top: if without_score.rows.is_empty() {
                None
            } else {
                Some(dataset(&self.name, &without_score)?)
            },
            top_scores,
            top_ids,
        })
    }
}

/// A fresh temporary view name.
fn view_name(what: &str) -> String {
    format!(
        "__threatlens_{what}_{}_{}",
        std::process::id(),
        VIEWS.fetch_add(1, Ordering::Relaxed)
    )
}

/// Rows from the engine as a local dataset, read by the same rules as a CSV file with these
/// columns (the cells written as CSV text, then loaded).
pub fn dataset(name: &str, t: &Table) -> Result<Dataset, EngineError> {
    if let Some(bytes) = flow_log_text(t) {
        // Columns in the order a flow-log file's are shown in.
        return crate::ingest::load_bytes(name, &bytes)
            .map(crate::ingest::order::flow_first)
            .map_err(|e| EngineError::Input(e.to_string()));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let header_err = |e: csv::Error| EngineError::Input(format!("cannot read the rows: {e}"));
    w.write_record(&t.columns).map_err(header_err)?;
    for r in &t.rows {
        w.write_record(r.iter().map(Cell::text))
            .map_err(header_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| EngineError::Input(format!("cannot read the rows: {e}")))?;
    crate::ingest::load_bytes(name, &bytes).map_err(|e| EngineError::Input(e.to_string()))
}

/// Rows of a flow-log table (its column names are a flow-log header) as flow-log text, so that
/// they are read by the flow-log rules as the files are (`-` missing, the format version a
/// label, protocol numbers named); `None` for any other table, or when a cell holds white space
/// and could not be one field.
fn flow_log_text(t: &Table) -> Option<Vec<u8>> {
    let header = t.columns.join(" ");
    if t.columns
        .iter()
        .any(|c| c.is_empty() || c.contains(char::is_whitespace))
        || !crate::ingest::flowlog::is_header(header.as_bytes())
    {
        return None;
    }
    let mut out = header.into_bytes();
    out.push(b'\n');
    for r in &t.rows {
        for (i, c) in r.iter().enumerate() {
            let text = c.text();
            if text.contains(char::is_whitespace) {
                return None;
            }
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(if text.is_empty() {
                b"-"
            } else {
                text.as_bytes()
            });
        }
        out.push(b'\n');
    }
    Some(out)
}
