//! `--engine`: the options without the Spark client (default build), the token kept secret in
//! every message, and — with `--features spark` and a Spark Connect server (CI starts one with
//! tests/spark/start.sh and sets THREATLENS_SPARK) — the views answered in Spark equal to the local
//! ones on generated CloudWatch CSV and flow logs.

use assert_cmd::Command;

const SECRET: &str = "dapiT0KEN-that-must-never-show";

fn bin() -> Command {
    Command::cargo_bin("threatlens").unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn engine_options_need_each_other() {
    let (code, _, err) = run(&["summary", "--table", "logs"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--engine"), "{err}");
    let (code, _, err) = run(&["summary", "--engine", "sc://127.0.0.1:1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--table"), "{err}");
}

#[test]
fn a_bad_engine_url_is_bad_input_and_never_echoes_the_token() {
    for url in [
        format!("http://h:1/;token={SECRET}"),
        format!("sc://h:notaport/;token={SECRET}"),
        format!("sc://h:1/;token{SECRET}"),
    ] {
        let (code, out, err) = run(&["summary", "--engine", &url, "--table", "logs"]);
        assert_eq!(code, 2, "{url}: {err}");
        assert!(!err.contains(SECRET) && !out.contains(SECRET), "{err}");
        assert!(err.contains("--engine"), "{err}");
    }
}

#[cfg(not(feature = "spark"))]
#[test]
fn without_the_feature_engine_says_how_to_build_it_and_hides_the_token() {
    let url = format!("sc://127.0.0.1:1/;token={SECRET}");
    for cmd in ["summary", "detect", "report"] {
        let (code, out, err) = run(&[cmd, "--engine", &url, "--table", "logs"]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains("--features spark"), "{cmd}: {err}");
        assert!(!err.contains(SECRET) && !out.contains(SECRET), "{err}");
    }
}

#[cfg(feature = "spark")]
#[test]
fn an_unreachable_engine_fails_with_exit_1_and_no_token() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let url = format!("sc://127.0.0.1:1/;token={SECRET}");
    let (code, out, err) = run(&["summary", "--engine", &url, "--table", "logs"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("sc://127.0.0.1:1"), "{err}");
    assert!(!err.contains(SECRET) && !out.contains(SECRET), "{err}");
}

#[cfg(feature = "spark")]
#[path = "spark_parity.rs"]
mod parity;
