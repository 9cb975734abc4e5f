//! A table in a SQL engine as a [`Source`]: the explorer's views answered by the engine, one
//! query per view, so the tabs do not know where the rows live.
//!
//! Owns the session's life: it opens the table through an opener (connect, then
//! [`Remote::open`]), keeps one scope view per filter text and the row count of each, and after
//! a lost connection drops the session so the next view reconnects and re-registers the
//! relations (the engine's temporary views die with its session). Detection runs in the engine
//! ([`RemoteSource::detect`]: fit here on the engine's seeded sample, score every row there);
//! its top rows are then the anomaly list. Rows are named by the hash of their cells
//! (`sql::pages`), not by a position. What the engine does not compute is refused with
//! [`SourceError::Unavailable`] and a reason rather than answered wrongly: flagged counts per
//! bucket or per entity, the anomalies of a filtered scope, a rule other than contamination.
//! The views themselves are in `views`. Never prints, never imports `tui` or `cli`; builds SQL only through `crate::sql`.

use super::engine::{Cell, EngineError, Table};
use super::local::LocalSource;
use super::remote::{EngineDetection, Remote, ScoringForm};
use super::{
    Anomaly, AnomalyList, AnomalyQuery, ColumnInfo, RankedRow, Ranking, RankingQuery, Record,
    RecordDetail, RecordsPage, RecordsQuery, RowId, SameSource, Scope, Session, Source,
    SourceError, SourceInfo, Timeline, TimelineQuery,
};
use crate::analysis::rankings::RankBy;
use crate::analysis::summary::Summary;
use crate::analysis::timeseries;
use crate::dataset::{Dataset, Role};
use crate::detect::model::Model;
use crate::detect::pipeline::{DetectParams, DetectionRun};
use crate::detect::{Contamination, Rule, RunControl};
use crate::sql::Dialect;
use crate::sql::pages::{self, SessionColumns};
use crate::sql::views::RankOrder;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
mod views;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const D: Dialect = Dialect::Spark;

/// Connects and opens the table (called again after a lost connection).
pub type Opener = Box<dyn Fn(&AtomicBool) -> Result<Remote, EngineError> + Send + Sync>;

/// Most ranked rows and summary entries asked of the engine for the summary.
const SUMMARY_TOP: usize = 10;

/// A connected table and what was registered in its session.
struct Connected {
    remote: Remote,
    /// Filter text → (scope view, its row count when known).
    scopes: HashMap<String, (String, Option<usize>)>,
}

/// What detection in the engine found, kept for the anomaly list and the drill-down.
struct Detected {
    model: Arc<Model>,
    contamination: Contamination,
    det: EngineDetection,
    /// Ids of `det.top`'s rows.
    ids: Vec<RowId>,
}

/// A table in an engine, answering the explorer's views.
pub struct RemoteSource {
    open: Opener,
    session: Mutex<Option<Connected>>,
    /// Name, columns and row count as of the last open.
    info: Mutex<SourceInfo>,
    detected: Mutex<Option<Arc<Detected>>>,
    version: AtomicU64,
}

fn engine(e: EngineError) -> SourceError {
    match e {
        EngineError::Cancelled => SourceError::Cancelled,
        other => SourceError::Unavailable(other.to_string()),
    }
}

impl RemoteSource {
    /// Opens the table once now (so a wrong table fails before the screen changes).
    pub fn open(open: Opener, cancel: &AtomicBool) -> Result<RemoteSource, EngineError> {
        let remote = open(cancel)?;
        let source = RemoteSource {
            open,
            session: Mutex::new(None),
            info: Mutex::new(SourceInfo::default()),
            detected: Mutex::new(None),
            version: AtomicU64::new(1),
        };
        source.install(remote);
        Ok(source)
    }

    fn install(&self, remote: Remote) {
        let probe = remote.probe();
        let info = SourceInfo {
            name: remote.name().to_string(),
            rows: 0,
            columns: ColumnInfo::all(&probe.columns),
            rejected: 0,
            model_rows: self.detected().map_or(0, |d| d.model.fitted_rows),
        };
        if let Ok(mut i) = self.info.lock() {
            *i = SourceInfo {
                rows: i.rows,
                ..info
            };
        }
        if let Ok(mut s) = self.session.lock() {
            *s = Some(Connected {
                remote,
                scopes: HashMap::new(),
            });
        }
    }

    fn detected(&self) -> Option<Arc<Detected>> {
        self.detected.lock().ok().and_then(|d| d.clone())
    }

    /// Runs `f` with the session and the scope view of `filter`, reconnecting first when the
    /// last connection was lost; a lost connection now drops the session for the next call.
    fn with<T>(
        &self,
        filter: Option<&str>,
        cancel: &AtomicBool,
        f: impl FnOnce(&Remote, &str, &mut Option<usize>) -> Result<T, EngineError>,
    ) -> Result<T, SourceError> {
        let mut guard = self
            .session
            .lock()
            .map_err(|_| SourceError::Unavailable("the engine session failed earlier".into()))?;
        if guard.is_none() {
            let remote = (self.open)(cancel).map_err(engine)?;
            self.version.fetch_add(1, Ordering::Relaxed);
            drop(guard);
            self.install(remote);
            guard = self.session.lock().map_err(|_| {
                SourceError::Unavailable("the engine session failed earlier".into())
            })?;
        }
        let Some(session) = guard.as_mut() else {
            return Err(SourceError::Unavailable("not connected".into()));
        };
        let key = filter.map(str::trim).unwrap_or("").to_string();
        let result = (|| {
            if !session.scopes.contains_key(&key) {
                let view = session.remote.scope(Some(&key), cancel)?;
                session.scopes.insert(key.clone(), (view, None));
            }
            let (view, count) = session
                .scopes
                .get_mut(&key)
                .ok_or_else(|| EngineError::Input("no scope".into()))?;
            f(&session.remote, view, count)
        })();
        match result {
            Err(e @ EngineError::Unreachable { .. }) => {
                *guard = None;
                Err(engine(e))
            }
            Err(EngineError::Input(m)) if m.starts_with("--filter: ") => Err(SourceError::Filter(
                m.trim_start_matches("--filter: ").to_string(),
            )),
            other => other.map_err(engine),
        }
    }

    /// Rows in the scope of `filter` (counted once per scope).
    fn count(
        remote: &Remote,
        view: &str,
        known: &mut Option<usize>,
        cancel: &AtomicBool,
    ) -> Result<usize, EngineError> {
        if let Some(n) = known {
            return Ok(*n);
        }
        let n = remote.count(view, cancel)?;
        *known = Some(n);
        Ok(n)
    }

    /// Fits a forest with `params` (empty features: the defaults for the table) on the engine's
    /// sample for the seed, scores every row in the engine, flags by `contamination` and keeps
    /// the `top` highest-scoring flagged rows for the anomaly list.
    pub fn detect(
        &self,
        params: &DetectParams,
        contamination: Contamination,
        top: usize,
        cancel: &AtomicBool,
    ) -> Result<(), SourceError> {
        let detected = self.with(None, cancel, |remote, view, _| {
            let per_tree = params.sample.unwrap_or(crate::detect::defaults::SAMPLE);
            let n = per_tree.saturating_mul(params.trees.max(1));
            let sample = remote.sample(view, n, params.seed, cancel)?;
            let mut params = params.clone();
            if params.features.is_empty() {
                params.features = crate::detect::pipeline::default_features(&sample);
            }
            let control = RunControl {
                cancel: Some(cancel),
                progress: None,
            };
            let run = DetectionRun::run(&sample, &params, &control).map_err(EngineError::Input)?;
            let threshold = run
                .detection
                .index
                .select(Rule::Contamination(contamination))
                .threshold;
            let model = Model::from_run(&sample, &run, contamination, threshold);
            let det = remote.detect(
                view,
                &model,
                contamination,
                top,
                ScoringForm::default(),
                cancel,
            )?;
            let ids = det.top_ids.clone();
            Ok(Detected {
                model: Arc::new(model),
                contamination,
                det,
                ids,
            })
        })?;
        let fitted = detected.model.fitted_rows;
        if let Ok(mut d) = self.detected.lock() {
            *d = Some(Arc::new(detected));
        }
        if let Ok(mut i) = self.info.lock() {
            i.model_rows = fitted;
        }
        self.version.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The ranking dimensions of the table, as the local explorer finds them: (label, column).
    pub fn dimensions(&self) -> Vec<(String, String)> {
        let Ok(guard) = self.session.lock() else {
            return Vec::new();
        };
        let Some(s) = guard.as_ref() else {
            return Vec::new();
        };
        let probe = s.remote.probe();
        super::view::dimensions(probe)
            .into_iter()
            .filter_map(|(label, i)| Some((label, probe.columns.get(i)?.name.clone())))
            .collect()
    }

    /// The contamination of the model in force, if detection has run.
    pub fn contamination(&self) -> Option<Contamination> {
        self.detected().map(|d| d.contamination)
    }
}

/// Cells of `t`'s rows after the id column, read as a file would be.
fn page_rows(name: &str, t: &Table) -> Result<(Vec<RowId>, Option<Dataset>), EngineError> {
    let ids = t
        .rows
        .iter()
        .map(|r| r.first().and_then(Cell::integer).unwrap_or(0) as u64)
        .collect();
    if t.rows.is_empty() {
        return Ok((ids, None));
    }
    let rest = Table {
        columns: t.columns.get(1..).unwrap_or_default().to_vec(),
        rows: t
            .rows
            .iter()
            .map(|r| r.get(1..).unwrap_or_default().to_vec())
            .collect(),
    };
    Ok((ids, Some(super::remote::dataset(name, &rest)?)))
}

fn record(ds: &Dataset, row: usize, id: RowId, score: Option<f64>, flagged: bool) -> Record {
    Record {
        id,
        line: None,
        cells: (0..ds.columns.len())
            .map(|c| ds.cell_text(row, c).into_owned())
            .collect(),
        score,
        flagged,
    }
}

fn columns_of(remote: &Remote) -> Vec<String> {
    remote
        .probe()
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect()
}

fn role(remote: &Remote, r: Role) -> Option<String> {
    remote.probe().role(r).map(|c| c.name.clone())
}
