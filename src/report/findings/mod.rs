//! Findings: what the data says, gathered into one value the report formats render.
//!
//! Built from a dataset, a detection run and its selection: overview, anomaly
//! overview, patterns with examples, suspicious source IPs, geographic and time
//! trends, the notebooks' heuristic alert (bytes_in above mean + 3σ) beside the
//! model, evaluation when a label exists, and recommendations derived from the
//! figures found (never generic text). Pure: no I/O, no terminal.
//!
//! This file holds the values and the entry points; [`sections`] computes each section from one
//! [`Ctx`] (the rows in scope, the flagged rows), side by side; [`recommend`] derives the advice.

mod recommend;
mod sections;

use crate::analysis::Rows;
use crate::analysis::rankings::{self, RankBy};
use crate::analysis::summary::{self, Summary, SummaryOptions};
use crate::analysis::timeseries::Series;
use crate::dataset::{Dataset, Role};
use crate::detect::pipeline::DetectionRun;
use crate::detect::{Evaluation, Pattern, Selection};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub source: String,
    /// Sessions the report covers (the rows in view under a filter).
    pub rows: usize,
    /// Sessions in the whole file.
    pub file_rows: usize,
    /// The explorer's filter the report was written under (`None`: the whole file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    pub rejected: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub unique_src_ips: usize,
    pub countries: usize,
    pub bytes_in: u128,
    /// `None` (left out of the JSON) when the data has no bytes-out column, as flow logs have
    /// one byte count: never a made-up 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_out: Option<u128>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnomalyOverview {
    pub flagged: usize,
    pub share: f64,
    pub threshold: f64,
    pub rule: String,
    pub features: Vec<String>,
    pub trees: usize,
    pub sample_size: usize,
    pub seed: u64,
    /// Score quantiles: min, median, p95, p99, max.
    pub score_min: f64,
    pub score_median: f64,
    pub score_p95: f64,
    pub score_p99: f64,
    pub score_max: f64,
    /// Score histogram (20 bins over [min, max]).
    pub histogram: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExampleRow {
    pub row: usize,
    pub time: Option<String>,
    pub src_ip: Option<String>,
    pub country: Option<String>,
    pub bytes_in: Option<f64>,
    pub bytes_out: Option<f64>,
    pub dst_port: Option<f64>,
    pub score: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PatternFinding {
    pub pattern: String,
    pub description: String,
    /// Flagged rows showing it.
    pub flagged_rows: usize,
    /// All rows showing it.
    pub all_rows: usize,
    pub source_ips: Vec<String>,
    pub examples: Vec<ExampleRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuspiciousIp {
    pub src_ip: String,
    pub flagged: usize,
    pub sessions: usize,
    pub share_flagged: f64,
    pub max_score: f64,
    pub top3_mean: f64,
    pub countries: Vec<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub bytes_in: u128,
    pub bytes_out: u128,
}

#[derive(Debug, Clone, Serialize)]
pub struct CountryTrend {
    pub country: String,
    pub sessions: u64,
    pub session_share: f64,
    pub bytes_in: u128,
    pub bytes_in_share: f64,
    pub flagged: usize,
    pub flagged_share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeTrends {
    pub bucket: String,
    pub busiest_start: Option<String>,
    pub busiest_sessions: u64,
    pub busiest_bytes_start: Option<String>,
    pub busiest_bytes_in: u128,
    pub spikes: Vec<String>,
    /// (from, to) of quiet gaps of at least an hour.
    pub quiet_gaps: Vec<(String, String)>,
    pub series: Series,
    /// Flagged sessions per bucket of `series`.
    pub flagged_per_bucket: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeuristicAlert {
    pub rule: String,
    pub cutoff: f64,
    pub rows: usize,
    pub also_flagged_by_model: usize,
    pub model_only: usize,
}

/// Everything the report says.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    pub overview: Overview,
    pub anomalies: AnomalyOverview,
    pub patterns: Vec<PatternFinding>,
    pub suspicious_ips: Vec<SuspiciousIp>,
    /// Flagged sources from per-source (entity) detection; filled by the caller.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suspicious_sources: Vec<crate::detect::entity::EntityReport>,
    pub geography: Vec<CountryTrend>,
    pub time: Option<TimeTrends>,
    pub heuristic: Option<HeuristicAlert>,
    pub evaluation: Option<Evaluation>,
    pub recommendations: Vec<String>,
    pub summary: Summary,
    /// Flow-log attack shapes (rejected scans, large transfers out, short SSH/RDP sessions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flow_patterns: Vec<crate::analysis::flow_patterns::FlowPattern>,
}

/// The summary the findings are built on (all rows, top 20 of each ranking).
pub fn summary_for(ds: &Dataset) -> Summary {
    summary::summarize(
        ds,
        Rows::All(ds.rows),
        SummaryOptions {
            top: 20,
            rejects_shown: 20,
        },
    )
}

/// The rows a report covers when the explorer has a filter on: the rows on screen and the
/// filter's text. The model, its scores and the threshold stay those of the whole file — what
/// the screen shows — so the report's flagged rows and row numbers are the screen's.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub filter: &'a str,
    /// Row numbers (0-based, as on screen and in the CSV export).
    pub rows: &'a [u32],
}

/// The findings of the rows in `scope` under a run fitted on the whole file (see [`Scope`]).
pub fn build_scoped(
    ds: &Dataset,
    run: &DetectionRun,
    selection: &Selection,
    rule: &str,
    scope: Scope<'_>,
) -> Findings {
    let summary = summary::summarize(
        ds,
        Rows::Subset(scope.rows),
        SummaryOptions {
            top: 20,
            rejects_shown: 20,
        },
    );
    build_in(ds, run, selection, None, rule, summary, Some(scope))
}

/// Gathers the findings.
pub fn build(
    ds: &Dataset,
    run: &DetectionRun,
    selection: &Selection,
    evaluation: Option<Evaluation>,
    rule: &str,
) -> Findings {
    build_with_summary(ds, run, selection, evaluation, rule, summary_for(ds))
}

/// [`build`] with the summary already computed by [`summary_for`] (e.g. while detection ran).
pub fn build_with_summary(
    ds: &Dataset,
    run: &DetectionRun,
    selection: &Selection,
    evaluation: Option<Evaluation>,
    rule: &str,
    summary: Summary,
) -> Findings {
    build_in(ds, run, selection, evaluation, rule, summary, None)
}

/// Whether each row is in the scope (`None` when the scope is the whole file).
fn membership(ds: &Dataset, scope: Option<Scope<'_>>) -> Option<Vec<bool>> {
    scope.map(|s| {
        let mut m = vec![false; ds.rows];
        for &r in s.rows {
            if let Some(x) = m.get_mut(r as usize) {
                *x = true;
            }
        }
        m
    })
}

/// What every section reads: the dataset and run, the rows in scope and which of them are flagged.
#[derive(Clone, Copy)]
struct Frame<'a> {
    ds: &'a Dataset,
    run: &'a DetectionRun,
    selection: &'a Selection,
    scope: Option<Scope<'a>>,
    all: Rows<'a>,
    n_rows: usize,
    /// Bytes in over the rows in scope.
    bin: u128,
    summary: &'a Summary,
}

/// A [`Frame`] with the rows in view and the flagged rows among them.
struct Ctx<'a> {
    frame: Frame<'a>,
    member: Option<Vec<bool>>,
    flagged: Vec<usize>,
}

impl<'a> std::ops::Deref for Ctx<'a> {
    type Target = Frame<'a>;
    fn deref(&self) -> &Frame<'a> {
        &self.frame
    }
}

impl Ctx<'_> {
    fn in_view(&self, r: usize) -> bool {
        self.member
            .as_ref()
            .is_none_or(|m| m.get(r).copied().unwrap_or(false))
    }

    fn is_flagged(&self, r: usize) -> bool {
        self.in_view(r) && self.run.detection.index.is_flagged(self.selection, r)
    }
}

/// Bytes in and out over the rows in scope (from the country ranking when there is one).
fn traffic(ds: &Dataset, all: Rows<'_>, countries: &[rankings::RankRow]) -> (u128, u128) {
    if !countries.is_empty() {
        return countries.iter().fold((0, 0), |(a, b), r| {
            (a + r.bytes_in.sum, b + r.bytes_out.sum)
        });
    }
    let sum = |role| {
        ds.role(role).map_or(0u128, |c| {
            let mut sum = 0u128;
            all.for_each(|r| sum += c.data.number(r).map_or(0, |x| x as u128));
            sum
        })
    };
    (sum(Role::BytesIn), sum(Role::BytesOut))
}

fn build_in(
    ds: &Dataset,
    run: &DetectionRun,
    selection: &Selection,
    evaluation: Option<Evaluation>,
    rule: &str,
    summary: Summary,
    scope: Option<Scope<'_>>,
) -> Findings {
    let all = scope.map_or(Rows::All(ds.rows), |s| Rows::Subset(s.rows));
    let n_rows = all.len();
    let mut laps = crate::timing::Laps::start();
    // The summary's country totals when it is over these rows (the whole file), else ranked here.
    let totals = summary
        .country_totals
        .filter(|t| scope.is_none() && summary.rows == n_rows && t.countries > 0);
    let (countries, (bin, bout)) = match totals {
        Some(t) => (t.countries, (t.bytes_in, t.bytes_out)),
        None => {
            let ranked = ds
                .role_index(Role::Country)
                .map(|i| rankings::rank(ds, i, all, RankBy::Sessions))
                .unwrap_or_default();
            (ranked.len(), traffic(ds, all, &ranked))
        }
    };
    let overview = Overview {
        source: ds.source.clone(),
        rows: n_rows,
        file_rows: ds.rows,
        filter: scope.map(|s| s.filter.to_string()),
        rejected: ds.rejects.total,
        first: summary.time_range.as_ref().map(|t| t.first.clone()),
        last: summary.time_range.as_ref().map(|t| t.last.clone()),
        unique_src_ips: summary.unique_src_ips,
        countries,
        bytes_in: bin,
        bytes_out: ds.role(Role::BytesOut).is_some().then_some(bout),
        notes: ds.notes.iter().chain(run.notes.iter()).cloned().collect(),
    };
    laps.lap("findings: overview");
    let mut c = Ctx {
        frame: Frame {
            ds,
            run,
            selection,
            scope,
            all,
            n_rows,
            bin,
            summary: &summary,
        },
        member: membership(ds, scope),
        flagged: Vec::new(),
    };
    c.flagged = run
        .detection
        .index
        .flagged(selection)
        .filter(|&r| c.in_view(r))
        .collect();
    let (sections, flow_patterns) = rayon::join(
        || sections::all(&c, rule),
        || crate::analysis::flow_patterns::find_in(ds, all),
    );
    let mut f = Findings {
        overview,
        anomalies: sections.anomalies,
        patterns: sections.patterns,
        suspicious_ips: sections.suspicious_ips,
        suspicious_sources: Vec::new(),
        geography: sections.geography,
        time: sections.time,
        heuristic: sections.heuristic,
        evaluation,
        recommendations: Vec::new(),
        summary,
        flow_patterns,
    };
    f.recommendations = recommend::recommendations(&f);
    f
}
