//! [`Source`] for [`RemoteSource`]: each view as the engine's query (see the parent's doc).

use super::*;

fn no_zoom() -> SourceError {
    SourceError::Unavailable(
        "zooming the timeline is not computed in the engine yet: the whole range is shown".into(),
    )
}

impl Source for RemoteSource {
    fn info(&self) -> SourceInfo {
        self.info.lock().map(|i| i.clone()).unwrap_or_default()
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }

    fn records(&self, q: &RecordsQuery, cancel: &AtomicBool) -> Result<RecordsPage, SourceError> {
        let (total, ids, ds) =
            self.with(q.scope.filter.as_deref(), cancel, |remote, view, n| {
                let total = Self::count(remote, view, n, cancel)?;
                let sort = q.sort.as_ref().map(|s| (s.column.as_str(), s.descending));
                let sql = pages::records_select(
                    D,
                    view,
                    &columns_of(remote),
                    sort,
                    q.offset as u64,
                    q.limit as u64,
                )
                .map_err(|e| EngineError::Input(e.to_string()))?;
                let t = remote.engine().query(&sql, cancel)?;
                let (ids, ds) = page_rows(remote.name(), &t)?;
                Ok((total, ids, ds))
            })?;
        if q.scope
            .filter
            .as_deref()
            .is_none_or(|f| f.trim().is_empty())
            && let Ok(mut i) = self.info.lock()
        {
            i.rows = total;
        }
        let rows = match &ds {
            Some(ds) => ids
                .iter()
                .enumerate()
                .map(|(r, &id)| record(ds, r, id, None, false))
                .collect(),
            None => Vec::new(),
        };
        Ok(RecordsPage {
            total,
            offset: q.offset,
            rows,
        })
    }

    fn summary(&self, scope: &Scope, cancel: &AtomicBool) -> Result<Summary, SourceError> {
        self.with(scope.filter.as_deref(), cancel, |remote, view, n| {
            let s = remote.summary(view, SUMMARY_TOP, cancel)?;
            *n = Some(s.rows);
            Ok(s)
        })
    }

    fn timeline(&self, q: &TimelineQuery, cancel: &AtomicBool) -> Result<Timeline, SourceError> {
        if q.range.is_some() {
            return Err(no_zoom());
        }
        let series = self.with(q.scope.filter.as_deref(), cancel, |remote, view, _| {
            let width = match (q.bucket_secs, remote.time_range(view, cancel)?) {
                (Some(w), _) => w.max(1),
                (None, Some((a, b))) => {
                    timeseries::width_for(a, b, timeseries::DEFAULT_BUCKETS, None)
                }
                (None, None) => 3600,
            };
            remote.timeline(view, width, cancel)
        })?;
        let flagged = vec![0; series.buckets.len()];
        Ok(Timeline { series, flagged })
    }

    fn ranking(&self, q: &RankingQuery, cancel: &AtomicBool) -> Result<Ranking, SourceError> {
        let order = match q.by {
            RankBy::Sessions => RankOrder::Sessions,
            RankBy::BytesIn => RankOrder::BytesIn,
            RankBy::BytesOut => RankOrder::BytesOut,
        };
        self.with(q.scope.filter.as_deref(), cancel, |remote, view, _| {
            if remote.probe().column_index(&q.key).is_none() {
                return Err(EngineError::Input(format!(
                    "no column named '{}' in the table",
                    crate::sanitize::inert(&q.key)
                )));
            }
            let rows = remote.ranking(view, &q.key, order, q.top, cancel)?;
            let distinct = remote.distinct(view, &q.key, cancel)?;
            Ok(Ranking {
                key: q.key.clone(),
                distinct,
                rows: rows
                    .into_iter()
                    .map(|r| RankedRow {
                        key: r.key,
                        sessions: r.sessions,
                        bytes_in: r.bytes_in.total(),
                        bytes_out: r.bytes_out.total(),
                        flagged: 0,
                        max_score: None,
                        dst_ports: None,
                        dst_addrs: None,
                    })
                    .collect(),
            })
        })
    }

    fn anomalies(&self, q: &AnomalyQuery, _: &AtomicBool) -> Result<AnomalyList, SourceError> {
        let d = self.detected().ok_or(SourceError::NoModel)?;
        if q.scope
            .filter
            .as_deref()
            .is_some_and(|f| !f.trim().is_empty())
        {
            return Err(SourceError::Unavailable(
                "anomalies of a filtered view are not computed in the engine yet: clear the filter (the list is over every row)".into(),
            ));
        }
        if q.scope
            .rule
            .is_some_and(|r| r != Rule::Contamination(d.contamination))
        {
            return Err(SourceError::Unavailable(format!(
                "only the model's rule (contamination {}) is computed in the engine",
                d.contamination
            )));
        }
        let Some(top) = &d.det.top else {
            return Ok(AnomalyList {
                threshold: d.det.threshold,
                total: d.det.flagged,
                rows: Vec::new(),
            });
        };
        let local = explained(top, &d.model);
        let rows = (0..top.rows)
            .take(q.limit)
            .map(|r| {
                let (why, patterns) = match &local {
                    Some(run) => {
                        let p = run.patterns(top, r);
                        (
                            run.explanation_line_for(run.explain(top, r).as_ref(), &p),
                            p.iter().map(ToString::to_string).collect(),
                        )
                    }
                    None => (String::new(), Vec::new()),
                };
                Anomaly {
                    cells: record(top, r, 0, None, true).cells,
                    id: d.ids.get(r).copied().unwrap_or(0),
                    score: d.det.top_scores.get(r).copied().unwrap_or(f64::NAN),
                    rank: r + 1,
                    patterns,
                    why,
                }
            })
            .collect();
        Ok(AnomalyList {
            threshold: d.det.threshold,
            total: d.det.flagged,
            rows,
        })
    }

    fn detail(
        &self,
        id: RowId,
        _scope: &Scope,
        sessions: usize,
        cancel: &AtomicBool,
    ) -> Result<RecordDetail, SourceError> {
        let (row, same) = self.with(None, cancel, |remote, view, _| {
            let sql = pages::by_id_select(D, view, &columns_of(remote), id)
                .map_err(|e| EngineError::Input(e.to_string()))?;
            let t = remote.engine().query(&sql, cancel)?;
            let (_, ds) = page_rows(remote.name(), &t)?;
            let Some(ds) = ds else {
                return Ok((None, None));
            };
            let same = match ds.role(Role::SrcIp).map(|c| c.name.clone()) {
                Some(src) => Some(same_source(remote, view, &ds, &src, sessions, cancel)?),
                None => None,
            };
            Ok((Some(ds), same))
        })?;
        let ds = row.ok_or(SourceError::UnknownRow(id, self.info().rows))?;
        let d = self.detected();
        let run = d.as_ref().and_then(|d| explained(&ds, &d.model));
        let score = run.as_ref().and_then(|r| r.scores().first().copied());
        let flagged = match (&d, score) {
            (Some(d), Some(s)) => s > d.det.threshold,
            _ => false,
        };
        let local = LocalSource::new(Arc::new(ds), run.map(Arc::new));
        let mut detail = local.detail(0, &Scope::default(), 0, cancel)?;
        detail.record.id = id;
        detail.record.flagged = flagged;
        // A rank among every row and the plain facts need the whole table: not computed here.
        detail.rank = None;
        detail.facts = None;
        detail.same_source = same;
        Ok(detail)
    }
}

/// `model` applied to `ds` locally (a saved model scores row by row, so each row's score is the
/// engine's), for the explanations.
fn explained(ds: &Dataset, model: &Model) -> Option<DetectionRun> {
    DetectionRun::run_model(ds, model, &RunControl::default()).ok()
}

/// The sessions of the record's source address: one query.
fn same_source(
    remote: &Remote,
    view: &str,
    ds: &Dataset,
    src: &str,
    limit: usize,
    cancel: &AtomicBool,
) -> Result<SameSource, EngineError> {
    let ip = ds
        .cell_text(0, ds.column_index(src).unwrap_or(0))
        .into_owned();
    let (time, bi, bo) = (
        remote.probe().time_column().map(|c| c.name.clone()),
        role(remote, Role::BytesIn),
        role(remote, Role::BytesOut),
    );
    let roles = SessionColumns {
        src,
        time: time.as_deref(),
        bytes_in: bi.as_deref(),
        bytes_out: bo.as_deref(),
    };
    let sql = pages::sessions_select(D, view, &columns_of(remote), roles, &ip, limit as u64)
        .map_err(|e| EngineError::Input(e.to_string()))?;
    let t = remote.engine().query(&sql, cancel)?;
    let first = t.rows.first();
    let total = first
        .and_then(|r| r.get(4))
        .and_then(Cell::integer)
        .unwrap_or(0)
        .max(0) as usize;
    let span = first.and_then(|r| Some((r.get(5)?.integer()?, r.get(6)?.integer()?)));
    Ok(SameSource {
        ip,
        total,
        sessions: t
            .rows
            .iter()
            .map(|r| Session {
                id: r.first().and_then(Cell::integer).unwrap_or(0) as u64,
                start: r.get(1).and_then(Cell::integer),
                bytes_in: r.get(2).and_then(Cell::number),
                bytes_out: r.get(3).and_then(Cell::number),
                score: None,
                flagged: false,
            })
            .collect(),
        span,
        activity: Vec::new(),
    })
}
