//! Data quality and the reference notebooks' preprocessing, each step optional and reported.
//!
//! [`quality`] reports duplicates, missing values, constant columns and IQR
//! outliers without changing anything. [`apply`] performs the steps asked for in
//! [`PrepOptions`] — trim text, drop duplicates, impute or drop missing values
//! (dropping columns more than half empty), cap or remove outliers — and returns
//! a line per action taken. Nothing happens silently. Pure functions.

use super::Rows;
use super::stats::{self, Stats};
use crate::dataset::{
    Codes, ColumnData, Dataset, Derived, MISSING_TIME, MISSING_U64, NumericSource, Role,
    SeriesReader,
};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// Outliers of one numeric column by the 1.5×IQR rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outliers {
    pub column: String,
    pub low_fence: f64,
    pub high_fence: f64,
    pub below: usize,
    pub above: usize,
}

/// The data-quality report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Quality {
    /// Rows identical to an earlier row in every column.
    pub duplicate_rows: usize,
    /// Missing cells per column (only columns with any).
    pub missing: Vec<(String, usize)>,
    /// Columns (and derived features) with at most one distinct value.
    pub constant_columns: Vec<String>,
    pub outliers: Vec<Outliers>,
    /// Flow-log records of the input per `log-status` (`OK`, `NODATA`, `SKIPDATA`); only the
    /// flows (`OK`) are rows. Absent for inputs without a log status.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub log_status: std::collections::BTreeMap<String, u64>,
}

/// What to do about missing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Leave them (statistics skip them).
    #[default]
    Keep,
    /// Numbers take the column median, text the most frequent value.
    Impute,
    /// Drop rows with any missing value.
    Drop,
}

/// What to do about IQR outliers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutlierPolicy {
    /// Count them only.
    #[default]
    Report,
    /// Clamp values to the fences.
    Cap,
    /// Drop rows outside the fences.
    Remove,
}

impl std::str::FromStr for MissingPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keep" => Ok(Self::Keep),
            "impute" => Ok(Self::Impute),
            "drop" => Ok(Self::Drop),
            other => Err(format!(
                "'{other}' is not a missing-value policy: use keep, impute or drop"
            )),
        }
    }
}

impl std::str::FromStr for OutlierPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "report" => Ok(Self::Report),
            "cap" => Ok(Self::Cap),
            "remove" => Ok(Self::Remove),
            other => Err(format!(
                "'{other}' is not an outlier policy: use report, cap or remove"
            )),
        }
    }
}

/// Preprocessing steps to perform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrepOptions {
    pub trim_text: bool,
    pub drop_duplicates: bool,
    pub missing: MissingPolicy,
    pub outliers: OutlierPolicy,
}

fn is_missing(data: &ColumnData, row: usize) -> bool {
    match data {
        ColumnData::UInt(v) => v.get(row).is_none_or(|x| x == MISSING_U64),
        ColumnData::Float(v) => v.get(row).is_none_or(|x| x.is_nan()),
        ColumnData::Time(v) => v.get(row).is_none_or(|x| x == MISSING_TIME),
        ColumnData::Ip(d) => d.value(row).is_none_or(|ip| ip.is_none()),
        ColumnData::Text(d) => d.value(row).is_none_or(|s| s.trim().is_empty()),
    }
}

/// A hashable image of one cell.
fn cell_key(data: &ColumnData, row: usize) -> u64 {
    match data {
        ColumnData::UInt(v) => v.get(row).unwrap_or(MISSING_U64),
        ColumnData::Float(v) => v.get(row).map_or(0, |x| x.to_bits()),
        ColumnData::Time(v) => v.get(row).map_or(0, |x| x as u64),
        ColumnData::Ip(d) => u64::from(d.codes.get(row).unwrap_or(0)),
        ColumnData::Text(d) => u64::from(d.codes.get(row).unwrap_or(0)),
    }
}

/// Mixes one cell's key into a row hash (the splitmix64 finaliser: every input bit moves
/// every output bit, so rows differing in any cell almost never share a hash).
#[inline]
fn mix(h: u64, key: u64) -> u64 {
    let mut z = (h ^ key).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes rows `first..first + out.len()` over every column's [`cell_key`], column by column.
fn row_hashes(ds: &Dataset, first: usize, out: &mut [u64]) {
    /// `fallback` is cell_key's value for a row past the column's end.
    fn each<T: Copy>(
        v: &[T],
        first: usize,
        out: &mut [u64],
        fallback: u64,
        key: impl Fn(T) -> u64,
    ) {
        let part = v.get(first..).unwrap_or(&[]);
        for (k, h) in out.iter_mut().enumerate() {
            *h = mix(*h, part.get(k).map_or(fallback, |&x| key(x)));
        }
    }
    fn codes(c: &Codes, first: usize, out: &mut [u64]) {
        match c {
            Codes::U8(v) => each(v, first, out, 0, u64::from),
            Codes::U16(v) => each(v, first, out, 0, u64::from),
            Codes::U32(v) => each(v, first, out, 0, u64::from),
        }
    }
    /// A packed column, decoded a block at a time.
    fn packed<T: Copy + Default>(
        len: usize,
        first: usize,
        out: &mut [u64],
        copy: impl Fn(usize, &mut [T]) -> bool,
        key: impl Fn(T) -> u64,
        fallback: u64,
    ) {
        let mut buf = vec![T::default(); out.len()];
        if copy(first, &mut buf) {
            each(&buf, 0, out, fallback, key);
        } else {
            // Runs past the end: the part inside, then the fallback.
            let inside = len.saturating_sub(first).min(out.len());
            let ok = copy(first, &mut buf[..inside]);
            each(&buf[..if ok { inside } else { 0 }], 0, out, fallback, key);
        }
    }
    out.fill(0);
    for c in &ds.columns {
        match &c.data {
            ColumnData::UInt(v) => packed(
                v.len(),
                first,
                out,
                |f, b| v.copy_range(f, b),
                |x| x,
                MISSING_U64,
            ),
            ColumnData::Float(v) => packed(
                v.len(),
                first,
                out,
                |f, b| v.copy_range(f, b),
                f64::to_bits,
                0,
            ),
            ColumnData::Time(v) => packed(
                v.len(),
                first,
                out,
                |f, b| v.copy_range(f, b),
                |x: i64| x as u64,
                0,
            ),
            ColumnData::Ip(d) => codes(&d.codes, first, out),
            ColumnData::Text(d) => codes(&d.codes, first, out),
        }
    }
}

/// Whether two rows have the same key in every column.
fn same_row(ds: &Dataset, a: usize, b: usize) -> bool {
    ds.columns
        .iter()
        .all(|c| cell_key(&c.data, a) == cell_key(&c.data, b))
}

/// Rows (in order) that repeat an earlier row exactly.
///
/// Hashes every row without allocating per row, finds the hash values that occur more than
/// once, then compares only the rows with those hashes cell by cell, so the answer is exact
/// whatever the hash does.
pub fn duplicate_rows(ds: &Dataset) -> Vec<usize> {
    const BLOCK: usize = 16 * 1024;
    let n = ds.rows;
    if n < 2 {
        return Vec::new();
    }
    let mut hashes = vec![0u64; n];
    hashes
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(b, out)| row_hashes(ds, b * BLOCK, out));
    super::sort::sort_by_u64_key(&mut hashes, |&h| h);
    let repeated: FxHashSet<u64> = hashes
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    drop(hashes);
    if repeated.is_empty() {
        return Vec::new();
    }
    // Distinct rows seen so far per repeated hash; a row equal to one of them is a duplicate.
    let mut seen: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let mut dups = Vec::new();
    let mut block = vec![0u64; BLOCK];
    for first in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - first);
        row_hashes(ds, first, &mut block[..len]);
        for (k, h) in block[..len].iter().enumerate() {
            if !repeated.contains(h) {
                continue;
            }
            let row = first + k;
            let distinct = seen.entry(*h).or_default();
            if distinct.iter().any(|&d| same_row(ds, d, row)) {
                dups.push(row);
            } else {
                distinct.push(row);
            }
        }
    }
    dups
}

/// Missing cells and whether the present ones are all equal, for one column over the rows.
fn column_quality(data: &ColumnData, rows: Rows<'_>) -> (usize, bool) {
    /// `key(row)` is `None` for a missing cell.
    fn scan(rows: Rows<'_>, key: impl Fn(usize) -> Option<u64>) -> (usize, bool) {
        let mut missing = 0;
        let mut first: Option<u64> = None;
        let mut constant = true;
        rows.for_each(|r| match key(r) {
            None => missing += 1,
            Some(k) => match first {
                None => first = Some(k),
                Some(f) if f != k => constant = false,
                _ => {}
            },
        });
        (missing, constant)
    }
    match data {
        ColumnData::UInt(v) => scan(rows, |r| v.get(r).filter(|x| *x != MISSING_U64)),
        ColumnData::Float(v) => scan(rows, |r| {
            v.get(r).filter(|x| !x.is_nan()).map(|x| x.to_bits())
        }),
        ColumnData::Time(v) => scan(rows, |r| {
            v.get(r).filter(|x| *x != MISSING_TIME).map(|x| x as u64)
        }),
        ColumnData::Ip(d) => {
            let absent: Vec<bool> = d.values.iter().map(Option::is_none).collect();
            scan(rows, |r| dict_key(&d.codes, &absent, r))
        }
        ColumnData::Text(d) => {
            let absent: Vec<bool> = d.values.iter().map(|s| s.trim().is_empty()).collect();
            scan(rows, |r| dict_key(&d.codes, &absent, r))
        }
    }
}

/// The code of a dictionary cell, `None` when its value counts as missing.
#[inline]
fn dict_key(codes: &Codes, absent: &[bool], row: usize) -> Option<u64> {
    let c = codes.get(row)?;
    match absent.get(c as usize) {
        Some(false) => Some(u64::from(c)),
        _ => None,
    }
}

/// The numeric input columns the outlier rule applies to.
fn outlier_columns(ds: &Dataset) -> Vec<usize> {
    ds.columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.data.is_numeric() && c.role != Some(Role::Label))
        .map(|(i, _)| i)
        .collect()
}

/// Calls `f` with the value (`NaN` when missing) of `src` on each selected row, in order, reading
/// blocks of rows at a time.
fn for_each_value(ds: &Dataset, rows: Rows<'_>, src: NumericSource, mut f: impl FnMut(f64)) {
    const BLOCK: usize = 8 * 1024;
    let reader = SeriesReader::new(ds, src);
    match rows {
        Rows::All(_) => reader.for_each_block(|_, part| part.iter().for_each(|&x| f(x))),
        Rows::Subset(list) => {
            let mut buf = vec![0.0; BLOCK.min(list.len())];
            for chunk in list.chunks(BLOCK) {
                let part = &mut buf[..chunk.len()];
                reader.fill_rows(chunk, part);
                part.iter().for_each(|&x| f(x));
            }
        }
    }
}

/// The data-quality report over the selected rows.
pub fn quality(ds: &Dataset, rows: Rows<'_>) -> Quality {
    quality_with(ds, rows, &[])
}

/// [`quality`], reusing the statistics of sources already described over the same rows, so
/// their values are not read and sorted again.
pub fn quality_with(ds: &Dataset, rows: Rows<'_>, known: &[(NumericSource, &Stats)]) -> Quality {
    let known_stats = |src: NumericSource| known.iter().find(|(k, _)| *k == src).map(|(_, s)| *s);
    // Constant: at least one value, all (NaN aside) equal, i.e. min == max.
    let derived_constant = |d: Derived| {
        let src = NumericSource::Derived(d);
        match known_stats(src) {
            Some(st) => st.count > 0 && st.min == st.max,
            None => {
                let mut first: Option<f64> = None;
                let mut constant = true;
                for_each_value(ds, rows, src, |x| {
                    if constant && !x.is_nan() {
                        match first {
                            None => first = Some(x),
                            Some(f) => constant = x == f,
                        }
                    }
                });
                first.is_some() && constant
            }
        }
    };
    let outliers = |i: usize| {
        let src = NumericSource::Column(i);
        let s = match known_stats(src) {
            Some(s) => s.clone(),
            None => stats::describe_owned(rows.series(ds, src)),
        };
        stats::iqr_fences(&s, 1.5).map(|(lo, hi)| {
            let (mut below, mut above) = (0, 0);
            for_each_value(ds, rows, src, |x| {
                below += usize::from(x < lo);
                above += usize::from(x > hi);
            });
            Outliers {
                column: ds
                    .columns
                    .get(i)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                low_fence: lo,
                high_fence: hi,
                below,
                above,
            }
        })
    };
    // Every pass on its own: the cores take them as they come free, so the report does not
    // end on one core scanning columns one after another.
    let ((duplicates, columns), (derived, outliers)) = rayon::join(
        || {
            rayon::join(
                || duplicate_rows(ds).len(),
                || {
                    ds.columns
                        .par_iter()
                        .map(|c| column_quality(&c.data, rows))
                        .collect::<Vec<_>>()
                },
            )
        },
        || {
            rayon::join(
                || {
                    Derived::ALL
                        .into_par_iter()
                        .filter(|d| d.available(ds) && derived_constant(*d))
                        .map(|d| d.name().to_string())
                        .collect::<Vec<_>>()
                },
                || {
                    outlier_columns(ds)
                        .into_par_iter()
                        .filter_map(outliers)
                        .collect::<Vec<_>>()
                },
            )
        },
    );
    let mut q = Quality {
        duplicate_rows: duplicates,
        outliers,
        ..Quality::default()
    };
    for (c, (n, constant)) in ds.columns.iter().zip(columns) {
        if n > 0 {
            q.missing.push((c.name.clone(), n));
        }
        if constant && c.role != Some(Role::Label) {
            q.constant_columns.push(c.name.clone());
        }
    }
    q.constant_columns.extend(derived);
    q
}

/// Performs the requested steps; returns the new dataset and a line per action.
pub fn apply(ds: &Dataset, opts: &PrepOptions) -> (Dataset, Vec<String>) {
    let mut ds = ds.clone();
    let mut actions = Vec::new();
    if opts.trim_text {
        let mut changed = 0;
        for c in &mut ds.columns {
            if let ColumnData::Text(d) = &mut c.data {
                let mut index: FxHashMap<Box<str>, u32> = FxHashMap::default();
                let mut values: Vec<Box<str>> = Vec::new();
                let remap: Vec<u32> = d
                    .values
                    .iter()
                    .map(|v| {
                        let t: Box<str> = v.split_whitespace().collect::<Vec<_>>().join(" ").into();
                        if t != *v {
                            changed += 1;
                        }
                        *index.entry(t.clone()).or_insert_with(|| {
                            values.push(t);
                            (values.len() - 1) as u32
                        })
                    })
                    .collect();
                let mut codes = crate::dataset::Codes::with_capacity(d.codes.len());
                codes.extend_mapped(&d.codes, &remap);
                d.codes = codes;
                d.values = values;
            }
        }
        actions.push(format!(
            "trimmed surrounding and repeated spaces in text: {changed} distinct values changed"
        ));
    }
    if opts.drop_duplicates {
        let dups = duplicate_rows(&ds);
        if !dups.is_empty() {
            let drop: std::collections::HashSet<usize> = dups.iter().copied().collect();
            let keep: Vec<usize> = (0..ds.rows).filter(|r| !drop.contains(r)).collect();
            ds = ds.select_rows(&keep);
        }
        actions.push(format!("dropped {} duplicate rows", dups.len()));
    }
    if opts.missing != MissingPolicy::Keep {
        handle_missing(&mut ds, opts.missing, &mut actions);
    }
    match opts.outliers {
        OutlierPolicy::Report => {}
        OutlierPolicy::Cap => cap_outliers(&mut ds, &mut actions),
        OutlierPolicy::Remove => remove_outliers(&mut ds, &mut actions),
    }
    ds.notes
        .extend(actions.iter().map(|a| format!("preprocessing: {a}")));
    (ds, actions)
}

fn handle_missing(ds: &mut Dataset, policy: MissingPolicy, actions: &mut Vec<String>) {
    let rows = ds.rows;
    let mostly_empty: Vec<usize> = ds
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role.is_none() || c.role == Some(Role::Label))
        .filter(|(_, c)| (0..rows).filter(|&r| is_missing(&c.data, r)).count() * 2 > rows)
        .map(|(i, _)| i)
        .collect();
    for &i in mostly_empty.iter().rev() {
        let c = ds.columns.remove(i);
        actions.push(format!(
            "dropped column '{}': more than 50% missing",
            c.name
        ));
    }
    match policy {
        MissingPolicy::Drop => {
            let keep: Vec<usize> = (0..rows)
                .filter(|&r| ds.columns.iter().all(|c| !is_missing(&c.data, r)))
                .collect();
            let dropped = rows - keep.len();
            if dropped > 0 {
                *ds = ds.select_rows(&keep);
            }
            actions.push(format!("dropped {dropped} rows with missing values"));
        }
        MissingPolicy::Impute => {
            for c in &mut ds.columns {
                let missing = (0..rows).filter(|&r| is_missing(&c.data, r)).count();
                if missing == 0 {
                    continue;
                }
                let how = impute(&mut c.data, rows);
                actions.push(format!("filled {missing} missing '{}' with {how}", c.name));
            }
        }
        MissingPolicy::Keep => {}
    }
}

fn impute(data: &mut ColumnData, rows: usize) -> String {
    match data {
        ColumnData::UInt(packed) => {
            let mut v = packed.to_vec();
            let vals: Vec<f64> = v
                .iter()
                .filter(|x| **x != MISSING_U64)
                .map(|x| *x as f64)
                .collect();
            let m = stats::describe(&vals).median.unwrap_or(0.0).round() as u64;
            v.iter_mut()
                .filter(|x| **x == MISSING_U64)
                .for_each(|x| *x = m);
            *packed = v.into();
            format!("the median {m}")
        }
        ColumnData::Float(packed) => {
            let mut v = packed.to_vec();
            let m = stats::describe(&v).median.unwrap_or(0.0);
            v.iter_mut().filter(|x| x.is_nan()).for_each(|x| *x = m);
            *packed = v.into();
            format!("the median {}", crate::dataset::format_number(m))
        }
        ColumnData::Time(packed) => {
            let mut v = packed.to_vec();
            let vals: Vec<f64> = v
                .iter()
                .filter(|x| **x != MISSING_TIME)
                .map(|x| *x as f64)
                .collect();
            let m = stats::describe(&vals).median.unwrap_or(0.0) as i64;
            v.iter_mut()
                .filter(|x| **x == MISSING_TIME)
                .for_each(|x| *x = m);
            *packed = v.into();
            format!("the median time {}", crate::dataset::format_time(m))
        }
        ColumnData::Text(d) => {
            let mut counts = vec![0usize; d.values.len()];
            d.codes.for_each(|_, c| {
                if let Some(n) = counts.get_mut(c as usize) {
                    *n += 1;
                }
            });
            let mode = (0..d.values.len())
                .filter(|&i| d.values.get(i).is_some_and(|s| !s.trim().is_empty()))
                .max_by_key(|&i| (counts.get(i).copied().unwrap_or(0), std::cmp::Reverse(i)));
            let Some(mode) = mode else {
                return "nothing (no value to use)".into();
            };
            let mut codes = crate::dataset::Codes::with_capacity(rows);
            for r in 0..rows {
                let c = d.codes.get(r).unwrap_or(0);
                let empty = d.values.get(c as usize).is_none_or(|s| s.trim().is_empty());
                codes.push(if empty { mode as u32 } else { c });
            }
            d.codes = codes;
            format!(
                "the most frequent value '{}'",
                crate::sanitize::inert(d.values.get(mode).map_or("", |s| s))
            )
        }
        ColumnData::Ip(d) => {
            let mut counts = vec![0usize; d.values.len()];
            d.codes.for_each(|_, c| {
                if let Some(n) = counts.get_mut(c as usize) {
                    *n += 1;
                }
            });
            let mode = (0..d.values.len())
                .filter(|&i| d.values.get(i).is_some_and(|ip| ip.is_some()))
                .max_by_key(|&i| (counts.get(i).copied().unwrap_or(0), std::cmp::Reverse(i)));
            let Some(mode) = mode else {
                return "nothing (no value to use)".into();
            };
            let mut codes = crate::dataset::Codes::with_capacity(rows);
            for r in 0..rows {
                let c = d.codes.get(r).unwrap_or(0);
                let empty = d.values.get(c as usize).is_none_or(|ip| ip.is_none());
                codes.push(if empty { mode as u32 } else { c });
            }
            d.codes = codes;
            let shown = d
                .values
                .get(mode)
                .copied()
                .flatten()
                .map(|ip| ip.to_string())
                .unwrap_or_default();
            format!("the most frequent address {shown}")
        }
    }
}

fn fences(ds: &Dataset, i: usize) -> Option<(f64, f64)> {
    let s = stats::describe(&ds.values(NumericSource::Column(i)));
    stats::iqr_fences(&s, 1.5)
}

fn cap_outliers(ds: &mut Dataset, actions: &mut Vec<String>) {
    for i in outlier_columns(ds) {
        let Some((lo, hi)) = fences(ds, i) else {
            continue;
        };
        let Some(c) = ds.columns.get_mut(i) else {
            continue;
        };
        let mut n = 0;
        match &mut c.data {
            ColumnData::UInt(packed) => {
                let mut v = packed.to_vec();
                let (lo, hi) = (lo.max(0.0).ceil() as u64, hi.max(0.0).floor() as u64);
                for x in v.iter_mut().filter(|x| **x != MISSING_U64) {
                    let y = (*x).clamp(lo, hi.max(lo));
                    n += usize::from(y != *x);
                    *x = y;
                }
                *packed = v.into();
            }
            ColumnData::Float(packed) => {
                let mut v = packed.to_vec();
                for x in v.iter_mut().filter(|x| !x.is_nan()) {
                    let y = x.clamp(lo, hi);
                    n += usize::from(y != *x);
                    *x = y;
                }
                *packed = v.into();
            }
            _ => {}
        }
        if n > 0 {
            actions.push(format!(
                "capped {n} '{}' values to the 1.5×IQR fences [{}, {}]",
                c.name,
                crate::dataset::format_number(lo),
                crate::dataset::format_number(hi)
            ));
        }
    }
}

fn remove_outliers(ds: &mut Dataset, actions: &mut Vec<String>) {
    let cols: Vec<(usize, f64, f64)> = outlier_columns(ds)
        .into_iter()
        .filter_map(|i| fences(ds, i).map(|(lo, hi)| (i, lo, hi)))
        .collect();
    let keep: Vec<usize> = (0..ds.rows)
        .filter(|&r| {
            cols.iter().all(|&(i, lo, hi)| {
                ds.columns
                    .get(i)
                    .and_then(|c| c.data.number(r))
                    .is_none_or(|x| x >= lo && x <= hi)
            })
        })
        .collect();
    let removed = ds.rows - keep.len();
    *ds = ds.select_rows(&keep);
    actions.push(format!("removed {removed} rows outside the 1.5×IQR fences"));
}

#[cfg(test)]
#[path = "prep_tests.rs"]
mod tests;

#[cfg(test)]
mod steps {
    use super::*;

    fn ds() -> Dataset {
        crate::ingest::load_bytes(
            "<t>",
            b"bytes_in,country,note\n10,US, a  b \n10,US, a  b \n20,,x\n,CA,y\n30,CA,y\n40,CA,y\n1000000,DE,y\n",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn quality_reports_without_changing_anything() {
        let d = ds();
        let q = quality(&d, Rows::All(d.rows));
        assert_eq!(q.duplicate_rows, 1);
        assert_eq!(
            q.missing,
            vec![("bytes_in".to_string(), 1), ("country".to_string(), 1)]
        );
        let o = &q.outliers[0];
        assert_eq!((o.column.as_str(), o.above, o.below), ("bytes_in", 1, 0));
    }

    #[test]
    fn every_step_does_what_it_says_and_says_so() {
        let d = ds();
        let (t, a) = apply(
            &d,
            &PrepOptions {
                trim_text: true,
                ..PrepOptions::default()
            },
        );
        assert_eq!(t.cell_text(0, 2), "a b");
        assert!(a[0].contains("trimmed"));
        let (t, a) = apply(
            &d,
            &PrepOptions {
                drop_duplicates: true,
                ..PrepOptions::default()
            },
        );
        assert_eq!((t.rows, a[0].as_str()), (6, "dropped 1 duplicate rows"));
        assert_eq!(t.origin_row(1), 2, "rows keep their input numbers");
        let (t, a) = apply(
            &d,
            &PrepOptions {
                missing: MissingPolicy::Impute,
                ..PrepOptions::default()
            },
        );
        assert_eq!(t.cell_text(3, 0), "25", "median of 10,10,20,30,40,1e6");
        assert_eq!(t.cell_text(2, 1), "CA", "most frequent country");
        assert_eq!(a.len(), 2);
        let (t, _) = apply(
            &d,
            &PrepOptions {
                missing: MissingPolicy::Drop,
                ..PrepOptions::default()
            },
        );
        assert_eq!(t.rows, 5);
        let (t, a) = apply(
            &d,
            &PrepOptions {
                outliers: OutlierPolicy::Cap,
                ..PrepOptions::default()
            },
        );
        assert!(
            t.columns[0].data.number(6).is_some_and(|x| x < 1_000_000.0),
            "{a:?}"
        );
        let (t, a) = apply(
            &d,
            &PrepOptions {
                outliers: OutlierPolicy::Remove,
                ..PrepOptions::default()
            },
        );
        assert_eq!(t.rows, 6, "{a:?}");
        assert!(
            t.notes
                .iter()
                .any(|n| n.starts_with("preprocessing: removed 1 rows"))
        );
    }
}
