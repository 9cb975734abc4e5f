//! Findings: what the data says, gathered into one value the report formats render.
//!
//! Built from a dataset, a detection run and its selection: overview, anomaly
//! overview, patterns with examples, suspicious source IPs, geographic and time
//! trends, the notebooks' heuristic alert (bytes_in above mean + 3σ) beside the
//! model, evaluation when a label exists, and recommendations derived from the
//! figures found (never generic text). Pure: no I/O, no terminal.

use crate::analysis::rankings::{self, RankBy};
use crate::analysis::summary::{self, Summary, SummaryOptions};
use crate::analysis::timeseries::{self, Series};
use crate::analysis::{Rows, stats};
use crate::dataset::{Dataset, Role, format_time};
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
    pub bytes_out: u128,
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

fn text(ds: &Dataset, row: usize, role: Role) -> Option<String> {
    let i = ds.role_index(role)?;
    let t = ds.cell_text(row, i);
    (!t.is_empty()).then(|| t.into_owned())
}

fn example(ds: &Dataset, run: &DetectionRun, row: usize) -> ExampleRow {
    let num = |r: Role| ds.role(r).and_then(|c| c.data.number(row));
    ExampleRow {
        row: ds.origin_row(row),
        time: ds.start_time(row).map(format_time),
        src_ip: text(ds, row, Role::SrcIp),
        country: text(ds, row, Role::Country),
        bytes_in: num(Role::BytesIn),
        bytes_out: num(Role::BytesOut),
        dst_port: num(Role::DstPort),
        score: run.scores().get(row).copied().unwrap_or(0.0),
    }
}

fn pattern_key(p: &Pattern) -> (&'static str, &'static str) {
    match p {
        Pattern::Exfiltration => (
            "high bytes in, low bytes out",
            "much more data in than out, and a lot of it: possible exfiltration",
        ),
        Pattern::Burst => (
            "bursts in short sessions",
            "a very high rate, or far more in than out, in sessions shorter than the median: possible DDoS",
        ),
        Pattern::HighRate => (
            "very high rate",
            "bytes per second in the top 1% in sessions of median length or longer: possible bulk transfer",
        ),
        Pattern::SuspiciousPort(_) => (
            "suspicious destination port",
            "remote-login, file-sharing, database or dynamic ports: possible brute force or unauthorised access",
        ),
        Pattern::ManyShortSessions(_) => (
            "repetitive short sessions from one IP",
            "many short sessions from the same address: possible brute force or scanning",
        ),
    }
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
    let member = membership(ds, scope);
    let in_view = |r: usize| {
        member
            .as_ref()
            .is_none_or(|m| m.get(r).copied().unwrap_or(false))
    };
    let mut laps = crate::timing::Laps::start();
    let index = &run.detection.index;
    let flagged_set: Vec<usize> = index.flagged(selection).filter(|&r| in_view(r)).collect();
    let is_flagged = |r: usize| in_view(r) && index.is_flagged(selection, r);
    let scores = run.scores();

    // Overview.
    let ranked_countries = ds
        .role_index(Role::Country)
        .map(|i| rankings::rank(ds, i, all, RankBy::Sessions))
        .unwrap_or_default();
    let (bin, bout) = ranked_countries.iter().fold((0u128, 0u128), |(a, b), r| {
        (a + r.bytes_in.sum, b + r.bytes_out.sum)
    });
    let (bin, bout) = if ranked_countries.is_empty() {
        let sum = |role| {
            ds.role(role).map_or(0u128, |c| {
                let mut sum = 0u128;
                all.for_each(|r| sum += c.data.number(r).map_or(0, |x| x as u128));
                sum
            })
        };
        (sum(Role::BytesIn), sum(Role::BytesOut))
    } else {
        (bin, bout)
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
        countries: ranked_countries.len(),
        bytes_in: bin,
        bytes_out: bout,
        notes: ds.notes.iter().chain(run.notes.iter()).cloned().collect(),
    };

    laps.lap("findings: overview");
    let anomalies_section = || {
        // Score distribution.
        // Of the rows in scope: all of them, or the view's (ascending).
        let in_scope: Option<Vec<f64>> = scope.map(|_| {
            let mut v = all.gather(scores);
            v.sort_by(f64::total_cmp);
            v
        });
        let descending = index.sorted_descending();
        let n = in_scope.as_ref().map_or(descending.len(), Vec::len);
        let at = |i: usize| match &in_scope {
            Some(v) => v[i],
            None => descending[n - 1 - i],
        };
        let q = |p| stats::quantile_sorted_at(n, at, p).unwrap_or(0.0);
        let h =
            crate::analysis::histogram::histogram(in_scope.as_deref().unwrap_or(scores), 20, false);
        let p = run.detection.params();
        AnomalyOverview {
            flagged: flagged_set.len(),
            share: flagged_set.len() as f64 / n_rows.max(1) as f64,
            threshold: selection.threshold,
            rule: rule.to_string(),
            features: run.feature_names.clone(),
            trees: p.trees,
            sample_size: p.sample_size,
            seed: p.seed,
            score_min: q(0.0),
            score_median: q(0.5),
            score_p95: q(0.95),
            score_p99: q(0.99),
            score_max: q(1.0),
            histogram: h.counts,
        }
    };
    let patterns_section = || {
        // Patterns among flagged rows (and how common each is overall).
        let mut patterns: Vec<PatternFinding> = Vec::new();
        if run.patterns.is_some() {
            use rayon::prelude::*;
            // Every row's patterns, counted in parallel over blocks of rows.
            const BLOCK: usize = 64 * 1024;
            let counted = if let Some(s) = scope {
                let mut m = std::collections::BTreeMap::<&'static str, usize>::new();
                for &r in s.rows {
                    for pt in run.patterns(ds, r as usize) {
                        *m.entry(pattern_key(&pt).0).or_default() += 1;
                    }
                }
                m
            } else {
                (0..ds.rows.div_ceil(BLOCK))
                    .into_par_iter()
                    .fold(
                        std::collections::BTreeMap::<&'static str, usize>::new,
                        |mut m, b| {
                            let rows = b * BLOCK..((b + 1) * BLOCK).min(ds.rows);
                            run.for_each_patterns(ds, rows, |_, found| {
                                for pt in found {
                                    *m.entry(pattern_key(&pt).0).or_default() += 1;
                                }
                            });
                            m
                        },
                    )
                    .reduce(Default::default, |mut a, b| {
                        for (k, n) in b {
                            *a.entry(k).or_default() += n;
                        }
                        a
                    })
            };
            let counts_all = counted;
            for &r in &flagged_set {
                for pt in run.patterns(ds, r) {
                    let (name, description) = pattern_key(&pt);
                    let entry = match patterns.iter_mut().position(|x| x.pattern == name) {
                        Some(i) => &mut patterns[i],
                        None => {
                            patterns.push(PatternFinding {
                                pattern: name.into(),
                                description: description.into(),
                                flagged_rows: 0,
                                all_rows: counts_all.get(name).copied().unwrap_or(0),
                                source_ips: Vec::new(),
                                examples: Vec::new(),
                            });
                            let last = patterns.len() - 1;
                            &mut patterns[last]
                        }
                    };
                    entry.flagged_rows += 1;
                    if entry.examples.len() < 3 {
                        entry.examples.push(example(ds, run, r));
                    }
                    if let Some(ip) = text(ds, r, Role::SrcIp)
                        && !entry.source_ips.contains(&ip)
                        && entry.source_ips.len() < 10
                    {
                        entry.source_ips.push(ip);
                    }
                }
            }
            patterns.sort_by_key(|p| std::cmp::Reverse(p.flagged_rows));
        }
        patterns
    };
    let suspicious_ips_section = || {
        // Suspicious source IPs.
        let mut suspicious_ips = Vec::new();
        if let Some(ipcol) = ds.role_index(Role::SrcIp)
            && let Some(groups) = rankings::groups(ds, ipcol)
        {
            let agg = match scope {
                // The view's rows only, numbered 0.. in the view.
                Some(s) => {
                    let pick = |i: usize| s.rows.get(i).map_or(usize::MAX, |&r| r as usize);
                    let codes: Vec<u32> = (0..s.rows.len())
                        .map(|i| groups.codes.get(pick(i)).copied().unwrap_or(u32::MAX))
                        .collect();
                    crate::detect::aggregate(&codes, &groups.labels, &all.gather(scores), |i| {
                        is_flagged(pick(i))
                    })
                }
                None => crate::detect::aggregate(&groups.codes, &groups.labels, scores, is_flagged),
            }
            .unwrap_or_default();
            let top: Vec<_> = agg.into_iter().filter(|g| g.flagged > 0).take(15).collect();
            let byte_rank = rankings::rank_groups(ds, &groups, all, RankBy::Sessions);
            // When each top IP was first and last seen and from where: one pass over the rows.
            #[derive(Default)]
            struct Seen {
                first: Option<i64>,
                last: Option<i64>,
                countries: Vec<String>,
            }
            let mut slot = vec![usize::MAX; groups.labels.len()];
            for (k, g) in top.iter().enumerate() {
                if let Some(s) = slot.get_mut(g.code as usize) {
                    *s = k;
                }
            }
            let mut seen: Vec<Seen> = top.iter().map(|_| Seen::default()).collect();
            let country = ds.role_index(Role::Country);
            all.for_each(|r| {
                let Some(s) = groups
                    .codes
                    .get(r)
                    .and_then(|&c| slot.get(c as usize))
                    .and_then(|&k| seen.get_mut(k))
                else {
                    return;
                };
                if let Some(t) = ds.start_time(r) {
                    s.first = Some(s.first.map_or(t, |f| f.min(t)));
                    s.last = Some(s.last.map_or(t, |l| l.max(t)));
                }
                if let Some(i) = country
                    && s.countries.len() < 5
                {
                    let cc = ds.cell_text(r, i);
                    if !cc.is_empty() && !s.countries.iter().any(|x| *x == *cc) {
                        s.countries.push(cc.into_owned());
                    }
                }
            });
            for (
                g,
                Seen {
                    first,
                    last,
                    countries,
                },
            ) in top.into_iter().zip(seen)
            {
                let bytes = byte_rank.iter().find(|r| r.group == g.code);
                suspicious_ips.push(SuspiciousIp {
                    src_ip: g.label.clone(),
                    flagged: g.flagged,
                    sessions: g.sessions,
                    share_flagged: g.share_flagged,
                    max_score: g.max_score,
                    top3_mean: g.top3_mean,
                    countries,
                    first_seen: first.map(format_time),
                    last_seen: last.map(format_time),
                    bytes_in: bytes.map_or(0, |b| b.bytes_in.sum),
                    bytes_out: bytes.map_or(0, |b| b.bytes_out.sum),
                });
            }
        }
        suspicious_ips
    };
    let geography_section = || {
        // Geography.
        let mut geography = Vec::new();
        if let Some(ccol) = ds.role_index(Role::Country)
            && let Some(groups) = rankings::groups(ds, ccol)
        {
            let mut flagged_by = vec![0usize; groups.labels.len()];
            for &r in &flagged_set {
                if let Some(x) = groups
                    .codes
                    .get(r)
                    .and_then(|&c| flagged_by.get_mut(c as usize))
                {
                    *x += 1;
                }
            }
            for r in rankings::rank_groups(ds, &groups, all, RankBy::Sessions) {
                let f = flagged_by.get(r.group as usize).copied().unwrap_or(0);
                geography.push(CountryTrend {
                    session_share: r.sessions as f64 / n_rows.max(1) as f64,
                    bytes_in_share: if bin > 0 {
                        r.bytes_in.sum as f64 / bin as f64
                    } else {
                        0.0
                    },
                    flagged_share: f as f64 / flagged_set.len().max(1) as f64,
                    country: r.key,
                    sessions: r.sessions,
                    bytes_in: r.bytes_in.sum,
                    flagged: f,
                });
            }
        }
        geography
    };
    let time_section = || {
        // Time trends.
        timeseries::time_range(ds, all).map(|range| {
            // The Timeline's rule, so both show the same buckets and counts.
            let width = timeseries::default_width(ds, all, Some(range));
            let series = timeseries::series(ds, all, width);
            let w = width * 1000;
            let mut flagged_per_bucket = vec![0u64; series.buckets.len()];
            if let Some(first) = series.buckets.first().map(|b| b.start) {
                for &r in &flagged_set {
                    if let Some(t) = ds.start_time(r)
                        && let Ok(i) = usize::try_from((t - first).div_euclid(w))
                        && let Some(x) = flagged_per_bucket.get_mut(i)
                    {
                        *x += 1;
                    }
                }
            }
            let busiest = series.buckets.iter().max_by_key(|b| b.sessions);
            let busiest_bytes = series.buckets.iter().max_by_key(|b| b.bytes_in);
            let bytes: Vec<f64> = series.buckets.iter().map(|b| b.bytes_in as f64).collect();
            let spikes = timeseries::spikes(&bytes)
                .into_iter()
                .filter_map(|i| series.buckets.get(i).map(|b| format_time(b.start)))
                .collect();
            let min_gap = ((3600 / width.max(1)) as usize).max(1);
            let quiet_gaps = timeseries::quiet_gaps(&series, min_gap)
                .into_iter()
                .filter_map(|(i, n)| {
                    series
                        .buckets
                        .get(i)
                        .map(|b| (format_time(b.start), format_time(b.start + n as i64 * w)))
                })
                .collect();
            TimeTrends {
                bucket: timeseries::width_name(width),
                busiest_start: busiest.map(|b| format_time(b.start)),
                busiest_sessions: busiest.map_or(0, |b| b.sessions),
                busiest_bytes_start: busiest_bytes.map(|b| format_time(b.start)),
                busiest_bytes_in: busiest_bytes.map_or(0, |b| b.bytes_in),
                spikes,
                quiet_gaps,
                series,
                flagged_per_bucket,
            }
        })
    };
    let heuristic_section = || {
        // The notebooks' heuristic: bytes_in above mean + 3σ.
        summary
            .numeric
            .0
            .iter()
            .find(|(n, _)| Some(n.as_str()) == ds.role(Role::BytesIn).map(|c| c.name.as_str()))
            .and_then(|(_, st)| {
                let cutoff = st.mean? + 3.0 * st.std?;
                let col = ds.role(Role::BytesIn)?;
                let mut rows: Vec<usize> = Vec::new();
                all.for_each(|r| {
                    if col.data.number(r).is_some_and(|x| x > cutoff) {
                        rows.push(r);
                    }
                });
                let both = rows.iter().filter(|&&r| is_flagged(r)).count();
                Some(HeuristicAlert {
                    rule: "bytes_in > mean + 3σ".into(),
                    cutoff,
                    rows: rows.len(),
                    also_flagged_by_model: both,
                    model_only: flagged_set.len().saturating_sub(both),
                })
            })
    };
    // The sections are independent: they run side by side.
    use crate::timing::phase;
    let ((anomalies, patterns), ((suspicious_ips, geography), (time, heuristic))) = rayon::join(
        || {
            rayon::join(
                || phase("findings: scores", anomalies_section),
                || phase("findings: patterns", patterns_section),
            )
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || phase("findings: suspicious ips", suspicious_ips_section),
                        || phase("findings: geography", geography_section),
                    )
                },
                || {
                    rayon::join(
                        || phase("findings: time trends", time_section),
                        || phase("findings: heuristic", heuristic_section),
                    )
                },
            )
        },
    );
    let mut f = Findings {
        overview,
        anomalies,
        patterns,
        suspicious_ips,
        suspicious_sources: Vec::new(),
        geography,
        time,
        heuristic,
        evaluation,
        recommendations: Vec::new(),
        summary,
        flow_patterns: crate::analysis::flow_patterns::find_in(ds, all),
    };
    f.recommendations = recommendations(&f);
    f
}

/// Recommendations derived from the figures (each cites what it rests on).
fn recommendations(f: &Findings) -> Vec<String> {
    let mut out: Vec<String> = f.flow_patterns.iter().map(|p| p.sentence.clone()).collect();
    let mb = |b: u128| format!("{:.0} MB", b as f64 / 1e6);
    for ip in f
        .suspicious_ips
        .iter()
        .filter(|ip| ip.share_flagged >= 0.25 || ip.flagged >= 5)
        .take(5)
    {
        // One of the network's own hosts is investigated, not blocked.
        let internal = ip.src_ip.parse().is_ok_and(crate::geoip::is_internal);
        out.push(format!(
            "{} {}: {} of its {} sessions flagged ({:.0}%), {} in, {} out, max score {:.3}, active {} to {}.",
            if internal { "Investigate internal host" } else { "Block or rate-limit" },
            ip.src_ip,
            ip.flagged,
            ip.sessions,
            ip.share_flagged * 100.0,
            mb(ip.bytes_in),
            mb(ip.bytes_out),
            ip.max_score,
            ip.first_seen.as_deref().unwrap_or("?"),
            ip.last_seen.as_deref().unwrap_or("?")
        ));
    }
    for p in &f.patterns {
        let ips = p
            .source_ips
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let advice = match p.pattern.as_str() {
            "high bytes in, low bytes out" => {
                "inspect the payloads and apply data-loss-prevention rules or an upload size limit"
            }
            "bursts in short sessions" => {
                "apply per-source rate limits and check for volumetric attacks"
            }
            "very high rate" => {
                "confirm the transfers are expected and apply per-source rate limits"
            }
            "suspicious destination port" => {
                "close or restrict these ports to known addresses and require multi-factor authentication"
            }
            _ => "add login throttling or fail2ban-style blocking for repeated short sessions",
        };
        out.push(format!(
            "{}: {} flagged sessions ({} in all) from {}: {advice}.",
            capitalise(&p.pattern),
            p.flagged_rows,
            p.all_rows,
            if ips.is_empty() {
                "unknown sources".into()
            } else {
                ips
            }
        ));
    }
    if let Some(c) = f
        .geography
        .iter()
        .filter(|c| c.flagged > 0)
        .max_by(|a, b| a.flagged_share.total_cmp(&b.flagged_share))
        && c.flagged_share > c.session_share * 1.5
    {
        out.push(format!(
            "Review traffic from {}: {:.0}% of the flagged sessions but {:.0}% of all sessions; consider geo-based rules if the business has no users there.",
            c.country,
            c.flagged_share * 100.0,
            c.session_share * 100.0
        ));
    }
    if let Some(h) = &f.heuristic
        && h.model_only > 0
    {
        out.push(format!(
            "Keep the model beside the simple threshold: {} of the {} flagged sessions stay under the bytes_in > mean + 3σ rule ({} rows exceed it).",
            h.model_only, f.anomalies.flagged, h.rows
        ));
    }
    // A gap in a filtered view is the filter's doing, not the collector's.
    if let Some(t) = &f.time
        && f.overview.filter.is_none()
        && let Some((a, b)) = t.quiet_gaps.first()
    {
        out.push(format!(
            "Check the collection pipeline for {a} to {b}: no traffic at all was logged then, which may be a logging gap rather than a quiet network."
        ));
    }
    if let Some(Evaluation::ConstantLabel { rows, .. }) = &f.evaluation {
        out.push(format!("Do not use the label column to judge the detector: it has one value for all {rows} rows."));
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
