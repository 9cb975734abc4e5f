//! Scoring the rows of followed files with a forest fitted at the start, on a warm-up, or
//! refitted on a schedule.
//!
//! [`Scorer::push`] parses a batch of records (planned once, from the first file's header and
//! records, by [`BatchSchema`]), counts it, and scores its rows once a model exists; a row is
//! flagged when its score is above the cut the user's contamination gives on the rows the
//! model was fitted on (the same cut `detect` uses; a refit takes a new cut the same way).
//! Rows are kept only for what needs them: until the first fit, and for refits, bounded by a
//! [`Window`] of rows or of time. Counts (rows, flagged, rejected) are exact whatever is kept.
//! Per-source sessions for the plain-words patterns are updated row by row. Time is passed in
//! (`now`, since following began): nothing here reads a clock, sleeps or prints.

use super::Records;
use crate::dataset::{Dataset, Derived, NumericSource, Role};
use crate::detect::pipeline::{DetectParams, DetectionRun};
use crate::detect::{Contamination, Explanation, FeatureMatrix, Pattern, Rule, RunControl};
use crate::ingest::batch::BatchSchema;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

/// Without `--warmup` and with (almost) nothing there at the start: fit on this many rows.
pub const DEFAULT_WARMUP: usize = 256;
/// Fewer rows than this at the start wait for [`DEFAULT_WARMUP`] rows.
const MIN_FIT_ROWS: usize = 32;

/// Which rows are kept for refits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    #[default]
    All,
    /// The most recent rows (whole batches: at least this many, less than one batch more).
    Rows(usize),
    /// The rows that arrived within this long.
    Time(Duration),
}

impl std::str::FromStr for Window {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Ok(n) = t.parse::<usize>() {
            return if n == 0 {
                Err("a window of 0 rows keeps nothing: give a row count above 0 or a duration such as 10m".into())
            } else {
                Ok(Window::Rows(n))
            };
        }
        parse_duration(t).map(Window::Time).map_err(|_| {
            format!(
                "'{}' is neither a row count (100000) nor a duration (30s, 10m, 2h, 1d)",
                crate::sanitize::inert(t)
            )
        })
    }
}

/// A duration as people write it: `30s`, `10m`, `2h`, `1d` (also `500ms`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad_duration(t))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "s" | "sec" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        _ => return Err(bad_duration(t)),
    };
    if !(seconds > 0.0 && seconds < 1e9) {
        return Err(bad_duration(t));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn bad_duration(t: &str) -> String {
    format!(
        "'{}' is not a duration: use a number and a unit, such as 30s, 10m, 2h or 1d",
        crate::sanitize::inert(t)
    )
}

/// How new rows are scored.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    pub contamination: Contamination,
    /// Fit on the first N rows; `None`: on what is there when [`Scorer::fit_now`] is called.
    pub warmup: Option<usize>,
    pub refit_every: Option<Duration>,
    pub window: Window,
}

/// A newly flagged row.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Row of the batch dataset.
    pub row: usize,
    /// 0-based data row within its file.
    pub file_row: u64,
    pub score: f64,
    pub explanation: Option<Explanation>,
    pub patterns: Vec<Pattern>,
    /// Top features and patterns in one line, as `detect` words it.
    pub explanation_line: String,
}

/// A scored batch: its rows (for the flagged rows' fields and its rejects) and its hits.
pub struct Scored {
    pub file: PathBuf,
    pub ds: Dataset,
    pub hits: Vec<Hit>,
}

/// The fitted model and its cut.
pub struct Model {
    pub run: DetectionRun,
    pub threshold: f64,
    /// Rows it was fitted on.
    pub rows: usize,
    at: Duration,
}

/// Exact counts since following began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub rows: u64,
    pub flagged: u64,
    pub rejected: u64,
    pub fits: u64,
}

struct Kept {
    at: Duration,
    bytes: Vec<u8>,
    rows: usize,
}

type ParamsFor = Box<dyn Fn(&Dataset) -> DetectParams + Send>;

/// The incremental detection state of a follow session.
pub struct Scorer {
    opts: ScoreOptions,
    params_for: ParamsFor,
    schema: Option<BatchSchema>,
    model: Option<Model>,
    kept: VecDeque<Kept>,
    kept_rows: usize,
    /// Sessions and short sessions per source.
    per_ip: HashMap<Box<str>, (usize, usize)>,
    file_rows: HashMap<PathBuf, u64>,
    pub counts: Counts,
}

impl Scorer {
    /// `params_for` chooses the features (and forest parameters) from the first rows.
    pub fn new(opts: ScoreOptions, params_for: ParamsFor) -> Self {
        Scorer {
            opts,
            params_for,
            schema: None,
            model: None,
            kept: VecDeque::new(),
            kept_rows: 0,
            per_ip: HashMap::new(),
            file_rows: HashMap::new(),
            counts: Counts::default(),
        }
    }

    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// Rows held for a fit or refit now.
    pub fn kept_rows(&self) -> usize {
        self.kept_rows
    }

    /// Takes in a batch: counts it, and scores it once a model exists (fitting first when the
    /// warm-up is complete). An error is one no later batch can mend (no usable column, a
    /// feature that does not exist).
    pub fn push(&mut self, rec: &Records, now: Duration) -> Result<Scored, String> {
        self.plan(rec)?;
        let name = rec.file.display().to_string();
        let Some(schema) = &self.schema else {
            return Err(format!("{name}: no columns planned"));
        };
        let ds = schema.parse(&name, &rec.bytes, rec.first_line);
        let counter = self.file_rows.entry(rec.file.clone()).or_insert(0);
        if rec.fresh {
            *counter = 0;
        }
        let first_file_row = *counter;
        *counter += ds.rows as u64;
        self.counts.rows += ds.rows as u64;
        self.counts.rejected += ds.rejects.total;
        let mut scored = Scored {
            file: rec.file.clone(),
            ds,
            hits: Vec::new(),
        };
        let rows = scored.ds.rows;
        if self.model.is_some() {
            self.count_sessions(&scored.ds, 0..rows);
            scored.hits = self.score(&scored.ds, 0..rows, first_file_row)?;
            if self.opts.refit_every.is_some() {
                self.keep(rec, rows, now);
            }
            return Ok(scored);
        }
        self.keep(rec, rows, now);
        if let Some(n) = self.opts.warmup.filter(|&n| self.kept_rows >= n) {
            self.fit(Some(n), now)?;
            // The rows of this batch past the warm-up are new rows.
            let from = rows - (self.kept_rows - n).min(rows);
            if self.opts.refit_every.is_none() {
                self.kept.clear();
                self.kept_rows = 0;
            }
            self.count_sessions(&scored.ds, from..rows);
            scored.hits = self.score(&scored.ds, from..rows, first_file_row)?;
        }
        Ok(scored)
    }

    /// Plans the columns from the first batch, if not done yet. An error says why this batch's
    /// file cannot be read as a traffic log (no usable column); a later file may still be.
    pub fn plan(&mut self, rec: &Records) -> Result<(), String> {
        if self.schema.is_none() {
            let name = rec.file.display().to_string();
            let schema = BatchSchema::new(&name, &rec.header.bytes, &rec.bytes)
                .map_err(|e| e.to_string())?;
            self.schema = Some(schema);
        }
        Ok(())
    }

    /// Fits on the rows held now (what was there at the start); with too few, waits for a
    /// warm-up of [`DEFAULT_WARMUP`] rows instead. Returns whether a model exists.
    pub fn fit_now(&mut self, now: Duration) -> Result<bool, String> {
        if self.kept_rows < MIN_FIT_ROWS {
            self.opts.warmup = Some(self.opts.warmup.unwrap_or(DEFAULT_WARMUP));
            return Ok(false);
        }
        self.fit(None, now)?;
        if self.opts.refit_every.is_none() {
            self.kept.clear();
            self.kept_rows = 0;
        }
        Ok(true)
    }

    /// Refits on the rows kept, when `--refit-every` says it is time. Returns whether it did.
    pub fn maybe_refit(&mut self, now: Duration) -> Result<bool, String> {
        let (Some(every), Some(model)) = (self.opts.refit_every, &self.model) else {
            return Ok(false);
        };
        if now < model.at + every || self.kept_rows < MIN_FIT_ROWS {
            return Ok(false);
        }
        self.fit(None, now)?;
        Ok(true)
    }

    /// Fits on the kept rows (the first `limit` of them).
    fn fit(&mut self, limit: Option<usize>, now: Duration) -> Result<(), String> {
        let Some(schema) = &self.schema else {
            return Ok(());
        };
        let bytes: Vec<u8> = self
            .kept
            .iter()
            .flat_map(|k| k.bytes.iter().copied())
            .collect();
        let mut ds = schema.parse("<followed rows>", &bytes, 1);
        if let Some(n) = limit.filter(|&n| n < ds.rows) {
            ds = ds.select_rows(&(0..n).collect::<Vec<_>>());
        }
        let params = (self.params_for)(&ds);
        let run = DetectionRun::run(&ds, &params, &RunControl::default())?;
        let threshold = run
            .detection
            .index
            .select(Rule::Contamination(self.opts.contamination))
            .threshold;
        if self.model.is_none() {
            self.count_sessions_with(&ds, 0..ds.rows, &run);
        }
        self.model = Some(Model {
            run,
            threshold,
            rows: ds.rows,
            at: now,
        });
        self.counts.fits += 1;
        Ok(())
    }

    fn keep(&mut self, rec: &Records, rows: usize, now: Duration) {
        self.kept.push_back(Kept {
            at: now,
            bytes: rec.bytes.clone(),
            rows,
        });
        self.kept_rows += rows;
        if self.model.is_none() {
            return;
        }
        while self.kept.len() > 1 {
            let Some(front) = self.kept.front() else {
                break;
            };
            let drop = match self.opts.window {
                Window::All => false,
                Window::Rows(n) => self.kept_rows - front.rows >= n,
                Window::Time(d) => front.at + d < now,
            };
            if !drop {
                break;
            }
            self.kept_rows -= front.rows;
            self.kept.pop_front();
        }
    }

    fn count_sessions(&mut self, ds: &Dataset, rows: std::ops::Range<usize>) {
        if let Some(model) = self.model.take() {
            self.count_sessions_with(ds, rows, &model.run);
            self.model = Some(model);
        }
    }

    /// Adds the rows' sessions (and short sessions, by the run's cut-off) to their sources.
    fn count_sessions_with(
        &mut self,
        ds: &Dataset,
        rows: std::ops::Range<usize>,
        run: &DetectionRun,
    ) {
        let Some(ip) = ds.role_index(Role::SrcIp) else {
            return;
        };
        let duration = NumericSource::Derived(Derived::SessionDuration);
        for row in rows {
            let key = ds.cell_text(row, ip);
            let short = match (&run.patterns, ds.value(duration, row)) {
                (Some(r), Some(d)) if d.is_finite() => r.is_short_session(d),
                _ => false,
            };
            let entry = self.per_ip.entry(key.as_ref().into()).or_insert((0, 0));
            entry.0 += 1;
            entry.1 += usize::from(short);
        }
    }

    /// Scores `rows` of a batch; the flagged ones, explained.
    fn score(
        &mut self,
        ds: &Dataset,
        rows: std::ops::Range<usize>,
        first_file_row: u64,
    ) -> Result<Vec<Hit>, String> {
        let Some(model) = &self.model else {
            return Ok(Vec::new());
        };
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let run = &model.run;
        let limit = f64::from(f32::MAX);
        let mut columns = vec![Vec::with_capacity(rows.len()); run.feature_names.len()];
        for row in rows.clone() {
            for (col, v) in columns.iter_mut().zip(run.row_values(ds, row)) {
                col.push(v.clamp(-limit, limit));
            }
        }
        let matrix =
            FeatureMatrix::new(run.feature_names.clone(), columns).map_err(|e| e.to_string())?;
        let scores = run
            .detection
            .forest
            .score(&matrix, &RunControl::default())
            .map_err(|e| e.to_string())?;
        let ip = ds.role_index(Role::SrcIp);
        let mut hits = Vec::new();
        for (row, score) in rows.zip(scores) {
            if score <= model.threshold {
                continue;
            }
            let sessions = ip
                .and_then(|i| self.per_ip.get(ds.cell_text(row, i).as_ref()).copied())
                .unwrap_or((0, 0));
            let explanation = run.explain(ds, row);
            let patterns = run.patterns_given(ds, row, sessions);
            let explanation_line = run.explanation_line_for(explanation.as_ref(), &patterns);
            hits.push(Hit {
                row,
                file_row: first_file_row + row as u64,
                score,
                explanation,
                patterns,
                explanation_line,
            });
        }
        self.counts.flagged += hits.len() as u64;
        Ok(hits)
    }
}

#[cfg(test)]
#[path = "score_tests.rs"]
mod tests;
