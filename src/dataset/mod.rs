//! The columnar, typed traffic dataset every other module works on.
//!
//! A [`Dataset`] owns one [`Column`] per input column (in header order), each with
//! an optional [`Role`] from the schema layer, plus the reject report and the
//! data-quality notes gathered while loading. Storage is compact: byte counts read as
//! `u64`, timestamps as UTC epoch milliseconds (`i64`) and other numbers as `f64`, but each
//! column is stored as narrow as its values allow ([`packed`]: 32-bit counts, seconds and
//! floats whenever that is exact); IP addresses and text are dictionary-encoded with codes
//! as narrow as the dictionary allows.
//! This module must not read files (that is `ingest`) nor compute statistics
//! (that is `analysis`); it only stores and answers questions about cells.

pub mod append;
pub mod codes;
pub mod derived;
pub mod lines;
pub mod packed;
pub mod schema;
mod scratch;
pub mod series;

use std::borrow::Cow;
use std::net::IpAddr;

pub use codes::Codes;
pub use derived::{Derived, NumericSource};
pub use lines::LineMap;
pub use packed::{Floats, Times, UInts};
pub use schema::{Role, SchemaMode};
pub use series::SeriesReader;

/// Sentinel for a missing unsigned integer (byte counts, ports).
pub const MISSING_U64: u64 = u64::MAX;
/// Sentinel for a missing timestamp.
pub const MISSING_TIME: i64 = i64::MIN;

/// The values of one column.
#[derive(Debug, Clone)]
pub enum ColumnData {
    /// Non-negative integers (byte counts); [`MISSING_U64`] marks a missing cell.
    UInt(UInts),
    /// Other numbers; `NaN` marks a missing cell.
    Float(Floats),
    /// UTC epoch milliseconds; [`MISSING_TIME`] marks a missing cell.
    Time(Times),
    /// Interned IP addresses; `None` in the dictionary marks a missing cell.
    Ip(Dict<Option<IpAddr>>),
    /// Interned text (the empty string is a missing cell).
    Text(Dict<Box<str>>),
}

/// A dictionary-encoded column: `codes[row]` indexes `values`.
#[derive(Debug, Clone)]
pub struct Dict<T> {
    pub codes: Codes,
    pub values: Vec<T>,
}

impl<T> Dict<T> {
    pub fn value(&self, row: usize) -> Option<&T> {
        self.values.get(self.codes.get(row)? as usize)
    }
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.codes.len() == 0
    }
}

impl ColumnData {
    /// A cell as text, as the Records tab and exports show it ("" when missing).
    pub fn text(&self, row: usize) -> Cow<'_, str> {
        match self {
            ColumnData::UInt(v) => match v.get(row) {
                Some(x) if x != MISSING_U64 => Cow::Owned(x.to_string()),
                _ => Cow::Borrowed(""),
            },
            ColumnData::Float(v) => match v.get(row) {
                Some(x) if !x.is_nan() => Cow::Owned(format_number(x)),
                _ => Cow::Borrowed(""),
            },
            ColumnData::Time(v) => match v.get(row) {
                Some(t) if t != MISSING_TIME => Cow::Owned(format_time(t)),
                _ => Cow::Borrowed(""),
            },
            ColumnData::Ip(d) => match d.value(row) {
                Some(Some(ip)) => Cow::Owned(ip.to_string()),
                _ => Cow::Borrowed(""),
            },
            ColumnData::Text(d) => match d.value(row) {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Borrowed(""),
            },
        }
    }
    pub fn len(&self) -> usize {
        match self {
            ColumnData::UInt(v) => v.len(),
            ColumnData::Float(v) => v.len(),
            ColumnData::Time(v) => v.len(),
            ColumnData::Ip(d) => d.len(),
            ColumnData::Text(d) => d.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The kind of values, for people ("integer", "number", "time", "ip", "text").
    pub fn kind(&self) -> &'static str {
        match self {
            ColumnData::UInt(_) => "integer",
            ColumnData::Float(_) => "number",
            ColumnData::Time(_) => "time",
            ColumnData::Ip(_) => "ip",
            ColumnData::Text(_) => "text",
        }
    }
    pub fn is_numeric(&self) -> bool {
        matches!(self, ColumnData::UInt(_) | ColumnData::Float(_))
    }
    /// Numeric value of a cell (`None` when missing or not numeric).
    pub fn number(&self, row: usize) -> Option<f64> {
        match self {
            ColumnData::UInt(v) => v.get(row).filter(|x| *x != MISSING_U64).map(|x| x as f64),
            ColumnData::Float(v) => v.get(row).filter(|x| !x.is_nan()),
            _ => None,
        }
    }
    /// Timestamp of a cell in epoch milliseconds.
    pub fn time(&self, row: usize) -> Option<i64> {
        match self {
            ColumnData::Time(v) => v.get(row).filter(|x| *x != MISSING_TIME),
            _ => None,
        }
    }
    /// Approximate heap bytes used by the column.
    pub fn heap_bytes(&self) -> usize {
        match self {
            ColumnData::UInt(v) => v.heap_bytes(),
            ColumnData::Float(v) => v.heap_bytes(),
            ColumnData::Time(v) => v.heap_bytes(),
            ColumnData::Ip(d) => d.codes.heap_bytes() + d.values.capacity() * 17,
            ColumnData::Text(d) => {
                d.codes.heap_bytes() + d.values.iter().map(|s| s.len() + 16).sum::<usize>()
            }
        }
    }
}

/// One input column.
#[derive(Debug, Clone)]
pub struct Column {
    /// The header name as written in the file (trimmed).
    pub name: String,
    pub role: Option<Role>,
    pub data: ColumnData,
}

/// Why a row was rejected, with where it was.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reject {
    /// 1-based line number in the input where the record starts.
    pub line: u64,
    /// The column's header name, when the problem is one field.
    pub column: Option<String>,
    /// A short, stable reason kind (e.g. `not a number`), used for counting.
    pub kind: String,
    /// The full message for a person, quoting the value (already made inert).
    pub message: String,
}

/// Rejected rows: exact counts, details for the first [`RejectReport::DETAIL_CAP`].
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RejectReport {
    pub total: u64,
    /// Count per reason kind, sorted by kind.
    pub by_kind: std::collections::BTreeMap<String, u64>,
    pub details: Vec<Reject>,
}

impl RejectReport {
    pub const DETAIL_CAP: usize = 1000;

    pub fn push(&mut self, reject: Reject) {
        self.total += 1;
        *self.by_kind.entry(reject.kind.clone()).or_insert(0) += 1;
        if self.details.len() < Self::DETAIL_CAP {
            self.details.push(reject);
        }
    }
    /// Adds another report's rejects after this one's.
    pub fn merge(&mut self, other: RejectReport) {
        self.total += other.total;
        for (k, n) in other.by_kind {
            *self.by_kind.entry(k).or_insert(0) += n;
        }
        let room = Self::DETAIL_CAP.saturating_sub(self.details.len());
        self.details.extend(other.details.into_iter().take(room));
    }
}

/// A loaded traffic log.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Where the data came from, for display (a path, `<stdin>` or `<demo>`).
    pub source: String,
    pub columns: Vec<Column>,
    pub rows: usize,
    pub rejects: RejectReport,
    /// Data-quality notes gathered while loading, in plain words.
    pub notes: Vec<String>,
    /// Size of the input in bytes (after decompression), when known.
    pub input_bytes: u64,
    /// For a subset (filtered or preprocessed), the 0-based data row of the input
    /// each row came from; `None` when rows are the input's own.
    pub origin: Option<Vec<u32>>,
    /// What loading learnt beyond the rows (records that are not flows, files read).
    pub facts: LoadFacts,
}

/// What loading learnt beyond the rows.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LoadFacts {
    /// Flow-log records per `log-status` (`OK`, `NODATA`, `SKIPDATA`, …) with the time they
    /// cover. Only `OK` records (and those without a status) are rows; the others are counted
    /// here and left out of statistics and detection. Empty for inputs without a log status.
    pub log_status: std::collections::BTreeMap<String, StatusSpan>,
    /// How many files were read (1 for a single file or stream).
    pub files: u64,
    /// The input line of each loaded row (for a folder, the line within its own file; empty
    /// when unknown, e.g. a followed file or a converted Insights export).
    #[serde(skip)]
    pub lines: LineMap,
}

/// How many records had one log status and the times they cover (epoch ms).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct StatusSpan {
    pub records: u64,
    /// Earliest `start` among them.
    pub first: Option<i64>,
    /// Latest `end` among them.
    pub last: Option<i64>,
}

impl StatusSpan {
    /// Counts one record covering `start..end` (either may be unknown).
    pub fn add(&mut self, start: Option<i64>, end: Option<i64>) {
        self.records += 1;
        let lo = start.or(end);
        let hi = end.or(start);
        self.first = match (self.first, lo) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, hi) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Adds another span's records.
    pub fn merge(&mut self, other: &StatusSpan) {
        self.records += other.records;
        for t in [other.first, other.last] {
            let before = self.records;
            self.add(t, t);
            self.records = before;
        }
    }
}

impl Dataset {
    pub fn mode(&self) -> SchemaMode {
        let has = |r| self.role(r).is_some();
        if has(Role::LogStatus) || (has(Role::Packets) && has(Role::SrcIp) && has(Role::DstIp)) {
            return SchemaMode::FlowLog;
        }
        if self
            .columns
            .iter()
            .any(|c| c.role.is_some_and(|r| r != Role::Label))
        {
            SchemaMode::CloudWatch
        } else {
            SchemaMode::Generic
        }
    }
    /// The column with a role, if present.
    pub fn role(&self, role: Role) -> Option<&Column> {
        self.columns.iter().find(|c| c.role == Some(role))
    }
    pub fn role_index(&self, role: Role) -> Option<usize> {
        self.columns.iter().position(|c| c.role == Some(role))
    }
    /// A column by header name (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.column_index(name).and_then(|i| self.columns.get(i))
    }
    pub fn column_index(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))
            })
    }

    /// The start time of a row (creation_time, else time, else end_time), epoch ms.
    pub fn start_time(&self, row: usize) -> Option<i64> {
        [Role::Start, Role::Time, Role::End]
            .into_iter()
            .find_map(|r| self.role(r).and_then(|c| c.data.time(row)))
    }

    /// The time column used for time series: creation_time, else time, else end_time.
    pub fn time_column(&self) -> Option<&Column> {
        [Role::Start, Role::Time, Role::End]
            .into_iter()
            .find_map(|r| self.role(r))
    }

    /// A cell as text for display (not yet made inert: callers pass it through `sanitize`).
    pub fn cell_text(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.columns.get(col) {
            Some(column) => column.data.text(row),
            None => Cow::Borrowed(""),
        }
    }

    /// Numeric sources: every numeric column plus the derived features available.
    pub fn numeric_sources(&self) -> Vec<NumericSource> {
        let mut out: Vec<NumericSource> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.data.is_numeric() && c.role != Some(Role::Label))
            .map(|(i, _)| NumericSource::Column(i))
            .collect();
        out.extend(
            Derived::ALL
                .into_iter()
                .filter(|d| d.available(self))
                .map(NumericSource::Derived),
        );
        out
    }

    /// Resolves a feature name (a column name, a derived feature or its alias).
    pub fn numeric_source(&self, name: &str) -> Option<NumericSource> {
        if let Some(d) = Derived::from_name(name).filter(|d| d.available(self)) {
            return Some(NumericSource::Derived(d));
        }
        let i = self.column_index(name)?;
        self.columns
            .get(i)
            .filter(|c| c.data.is_numeric())
            .map(|_| NumericSource::Column(i))
    }

    /// Display name of a numeric source.
    pub fn source_name(&self, src: NumericSource) -> String {
        match src {
            NumericSource::Column(i) => self
                .columns
                .get(i)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            NumericSource::Derived(d) => d.name().to_string(),
        }
    }

    /// Value of a numeric source at a row (`None` when missing or undefined).
    pub fn value(&self, src: NumericSource, row: usize) -> Option<f64> {
        match src {
            NumericSource::Column(i) => self.columns.get(i).and_then(|c| c.data.number(row)),
            NumericSource::Derived(d) => d.value(self, row),
        }
    }

    /// All values of a numeric source (missing as `NaN`), computed in parallel blocks.
    pub fn values(&self, src: NumericSource) -> Vec<f64> {
        let mut out = vec![0.0; self.rows];
        self.values_into(src, 0, &mut out);
        out
    }

    /// The values of rows `first..first + out.len()` of a numeric source, written into `out`
    /// (missing as `NaN`).
    pub fn values_into(&self, src: NumericSource, first: usize, out: &mut [f64]) {
        use rayon::prelude::*;
        const BLOCK: usize = 64 * 1024;
        let reader = SeriesReader::new(self, src);
        if out.len() <= BLOCK {
            reader.fill(first, out);
            return;
        }
        out.par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(b, chunk)| reader.fill(first + b * BLOCK, chunk));
    }

    /// Approximate heap bytes held by the columns.
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(|c| c.data.heap_bytes()).sum()
    }

    /// Keeps only the rows whose index is listed (in that order).
    pub fn select_rows(&self, rows: &[usize]) -> Dataset {
        let columns = self
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                role: c.role,
                data: select(&c.data, rows),
            })
            .collect();
        Dataset {
            source: self.source.clone(),
            columns,
            rows: rows.len(),
            rejects: self.rejects.clone(),
            notes: self.notes.clone(),
            input_bytes: self.input_bytes,
            origin: Some(rows.iter().map(|&r| self.origin_row(r) as u32).collect()),
            facts: self.facts.clone(),
        }
    }

    /// The input's 0-based data row for a row of this dataset.
    /// The 1-based input line `row` was read from (within its own file for a folder), when known.
    pub fn line_of(&self, row: usize) -> Option<u64> {
        self.facts.lines.line(self.origin_row(row))
    }

    pub fn origin_row(&self, row: usize) -> usize {
        match &self.origin {
            Some(o) => o.get(row).map_or(row, |&r| r as usize),
            None => row,
        }
    }
}

fn select(data: &ColumnData, rows: &[usize]) -> ColumnData {
    match data {
        ColumnData::UInt(v) => ColumnData::UInt(
            rows.iter()
                .map(|&r| v.get(r).unwrap_or(MISSING_U64))
                .collect(),
        ),
        ColumnData::Float(v) => {
            ColumnData::Float(rows.iter().map(|&r| v.get(r).unwrap_or(f64::NAN)).collect())
        }
        ColumnData::Time(v) => ColumnData::Time(
            rows.iter()
                .map(|&r| v.get(r).unwrap_or(MISSING_TIME))
                .collect(),
        ),
        ColumnData::Ip(d) => ColumnData::Ip(Dict {
            codes: d.codes.select(rows),
            values: d.values.clone(),
        }),
        ColumnData::Text(d) => ColumnData::Text(Dict {
            codes: d.codes.select(rows),
            values: d.values.clone(),
        }),
    }
}

/// Formats a number the way people read it: integers without a fraction,
/// others with up to 6 significant decimals, from 10^15 on in shortest
/// scientific form, never `NaN`/`inf`.
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_string();
    }
    if x.abs() >= 1e15 {
        return format!("{x:e}");
    }
    if x.fract() == 0.0 {
        return format!("{x:.0}");
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Formats epoch milliseconds as RFC 3339 UTC (`2024-04-25T23:00:00Z`, with
/// milliseconds only when present).
pub fn format_time(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) if ms % 1000 == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => "—".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(format_number(5602.0), "5602");
        assert_eq!(format_number(0.20666666666666667), "0.206667");
        assert_eq!(format_number(f64::NAN), "—");
        assert_eq!(format_number(1.7e308), "1.7e308");
        assert_eq!(format_number(f64::INFINITY), "—");
        assert_eq!(format_number(-0.0000001), "0");
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(format_time(1_714_086_000_000), "2024-04-25T23:00:00Z");
        assert_eq!(format_time(1_714_086_000_123), "2024-04-25T23:00:00.123Z");
    }
}
