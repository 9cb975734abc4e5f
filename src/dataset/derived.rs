//! Derived features, computed on demand from the role columns.
//!
//! `session_duration` (end − start, seconds), `bytes_per_sec` ((in + out) /
//! duration; the notebooks' `avg_packet_size`; a flow log has one byte count, so its
//! bytes / duration), `in_out_ratio` (in / (out + 1)), `bytes_per_packet` (bytes / packets,
//! undefined for zero packets),
//! `hour` and `day_of_week` (Monday = 0, as pandas) of the start time. A zero or
//! negative duration makes `bytes_per_sec` undefined (`None`), never inf or NaN.
//! Nothing is stored: a derived value costs a few loads, which keeps the dataset lean.
//! [`Derived::value`] is the per-row definition (it looks its columns up on every call);
//! loops over many rows use [`SeriesReader`](super::SeriesReader), which resolves them once.

use super::{ColumnData, Dataset, MISSING_TIME, MISSING_U64, Role};
use chrono::{Datelike, Timelike};

/// A derived feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Derived {
    SessionDuration,
    BytesPerSec,
    InOutRatio,
    Hour,
    DayOfWeek,
    BytesPerPacket,
}

/// Where a numeric series comes from: an input column (by index) or a derived feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumericSource {
    Column(usize),
    Derived(Derived),
}

impl Derived {
    pub const ALL: [Derived; 6] = [
        Derived::SessionDuration,
        Derived::BytesPerSec,
        Derived::InOutRatio,
        Derived::Hour,
        Derived::DayOfWeek,
        Derived::BytesPerPacket,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Derived::SessionDuration => "session_duration",
            Derived::BytesPerSec => "bytes_per_sec",
            Derived::InOutRatio => "in_out_ratio",
            Derived::Hour => "hour",
            Derived::DayOfWeek => "day_of_week",
            Derived::BytesPerPacket => "bytes_per_packet",
        }
    }

    /// Resolves a name or alias (`avg_packet_size` is the notebooks' name for `bytes_per_sec`).
    pub fn from_name(name: &str) -> Option<Derived> {
        let n = super::schema::normalise(name);
        if n == "avg_packet_size" {
            return Some(Derived::BytesPerSec);
        }
        Derived::ALL.into_iter().find(|d| d.name() == n)
    }

    /// Whether the dataset has the columns this feature needs.
    pub fn available(self, ds: &Dataset) -> bool {
        let has = |r| ds.role(r).is_some();
        match self {
            Derived::SessionDuration => has(Role::Start) && has(Role::End),
            // Without bytes_out (a flow log), the rate is of the one byte count.
            Derived::BytesPerSec => has(Role::Start) && has(Role::End) && has(Role::BytesIn),
            Derived::InOutRatio => has(Role::BytesIn) && has(Role::BytesOut),
            Derived::Hour | Derived::DayOfWeek => {
                has(Role::Start) || has(Role::Time) || has(Role::End)
            }
            Derived::BytesPerPacket => has(Role::BytesIn) && has(Role::Packets),
        }
    }

    /// The feature's value at a row, `None` when an input is missing or it is undefined.
    pub fn value(self, ds: &Dataset, row: usize) -> Option<f64> {
        match self {
            Derived::SessionDuration => duration_secs(ds, row),
            Derived::BytesPerSec => {
                let d = duration_secs(ds, row).filter(|d| *d > 0.0)?;
                let out = match ds.role(Role::BytesOut) {
                    Some(_) => uint(ds, Role::BytesOut, row)?,
                    None => 0,
                };
                let total = u128::from(uint(ds, Role::BytesIn, row)?) + u128::from(out);
                Some(total as f64 / d)
            }
            Derived::InOutRatio => {
                let i = uint(ds, Role::BytesIn, row)? as f64;
                let o = uint(ds, Role::BytesOut, row)? as f64;
                Some(i / (o + 1.0))
            }
            Derived::Hour => {
                let t = chrono::DateTime::from_timestamp_millis(ds.start_time(row)?)?;
                Some(f64::from(t.hour()))
            }
            Derived::DayOfWeek => {
                let t = chrono::DateTime::from_timestamp_millis(ds.start_time(row)?)?;
                Some(f64::from(t.weekday().num_days_from_monday()))
            }
            Derived::BytesPerPacket => {
                let p = uint(ds, Role::Packets, row).filter(|p| *p > 0)?;
                Some(uint(ds, Role::BytesIn, row)? as f64 / p as f64)
            }
        }
    }
}

fn uint(ds: &Dataset, role: Role, row: usize) -> Option<u64> {
    match &ds.role(role)?.data {
        ColumnData::UInt(v) => v.get(row).filter(|x| *x != MISSING_U64),
        other => other.number(row).map(|x| x as u64),
    }
}

fn time(ds: &Dataset, role: Role, row: usize) -> Option<i64> {
    match &ds.role(role)?.data {
        ColumnData::Time(v) => v.get(row).filter(|x| *x != MISSING_TIME),
        _ => None,
    }
}

fn duration_secs(ds: &Dataset, row: usize) -> Option<f64> {
    let start = time(ds, Role::Start, row)?;
    let end = time(ds, Role::End, row)?;
    Some((end.saturating_sub(start)) as f64 / 1000.0)
}

/// Counts rows whose duration is zero or negative (for a data-quality note).
pub fn non_positive_durations(ds: &Dataset) -> (usize, usize) {
    let reader =
        super::SeriesReader::new(ds, super::NumericSource::Derived(Derived::SessionDuration));
    let mut zero = 0;
    let mut negative = 0;
    // A block of values at a time (the decoding of a row at a time costs more than the count).
    let mut buf = vec![f64::NAN; 4096.min(ds.rows)];
    for first in (0..ds.rows).step_by(buf.len().max(1)) {
        let n = buf.len().min(ds.rows - first);
        let part = &mut buf[..n];
        reader.fill(first, part);
        for &d in part.iter() {
            zero += usize::from(d == 0.0);
            negative += usize::from(d < 0.0);
        }
    }
    (zero, negative)
}
