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
use crate::dataset::{Dataset, Reject};
use rayon::prelude::*;
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
    let mut failed: Vec<Reject> = walk_problems
        .into_iter()
        .map(|(p, cause)| file_reject(format!("{}: cannot read the folder: {cause}", p.display())))
        .collect();
    // Files are read in parallel a window at a time while the window before is joined, so
    // the load holds the joined rows and two windows of parts, never every file's dataset.
    let window = (rayon::current_num_threads() * 2).max(2);
    let load = |chunk: &[PathBuf]| -> Vec<(String, Result<Dataset, IngestError>)> {
        chunk
            .par_iter()
            .map(|p| {
                let name = p
                    .strip_prefix(dir)
                    .unwrap_or(p)
                    .to_string_lossy()
                    .into_owned();
                (name, super::load_file(p, progress.clone(), opts))
            })
            .collect()
    };
    let mut joiner = super::join::Joiner::default();
    let mut empty = 0;
    let mut add = |joiner: &mut super::join::Joiner,
                   results: Vec<(String, Result<Dataset, IngestError>)>| {
        for (name, r) in results {
            match r {
                Ok(ds) => joiner.add(&name, ds),
                // A header and no record: nothing to load, nothing wrong.
                Err(IngestError::HeaderOnly { .. } | IngestError::Empty { .. }) => empty += 1,
                Err(e) => failed.push(file_reject(e.to_string())),
            }
        }
    };
    let mut chunks = files.chunks(window);
    let mut pending = chunks.next().map(load).unwrap_or_default();
    for chunk in chunks {
        if progress.cancel.load(Ordering::Relaxed) {
            break;
        }
        let (_, next) = rayon::join(
            || add(&mut joiner, std::mem::take(&mut pending)),
            || load(chunk),
        );
        pending = next;
    }
    add(&mut joiner, pending);
    if progress.cancel.load(Ordering::Relaxed) {
        return Err(IngestError::Cancelled { path: shown });
    }
    if joiner.parts() == 0 {
        return Err(IngestError::NothingLoaded {
            path: shown,
            files: failed.len(),
            first: failed
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_default(),
        });
    }
    let mut ds = joiner.finish(&shown, failed);
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

/// Joins datasets (in order) into one, matching columns by name, with a `file` column
/// (see [`super::join`]).
pub fn join(source: &str, parts: Vec<(String, Dataset)>, failed: Vec<Reject>) -> Dataset {
    let mut joiner = super::join::Joiner::default();
    for (name, ds) in parts {
        joiner.add(&name, ds);
    }
    joiner.finish(source, failed)
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
