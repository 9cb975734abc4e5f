//! `detect --save-model`, `--model` and `--emit-sql` as a user runs them: same scores from a saved
//! model, clear errors (exit 2) for missing, foreign and damaged model files.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    Command::cargo_bin("threatlens").unwrap()
}

fn demo(dir: &std::path::Path, rows: &str, seed: &str) -> std::path::PathBuf {
    let path = dir.join(format!("demo-{seed}.csv"));
    bin()
        .args(["demo", "--rows", rows, "--seed", seed, "-o"])
        .arg(&path)
        .assert()
        .success();
    path
}

#[test]
fn a_saved_model_scores_like_the_fit_and_travels_to_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (demo(dir.path(), "3000", "1"), demo(dir.path(), "2000", "2"));
    let model = dir.path().join("m.json");
    let fitted = bin()
        .args([
            "detect",
            "--format",
            "csv",
            "--contamination",
            "0.1",
            "--save-model",
        ])
        .arg(&model)
        .arg(&a)
        .output()
        .unwrap();
    assert!(fitted.status.success());
    let loaded = bin()
        .args(["detect", "--format", "csv", "--model"])
        .arg(&model)
        .arg(&a)
        .output()
        .unwrap();
    assert!(loaded.status.success());
    assert_eq!(
        fitted.stdout, loaded.stdout,
        "same scores and the saved 10% rule"
    );
    bin()
        .args(["detect", "--format", "json", "--model"])
        .arg(&model)
        .arg(&b)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"anomalies\": 200,"));
    // The model is not replaced without --force.
    bin()
        .args(["detect", "--save-model"])
        .arg(&model)
        .arg(&a)
        .assert()
        .code(2);
}

#[test]
fn bad_model_files_and_option_mixes_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let a = demo(dir.path(), "500", "3");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        (dir.path().join("missing.json"), "cannot read the model"),
        (write("text.json", "hello"), "line 1, column 1"),
        (
            write("other.json", "{\"format\": \"onnx\"}"),
            "not a threatlens model",
        ),
        (
            write(
                "old.json",
                "{\"format\": \"threatlens-isolation-forest\", \"version\": 7}",
            ),
            "version 7",
        ),
    ];
    for (path, says) in cases {
        bin()
            .args(["detect", "--model"])
            .arg(&path)
            .arg(&a)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    bin()
        .args(["detect", "--emit-sql", "duckdb"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--model"));
    bin()
        .args(["detect", "--model", "m.json", "--trees", "5"])
        .arg(&a)
        .assert()
        .code(2);
    bin()
        .args(["detect", "--emit-sql", "oracle", "--model", "m.json"])
        .assert()
        .code(2);
}

#[test]
fn emitted_sql_reads_input_and_ends_with_score_in_each_dialect() {
    let dir = tempfile::tempdir().unwrap();
    let a = demo(dir.path(), "800", "4");
    let model = dir.path().join("m.json");
    bin()
        .args(["detect", "--save-model"])
        .arg(&model)
        .arg(&a)
        .assert()
        .success();
    for (dialect, rel, lateral) in [
        ("spark", "`input`", ", LATERAL"),
        ("duckdb", "\"input\"", ", LATERAL"),
        ("trino", "\"input\"", " CROSS JOIN LATERAL"),
    ] {
        let out = bin()
            .args(["detect", "--emit-sql", dialect, "--model"])
            .arg(&model)
            .output()
            .unwrap();
        assert!(out.status.success());
        let sql = String::from_utf8(out.stdout).unwrap();
        assert!(
            sql.starts_with(&format!("SELECT {rel}.*, POWER(")),
            "{dialect}"
        );
        assert!(
            sql.contains(&format!("FROM {rel}{lateral} (SELECT ")),
            "{dialect}"
        );
        assert!(sql.matches("SELECT").count() == 2, "{dialect}: one query");
    }
}
