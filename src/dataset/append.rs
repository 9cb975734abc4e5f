//! Growing a dataset: appending batches of rows with the same columns (a followed file).
//!
//! An [`Appender`] owns a [`Dataset`] and, for each dictionary-encoded column, a lookup from
//! value to code, so appending a batch costs time in the batch's rows and new values only.
//! Appends keep what earlier rows mean: a row id is append order, an interned value keeps its
//! code for ever (new values get the next codes), counts and reject reports add up. A batch
//! must have the columns of the dataset, in order and of the same kind (a [`BatchSchema`]
//! guarantees it); anything else is refused with an [`AppendError`] and leaves the dataset as
//! it was. It reads no input and computes no statistics.
//!
//! [`BatchSchema`]: crate::ingest::batch::BatchSchema

use super::{Column, ColumnData, Dataset, Dict};
use rustc_hash::FxHashMap;
use std::hash::Hash;
use std::net::IpAddr;
use thiserror::Error;

/// Why a batch could not be appended.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AppendError {
    #[error(
        "the batch has {found} columns where the data has {expected}: batches must come from the same header"
    )]
    ColumnCount { expected: usize, found: usize },
    #[error(
        "column {index} is '{found}' in the batch but '{expected}' in the data: batches must come from the same header"
    )]
    ColumnName {
        index: usize,
        expected: String,
        found: String,
    },
    #[error(
        "column '{column}' holds {found} values in the batch but {expected} values in the data: parse batches with the data's schema"
    )]
    ColumnKind {
        column: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("a subset of rows (filtered or preprocessed) cannot grow: append to the whole data")]
    Subset,
}

/// Value → code of one dictionary column.
#[derive(Debug, Clone)]
enum Lookup {
    Plain,
    Ip(FxHashMap<Option<IpAddr>, u32>),
    Text(FxHashMap<Box<str>, u32>),
}

/// A dataset that batches of rows are appended to.
#[derive(Debug, Clone)]
pub struct Appender {
    ds: Dataset,
    lookups: Vec<Lookup>,
}

fn lookup_of<T: Clone + Eq + Hash>(d: &Dict<T>) -> FxHashMap<T, u32> {
    d.values
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), i as u32))
        .collect()
}

impl Appender {
    /// Starts from a dataset (often the first batch); its rows keep their ids and codes.
    pub fn new(ds: Dataset) -> Appender {
        let lookups = ds
            .columns
            .iter()
            .map(|c| match &c.data {
                ColumnData::Ip(d) => Lookup::Ip(lookup_of(d)),
                ColumnData::Text(d) => Lookup::Text(lookup_of(d)),
                _ => Lookup::Plain,
            })
            .collect();
        Appender { ds, lookups }
    }

    pub fn dataset(&self) -> &Dataset {
        &self.ds
    }

    pub fn into_dataset(self) -> Dataset {
        self.ds
    }

    /// Appends a batch's rows after the rows so far; returns how many were added.
    pub fn append(&mut self, batch: &Dataset) -> Result<usize, AppendError> {
        self.check(batch)?;
        for ((col, lookup), other) in self
            .ds
            .columns
            .iter_mut()
            .zip(&mut self.lookups)
            .zip(&batch.columns)
        {
            append_column(col, lookup, &other.data);
        }
        let ds = &mut self.ds;
        ds.rows += batch.rows;
        ds.rejects.merge(batch.rejects.clone());
        ds.input_bytes += batch.input_bytes;
        for (status, span) in &batch.facts.log_status {
            ds.facts
                .log_status
                .entry(status.clone())
                .or_default()
                .merge(span);
        }
        ds.facts.lines.append(&batch.facts.lines);
        for note in &batch.notes {
            if !ds.notes.contains(note) {
                ds.notes.push(note.clone());
            }
        }
        Ok(batch.rows)
    }

    /// Forgets the first `n` rows (a window over a followed file): row `n` becomes row 0.
    /// Dictionaries keep every value and code, so codes stay valid; counts (rejects, bytes)
    /// stay those of everything appended.
    pub fn drop_front(&mut self, n: usize) {
        let n = n.min(self.ds.rows);
        if n == 0 {
            return;
        }
        let keep: Vec<usize> = (n..self.ds.rows).collect();
        let mut ds = self.ds.select_rows(&keep);
        ds.origin = None;
        ds.facts.lines.drop_front(n as u64);
        self.ds = ds;
    }

    /// Refuses a batch whose columns are not the dataset's (names in order, kinds).
    fn check(&self, batch: &Dataset) -> Result<(), AppendError> {
        if self.ds.origin.is_some() || batch.origin.is_some() {
            return Err(AppendError::Subset);
        }
        let (mine, theirs) = (&self.ds.columns, &batch.columns);
        if mine.len() != theirs.len() {
            return Err(AppendError::ColumnCount {
                expected: mine.len(),
                found: theirs.len(),
            });
        }
        for (index, (a, b)) in mine.iter().zip(theirs).enumerate() {
            if a.name != b.name {
                return Err(AppendError::ColumnName {
                    index,
                    expected: a.name.clone(),
                    found: b.name.clone(),
                });
            }
            if a.data.kind() != b.data.kind() {
                return Err(AppendError::ColumnKind {
                    column: a.name.clone(),
                    expected: a.data.kind(),
                    found: b.data.kind(),
                });
            }
        }
        Ok(())
    }
}

/// Appends one column's values (kinds already checked to agree).
fn append_column(col: &mut Column, lookup: &mut Lookup, other: &ColumnData) {
    match (&mut col.data, other, lookup) {
        (ColumnData::UInt(a), ColumnData::UInt(b), _) => a.append(b),
        (ColumnData::Float(a), ColumnData::Float(b), _) => a.append(b),
        (ColumnData::Time(a), ColumnData::Time(b), _) => a.append(b),
        (ColumnData::Ip(a), ColumnData::Ip(b), Lookup::Ip(l)) => append_dict(a, b, l),
        (ColumnData::Text(a), ColumnData::Text(b), Lookup::Text(l)) => append_dict(a, b, l),
        _ => {}
    }
}

/// Re-codes `b`'s values into `a`'s dictionary (new values get the next codes) and appends
/// its codes.
fn append_dict<T: Clone + Eq + Hash>(a: &mut Dict<T>, b: &Dict<T>, lookup: &mut FxHashMap<T, u32>) {
    let remap: Vec<u32> = b
        .values
        .iter()
        .map(|v| {
            *lookup.entry(v.clone()).or_insert_with(|| {
                a.values.push(v.clone());
                (a.values.len() - 1) as u32
            })
        })
        .collect();
    a.codes.extend_mapped(&b.codes, &remap);
}

#[cfg(test)]
#[path = "append_tests.rs"]
mod tests;
