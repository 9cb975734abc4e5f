//! Saved models scored by DuckDB with `detect --emit-sql duckdb` equal the local scores (1e-12),
//! on generated CloudWatch data read as typed columns and as plain text, and on a table whose
//! column names are hostile. Needs a Python with the `duckdb` package: `$THREATLENS_PYTHON`
//! (CI installs one into a venv); these tests are ignored by default and fail loudly without it.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use threatlens::detect::RunControl;
use threatlens::detect::model::Model;
use threatlens::detect::pipeline::{DetectParams, DetectionRun};
use threatlens::sql::Dialect;

/// The Python that has `duckdb`: `$THREATLENS_PYTHON`. The tests that call this are ignored by
/// default (a plain `cargo test` lists them as skipped); asked for with `--include-ignored` (as CI
/// does, after installing duckdb into a venv) a missing one fails the test loudly.
pub fn duckdb_python(test: &str) -> PathBuf {
    let py = std::env::var_os("THREATLENS_PYTHON").filter(|p| !p.is_empty());
    let Some(py) = py.map(PathBuf::from) else {
        let msg = format!(
            "{test}: THREATLENS_PYTHON is not set; point it at a python with the duckdb package \
             (python3 -m venv /tmp/v && /tmp/v/bin/pip install duckdb; CI does this)"
        );
        panic!("{msg}");
    };
    let ok = std::process::Command::new(&py)
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{test}: {} cannot import duckdb", py.display());
    py
}

const RUN: &str = r#"
import csv, sys, duckdb
path, sql_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE input AS SELECT * FROM read_csv(?, header=true, all_varchar=?)", [path, mode == "text"])
cur = con.execute(open(sql_path).read())
names = [d[0] for d in cur.description]
print("\t".join(names))
for row in cur.fetchall():
    print(repr(row[-1]))
"#;

/// Runs the query over the CSV in DuckDB: the result's column names and its last column.
pub fn duckdb_scores(py: &Path, csv: &Path, sql: &str, mode: &str) -> (Vec<String>, Vec<f64>) {
    let dir = csv.parent().unwrap();
    let sql_path = dir.join(format!("score-{mode}.sql"));
    std::fs::write(&sql_path, sql).unwrap();
    let out = std::process::Command::new(py)
        .args(["-c", RUN])
        .arg(csv)
        .arg(&sql_path)
        .arg(mode)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "duckdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let names = lines
        .next()
        .unwrap()
        .split('\t')
        .map(String::from)
        .collect();
    (names, lines.map(|l| l.parse().unwrap()).collect())
}

fn demo_csv(dir: &Path, rows: usize, seed: u64) -> PathBuf {
    let mut bytes = Vec::new();
    threatlens::demo::write_demo(&mut bytes, rows, seed).unwrap();
    let path = dir.join(format!("demo-{seed}.csv"));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn assert_close(local: &[f64], engine: &[f64]) -> usize {
    assert_eq!(local.len(), engine.len());
    let mut same = 0;
    for (row, (a, b)) in local.iter().zip(engine).enumerate() {
        assert!((a - b).abs() <= 1e-12, "row {row}: local {a} vs duckdb {b}");
        same += usize::from(a.to_bits() == b.to_bits());
    }
    same
}

#[test]
#[ignore = "needs duckdb (THREATLENS_PYTHON; CI installs it)"]
fn emitted_sql_scores_in_duckdb_as_locally() {
    let py = duckdb_python("emitted_sql_scores_in_duckdb_as_locally");
    let dir = tempfile::tempdir().unwrap();
    let train = demo_csv(dir.path(), 20_000, 5);
    let other = demo_csv(dir.path(), 8_000, 9);
    let model_path = dir.path().join("model.json");
    // Fit and save with the binary, as a user would; then score other data with the saved model.
    Command::cargo_bin("threatlens")
        .unwrap()
        .args(["detect", "--format", "csv", "-o", "-", "--save-model"])
        .arg(&model_path)
        .arg(&train)
        .assert()
        .success();
    let sql = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["detect", "--emit-sql", "duckdb", "--model"])
        .arg(&model_path)
        .output()
        .unwrap();
    assert!(sql.status.success());
    let sql = String::from_utf8(sql.stdout).unwrap();
    let model = Model::from_json(&std::fs::read_to_string(&model_path).unwrap()).unwrap();
    for csv in [&train, &other] {
        let ds = threatlens::ingest::load_path(
            csv.to_str().unwrap(),
            threatlens::ingest::LoadProgress::new(),
        )
        .unwrap();
        let local = DetectionRun::run_model(&ds, &model, &RunControl::default()).unwrap();
        for mode in ["typed", "text"] {
            let (names, scores) = duckdb_scores(&py, csv, &sql, mode);
            let header: Vec<String> = ds.columns.iter().map(|c| c.name.clone()).collect();
            assert_eq!(
                names[..names.len() - 1],
                header[..],
                "every input column first"
            );
            assert_eq!(names.last().map(String::as_str), Some("score"));
            let same = assert_close(local.scores(), &scores);
            eprintln!("{mode}: {same} of {} scores bit-identical", scores.len());
        }
    }
}

#[test]
#[ignore = "needs duckdb (THREATLENS_PYTHON; CI installs it)"]
fn hostile_column_names_and_log1p_derived_features_score_as_locally() {
    let py = duckdb_python("hostile_column_names_and_log1p_derived_features_score_as_locally");
    let dir = tempfile::tempdir().unwrap();
    // Generic numeric columns whose names try to break out of their quotes.
    let names = [
        "a\"b",
        "x`; DROP TABLE input; --",
        "it's /* c */",
        "back\\slash",
    ];
    let mut text = names
        .iter()
        .map(|n| format!("\"{}\"", n.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for i in 0..3_000u64 {
        let v = (i * 7919 % 1013) as f64;
        let empty = if i % 97 == 0 {
            String::new()
        } else {
            format!("{}", (i % 17) * 3)
        };
        text.push_str(&format!("{v},{},{empty},{}\n", v * 0.25 - 40.0, i % 5));
    }
    let csv = dir.path().join("hostile.csv");
    std::fs::write(&csv, &text).unwrap();
    let ds = threatlens::ingest::load_path(
        csv.to_str().unwrap(),
        threatlens::ingest::LoadProgress::new(),
    )
    .unwrap();
    let mut params = DetectParams::defaults_for(&ds);
    assert_eq!(params.features.len(), 4, "{:?}", params.features);
    params.log1p = vec![names[1].to_string(), names[2].to_string()];
    params.sample = Some(128);
    let run = DetectionRun::run(&ds, &params, &RunControl::default()).unwrap();
    let model = Model::from_run(&ds, &run, Default::default(), 0.5);
    let sql = threatlens::sql::score::scoring_select(&model, Dialect::DuckDb, "input").unwrap();
    let (cols, scores) = duckdb_scores(&py, &csv, &sql, "typed");
    assert_eq!(cols[..4], names.map(String::from)[..]);
    assert_close(run.scores(), &scores);
    // The engine's form (a column per tree) scores the same, under the same hostile names.
    let sql = threatlens::sql::score::columns_select(
        &model,
        Dialect::DuckDb,
        "input",
        &names.map(String::from),
    )
    .unwrap();
    let (cols, scores) = duckdb_scores(&py, &csv, &sql, "typed");
    assert_eq!(
        cols,
        [&names.map(String::from)[..], &["score".to_string()]].concat()
    );
    assert_close(run.scores(), &scores);
}

const SUMMARY: &str = r#"
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE input AS SELECT * FROM read_csv(?, header=true)", [sys.argv[1]])
for q in sys.stdin.read().split("\0"):
    if q.strip():
        print("\t".join(repr(v) for v in con.execute(q).fetchone()))
"#;

#[test]
#[ignore = "needs duckdb (THREATLENS_PYTHON; CI installs it)"]
fn summary_statistics_in_duckdb_equal_the_local_ones() {
    use threatlens::analysis::stats::describe;
    use threatlens::dataset::NumericSource;
    use threatlens::sql::views::{stats_from_row, summary_select};
    let py = duckdb_python("summary_statistics_in_duckdb_equal_the_local_ones");
    let dir = tempfile::tempdir().unwrap();
    let csv = demo_csv(dir.path(), 20_000, 3);
    let ds = threatlens::ingest::load_path(
        csv.to_str().unwrap(),
        threatlens::ingest::LoadProgress::new(),
    )
    .unwrap();
    let columns = ["bytes_in", "bytes_out", "dst_port", "response.code"];
    let queries: Vec<String> = columns
        .iter()
        .map(|c| summary_select(Dialect::DuckDb, "input", c).unwrap())
        .collect();
    let mut child = std::process::Command::new(&py)
        .args(["-c", SUMMARY])
        .arg(&csv)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        queries.join("\0").as_bytes(),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), columns.len());
    for (name, line) in columns.iter().zip(rows) {
        let values: Vec<Option<f64>> = line
            .split('\t')
            .map(|v| (v != "None").then(|| v.parse().unwrap()))
            .collect();
        let engine = stats_from_row(&values.try_into().unwrap());
        let i = ds.column_index(name).unwrap();
        let local = describe(&ds.values(NumericSource::Column(i)));
        assert_eq!(
            (engine.count, engine.missing),
            (local.count, local.missing),
            "{name}"
        );
        let pairs = [
            ("mean", engine.mean, local.mean),
            ("std", engine.std, local.std),
            ("min", engine.min, local.min),
            ("q1", engine.q1, local.q1),
            ("median", engine.median, local.median),
            ("q3", engine.q3, local.q3),
            ("max", engine.max, local.max),
            ("skewness", engine.skewness, local.skewness),
            ("kurtosis", engine.kurtosis, local.kurtosis),
        ];
        for (what, e, l) in pairs {
            let (e, l) = (e.unwrap(), l.unwrap());
            assert!(
                crate::common::close(e, l),
                "{name} {what}: duckdb {e} vs local {l}"
            );
        }
    }
}

const RANKING: &str = r#"
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE input AS SELECT * FROM read_csv(?, header=true)", [sys.argv[1]])
for row in con.execute(sys.stdin.read()).fetchall():
    print("\t".join("" if v is None else str(v) for v in row))
"#;

#[test]
#[ignore = "needs duckdb (THREATLENS_PYTHON; CI installs it)"]
fn rankings_in_duckdb_equal_the_local_ones() {
    use threatlens::analysis::rankings::{RankBy, rank};
    use threatlens::sql::views::{RankOrder, ranking_select};
    let py = duckdb_python("rankings_in_duckdb_equal_the_local_ones");
    let dir = tempfile::tempdir().unwrap();
    let csv = demo_csv(dir.path(), 20_000, 4);
    let ds = threatlens::ingest::load_path(
        csv.to_str().unwrap(),
        threatlens::ingest::LoadProgress::new(),
    )
    .unwrap();
    for key in ["src_ip", "src_ip_country_code", "dst_port"] {
        for (order, by) in [
            (RankOrder::Sessions, RankBy::Sessions),
            (RankOrder::BytesIn, RankBy::BytesIn),
            (RankOrder::BytesOut, RankBy::BytesOut),
        ] {
            let sql = ranking_select(
                Dialect::DuckDb,
                "input",
                key,
                (Some("bytes_in"), Some("bytes_out")),
                order,
                15,
            )
            .unwrap();
            let mut child = std::process::Command::new(&py)
                .args(["-c", RANKING])
                .arg(&csv)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), sql.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            let engine: Vec<Vec<String>> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(|l| l.split('\t').map(String::from).collect())
                .collect();
            let i = ds.column_index(key).unwrap();
            let local = rank(&ds, i, threatlens::analysis::Rows::All(ds.rows), by);
            assert!(local.len() > 3, "{key}");
            let local: Vec<Vec<String>> = local
                .iter()
                .take(15)
                .map(|g| {
                    let max = |m: Option<u64>| m.map(|m| m.to_string()).unwrap_or_default();
                    vec![
                        g.key.clone(),
                        g.sessions.to_string(),
                        g.bytes_in.sum.to_string(),
                        g.bytes_in.count.to_string(),
                        max(g.bytes_in.max),
                        g.bytes_out.sum.to_string(),
                        g.bytes_out.count.to_string(),
                        max(g.bytes_out.max),
                    ]
                })
                .collect();
            assert_eq!(engine, local, "{key} by {order:?}");
        }
    }
}

/// Runs one query in DuckDB over the CSV (typed columns): its rows as text cells.
fn duckdb_rows(py: &Path, csv: &Path, sql: &str) -> Vec<Vec<String>> {
    let mut child = std::process::Command::new(py)
        .args(["-c", RANKING])
        .arg(csv)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), sql.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

#[test]
#[ignore = "needs duckdb (THREATLENS_PYTHON; CI installs it)"]
fn timeline_buckets_in_duckdb_equal_the_local_series() {
    use threatlens::analysis::timeseries::{MAX_BUCKETS, fitting_width, series};
    use threatlens::sql::views::{series_from_rows, time_range_select, timeline_select};
    let py = duckdb_python("timeline_buckets_in_duckdb_equal_the_local_series");
    let dir = tempfile::tempdir().unwrap();
    let csv = demo_csv(dir.path(), 20_000, 6);
    let ds = threatlens::ingest::load_path(
        csv.to_str().unwrap(),
        threatlens::ingest::LoadProgress::new(),
    )
    .unwrap();
    let range = duckdb_rows(
        &py,
        &csv,
        &time_range_select(Dialect::DuckDb, "input", "creation_time").unwrap(),
    );
    let (first, last): (i64, i64) = (range[0][0].parse().unwrap(), range[0][1].parse().unwrap());
    for asked in [60, 600, 3600] {
        let width = fitting_width(first, last, asked, MAX_BUCKETS);
        let sql = timeline_select(
            Dialect::DuckDb,
            "input",
            "creation_time",
            (Some("bytes_in"), Some("bytes_out")),
            width,
        )
        .unwrap();
        let rows: Vec<(i64, u64, u128, u128)> = duckdb_rows(&py, &csv, &sql)
            .iter()
            .map(|r| {
                (
                    r[0].parse().unwrap(),
                    r[1].parse().unwrap(),
                    r[2].parse().unwrap(),
                    r[3].parse().unwrap(),
                )
            })
            .collect();
        let local = series(&ds, threatlens::analysis::Rows::All(ds.rows), asked);
        assert!(local.buckets.len() > 10, "{asked}");
        assert_eq!(series_from_rows(width, &rows), local, "width {asked}");
    }
}

#[test]
#[ignore = "needs duckdb (THREATLENS_PYTHON; CI installs it)"]
fn correlations_in_duckdb_equal_the_local_ones() {
    use threatlens::analysis::stats::pearson;
    use threatlens::dataset::NumericSource;
    use threatlens::sql::views::{correlation_from_row, correlation_select};
    let py = duckdb_python("correlations_in_duckdb_equal_the_local_ones");
    let dir = tempfile::tempdir().unwrap();
    // Missing values in different rows of b and c (each pair has its own rows), a constant k.
    let mut text = String::from("a,b,c,k\n");
    for i in 0..600u64 {
        let a = (i * 7919 % 1000) as f64 / 3.0;
        let b = if i % 7 == 0 {
            String::new()
        } else {
            format!("{}", a * 2.5 + (i % 13) as f64)
        };
        let c = if i % 5 == 0 {
            String::new()
        } else {
            format!("{}", 1e6 - (i * i % 977) as f64)
        };
        text.push_str(&format!("{a},{b},{c},4\n"));
    }
    let csv = dir.path().join("corr.csv");
    std::fs::write(&csv, text).unwrap();
    let ds = threatlens::ingest::load_path(
        csv.to_str().unwrap(),
        threatlens::ingest::LoadProgress::new(),
    )
    .unwrap();
    let names = ["a", "b", "c", "k"];
    let exprs: Vec<String> = names
        .iter()
        .map(|c| format!("TRY_CAST({} AS DOUBLE)", Dialect::DuckDb.ident(c).unwrap()))
        .collect();
    let sql = correlation_select(Dialect::DuckDb, "input", &exprs).unwrap();
    let rows = duckdb_rows(&py, &csv, &sql);
    assert_eq!(rows.len(), 1);
    let row: Vec<Option<f64>> = rows[0].iter().map(|v| v.parse().ok()).collect();
    let engine = correlation_from_row(names.len(), &row);
    let values: Vec<Vec<f64>> = names
        .iter()
        .map(|c| ds.values(NumericSource::Column(ds.column_index(c).unwrap())))
        .collect();
    for (i, a) in names.iter().enumerate() {
        for (j, b) in names.iter().enumerate() {
            let local = pearson(&values[i], &values[j]);
            match (engine[i][j], local) {
                (Some(e), Some(l)) => assert!((e - l).abs() <= 1e-12, "r({a}, {b}): {e} vs {l}"),
                (e, l) => assert_eq!(e, l, "r({a}, {b})"),
            }
        }
    }
    // The constant column has no correlation; the others do.
    assert_eq!(engine[3][0], None);
    assert!(engine[0][1].unwrap() > 0.9 && engine[1][2].is_some());
}
