//! The part-at-a-time join against the all-at-once join it replaced (kept here as the
//! reference): same columns, roles, storage, values and codes, on random parts that lack
//! columns, hold no rows, or disagree on a column's storage.

use super::Joiner;
use crate::dataset::{
    Codes, Column, ColumnData, Dataset, Dict, Floats, LoadFacts, MISSING_TIME, MISSING_U64, Reject,
    Role, Times, UInts,
};
use rand::{RngExt, SeedableRng};
use rustc_hash::FxHashMap;

const FILE_COLUMN: &str = crate::ingest::folder::FILE_COLUMN;

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
fn reference(source: &str, mut parts: Vec<(String, Dataset)>, failed: Vec<Reject>) -> Dataset {
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
        crate::ingest::flowlog::merge_statuses(&mut out.facts.log_status, &ds.facts.log_status);
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

fn column(rng: &mut rand_chacha::ChaCha8Rng, kind: u32, rows: usize) -> ColumnData {
    let pick = |rng: &mut rand_chacha::ChaCha8Rng| rng.random_range(0..6u32);
    match kind {
        0 => {
            let mut v = UInts::default();
            (0..rows).for_each(|_| {
                let x = pick(rng);
                v.push(if x == 0 {
                    MISSING_U64
                } else {
                    u64::from(x) * 70_000
                });
            });
            ColumnData::UInt(v)
        }
        1 => {
            let mut v = Floats::default();
            (0..rows).for_each(|_| v.push(f64::from(pick(rng)) / 4.0));
            ColumnData::Float(v)
        }
        2 => {
            let mut v = Times::default();
            (0..rows).for_each(|_| {
                let x = pick(rng);
                v.push(if x == 0 {
                    MISSING_TIME
                } else {
                    1_700_000_000_000 + i64::from(x) * 1000
                });
            });
            ColumnData::Time(v)
        }
        3 => {
            let values: Vec<Option<std::net::IpAddr>> = vec![
                None,
                Some([10, 0, 0, 1].into()),
                Some([192, 0, 2, 7].into()),
            ];
            let mut codes = Codes::default();
            (0..rows).for_each(|_| codes.push(rng.random_range(0..3u32)));
            // Part dictionaries in their own order.
            let mut values = values;
            if rng.random_bool(0.5) {
                values.reverse();
            }
            ColumnData::Ip(Dict { codes, values })
        }
        _ => {
            let mut values: Vec<Box<str>> = ["", "a", "b", "12", "c d"]
                .iter()
                .map(|s| (*s).into())
                .collect();
            if rng.random_bool(0.5) {
                values.rotate_left(2);
            }
            let mut codes = Codes::default();
            (0..rows).for_each(|_| codes.push(rng.random_range(0..5u32)));
            ColumnData::Text(Dict { codes, values })
        }
    }
}

fn part(rng: &mut rand_chacha::ChaCha8Rng, mix: u32) -> Dataset {
    let rows = if rng.random_bool(0.2) {
        0
    } else {
        rng.random_range(1..40)
    };
    let mut columns = Vec::new();
    for (i, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        if rng.random_bool(0.25) {
            continue;
        }
        // Each column keeps its storage in most parts and disagrees in some.
        let kind = if rng.random_range(0..10) < mix {
            rng.random_range(0..5)
        } else {
            i as u32
        };
        columns.push(Column {
            name: (*name).into(),
            role: if i == 1 { Some(Role::SrcIp) } else { None },
            data: column(rng, kind, rows),
        });
    }
    columns.reverse();
    Dataset {
        columns,
        rows,
        notes: vec!["n".into()],
        ..Dataset::default()
    }
}

fn shape(ds: &Dataset) -> Vec<String> {
    ds.columns
        .iter()
        .map(|c| {
            let codes = match &c.data {
                ColumnData::Ip(d) => format!(
                    "{:?} {:?}",
                    (0..d.len()).map(|r| d.codes.get(r)).collect::<Vec<_>>(),
                    d.values
                ),
                ColumnData::Text(d) => format!(
                    "{:?} {:?}",
                    (0..d.len()).map(|r| d.codes.get(r)).collect::<Vec<_>>(),
                    d.values
                ),
                d => (0..d.len())
                    .map(|r| d.text(r).into_owned())
                    .collect::<Vec<_>>()
                    .join("|"),
            };
            format!("{} {:?} {} {codes}", c.name, c.role, c.data.kind())
        })
        .collect()
}

#[test]
fn joining_a_part_at_a_time_equals_joining_all_at_once() {
    for seed in 0..5000u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mix = (seed % 4) as u32;
        let n = rng.random_range(1..7);
        let parts: Vec<(String, Dataset)> = (0..n)
            .map(|i| (format!("f{i}"), part(&mut rng, mix)))
            .collect();
        let failed = vec![Reject {
            line: 0,
            column: None,
            kind: "unreadable file".into(),
            message: "x".into(),
        }];
        let want = reference("dir", parts.clone(), failed.clone());
        let mut j = Joiner::default();
        for (name, ds) in parts {
            j.add(&name, ds);
        }
        let got = j.finish("dir", failed);
        assert_eq!(shape(&got), shape(&want), "seed {seed}");
        assert_eq!(got.rows, want.rows);
        assert_eq!(got.notes, want.notes);
        assert_eq!(got.rejects.total, want.rejects.total);
        assert_eq!(
            (0..got.rows).map(|r| got.line_of(r)).collect::<Vec<_>>(),
            (0..want.rows).map(|r| want.line_of(r)).collect::<Vec<_>>()
        );
    }
}
