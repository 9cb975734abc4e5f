//! The report's sections, each computed from the same [`Ctx`]: the scores, the patterns among
//! flagged rows, the suspicious source IPs, geography, time trends and the notebooks' heuristic.
//! Pure; [`super::build_in`] runs them side by side.

use super::*;
use crate::analysis::rankings::{self, RankBy};
use crate::analysis::{stats, timeseries};
use crate::dataset::format_time;

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

/// How many kinds of [`Pattern`] there are (see [`pattern_kind`]).
const PATTERN_KINDS: usize = 5;

/// A pattern's kind, `0..PATTERN_KINDS`: the patterns [`pattern_key`] gives one name.
fn pattern_kind(p: &Pattern) -> usize {
    match p {
        Pattern::Exfiltration => 0,
        Pattern::Burst => 1,
        Pattern::HighRate => 2,
        Pattern::SuspiciousPort(_) => 3,
        Pattern::ManyShortSessions(_) => 4,
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

pub(super) fn anomalies(c: &Ctx<'_>, rule: &str) -> AnomalyOverview {
    let Frame {
        run,
        selection,
        scope,
        all,
        n_rows,
        ..
    } = **c;
    let flagged_set = &c.flagged;
    let scores = run.scores();
    let index = &run.detection.index;
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
    let h = crate::analysis::histogram::histogram(in_scope.as_deref().unwrap_or(scores), 20, false);
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
}

pub(super) fn patterns(c: &Ctx<'_>) -> Vec<PatternFinding> {
    let Frame { ds, run, scope, .. } = **c;
    let flagged_set = &c.flagged;
    // Patterns among flagged rows (and how common each is overall).
    let mut patterns: Vec<PatternFinding> = Vec::new();
    if run.patterns.is_some() {
        use rayon::prelude::*;
        // Every row's patterns, counted in parallel over blocks of rows.
        const BLOCK: usize = 64 * 1024;
        // Counted per kind of pattern (no map lookup per row), named at the end.
        type Counts = [usize; PATTERN_KINDS];
        let count = |m: &mut Counts, found: Vec<Pattern>| {
            for pt in &found {
                if let Some(n) = m.get_mut(pattern_kind(pt)) {
                    *n += 1;
                }
            }
        };
        let counted: Counts = if let Some(s) = scope {
            let mut m = [0; PATTERN_KINDS];
            for &r in s.rows {
                count(&mut m, run.patterns(ds, r as usize));
            }
            m
        } else {
            (0..ds.rows.div_ceil(BLOCK))
                .into_par_iter()
                .map(|b| {
                    let mut m = [0; PATTERN_KINDS];
                    let rows = b * BLOCK..((b + 1) * BLOCK).min(ds.rows);
                    run.for_each_patterns(ds, rows, |_, found| count(&mut m, found));
                    m
                })
                .reduce(
                    || [0; PATTERN_KINDS],
                    |mut a, b| {
                        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                        a
                    },
                )
        };
        let counts_all = |p: &Pattern| counted.get(pattern_kind(p)).copied().unwrap_or(0);
        for &r in flagged_set {
            for pt in run.patterns(ds, r) {
                let (name, description) = pattern_key(&pt);
                let entry = match patterns.iter_mut().position(|x| x.pattern == name) {
                    Some(i) => &mut patterns[i],
                    None => {
                        patterns.push(PatternFinding {
                            pattern: name.into(),
                            description: description.into(),
                            flagged_rows: 0,
                            all_rows: counts_all(&pt),
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
}

pub(super) fn suspicious_ips(c: &Ctx<'_>) -> Vec<SuspiciousIp> {
    let Frame {
        ds,
        run,
        scope,
        all,
        ..
    } = **c;
    let is_flagged = |r: usize| c.is_flagged(r);
    let scores = run.scores();
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
        let seen = first_last_seen(c, &groups, &top);
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
}
/// When each of the `top` sources was first and last seen in scope, and from which countries (at
/// most five): one pass over the rows.
#[derive(Default)]
struct Seen {
    first: Option<i64>,
    last: Option<i64>,
    countries: Vec<String>,
}

fn first_last_seen(
    c: &Ctx<'_>,
    groups: &rankings::Groups,
    top: &[crate::detect::GroupSummary],
) -> Vec<Seen> {
    let Frame { ds, all, .. } = **c;
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
    seen
}

pub(super) fn geography(c: &Ctx<'_>) -> Vec<CountryTrend> {
    let Frame {
        ds,
        all,
        n_rows,
        bin,
        ..
    } = **c;
    let flagged_set = &c.flagged;
    // Geography.
    let mut geography = Vec::new();
    if let Some(ccol) = ds.role_index(Role::Country)
        && let Some(groups) = rankings::groups(ds, ccol)
    {
        let mut flagged_by = vec![0usize; groups.labels.len()];
        for &r in flagged_set {
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
}

pub(super) fn time(c: &Ctx<'_>) -> Option<TimeTrends> {
    let Frame { ds, all, .. } = **c;
    let flagged_set = &c.flagged;
    // Time trends.
    timeseries::time_range(ds, all).map(|range| {
        // The Timeline's rule, so both show the same buckets and counts.
        let width = timeseries::default_width(ds, all, Some(range));
        let series = timeseries::series(ds, all, width);
        let w = width * 1000;
        let mut flagged_per_bucket = vec![0u64; series.buckets.len()];
        if let Some(first) = series.buckets.first().map(|b| b.start) {
            for &r in flagged_set {
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
}

pub(super) fn heuristic(c: &Ctx<'_>) -> Option<HeuristicAlert> {
    let Frame {
        ds, all, summary, ..
    } = **c;
    let flagged_set = &c.flagged;
    let is_flagged = |r: usize| c.is_flagged(r);
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
}

/// Every section, computed side by side.
pub(super) struct Sections {
    pub anomalies: AnomalyOverview,
    pub patterns: Vec<PatternFinding>,
    pub suspicious_ips: Vec<SuspiciousIp>,
    pub geography: Vec<CountryTrend>,
    pub time: Option<TimeTrends>,
    pub heuristic: Option<HeuristicAlert>,
}

pub(super) fn all(c: &Ctx<'_>, rule: &str) -> Sections {
    use crate::timing::phase;
    let ((anomalies, patterns), ((suspicious_ips, geography), (time, heuristic))) = rayon::join(
        || {
            rayon::join(
                || phase("findings: scores", || anomalies(c, rule)),
                || phase("findings: patterns", || patterns(c)),
            )
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || phase("findings: suspicious ips", || suspicious_ips(c)),
                        || phase("findings: geography", || geography(c)),
                    )
                },
                || {
                    rayon::join(
                        || phase("findings: time trends", || time(c)),
                        || phase("findings: heuristic", || heuristic(c)),
                    )
                },
            )
        },
    );
    Sections {
        anomalies,
        patterns,
        suspicious_ips,
        geography,
        time,
        heuristic,
    }
}
