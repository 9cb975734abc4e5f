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

#[test]
fn a_bad_engine_timeout_is_bad_input() {
    for secs in ["0", "-1", "soon", "1e9"] {
        let (code, _, err) = run(&[
            "summary",
            "--engine",
            "sc://127.0.0.1:1",
            "--table",
            "logs",
            &format!("--engine-timeout={secs}"),
        ]);
        assert_eq!(code, 2, "{secs}: {err}");
        assert!(err.contains("--engine-timeout"), "{secs}: {err}");
    }
}

/// Runs `args`, killed after a minute so that a hang fails the test instead of stalling it.
#[cfg(feature = "spark")]
fn run_bounded(args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(feature = "spark")]
#[test]
fn a_refused_connection_fails_with_exit_1_naming_the_endpoint_not_the_token() {
    // A port that was just free on loopback: nothing listens, the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("sc://127.0.0.1:{port}/;token={SECRET}");
    for cmd in ["summary", "detect"] {
        let (code, out, err) = run_bounded(&[cmd, "--engine", &url, "--table", "logs"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(&format!("sc://127.0.0.1:{port}")), "{err}");
        assert!(err.contains("connection refused"), "{err}");
        assert!(!err.contains(SECRET) && !out.contains(SECRET), "{err}");
    }
}

#[cfg(feature = "spark")]
#[test]
fn a_listener_that_never_answers_times_out_with_exit_1() {
    // Accepts TCP connections and holds them open without a byte of gRPC.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let url = format!("sc://127.0.0.1:{port}/;token={SECRET}");
    let (code, out, err) = run_bounded(&[
        "summary",
        "--engine",
        &url,
        "--table",
        "logs",
        "--engine-timeout",
        "1.5",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("sc://127.0.0.1:{port}")), "{err}");
    assert!(err.contains("no answer within 1.5s"), "{err}");
    assert!(err.contains("--engine-timeout"), "{err}");
    assert!(!err.contains(SECRET) && !out.contains(SECRET), "{err}");
}

#[cfg(feature = "spark")]
#[path = "spark_parity.rs"]
mod parity;

#[cfg(feature = "spark")]
#[path = "spark_explorer.rs"]
mod explorer;
