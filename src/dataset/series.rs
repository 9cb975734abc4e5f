//! Reading a numeric source (an input column or a derived feature) as `f64` values, fast.
//!
//! A [`SeriesReader`] resolves the role columns a source needs once, then answers per row,
//! for a range of rows, or for a list of rows without looking anything up again: this is the
//! vectorised path behind [`Dataset::values`] and the analyses that stream over millions of
//! rows. Values are bit-for-bit those of [`Dataset::value`] (missing or undefined is `NaN`).
//! It only reads; it allocates nothing per row.

use super::derived::Derived;
use super::{ColumnData, Dataset, MISSING_TIME, MISSING_U64, NumericSource, Role};

/// A byte-count input: read as `u64` the way [`Derived::value`] does.
#[derive(Debug, Clone, Copy)]
enum Count<'a> {
    UInt(&'a [u64]),
    Float(&'a [f64]),
    None,
}

impl Count<'_> {
    fn of(ds: &Dataset, role: Role) -> Count<'_> {
        match ds.role(role).map(|c| &c.data) {
            Some(ColumnData::UInt(v)) => Count::UInt(v),
            Some(ColumnData::Float(v)) => Count::Float(v),
            _ => Count::None,
        }
    }

    #[inline]
    fn get(self, row: usize) -> Option<u64> {
        match self {
            Count::UInt(v) => v.get(row).copied().filter(|x| *x != MISSING_U64),
            Count::Float(v) => v
                .get(row)
                .copied()
                .filter(|x| !x.is_nan())
                .map(|x| x as u64),
            Count::None => None,
        }
    }
}

fn times(ds: &Dataset, role: Role) -> Option<&[i64]> {
    match ds.role(role).map(|c| &c.data) {
        Some(ColumnData::Time(v)) => Some(v),
        _ => None,
    }
}

#[inline]
fn time_at(v: Option<&[i64]>, row: usize) -> Option<i64> {
    v?.get(row).copied().filter(|x| *x != MISSING_TIME)
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
    UInt(&'a [u64]),
    Float(&'a [f64]),
    /// A column that holds no numbers, or a feature whose inputs are absent: always missing.
    Missing,
    Duration {
        start: Option<&'a [i64]>,
        end: Option<&'a [i64]>,
    },
    Rate {
        start: Option<&'a [i64]>,
        end: Option<&'a [i64]>,
        bytes_in: Count<'a>,
        bytes_out: Count<'a>,
    },
    Ratio {
        bytes_in: Count<'a>,
        bytes_out: Count<'a>,
    },
    /// Hour (true) or day of week (false) of the start time: creation_time, else time, else end_time.
    Clock {
        hour: bool,
        times: [Option<&'a [i64]>; 3],
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
                    bytes_out: Count::of(ds, Role::BytesOut),
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
            Kind::UInt(v) => v.get(row).filter(|x| **x != MISSING_U64).map(|x| *x as f64),
            Kind::Float(v) => v.get(row).copied().filter(|x| !x.is_nan()),
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
            Kind::Clock { hour, times, range } => {
                let t = times.into_iter().find_map(|c| time_at(c, row))?;
                if t < range.0 || t > range.1 {
                    return None;
                }
                Some(if hour {
                    t.div_euclid(MS_PER_HOUR).rem_euclid(24) as f64
                } else {
                    // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
                    (t.div_euclid(MS_PER_DAY) + 3).rem_euclid(7) as f64
                })
            }
        }
    }

    /// The value at `row`, `NaN` when missing or undefined.
    #[inline]
    pub fn get_or_nan(&self, row: usize) -> f64 {
        self.get(row).unwrap_or(f64::NAN)
    }

    /// Writes the values of rows `first..first + out.len()` into `out` (`NaN` when missing).
    pub fn fill(&self, first: usize, out: &mut [f64]) {
        let end = first.saturating_add(out.len());
        match self.kind {
            // The plain columns: straight conversions the compiler can vectorise.
            Kind::UInt(v) if end <= v.len() && end <= self.rows => {
                for (o, &x) in out.iter_mut().zip(&v[first..end]) {
                    *o = if x == MISSING_U64 { f64::NAN } else { x as f64 };
                }
            }
            Kind::Float(v) if end <= v.len() && end <= self.rows => {
                out.copy_from_slice(&v[first..end]);
            }
            _ => {
                for (k, o) in out.iter_mut().enumerate() {
                    *o = self.get_or_nan(first + k);
                }
            }
        }
    }

    /// Writes the values of the listed rows into `out` (one per row, `NaN` when missing).
    pub fn fill_rows(&self, rows: &[u32], out: &mut [f64]) {
        for (o, &r) in out.iter_mut().zip(rows) {
            *o = self.get_or_nan(r as usize);
        }
    }
}

#[inline]
fn duration(start: Option<&[i64]>, end: Option<&[i64]>, row: usize) -> Option<f64> {
    let s = time_at(start, row)?;
    let e = time_at(end, row)?;
    Some(e.saturating_sub(s) as f64 / 1000.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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
                col("bytes_in", Some(Role::BytesIn), ColumnData::UInt(bin)),
                col("bytes_out", Some(Role::BytesOut), ColumnData::UInt(bout)),
                col("creation_time", Some(Role::Start), ColumnData::Time(start)),
                col("end_time", Some(Role::End), ColumnData::Time(end)),
                col("time", Some(Role::Time), ColumnData::Time(time)),
                col(
                    "f",
                    None,
                    ColumnData::Float(vec![1.5, f64::NAN, -2.0, 0.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
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

    #[test]
    fn reader_agrees_with_the_per_row_definition_bit_for_bit() {
        let ds = awkward();
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
            columns: vec![col("time", Some(Role::Time), ColumnData::Time(times))],
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
                    ColumnData::Float(vec![1.9, f64::NAN, -3.0]),
                ),
                col(
                    "bytes_out",
                    Some(Role::BytesOut),
                    ColumnData::Float(vec![2.0, 1.0, 1.0]),
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
