//! Column builders: turn CSV records of one chunk into typed column buffers,
//! then merge chunks in order into the dataset's columns.
//!
//! A record is checked field by field first and only then committed, so a
//! rejected row leaves no trace in any column. Text and IP fields are interned
//! per chunk and re-coded into the global dictionaries at merge time. This module
//! owns row rejection; it does no I/O.

use super::fields::{self, FieldError};
use crate::dataset::schema::RoleType;
use crate::dataset::{
    Codes, Column, ColumnData, Dict, Floats, MISSING_TIME, MISSING_U64, Reject, RejectReport, Role,
    Times, UInts,
};
use crate::sanitize;
use csv::ByteRecord;
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// Longest field accepted, in bytes.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Longest record accepted, in bytes.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// How one column is read.
#[derive(Debug, Clone)]
pub struct ColPlan {
    pub name: String,
    pub role: Option<Role>,
    pub kind: RoleType,
    /// `-` is a missing value (flow logs), not a number or text.
    pub dash_missing: bool,
}

/// Interned raw byte strings with their codes.
///
/// Each value has a 64-bit key: for up to 7 bytes, the bytes themselves packed with the length
/// (country codes, protocols, status codes: found by comparing integers, exactly); for longer
/// values a hash of the bytes, checked against the stored bytes on a hit. The rare long value
/// whose hash another value already has is kept in a second map, so interning is exact
/// whatever the hash does. The values are stored end to end in one buffer: no allocation per
/// distinct value, none per lookup.
#[derive(Debug, Default)]
pub struct Interner {
    /// Key → code of the first value with that key.
    map: FxHashMap<u64, u32>,
    /// Long values whose key an earlier, different value already had.
    collided: FxHashMap<Box<[u8]>, u32>,
    pub values: Values,
    /// The key of each value, so a merge does not compute them again.
    keys: Vec<u64>,
    pub codes: Codes,
    /// The last value interned: its key and code.
    last: Option<(u64, u32)>,
}

/// The distinct values of an [`Interner`] in code order, end to end in one buffer (a chunk of a
/// log has thousands of distinct addresses: one allocation and one free each cost more than
/// interning them).
#[derive(Debug, Default)]
pub struct Values {
    bytes: Vec<u8>,
    /// Where each value ends in `bytes`.
    ends: Vec<usize>,
}

impl Values {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The value with code `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0),
            None => 0,
        };
        self.bytes.get(start..end)
    }

    fn push(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
        self.ends.push(self.bytes.len());
    }

    /// The values in code order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| self.bytes.get(start..end).unwrap_or_default())
    }
}

/// Keys of values longer than 7 bytes have this top byte (a short key's top byte is its length).
const LONG_TAG: u64 = 0xff << 56;

#[inline]
fn key_of(b: &[u8]) -> u64 {
    if b.len() <= 7 {
        let packed = b.iter().rev().fold(0u64, |k, &c| (k << 8) | u64::from(c));
        packed | ((b.len() as u64) << 56)
    } else {
        use std::hash::Hasher;
        let mut h = rustc_hash::FxHasher::default();
        h.write(b);
        h.write_usize(b.len());
        (h.finish() >> 8) | LONG_TAG
    }
}

/// Whether a key alone decides equality (the value is short and packed into it).
#[inline]
fn exact(key: u64) -> bool {
    key & LONG_TAG != LONG_TAG
}

/// Byte equality without a library call for the short strings fields usually are.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && if a.len() > 32 {
            a == b
        } else {
            a.iter().zip(b).all(|(x, y)| x == y)
        }
}

impl Interner {
    /// The code of `b`, or (when it is not interned yet) its key, for [`Interner::push_new`].
    #[inline]
    fn find(&self, b: &[u8]) -> Result<u32, u64> {
        // A long value equal to the one interned last (a rule name, a source name repeated row
        // after row) is found with one comparison, without hashing it. (Short values are
        // compared as integers below.)
        if b.len() > 7
            && let Some((_, c)) = self.last
            && self
                .values
                .get(c as usize)
                .is_some_and(|v| same_bytes(v, b))
        {
            return Ok(c);
        }
        let key = key_of(b);
        self.lookup_keyed(b, key).ok_or(key)
    }

    #[inline]
    fn lookup_keyed(&self, b: &[u8], key: u64) -> Option<u32> {
        let is = |c: u32| {
            exact(key)
                || self
                    .values
                    .get(c as usize)
                    .is_some_and(|v| same_bytes(v, b))
        };
        if let Some((k, c)) = self.last
            && k == key
            && is(c)
        {
            return Some(c);
        }
        let &c = self.map.get(&key)?;
        if is(c) {
            return Some(c);
        }
        self.collided.get(b).copied()
    }

    #[inline]
    pub fn intern(&mut self, b: &[u8]) -> u32 {
        let key = key_of(b);
        let code = match self.lookup_keyed(b, key) {
            Some(c) => c,
            None => self.insert(b, key),
        };
        self.last = Some((key, code));
        code
    }

    /// [`Interner::intern`] with the key already known.
    #[inline]
    fn intern_keyed(&mut self, b: &[u8], key: u64) -> u32 {
        match self.lookup_keyed(b, key) {
            Some(c) => c,
            None => self.insert(b, key),
        }
    }

    fn insert(&mut self, b: &[u8], key: u64) -> u32 {
        let c = self.values.len() as u32;
        self.values.push(b);
        self.keys.push(key);
        match self.map.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(b.into(), c);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(c);
            }
        }
        c
    }

    /// Appends a value already interned (its code from [`Interner::lookup`]).
    #[inline]
    fn push_code(&mut self, c: u32) {
        self.codes.push(c);
    }

    #[inline]
    fn push(&mut self, b: &[u8]) {
        let c = self.intern(b);
        self.codes.push(c);
    }

    /// Appends a value [`Interner::find`] did not find (with the key it gave), without looking
    /// it up again.
    #[inline]
    fn push_new(&mut self, b: &[u8], key: u64) {
        let c = self.insert(b, key);
        self.last = Some((key, c));
        self.codes.push(c);
    }

    /// Appends another interner's rows, re-coding its values into this one.
    fn append(&mut self, other: &Interner) {
        let remap: Vec<u32> = other
            .values
            .iter()
            .zip(&other.keys)
            .map(|(v, &k)| self.intern_keyed(v, k))
            .collect();
        self.codes.extend_mapped(&other.codes, &remap);
    }
}

/// The typed buffer of one column within a chunk.
#[derive(Debug)]
pub enum ColBuf {
    UInt(UInts),
    Float(Floats),
    Time(Times),
    Ip(Interner),
    Text(Interner),
}

impl ColBuf {
    fn new(kind: RoleType, cap: usize) -> Self {
        match kind {
            RoleType::UInt => ColBuf::UInt(UInts::with_capacity(cap)),
            RoleType::Float => ColBuf::Float(Floats::with_capacity(cap)),
            RoleType::Time => ColBuf::Time(Times::with_capacity(cap)),
            RoleType::Ip => ColBuf::Ip(Interner::default()),
            RoleType::Text => ColBuf::Text(Interner::default()),
        }
    }
}

/// A parsed-but-not-committed field.
#[derive(Debug, Clone, Copy)]
enum Staged {
    U(u64),
    F(f64),
    T(i64),
    /// Already in the chunk's dictionary with this code.
    Code(u32),
    /// Not in the chunk's dictionary (this key): added on commit, the field's bytes as they are
    /// for text, trimmed for an address.
    New(u64),
    /// To be interned on commit.
    Interned,
}

/// The last timestamp text parsed in each column and its value: logs repeat timestamps
/// (many records per second, or a coarse clock), so most are not parsed again.
#[derive(Debug, Default)]
struct TimeCache {
    last: Vec<(Vec<u8>, i64)>,
    /// The columns whose entry in `last` holds a text (the time columns seen so far).
    filled: Vec<usize>,
}

impl TimeCache {
    fn new(columns: usize) -> Self {
        TimeCache {
            last: (0..columns).map(|_| (Vec::new(), 0)).collect(),
            filled: Vec::new(),
        }
    }

    #[inline]
    fn parse(&mut self, col: usize, t: &[u8]) -> Result<i64, FieldError> {
        if let Some((bytes, value)) = self.last.get(col)
            && !bytes.is_empty()
            && bytes.as_slice() == t
        {
            return Ok(*value);
        }
        // Another time column of the record often holds the same text (a log's `time` and its
        // `creation_time`): the same text parses to the same value.
        let known = self
            .filled
            .iter()
            .filter_map(|&c| self.last.get(c))
            .find(|(bytes, _)| bytes.as_slice() == t)
            .map(|&(_, v)| v);
        let v = match known {
            Some(v) => v,
            None => fields::parse_time(t)?,
        };
        if let Some(slot) = self.last.get_mut(col) {
            if slot.0.is_empty() && !t.is_empty() {
                self.filled.push(col);
            }
            slot.0.clear();
            slot.0.extend_from_slice(t);
            slot.1 = v;
        }
        Ok(v)
    }
}

/// What one chunk produced.
#[derive(Debug)]
pub struct ChunkOut {
    pub cols: Vec<ColBuf>,
    pub rejects: RejectReport,
    pub rows: usize,
    /// The input line of each kept row.
    pub lines: crate::dataset::LineMap,
    /// Records per log status (flow logs); those that are not flows are not in `cols`.
    pub statuses: std::collections::BTreeMap<String, crate::dataset::StatusSpan>,
    /// Line feeds in the chunk: where the next chunk's lines start.
    pub newlines: u64,
}

impl ChunkOut {
    /// Moves the rejects' and the rows' line numbers by `lines` (a chunk parsed as if it started
    /// at line 0).
    pub fn shift_lines(&mut self, lines: u64) {
        for r in &mut self.rejects.details {
            r.line += lines;
        }
        self.lines.shift(lines);
    }
}

/// What [`parse_plain`] and [`parse_csv`] do with a record that passed staging: load it, or
/// only count it (a NODATA/SKIPDATA flow-log record). Counts every record's status.
fn keep_record<'a>(
    status: Option<super::flowlog::StatusPlan>,
    field: impl Fn(usize) -> Option<&'a [u8]>,
    staged: &[Staged],
    out: &mut ChunkOut,
) -> bool {
    let Some(sp) = status else {
        return true;
    };
    let Some(value) = field(sp.status).map(fields::trim) else {
        return true;
    };
    let time = |i: Option<usize>| match i.and_then(|i| staged.get(i)) {
        Some(Staged::T(t)) if *t != MISSING_TIME => Some(*t),
        _ => None,
    };
    // No allocation for the status of almost every record.
    let key: std::borrow::Cow<'_, str> = if value == b"OK" {
        "OK".into()
    } else {
        String::from_utf8_lossy(value).to_ascii_uppercase().into()
    };
    let (start, end) = (time(sp.start), time(sp.end));
    match out.statuses.get_mut(key.as_ref()) {
        Some(span) => span.add(start, end),
        None => out
            .statuses
            .entry(key.into_owned())
            .or_default()
            .add(start, end),
    }
    !super::flowlog::is_non_flow(value)
}

/// Parses the records of one chunk of CSV bytes. `first_line` is the input line
/// number where the chunk starts.
pub fn parse_chunk(bytes: &[u8], delimiter: u8, plan: &[ColPlan], first_line: u64) -> ChunkOut {
    let estimate = bytes.len() / 64 + 16;
    let mut out = ChunkOut {
        cols: plan.iter().map(|p| ColBuf::new(p.kind, estimate)).collect(),
        rejects: RejectReport::default(),
        rows: 0,
        lines: Default::default(),
        statuses: Default::default(),
        newlines: 0,
    };
    if is_plain(bytes, delimiter) {
        out.newlines = parse_plain(bytes, delimiter, plan, first_line, &mut out);
    } else {
        parse_csv(bytes, delimiter, plan, first_line, &mut out);
        out.newlines = super::count_lf(bytes);
    }
    out
}

/// Whether a chunk can be split on delimiters and line feeds alone: no quotes (so no quoted
/// delimiters or line breaks, and no escapes) and no carriage returns (which CSV also reads as
/// line ends). Log exports usually are; anything else goes through the full CSV reader.
fn is_plain(bytes: &[u8], delimiter: u8) -> bool {
    delimiter != b'\n'
        && delimiter != b'\r'
        && delimiter != b'"'
        && memchr::memchr2(b'"', b'\r', bytes).is_none()
}

/// The records of a plain chunk (see [`is_plain`]): exactly what the CSV reader gives for such
/// bytes, found with one vectorised scan for delimiters and line feeds instead of a byte-at-a-time
/// state machine. Blank lines are skipped, as the CSV reader skips them. Returns the number of
/// line feeds seen.
fn parse_plain(
    bytes: &[u8],
    delimiter: u8,
    plan: &[ColPlan],
    first_line: u64,
    out: &mut ChunkOut,
) -> u64 {
    // At most one field past the header's count is kept: a line of a million delimiters is
    // rejected by its count without holding a million slices.
    let keep = plan.len() + 1;
    let status = super::flowlog::StatusPlan::of(plan.iter().map(|p| p.role));
    let mut fields: Vec<&[u8]> = Vec::with_capacity(keep);
    let mut staged = Vec::with_capacity(plan.len());
    let mut times = TimeCache::new(plan.len());
    let mut line = first_line;
    let mut start = 0;
    let mut line_start = 0;
    let mut count = 0usize;
    // `end` is where the line's last field ends (its line feed, or the end of the chunk).
    let mut record = |fields: &[&[u8]],
                      count: usize,
                      line_start: usize,
                      end: usize,
                      line: u64,
                      out: &mut ChunkOut| {
        if count == 1 && end == line_start {
            return; // a blank line
        }
        // The fields' bytes: the line without its delimiters, as the CSV reader counts them.
        let field_bytes = (end - line_start).saturating_sub(count - 1);
        let staged_ok = check_shape(field_bytes, count, plan).and_then(|()| {
            stage_record(
                fields.iter().copied(),
                plan,
                &out.cols,
                &mut staged,
                &mut times,
            )
        });
        match staged_ok {
            Ok(()) => {
                if keep_record(status, |i| fields.get(i).copied(), &staged, out) {
                    commit(fields.iter().copied(), &staged, &mut out.cols);
                    out.rows += 1;
                    out.lines.push(line);
                }
            }
            Err(r) => out.rejects.push(r.at(line)),
        }
    };
    super::split::for_each2(bytes, delimiter, b'\n', |pos| {
        if fields.len() < keep {
            fields.push(bytes.get(start..pos).unwrap_or_default());
        }
        count += 1;
        start = pos + 1;
        if bytes.get(pos) == Some(&b'\n') {
            record(&fields, count, line_start, pos, line, out);
            fields.clear();
            count = 0;
            line += 1;
            line_start = start;
        }
    });
    if start < bytes.len() || count > 0 {
        if fields.len() < keep {
            fields.push(bytes.get(start..).unwrap_or_default());
        }
        record(&fields, count + 1, line_start, bytes.len(), line, out);
    }
    line - first_line
}

/// The records of any chunk, through the CSV reader.
fn parse_csv(bytes: &[u8], delimiter: u8, plan: &[ColPlan], first_line: u64, out: &mut ChunkOut) {
    // csv-core drops a UTF-8 BOM at the start of its input. Mid-file it is data:
    // a blank line in front (which CSV skips) keeps it.
    let guard: &[u8] = if bytes.starts_with(b"\xef\xbb\xbf") {
        b"\n"
    } else {
        b""
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(std::io::Read::chain(guard, bytes));
    let mut lines = LineCounter::new(bytes, first_line);
    let mut record = ByteRecord::new();
    let mut staged = Vec::with_capacity(plan.len());
    let mut times = TimeCache::new(plan.len());
    let status = super::flowlog::StatusPlan::of(plan.iter().map(|p| p.role));
    loop {
        let read = reader.read_byte_record(&mut record);
        // Where this read began, past the guard.
        let from = |p: Option<&csv::Position>| {
            p.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
                .saturating_sub(guard.len())
        };
        match read {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // Reading from memory, the only errors are UTF-8 (not used with
                // byte records) and I/O; keep going defensively.
                let line = lines.record_at(from(e.position()));
                out.rejects
                    .push(reject(line, None, "unreadable record", e.to_string()));
                continue;
            }
        }
        let staged_ok = check_shape(record.as_slice().len(), record.len(), plan)
            .and_then(|()| stage_record(record.iter(), plan, &out.cols, &mut staged, &mut times));
        match staged_ok {
            Ok(()) => {
                if keep_record(status, |i| record.get(i), &staged, out) {
                    commit(record.iter(), &staged, &mut out.cols);
                    out.rows += 1;
                    out.lines.push(lines.record_at(from(record.position())));
                }
            }
            Err(r) => {
                let line = lines.record_at(from(record.position()));
                out.rejects.push(r.at(line));
            }
        }
    }
}

/// Line numbers of records from byte offsets. csv's own `Position::line` is
/// where a read began: before the blank lines it skips, and before the LF of
/// the previous record's CRLF, so it can be a line early. Counted only when a
/// line is asked for (a rejected record), from where the last count stopped.
struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8], first_line: u64) -> Self {
        LineCounter {
            bytes,
            counted_to: 0,
            line: first_line,
        }
    }

    /// The line of the record whose read began at `offset` (offsets never decrease
    /// from one call to the next).
    fn record_at(&mut self, offset: usize) -> u64 {
        let rest = self.bytes.get(offset..).unwrap_or(&[]);
        let start = offset.saturating_add(super::leading_line_ends(rest));
        if let Some(part) = self.bytes.get(self.counted_to..start) {
            self.line += super::count_lf(part);
            self.counted_to = start;
        }
        self.line
    }
}

/// A rejection before its line is known.
struct Pending {
    column: Option<String>,
    kind: &'static str,
    message: String,
}

impl Pending {
    fn at(self, line: u64) -> Reject {
        reject(line, self.column, self.kind, self.message)
    }
}

fn reject(line: u64, column: Option<String>, kind: &str, message: String) -> Reject {
    Reject {
        line,
        column,
        kind: kind.to_string(),
        message,
    }
}

/// Quotes a value for a message: inert, and cut to 60 characters.
pub fn quote_value(b: &[u8]) -> String {
    let shown = sanitize::inert_bytes(b.get(..b.len().min(240)).unwrap_or(b));
    let cut = sanitize::truncate_to_width(&shown, 60);
    format!("'{cut}'")
}

/// A record's size and field count against the limits and the header (checked before
/// [`stage_record`]).
fn check_shape(bytes: usize, count: usize, plan: &[ColPlan]) -> Result<(), Pending> {
    if bytes > MAX_RECORD_BYTES {
        return Err(Pending {
            column: None,
            kind: "record too long",
            message: format!("record of {bytes} bytes is over the {MAX_RECORD_BYTES} byte limit"),
        });
    }
    if count != plan.len() {
        return Err(Pending {
            column: None,
            kind: "wrong number of fields",
            message: format!(
                "expected {} fields (as in the header), found {count}",
                plan.len()
            ),
        });
    }
    Ok(())
}

/// Checks a record field by field (its shape already passed [`check_shape`]); `cols` are the
/// chunk's buffers so far (an IP address already interned there is known to be valid and is not
/// parsed again).
fn stage_record<'a>(
    fields: impl Iterator<Item = &'a [u8]>,
    plan: &[ColPlan],
    cols: &[ColBuf],
    staged: &mut Vec<Staged>,
    times: &mut TimeCache,
) -> Result<(), Pending> {
    staged.clear();
    for (c, ((field, col), buf)) in fields.zip(plan).zip(cols).enumerate() {
        if field.len() > MAX_FIELD_BYTES {
            return Err(Pending {
                column: Some(col.name.clone()),
                kind: "field too long",
                message: format!(
                    "field of {} bytes is over the {} byte limit",
                    field.len(),
                    MAX_FIELD_BYTES
                ),
            });
        }
        let t = fields::trim(field);
        let fail = |e: FieldError| Pending {
            column: Some(col.name.clone()),
            kind: e.kind(),
            message: format!("{}: {} ({})", e.kind(), quote_value(t), e.hint()),
        };
        let missing = fields::is_missing(t) || (col.dash_missing && t == b"-");
        let value = match col.kind {
            RoleType::UInt if missing => Staged::U(MISSING_U64),
            RoleType::UInt => Staged::U(fields::parse_u64(t).map_err(fail)?),
            RoleType::Float if missing => Staged::F(f64::NAN),
            RoleType::Float => Staged::F(fields::parse_f64(t).map_err(|e| {
                fail(if e == FieldError::TooLarge {
                    FieldError::NotFinite
                } else {
                    e
                })
            })?),
            RoleType::Time if missing => Staged::T(MISSING_TIME),
            RoleType::Time => Staged::T(times.parse(c, t).map_err(fail)?),
            RoleType::Ip => {
                // Only valid addresses (and missing cells, as "") are ever interned.
                match buf {
                    ColBuf::Ip(i) => match i.find(t) {
                        Ok(code) => Staged::Code(code),
                        // A `-` is interned as it is and reads as no address.
                        Err(_) if missing => Staged::Interned,
                        Err(key) => {
                            fields::parse_ip(t).map_err(fail)?;
                            Staged::New(key)
                        }
                    },
                    _ => Staged::Interned,
                }
            }
            RoleType::Text => match buf {
                ColBuf::Text(i) => i.find(field).map_or_else(Staged::New, Staged::Code),
                _ => Staged::Interned,
            },
        };
        staged.push(value);
    }
    Ok(())
}

fn commit<'a>(fields: impl Iterator<Item = &'a [u8]>, staged: &[Staged], cols: &mut [ColBuf]) {
    for ((field, value), col) in fields.zip(staged).zip(cols.iter_mut()) {
        match (col, value) {
            (ColBuf::UInt(v), Staged::U(x)) => v.push(*x),
            (ColBuf::Float(v), Staged::F(x)) => v.push(*x),
            (ColBuf::Time(v), Staged::T(x)) => v.push(*x),
            (ColBuf::Ip(i) | ColBuf::Text(i), Staged::Code(c)) => i.push_code(*c),
            (ColBuf::Ip(i), Staged::New(key)) => i.push_new(fields::trim(field), *key),
            (ColBuf::Text(i), Staged::New(key)) => i.push_new(field, *key),
            (ColBuf::Ip(i), _) => {
                let t = fields::trim(field);
                i.push(if fields::is_missing(t) { b"" } else { t });
            }
            (ColBuf::Text(i), _) => i.push(field),
            _ => {}
        }
    }
}

/// Appends a chunk's part of a column to the column.
fn append_col(dst: &mut ColBuf, src: ColBuf) {
    match (dst, src) {
        (ColBuf::UInt(d), ColBuf::UInt(s)) => d.append(&s),
        (ColBuf::Float(d), ColBuf::Float(s)) => d.append(&s),
        (ColBuf::Time(d), ColBuf::Time(s)) => d.append(&s),
        (ColBuf::Ip(d), ColBuf::Ip(s)) | (ColBuf::Text(d), ColBuf::Text(s)) => d.append(&s),
        _ => {}
    }
}

/// Accumulates chunks in input order into final columns.
pub struct Merger {
    plan: Vec<ColPlan>,
    cols: Vec<ColBuf>,
    pub rejects: RejectReport,
    pub rows: usize,
    pub lines: crate::dataset::LineMap,
    pub statuses: std::collections::BTreeMap<String, crate::dataset::StatusSpan>,
}

impl Merger {
    pub fn new(plan: Vec<ColPlan>, capacity: usize) -> Self {
        let cols = plan.iter().map(|p| ColBuf::new(p.kind, capacity)).collect();
        Merger {
            plan,
            cols,
            rejects: RejectReport::default(),
            rows: 0,
            lines: Default::default(),
            statuses: Default::default(),
        }
    }

    /// Appends a chunk's rows.
    pub fn push(&mut self, mut chunk: ChunkOut) {
        for (dst, src) in self.cols.iter_mut().zip(std::mem::take(&mut chunk.cols)) {
            append_col(dst, src);
        }
        self.push_rest(chunk);
    }

    /// Appends the rows of `chunks` (in order), leaving it empty: each column takes every chunk's
    /// part of it, the columns side by side on the thread pool.
    pub fn push_all(&mut self, chunks: &mut Vec<ChunkOut>) {
        use rayon::prelude::*;
        if chunks.len() <= 1 && self.cols.len() <= 1 {
            chunks.drain(..).for_each(|c| self.push(c));
            return;
        }
        let mut parts: Vec<Vec<ColBuf>> = self
            .cols
            .iter()
            .map(|_| Vec::with_capacity(chunks.len()))
            .collect();
        for chunk in chunks.iter_mut() {
            for (part, col) in parts.iter_mut().zip(std::mem::take(&mut chunk.cols)) {
                part.push(col);
            }
        }
        self.cols
            .par_iter_mut()
            .zip(parts)
            .for_each(|(dst, srcs)| srcs.into_iter().for_each(|src| append_col(dst, src)));
        chunks.drain(..).for_each(|c| self.push_rest(c));
    }

    /// A chunk's row count, line numbers, rejects and statuses (its columns are merged apart).
    fn push_rest(&mut self, chunk: ChunkOut) {
        self.rows += chunk.rows;
        self.lines.append(&chunk.lines);
        self.rejects.merge(chunk.rejects);
        super::flowlog::merge_statuses(&mut self.statuses, &chunk.statuses);
    }

    /// The finished columns, plus how many distinct text values were not UTF-8.
    pub fn finish(self) -> (Vec<Column>, usize) {
        let mut latin1 = 0;
        let columns = self
            .plan
            .into_iter()
            .zip(self.cols)
            .map(|(plan, buf)| {
                let data = match buf {
                    ColBuf::UInt(mut v) => {
                        v.shrink_to_fit();
                        ColumnData::UInt(v)
                    }
                    ColBuf::Float(mut v) => {
                        v.shrink_to_fit();
                        ColumnData::Float(v)
                    }
                    ColBuf::Time(mut v) => {
                        v.shrink_to_fit();
                        ColumnData::Time(v)
                    }
                    ColBuf::Ip(i) => ColumnData::Ip(finish_ips(i)),
                    ColBuf::Text(mut i) => {
                        i.codes.shrink_to_fit();
                        let values = i
                            .values
                            .iter()
                            .map(|v| {
                                let (s, was_latin1) = decode_text(v);
                                latin1 += usize::from(was_latin1);
                                s
                            })
                            .collect();
                        ColumnData::Text(Dict {
                            codes: i.codes,
                            values,
                        })
                    }
                };
                Column {
                    name: plan.name,
                    role: plan.role,
                    data,
                }
            })
            .collect();
        (columns, latin1)
    }
}

/// Parses interned IP strings and folds equal addresses (e.g. `::ffff:1.2.3.4`
/// and `1.2.3.4`) into one dictionary entry.
fn finish_ips(i: Interner) -> Dict<Option<IpAddr>> {
    let mut values: Vec<Option<IpAddr>> = Vec::new();
    let mut index: FxHashMap<Option<IpAddr>, u32> = FxHashMap::default();
    let remap: Vec<u32> = i
        .values
        .iter()
        .map(|raw| {
            let ip = fields::parse_ip(raw).ok();
            *index.entry(ip).or_insert_with(|| {
                values.push(ip);
                (values.len() - 1) as u32
            })
        })
        .collect();
    let mut codes = Codes::with_capacity(i.codes.len());
    codes.extend_mapped(&i.codes, &remap);
    codes.shrink_to_fit();
    Dict { codes, values }
}

/// Decodes field bytes: UTF-8 when valid, else Latin-1 (every byte is a character).
pub fn decode_text(b: &[u8]) -> (Box<str>, bool) {
    match std::str::from_utf8(b) {
        Ok(s) => (s.into(), false),
        Err(_) => (b.iter().map(|&c| char::from(c)).collect(), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Vec<ColPlan> {
        vec![
            ColPlan {
                name: "bytes_in".into(),
                role: Some(Role::BytesIn),
                kind: RoleType::UInt,
                dash_missing: false,
            },
            ColPlan {
                name: "src_ip".into(),
                role: Some(Role::SrcIp),
                kind: RoleType::Ip,
                dash_missing: false,
            },
            ColPlan {
                name: "country".into(),
                role: Some(Role::Country),
                kind: RoleType::Text,
                dash_missing: false,
            },
        ]
    }

    /// Both readers on the same bytes, as comparable text.
    fn both_ways(data: &[u8], delimiter: u8) -> (String, String) {
        let p = plan();
        let run = |plain: bool| {
            let mut out = ChunkOut {
                cols: p.iter().map(|c| ColBuf::new(c.kind, 4)).collect(),
                rejects: RejectReport::default(),
                rows: 0,
                lines: Default::default(),
                statuses: Default::default(),
                newlines: 0,
            };
            if plain {
                parse_plain(data, delimiter, &p, 7, &mut out);
            } else {
                parse_csv(data, delimiter, &p, 7, &mut out);
            }
            format!("{out:?}")
        };
        (run(true), run(false))
    }

    #[test]
    fn plain_chunks_split_exactly_as_the_csv_reader_reads_them() {
        let cases: [&[u8]; 12] = [
            b"",
            b"\n",
            b"\n\n10,1.2.3.4,US\n\n",
            b"10,1.2.3.4,US",
            b"10,1.2.3.4,US\n20,5.6.7.8,CA",
            b"10,1.2.3.4,US,\n,,\n,\n",
            b" 10 , 1.2.3.4 ,US \n",
            b"10,1.2.3.4\n10,1.2.3.4,US,extra\nx,y,z\n",
            b"\xef\xbb\xbf10,1.2.3.4,US\n",
            b"10,1.2.3.4,U\x00S\n1e3,::1,\xff\n",
            b",\n,,,\n",
            b"5,1.2.3.4,US\n\n\n6,1.2.3.4,US\nbad\n",
        ];
        let many = [b",".repeat(5000), b"\n1,1.2.3.4,US\n".to_vec()].concat();
        let long_field = [
            b"1,1.2.3.4,".to_vec(),
            vec![b'a'; MAX_RECORD_BYTES + 10],
            b"\n".to_vec(),
        ]
        .concat();
        let big = [many.as_slice(), long_field.as_slice()];
        for data in cases.into_iter().chain(big) {
            assert!(is_plain(data, b','));
            let (plain, csv) = both_ways(data, b',');
            assert_eq!(plain, csv, "{:?}", String::from_utf8_lossy(data));
        }
        let (plain, csv) = both_ways(b"10;1.2.3.4;US\n20;x;CA\n", b';');
        assert_eq!(plain, csv);
        for quoted in [&b"\"10\",1.2.3.4,US\n"[..], b"10,1.2.3.4,US\r\n"] {
            assert!(!is_plain(quoted, b','));
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_and_csv_readers_agree_on_any_quote_free_bytes(
            data in proptest::collection::vec(
                proptest::sample::select(b"0123456789.:,\n aUS\xff".to_vec()),
                0..200,
            )
        ) {
            let (plain, csv) = both_ways(&data, b',');
            proptest::prop_assert_eq!(plain, csv);
        }
    }

    #[test]
    fn rejected_rows_leave_no_trace() {
        let data = b"10,1.2.3.4,US\nx,1.2.3.4,ZZ\n20,bad,QQ\n30,::ffff:1.2.3.4,CA\n";
        let chunk = parse_chunk(data, b',', &plan(), 2);
        assert_eq!(chunk.rows, 2);
        assert_eq!(chunk.rejects.total, 2);
        assert_eq!(chunk.rejects.details[0].line, 3);
        assert_eq!(chunk.rejects.details[0].column.as_deref(), Some("bytes_in"));
        assert_eq!(chunk.rejects.details[1].kind, "invalid IP address");
        let mut m = Merger::new(plan(), 0);
        m.push(chunk);
        let (cols, _) = m.finish();
        match &cols[2].data {
            ColumnData::Text(d) => assert_eq!(d.values.len(), 2, "no orphan ZZ/QQ"),
            other => panic!("unexpected {other:?}"),
        }
        match &cols[1].data {
            ColumnData::Ip(d) => assert_eq!(d.values.len(), 1, "mapped v6 folds into v4"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn interner_codes_equal_values_alike_and_distinct_ones_apart() {
        // Short and long values, values differing only in length or in the 15th/16th byte,
        // an empty value, and the same values arriving through a merge.
        let values: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"US".to_vec(),
            b"US\0".to_vec(),
            b"155.109.131.198".to_vec(),
            b"155.109.131.1989".to_vec(),
            b"155.109.131.1988".to_vec(),
            b"Suspicious Web Traffic".to_vec(),
            b"Suspicious Web Traffid".to_vec(),
            vec![0xff; 15],
            vec![0xff; 16],
        ];
        let mut a = Interner::default();
        let mut b = Interner::default();
        for round in 0..3 {
            for (i, v) in values.iter().enumerate() {
                a.push(v);
                b.push(&values[(i + round) % values.len()]);
            }
        }
        assert_eq!(a.values.len(), values.len());
        let codes = a.codes.to_vec();
        for (i, v) in values.iter().enumerate() {
            assert_eq!(a.values.get(codes[i] as usize), Some(&v[..]));
            assert_eq!(codes[i], codes[i + values.len()]);
        }
        let mut merged = Interner::default();
        merged.append(&b);
        merged.append(&a);
        assert_eq!(merged.values.len(), values.len());
        let all = merged.codes.to_vec();
        let expect: Vec<Option<&[u8]>> = b
            .codes
            .to_vec()
            .iter()
            .map(|&c| b.values.get(c as usize))
            .chain(a.codes.to_vec().iter().map(|&c| a.values.get(c as usize)))
            .collect();
        let got: Vec<Option<&[u8]>> = all.iter().map(|&c| merged.values.get(c as usize)).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn latin1_text_is_decoded() {
        assert_eq!(&*decode_text(b"M\xfcller").0, "Müller");
        assert!(decode_text(b"M\xfcller").1);
    }
}
