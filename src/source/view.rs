//! The filtered view every tab shows, computed on the worker thread.
//!
//! A [`ViewRequest`] (filter text, sort, bucket width, and a snapshot of the
//! detection flags) becomes [`ViewData`]: the selected rows in display order,
//! the summary, the rankings with flagged counts and per-entity activity, and the
//! time series. Computing it is pure; the app only swaps the result in.

use crate::analysis::Rows;
use crate::analysis::histogram::{self, Histogram};
use crate::analysis::rankings::{self, Groups, RankBy, RankRow};
use crate::analysis::summary::{self, Summary, SummaryOptions};
use crate::analysis::timeseries::{self, Series};
use crate::dataset::{ColumnData, Dataset, Role};
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct ViewRequest {
    pub filter: Option<String>,
    /// Column index and descending.
    pub sort: Option<(usize, bool)>,
    /// Timeline bucket width; `None` picks one automatically.
    pub bucket_secs: Option<i64>,
    /// Optional time window (ms) to zoom the timeline into.
    pub zoom: Option<(i64, i64)>,
    pub flagged: Option<Arc<Vec<bool>>>,
    pub scores: Option<Arc<Vec<f64>>>,
    /// The view this request replaces: its selection and statistics are reused
    /// when only the sort order or the timeline changed.
    pub prev: Option<Arc<ViewData>>,
}

fn same<T>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// One ranking (one dimension).
#[derive(Debug, Clone)]
pub struct Ranking {
    pub dimension: String,
    pub rows: Vec<RankedEntity>,
}

/// A ranked entity with detection figures and its activity over time.
#[derive(Debug, Clone)]
pub struct RankedEntity {
    pub row: RankRow,
    pub flagged: u64,
    pub max_score: Option<f64>,
    /// Sessions per time bucket (for a mini sparkline); empty when not computed.
    pub activity: Vec<u64>,
    /// Distinct destination ports and addresses (source-IP rankings only).
    pub reach: Option<rankings::Reach>,
}

/// The view.
#[derive(Debug, Clone)]
pub struct ViewData {
    /// Selected rows in display order.
    pub rows: Arc<Vec<u32>>,
    pub filtered: bool,
    /// `member[row]` when filtered.
    pub member: Option<Arc<Vec<bool>>>,
    pub summary: Summary,
    /// Per numeric column of `summary` (same order): its histogram, linear and log, in
    /// [`histogram::VIEW_BINS`] bins (computed here so the Summary tab only draws).
    pub histograms: Arc<Vec<(Histogram, Histogram)>>,
    pub rankings: Vec<Ranking>,
    pub series: Series,
    /// Flagged sessions per time bucket of `series`.
    pub bucket_flagged: Vec<u64>,
    /// The source → destination graph (None without src_ip and dst_ip).
    pub flows: Option<crate::analysis::flows::Flows>,
    pub request: ViewRequest,
    /// False for [`rows_only`]'s quick answer: rows and order only, the statistics,
    /// rankings, timeline and flows still to come.
    pub complete: bool,
    /// Rows of the dataset it was computed over (a followed dataset grows: a view of fewer
    /// rows is not reused).
    pub source_rows: usize,
}

/// The ranking dimensions present in a dataset: (label, column index).
pub fn dimensions(ds: &Dataset) -> Vec<(String, usize)> {
    let roles = [
        (Role::Country, "countries"),
        (Role::SrcIp, "source IPs"),
        (Role::DstPort, "destination ports"),
        (Role::DstIp, "destination IPs"),
        (Role::RuleNames, "rules"),
        (Role::ObservationName, "observations"),
        (Role::DetectionTypes, "detection types"),
        (Role::Protocol, "protocols"),
        (Role::Action, "actions"),
        (Role::Interface, "interfaces"),
        (Role::Account, "accounts"),
        (Role::Vpc, "VPCs"),
    ];
    let mut out: Vec<(String, usize)> = roles
        .iter()
        .filter_map(|(r, label)| ds.role_index(*r).map(|i| (label.to_string(), i)))
        .collect();
    if out.is_empty() {
        // Generic mode: rank by text columns.
        out = ds
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.data, ColumnData::Text(_) | ColumnData::Ip(_)))
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
    }
    out
}

/// Selects the rows that match a filter (all rows without one).
pub fn select(
    ds: &Dataset,
    filter: Option<&str>,
    flagged: Option<&[bool]>,
    scores: Option<&[f64]>,
) -> Result<Option<Vec<u32>>, String> {
    let Some(text) = filter.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let compiled = crate::filter::build(text, ds).map_err(|e| e.one_line(text))?;
    let ctx = crate::filter::EvalContext { flagged, scores };
    Ok(Some(compiled.select(ds, &ctx)))
}

fn cancelled(c: &AtomicBool) -> Result<(), String> {
    if c.load(Ordering::Relaxed) {
        Err("cancelled".into())
    } else {
        Ok(())
    }
}

/// Computes the view.
pub fn compute(
    ds: &Dataset,
    mut req: ViewRequest,
    cancel: &AtomicBool,
) -> Result<ViewData, String> {
    // Same filter as the previous view: its selection and statistics still hold, unless the
    // filter reads the flags and they changed. Same flags too: so do the rankings and flows.
    let flags_same = |p: &ViewData| {
        same(&p.request.flagged, &req.flagged) && same(&p.request.scores, &req.scores)
    };
    let reuse = req.prev.take().filter(|p| {
        p.complete
            && p.source_rows == ds.rows
            && p.request.filter == req.filter
            && (flags_same(p) || !reads_flags(ds, req.filter.as_deref()))
    });
    let histograms = reuse.as_ref().map(|p| p.histograms.clone());
    let (filtered, mut rows, member, summary, rankings, flows) = match &reuse {
        Some(p) => {
            let mut rows = p.rows.as_ref().clone();
            if p.request.sort.is_some() && req.sort.is_none() {
                rows.par_sort_unstable();
            }
            let keep = flags_same(p);
            (
                p.filtered,
                rows,
                p.member.clone(),
                Some(p.summary.clone()),
                keep.then(|| p.rankings.clone()),
                keep.then(|| p.flows.clone()),
            )
        }
        None => {
            let (filtered, rows, member) = selection(ds, &req)?;
            (filtered, rows, member, None, None, None)
        }
    };
    cancelled(cancel)?;
    if let Some((col, desc)) = req.sort
        && reuse.as_ref().is_none_or(|p| p.request.sort != req.sort)
        && reuse.is_some()
    {
        sort_rows(ds, &mut rows, col, desc);
    }
    let sel = if filtered {
        Rows::Subset(&rows)
    } else {
        Rows::All(ds.rows)
    };
    let summary = match summary {
        Some(s) => s,
        None => summary::summarize(
            ds,
            sel,
            SummaryOptions {
                top: 50,
                rejects_shown: 0,
            },
        ),
    };
    cancelled(cancel)?;
    let histograms = histograms.unwrap_or_else(|| Arc::new(histograms_of(ds, &summary, sel)));
    cancelled(cancel)?;
    let range = timeseries::time_range(ds, sel);
    let window = req.zoom.or(range);
    // A width the user picked is kept, but never narrower than the data's cadence.
    let width = match req.bucket_secs {
        Some(w) => w.max(timeseries::cadence(ds, sel).unwrap_or(1)),
        None => timeseries::default_width(ds, sel, window),
    };
    let series = match req.zoom {
        Some((a, b)) => {
            let zoomed: Vec<u32> = rows
                .iter()
                .copied()
                .filter(|&r| ds.start_time(r as usize).is_some_and(|t| t >= a && t <= b))
                .collect();
            timeseries::series(ds, Rows::Subset(&zoomed), width)
        }
        None => timeseries::series(ds, sel, width),
    };
    let mut bucket_flagged = vec![0u64; series.buckets.len()];
    if let (Some(flags), Some(first)) = (&req.flagged, series.buckets.first()) {
        let w = series.width_secs.max(1) * 1000;
        for &r in &rows {
            if flags.get(r as usize).copied().unwrap_or(false)
                && let Some(t) = ds.start_time(r as usize)
                && let Ok(i) = usize::try_from((t - first.start).div_euclid(w))
                && let Some(x) = bucket_flagged.get_mut(i)
            {
                *x += 1;
            }
        }
    }
    let rankings = match rankings {
        Some(r) => r,
        None => {
            let mut rankings = Vec::new();
            for (label, col) in dimensions(ds) {
                cancelled(cancel)?;
                let Some(groups) = rankings::groups(ds, col) else {
                    continue;
                };
                let ranked = rankings::rank_groups(ds, &groups, sel, RankBy::Sessions);
                let reach = (ds.role_index(Role::SrcIp) == Some(col))
                    .then(|| rankings::reach(ds, &groups, sel))
                    .flatten();
                let mut rows = enrich(ds, &groups, ranked, sel, &req, range);
                if let Some(reach) = reach {
                    for e in &mut rows {
                        e.reach = reach.get(e.row.group as usize).copied();
                    }
                }
                rankings.push(Ranking {
                    dimension: label,
                    rows,
                });
            }
            rankings
        }
    };
    cancelled(cancel)?;
    let flows = match flows {
        Some(f) => f,
        None => {
            let flags = req.flagged.clone();
            crate::analysis::flows::flows(ds, sel, 200, |r| {
                flags
                    .as_ref()
                    .is_some_and(|f| f.get(r).copied().unwrap_or(false))
            })
        }
    };
    cancelled(cancel)?;
    if let Some((col, desc)) = req.sort
        && reuse.is_none()
    {
        sort_rows(ds, &mut rows, col, desc);
    }
    Ok(ViewData {
        source_rows: ds.rows,
        rows: Arc::new(rows),
        filtered,
        member,
        summary,
        histograms,
        rankings,
        series,
        bucket_flagged,
        flows,
        request: req,
        complete: true,
    })
}

/// Each numeric column's histograms (linear, log) over the selected rows, columns in parallel.
fn histograms_of(ds: &Dataset, summary: &Summary, sel: Rows<'_>) -> Vec<(Histogram, Histogram)> {
    summary
        .numeric
        .0
        .par_iter()
        .map(|(name, _)| {
            let Some(src) = ds.numeric_source(name) else {
                return Default::default();
            };
            let values = match sel {
                Rows::All(_) => ds.values(src),
                Rows::Subset(rows) => rows
                    .iter()
                    .map(|&r| ds.value(src, r as usize).unwrap_or(f64::NAN))
                    .collect(),
            };
            (
                histogram::histogram(&values, histogram::VIEW_BINS, false),
                histogram::histogram(&values, histogram::VIEW_BINS, true),
            )
        })
        .collect()
}

/// Whether a filter reads detection results (`anomaly`, `score`): its rows change with the flags.
fn reads_flags(ds: &Dataset, filter: Option<&str>) -> bool {
    filter
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .is_some_and(|t| crate::filter::build(t, ds).map_or(true, |f| f.needs_detection()))
}

/// The selected rows in row order, whether a filter is on, and membership when it is.
type Selected = (bool, Vec<u32>, Option<Arc<Vec<bool>>>);

fn selection(ds: &Dataset, req: &ViewRequest) -> Result<Selected, String> {
    let selected = select(
        ds,
        req.filter.as_deref(),
        req.flagged.as_deref().map(Vec::as_slice),
        req.scores.as_deref().map(Vec::as_slice),
    )?;
    let filtered = selected.is_some();
    let rows: Vec<u32> = selected.unwrap_or_else(|| (0..ds.rows as u32).collect());
    let member = filtered.then(|| {
        let mut m = vec![false; ds.rows];
        for &r in &rows {
            if let Some(x) = m.get_mut(r as usize) {
                *x = true;
            }
        }
        Arc::new(m)
    });
    Ok((filtered, rows, member))
}

/// The quick first answer to a request: the rows in order, nothing else
/// ([`ViewData::complete`] is false), so Records can be shown while [`compute`]
/// works out the statistics.
pub fn rows_only(
    ds: &Dataset,
    mut req: ViewRequest,
    cancel: &AtomicBool,
) -> Result<ViewData, String> {
    req.prev = None;
    let (filtered, mut rows, member) = selection(ds, &req)?;
    cancelled(cancel)?;
    if let Some((col, desc)) = req.sort {
        sort_rows(ds, &mut rows, col, desc);
    }
    let summary = summary::summarize(
        ds,
        Rows::Subset(&[]),
        SummaryOptions {
            top: 0,
            rejects_shown: 0,
        },
    );
    Ok(ViewData {
        source_rows: ds.rows,
        rows: Arc::new(rows),
        filtered,
        member,
        summary,
        histograms: Arc::default(),
        rankings: Vec::new(),
        series: Series::default(),
        bucket_flagged: Vec::new(),
        flows: None,
        request: req,
        complete: false,
    })
}

/// Adds flagged counts, max scores and activity sparklines to a ranking.
fn enrich(
    ds: &Dataset,
    groups: &Groups,
    ranked: Vec<RankRow>,
    sel: Rows<'_>,
    req: &ViewRequest,
    range: Option<(i64, i64)>,
) -> Vec<RankedEntity> {
    const SPARK: usize = 24;
    const SPARK_TOP: usize = 200;
    let n = groups.labels.len();
    let mut flagged = vec![0u64; n];
    let mut max_score: Vec<Option<f64>> = vec![None; n];
    let mut activity: Vec<Option<Vec<u64>>> = vec![None; n];
    for r in ranked.iter().take(SPARK_TOP) {
        if let Some(a) = activity.get_mut(r.group as usize) {
            *a = Some(vec![0; SPARK]);
        }
    }
    let (t0, span) = range.map_or((0, 1), |(a, b)| (a, (b - a).max(1)));
    sel.for_each(|row| {
        let Some(&g) = groups.codes.get(row) else {
            return;
        };
        let g = g as usize;
        if let Some(f) = &req.flagged
            && f.get(row).copied().unwrap_or(false)
            && let Some(x) = flagged.get_mut(g)
        {
            *x += 1;
        }
        if let Some(s) = req.scores.as_ref().and_then(|s| s.get(row).copied())
            && let Some(m) = max_score.get_mut(g)
        {
            *m = Some(m.map_or(s, |m: f64| m.max(s)));
        }
        if let Some(Some(a)) = activity.get_mut(g)
            && let Some(t) = ds.start_time(row)
        {
            let i = (((t - t0) as f64 / span as f64) * (SPARK - 1) as f64).round() as usize;
            if let Some(x) = a.get_mut(i.min(SPARK - 1)) {
                *x += 1;
            }
        }
    });
    ranked
        .into_iter()
        .map(|row| {
            let g = row.group as usize;
            RankedEntity {
                flagged: flagged.get(g).copied().unwrap_or(0),
                max_score: max_score.get(g).copied().flatten(),
                activity: activity
                    .get_mut(g)
                    .and_then(Option::take)
                    .unwrap_or_default(),
                reach: None,
                row,
            }
        })
        .collect()
}

/// Sorts row indices by a column (missing values last), stable.
pub fn sort_rows(ds: &Dataset, rows: &mut [u32], col: usize, desc: bool) {
    let Some(column) = ds.columns.get(col) else {
        return;
    };
    use std::cmp::Ordering as O;
    let flip = |o: O| if desc { o.reverse() } else { o };
    match &column.data {
        ColumnData::Text(d) => {
            let mut order: Vec<usize> = (0..d.values.len()).collect();
            order.sort_by(|&a, &b| d.values.get(a).cmp(&d.values.get(b)));
            let mut rank = vec![0u32; d.values.len()];
            for (i, &v) in order.iter().enumerate() {
                if let Some(r) = rank.get_mut(v) {
                    *r = i as u32;
                }
            }
            let key = |r: u32| {
                d.codes
                    .get(r as usize)
                    .and_then(|c| rank.get(c as usize))
                    .copied()
            };
            rows.par_sort_by(|&a, &b| flip(key(a).cmp(&key(b))));
        }
        ColumnData::Ip(d) => {
            let key = |r: u32| d.value(r as usize).copied().flatten();
            rows.par_sort_by(|&a, &b| match (key(a), key(b)) {
                (Some(x), Some(y)) => flip(x.cmp(&y)),
                (Some(_), None) => O::Less,
                (None, Some(_)) => O::Greater,
                (None, None) => O::Equal,
            });
        }
        ColumnData::Time(t) => {
            let key = |r: u32| {
                t.get(r as usize)
                    .filter(|x| *x != crate::dataset::MISSING_TIME)
            };
            rows.par_sort_by(|&a, &b| match (key(a), key(b)) {
                (Some(x), Some(y)) => flip(x.cmp(&y)),
                (Some(_), None) => O::Less,
                (None, Some(_)) => O::Greater,
                (None, None) => O::Equal,
            });
        }
        data => {
            let key = |r: u32| data.number(r as usize);
            rows.par_sort_by(|&a, &b| match (key(a), key(b)) {
                (Some(x), Some(y)) => flip(x.total_cmp(&y)),
                (Some(_), None) => O::Less,
                (None, Some(_)) => O::Greater,
                (None, None) => O::Equal,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Dataset {
        crate::ingest::load_bytes("<demo>", crate::demo::EMBEDDED).unwrap()
    }

    fn flags(ds: &Dataset, every: usize) -> (Arc<Vec<bool>>, Arc<Vec<f64>>) {
        let f: Vec<bool> = (0..ds.rows).map(|r| r % every == 0).collect();
        let s: Vec<f64> = f.iter().map(|&x| if x { 0.9 } else { 0.1 }).collect();
        (Arc::new(f), Arc::new(s))
    }

    #[test]
    fn rows_first_are_the_rows_of_the_full_view() {
        let ds = demo();
        let cancel = AtomicBool::new(false);
        let req = ViewRequest {
            filter: Some("bytes_in > 1000".into()),
            sort: Some((0, true)),
            ..ViewRequest::default()
        };
        let quick = rows_only(&ds, req.clone(), &cancel).unwrap();
        let full = compute(&ds, req, &cancel).unwrap();
        assert!(!quick.complete && full.complete);
        assert_eq!(quick.rows, full.rows);
        assert!(!quick.rows.is_empty() && quick.rows.len() < ds.rows);
    }

    /// A prior view whose summary is marked, to see whether it was reused.
    fn marked(ds: &Dataset, filter: &str, cancel: &AtomicBool) -> Arc<ViewData> {
        let (f, s) = flags(ds, 3);
        let req = ViewRequest {
            filter: Some(filter.into()),
            flagged: Some(f),
            scores: Some(s),
            ..ViewRequest::default()
        };
        let mut v = compute(ds, req, cancel).unwrap();
        v.summary.rows = 999_999;
        Arc::new(v)
    }

    #[test]
    fn new_flags_reuse_the_statistics_unless_the_filter_reads_them() {
        let ds = demo();
        let cancel = AtomicBool::new(false);
        let (f, s) = flags(&ds, 7);
        let again = |filter: &str, prev| {
            let req = ViewRequest {
                filter: Some(filter.into()),
                flagged: Some(f.clone()),
                scores: Some(s.clone()),
                prev: Some(prev),
                ..ViewRequest::default()
            };
            compute(&ds, req, &cancel).unwrap()
        };
        let v = again("bytes_in > 0", marked(&ds, "bytes_in > 0", &cancel));
        assert_eq!(v.summary.rows, 999_999, "the summary is computed once");
        // The rankings follow the new flags.
        let flagged: u64 = v.rankings[0].rows.iter().map(|e| e.flagged).sum();
        assert!(flagged > 0);
        let v = again("anomaly", marked(&ds, "anomaly", &cancel));
        assert_ne!(
            v.summary.rows, 999_999,
            "a filter on the flags selects anew"
        );
    }
}
