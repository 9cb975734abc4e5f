//! `detect --follow` end to end: the binary follows a file or a folder while the test appends,
//! rotates, truncates and drops files, and reads what it prints. Waits are bounded (a hung run
//! fails the test) but nothing asserts how long anything took.

use assert_cmd::cargo::CommandCargoExt;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest a test waits for output before failing (a bound on a hang, not a speed check).
const BOUND: Duration = Duration::from_secs(120);

/// A running `detect --follow` and what it has printed.
struct Followed {
    child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Followed {
    fn start(path: &Path, extra: &[&str]) -> Followed {
        let mut child = Command::cargo_bin("threatlens")
            .unwrap()
            .args(["detect", "--follow"])
            .arg(path)
            .args(["--format", "jsonl"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let f = Followed {
            child,
            lines,
            stderr,
        };
        f.wait_stderr("flagging rows scoring above");
        f
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr contains `text`.
    fn wait_stderr(&self, text: &str) {
        let start = Instant::now();
        while !self.stderr().contains(text) {
            assert!(
                start.elapsed() < BOUND,
                "no '{text}' on stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The next printed row.
    fn next(&self) -> serde_json::Value {
        let line = self
            .lines
            .recv_timeout(BOUND)
            .unwrap_or_else(|_| panic!("no flagged row printed; stderr:\n{}", self.stderr()));
        serde_json::from_str(&line).unwrap()
    }

    /// Ends it with SIGTERM and checks it exits 0.
    fn stop(mut self) -> String {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: a signal to the child this test started and has not reaped.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "stderr:\n{}", self.stderr());
        std::thread::sleep(Duration::from_millis(50));
        self.stderr()
    }
}

/// Demo traffic: the header line and the data lines.
fn demo(rows: usize, seed: u64) -> (String, Vec<String>) {
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args([
            "demo",
            "--rows",
            &rows.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines().map(str::to_string);
    let header = lines.next().unwrap();
    (header, lines.collect())
}

/// A data line no forest fitted on the demo traffic could call normal.
fn extreme(template: &str, bytes_in: u64) -> String {
    let rest: Vec<&str> = template.splitn(3, ',').collect();
    format!("{bytes_in},{},{}\n", bytes_in / 2 + 7, rest[2])
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn with_header(header: &str, lines: &[String]) -> String {
    let mut s = format!("{header}\n");
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

fn setup() -> (tempfile::TempDir, PathBuf, String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let (header, lines) = demo(2000, 11);
    let path = dir.path().join("live.csv");
    std::fs::write(&path, with_header(&header, &lines)).unwrap();
    (dir, path, header, lines)
}

#[test]
fn appended_rows_partial_lines_rotation_and_truncation_are_followed() {
    let (dir, path, header, lines) = setup();
    let f = Followed::start(&path, &[]);

    // An append.
    append(&path, &extreme(&lines[0], 900_000_001));
    let row = f.next();
    assert_eq!(row["bytes_in"], 900_000_001.0);
    assert_eq!(row["row"], 2000);
    assert_eq!(row["rank"], 1);
    assert_eq!(row["file"], path.display().to_string());
    assert!(row["score"].as_f64().unwrap() > 0.5);
    assert!(
        row["explanation"].as_str().unwrap().contains("bytes_in"),
        "{row}"
    );

    // A line written in two parts is read once, whole.
    let line = extreme(&lines[1], 900_000_002);
    let (a, b) = line.split_at(5);
    append(&path, a);
    std::thread::sleep(Duration::from_millis(300));
    append(&path, b);
    let row = f.next();
    assert_eq!(row["bytes_in"], 900_000_002.0);
    assert_eq!(row["row"], 2001);

    // Rotation by rename: the old file's last rows, then the new file's from its start.
    append(&path, &extreme(&lines[2], 900_000_003));
    std::fs::rename(&path, dir.path().join("live.csv.1")).unwrap();
    std::fs::write(
        &path,
        with_header(&header, &[extreme(&lines[3], 900_000_004)]),
    )
    .unwrap();
    let got: Vec<f64> = (0..2)
        .map(|_| f.next()["bytes_in"].as_f64().unwrap())
        .collect();
    assert_eq!(got, vec![900_000_003.0, 900_000_004.0]);

    // Truncation: read again from the start, nothing twice.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    f.wait_stderr("truncated");
    append(&path, &extreme(&lines[4], 900_000_005));
    let row = f.next();
    assert_eq!(
        (row["bytes_in"].as_f64(), row["row"].as_u64()),
        (Some(900_000_005.0), Some(0))
    );

    let err = f.stop();
    assert!(
        err.contains("rotated") || err.contains("renamed away"),
        "{err}"
    );
    assert!(err.contains("5 flagged, 0 rejected"), "{err}");
    assert!(!err.contains("row not read"), "{err}");
}

#[test]
fn new_files_in_a_folder_are_read_and_a_different_header_is_reported() {
    let (dir, _path, header, lines) = setup();
    let f = Followed::start(dir.path(), &[]);
    std::fs::write(
        dir.path().join("b.csv"),
        with_header(
            &header,
            &[lines[5].clone(), extreme(&lines[6], 900_000_006)],
        ),
    )
    .unwrap();
    let row = f.next();
    assert_eq!(row["bytes_in"], 900_000_006.0);
    assert_eq!(row["row"], 1);
    assert!(row["file"].as_str().unwrap().ends_with("b.csv"), "{row}");

    std::fs::write(dir.path().join("c.csv"), "when,who\n1,2\n").unwrap();
    f.wait_stderr("c.csv: its header 'when,who' differs");
    std::fs::write(dir.path().join("d.bin"), [0u8, 159, 146, 150, 0, 10, 0]).unwrap();
    f.wait_stderr("d.bin: binary data");
    // Following goes on.
    std::fs::write(
        dir.path().join("e.csv"),
        with_header(&header, &[extreme(&lines[7], 900_000_007)]),
    )
    .unwrap();
    assert_eq!(f.next()["bytes_in"], 900_000_007.0);
    f.stop();
}

#[test]
fn a_stray_text_file_in_a_folder_does_not_stop_following() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("README.txt"),
        "notes about this folder\nnothing to see\n",
    )
    .unwrap();
    let (header, lines) = demo(2000, 13);
    std::fs::write(dir.path().join("z.csv"), with_header(&header, &lines)).unwrap();
    let f = Followed::start(dir.path(), &[]);
    assert!(f.stderr().contains("README.txt: "), "{}", f.stderr());
    assert!(f.stderr().contains("fitted on 2000 rows"), "{}", f.stderr());
    append(&dir.path().join("z.csv"), &extreme(&lines[0], 900_000_011));
    assert_eq!(f.next()["bytes_in"], 900_000_011.0);
    f.stop();
}

#[test]
fn a_warmup_fits_on_the_first_rows_then_scores() {
    let dir = tempfile::tempdir().unwrap();
    let (header, lines) = demo(600, 3);
    let path = dir.path().join("w.csv");
    std::fs::write(&path, format!("{header}\n")).unwrap();
    let mut child = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["detect", "--follow"])
        .arg(&path)
        .args(["--format", "jsonl", "--warmup", "500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut body = with_header(&header, &lines[..500])[header.len() + 1..].to_string();
    body.push_str(&extreme(&lines[500], 900_000_008));
    append(&path, &body);
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let row: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (row["row"].as_u64(), row["bytes_in"].as_f64()),
        (Some(500), Some(900_000_008.0))
    );
    // A closed stdout ends it cleanly at its next write.
    drop(out);
    append(&path, &extreme(&lines[501], 900_000_009));
    append(&path, &extreme(&lines[502], 900_000_010));
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn bad_follow_usage_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["detect", "--follow"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope.csv: no such file or folder"), "{err}");
    std::fs::write(dir.path().join("x.csv"), "a,b\n1,2\n").unwrap();
    for args in [
        vec!["--format", "csv"],
        vec!["--export", "e.csv"],
        vec!["--filter", "a > 1"],
    ] {
        let out = Command::cargo_bin("threatlens")
            .unwrap()
            .args(["detect", "--follow"])
            .arg(dir.path().join("x.csv"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--follow"),
            "{args:?}"
        );
    }
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["detect", "--warmup", "5"])
        .arg(dir.path().join("x.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--warmup needs --follow");
}

#[test]
fn jsonl_on_a_whole_file_is_the_json_flagged_list_a_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.csv");
    let (header, lines) = demo(1500, 6);
    std::fs::write(&path, with_header(&header, &lines)).unwrap();
    let run = |format: &str| {
        let out = Command::cargo_bin("threatlens")
            .unwrap()
            .arg("detect")
            .arg(&path)
            .args(["--format", format])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let lines: Vec<serde_json::Value> = run("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 75, "5% of 1500");
    assert_eq!(json["flagged"].as_array().unwrap(), &lines);
}
