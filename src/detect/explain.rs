//! Why a row was flagged: per-feature contributions read off the forest (DIFFI-style) and plain-words
//! patterns from a few network rules.
//!
//! Owns [`Explanation`] / [`Contribution`] (computed from a fitted forest and one row) and the pattern
//! rules ([`RowFacts`], [`PatternReference`], [`Pattern`]), whose thresholds are quantiles of the
//! dataset itself. It must not fit or score: it only walks existing trees, and the facts a rule needs
//! (per-IP session counts, durations) are computed by the caller.
//!
//! **Contributions.** Along the row's path in every tree, each split's feature is credited
//! `1/L − 1/max_depth`, where `L` is the depth of the leaf the row lands in (the number of splits it
//! passed). A row isolated after two splits credits its two features heavily; a row that runs to the
//! depth limit credits nothing, since reaching the limit is what ordinary rows do. Credits are summed
//! over trees and normalised to 100 %. If every path reaches the depth limit (an ordinary row, or a
//! forest of depth-limited trees) the credits would all be zero, so the weights fall back to plain
//! `1/L`; if no tree splits at all (a single row, identical rows) every share is 0 and the basis says
//! so. Cost: one walk per tree, a few microseconds per row for 100 trees.

use super::forest::IsolationForest;
use super::{DetectError, FeatureMatrix};
use rayon::prelude::*;
use std::fmt;

/// Where a row's value sits relative to the feature's median.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Above the median.
    Above,
    /// Below the median.
    Below,
    /// Equal to the median.
    AtMedian,
}

/// One feature's share of a row's isolation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Contribution {
    /// Feature index in the matrix.
    pub feature: usize,
    /// Feature name.
    pub name: String,
    /// Share of the credit, in percent (all shares sum to 100, or are all 0 for [`ExplainBasis::NoSplits`]).
    pub share: f64,
    /// The row's value.
    pub value: f64,
    /// The feature's median over the dataset.
    pub median: f64,
    /// Value relative to the median.
    pub direction: Direction,
}

/// Which weighting produced the shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplainBasis {
    /// `1/L − 1/max_depth` per split, the normal case.
    Isolation,
    /// `1/L` per split: every path reached the depth limit, so the normal weights were all zero.
    InverseDepth,
    /// No tree split on this data; shares are all 0.
    NoSplits,
}

/// Per-feature contributions for one row, largest share first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    /// One entry per feature, sorted by share (descending), then feature index.
    pub contributions: Vec<Contribution>,
    /// How the shares were weighted.
    pub basis: ExplainBasis,
    /// Mean depth of the leaves the row lands in (smaller = isolated sooner).
    pub mean_leaf_depth: f64,
}

/// The median of every feature column (average of the two middle values for an even count; NaN for
/// an empty column). Compute once per dataset and pass to [`IsolationForest::explain`].
pub fn feature_medians(matrix: &FeatureMatrix) -> Vec<f64> {
    matrix
        .columns
        .par_iter()
        .map(|c| quantile(&mut c.clone(), 0.5))
        .collect()
}

impl IsolationForest {
    /// Explains one row of `matrix` against the given per-feature medians.
    pub fn explain_row(
        &self,
        matrix: &FeatureMatrix,
        row: usize,
        medians: &[f64],
    ) -> Result<Explanation, DetectError> {
        self.explain(&matrix.row(row)?, medians)
    }

    /// Explains a row given as one value per fitted feature.
    pub fn explain(&self, values: &[f64], medians: &[f64]) -> Result<Explanation, DetectError> {
        let d = self.feature_names().len();
        for (what, len) in [
            ("row values", values.len()),
            ("feature medians", medians.len()),
        ] {
            if len != d {
                return Err(DetectError::LengthMismatch {
                    what,
                    expected: d,
                    found: len,
                });
            }
        }
        let x: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        let max_depth = f64::from(self.params().max_depth);
        let mut isolation = vec![0.0; d];
        let mut inverse = vec![0.0; d];
        let mut path = Vec::with_capacity(self.params().max_depth as usize);
        let mut depth_sum = 0u64;
        for t in 0..self.trees() {
            path.clear();
            let (_, depth) = self.walk(t, &x, |f| path.push(f));
            depth_sum += u64::from(depth);
            if depth == 0 {
                continue;
            }
            let inv = 1.0 / f64::from(depth);
            let w = (inv - 1.0 / max_depth).max(0.0);
            for &f in &path {
                isolation[f] += w;
                inverse[f] += inv;
            }
        }
        let (credit, basis) = if isolation.iter().sum::<f64>() > 0.0 {
            (isolation, ExplainBasis::Isolation)
        } else if inverse.iter().sum::<f64>() > 0.0 {
            (inverse, ExplainBasis::InverseDepth)
        } else {
            (vec![0.0; d], ExplainBasis::NoSplits)
        };
        let total: f64 = credit.iter().sum();
        let mut contributions: Vec<Contribution> = (0..d)
            .map(|f| Contribution {
                feature: f,
                name: self.feature_names()[f].clone(),
                share: if total > 0.0 {
                    100.0 * credit[f] / total
                } else {
                    0.0
                },
                value: values[f],
                median: medians[f],
                direction: if values[f] > medians[f] {
                    Direction::Above
                } else if values[f] < medians[f] {
                    Direction::Below
                } else {
                    Direction::AtMedian
                },
            })
            .collect();
        contributions.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.feature.cmp(&b.feature)));
        Ok(Explanation {
            contributions,
            basis,
            mean_leaf_depth: depth_sum as f64 / self.trees() as f64,
        })
    }
}

/// A session is "short" only if it lasts at most this long (and less than the median session).
pub const SHORT_SESSION_MAX_SECS: f64 = 60.0;
/// An IP needs at least this many short sessions to count as "many".
pub const MIN_SHORT_SESSIONS: usize = 5;
/// Destination ports of remote-login, file-sharing and database services, plus the dynamic range.
pub const SUSPICIOUS_PORTS: [u32; 5] = [22, 23, 445, 3389, 3306];
/// Start of the dynamic/private port range (IANA), also treated as suspicious.
pub const DYNAMIC_PORTS_START: u32 = 49152;

/// What the pattern rules know about one row. Per-IP counts are computed by the caller, using
/// [`PatternReference::is_short_session`] to decide which sessions are short.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowFacts {
    /// Bytes received.
    pub bytes_in: f64,
    /// Bytes sent.
    pub bytes_out: f64,
    /// `(bytes_in + bytes_out) / duration`, when a duration is known.
    pub bytes_per_sec: Option<f64>,
    /// Destination port, when known.
    pub dst_port: Option<u32>,
    /// Session length in seconds, when known.
    pub session_duration: Option<f64>,
    /// Sessions in the dataset from this row's source IP.
    pub sessions_from_ip: usize,
    /// Short sessions in the dataset from this row's source IP.
    pub short_sessions_from_ip: usize,
}

/// Fills a slice with the values of rows `first..first + len` of a series (NaN when unknown).
pub type BlockFill<'a> = dyn Fn(usize, &mut [f64]) + 'a;

/// Dataset-level cut-offs for the pattern rules, all derived from the data (linear-interpolation
/// quantiles) so that "high" means high for this file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PatternReference {
    /// Exfiltration needs `bytes_in` at or above this (90th percentile), and above the median.
    pub bytes_in_high: f64,
    /// Median `bytes_in`.
    pub bytes_in_median: f64,
    /// Exfiltration needs `bytes_in / (bytes_out + 1)` at or above this: the 90th percentile of the
    /// ratio, never below 2 (in at least twice out) and never above [`RATIO_CAP`] (so that one
    /// source's sessions, all far more in than out, do not straddle a percentile and get two labels).
    pub in_out_ratio_high: f64,
    /// "Very high rate": the 99th percentile of `bytes_per_sec` (None without rates).
    pub rate_very_high: Option<f64>,
    /// Median `bytes_per_sec`; a rate must also exceed it (so a constant rate is never "very high").
    pub rate_median: Option<f64>,
    /// Median session duration (None without durations).
    pub duration_median: Option<f64>,
    /// "Many" short sessions: at least the 95th percentile of sessions per IP, and at least
    /// [`MIN_SHORT_SESSIONS`].
    pub many_sessions: usize,
}

impl PatternReference {
    /// Derives the cut-offs. `bytes_in` and `bytes_out` are per row (same length); `bytes_per_sec`
    /// and `durations` per row when known (non-finite entries ignored); `sessions_per_ip` one count
    /// per distinct source IP.
    pub fn new(
        bytes_in: &[f64],
        bytes_out: &[f64],
        bytes_per_sec: Option<&[f64]>,
        durations: Option<&[f64]>,
        sessions_per_ip: &[usize],
    ) -> Result<Self, DetectError> {
        if bytes_in.len() != bytes_out.len() {
            return Err(DetectError::LengthMismatch {
                what: "bytes_out",
                expected: bytes_in.len(),
                found: bytes_out.len(),
            });
        }
        // Past a slice's end a value reads as NaN, which every quantile skips.
        fn at(v: &[f64]) -> impl Fn(usize, &mut [f64]) + '_ {
            move |first, out| {
                for (k, o) in out.iter_mut().enumerate() {
                    *o = v.get(first + k).copied().unwrap_or(f64::NAN);
                }
            }
        }
        let rate = bytes_per_sec.map(at);
        let duration = durations.map(at);
        let rows = [Some(bytes_in), bytes_per_sec, durations]
            .into_iter()
            .flatten()
            .map(<[f64]>::len)
            .max()
            .unwrap_or(0);
        Ok(Self::from_blocks(
            rows,
            &at(bytes_in),
            &at(bytes_out),
            rate.as_ref().map(|f| f as &BlockFill<'_>),
            duration.as_ref().map(|f| f as &BlockFill<'_>),
            sessions_per_ip,
        ))
    }

    /// [`PatternReference::new`] reading the inputs on demand, a block of rows at a time (`rows`
    /// rows; each function fills its slice with the values of rows `first..first + len`, NaN when
    /// unknown), so that only one working copy of one series exists at a time, whatever the row
    /// count.
    pub fn from_blocks(
        rows: usize,
        bytes_in: &BlockFill<'_>,
        bytes_out: &BlockFill<'_>,
        bytes_per_sec: Option<&BlockFill<'_>>,
        durations: Option<&BlockFill<'_>>,
        sessions_per_ip: &[usize],
    ) -> Self {
        const BLOCK: usize = 8 * 1024;
        let mut buf = vec![0.0; BLOCK.min(rows)];
        let mut other = buf.clone();
        let finite = |fill: &BlockFill<'_>, buf: &mut Vec<f64>| {
            let mut out = Vec::with_capacity(rows);
            for first in (0..rows).step_by(BLOCK) {
                let part = &mut buf[..BLOCK.min(rows - first)];
                fill(first, part);
                out.extend(part.iter().copied().filter(|x| x.is_finite()));
            }
            out
        };
        let q = |v: &mut Vec<f64>, p| {
            let x = quantile(v, p);
            x.is_finite().then_some(x)
        };
        let mut inb = finite(bytes_in, &mut buf);
        let bytes_in_high = quantile(&mut inb, 0.9);
        let bytes_in_median = quantile(&mut inb, 0.5);
        drop(inb);
        let mut ratio: Vec<f64> = Vec::with_capacity(rows);
        for first in (0..rows).step_by(BLOCK) {
            let len = BLOCK.min(rows - first);
            bytes_in(first, &mut buf[..len]);
            bytes_out(first, &mut other[..len]);
            ratio.extend(
                buf[..len]
                    .iter()
                    .zip(&other[..len])
                    .map(|(i, o)| i / (o + 1.0))
                    .filter(|r| r.is_finite()),
            );
        }
        // No ratios (NaN): the floor.
        let in_out_ratio_high = match quantile(&mut ratio, 0.9) {
            q if q.is_nan() => 2.0,
            q => q.clamp(2.0, RATIO_CAP),
        };
        drop(ratio);
        // Quantiles do not depend on the buffer's order, so both come from one copy.
        let (rate_very_high, rate_median) = match bytes_per_sec.map(|f| finite(f, &mut buf)) {
            Some(mut r) => (q(&mut r, 0.99), q(&mut r, 0.5)),
            None => (None, None),
        };
        let duration_median = durations
            .map(|f| finite(f, &mut buf))
            .and_then(|mut d| q(&mut d, 0.5));
        let mut per_ip: Vec<f64> = sessions_per_ip.iter().map(|&c| c as f64).collect();
        Self {
            bytes_in_high,
            bytes_in_median,
            in_out_ratio_high,
            rate_very_high,
            rate_median,
            duration_median,
            many_sessions: (quantile(&mut per_ip, 0.95).ceil().max(0.0) as usize)
                .max(MIN_SHORT_SESSIONS),
        }
    }

    /// Whether a session of this length counts as short: at most [`SHORT_SESSION_MAX_SECS`] and
    /// strictly below the median duration (so when every session is equally long, none is short).
    pub fn is_short_session(&self, duration: f64) -> bool {
        self.duration_median
            .is_some_and(|m| duration <= SHORT_SESSION_MAX_SECS && duration < m)
    }

    /// The patterns a row matches, in order of precedence: the first is the row's label (see
    /// [`Pattern`] for the order), the others are listed beside it in the drill-down.
    pub fn patterns(&self, row: &RowFacts) -> Vec<Pattern> {
        let mut found = self.matches(row);
        found.sort_by_key(Pattern::precedence);
        found
    }

    /// The patterns a row matches, unordered.
    fn matches(&self, row: &RowFacts) -> Vec<Pattern> {
        let mut out = Vec::new();
        // Shorter than the median session: what is big in it came in a burst.
        let burst = row
            .session_duration
            .is_some_and(|d| self.duration_median.is_some_and(|m| d < m));
        let ratio = row.bytes_in / (row.bytes_out + 1.0);
        if row.bytes_in >= self.bytes_in_high
            && row.bytes_in > self.bytes_in_median
            && ratio >= self.in_out_ratio_high
        {
            out.push(if burst {
                Pattern::Burst
            } else {
                Pattern::Exfiltration
            });
        }
        if let (Some(rate), Some(high), Some(median)) =
            (row.bytes_per_sec, self.rate_very_high, self.rate_median)
            && rate >= high
            && rate > median
        {
            out.push(if burst {
                Pattern::Burst
            } else {
                Pattern::HighRate
            });
        }
        out.dedup();
        if let Some(port) = row.dst_port
            && (SUSPICIOUS_PORTS.contains(&port) || port >= DYNAMIC_PORTS_START)
        {
            out.push(Pattern::SuspiciousPort(port));
        }
        if row.short_sessions_from_ip >= self.many_sessions {
            out.push(Pattern::ManyShortSessions(row.short_sessions_from_ip));
        }
        out
    }
}

/// The in/out ratio above which a session is always "far more in than out" (see
/// [`PatternReference::in_out_ratio_high`]).
pub const RATIO_CAP: f64 = 10.0;

/// A plain-words pattern a row matches.
///
/// A row matching several is labelled by the first in this order (most specific first):
/// 1. a burst: a session shorter than the median with a very high rate, or with far more in
///    than out and a lot of it — the shape of a DDoS, not of a slow exfiltration;
/// 2. exfiltration: far more in than out, and a lot of it, in a median-length or longer session;
/// 3. a very high rate in a session of median length or longer: a bulk transfer;
/// 4. many short sessions from the same source: brute force or scanning;
/// 5. a suspicious destination port.
///
/// So the demo's DDoS (600 kB in 5–20 s sessions) is a DDoS although its bytes are also
/// exfiltration-shaped, and a 10-minute 20 MB download is exfiltration although its rate is high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Much more in than out, and a lot in.
    Exfiltration,
    /// Very high bytes per second, or a lot more in than out, in a session shorter than the median.
    Burst,
    /// Very high bytes per second in a session of median length or longer.
    HighRate,
    /// A remote-access, database or dynamic destination port.
    SuspiciousPort(u32),
    /// Many short sessions from the same source IP (the count).
    ManyShortSessions(usize),
}

impl Pattern {
    /// Rank in the precedence order above (lower wins).
    pub fn precedence(&self) -> u8 {
        match self {
            Self::Burst => 0,
            Self::Exfiltration => 1,
            Self::HighRate => 2,
            Self::ManyShortSessions(_) => 3,
            Self::SuspiciousPort(_) => 4,
        }
    }

    /// A fixed short form for narrow columns (a label is shortened to this, never cut).
    pub fn short(&self) -> String {
        match self {
            Self::Exfiltration => "exfiltration".into(),
            Self::Burst => "DDoS".into(),
            Self::HighRate => "bulk transfer".into(),
            Self::SuspiciousPort(p) => format!("port {p}"),
            Self::ManyShortSessions(_) => "brute force/scan".into(),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exfiltration => {
                f.write_str("possible exfiltration (high bytes in, low bytes out)")
            }
            Self::Burst => f.write_str("possible DDoS (a burst of traffic in a short session)"),
            Self::HighRate => {
                f.write_str("possible bulk transfer (very high byte rate in a long session)")
            }
            Self::SuspiciousPort(p) => {
                write!(
                    f,
                    "possible brute force / unauthorised access (destination port {p})"
                )
            }
            Self::ManyShortSessions(n) => {
                write!(
                    f,
                    "possible brute force or scanning ({n} short sessions from this IP)"
                )
            }
        }
    }
}

/// Linear-interpolation quantile (numpy's default, Hyndman–Fan type 7); NaN for an empty slice.
/// `v` is reordered.
fn quantile(v: &mut [f64], q: f64) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = (n - 1) as f64 * q;
    let lo = pos.floor() as usize;
    let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let gamma = pos - lo as f64;
    if gamma == 0.0 || rest.is_empty() {
        return a;
    }
    let b = rest.iter().copied().fold(f64::INFINITY, f64::min);
    a + (b - a) * gamma
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
