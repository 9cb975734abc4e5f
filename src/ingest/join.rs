//! Joining the datasets of many files (a folder, a Parquet file's row groups) into one, a
//! part at a time.
//!
//! A [`Joiner`] takes the parts in order and frees each once appended, so a folder of a
//! thousand files never holds more than the joined rows and the parts still being read.
//! Columns are matched by name, in the order they are first seen; a column keeps its storage
//! (integers, numbers, times, addresses) while every part with rows agrees on it, and becomes
//! text when two disagree, with each row written as its own part shows it. The result is the
//! same, value for value and code for code, as joining all the parts at once: a column whose
//! parts are all text is one dictionary built in the parts' dictionary order; a column that
//! turns to text is built in row order. It reads no input.

use crate::dataset::{
    Codes, Column, ColumnData, Dataset, Dict, Floats, LineMap, LoadFacts, MISSING_TIME,
    MISSING_U64, Reject, RejectReport, Role, Times, UInts,
};
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;

/// Value → code of a dictionary under construction whose values so far are `values`.
trait Lookup<T>: Default {
    fn get(&self, v: &T, values: &[T]) -> Option<u32>;
    fn insert(&mut self, v: &T, code: u32, values: &[T]);
}

/// Any hashable value: codes found by the value's hash, the value kept only in the
/// dictionary (one copy of each distinct text, not two).
#[derive(Debug, Default)]
struct Plain(HashTable<u32>);

impl<T: Eq + Hash> Lookup<T> for Plain {
    fn get(&self, v: &T, values: &[T]) -> Option<u32> {
        let found = self.0.find(FxBuildHasher.hash_one(v), |&c| {
            values.get(c as usize) == Some(v)
        });
        found.copied()
    }
    fn insert(&mut self, v: &T, code: u32, values: &[T]) {
        let rehash = |&c: &u32| {
            values
                .get(c as usize)
                .map_or(0, |x| FxBuildHasher.hash_one(x))
        };
        self.0
            .insert_unique(FxBuildHasher.hash_one(v), code, rehash);
    }
}

/// Addresses: IPv4 keyed by its 4 bytes (8 bytes an entry instead of 24; a folder of flow
/// logs has about a million distinct addresses per column), the rest as they are.
#[derive(Debug, Default)]
struct Addresses {
    v4: FxHashMap<u32, u32>,
    other: FxHashMap<Option<IpAddr>, u32>,
}

impl Lookup<Option<IpAddr>> for Addresses {
    fn get(&self, v: &Option<IpAddr>, _: &[Option<IpAddr>]) -> Option<u32> {
        match v {
            Some(IpAddr::V4(a)) => self.v4.get(&u32::from(*a)).copied(),
            v => self.other.get(v).copied(),
        }
    }
    fn insert(&mut self, v: &Option<IpAddr>, code: u32, _: &[Option<IpAddr>]) {
        match v {
            Some(IpAddr::V4(a)) => self.v4.insert(u32::from(*a), code),
            v => self.other.insert(*v, code),
        };
    }
}

/// A dictionary under construction with its value → code index.
#[derive(Debug, Default)]
struct Building<T, L = Plain> {
    codes: Codes,
    values: Vec<T>,
    index: L,
}

impl<T: Clone + Eq + Hash, L: Lookup<T>> Building<T, L> {
    fn code_of(&mut self, v: &T) -> u32 {
        if let Some(c) = self.index.get(v, &self.values) {
            return c;
        }
        let c = self.values.len() as u32;
        self.index.insert(v, c, &self.values);
        self.values.push(v.clone());
        c
    }

    /// Appends a part's dictionary column, its values coded in dictionary order.
    fn append_dict(&mut self, d: &Dict<T>) {
        let remap: Vec<u32> = d.values.iter().map(|v| self.code_of(v)).collect();
        self.codes.extend_mapped(&d.codes, &remap);
    }

    fn push_n(&mut self, v: &T, n: usize) {
        let c = self.code_of(v);
        (0..n).for_each(|_| self.codes.push(c));
    }

    fn finish(mut self) -> Dict<T> {
        self.codes.shrink_to_fit();
        self.values.shrink_to_fit();
        Dict {
            codes: self.codes,
            values: self.values,
        }
    }
}

/// What a column saw before its first part with rows: parts without it (their row count)
/// and parts with it but no rows (their empty column, whose dictionary still counts).
#[derive(Debug)]
enum Seen {
    Missing(usize),
    Empty(ColumnData),
}

/// One joined column's storage so far.
#[derive(Debug)]
enum Acc {
    /// No part with rows has had the column yet; `kind` is the storage of the first (empty)
    /// part that had it.
    Pending {
        seen: Vec<Seen>,
        kind: Option<&'static str>,
    },
    UInt(UInts),
    Float(Floats),
    Time(Times),
    Ip(Building<Option<IpAddr>, Addresses>),
    /// Every part so far has it as text (or lacks it): one dictionary, coded in each part's
    /// dictionary order.
    Dict(Building<Box<str>>),
    /// Parts disagree on its storage: every row's text as its part shows it, coded in row order.
    Rows(Building<Box<str>>),
}

#[derive(Debug)]
struct JoinColumn {
    name: String,
    role: Option<Role>,
    acc: Acc,
    /// Some part (even one without rows) holds it as something other than text.
    non_text: bool,
}

impl JoinColumn {
    fn new(name: String, role: Option<Role>, missing_rows: usize, parts_before: usize) -> Self {
        let seen = if parts_before > 0 {
            vec![Seen::Missing(missing_rows)]
        } else {
            Vec::new()
        };
        JoinColumn {
            name,
            role,
            acc: Acc::Pending { seen, kind: None },
            non_text: false,
        }
    }

    #[cfg(debug_assertions)]
    fn rows(&self) -> usize {
        match &self.acc {
            Acc::Pending { seen, .. } => seen
                .iter()
                .map(|s| match s {
                    Seen::Missing(n) => *n,
                    Seen::Empty(_) => 0,
                })
                .sum(),
            Acc::UInt(v) => v.len(),
            Acc::Float(v) => v.len(),
            Acc::Time(v) => v.len(),
            Acc::Ip(b) => b.codes.len(),
            Acc::Dict(b) | Acc::Rows(b) => b.codes.len(),
        }
    }

    /// Appends `n` rows of a part that lacks the column.
    fn push_missing(&mut self, n: usize) {
        match &mut self.acc {
            Acc::Pending { seen, .. } => seen.push(Seen::Missing(n)),
            Acc::UInt(v) => (0..n).for_each(|_| v.push(MISSING_U64)),
            Acc::Float(v) => (0..n).for_each(|_| v.push(f64::NAN)),
            Acc::Time(v) => (0..n).for_each(|_| v.push(MISSING_TIME)),
            // A dictionary learns the missing value even from a part without rows (as a
            // whole join does); row-order text only from rows.
            Acc::Ip(b) => b.push_n(&None, n),
            Acc::Dict(b) => b.push_n(&Box::from(""), n),
            Acc::Rows(b) if n > 0 => b.push_n(&Box::from(""), n),
            Acc::Rows(_) => {}
        }
    }

    /// Replaces a pending column's storage and replays what it saw.
    fn settle(&mut self, acc: Acc) {
        if let Acc::Pending { seen, .. } = std::mem::replace(&mut self.acc, acc) {
            for s in seen {
                match s {
                    Seen::Missing(n) => self.push_missing(n),
                    Seen::Empty(d) => self.push_part(&d, 0),
                }
            }
        }
    }

    /// Turns the column into row-order text, each row as its storage shows it.
    fn switch_to_rows(&mut self) {
        let data = match std::mem::replace(&mut self.acc, Acc::Rows(Building::default())) {
            Acc::UInt(v) => ColumnData::UInt(v),
            Acc::Float(v) => ColumnData::Float(v),
            Acc::Time(v) => ColumnData::Time(v),
            Acc::Ip(d) => ColumnData::Ip(d.finish()),
            Acc::Dict(d) => ColumnData::Text(d.finish()),
            other => {
                self.acc = other;
                return self.settle(Acc::Rows(Building::default()));
            }
        };
        if let Acc::Rows(b) = &mut self.acc {
            for r in 0..data.len() {
                let c = b.code_of(&Box::from(data.text(r).as_ref()));
                b.codes.push(c);
            }
        }
    }

    /// Appends a part's column of `n` rows.
    fn push_part(&mut self, data: &ColumnData, n: usize) {
        if !matches!(data, ColumnData::Text(_)) {
            self.non_text = true;
            if matches!(self.acc, Acc::Dict(_)) {
                self.switch_to_rows();
            }
        }
        if n == 0 {
            match (&mut self.acc, data) {
                (Acc::Pending { seen, kind }, d) => {
                    kind.get_or_insert(d.kind());
                    seen.push(Seen::Empty(d.clone()));
                }
                (Acc::Ip(b), ColumnData::Ip(x)) => b.append_dict(x),
                // Another storage counts as missing in an address dictionary.
                (Acc::Ip(b), _) => b.push_n(&None, 0),
                (Acc::Dict(b), ColumnData::Text(x)) => b.append_dict(x),
                _ => {}
            }
            return;
        }
        if matches!(self.acc, Acc::Pending { .. }) {
            let acc = self.start(data.kind());
            self.settle(acc);
        }
        match (&mut self.acc, data) {
            (Acc::UInt(v), ColumnData::UInt(x)) => v.append(x),
            (Acc::Float(v), ColumnData::Float(x)) => v.append(x),
            (Acc::Time(v), ColumnData::Time(x)) => v.append(x),
            (Acc::Ip(b), ColumnData::Ip(x)) => b.append_dict(x),
            (Acc::Dict(b), ColumnData::Text(x)) => b.append_dict(x),
            (Acc::Rows(b), data) => {
                for r in 0..n {
                    let c = b.code_of(&Box::from(data.text(r).as_ref()));
                    b.codes.push(c);
                }
            }
            // Two parts disagree: text from here on, earlier rows included.
            _ => {
                self.switch_to_rows();
                self.push_part(data, n);
            }
        }
    }

    /// The empty storage of a column of this kind.
    fn start(&self, kind: &str) -> Acc {
        match kind {
            "integer" => Acc::UInt(UInts::default()),
            "number" => Acc::Float(Floats::default()),
            "time" => Acc::Time(Times::default()),
            "ip" => Acc::Ip(Building::default()),
            _ if self.non_text => Acc::Rows(Building::default()),
            _ => Acc::Dict(Building::default()),
        }
    }

    fn finish(mut self) -> Column {
        if let Acc::Pending { kind, .. } = &self.acc {
            // No part with rows had it: the first part's storage, every row missing.
            let acc = self.start(kind.unwrap_or("text"));
            self.settle(acc);
        }
        // Shrinking a large column remaps it in place (no copy); it frees the growth slack.
        let data = match self.acc {
            Acc::UInt(mut v) => {
                v.shrink_to_fit();
                ColumnData::UInt(v)
            }
            Acc::Float(mut v) => {
                v.shrink_to_fit();
                ColumnData::Float(v)
            }
            Acc::Time(mut v) => {
                v.shrink_to_fit();
                ColumnData::Time(v)
            }
            Acc::Ip(b) => ColumnData::Ip(b.finish()),
            Acc::Dict(b) | Acc::Rows(b) => ColumnData::Text(b.finish()),
            Acc::Pending { .. } => ColumnData::Text(Dict {
                codes: Codes::default(),
                values: Vec::new(),
            }),
        };
        Column {
            name: self.name,
            role: self.role,
            data,
        }
    }
}

/// Parts joined so far.
#[derive(Debug, Default)]
pub struct Joiner {
    columns: Vec<JoinColumn>,
    rows: usize,
    files: Vec<Box<str>>,
    file_codes: Codes,
    input_bytes: u64,
    lines: LineMap,
    facts: LoadFacts,
    rejects: RejectReport,
    /// Each note with the files that gave it, in first-seen order.
    notes: Vec<(String, Vec<Box<str>>)>,
}

impl Joiner {
    /// Appends a part (a file's rows) and frees it.
    pub fn add(&mut self, name: &str, ds: Dataset) {
        for c in &ds.columns {
            if !self.columns.iter().any(|j| j.name == c.name) {
                let role = c
                    .role
                    .filter(|r| !self.columns.iter().any(|j| j.role == Some(*r)));
                self.columns.push(JoinColumn::new(
                    c.name.clone(),
                    role,
                    self.rows,
                    self.files.len(),
                ));
            }
        }
        for j in &mut self.columns {
            match ds.column(&j.name) {
                Some(c) => j.push_part(&c.data, ds.rows),
                None => j.push_missing(ds.rows),
            }
            #[cfg(debug_assertions)]
            debug_assert_eq!(j.rows(), self.rows + ds.rows);
        }
        let file = self.files.len() as u32;
        (0..ds.rows).for_each(|_| self.file_codes.push(file));
        self.files.push(name.into());
        self.rows += ds.rows;
        self.input_bytes += ds.input_bytes;
        match ds.origin {
            None => self.lines.append(&ds.facts.lines),
            // Rows kept by a time window: each row's own line.
            Some(_) => (0..ds.rows).for_each(|r| self.lines.push(ds.line_of(r).unwrap_or(0))),
        }
        super::flowlog::merge_statuses(&mut self.facts.log_status, &ds.facts.log_status);
        // Counts are exact; details (prefixed with the file) up to the report's cap.
        self.rejects.total += ds.rejects.total;
        for (k, n) in &ds.rejects.by_kind {
            *self.rejects.by_kind.entry(k.clone()).or_insert(0) += n;
        }
        let room = RejectReport::DETAIL_CAP.saturating_sub(self.rejects.details.len());
        self.rejects
            .details
            .extend(ds.rejects.details.iter().take(room).map(|r| {
                let mut r = r.clone();
                r.message = format!("{name}: {}", r.message);
                r
            }));
        for n in &ds.notes {
            match self.notes.iter_mut().find(|(text, _)| text == n) {
                Some((_, files)) => files.push(name.into()),
                None => self.notes.push((n.clone(), vec![name.into()])),
            }
        }
    }

    /// Parts added so far.
    pub fn parts(&self) -> usize {
        self.files.len()
    }

    /// The joined dataset, with a `file` column and `failed` (whole files not read) listed
    /// first among the rejects.
    pub fn finish(self, source: &str, failed: Vec<Reject>) -> Dataset {
        let parts = self.files.len();
        let mut columns: Vec<Column> = Vec::with_capacity(self.columns.len() + 1);
        let has_file = self
            .columns
            .iter()
            .any(|c| c.name == super::folder::FILE_COLUMN);
        columns.extend(self.columns.into_iter().map(JoinColumn::finish));
        let mut file_codes = self.file_codes;
        file_codes.shrink_to_fit();
        if !has_file {
            columns.push(Column {
                name: super::folder::FILE_COLUMN.into(),
                role: None,
                data: ColumnData::Text(Dict {
                    codes: file_codes,
                    values: self.files,
                }),
            });
        }
        let mut rejects = RejectReport::default();
        for r in failed {
            rejects.push(r);
        }
        rejects.total += self.rejects.total;
        for (k, n) in self.rejects.by_kind {
            *rejects.by_kind.entry(k).or_insert(0) += n;
        }
        let room = RejectReport::DETAIL_CAP.saturating_sub(rejects.details.len());
        rejects
            .details
            .extend(self.rejects.details.into_iter().take(room));
        let notes = self
            .notes
            .into_iter()
            .map(|(n, files)| match files.as_slice() {
                f if f.len() == parts => n,
                [one] => format!("{one}: {n}"),
                f => format!("{} files: {n}", f.len()),
            })
            .collect();
        Dataset {
            source: source.to_string(),
            columns,
            rows: self.rows,
            input_bytes: self.input_bytes,
            facts: LoadFacts {
                files: parts as u64,
                lines: self.lines,
                log_status: self.facts.log_status,
            },
            rejects,
            notes,
            ..Dataset::default()
        }
    }
}

#[cfg(test)]
#[path = "join_tests.rs"]
mod tests;
