//! The drill-down's plain facts about one scored session: its score against the threshold, each
//! feature's value as a share of all sessions and a multiple of the median, how many sessions its
//! source has (and how many are flagged), and the nearest session on the other side of the
//! threshold — the same source's when it has one — with the features that set the two apart.
//!
//! Owns [`PlainFacts`] and the sentences it reads as (one home for them: the explorer draws
//! these strings, it does not word them). Computed once when a drill-down opens, on the worker,
//! in a few streaming passes over the feature series (no full-length copy is held); it never fits
//! or scores, and it returns raw text that the caller sanitises before a terminal sees it.

use super::{RowId, SourceError, check};
use crate::dataset::{ColumnData, Dataset, Role, SeriesReader};
use crate::detect::pipeline::DetectionRun;
use std::sync::atomic::AtomicBool;

/// Where one value sits among every session's value of the same feature.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureFact {
    pub name: String,
    /// The raw value (NaN when the session has none).
    pub value: f64,
    /// Sessions with a smaller value.
    pub lower: usize,
    /// Sessions with a larger value.
    pub higher: usize,
    /// Sessions with a value.
    pub present: usize,
    /// The feature's median, raw.
    pub median: f64,
}

/// The session chosen to compare with: nearest in the model's feature space, across the threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Contrast {
    pub id: RowId,
    pub score: f64,
    pub flagged: bool,
    /// Of the same source IP as the session explained.
    pub same_source: bool,
    /// Its features, in the same order as [`PlainFacts::features`].
    pub features: Vec<FeatureFact>,
    /// How far apart the two are in each feature as the model sees it, in standard deviations.
    pub apart: Vec<f64>,
}

/// Everything the drill-down says in plain words about one session.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainFacts {
    pub score: f64,
    /// The cut of the flagging rule (None without a rule).
    pub threshold: Option<f64>,
    pub flagged: bool,
    /// 1-based rank among the scored sessions, and how many were scored.
    pub rank: Option<(usize, usize)>,
    pub features: Vec<FeatureFact>,
    /// The source IP's (text, sessions, flagged sessions).
    pub source: Option<(String, usize, usize)>,
    pub contrast: Option<Contrast>,
}

/// Computes the facts of dataset row `row`. `flags` marks the rows the current rule flags.
pub fn plain_facts(
    ds: &Dataset,
    det: &DetectionRun,
    row: usize,
    flags: Option<&[bool]>,
    threshold: Option<f64>,
    cancel: &AtomicBool,
) -> Result<PlainFacts, SourceError> {
    let readers: Vec<SeriesReader<'_>> = det
        .feature_sources()
        .iter()
        .map(|s| SeriesReader::new(ds, *s))
        .collect();
    let mine: Vec<f64> = readers.iter().map(|r| r.get_or_nan(row)).collect();
    let features = standing(det, &readers, &mine, cancel)?;
    let scale = spreads(det, &readers, cancel)?;
    let flagged = flags.is_some_and(|f| f.get(row).copied().unwrap_or(false));
    let near = nearest(ds, det, &readers, row, flags, &scale, cancel)?;
    let contrast = match near.pick() {
        Some((other, same_source)) => {
            let theirs: Vec<f64> = readers.iter().map(|r| r.get_or_nan(other)).collect();
            let apart = (0..readers.len())
                .map(|f| {
                    let d = det.model_value(f, theirs[f]) - det.model_value(f, mine[f]);
                    d.abs() / scale[f]
                })
                .collect();
            Some(Contrast {
                apart,
                id: ds.origin_row(other) as RowId,
                score: det.scores().get(other).copied().unwrap_or(f64::NAN),
                flagged: !flagged,
                same_source,
                features: standing(det, &readers, &theirs, cancel)?,
            })
        }
        None => None,
    };
    let source = ds.role_index(Role::SrcIp).map(|i| {
        (
            ds.cell_text(row, i).into_owned(),
            near.sessions,
            near.flagged,
        )
    });
    Ok(PlainFacts {
        score: det.scores().get(row).copied().unwrap_or(f64::NAN),
        threshold,
        flagged,
        rank: det
            .detection
            .index
            .rank_of(row)
            .map(|r| (r + 1, det.scores().len())),
        features,
        source,
        contrast,
    })
}

/// Each feature's value of one row placed among every row's.
fn standing(
    det: &DetectionRun,
    readers: &[SeriesReader<'_>],
    values: &[f64],
    cancel: &AtomicBool,
) -> Result<Vec<FeatureFact>, SourceError> {
    let mut out = Vec::with_capacity(readers.len());
    for (f, (reader, &v)) in readers.iter().zip(values).enumerate() {
        let (mut lower, mut higher, mut present) = (0, 0, 0);
        reader.for_each_block(|_, part| {
            for &x in part.iter().filter(|x| !x.is_nan()) {
                present += 1;
                lower += usize::from(x < v);
                higher += usize::from(x > v);
            }
        });
        check(cancel)?;
        out.push(FeatureFact {
            name: det.feature_names.get(f).cloned().unwrap_or_default(),
            value: v,
            lower,
            higher,
            present,
            median: det.raw_median(f),
        });
    }
    Ok(out)
}

/// The standard deviation of each feature as the forest sees it (1 where it does not vary).
fn spreads(
    det: &DetectionRun,
    readers: &[SeriesReader<'_>],
    cancel: &AtomicBool,
) -> Result<Vec<f64>, SourceError> {
    let mut out = Vec::with_capacity(readers.len());
    for (f, reader) in readers.iter().enumerate() {
        let (mut n, mut sum, mut sq) = (0.0, 0.0, 0.0);
        reader.for_each_block(|_, part| {
            for &x in part {
                let t = det.model_value(f, x);
                n += 1.0;
                sum += t;
                sq += t * t;
            }
        });
        check(cancel)?;
        let var: f64 = if n > 0.0 {
            (sq / n - (sum / n).powi(2)).max(0.0)
        } else {
            0.0
        };
        out.push(if var > 0.0 && var.is_finite() {
            var.sqrt()
        } else {
            1.0
        });
    }
    Ok(out)
}

/// The nearest rows across the threshold (of the same source, and of any), and the source's counts.
#[derive(Default)]
struct Nearest {
    same: Option<(f64, usize)>,
    any: Option<(f64, usize)>,
    sessions: usize,
    flagged: usize,
}

impl Nearest {
    fn offer(slot: &mut Option<(f64, usize)>, d: f64, r: usize) {
        if slot.is_none_or(|(best, _)| d < best) {
            *slot = Some((d, r));
        }
    }

    /// The row to compare with, and whether it is of the same source.
    fn pick(&self) -> Option<(usize, bool)> {
        match (self.same, self.any) {
            (Some((_, r)), _) => Some((r, true)),
            (None, Some((_, r))) => Some((r, false)),
            _ => None,
        }
    }
}

fn nearest(
    ds: &Dataset,
    det: &DetectionRun,
    readers: &[SeriesReader<'_>],
    row: usize,
    flags: Option<&[bool]>,
    scale: &[f64],
    cancel: &AtomicBool,
) -> Result<Nearest, SourceError> {
    const BLOCK: usize = 8 * 1024;
    let mut near = Nearest::default();
    let codes = match ds.role(Role::SrcIp).map(|c| &c.data) {
        Some(ColumnData::Ip(d)) => Some(&d.codes),
        _ => None,
    };
    let code = codes.and_then(|c| c.get(row));
    let flag = |r: usize| flags.and_then(|f| f.get(r).copied()).unwrap_or(false);
    let me: Vec<f64> = readers
        .iter()
        .enumerate()
        .map(|(f, r)| det.model_value(f, r.get_or_nan(row)))
        .collect();
    let mut bufs = vec![vec![0.0; BLOCK.min(ds.rows)]; readers.len()];
    for first in (0..ds.rows).step_by(BLOCK) {
        let len = BLOCK.min(ds.rows - first);
        for (reader, buf) in readers.iter().zip(bufs.iter_mut()) {
            reader.fill(first, &mut buf[..len]);
        }
        for (k, r) in (first..first + len).enumerate() {
            let same = code.is_some() && codes.and_then(|c| c.get(r)) == code;
            if same {
                near.sessions += 1;
                near.flagged += usize::from(flag(r));
            }
            if flags.is_none() || r == row || flag(r) == flag(row) {
                continue;
            }
            let d: f64 = (0..readers.len())
                .map(|f| ((det.model_value(f, bufs[f][k]) - me[f]) / scale[f]).powi(2))
                .sum();
            if same {
                Nearest::offer(&mut near.same, d, r);
            }
            Nearest::offer(&mut near.any, d, r);
        }
        check(cancel)?;
    }
    Ok(near)
}

impl FeatureFact {
    /// The share of sessions below (as a fraction of those with a value), counting ties as half.
    pub fn position(&self) -> f64 {
        if self.present == 0 {
            return f64::NAN;
        }
        let ties = self.present - self.lower - self.higher;
        (self.lower as f64 + ties as f64 / 2.0) / self.present as f64
    }

    /// "higher than 99.6% of sessions", "lower than 80% of sessions", "the same as every session".
    pub fn standing(&self) -> String {
        if self.value.is_nan() {
            return "no value (scored as the median)".into();
        }
        let pct = |n: usize| percent(n, self.present);
        if self.lower == 0 && self.higher == 0 {
            "the same as every session".into()
        } else if self.lower >= self.higher {
            format!("higher than {} of sessions", pct(self.lower))
        } else {
            format!("lower than {} of sessions", pct(self.higher))
        }
    }

    /// "110× the median (11.9k)", or None where a multiple means nothing (no or negative values).
    pub fn multiple(&self) -> Option<String> {
        let (v, m) = (self.value, self.median);
        if !v.is_finite() || !m.is_finite() || v < 0.0 || m < 0.0 {
            return None;
        }
        if m == 0.0 {
            return Some(if v == 0.0 {
                "the median (0)".into()
            } else {
                "the median is 0".into()
            });
        }
        let r = v / m;
        let times = if r >= 10.0 {
            format!("{r:.0}×")
        } else if r >= 1.0 {
            format!("{r:.1}×")
        } else if r >= 0.01 {
            format!("{r:.2}×")
        } else {
            "under 1/100 of".into()
        };
        Some(format!("{times} the median ({})", compact(m)))
    }

    /// "59.1M: higher than 99.9% of sessions, 4963× the median (11.9k)".
    pub fn sentence(&self) -> String {
        let mut s = format!("{}: {}", compact(self.value), self.standing());
        if let Some(m) = self.multiple().filter(|_| !self.value.is_nan()) {
            s.push_str(", ");
            s.push_str(&m);
        }
        s
    }
}

impl PlainFacts {
    /// "Score 0.8410 is above the threshold 0.5600: flagged, rank 1 of 5000 (1 = most unusual)."
    pub fn score_sentence(&self) -> String {
        let rank = self
            .rank
            .map_or(String::new(), |(r, n)| format!(", rank {r} of {n}"));
        match self.threshold.filter(|t| t.is_finite()) {
            Some(t) if self.flagged => format!(
                "Score {:.4} is above the threshold {t:.4}: flagged{rank} (1 = most unusual).",
                self.score
            ),
            Some(t) => format!(
                "Score {:.4} is below the threshold {t:.4} ({:.4} short): not flagged{rank}.",
                self.score,
                t - self.score
            ),
            None => format!("Score {:.4}{rank}; no flagging rule is set.", self.score),
        }
    }

    /// "185.220.101.47 has 50 sessions, 12 of them flagged."
    pub fn source_sentence(&self) -> Option<String> {
        let (ip, n, flagged) = self.source.as_ref()?;
        if ip.is_empty() {
            return None;
        }
        Some(match (n, flagged) {
            (1, _) => format!("{ip} has no other session."),
            (n, 0) => format!("{ip} has {n} sessions, none of them flagged."),
            (n, f) if f == n => format!("{ip} has {n} sessions, all of them flagged."),
            (n, f) => format!("{ip} has {n} sessions, {f} of them flagged."),
        })
    }

    /// What sets this session apart from the [`Contrast`]: a heading, then one line per
    /// feature, the feature that differs most first ("differs most" / "alike").
    pub fn contrast_lines(&self) -> Vec<String> {
        let Some(c) = &self.contrast else {
            return Vec::new();
        };
        let side = if c.flagged { "flagged" } else { "not-flagged" };
        let whose = if c.same_source {
            " of the same source".to_string()
        } else {
            format!(" (this source has no {side} session)")
        };
        let mut out = vec![format!(
            "Nearest {side} session{whose}: row {}, score {:.4}.",
            c.id, c.score
        )];
        let mut order: Vec<usize> = (0..self.features.len().min(c.features.len())).collect();
        let apart = |f: usize| c.apart.get(f).copied().unwrap_or(0.0);
        order.sort_by(|&x, &y| apart(y).total_cmp(&apart(x)));
        for (i, &f) in order.iter().enumerate() {
            let (a, b) = (&self.features[f], &c.features[f]);
            let note = if alike(a, b) {
                "alike"
            } else if i == 0 {
                "differs most"
            } else {
                "differs"
            };
            out.push(format!(
                "{}: {} here vs {} there ({} vs {}) {note}",
                a.name,
                compact(a.value),
                compact(b.value),
                short_standing(a),
                short_standing(b),
            ));
        }
        out
    }
}

/// Two values of a feature are alike when they sit close among the sessions and are within a
/// factor of two of each other.
fn alike(a: &FeatureFact, b: &FeatureFact) -> bool {
    let close = (a.position() - b.position()).abs() < 0.1;
    let (x, y) = (a.value.abs(), b.value.abs());
    let near = x == y || (x.max(y) <= 2.0 * x.min(y));
    close && near
}

/// "top 0.4%" / "bottom 10%": the share of sessions at or beyond a value, in a few characters.
fn short_standing(f: &FeatureFact) -> String {
    let p = f.position();
    let ties = f.present - f.lower - f.higher;
    if !p.is_finite() {
        "no value".into()
    } else if p >= 0.5 {
        format!("top {}", percent(f.higher + ties, f.present))
    } else {
        format!("bottom {}", percent(f.lower + ties, f.present))
    }
}

/// `n` of `total` in percent, never rounded up to 100% or down to 0% when it is neither.
fn percent(n: usize, total: usize) -> String {
    if total == 0 {
        return "0%".into();
    }
    let p = n as f64 * 100.0 / total as f64;
    if n == total {
        "100%".into()
    } else if n == 0 {
        "0%".into()
    } else if p >= 99.0 {
        format!("{:.1}%", (p * 10.0).floor() / 10.0)
    } else if p < 1.0 {
        format!("{:.1}%", ((p * 10.0).ceil() / 10.0).max(0.1))
    } else {
        format!("{:.0}%", p.floor().max(1.0))
    }
}

/// A compact number: 1234 → `1234`, 1.2e6 → `1.2M`, 0.25 → `0.25`.
fn compact(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "—".into()
    } else if a >= 1e9 {
        format!("{:.1}G", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::pipeline::DetectParams;

    /// 200 ordinary sessions, then the analyst's puzzle: one IP with a 4.2 MB session of two
    /// seconds and a 4.8 MB session of ten minutes.
    fn puzzle() -> (Dataset, DetectionRun) {
        let mut csv = String::from("bytes_in,bytes_out,creation_time,end_time,src_ip\n");
        for i in 0..200u32 {
            let bytes = 1000 + (i * 7919) % 5_000_000;
            let start = format!("2024-04-25T{:02}:{:02}:00Z", i / 60 % 24, i % 60);
            let end = format!("2024-04-25T{:02}:{:02}:00Z", (i / 60 + 1) % 24, i % 60);
            csv.push_str(&format!(
                "{bytes},500,{start},{end},10.0.{}.{}\n",
                i % 7,
                i % 5
            ));
        }
        csv.push_str("4200000,500,2024-04-25T05:00:00Z,2024-04-25T05:00:02Z,203.0.113.9\n");
        csv.push_str("4800000,500,2024-04-25T06:00:00Z,2024-04-25T07:00:00Z,203.0.113.9\n");
        csv.push_str("300,500,2024-04-25T07:00:00Z,2024-04-25T08:00:00Z,203.0.113.9\n");
        let ds = crate::ingest::load_bytes("<puzzle>", csv.as_bytes()).unwrap();
        let params = DetectParams {
            features: vec!["bytes_in".into(), "session_duration".into()],
            ..DetectParams::defaults_for(&ds)
        };
        let det = DetectionRun::run(&ds, &params, &Default::default()).unwrap();
        (ds, det)
    }

    #[test]
    fn a_flagged_session_is_set_against_its_sources_nearest_unflagged_one() {
        let (ds, det) = puzzle();
        let (short, long) = (200, 201);
        let mut flags = vec![false; ds.rows];
        flags[short] = true;
        let no = AtomicBool::new(false);
        let f = plain_facts(&ds, &det, short, Some(&flags), Some(0.6), &no).unwrap();
        assert!(f.flagged);
        assert_eq!(f.source, Some(("203.0.113.9".into(), 3, 1)));
        let c = f.contrast.as_ref().unwrap();
        assert_eq!(
            (c.id, c.same_source, c.flagged),
            (long as RowId, true, false)
        );
        let lines = f.contrast_lines();
        assert!(
            lines[0].contains("of the same source: row 201"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("session_duration: 2 here vs 3600 there")
                && lines[1].ends_with("differs most"),
            "{lines:?}"
        );
        assert!(
            lines[2].starts_with("bytes_in: 4.2M here vs 4.8M there")
                && lines[2].ends_with("alike"),
            "{lines:?}"
        );
        // The 4.2 MB session is bigger than all 200 ordinary ones (which stay under 5 MB but are
        // spread evenly), and two seconds is shorter than every other session.
        let dur = &f.features[1];
        assert_eq!((dur.lower, dur.higher, dur.present), (0, 202, 203));
        assert_eq!(dur.standing(), "lower than 99.5% of sessions");
        assert_eq!(f.features[0].multiple().unwrap().split('×').count(), 2);
        assert!(
            f.score_sentence().starts_with("Score "),
            "{}",
            f.score_sentence()
        );
        assert!(
            f.score_sentence()
                .contains("above the threshold 0.6000: flagged")
        );
    }

    #[test]
    fn without_a_rule_there_is_no_contrast() {
        let (ds, det) = puzzle();
        let no = AtomicBool::new(false);
        let f = plain_facts(&ds, &det, 0, None, None, &no).unwrap();
        assert_eq!(f.contrast, None);
        assert!(f.contrast_lines().is_empty());
        assert!(f.score_sentence().ends_with("no flagging rule is set."));
        assert!(plain_facts(&ds, &det, 0, None, None, &AtomicBool::new(true)).is_err());
    }

    fn fact(value: f64, lower: usize, higher: usize, present: usize, median: f64) -> FeatureFact {
        FeatureFact {
            name: "x".into(),
            value,
            lower,
            higher,
            present,
            median,
        }
    }

    #[test]
    fn standings_and_multiples_read_as_plain_words() {
        assert_eq!(
            fact(110.0, 996, 4, 1000, 1.0).sentence(),
            "110: higher than 99.6% of sessions, 110× the median (1)"
        );
        assert_eq!(
            fact(1.0, 10, 800, 1000, 4.0).standing(),
            "lower than 80% of sessions"
        );
        assert_eq!(
            fact(3.0, 0, 0, 10, 3.0).standing(),
            "the same as every session"
        );
        // Never rounded to 100% when one session is higher still.
        assert_eq!(
            fact(9.0, 9998, 1, 9999, 1.0).standing(),
            "higher than 99.9% of sessions"
        );
        assert_eq!(
            fact(0.0, 0, 5, 10, 0.0).multiple().unwrap(),
            "the median (0)"
        );
        assert_eq!(fact(-1.0, 0, 5, 10, 2.0).multiple(), None);
        assert_eq!(
            fact(1.5, 5, 5, 11, 1.0).multiple().unwrap(),
            "1.5× the median (1)"
        );
        assert!(
            fact(f64::NAN, 0, 0, 10, 1.0)
                .sentence()
                .contains("no value")
        );
    }
}
