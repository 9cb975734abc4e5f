//! The headless commands as a user runs them: output, exit codes and messages.

use assert_cmd::Command;
use std::io::Write;

fn threatlens() -> Command {
    Command::cargo_bin("threatlens").unwrap()
}

fn file_with(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p.display().to_string()
}

/// Runs `summary` and returns (exit code, stdout, stderr).
fn summary(path: &str) -> (i32, String, String) {
    let out = threatlens().args(["summary", path]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_line_exit_2(path: &str, needle: &str) {
    let (code, stdout, stderr) = summary(path);
    assert_eq!(code, 2, "exit code for {path}: stderr {stderr}");
    assert!(stdout.is_empty(), "no data on stdout: {stdout}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(
        stderr.contains(needle),
        "{stderr:?} should mention {needle:?}"
    );
    assert!(
        stderr.contains(path) || path == "-",
        "names the path: {stderr}"
    );
}

#[test]
fn unreadable_inputs_exit_2_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    assert_one_line_exit_2(&file_with(&dir, "empty.csv", b""), "empty");
    assert_one_line_exit_2(
        &file_with(&dir, "header.csv", b"bytes_in,bytes_out,src_ip\n"),
        "no data rows",
    );
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert_one_line_exit_2(
        &file_with(&dir, "garbage.bin", &garbage),
        "does not look like CSV",
    );
    assert_one_line_exit_2(
        &dir.path().join("missing.csv").display().to_string(),
        "no such file",
    );
    // A folder is read whole: here every file in it is unusable.
    assert_one_line_exit_2(
        &dir.path().display().to_string(),
        "log files could be loaded",
    );
    assert_one_line_exit_2(
        &file_with(&dir, "words.csv", b"name,colour\nann,red\nbob,blue\n"),
        "no usable column",
    );
}

#[test]
fn bad_rows_are_rejected_with_line_column_and_reason_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_with(
        &dir,
        "mixed.csv",
        b"bytes_in,bytes_out,src_ip\n10,20,1.2.3.4\nabc,20,1.2.3.4\n30,40\n50,60,999.1.1.1\n70,80,::1\n",
    );
    let out = threatlens()
        .args(["summary", &p, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 2);
    assert_eq!(v["rejected"]["total"], 3);
    let first = &v["rejected"]["first"][0];
    assert_eq!(first["line"], 3);
    assert_eq!(first["column"], "bytes_in");
    assert!(first["message"].as_str().unwrap().contains("'abc'"));
    assert_eq!(v["rejected"]["first"][1]["line"], 4);
    assert_eq!(v["rejected"]["by_reason"]["invalid IP address"], 1);
}

#[test]
fn text_summary_is_aligned_and_names_the_top_entities() {
    let out = threatlens()
        .args(["summary", "-"])
        .write_stdin(threatlens::demo::EMBEDDED)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("5000 loaded, 0 rejected"), "{text}");
    assert!(text.contains("Top countries"));
    assert!(
        text.contains("185.220.101.47"),
        "the exfiltration source tops bytes in"
    );
}

#[test]
fn demo_writes_the_rows_asked_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.csv").display().to_string();
    threatlens()
        .args(["demo", "--rows", "1000", "--seed", "3", "-o", &p])
        .assert()
        .success();
    let text = std::fs::read_to_string(&p).unwrap();
    assert_eq!(text.lines().count(), 1001);
    assert!(text.lines().next().unwrap().ends_with(",label"));
    let again = threatlens().args(["demo", "-o", &p]).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    threatlens()
        .args(["demo", "--rows", "10", "-o", &p, "--force"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&p).unwrap().lines().count(), 11);
}

#[test]
fn an_output_that_would_be_refused_is_refused_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let existing = file_with(&dir, "out.json", b"keep me");
    let nowhere = dir
        .path()
        .join("no/such/dir/out.json")
        .display()
        .to_string();
    // The input does not exist either: the output is checked first, so no load is wasted.
    let missing_input = dir.path().join("absent.csv").display().to_string();
    for args in [
        vec![
            "report",
            &missing_input,
            "--format",
            "json",
            "-o",
            &existing,
        ],
        vec![
            "detect",
            &missing_input,
            "--format",
            "json",
            "-o",
            &existing,
        ],
        vec!["detect", &missing_input, "--export", &existing],
        vec!["summary", &missing_input, "--export", &existing],
    ] {
        let out = threatlens().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("already exists") && err.contains("--force"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    let out = threatlens()
        .args(["report", &missing_input, "-o", &nowhere])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("does not exist") && err.contains("no/such/dir"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = threatlens().args(["summary"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = threatlens()
        .args(["summary", "x.csv", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = threatlens()
        .args(["summary", "x.csv", "--missing", "guess"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keep, impute or drop"));
}
