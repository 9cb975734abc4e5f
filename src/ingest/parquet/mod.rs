//! Parquet input: S3's flow-log Parquet and any Parquet whose columns map to known roles.
//!
//! A Parquet file is known by its content (the `PAR1` magic), never its name. Its top-level
//! columns are matched to roles by name as CSV headers are (`account_id`, `log_status`,
//! `srcaddr`, `bytes`, and the CloudWatch names alike); integer ports, byte counts and epoch
//! times are read as numbers, never through text. Row groups are decoded in parallel with the
//! arrow-rs `parquet` crate (gzip, snappy and zstd pages) and joined in order. As for text
//! flow logs, NODATA/SKIPDATA records are counted, not loaded, `-` is missing, protocols are
//! named and tcp-flags decoded. A row group that cannot be decoded is listed (file, row group,
//! reason) and the others load; a bad value rejects its record with the row group, record
//! number and column. Only a file with no readable footer, no usable column or no row that
//! loads is an [`IngestError`]. This module owns Parquet decoding; it never touches the
//! terminal and never panics on input.

mod convert;
mod intern;
pub mod write;

use super::{IngestError, LoadProgress, builder, fields::FieldError};
use crate::dataset::schema::{self, RoleType};
use crate::dataset::{
    Column, ColumnData, Dataset, Floats, LoadFacts, MISSING_TIME, MISSING_U64, Reject, Role,
    StatusSpan, Times, UInts,
};
use ::parquet::arrow::ProjectionMask;
use ::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use arrow_array::{Array, RecordBatch};
use bytes::Bytes;
use convert::{Natural, Num};
use intern::{Addresses, Texts};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

/// The bytes a Parquet file starts (and ends) with.
pub const MAGIC: &[u8; 4] = b"PAR1";
/// Rows per decoded record batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Whether (decompressed) input is a Parquet file.
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// One column to read: where it is, its name and role, how it is stored.
#[derive(Debug, Clone)]
struct Plan {
    /// Index among the file's top-level columns.
    index: usize,
    name: String,
    role: Option<Role>,
    kind: RoleType,
}

/// The plan for a file's columns, the notes on columns left out, and whether it is a flow log.
fn plan(schema: &arrow_schema::Schema) -> (Vec<Plan>, Vec<String>, bool) {
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let roles = schema::assign_roles(&names);
    let flow = is_flow(&names);
    let mut plans = Vec::new();
    let mut notes = Vec::new();
    for (index, (field, role)) in schema.fields().iter().zip(roles).enumerate() {
        let natural = convert::natural(field.data_type());
        if natural == Natural::Unsupported {
            notes.push(format!(
                "column '{}' ({}) is not read: nested or unsupported values",
                crate::sanitize::inert(field.name()),
                field.data_type()
            ));
            continue;
        }
        let kind = match (role, natural) {
            (Some(r), _) => r.storage(),
            // A flow log's format version is a label, not a quantity.
            (None, _) if flow && field.name().eq_ignore_ascii_case("version") => RoleType::Text,
            (None, Natural::Number) => RoleType::Float,
            (None, Natural::Time) => RoleType::Time,
            (None, _) => RoleType::Text,
        };
        plans.push(Plan {
            index,
            name: field.name().clone(),
            role,
            kind,
        });
    }
    (plans, notes, flow)
}

/// Flow-log Parquet: at least three flow-log field names, one of them an address, the byte
/// count or the log status.
fn is_flow(names: &[String]) -> bool {
    let known = names.iter().filter(|n| super::flowlog::is_field(n)).count();
    known >= 3
        && names.iter().any(|n| {
            matches!(
                schema::normalise(n).as_str(),
                "srcaddr" | "dstaddr" | "bytes" | "log_status"
            )
        })
}

/// A person's description of a Parquet decoding error.
fn cause(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let text = crate::sanitize::inert(&text);
    format!("{text}")
}

/// Loads a whole Parquet file held in memory.
pub fn load(name: &str, data: Vec<u8>, progress: &LoadProgress) -> Result<Dataset, IngestError> {
    let input_bytes = data.len() as u64;
    let bytes = Bytes::from(data);
    let meta = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).map_err(|e| {
        IngestError::Unreadable {
            path: name.into(),
            cause: format!(
                "not a readable Parquet file: {} (a truncated or damaged file loses its footer, which holds the schema; copy the file again)",
                cause(&e)
            ),
        }
    })?;
    let (plans, mut notes, flow) = plan(meta.schema());
    let usable = plans.iter().any(|p| {
        p.role.is_some_and(|r| r != Role::Label) || (p.role.is_none() && p.kind == RoleType::Float)
    });
    if !usable {
        let shown: Vec<String> = meta
            .schema()
            .fields()
            .iter()
            .take(8)
            .map(|f| format!("{} ({})", crate::sanitize::inert(f.name()), f.data_type()))
            .collect();
        return Err(IngestError::NoUsableColumn {
            path: name.into(),
            header: format!("of this Parquet file: {}", shown.join(", ")),
        });
    }
    let mask = ProjectionMask::roots(meta.parquet_schema(), plans.iter().map(|p| p.index));
    let groups = meta.metadata().row_groups();
    let mut first_rows = Vec::with_capacity(groups.len());
    let mut at = 0u64;
    for g in groups {
        first_rows.push(at);
        at += u64::try_from(g.num_rows()).unwrap_or(0);
    }
    let results: Vec<Result<Dataset, String>> = first_rows
        .par_iter()
        .enumerate()
        .map(|(g, &first)| {
            let group = Group {
                bytes: &bytes,
                meta: &meta,
                mask: mask.clone(),
                plans: &plans,
                index: g,
                first_row: first,
                progress,
            };
            group.load()
        })
        .collect();
    if progress.cancel.load(Ordering::Relaxed) {
        return Err(IngestError::Cancelled { path: name.into() });
    }
    let total = results.len();
    let mut parts = Vec::new();
    let mut failed = Vec::new();
    for (g, r) in results.into_iter().enumerate() {
        match r {
            Ok(ds) => parts.push((format!("row group {} of {total}", g + 1), ds)),
            Err(reason) => failed.push(Reject {
                line: 0,
                column: None,
                kind: "unreadable row group".into(),
                message: format!(
                    "row group {} of {total} ({} rows): cannot decode it: {reason}; its rows were not loaded",
                    g + 1,
                    groups.get(g).map_or(0, |m| m.num_rows())
                ),
            }),
        }
    }
    if parts.is_empty() {
        return match failed.first() {
            Some(first) => Err(IngestError::Unreadable {
                path: name.into(),
                cause: first.message.clone(),
            }),
            None => Err(IngestError::HeaderOnly { path: name.into() }),
        };
    }
    let mut ds = combine(name, parts, failed);
    super::flowlog::tidy_columns(&mut ds.columns, flow);
    ds.input_bytes = input_bytes;
    notes.insert(0, describe(&meta, total, flow));
    notes.append(&mut ds.notes);
    ds.notes = notes;
    finish(name, ds)
}

/// The first note: what was read.
fn describe(meta: &ArrowReaderMetadata, groups: usize, flow: bool) -> String {
    let mut codecs: Vec<String> = Vec::new();
    for g in meta.metadata().row_groups() {
        for c in g.columns() {
            let shown = format!("{:?}", c.compression());
            let shown = shown
                .split('(')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !codecs.contains(&shown) {
                codecs.push(shown);
            }
        }
    }
    let what = if flow {
        "read as AWS VPC flow logs in Parquet: '-' is a missing value, protocol numbers are shown as names, tcp-flags decoded"
    } else {
        "read as Parquet"
    };
    format!(
        "{what} ({groups} row group{}, {} pages)",
        if groups == 1 { "" } else { "s" },
        if codecs.is_empty() {
            "no".to_string()
        } else {
            codecs.join("/")
        }
    )
}

/// Joins the row groups in order (one needs no join); their rejects keep the row group's name.
fn combine(name: &str, mut parts: Vec<(String, Dataset)>, failed: Vec<Reject>) -> Dataset {
    if parts.len() == 1 && failed.is_empty() {
        let (group, mut ds) = parts.remove(0);
        for r in &mut ds.rejects.details {
            r.message = format!("{group}: {}", r.message);
        }
        ds.source = name.into();
        return ds;
    }
    let had_file = parts
        .iter()
        .any(|(_, d)| d.column(super::folder::FILE_COLUMN).is_some());
    let mut ds = super::folder::join(name, parts, failed);
    if !had_file {
        ds.columns.retain(|c| c.name != super::folder::FILE_COLUMN);
    }
    ds.facts.files = 1;
    ds
}

/// The checks every loaded input gets: rows at all, durations that make sense.
fn finish(name: &str, mut ds: Dataset) -> Result<Dataset, IngestError> {
    if ds.rows == 0 && ds.facts.log_status.is_empty() {
        if ds.rejects.total == 0 {
            return Err(IngestError::HeaderOnly { path: name.into() });
        }
        return Err(IngestError::AllRejected {
            path: name.into(),
            rejected: ds.rejects.total,
            first: ds
                .rejects
                .details
                .first()
                .map(super::describe_reject)
                .unwrap_or_default(),
        });
    }
    if ds.rows > 0 {
        let (zero, negative) = crate::dataset::derived::non_positive_durations(&ds);
        if zero + negative > 0 {
            ds.notes.push(format!(
                "{zero} sessions with zero duration and {negative} ending before they start: their bytes_per_sec is undefined (shown as —)"
            ));
        }
    }
    Ok(ds)
}

/// One row group to decode.
struct Group<'a> {
    bytes: &'a Bytes,
    meta: &'a ArrowReaderMetadata,
    mask: ProjectionMask,
    plans: &'a [Plan],
    /// 0-based row group index.
    index: usize,
    /// Records in the row groups before this one.
    first_row: u64,
    progress: &'a LoadProgress,
}

impl Group<'_> {
    fn load(self) -> Result<Dataset, String> {
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.bytes.clone(),
            self.meta.clone(),
        )
        .with_projection(self.mask.clone())
        .with_row_groups(vec![self.index])
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| cause(&e))?;
        let rows = self
            .meta
            .metadata()
            .row_groups()
            .get(self.index)
            .map_or(0, |g| usize::try_from(g.num_rows()).unwrap_or(0));
        let mut acc = Accumulator::new(self.plans, rows);
        let mut row = self.first_row;
        for batch in reader {
            if self.progress.cancel.load(Ordering::Relaxed) {
                return Err("loading cancelled".into());
            }
            let batch = batch.map_err(|e| cause(&e))?;
            acc.push(&batch, row);
            row += batch.num_rows() as u64;
            self.progress
                .rows
                .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
        }
        Ok(acc.finish())
    }
}

/// One column's values as they are gathered.
enum Values {
    U(Vec<u64>),
    F(Vec<f64>),
    T(Vec<i64>),
    /// Interned text.
    Text {
        dict: Texts,
        codes: Vec<u32>,
    },
    /// Interned addresses (no text kept).
    Ip {
        dict: Addresses,
        codes: Vec<u32>,
    },
}

/// The columns of one row group as they are gathered, with its rejects and log statuses.
struct Accumulator<'a> {
    plans: &'a [Plan],
    cols: Vec<Values>,
    rows: usize,
    rejects: crate::dataset::RejectReport,
    statuses: BTreeMap<String, StatusSpan>,
}

/// One batch's values of one column, before the rows to keep are known.
enum Staged {
    U(Vec<u64>),
    F(Vec<f64>),
    T(Vec<i64>),
    Codes(Vec<u32>),
}

impl<'a> Accumulator<'a> {
    /// For a row group of `rows` records: each column is sized for all of them at once.
    fn new(plans: &'a [Plan], rows: usize) -> Self {
        let cols = plans
            .iter()
            .map(|p| match p.kind {
                RoleType::UInt => Values::U(Vec::with_capacity(rows)),
                RoleType::Float => Values::F(Vec::with_capacity(rows)),
                RoleType::Time => Values::T(Vec::with_capacity(rows)),
                RoleType::Ip => Values::Ip {
                    dict: Addresses::default(),
                    codes: Vec::with_capacity(rows),
                },
                RoleType::Text => Values::Text {
                    dict: Texts::default(),
                    codes: Vec::with_capacity(rows),
                },
            })
            .collect();
        Accumulator {
            plans,
            cols,
            rows: 0,
            rejects: crate::dataset::RejectReport::default(),
            statuses: BTreeMap::new(),
        }
    }

    /// Adds a batch whose first record is record `first` (0-based) of the file.
    fn push(&mut self, batch: &RecordBatch, first: u64) {
        let n = batch.num_rows();
        // Whether each record is rejected, and the rejects (the first bad value of each).
        let mut bad: Vec<bool> = vec![false; n];
        let mut found: Vec<(usize, Reject)> = Vec::new();
        let mut staged = Vec::with_capacity(self.plans.len());
        for (j, plan) in self.plans.iter().enumerate() {
            let array = batch.column(j).as_ref();
            let mut fail = |i: usize, e: FieldError, shown: &str| {
                if let Some(slot @ false) = bad.get_mut(i) {
                    *slot = true;
                    found.push((
                        i,
                        Reject {
                            line: first + i as u64 + 1,
                            column: Some(plan.name.clone()),
                            kind: e.kind().into(),
                            message: format!(
                                "record {}: {}: {} ({})",
                                first + i as u64 + 1,
                                e.kind(),
                                builder::quote_value(shown.as_bytes()),
                                e.hint()
                            ),
                        },
                    ));
                }
            };
            let col = self.cols.get_mut(j);
            staged.push(stage(array, plan.kind, col, &mut fail));
        }
        let keep = self.statuses_of(&staged, &bad);
        for (j, s) in staged.into_iter().enumerate() {
            let Some(col) = self.cols.get_mut(j) else {
                continue;
            };
            append(col, s, &keep);
        }
        // In record order, as they are listed.
        found.sort_by_key(|(i, _)| *i);
        for (_, r) in found {
            self.rejects.push(r);
        }
        self.rows += keep.iter().filter(|k| **k).count();
    }

    /// Counts each good record's log status; keeps the good flow records.
    fn statuses_of(&mut self, staged: &[Staged], bad: &[bool]) -> Vec<bool> {
        let mut keep: Vec<bool> = bad.iter().map(|b| !b).collect();
        let find = |r: Role| self.plans.iter().position(|p| p.role == Some(r));
        let Some(s) = find(Role::LogStatus) else {
            return keep;
        };
        let time = |j: Option<usize>, i: usize| match j.and_then(|j| staged.get(j)) {
            Some(Staged::T(t)) => t.get(i).copied().filter(|t| *t != MISSING_TIME),
            _ => None,
        };
        let (start, end) = (find(Role::Start), find(Role::End));
        let (Some(Staged::Codes(codes)), Some(Values::Text { dict, .. })) =
            (staged.get(s), self.cols.get(s))
        else {
            return keep;
        };
        for (i, k) in keep.iter_mut().enumerate() {
            let Some(v) = codes.get(i).and_then(|c| dict.get(*c)) else {
                continue;
            };
            let v = v.trim();
            if !*k || v.is_empty() || v == "-" {
                continue;
            }
            let key = v.to_ascii_uppercase();
            self.statuses
                .entry(key)
                .or_default()
                .add(time(start, i), time(end, i));
            if super::flowlog::is_non_flow(v.as_bytes()) {
                *k = false;
            }
        }
        keep
    }

    fn finish(self) -> Dataset {
        let columns = self
            .plans
            .iter()
            .zip(self.cols)
            .map(|(p, v)| Column {
                name: p.name.clone(),
                role: p.role,
                data: finish_values(v),
            })
            .collect();
        Dataset {
            columns,
            rows: self.rows,
            rejects: self.rejects,
            facts: LoadFacts {
                log_status: self.statuses,
                files: 1,
                // Parquet records have no file lines: exports leave `line` empty.
                lines: Default::default(),
            },
            ..Dataset::default()
        }
    }
}

/// Reads one batch's column as the plan stores it; bad values go to `fail`.
fn stage(
    array: &dyn Array,
    kind: RoleType,
    col: Option<&mut Values>,
    fail: &mut dyn FnMut(usize, FieldError, &str),
) -> Staged {
    let n = array.len();
    match kind {
        RoleType::UInt => {
            let mut out = vec![MISSING_U64; n];
            let numeric = convert::each_number(array, &mut |i, v| {
                if let (Some(slot), Some(v)) = (out.get_mut(i), v) {
                    match convert::count_of(v) {
                        Ok(x) => *slot = x,
                        Err(e) => fail(i, e, &shown(v)),
                    }
                }
            });
            if !numeric {
                convert::each_text(array, &mut |i, v| {
                    let Some(t) = v.map(str::trim).filter(|t| !convert::is_missing(t)) else {
                        return;
                    };
                    match super::fields::parse_u64(t.as_bytes()) {
                        Ok(x) => out.get_mut(i).into_iter().for_each(|s| *s = x),
                        Err(e) => fail(i, e, t),
                    }
                });
            }
            Staged::U(out)
        }
        RoleType::Float => {
            let mut out = vec![f64::NAN; n];
            let numeric = convert::each_number(array, &mut |i, v| {
                if let (Some(slot), Some(v)) = (out.get_mut(i), v) {
                    *slot = v.as_f64();
                }
            });
            if !numeric {
                convert::each_text(array, &mut |i, v| {
                    let Some(t) = v.map(str::trim).filter(|t| !convert::is_missing(t)) else {
                        return;
                    };
                    match super::fields::parse_f64(t.as_bytes()) {
                        Ok(x) if x.is_finite() => out.get_mut(i).into_iter().for_each(|s| *s = x),
                        Ok(_) => fail(i, FieldError::NotFinite, t),
                        Err(e) => fail(i, e, t),
                    }
                });
            }
            Staged::F(out)
        }
        RoleType::Time => {
            let mut out = vec![MISSING_TIME; n];
            convert::each_time(array, &mut |i, v| match v {
                Ok(Some(t)) => out.get_mut(i).into_iter().for_each(|s| *s = t),
                Ok(None) => {}
                Err(e) => fail(i, e, "(not a time)"),
            });
            Staged::T(out)
        }
        RoleType::Ip | RoleType::Text => {
            let mut codes = vec![0u32; n];
            match col {
                Some(Values::Text { dict, .. }) => {
                    convert::each_text(array, &mut |i, v| {
                        if let Some(slot) = codes.get_mut(i) {
                            *slot = dict.code_of(v.unwrap_or(""));
                        }
                    });
                }
                Some(Values::Ip { dict, .. }) => {
                    // A value that is not an address rejects its record: its code is unused.
                    convert::each_text(array, &mut |i, v| {
                        let t = v.unwrap_or("");
                        match intern::address(t) {
                            Some(ip) => {
                                if let Some(slot) = codes.get_mut(i) {
                                    *slot = dict.code_of(ip);
                                }
                            }
                            None => fail(i, FieldError::BadIp, t),
                        }
                    });
                }
                _ => {}
            }
            Staged::Codes(codes)
        }
    }
}

fn shown(v: Num) -> String {
    match v {
        Num::I(x) => x.to_string(),
        Num::U(x) => x.to_string(),
        Num::F(x) => x.to_string(),
    }
}

/// Appends the kept rows of a staged batch column.
fn append(col: &mut Values, staged: Staged, keep: &[bool]) {
    fn kept<T: Copy>(into: &mut Vec<T>, from: &[T], keep: &[bool]) {
        into.extend(from.iter().zip(keep).filter(|(_, k)| **k).map(|(v, _)| *v));
    }
    match (col, staged) {
        (Values::U(v), Staged::U(s)) => kept(v, &s, keep),
        (Values::F(v), Staged::F(s)) => kept(v, &s, keep),
        (Values::T(v), Staged::T(s)) => kept(v, &s, keep),
        (Values::Text { codes, .. } | Values::Ip { codes, .. }, Staged::Codes(s)) => {
            kept(codes, &s, keep)
        }
        _ => {}
    }
}

/// The stored column; dictionaries keep only values some kept row uses.
fn finish_values(v: Values) -> ColumnData {
    match v {
        Values::U(v) => ColumnData::UInt(UInts::from(v)),
        Values::F(v) => ColumnData::Float(Floats::from(v)),
        Values::T(v) => ColumnData::Time(Times::from(v)),
        Values::Text { dict, codes } => ColumnData::Text(dict.finish(&codes)),
        Values::Ip { dict, codes } => ColumnData::Ip(dict.finish(&codes)),
    }
}
