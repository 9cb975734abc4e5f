//! The in-memory [`Source`]: a loaded [`Dataset`] and, once fitted, its
//! [`DetectionRun`].
//!
//! Owns one cache: the rows of the last scope asked for (and the flags of the last
//! rule), so the summary, the timeline and the rankings of one scope select the rows
//! once. It computes with the pure functions of `analysis`, `detect` and
//! [`super::view`]; it never formats for a terminal and never writes files.

use super::view::{dimensions, select, sort_rows};
use super::{
    Anomaly, AnomalyList, AnomalyQuery, ColumnInfo, RankedRow, Ranking, RankingQuery, Record,
    RecordDetail, RecordsPage, RecordsQuery, RowId, SameSource, Scope, Session, Source,
    SourceError, SourceInfo, Timeline, TimelineQuery, check,
};
use crate::analysis::Rows;
use crate::analysis::rankings;
use crate::analysis::summary::{self, Summary, SummaryOptions};
use crate::analysis::timeseries;
use crate::dataset::{ColumnData, Dataset, Derived, Role};
use crate::detect::Rule;
use crate::detect::pipeline::DetectionRun;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Rows selected for a scope (`None`: every row).
type Selected = Option<Arc<Vec<u32>>>;

/// The loaded dataset as a [`Source`].
pub struct LocalSource {
    ds: Arc<Dataset>,
    det: Option<Arc<DetectionRun>>,
    version: u64,
    rows_cache: Mutex<Option<(Scope, Selected)>>,
    flags_cache: Mutex<Option<(Rule, Arc<Vec<bool>>)>>,
}

impl LocalSource {
    pub fn new(ds: Arc<Dataset>, det: Option<Arc<DetectionRun>>) -> LocalSource {
        LocalSource {
            ds,
            det,
            version: 0,
            rows_cache: Mutex::new(None),
            flags_cache: Mutex::new(None),
        }
    }

    /// The same rows with a new model (a refit): a new version.
    pub fn with_detection(&self, det: Option<Arc<DetectionRun>>) -> LocalSource {
        LocalSource {
            version: self.version + 1,
            ..LocalSource::new(self.ds.clone(), det)
        }
    }

    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.ds
    }

    pub fn detection(&self) -> Option<&Arc<DetectionRun>> {
        self.det.as_ref()
    }

    /// Flags of every row under a rule (cached for the last rule).
    fn flags(&self, rule: Option<Rule>) -> Option<Arc<Vec<bool>>> {
        let (det, rule) = (self.det.as_ref()?, rule?);
        if let Ok(cache) = self.flags_cache.lock()
            && let Some((r, f)) = cache.as_ref()
            && *r == rule
        {
            return Some(f.clone());
        }
        let index = &det.detection.index;
        let mut f = vec![false; self.ds.rows];
        for r in index.flagged(&index.select(rule)) {
            if let Some(x) = f.get_mut(r) {
                *x = true;
            }
        }
        let f = Arc::new(f);
        if let Ok(mut cache) = self.flags_cache.lock() {
            *cache = Some((rule, f.clone()));
        }
        Some(f)
    }

    /// The rows of a scope, in row order (cached for the last scope).
    fn rows(&self, scope: &Scope) -> Result<Selected, SourceError> {
        if let Ok(cache) = self.rows_cache.lock()
            && let Some((s, rows)) = cache.as_ref()
            && s == scope
        {
            return Ok(rows.clone());
        }
        let flags = self.flags(scope.rule);
        let scores = self.det.as_ref().map(|d| d.scores());
        let rows = select(
            &self.ds,
            scope.filter.as_deref(),
            flags.as_deref().map(Vec::as_slice),
            scores,
        )
        .map_err(SourceError::Filter)?
        .map(Arc::new);
        if let Ok(mut cache) = self.rows_cache.lock() {
            *cache = Some((scope.clone(), rows.clone()));
        }
        Ok(rows)
    }

    fn column(&self, name: &str) -> Result<usize, SourceError> {
        self.ds
            .column_index(name)
            .ok_or_else(|| SourceError::UnknownColumn(name.to_string()))
    }

    fn record(&self, row: usize, flags: Option<&[bool]>) -> Record {
        let ds = &self.ds;
        Record {
            id: ds.origin_row(row) as RowId,
            line: None,
            cells: (0..ds.columns.len())
                .map(|c| ds.cell_text(row, c).into_owned())
                .collect(),
            score: self.det.as_ref().and_then(|d| d.scores().get(row).copied()),
            flagged: flags.is_some_and(|f| f.get(row).copied().unwrap_or(false)),
        }
    }

    fn row_index(&self, id: RowId) -> Result<usize, SourceError> {
        let row = usize::try_from(id).unwrap_or(usize::MAX);
        match &self.ds.origin {
            None if row < self.ds.rows => Ok(row),
            Some(o) => o
                .iter()
                .position(|&r| r as usize == row)
                .ok_or(SourceError::UnknownRow(id, self.ds.rows)),
            None => Err(SourceError::UnknownRow(id, self.ds.rows)),
        }
    }

    /// Every session of the row's source IP (source order), with a sparkline.
    fn same_source(&self, row: usize, limit: usize, flags: Option<&[bool]>) -> Option<SameSource> {
        let ds = &self.ds;
        let i = ds.role_index(Role::SrcIp)?;
        let ip = ds.cell_text(row, i).into_owned();
        let Some(ColumnData::Ip(d)) = ds.columns.get(i).map(|c| &c.data) else {
            return None;
        };
        let code = d.codes.get(row);
        let same: Vec<usize> = (0..ds.rows).filter(|&r| d.codes.get(r) == code).collect();
        let times: Vec<i64> = same.iter().filter_map(|&r| ds.start_time(r)).collect();
        let span = times.iter().min().copied().zip(times.iter().max().copied());
        let activity = span.map_or_else(Vec::new, |(a, b)| spread(&times, a, b, 40));
        let number = |role: Role, r: usize| ds.role(role).and_then(|c| c.data.number(r));
        let sessions = same
            .iter()
            .take(limit)
            .map(|&r| Session {
                id: ds.origin_row(r) as RowId,
                start: ds.start_time(r),
                bytes_in: number(Role::BytesIn, r),
                bytes_out: number(Role::BytesOut, r),
                score: self.det.as_ref().and_then(|d| d.scores().get(r).copied()),
                flagged: flags.is_some_and(|f| f.get(r).copied().unwrap_or(false)),
            })
            .collect();
        Some(SameSource {
            ip,
            total: same.len(),
            sessions,
            span,
            activity,
        })
    }
}

/// Counts of `times` in `n` equal slices of `[a, b]`.
fn spread(times: &[i64], a: i64, b: i64, n: usize) -> Vec<u64> {
    let mut counts = vec![0u64; n];
    for &x in times {
        let i = if b > a {
            (((x - a) as f64 / (b - a) as f64) * (n - 1) as f64) as usize
        } else {
            0
        };
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    counts
}

fn rows_of(selected: &Selected, n: usize) -> Rows<'_> {
    match selected {
        Some(r) => Rows::Subset(r.as_slice()),
        None => Rows::All(n),
    }
}

impl Source for LocalSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: self.ds.source.clone(),
            rows: self.ds.rows,
            columns: ColumnInfo::all(&self.ds.columns),
            rejected: self.ds.rejects.total,
            model_rows: self.det.as_ref().map_or(0, |d| d.scores().len()),
        }
    }

    fn version(&self) -> u64 {
        self.version
    }

    fn records(&self, q: &RecordsQuery, cancel: &AtomicBool) -> Result<RecordsPage, SourceError> {
        let selected = self.rows(&q.scope)?;
        check(cancel)?;
        let flags = self.flags(q.scope.rule);
        let total = selected.as_ref().map_or(self.ds.rows, |r| r.len());
        let page: Vec<u32> = match &q.sort {
            None => match &selected {
                Some(r) => r.iter().skip(q.offset).take(q.limit).copied().collect(),
                None => (q.offset..total.min(q.offset.saturating_add(q.limit)))
                    .map(|r| r as u32)
                    .collect(),
            },
            Some(key) => {
                let col = self.column(&key.column)?;
                let mut rows = selected
                    .as_deref()
                    .cloned()
                    .unwrap_or_else(|| (0..self.ds.rows as u32).collect());
                sort_rows(&self.ds, &mut rows, col, key.descending);
                rows.into_iter().skip(q.offset).take(q.limit).collect()
            }
        };
        let rows = page
            .iter()
            .map(|&r| self.record(r as usize, flags.as_deref().map(Vec::as_slice)))
            .collect();
        Ok(RecordsPage {
            total,
            offset: q.offset,
            rows,
        })
    }

    fn summary(&self, scope: &Scope, cancel: &AtomicBool) -> Result<Summary, SourceError> {
        let selected = self.rows(scope)?;
        check(cancel)?;
        let opts = SummaryOptions {
            top: 50,
            rejects_shown: 0,
        };
        Ok(summary::summarize(
            &self.ds,
            rows_of(&selected, self.ds.rows),
            opts,
        ))
    }

    fn timeline(&self, q: &TimelineQuery, cancel: &AtomicBool) -> Result<Timeline, SourceError> {
        let selected = self.rows(&q.scope)?;
        check(cancel)?;
        let ds = &self.ds;
        let all = rows_of(&selected, ds.rows);
        let window = q.range.or_else(|| timeseries::time_range(ds, all));
        let width = match q.bucket_secs {
            Some(w) => w.max(timeseries::cadence(ds, all).unwrap_or(1)),
            None => timeseries::default_width(ds, all, window),
        };
        let zoomed: Option<Vec<u32>> = q.range.map(|(a, b)| {
            let mut out = Vec::new();
            all.for_each(|r| {
                if ds.start_time(r).is_some_and(|t| t >= a && t <= b) {
                    out.push(r as u32);
                }
            });
            out
        });
        let rows = zoomed.as_deref().map_or(all, Rows::Subset);
        let series = timeseries::series(ds, rows, width);
        let mut flagged = vec![0u64; series.buckets.len()];
        if let (Some(flags), Some(first)) = (self.flags(q.scope.rule), series.buckets.first()) {
            let w = series.width_secs.max(1) * 1000;
            rows.for_each(|r| {
                if flags.get(r).copied().unwrap_or(false)
                    && let Some(t) = ds.start_time(r)
                    && let Ok(i) = usize::try_from((t - first.start).div_euclid(w))
                    && let Some(x) = flagged.get_mut(i)
                {
                    *x += 1;
                }
            });
        }
        Ok(Timeline { series, flagged })
    }

    fn ranking(&self, q: &RankingQuery, cancel: &AtomicBool) -> Result<Ranking, SourceError> {
        let col = self.column(&q.key)?;
        let selected = self.rows(&q.scope)?;
        check(cancel)?;
        let ds = &self.ds;
        let Some(groups) = rankings::groups(ds, col) else {
            return Ok(Ranking {
                key: q.key.clone(),
                ..Ranking::default()
            });
        };
        let sel = rows_of(&selected, ds.rows);
        let ranked = rankings::rank_groups(ds, &groups, sel, q.by);
        let flags = self.flags(q.scope.rule);
        let scores = self.det.as_ref().map(|d| d.scores());
        let n = groups.labels.len();
        let (mut flagged, mut max) = (vec![0u64; n], vec![None::<f64>; n]);
        sel.for_each(|r| {
            let Some(&g) = groups.codes.get(r) else {
                return;
            };
            let g = g as usize;
            if flags
                .as_ref()
                .is_some_and(|f| f.get(r).copied().unwrap_or(false))
                && let Some(x) = flagged.get_mut(g)
            {
                *x += 1;
            }
            if let (Some(s), Some(m)) = (scores.and_then(|s| s.get(r)), max.get_mut(g)) {
                *m = Some(m.map_or(*s, |m| m.max(*s)));
            }
        });
        let distinct = ranked.len();
        let reach = (ds.role_index(Role::SrcIp) == Some(col))
            .then(|| rankings::reach(ds, &groups, sel))
            .flatten();
        let rows = ranked
            .into_iter()
            .take(q.top)
            .map(|r| RankedRow {
                dst_ports: reach
                    .as_ref()
                    .and_then(|x| x.get(r.group as usize))
                    .and_then(|x| x.dst_ports),
                dst_addrs: reach
                    .as_ref()
                    .and_then(|x| x.get(r.group as usize))
                    .and_then(|x| x.dst_addrs),
                flagged: flagged.get(r.group as usize).copied().unwrap_or(0),
                max_score: max.get(r.group as usize).copied().flatten(),
                sessions: r.sessions,
                bytes_in: r.bytes_in.total(),
                bytes_out: r.bytes_out.total(),
                key: r.key,
            })
            .collect();
        Ok(Ranking {
            key: q.key.clone(),
            distinct,
            rows,
        })
    }

    fn anomalies(&self, q: &AnomalyQuery, cancel: &AtomicBool) -> Result<AnomalyList, SourceError> {
        let (Some(det), Some(rule)) = (&self.det, q.scope.rule) else {
            return Err(SourceError::NoModel);
        };
        let selected = self.rows(&q.scope)?;
        check(cancel)?;
        let member = selected.as_ref().map(|rows| {
            let mut m = vec![false; self.ds.rows];
            for &r in rows.iter() {
                if let Some(x) = m.get_mut(r as usize) {
                    *x = true;
                }
            }
            m
        });
        let index = &det.detection.index;
        let sel = index.select(rule);
        let inside: Vec<usize> = index
            .flagged(&sel)
            .filter(|&r| {
                member
                    .as_ref()
                    .is_none_or(|m| m.get(r).copied().unwrap_or(false))
            })
            .collect();
        let rows = inside
            .iter()
            .take(q.limit)
            .map(|&r| {
                let patterns = det.patterns(&self.ds, r);
                Anomaly {
                    cells: (0..self.ds.columns.len())
                        .map(|c| self.ds.cell_text(r, c).into_owned())
                        .collect(),
                    id: self.ds.origin_row(r) as RowId,
                    score: det.scores().get(r).copied().unwrap_or(f64::NAN),
                    rank: index.rank_of(r).map_or(0, |k| k + 1),
                    why: det.explanation_line_for(det.explain(&self.ds, r).as_ref(), &patterns),
                    patterns: patterns.iter().map(ToString::to_string).collect(),
                }
            })
            .collect();
        Ok(AnomalyList {
            threshold: sel.threshold,
            total: inside.len(),
            rows,
        })
    }

    fn detail(
        &self,
        id: RowId,
        scope: &Scope,
        sessions: usize,
        cancel: &AtomicBool,
    ) -> Result<RecordDetail, SourceError> {
        let row = self.row_index(id)?;
        let ds = &self.ds;
        let flags = self.flags(scope.rule);
        let flags = flags.as_deref().map(Vec::as_slice);
        let det = self.det.as_ref();
        let detail = RecordDetail {
            record: self.record(row, flags),
            fields: ds
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name.clone(), ds.cell_text(row, i).into_owned()))
                .collect(),
            derived: Derived::ALL
                .into_iter()
                .filter(|d| d.available(ds))
                .map(|d| (d.name().to_string(), d.value(ds, row)))
                .collect(),
            rank: det.and_then(|d| d.detection.index.rank_of(row).map(|r| (r + 1, ds.rows))),
            explanation: det.and_then(|d| d.explain(ds, row)),
            patterns: det.map_or_else(Vec::new, |d| {
                d.patterns(ds, row)
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            }),
            same_source: None,
            facts: None,
        };
        check(cancel)?;
        let facts = match det {
            Some(d) => {
                let threshold = scope.rule.map(|r| d.detection.index.select(r).threshold);
                Some(super::facts::plain_facts(
                    ds, d, row, flags, threshold, cancel,
                )?)
            }
            None => None,
        };
        Ok(RecordDetail {
            same_source: self.same_source(row, sessions, flags),
            facts,
            ..detail
        })
    }
}

/// The ranking keys a dataset offers: (label, column name).
pub fn ranking_keys(ds: &Dataset) -> Vec<(String, String)> {
    dimensions(ds)
        .into_iter()
        .filter_map(|(label, i)| ds.columns.get(i).map(|c| (label, c.name.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Contamination;
    use crate::detect::pipeline::DetectParams;

    fn demo() -> LocalSource {
        let ds = Arc::new(crate::ingest::load_bytes("<demo>", crate::demo::EMBEDDED).unwrap());
        let det = DetectionRun::run(
            &ds,
            &DetectParams::defaults_for(&ds),
            &crate::detect::RunControl::default(),
        )
        .unwrap();
        LocalSource::new(ds, Some(Arc::new(det)))
    }

    fn scope(filter: Option<&str>) -> Scope {
        Scope {
            filter: filter.map(String::from),
            rule: Some(Rule::Contamination(Contamination::Fraction(0.05))),
        }
    }

    #[test]
    fn views_of_one_scope_agree() {
        let s = demo();
        let no = AtomicBool::new(false);
        let sc = scope(Some("country = RU"));
        let page = s
            .records(
                &RecordsQuery {
                    scope: sc.clone(),
                    sort: None,
                    offset: 0,
                    limit: 10,
                },
                &no,
            )
            .unwrap();
        let summary = s.summary(&sc, &no).unwrap();
        assert!(page.total > 0 && page.total < s.info().rows);
        assert_eq!(summary.rows, page.total);
        let t = s
            .timeline(
                &TimelineQuery {
                    scope: sc.clone(),
                    ..Default::default()
                },
                &no,
            )
            .unwrap();
        let in_buckets: u64 = t.series.buckets.iter().map(|b| b.sessions).sum();
        assert_eq!(in_buckets as usize, page.total);
        let r = s
            .ranking(
                &RankingQuery {
                    scope: sc.clone(),
                    key: "src_ip".into(),
                    by: Default::default(),
                    top: 5,
                },
                &no,
            )
            .unwrap();
        assert!(r.rows.len() <= 5 && r.distinct >= r.rows.len());
        let a = s
            .anomalies(
                &AnomalyQuery {
                    scope: sc.clone(),
                    limit: 1000,
                },
                &no,
            )
            .unwrap();
        let flagged_in_page: usize = t.flagged.iter().sum::<u64>() as usize;
        assert_eq!(a.total, flagged_in_page);
        assert!(a.rows.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn source_ip_rankings_count_destination_ports_and_addresses() {
        let s = demo();
        let no = AtomicBool::new(false);
        let q = |key: &str| RankingQuery {
            scope: scope(None),
            key: key.into(),
            by: Default::default(),
            top: usize::MAX,
        };
        let r = s.ranking(&q("src_ip"), &no).unwrap();
        let scanner = r.rows.iter().find(|x| x.key == "198.51.100.23").unwrap();
        assert_eq!((scanner.dst_ports, scanner.dst_addrs), (Some(50), Some(1)));
        assert!(r.rows.iter().all(|x| x.dst_ports.is_some_and(|p| p >= 1)));
        let c = s.ranking(&q("src_ip_country_code"), &no).unwrap();
        assert!(c.rows.iter().all(|x| x.dst_ports.is_none()));
    }

    #[test]
    fn sorted_pages_and_details() {
        let s = demo();
        let no = AtomicBool::new(false);
        let q = RecordsQuery {
            scope: scope(None),
            sort: Some(super::super::SortKey {
                column: "bytes_in".into(),
                descending: true,
            }),
            offset: 0,
            limit: 3,
        };
        let page = s.records(&q, &no).unwrap();
        assert_eq!(page.total, s.info().rows);
        let d = s
            .detail(page.rows[0].id, &q.scope, usize::MAX, &no)
            .unwrap();
        assert_eq!(d.record, page.rows[0]);
        let same = d.same_source.unwrap();
        assert!(same.total >= 1 && same.sessions.iter().any(|x| x.id == page.rows[0].id));
        assert!(matches!(
            s.detail(u64::MAX, &q.scope, 1, &no),
            Err(SourceError::UnknownRow(..))
        ));
        let bad = RecordsQuery {
            scope: scope(Some("bytes_inn > 1")),
            ..q
        };
        assert!(matches!(s.records(&bad, &no), Err(SourceError::Filter(_))));
        assert_eq!(s.records(&bad, &AtomicBool::new(true)).ok(), None);
    }
}
