//! Traffic over time: sessions and bytes per fixed-width time bucket.
//!
//! Buckets are aligned to multiples of the width since the epoch (as pandas'
//! `resample`), and every bucket between the first and last is present, empty
//! ones included, so quiet gaps show. A series never has more than
//! [`MAX_BUCKETS`] buckets: over a longer span (a stray epoch-0 timestamp next to
//! today's) the width grows, and [`Series::width_secs`] says which was used.
//!
//! The default width ([`default_width`], the one rule the Timeline and the report share) is the
//! narrowest offered width giving at most [`DEFAULT_BUCKETS`] buckets that is a whole multiple of
//! the data's cadence ([`cadence`]: a log written every 10 minutes gets 10-minute, 30-minute or
//! hourly buckets, never 15-minute ones that alternate between one and two writes and draw a comb).
//! Pure functions.

use super::Rows;
use crate::dataset::packed::{Times, UInts};
use crate::dataset::{ColumnData, Dataset, MISSING_TIME, MISSING_U64, Role};
use rayon::prelude::*;
use serde::Serialize;

/// Bucket widths offered, in seconds.
pub const WIDTHS: [i64; 12] = [
    60,
    300,
    600,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    7 * 86_400,
    30 * 86_400,
];

/// Most buckets one series holds.
pub const MAX_BUCKETS: i64 = 2_000_000;

/// One time bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bucket {
    /// Bucket start, epoch milliseconds.
    pub start: i64,
    pub sessions: u64,
    pub bytes_in: u128,
    pub bytes_out: u128,
}

/// A time series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Series {
    /// The bucket width used (wider than asked when the span needs it).
    pub width_secs: i64,
    pub buckets: Vec<Bucket>,
}

/// How many buckets the default width aims at, at most.
pub const DEFAULT_BUCKETS: usize = 120;

/// Logging steps a cadence can be, in seconds, longest first.
pub const CADENCES: [i64; 12] = [3600, 1800, 1200, 900, 600, 300, 120, 60, 30, 15, 10, 5];

/// The data's cadence in seconds: the longest of [`CADENCES`] that at least two thirds of the selected
/// rows' start times lie on (aligned to the epoch, as buckets are). A log written every 10 minutes
/// has 600 even when a quarter of its rows (attacks, retries) fall in between. `None` when no step
/// holds two thirds of the rows (half is not enough: every other 10-minute write is on the 20-minute grid).
pub fn cadence(ds: &Dataset, rows: Rows<'_>) -> Option<i64> {
    type Counts = (usize, [usize; CADENCES.len()]);
    let count = |(timed, on): &mut Counts, t: i64| {
        *timed += 1;
        for (n, c) in on.iter_mut().zip(CADENCES) {
            *n += usize::from(t.rem_euclid(c * 1000) == 0);
        }
    };
    let (timed, on) = match rows {
        // Whole blocks of start times on every core (counts add up the same in any order).
        Rows::All(n) => (0..n.div_ceil(TIME_BLOCK))
            .into_par_iter()
            .map_init(TimeScratch::default, |scratch, b| {
                let mut acc: Counts = (0, [0; CADENCES.len()]);
                let first = b * TIME_BLOCK;
                let times = scratch.start_times(ds, first, TIME_BLOCK.min(n - first));
                for &t in times.iter().filter(|&&t| t != MISSING_TIME) {
                    count(&mut acc, t);
                }
                acc
            })
            .reduce(
                || (0, [0; CADENCES.len()]),
                |(ta, mut a), (tb, b)| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    (ta + tb, a)
                },
            ),
        Rows::Subset(_) => {
            let mut acc: Counts = (0, [0; CADENCES.len()]);
            rows.for_each(|r| {
                if let Some(t) = ds.start_time(r) {
                    count(&mut acc, t);
                }
            });
            acc
        }
    };
    CADENCES
        .into_iter()
        .zip(on)
        .find(|&(_, n)| timed > 1 && n * 3 >= timed * 2)
        .map(|(c, _)| c)
}

/// The width the Timeline and the report use unless the user picks one: the narrowest offered
/// width giving at most [`DEFAULT_BUCKETS`] over the selected rows' span that is a multiple of
/// their [`cadence`]; a cadence that does not divide a day is doubled until it fits.
pub fn default_width(ds: &Dataset, rows: Rows<'_>, window: Option<(i64, i64)>) -> i64 {
    let Some((a, b)) = window.or_else(|| time_range(ds, rows)) else {
        return 3600;
    };
    width_for(a, b, DEFAULT_BUCKETS, cadence(ds, rows))
}

/// [`auto_width`] that is never narrower than `cadence` seconds and always a multiple of it.
pub fn width_for(first_ms: i64, last_ms: i64, max_buckets: usize, cadence: Option<i64>) -> i64 {
    let Some(c) = cadence.filter(|&c| c > 1) else {
        return auto_width(first_ms, last_ms, max_buckets);
    };
    let span = (last_ms.saturating_sub(first_ms) / 1000).max(1);
    let fits = |w: i64| span / w < max_buckets as i64;
    let mut doubled = c;
    while !fits(doubled) {
        doubled = doubled.saturating_mul(2);
    }
    // A clock cadence (one dividing a day) gets an offered width; any other, its own multiples.
    if 86_400 % c != 0 {
        return doubled;
    }
    WIDTHS
        .into_iter()
        .find(|&w| w % c == 0 && fits(w))
        .unwrap_or(doubled)
}

/// The smallest offered width giving at most `max_buckets` over `[first, last]`.
pub fn auto_width(first_ms: i64, last_ms: i64, max_buckets: usize) -> i64 {
    let span = (last_ms.saturating_sub(first_ms) / 1000).max(1);
    WIDTHS
        .into_iter()
        .find(|w| span / w < max_buckets as i64)
        .unwrap_or(30 * 86_400)
}

/// Buckets of `width_secs` needed to cover `[first_ms, last_ms]`.
pub fn bucket_count(first_ms: i64, last_ms: i64, width_secs: i64) -> i64 {
    let w = width_secs.max(1).saturating_mul(1000);
    last_ms.div_euclid(w) - first_ms.div_euclid(w) + 1
}

/// `width_secs`, or when that needs more than `max_buckets` buckets over
/// `[first_ms, last_ms]`, the smallest wider offered width that does not
/// (past 30 days, doubling).
pub fn fitting_width(first_ms: i64, last_ms: i64, width_secs: i64, max_buckets: i64) -> i64 {
    let max_buckets = max_buckets.max(2);
    let fits = |w: i64| bucket_count(first_ms, last_ms, w) <= max_buckets;
    let mut w = width_secs.max(1);
    if fits(w) {
        return w;
    }
    if let Some(offered) = WIDTHS.into_iter().find(|&o| o > w && fits(o)) {
        return offered;
    }
    w = w.max(30 * 86_400);
    while !fits(w) {
        w = w.saturating_mul(2);
    }
    w
}

/// First and last start time over the selected rows.
pub fn time_range(ds: &Dataset, rows: Rows<'_>) -> Option<(i64, i64)> {
    let col = ds.time_column()?;
    let ColumnData::Time(t) = &col.data else {
        return None;
    };
    let widen = |range: Option<(i64, i64)>, v: i64| {
        Some(range.map_or((v, v), |(a, b): (i64, i64)| (a.min(v), b.max(v))))
    };
    let join = |a: Option<(i64, i64)>, b: Option<(i64, i64)>| match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (x, None) | (None, x) => x,
    };
    match rows {
        Rows::All(n) => (0..n.div_ceil(TIME_BLOCK))
            .into_par_iter()
            .map_init(TimeScratch::default, |scratch, b| {
                let first = b * TIME_BLOCK;
                scratch
                    .column(t, first, TIME_BLOCK.min(n - first))
                    .iter()
                    .filter(|&&v| v != MISSING_TIME)
                    .fold(None, |r, &v| widen(r, v))
            })
            .reduce(|| None, join),
        Rows::Subset(_) => {
            let mut range: Option<(i64, i64)> = None;
            rows.for_each(|r| {
                if let Some(v) = t.get(r).filter(|v| *v != MISSING_TIME) {
                    range = widen(range, v);
                }
            });
            range
        }
    }
}

/// Rows per block when a pass over the times runs on every core.
const TIME_BLOCK: usize = 16 * 1024;

/// Most buckets a series is counted in on every core (each core holds a set of its own).
const PARALLEL_BUCKETS: usize = 4096;

/// One core's buffers for decoding blocks of time columns.
#[derive(Default)]
struct TimeScratch {
    times: Vec<i64>,
    other: Vec<i64>,
}

impl TimeScratch {
    /// The values of rows `first..first + len` of `t` ([`MISSING_TIME`] where missing).
    fn column(&mut self, t: &Times, first: usize, len: usize) -> &[i64] {
        decode(t, first, len, &mut self.times);
        &self.times
    }

    /// [`Dataset::start_time`] of rows `first..first + len` ([`MISSING_TIME`] where none).
    fn start_times(&mut self, ds: &Dataset, first: usize, len: usize) -> &[i64] {
        let mut columns = [Role::Start, Role::Time, Role::End]
            .into_iter()
            .filter_map(|r| match ds.role(r).map(|c| &c.data) {
                Some(ColumnData::Time(t)) => Some(t),
                _ => None,
            });
        self.times.clear();
        self.times.resize(len, MISSING_TIME);
        if let Some(t) = columns.next() {
            decode(t, first, len, &mut self.times);
        }
        for t in columns {
            if !self.times.contains(&MISSING_TIME) {
                break;
            }
            decode(t, first, len, &mut self.other);
            for (v, &o) in self.times.iter_mut().zip(&self.other) {
                if *v == MISSING_TIME {
                    *v = o;
                }
            }
        }
        &self.times
    }
}

/// Rows `first..first + len` of `t` into `out` (resized to `len`).
fn decode(t: &Times, first: usize, len: usize, out: &mut Vec<i64>) {
    out.clear();
    out.resize(len, MISSING_TIME);
    if !t.copy_range(first, out) {
        for (k, v) in out.iter_mut().enumerate() {
            *v = t.get(first + k).unwrap_or(MISSING_TIME);
        }
    }
}

/// Sessions and bytes per bucket of `width_secs` (or wider, see the module docs)
/// over the selected rows.
pub fn series(ds: &Dataset, rows: Rows<'_>, width_secs: i64) -> Series {
    let Some((first, last)) = time_range(ds, rows) else {
        return Series {
            width_secs,
            buckets: Vec::new(),
        };
    };
    let Some(ColumnData::Time(t)) = ds.time_column().map(|c| &c.data) else {
        return Series::default();
    };
    let width_secs = fitting_width(first, last, width_secs, MAX_BUCKETS);
    let width_ms = width_secs.saturating_mul(1000);
    let origin = first.div_euclid(width_ms);
    let n = bucket_count(first, last, width_secs).clamp(0, MAX_BUCKETS) as usize;
    let mut buckets: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            start: (origin + i as i64).saturating_mul(width_ms),
            ..Bucket::default()
        })
        .collect();
    let bytes = |role| match ds.role(role).map(|c| &c.data) {
        Some(ColumnData::UInt(v)) => Some(v),
        _ => None,
    };
    let (bin, bout) = (bytes(Role::BytesIn), bytes(Role::BytesOut));
    let add = |buckets: &mut [Bucket], ts: i64, x_in: Option<u64>, x_out: Option<u64>| {
        let i = (ts.div_euclid(width_ms) - origin) as usize;
        if let Some(b) = buckets.get_mut(i) {
            b.sessions += 1;
            if let Some(x) = x_in.filter(|x| *x != MISSING_U64) {
                b.bytes_in += u128::from(x);
            }
            if let Some(x) = x_out.filter(|x| *x != MISSING_U64) {
                b.bytes_out += u128::from(x);
            }
        }
    };
    match rows {
        // Blocks of rows on every core, each core into its own buckets, added up at the end
        // (integer sums: the same in any order). Not for a series of very many buckets, and in
        // runs of blocks long enough that there are a few sets of buckets per core, not one per
        // block (their memory stays small however long the file).
        Rows::All(rows) if n <= PARALLEL_BUCKETS => {
            let blocks = rows.div_ceil(TIME_BLOCK);
            let run = (blocks / (4 * rayon::current_num_threads().max(1))).max(1);
            let bytes = |v: Option<&UInts>, first: usize, out: &mut Vec<u64>| {
                out.clear();
                out.resize(TIME_BLOCK.min(rows - first), MISSING_U64);
                if let Some(v) = v
                    && !v.copy_range(first, out)
                {
                    for (k, x) in out.iter_mut().enumerate() {
                        *x = v.get(first + k).unwrap_or(MISSING_U64);
                    }
                }
            };
            let parts = (0..blocks)
                .into_par_iter()
                .with_min_len(run)
                .fold(
                    || {
                        (
                            vec![Bucket::default(); n],
                            TimeScratch::default(),
                            Vec::new(),
                            Vec::new(),
                        )
                    },
                    |(mut acc, mut scratch, mut vin, mut vout), b| {
                        let first = b * TIME_BLOCK;
                        bytes(bin, first, &mut vin);
                        bytes(bout, first, &mut vout);
                        let times = scratch.column(t, first, TIME_BLOCK.min(rows - first));
                        for ((&ts, &x_in), &x_out) in times.iter().zip(&vin).zip(&vout) {
                            if ts != MISSING_TIME {
                                add(&mut acc, ts, Some(x_in), Some(x_out));
                            }
                        }
                        (acc, scratch, vin, vout)
                    },
                )
                .map(|(acc, ..)| acc)
                .collect::<Vec<_>>();
            for part in parts {
                for (b, p) in buckets.iter_mut().zip(part) {
                    b.sessions += p.sessions;
                    b.bytes_in += p.bytes_in;
                    b.bytes_out += p.bytes_out;
                }
            }
        }
        _ => rows.for_each(|r| {
            if let Some(ts) = t.get(r).filter(|v| *v != MISSING_TIME) {
                add(
                    &mut buckets,
                    ts,
                    bin.and_then(|v| v.get(r)),
                    bout.and_then(|v| v.get(r)),
                );
            }
        }),
    }
    Series {
        width_secs,
        buckets,
    }
}

/// Human name of a width (`10m`, `1h`, `1d`).
pub fn width_name(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Runs of empty buckets at least `min_len` long: (first index, length).
pub fn quiet_gaps(series: &Series, min_len: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    let b = &series.buckets;
    while i < b.len() {
        if b.get(i).is_some_and(|x| x.sessions == 0) {
            let start = i;
            while b.get(i).is_some_and(|x| x.sessions == 0) {
                i += 1;
            }
            if i - start >= min_len {
                out.push((start, i - start));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Buckets whose value is above mean + 3σ of all buckets' values.
pub fn spikes(values: &[f64]) -> Vec<usize> {
    let n = values.len() as f64;
    if values.len() < 3 {
        return Vec::new();
    }
    let mean = super::stats::sum(values.iter().copied()) / n;
    let var = super::stats::sum(values.iter().map(|v| (v - mean).powi(2))) / (n - 1.0);
    let cut = mean + 3.0 * var.sqrt();
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| var > 0.0 && **v > cut)
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Column;

    #[test]
    fn whole_file_passes_on_every_core_equal_the_row_by_row_ones() {
        // Several blocks of rows, some without a creation time (the start falls back to `time`)
        // or any time at all, and missing byte counts.
        let mut csv = b"creation_time,time,bytes_in,bytes_out\n".to_vec();
        for i in 0..(3 * TIME_BLOCK + 77) {
            let t = 1_700_000_000 + (i as i64 * 37) % 90_000;
            let start = if i % 11 == 0 {
                String::new()
            } else {
                t.to_string()
            };
            let time = if i % 13 == 0 {
                String::new()
            } else {
                (t + 5).to_string()
            };
            let bin = if i % 7 == 0 {
                String::new()
            } else {
                (i % 1000).to_string()
            };
            csv.extend(format!("{start},{time},{bin},{}\n", i % 500).bytes());
        }
        let ds = crate::ingest::load_bytes("t.csv", &csv).unwrap();
        let all = Rows::All(ds.rows);
        let every: Vec<u32> = (0..ds.rows as u32).collect();
        let subset = Rows::Subset(&every);
        assert_eq!(time_range(&ds, all), time_range(&ds, subset));
        assert!(time_range(&ds, all).is_some());
        assert_eq!(cadence(&ds, all), cadence(&ds, subset));
        for width in [60, 3600] {
            let (a, b) = (series(&ds, all, width), series(&ds, subset, width));
            assert_eq!(a, b);
            assert!(a.buckets.iter().map(|b| b.sessions).sum::<u64>() > 0);
        }
    }

    fn times(ms: Vec<i64>) -> Dataset {
        Dataset {
            rows: ms.len(),
            columns: vec![Column {
                name: "creation_time".into(),
                role: Some(Role::Start),
                data: ColumnData::Time(ms.into()),
            }],
            ..Dataset::default()
        }
    }

    #[test]
    fn a_span_of_decades_widens_the_buckets_and_loses_no_row() {
        // Epoch 0 next to 2024 and 9999: 71 million hours.
        let ds = times(vec![0, 1_714_086_000_000, 253_402_300_799_000]);
        let s = series(&ds, Rows::All(ds.rows), 3600);
        assert!(s.buckets.len() as i64 <= MAX_BUCKETS);
        assert_eq!(
            s.width_secs,
            7 * 86_400,
            "the first offered width that fits"
        );
        assert_eq!(s.buckets.iter().map(|b| b.sessions).sum::<u64>(), 3);
        // The extremes chrono can represent still fit.
        let ds = times(vec![-8_210_266_876_800_000, 8_210_298_412_799_999]);
        let s = series(&ds, Rows::All(ds.rows), 60);
        assert_eq!(s.buckets.iter().map(|b| b.sessions).sum::<u64>(), 2);
    }

    #[test]
    fn default_buckets_are_a_multiple_of_the_datas_cadence() {
        // Every 10 minutes for 21 hours (the demo's shape), with gaps.
        let t0 = 1_714_003_800_000; // 2024-04-25T00:10:00Z
        let ms: Vec<i64> = (0..127)
            .filter(|i| i % 5 != 3)
            .map(|i| t0 + i * 600_000)
            .collect();
        let ds = times(ms);
        let all = Rows::All(ds.rows);
        assert_eq!(cadence(&ds, all), Some(600));
        let w = default_width(&ds, all, None);
        // 15 minutes would fit 120 buckets, but alternates one and two writes: 30 minutes.
        assert_eq!(auto_width(t0, t0 + 126 * 600_000, DEFAULT_BUCKETS), 900);
        assert_eq!(w, 1800);
        let s = series(&ds, all, w);
        assert!(s.buckets.iter().all(|b| b.sessions <= 3));
        // A short stretch keeps the cadence itself, never less.
        let short = times((0..10).map(|i| t0 + i * 600_000).collect());
        assert_eq!(default_width(&short, Rows::All(10), None), 600);
        // A cadence no offered width is a multiple of: doubled until it fits.
        assert_eq!(width_for(0, 3_600_000, 120, Some(7)), 56);
        assert_eq!(width_for(0, 86_400_000, 120, Some(7 * 60)), 7 * 60 * 2);
        // A quarter of the rows off the grid (attacks between writes): still 10 minutes.
        let mut mixed: Vec<i64> = (0..30).map(|i| t0 + i * 600_000).collect();
        mixed.extend((0..10).map(|i| t0 + i * 600_000 + 123_457));
        assert_eq!(cadence(&times(mixed), Rows::All(40)), Some(600));
        // Irregular times: no cadence, the usual widths.
        let odd = times(vec![t0 + 1, t0 + 1_001, t0 + 61_503]);
        assert_eq!(cadence(&odd, Rows::All(3)), None);
    }

    #[test]
    fn a_short_span_keeps_the_width_asked() {
        let ds = times(vec![0, 7_200_000]);
        let s = series(&ds, Rows::All(ds.rows), 3600);
        assert_eq!((s.width_secs, s.buckets.len()), (3600, 3));
    }
}
