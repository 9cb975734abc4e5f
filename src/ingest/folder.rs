//! Reading a folder of logs (an S3 sync, a Hive-partitioned export) as one dataset.
//!
//! Every log file beneath the folder (`.log`, `.log.gz`, `.gz`, `.csv`, `.csv.gz`, `.jsonl`,
//! `.parquet`) is read, in parallel, by the single-input loader; files whose path places them
//! wholly outside a `--since`/`--until` window are skipped unopened. The parts are joined in
//! path order into one dataset with a `file` column naming each row's file; columns are
//! matched by name (a column missing from one file is missing on its rows). A file that
//! cannot be read at all is listed in the reject report with its reason and the rest loads;
//! only when nothing loads is the folder an error. This module owns walking and joining; it
//! parses no record itself.

use super::window::path_span;
use super::{IngestError, LoadOptions, LoadProgress};
use crate::dataset::{
    Codes, Column, ColumnData, Dataset, Dict, Floats, LoadFacts, MISSING_TIME, MISSING_U64, Reject,
    Times, UInts,
};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The name of the column that says which file a row came from.
pub const FILE_COLUMN: &str = "file";

/// Whether a file name is one of the log kinds read from a folder.
pub fn is_log_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    !name.starts_with('.')
        && [".log", ".gz", ".csv", ".parquet", ".jsonl", ".txt"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// Every log file beneath `dir`, sorted by path; unreadable sub-folders are returned as problems.
fn walk(dir: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                problems.push((d, super::io_cause(&e)));
                continue;
            }
        };
        for entry in entries.flatten() {
            let p = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(_) if is_log_file(&p) => files.push(p),
                _ => {}
            }
        }
    }
    files.sort();
    (files, problems)
}

/// Loads every log file beneath `dir` as one dataset.
pub fn load_dir(
    dir: &Path,
    progress: Arc<LoadProgress>,
    opts: &LoadOptions,
) -> Result<Dataset, IngestError> {
    let shown = dir.display().to_string();
    let (all, walk_problems) = walk(dir);
    if all.is_empty() && walk_problems.is_empty() {
        return Err(IngestError::NoLogFiles { path: shown });
    }
    let files: Vec<PathBuf> = all
        .iter()
        .filter(|p| path_span(p).is_none_or(|(a, b)| opts.window.may_overlap(a, b)))
        .cloned()
        .collect();
    let skipped = all.len() - files.len();
    if files.is_empty() && walk_problems.is_empty() {
        return Err(IngestError::OutsideWindow {
            path: shown,
            window: format!(
                "{} (all {} files lie outside it by their path)",
                opts.window.describe(),
                all.len()
            ),
        });
    }
    let total: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    progress.total_bytes.store(total, Ordering::Relaxed);
    let results: Vec<(String, Result<Dataset, IngestError>)> = files
        .par_iter()
        .map(|p| {
            let name = p
                .strip_prefix(dir)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned();
            (name, super::load_file(p, progress.clone(), opts))
        })
        .collect();
    if progress.cancel.load(Ordering::Relaxed) {
        return Err(IngestError::Cancelled { path: shown });
    }
    let mut parts = Vec::new();
    let mut failed: Vec<Reject> = walk_problems
        .into_iter()
        .map(|(p, cause)| file_reject(format!("{}: cannot read the folder: {cause}", p.display())))
        .collect();
    let mut empty = 0;
    for (name, r) in results {
        match r {
            Ok(ds) => parts.push((name, ds)),
            // A header and no record: nothing to load, nothing wrong.
            Err(IngestError::HeaderOnly { .. } | IngestError::Empty { .. }) => empty += 1,
            Err(e) => failed.push(file_reject(e.to_string())),
        }
    }
    if parts.is_empty() {
        return Err(IngestError::NothingLoaded {
            path: shown,
            files: failed.len(),
            first: failed
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_default(),
        });
    }
    let mut ds = join(&shown, parts, failed);
    if empty > 0 {
        ds.notes.push(format!(
            "{empty} files hold no records (empty or a header only)"
        ));
    }
    if skipped > 0 {
        ds.notes.push(format!(
            "{skipped} of {} files skipped unopened: their path places them outside the time window",
            all.len()
        ));
    }
    Ok(ds)
}

/// A whole file that could not be loaded, as a reject line (line 0: no line of its own).
fn file_reject(message: String) -> Reject {
    Reject {
        line: 0,
        column: None,
        kind: "unreadable file".into(),
        message,
    }
}

/// Each part's row lines, one file after another (lines count within each file).
fn file_lines(parts: &[(String, Dataset)]) -> crate::dataset::LineMap {
    let mut lines = crate::dataset::LineMap::default();
    for (_, ds) in parts {
        match ds.origin {
            None => lines.append(&ds.facts.lines),
            // Rows kept by a time window: each row's own line.
            Some(_) => (0..ds.rows).for_each(|r| lines.push(ds.line_of(r).unwrap_or(0))),
        }
    }
    lines
}

/// Joins datasets (in order) into one, matching columns by name, with a `file` column.
pub fn join(source: &str, mut parts: Vec<(String, Dataset)>, failed: Vec<Reject>) -> Dataset {
    let mut names: Vec<(String, Option<crate::dataset::Role>)> = Vec::new();
    for (_, ds) in &parts {
        for c in &ds.columns {
            if !names.iter().any(|(n, _)| *n == c.name) {
                let role = c
                    .role
                    .filter(|r| !names.iter().any(|(_, x)| *x == Some(*r)));
                names.push((c.name.clone(), role));
            }
        }
    }
    let rows: usize = parts.iter().map(|(_, d)| d.rows).sum();
    // Each part's column is freed after the last joined column that reads it, so the join
    // holds the parts and one joined column at a time, not the parts and a second copy.
    let last_use: Vec<Vec<Option<usize>>> = parts
        .iter()
        .map(|(_, ds)| {
            let mut last = vec![None; ds.columns.len()];
            for (k, (name, _)) in names.iter().enumerate() {
                if let Some(slot) = ds.column_index(name).and_then(|i| last.get_mut(i)) {
                    *slot = Some(k);
                }
            }
            last
        })
        .collect();
    let mut columns: Vec<Column> = Vec::with_capacity(names.len() + 1);
    for (k, (name, role)) in names.iter().enumerate() {
        let data = join_column(name, &parts, rows);
        for ((_, ds), last) in parts.iter_mut().zip(&last_use) {
            for (col, _) in ds
                .columns
                .iter_mut()
                .zip(last)
                .filter(|(_, l)| **l == Some(k))
            {
                col.data = ColumnData::Text(Dict {
                    codes: Codes::default(),
                    values: Vec::new(),
                });
            }
        }
        columns.push(Column {
            name: name.clone(),
            role: *role,
            data,
        });
    }
    let mut file_codes = Codes::with_capacity(rows);
    for (i, (_, ds)) in parts.iter().enumerate() {
        for _ in 0..ds.rows {
            file_codes.push(i as u32);
        }
    }
    if !names.iter().any(|(n, _)| n == FILE_COLUMN) {
        columns.push(Column {
            name: FILE_COLUMN.into(),
            role: None,
            data: ColumnData::Text(Dict {
                codes: file_codes,
                values: parts.iter().map(|(n, _)| n.as_str().into()).collect(),
            }),
        });
    }
    let mut out = Dataset {
        source: source.to_string(),
        columns,
        rows,
        input_bytes: parts.iter().map(|(_, d)| d.input_bytes).sum(),
        facts: LoadFacts {
            files: parts.len() as u64,
            lines: file_lines(&parts),
            ..LoadFacts::default()
        },
        ..Dataset::default()
    };
    for r in failed {
        out.rejects.push(r);
    }
    let mut note_files: FxHashMap<String, Vec<&str>> = FxHashMap::default();
    let mut note_order = Vec::new();
    for (name, ds) in &parts {
        super::flowlog::merge_statuses(&mut out.facts.log_status, &ds.facts.log_status);
        // Counts are exact; details (prefixed with the file) up to the report's cap.
        out.rejects.total += ds.rejects.total;
        for (k, n) in &ds.rejects.by_kind {
            *out.rejects.by_kind.entry(k.clone()).or_insert(0) += n;
        }
        let room =
            crate::dataset::RejectReport::DETAIL_CAP.saturating_sub(out.rejects.details.len());
        out.rejects
            .details
            .extend(ds.rejects.details.iter().take(room).map(|r| {
                let mut r = r.clone();
                r.message = format!("{name}: {}", r.message);
                r
            }));
        for n in &ds.notes {
            let files = note_files.entry(n.clone()).or_default();
            if files.is_empty() {
                note_order.push(n.clone());
            }
            files.push(name);
        }
    }
    for n in note_order {
        let files = note_files.get(&n).map(Vec::as_slice).unwrap_or_default();
        out.notes.push(match files {
            f if f.len() == parts.len() => n,
            [one] => format!("{one}: {n}"),
            f => format!("{} files: {n}", f.len()),
        });
    }
    out
}

/// One column across the parts: the common storage when they agree, else text.
fn join_column(name: &str, parts: &[(String, Dataset)], rows: usize) -> ColumnData {
    let cols: Vec<(Option<&Column>, usize)> = parts
        .iter()
        .map(|(_, d)| (d.column(name), d.rows))
        .collect();
    // Parts with no rows (a file of NODATA records) have no say in the type.
    let typed = || cols.iter().filter(|(_, n)| *n > 0).filter_map(|(c, _)| *c);
    let kinds: Vec<&'static str> = typed().map(|c| c.data.kind()).collect();
    let same = kinds.windows(2).all(|w| w.first() == w.get(1));
    match typed()
        .next()
        .or_else(|| cols.iter().find_map(|(c, _)| *c))
        .map(|c| &c.data)
    {
        Some(ColumnData::UInt(_)) if same => {
            let mut v = UInts::with_capacity(rows);
            for (c, n) in &cols {
                match c.map(|c| &c.data) {
                    Some(ColumnData::UInt(x)) => v.append(x),
                    _ => (0..*n).for_each(|_| v.push(MISSING_U64)),
                }
            }
            ColumnData::UInt(v)
        }
        Some(ColumnData::Float(_)) if same => {
            let mut v = Floats::with_capacity(rows);
            for (c, n) in &cols {
                match c.map(|c| &c.data) {
                    Some(ColumnData::Float(x)) => v.append(x),
                    _ => (0..*n).for_each(|_| v.push(f64::NAN)),
                }
            }
            ColumnData::Float(v)
        }
        Some(ColumnData::Time(_)) if same => {
            let mut v = Times::with_capacity(rows);
            for (c, n) in &cols {
                match c.map(|c| &c.data) {
                    Some(ColumnData::Time(x)) => v.append(x),
                    _ => (0..*n).for_each(|_| v.push(MISSING_TIME)),
                }
            }
            ColumnData::Time(v)
        }
        Some(ColumnData::Ip(_)) if same => {
            ColumnData::Ip(join_dicts(&cols, rows, None, |d| match d {
                ColumnData::Ip(x) => Some(x),
                _ => None,
            }))
        }
        _ => ColumnData::Text(join_text(name, parts, rows)),
    }
}

/// Joins dictionary columns, re-coding each part's values into one dictionary; rows of a
/// part without the column get `missing`.
fn join_dicts<T: Clone + Eq + std::hash::Hash>(
    cols: &[(Option<&Column>, usize)],
    rows: usize,
    missing: T,
    dict_of: impl Fn(&ColumnData) -> Option<&Dict<T>>,
) -> Dict<T> {
    let mut values: Vec<T> = Vec::new();
    let mut index: FxHashMap<T, u32> = FxHashMap::default();
    let mut code_of = |v: &T| {
        *index.entry(v.clone()).or_insert_with(|| {
            values.push(v.clone());
            (values.len() - 1) as u32
        })
    };
    let mut codes = Codes::with_capacity(rows);
    for (c, n) in cols {
        match c.and_then(|c| dict_of(&c.data)) {
            Some(d) => {
                let remap: Vec<u32> = d.values.iter().map(&mut code_of).collect();
                codes.extend_mapped(&d.codes, &remap);
            }
            None => {
                let m = code_of(&missing);
                (0..*n).for_each(|_| codes.push(m));
            }
        }
    }
    codes.shrink_to_fit();
    Dict { codes, values }
}

/// A column as text across the parts (parts disagree on its type, or it is text).
fn join_text(name: &str, parts: &[(String, Dataset)], rows: usize) -> Dict<Box<str>> {
    let cols: Vec<(Option<&Column>, usize)> = parts
        .iter()
        .map(|(_, d)| (d.column(name), d.rows))
        .collect();
    if cols
        .iter()
        .all(|(c, _)| c.is_none_or(|c| matches!(c.data, ColumnData::Text(_))))
    {
        return join_dicts(&cols, rows, Box::<str>::from(""), |d| match d {
            ColumnData::Text(x) => Some(x),
            _ => None,
        });
    }
    let mut values: Vec<Box<str>> = Vec::new();
    let mut index: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut codes = Codes::with_capacity(rows);
    for (_, ds) in parts {
        let col = ds.column_index(name);
        for r in 0..ds.rows {
            let text: Box<str> = col.map_or_else(|| "".into(), |i| ds.cell_text(r, i).into());
            let code = *index.entry(text.clone()).or_insert_with(|| {
                values.push(text);
                (values.len() - 1) as u32
            });
            codes.push(code);
        }
    }
    Dict { codes, values }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_files_are_known_by_their_names() {
        for n in [
            "a.log",
            "a.log.gz",
            "x.gz",
            "t.csv",
            "p.parquet",
            "w.jsonl",
            "A.LOG",
        ] {
            assert!(is_log_file(Path::new(n)), "{n}");
        }
        for n in ["README.md", ".hidden.log", "x.json", "notes"] {
            assert!(!is_log_file(Path::new(n)), "{n}");
        }
    }
}
