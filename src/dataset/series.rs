//! Reading a numeric source (an input column or a derived feature) as `f64` values, fast.
//!
//! A [`SeriesReader`] resolves the role columns a source needs once, then answers per row,
//! for a range of rows, or for a list of rows without looking anything up again: this is the
//! vectorised path behind [`Dataset::values`] and the analyses that stream over millions of
//! rows. Values are bit-for-bit those of [`Dataset::value`] (missing or undefined is `NaN`).
//! It only reads; it allocates nothing per row.

use super::derived::Derived;
use super::scratch::Block;
use super::{
    ColumnData, Dataset, Floats, MISSING_TIME, MISSING_U64, NumericSource, Role, Times, UInts,
};

/// A byte-count input: read as `u64` the way [`Derived::value`] does.
#[derive(Debug, Clone, Copy)]
enum Count<'a> {
    UInt(&'a UInts),
    Float(&'a Floats),
    None,
    /// An absent byte count that adds nothing (a flow log's missing bytes_out in a rate).
    Zero,
}

impl Count<'_> {
    fn of(ds: &Dataset, role: Role) -> Count<'_> {
        match ds.role(role).map(|c| &c.data) {
            Some(ColumnData::UInt(v)) => Count::UInt(v),
            Some(ColumnData::Float(v)) => Count::Float(v),
            _ => Count::None,
        }
    }

    /// [`Count::of`], but zero on every row when the dataset has no such column.
    fn or_zero(ds: &Dataset, role: Role) -> Count<'_> {
        match ds.role(role) {
            None => Count::Zero,
            Some(_) => Count::of(ds, role),
        }
    }

    #[inline]
    fn get(self, row: usize) -> Option<u64> {
        match self {
            Count::UInt(v) => v.get(row).filter(|x| *x != MISSING_U64),
            Count::Float(v) => v.get(row).filter(|x| !x.is_nan()).map(|x| x as u64),
            Count::None => None,
            Count::Zero => Some(0),
        }
    }
}

fn times(ds: &Dataset, role: Role) -> Option<&Times> {
    match ds.role(role).map(|c| &c.data) {
        Some(ColumnData::Time(v)) => Some(v),
        _ => None,
    }
}

#[inline]
fn time_at(v: Option<&Times>, row: usize) -> Option<i64> {
    v?.get(row).filter(|x| *x != MISSING_TIME)
}

/// The range of epoch milliseconds chrono can represent (outside it, hour and weekday are undefined).
fn chrono_ms_range() -> (i64, i64) {
    (
        chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis(),
        chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis(),
    )
}

const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_DAY: i64 = 86_400_000;

#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    UInt(&'a UInts),
    Float(&'a Floats),
    /// A column that holds no numbers, or a feature whose inputs are absent: always missing.
    Missing,
    Duration {
        start: Option<&'a Times>,
        end: Option<&'a Times>,
    },
    Rate {
        start: Option<&'a Times>,
        end: Option<&'a Times>,
        bytes_in: Count<'a>,
        bytes_out: Count<'a>,
    },
    Ratio {
        bytes_in: Count<'a>,
        bytes_out: Count<'a>,
    },
    /// Bytes per packet, undefined for zero packets.
    PerPacket {
        bytes: Count<'a>,
        packets: Count<'a>,
    },
    /// Hour (true) or day of week (false) of the start time: creation_time, else time, else end_time.
    Clock {
        hour: bool,
        times: [Option<&'a Times>; 3],
        range: (i64, i64),
    },
}

/// Reads one numeric source with its columns resolved once.
#[derive(Debug, Clone, Copy)]
pub struct SeriesReader<'a> {
    kind: Kind<'a>,
    rows: usize,
}

impl<'a> SeriesReader<'a> {
    /// Resolves `src` against `ds`.
    pub fn new(ds: &'a Dataset, src: NumericSource) -> Self {
        let kind = match src {
            NumericSource::Column(i) => match ds.columns.get(i).map(|c| &c.data) {
                Some(ColumnData::UInt(v)) => Kind::UInt(v),
                Some(ColumnData::Float(v)) => Kind::Float(v),
                _ => Kind::Missing,
            },
            NumericSource::Derived(d) => match d {
                Derived::SessionDuration => Kind::Duration {
                    start: times(ds, Role::Start),
                    end: times(ds, Role::End),
                },
                Derived::BytesPerSec => Kind::Rate {
                    start: times(ds, Role::Start),
                    end: times(ds, Role::End),
                    bytes_in: Count::of(ds, Role::BytesIn),
                    bytes_out: Count::or_zero(ds, Role::BytesOut),
                },
                Derived::BytesPerPacket => Kind::PerPacket {
                    bytes: Count::of(ds, Role::BytesIn),
                    packets: Count::of(ds, Role::Packets),
                },
                Derived::InOutRatio => Kind::Ratio {
                    bytes_in: Count::of(ds, Role::BytesIn),
                    bytes_out: Count::of(ds, Role::BytesOut),
                },
                Derived::Hour | Derived::DayOfWeek => Kind::Clock {
                    hour: d == Derived::Hour,
                    times: [
                        times(ds, Role::Start),
                        times(ds, Role::Time),
                        times(ds, Role::End),
                    ],
                    range: chrono_ms_range(),
                },
            },
        };
        SeriesReader {
            kind,
            rows: ds.rows,
        }
    }

    /// The value at `row`, `None` when missing or undefined (as [`Dataset::value`]).
    #[inline]
    pub fn get(&self, row: usize) -> Option<f64> {
        if row >= self.rows {
            return None;
        }
        match self.kind {
            Kind::UInt(v) => v.get(row).filter(|x| *x != MISSING_U64).map(|x| x as f64),
            Kind::Float(v) => v.get(row).filter(|x| !x.is_nan()),
            Kind::Missing => None,
            Kind::Duration { start, end } => duration(start, end, row),
            Kind::Rate {
                start,
                end,
                bytes_in,
                bytes_out,
            } => {
                let d = duration(start, end, row).filter(|d| *d > 0.0)?;
                let (i, o) = (bytes_in.get(row)?, bytes_out.get(row)?);
                // (i + o) as f64 rounds the exact sum whether it is held in 64 or 128 bits.
                let total = match i.checked_add(o) {
                    Some(t) => t as f64,
                    None => (u128::from(i) + u128::from(o)) as f64,
                };
                Some(total / d)
            }
            Kind::Ratio {
                bytes_in,
                bytes_out,
            } => {
                let i = bytes_in.get(row)? as f64;
                let o = bytes_out.get(row)? as f64;
                Some(i / (o + 1.0))
            }
            Kind::PerPacket { bytes, packets } => {
                let p = packets.get(row).filter(|p| *p > 0)?;
                Some(bytes.get(row)? as f64 / p as f64)
            }
            Kind::Clock { hour, times, range } => {
                let t = times.into_iter().find_map(|c| time_at(c, row))?;
                if t < range.0 || t > range.1 {
                    return None;
                }
                Some(clock(hour, t))
            }
        }
    }

    /// The value at `row`, `NaN` when missing or undefined.
    #[inline]
    pub fn get_or_nan(&self, row: usize) -> f64 {
        self.get(row).unwrap_or(f64::NAN)
    }

    /// Calls `f(first, values)` for every row, a block of rows at a time in order (`values` are
    /// those of rows `first..first + values.len()`, `NaN` when missing), with one buffer.
    pub fn for_each_block(&self, mut f: impl FnMut(usize, &[f64])) {
        const BLOCK: usize = 8 * 1024;
        let mut buf = vec![0.0; BLOCK.min(self.rows)];
        for first in (0..self.rows).step_by(BLOCK) {
            let part = &mut buf[..BLOCK.min(self.rows - first)];
            self.fill(first, part);
            f(first, part);
        }
    }

    /// Writes the values of rows `first..first + out.len()` into `out` (`NaN` when missing).
    pub fn fill(&self, first: usize, out: &mut [f64]) {
        let end = first.saturating_add(out.len());
        if end > self.rows || !self.fill_fast(first, end, out) {
            for (k, o) in out.iter_mut().enumerate() {
                *o = self.get_or_nan(first + k);
            }
        }
    }

    /// The common layouts as straight loops over decoded blocks of the columns; `false` when
    /// the layout is unusual and the per-row path must be used.
    fn fill_fast(&self, first: usize, end: usize, out: &mut [f64]) -> bool {
        let n = end - first;
        // Reused buffers (no allocation or zeroing per block); every value is written below.
        let times = |t: Option<&Times>| {
            let mut buf = Block::i64s(n);
            t.is_some_and(|t| t.copy_range(first, buf.as_mut_slice()))
                .then_some(buf)
        };
        let counts = |c: Count<'_>| {
            let mut buf = Block::u64s(n);
            match c {
                Count::Zero => {
                    buf.as_mut_slice().fill(0);
                    Some(buf)
                }
                Count::UInt(v) if v.copy_range(first, buf.as_mut_slice()) => Some(buf),
                _ => None,
            }
        };
        let secs = |s: i64, e: i64| {
            if s == MISSING_TIME || e == MISSING_TIME {
                f64::NAN
            } else {
                e.saturating_sub(s) as f64 / 1000.0
            }
        };
        match self.kind {
            Kind::UInt(v) => {
                let Some(v) = counts(Count::UInt(v)) else {
                    return false;
                };
                for (o, &x) in out.iter_mut().zip(&v) {
                    *o = if x == MISSING_U64 { f64::NAN } else { x as f64 };
                }
            }
            Kind::Float(v) => return v.copy_range(first, out),
            Kind::Missing => out.fill(f64::NAN),
            Kind::Duration { start, end } => {
                let (Some(s), Some(e)) = (times(start), times(end)) else {
                    return false;
                };
                for ((o, &a), &b) in out.iter_mut().zip(&s).zip(&e) {
                    *o = secs(a, b);
                }
            }
            Kind::Rate {
                start,
                end,
                bytes_in,
                bytes_out,
            } => {
                let (Some(s), Some(e), Some(i), Some(x)) = (
                    times(start),
                    times(end),
                    counts(bytes_in),
                    counts(bytes_out),
                ) else {
                    return false;
                };
                for ((((o, &a), &b), &bi), &bo) in out.iter_mut().zip(&s).zip(&e).zip(&i).zip(&x) {
                    let d = secs(a, b);
                    *o = if d > 0.0 && bi != MISSING_U64 && bo != MISSING_U64 {
                        let total = match bi.checked_add(bo) {
                            Some(t) => t as f64,
                            None => (u128::from(bi) + u128::from(bo)) as f64,
                        };
                        total / d
                    } else {
                        f64::NAN
                    };
                }
            }
            Kind::Ratio {
                bytes_in,
                bytes_out,
            } => {
                let (Some(i), Some(x)) = (counts(bytes_in), counts(bytes_out)) else {
                    return false;
                };
                for ((o, &bi), &bo) in out.iter_mut().zip(&i).zip(&x) {
                    *o = if bi == MISSING_U64 || bo == MISSING_U64 {
                        f64::NAN
                    } else {
                        bi as f64 / (bo as f64 + 1.0)
                    };
                }
            }
            Kind::PerPacket { .. } => return false,
            Kind::Clock {
                hour,
                times: cols,
                range,
            } => {
                // The first column with a time on the row, as `get` reads it: the first column's
                // block, its gaps filled from the next columns (read only while gaps remain).
                let mut cols = cols.into_iter().flatten();
                let Some(mut t) = cols.next().map_or_else(
                    || {
                        let mut b = Block::i64s(n);
                        b.as_mut_slice().fill(MISSING_TIME);
                        Some(b)
                    },
                    |c| times(Some(c)),
                ) else {
                    return false;
                };
                for c in cols {
                    if !t.contains(&MISSING_TIME) {
                        break;
                    }
                    let Some(next) = times(Some(c)) else {
                        return false;
                    };
                    for (x, &y) in t.as_mut_slice().iter_mut().zip(&next) {
                        if *x == MISSING_TIME {
                            *x = y;
                        }
                    }
                }
                for (o, &t) in out.iter_mut().zip(&t) {
                    *o = if t != MISSING_TIME && t >= range.0 && t <= range.1 {
                        clock(hour, t)
                    } else {
                        f64::NAN
                    };
                }
            }
        }
        true
    }

    /// Writes the values of the listed rows into `out` (one per row, `NaN` when missing).
    pub fn fill_rows(&self, rows: &[u32], out: &mut [f64]) {
        for (o, &r) in out.iter_mut().zip(rows) {
            *o = self.get_or_nan(r as usize);
        }
    }
}

/// The hour of day (or, with `hour` false, the weekday counting from Monday = 0) of epoch
/// milliseconds `t`, in UTC.
#[inline]
fn clock(hour: bool, t: i64) -> f64 {
    if hour {
        t.div_euclid(MS_PER_HOUR).rem_euclid(24) as f64
    } else {
        // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
        (t.div_euclid(MS_PER_DAY) + 3).rem_euclid(7) as f64
    }
}

#[inline]
fn duration(start: Option<&Times>, end: Option<&Times>, row: usize) -> Option<f64> {
    let s = time_at(start, row)?;
    let e = time_at(end, row)?;
    Some(e.saturating_sub(s) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Column;
    use chrono::{Datelike, Timelike};

    fn col(name: &str, role: Option<Role>, data: ColumnData) -> Column {
        Column {
            name: name.into(),
            role,
            data,
        }
    }

    /// A dataset with every awkward case: missing cells, zero and negative durations, a start
    /// time missing (the clock falls back to `time`), huge byte counts, out-of-range times.
    fn awkward() -> Dataset {
        let t0 = 1_714_086_000_000i64;
        let (min, max) = chrono_ms_range();
        let start = vec![
            t0,
            t0,
            MISSING_TIME,
            t0 + 5,
            -86_400_001,
            min,
            max,
            min - 1,
            t0,
        ];
        let end = vec![
            t0 + 600_000,
            t0,
            t0,
            t0,
            0,
            min + 1000,
            max,
            t0,
            MISSING_TIME,
        ];
        let time = vec![t0, t0, t0 + 3_600_000 * 5, t0, 7, 0, 0, max + 1, t0];
        let bin = vec![10, 20, MISSING_U64, u64::MAX - 1, 5, 0, 1, 2, 3];
        let bout = vec![30, 0, 4, u64::MAX - 1, MISSING_U64, 0, 1, 2, 3];
        let n = start.len();
        Dataset {
            columns: vec![
                col(
                    "bytes_in",
                    Some(Role::BytesIn),
                    ColumnData::UInt(bin.into()),
                ),
                col(
                    "bytes_out",
                    Some(Role::BytesOut),
                    ColumnData::UInt(bout.into()),
                ),
                col(
                    "creation_time",
                    Some(Role::Start),
                    ColumnData::Time(start.into()),
                ),
                col("end_time", Some(Role::End), ColumnData::Time(end.into())),
                col("time", Some(Role::Time), ColumnData::Time(time.into())),
                col(
                    "f",
                    None,
                    ColumnData::Float(
                        vec![1.5, f64::NAN, -2.0, 0.0, 3.0, 4.0, 5.0, 6.0, 7.0].into(),
                    ),
                ),
            ],
            rows: n,
            ..Dataset::default()
        }
    }

    /// The per-row definition, written out with chrono as the derived module documents it.
    fn reference(ds: &Dataset, src: NumericSource, row: usize) -> Option<f64> {
        match src {
            NumericSource::Derived(Derived::Hour) => {
                let t = chrono::DateTime::from_timestamp_millis(ds.start_time(row)?)?;
                Some(f64::from(t.hour()))
            }
            NumericSource::Derived(Derived::DayOfWeek) => {
                let t = chrono::DateTime::from_timestamp_millis(ds.start_time(row)?)?;
                Some(f64::from(t.weekday().num_days_from_monday()))
            }
            _ => ds.value(src, row),
        }
    }

    fn all_sources(ds: &Dataset) -> Vec<NumericSource> {
        let mut s: Vec<NumericSource> = (0..ds.columns.len()).map(NumericSource::Column).collect();
        s.extend(Derived::ALL.map(NumericSource::Derived));
        s
    }

    /// Typical log data: whole seconds, 32-bit counts, f32-exact numbers (the narrow layouts).
    fn tidy() -> Dataset {
        let t0 = 1_714_086_000_000i64;
        let n = 50;
        let start: Vec<i64> = (0..n)
            .map(|i| {
                if i % 9 == 4 {
                    MISSING_TIME
                } else {
                    t0 + i * 60_000
                }
            })
            .collect();
        let end: Vec<i64> = (0..n)
            .map(|i| t0 + i * 60_000 + (i % 4) * 300_000)
            .collect();
        let bin: Vec<u64> = (0..n as u64)
            .map(|i| if i % 7 == 3 { MISSING_U64 } else { i * 1000 })
            .collect();
        let bout: Vec<u64> = (0..n as u64).map(|i| i * 17 % 400).collect();
        let ds = Dataset {
            columns: vec![
                col(
                    "bytes_in",
                    Some(Role::BytesIn),
                    ColumnData::UInt(bin.into()),
                ),
                col(
                    "bytes_out",
                    Some(Role::BytesOut),
                    ColumnData::UInt(bout.into()),
                ),
                col(
                    "creation_time",
                    Some(Role::Start),
                    ColumnData::Time(start.into()),
                ),
                col("end_time", Some(Role::End), ColumnData::Time(end.into())),
                col(
                    "port",
                    None,
                    ColumnData::Float((0..n).map(|i| (i % 3) as f64 * 100.0).collect()),
                ),
            ],
            rows: n as usize,
            ..Dataset::default()
        };
        assert!(matches!(
            ds.columns[0].data,
            ColumnData::UInt(UInts::U16(_))
        ));
        assert!(matches!(
            ds.columns[2].data,
            ColumnData::Time(Times::Secs { .. })
        ));
        assert!(matches!(
            ds.columns[4].data,
            ColumnData::Float(Floats::U16(_))
        ));
        ds
    }

    #[test]
    fn reader_agrees_with_the_per_row_definition_bit_for_bit() {
        for ds in [awkward(), tidy()] {
            check_reader(&ds);
        }
    }

    fn check_reader(ds: &Dataset) {
        let ds = ds.clone();
        for src in all_sources(&ds) {
            let r = SeriesReader::new(&ds, src);
            let mut filled = vec![0.0; ds.rows];
            r.fill(0, &mut filled);
            let mut listed = vec![0.0; ds.rows];
            let order: Vec<u32> = (0..ds.rows as u32).rev().collect();
            r.fill_rows(&order, &mut listed);
            for row in 0..ds.rows {
                let want = reference(&ds, src, row).map(f64::to_bits);
                assert_eq!(r.get(row).map(f64::to_bits), want, "{src:?} row {row}");
                assert_eq!(
                    filled[row].to_bits(),
                    want.unwrap_or(f64::NAN.to_bits()),
                    "{src:?} fill row {row}"
                );
                assert_eq!(
                    listed[ds.rows - 1 - row].to_bits(),
                    want.unwrap_or(f64::NAN.to_bits()),
                    "{src:?} fill_rows row {row}"
                );
            }
            assert_eq!(r.get(ds.rows), None);
            // A range inside, and one running past the end (filled as missing).
            let mut part = vec![0.0; 4];
            r.fill(3, &mut part);
            assert_eq!(
                part.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                filled[3..7].iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
            let mut past = vec![0.0; 3];
            r.fill(ds.rows - 1, &mut past);
            assert_eq!(past[0].to_bits(), filled[ds.rows - 1].to_bits());
            assert!(past[1].is_nan() && past[2].is_nan());
        }
    }

    #[test]
    fn clock_matches_chrono_across_eras() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let (min, max) = chrono_ms_range();
        let mut times = vec![
            min,
            max,
            min + 1,
            max - 1,
            0,
            -1,
            1,
            -86_400_000,
            86_399_999,
        ];
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            times.push((state as i64) % (max / 2));
        }
        let n = times.len();
        let ds = Dataset {
            columns: vec![col(
                "time",
                Some(Role::Time),
                ColumnData::Time(times.into()),
            )],
            rows: n,
            ..Dataset::default()
        };
        for d in [Derived::Hour, Derived::DayOfWeek] {
            let src = NumericSource::Derived(d);
            let r = SeriesReader::new(&ds, src);
            for row in 0..n {
                assert_eq!(r.get(row), reference(&ds, src, row), "{d:?} row {row}");
            }
        }
    }

    #[test]
    fn float_byte_counts_are_read_like_the_per_row_path() {
        let ds = Dataset {
            columns: vec![
                col(
                    "bytes_in",
                    Some(Role::BytesIn),
                    ColumnData::Float(vec![1.9, f64::NAN, -3.0].into()),
                ),
                col(
                    "bytes_out",
                    Some(Role::BytesOut),
                    ColumnData::Float(vec![2.0, 1.0, 1.0].into()),
                ),
            ],
            rows: 3,
            ..Dataset::default()
        };
        let src = NumericSource::Derived(Derived::InOutRatio);
        let r = SeriesReader::new(&ds, src);
        for row in 0..3 {
            assert_eq!(r.get(row), ds.value(src, row));
        }
    }
}
