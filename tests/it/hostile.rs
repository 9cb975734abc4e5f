//! The hostile-input corpus: every file in `tests/fixtures/hostile/` (listed with
//! its outcome in the README there) plus the large ones generated here, each with
//! its expected outcome written down and asserted three ways: `threatlens summary
//! FILE`, `threatlens summary --format json FILE`, and the library loader the
//! explorer uses (`ingest::load_path`). For every case: no panic (exit 0 or 2),
//! and no control character from the data on stdout or stderr.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use threatlens::dataset::{Dataset, Role};
use threatlens::ingest::{self, LoadProgress};

/// What a case must do.
#[derive(Debug, Clone)]
enum Outcome {
    /// Loads `rows` rows with exactly these reject reasons and counts.
    Loads {
        rows: usize,
        rejects: Vec<(&'static str, u64)>,
    },
    /// Exit code 2 with one line on stderr (and an `IngestError` from the
    /// library) containing this text.
    Exit2(&'static str),
}
use Outcome::{Exit2, Loads};

/// Further checks on a case that loads: the dataset, the JSON summary, the text summary.
type Check = fn(&Dataset, &Value, &str);

fn nothing_more(_: &Dataset, _: &Value, _: &str) {}

fn loads(rows: usize, rejects: &[(&'static str, u64)]) -> Outcome {
    Loads {
        rows,
        rejects: rejects.to_vec(),
    }
}

const T0: &str = "2024-04-25T23:00:00Z";

/// The committed files, one case each (the README in the folder says the same in words).
fn committed_cases() -> Vec<(&'static str, Outcome, Check)> {
    vec![
        ("empty.csv", Exit2("the file is empty"), nothing_more),
        (
            "header_only.csv",
            Exit2("has a header but no data rows"),
            nothing_more,
        ),
        (
            "all_rejected.csv",
            Exit2("no row could be loaded: all 3 data rows were rejected"),
            nothing_more,
        ),
        ("bom_crlf.csv", loads(3, &[]), |ds, _, _| {
            // The byte-order mark is not part of the first name; no CR is left in a value.
            assert_eq!(ds.columns[0].name, "bytes_in");
            assert!(ds.role(Role::BytesIn).is_some());
            assert_eq!(texts(ds, "src_ip"), ["1.2.3.4", "1.2.3.5", "1.2.3.6"]);
        }),
        (
            "blank_lines.csv",
            loads(2, &[("not a number", 1)]),
            |ds, _, _| {
                // Two blank lines before the header, two between rows, CRLF: x is on line 7.
                assert_reject(ds, 0, 7, Some("bytes_in"), "'x'");
            },
        ),
        ("cr_only.csv", loads(2, &[]), |ds, _, _| {
            assert_eq!(texts(ds, "src_ip"), ["1.2.3.4", "5.6.7.8"]);
        }),
        (
            "semicolon.csv",
            loads(2, &[("not a number", 1)]),
            |ds, _, _| {
                assert!(ds.notes.iter().any(|n| n.contains("separated by ';'")));
                assert_reject(ds, 0, 4, Some("bytes_in"), "'1,5'");
            },
        ),
        ("tab.tsv", loads(3, &[]), |ds, _, _| {
            assert!(ds.notes.iter().any(|n| n.contains("separated by tab")));
            assert_eq!(texts(ds, "note")[0], "Paris, FR");
        }),
        ("missing_required.csv", loads(3, &[]), |ds, v, text| {
            // src_ip is a role: CloudWatch mode, ranked by sessions, no byte counts made up.
            assert_eq!(v["mode"], "cloudwatch");
            assert_eq!(v["numeric"], serde_json::json!({}));
            assert_eq!(v["src_ips_by"], "sessions");
            assert_eq!(v["src_ips"][0]["src_ip"], "1.2.3.4");
            assert_eq!(v["src_ips"][0]["sessions"], 2);
            assert!(v["src_ips"][0]["bytes_in"].is_null());
            assert!(text.contains("Top source IPs (by sessions)"), "{text}");
            assert!(text.contains("no numeric column"), "{text}");
            assert!(!text.contains("0 B"), "{text}");
            assert!(ds.role(Role::BytesIn).is_none());
        }),
        ("reordered_extra.csv", loads(2, &[]), |ds, v, _| {
            assert_eq!(ds.role(Role::BytesIn).unwrap().name, "BYTES_IN");
            assert_eq!(ds.role(Role::DstPort).unwrap().name, "dst_port");
            assert!(ds.column("extra_score").unwrap().data.is_numeric());
            assert!(!ds.column("note").unwrap().data.is_numeric());
            assert_close(&v["numeric"]["bytes_per_sec"]["min"], 30.0 / 600.0);
        }),
        (
            "bad_numbers.csv",
            loads(
                6,
                &[
                    ("negative byte count", 1),
                    ("not a finite number", 4),
                    ("not a number", 3),
                    ("number too large", 4),
                ],
            ),
            |ds, v, _| {
                // NaN is a missing value, not a reject; 12.0, " 42 ", 1e3 and +7 are numbers.
                assert_eq!(v["numeric"]["bytes_in"]["count"], 5);
                assert_eq!(v["numeric"]["bytes_in"]["missing"], 1);
                assert_eq!(v["numeric"]["bytes_in"]["min"], 5.0);
                assert_eq!(
                    v["numeric"]["bytes_in"]["max"],
                    18446744073709551614u64 as f64
                );
                assert_eq!(v["numeric"]["bytes_out"]["max"], 1000.0);
                assert!(
                    ds.column("score").unwrap().data.is_numeric(),
                    "inf keeps it numeric"
                );
                assert_reject(ds, 0, 3, Some("bytes_in"), "'abc'");
                assert_reject(ds, 3, 6, Some("bytes_in"), "'99999999999999999999999999'");
                assert_reject(ds, 11, 19, Some("score"), "'1e999'");
            },
        ),
        (
            "timestamps.csv",
            loads(7, &[("unrecognised timestamp", 8)]),
            |ds, _, _| {
                let mut starts = texts(ds, "creation_time");
                starts.sort();
                let mut want = vec![T0; 5];
                want.extend(["2024-04-25T00:00:00Z", "2024-04-25T23:00:00.500Z"]);
                want.sort();
                assert_eq!(starts, want);
                let ends = texts(ds, "end_time");
                assert!(
                    ends.iter().all(|e| e.starts_with("2024-04-25T23:10:00")),
                    "{ends:?}"
                );
                assert_reject(ds, 0, 9, Some("creation_time"), "'yesterday'");
                assert_reject(ds, 7, 16, Some("creation_time"), "+24:00");
            },
        ),
        ("end_before_start.csv", loads(3, &[]), |ds, v, text| {
            let rate = ds.numeric_source("bytes_per_sec").unwrap();
            let rates: Vec<Option<f64>> = (0..3).map(|r| ds.value(rate, r)).collect();
            assert_eq!(rates, [Some(200.0 / 600.0), None, None]);
            assert_eq!(v["numeric"]["session_duration"]["min"], -3600.0);
            assert!(text.contains("1 sessions with zero duration and 1 ending before"));
        }),
        (
            "invalid_ips.csv",
            loads(4, &[("invalid IP address", 7)]),
            |ds, _, _| {
                assert_eq!(
                    texts(ds, "src_ip"),
                    ["1.2.3.4", "10.0.0.2", "2001:db8::1", ""]
                );
                assert_reject(ds, 5, 8, Some("src_ip"), "'fe80::1%eth0'");
                assert_reject(ds, 6, 9, Some("dst_ip"), "'::gg'");
            },
        ),
        ("ipv6.csv", loads(6, &[]), |_, v, text| {
            // ::ffff:1.2.3.4 is 1.2.3.4; the two spellings of 2001:db8::1 are one address.
            assert_eq!(v["unique_src_ips"], 4);
            assert!(!text.contains("::ffff") && !text.contains("0DB8"), "{text}");
        }),
        ("latin1.csv", loads(3, &[]), |ds, v, _| {
            assert!(ds.column("région").is_some());
            assert_eq!(v["countries"][0]["country"], "Österreich");
            assert!(ds.notes.iter().any(|n| n.contains("read as Latin-1")));
        }),
        (
            "quoted.csv",
            loads(6, &[("not a number", 2)]),
            |ds, _, _| {
                let notes = texts(ds, "note");
                for want in [
                    "multi\nline\nnote",
                    "comma, inside",
                    "say \"hi\"",
                    "crlf\r\ninside",
                ] {
                    assert!(notes.iter().any(|n| n == want), "{want:?} in {notes:?}");
                }
                assert!(notes.iter().any(|n| n == "stray\"quote mid field"));
                // Line numbers count the newlines inside quoted fields.
                assert_reject(ds, 0, 7, Some("bytes_in"), "'1,234'");
                assert_reject(ds, 1, 11, Some("bytes_in"), "'oops'");
            },
        ),
        (
            "ragged.csv",
            loads(2, &[("wrong number of fields", 4)]),
            |ds, _, _| {
                let lines: Vec<u64> = ds.rejects.details.iter().map(|r| r.line).collect();
                assert_eq!(lines, [3, 4, 5, 6]);
                assert!(ds.rejects.details[0].message.contains("found 2"));
            },
        ),
        ("duplicate_headers.csv", loads(2, &[]), |ds, v, _| {
            let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(
                names,
                [
                    "bytes_in",
                    "bytes_out",
                    "BYTES_IN.1",
                    "src_ip",
                    "src_ip.1",
                    "column_6",
                    "column_7"
                ]
            );
            assert_eq!(v["numeric"]["bytes_in"]["max"], 3.0);
            assert_eq!(v["numeric"]["BYTES_IN.1"]["max"], 300.0);
        }),
        ("identical_rows.csv", loads(5, &[]), |_, v, _| {
            let s = &v["numeric"]["bytes_in"];
            assert_eq!(
                (s["count"].clone(), s["std"].clone()),
                (5.into(), 0.0.into())
            );
            assert!(s["skewness"].is_null() && s["kurtosis"].is_null());
            assert!(v["pearson_correlation"]["bytes_in"]["bytes_out"].is_null());
            assert_eq!(v["data_quality"]["duplicate_rows"], 4);
            let constant = v["data_quality"]["constant_columns"].as_array().unwrap();
            assert!(constant.contains(&"bytes_in".into()) && constant.contains(&"hour".into()));
        }),
        ("one_row.csv", loads(1, &[]), |_, v, _| {
            let s = &v["numeric"]["bytes_in"];
            assert_eq!(s["mean"], 100.0);
            assert_eq!(s["median"], 100.0);
            assert!(s["std"].is_null() && s["skewness"].is_null());
            assert!(v["pearson_correlation"]["bytes_in"]["bytes_out"].is_null());
            assert_eq!(v["hourly_totals"].as_array().unwrap().len(), 1);
        }),
        ("two_rows.csv", loads(2, &[]), |_, v, _| {
            let s = &v["numeric"]["bytes_in"];
            assert_close(&s["std"], 2.0f64.sqrt() * 100.0);
            assert!(s["skewness"].is_null() && s["kurtosis"].is_null());
            assert_eq!(v["pearson_correlation"]["bytes_in"]["bytes_out"], 1.0);
        }),
        ("zero_variance.csv", loads(4, &[]), |_, v, _| {
            assert_eq!(v["mode"], "generic");
            assert_eq!(v["numeric"]["f0"]["std"], 0.0);
            assert!(v["numeric"]["f0"]["skewness"].is_null());
            assert!(v["pearson_correlation"]["f0"]["f1"].is_null());
            let constant = v["data_quality"]["constant_columns"].as_array().unwrap();
            assert_eq!(constant, &["f0", "f2"]);
        }),
        ("huge_values.csv", loads(5, &[]), |_, v, text| {
            let f0 = &v["numeric"]["f0"];
            assert_close(&f0["mean"], 1.7e308 / 5.0);
            assert_eq!(f0["q1"], -1.7e308);
            assert!(f0["std"].is_null(), "past f64::MAX: undefined, not inf");
            assert!(text.contains("-1.7000e308"), "{text}");
        }),
        ("far_apart_times.csv", loads(3, &[]), |_, v, text| {
            assert_eq!(v["time_range"]["first"], "1970-01-01T00:00:00Z");
            assert_eq!(v["hourly_totals"], serde_json::json!([]));
            assert!(text.contains("hourly totals left out"), "{text}");
        }),
        ("unicode.csv", loads(3, &[]), |ds, v, text| {
            assert!(ds.column("備考📝").is_some());
            assert!(text.contains("日本") && text.contains("مصر"), "{text}");
            let countries: Vec<&str> = v["countries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["country"].as_str().unwrap())
                .collect();
            assert!(countries.contains(&"🇩🇪"), "{countries:?}");
        }),
        (
            "escapes_in_fields.csv",
            loads(4, &[("invalid IP address", 1), ("not a number", 2)]),
            |ds, v, text| {
                // The attack is shown, disarmed, in text; carried exactly, escaped, in JSON.
                for shown in [r"\x1b]2;pwned\x07", r"\x1b]52;c;ZXZpbA==\x07", r"\x9b2JUS"] {
                    assert!(text.contains(shown), "{shown} in {text}");
                }
                let countries: Vec<&str> = v["countries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["country"].as_str().unwrap())
                    .collect();
                assert!(countries.contains(&"\x1b]2;pwned\x07"), "{countries:?}");
                assert!(countries.contains(&"\u{9b}2JUS"), "{countries:?}");
                assert_reject(ds, 0, 5, Some("bytes_in"), r"'12\x1b[2J'");
                assert_reject(ds, 1, 6, Some("bytes_out"), r"'\x1b]52;c;ZXZpbA==\x07'");
                assert_reject(ds, 2, 7, Some("src_ip"), r"'\x1b]2;pwned\x07'");
                assert!(text.contains(r"'12\x1b[2J'"), "{text}");
            },
        ),
        ("escapes_in_header.csv", loads(3, &[]), |ds, v, text| {
            assert_eq!(ds.columns[3].name, "\x1b]2;pwned\x07note");
            assert_eq!(v["numeric"]["\x1b[2Jscore"]["max"], 3.5);
            assert!(text.contains(r"\x1b[2Jscore"), "{text}");
        }),
        (
            "escapes_no_usable_column.csv",
            Exit2(r"no usable column: none of the known columns"),
            nothing_more,
        ),
    ]
}

/// A JSON number within 1e-12 (relative) of `want`.
fn assert_close(have: &Value, want: f64) {
    let h = have.as_f64().unwrap_or(f64::NAN);
    assert!(
        (h - want).abs() <= 1e-12 * want.abs(),
        "want {want}, have {have}"
    );
}

/// Cells of a column as display text.
fn texts(ds: &Dataset, col: &str) -> Vec<String> {
    let i = ds.column_index(col).unwrap();
    (0..ds.rows)
        .map(|r| ds.cell_text(r, i).into_owned())
        .collect()
}

/// The `i`th detailed reject is at `line`, in `column`, and its message contains `quoted`.
fn assert_reject(ds: &Dataset, i: usize, line: u64, column: Option<&str>, quoted: &str) {
    let r = &ds.rejects.details[i];
    assert_eq!((r.line, r.column.as_deref()), (line, column), "{r:?}");
    assert!(r.message.contains(quoted), "{quoted} in {r:?}");
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

/// One run of the binary.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn threatlens(args: &[&str]) -> Run {
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// No control character a terminal acts on: no C0 but `\n` (so no ESC, BEL or
/// tab), no DEL, no C1 (U+0080–U+009F). And the output is UTF-8 text.
fn assert_inert(case: &str, stream: &str, bytes: &[u8]) {
    assert!(!bytes.contains(&0x1b), "{case}: ESC on {stream}");
    let text =
        std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{case}: {stream} is not UTF-8: {e}"));
    for (at, c) in text.char_indices() {
        let control = (c < ' ' && c != '\n') || ('\u{7f}'..='\u{9f}').contains(&c);
        assert!(
            !control,
            "{case}: {stream} has U+{:04X} at byte {at}: {:?}",
            u32::from(c),
            text.get(at.saturating_sub(40)..(at + 40).min(text.len()))
                .unwrap_or("")
        );
    }
}

/// Statistics are `—` when undefined: never `NaN` or `inf` in the text table.
fn assert_no_nan_in_statistics(case: &str, text: &str) {
    let table = text
        .split("\nStatistics\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_else(|| panic!("{case}: no statistics section in {text}"));
    for word in ["NaN", "nan", "inf"] {
        assert!(!table.contains(word), "{case}: {word} in\n{table}");
    }
}

/// `detect` (table and JSON) on a case: never a panic, inert output; a file that
/// cannot be read exits 2 with the same one line as `summary`; a file that loads
/// either gets a defined answer (JSON that parses, no NaN) or, when it has nothing
/// to detect on, exits 2 with one line.
fn assert_detect(case: &str, shown: &str, outcome: &Outcome) {
    for format in ["table", "json"] {
        let run = threatlens(&["detect", "--format", format, shown]);
        let what = format!("{case} (detect {format})");
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(
            matches!(run.code, Some(0 | 2)),
            "{what}: exit {:?}: {stderr}",
            run.code
        );
        assert_inert(&what, "stdout", &run.stdout);
        assert_inert(&what, "stderr", &run.stderr);
        match (outcome, run.code) {
            (Exit2(needle), _) => {
                assert_eq!(run.code, Some(2), "{what}");
                assert!(stderr.contains(needle), "{what}: {stderr}");
                assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
            }
            (Loads { .. }, Some(2)) => {
                assert_eq!(stderr.lines().count(), 1, "{what}: one line: {stderr}");
                assert!(run.stdout.is_empty(), "{what}");
            }
            (Loads { rows, .. }, _) => {
                let out = String::from_utf8_lossy(&run.stdout);
                assert!(
                    !out.contains("NaN") && !out.contains("inf"),
                    "{what}: {out}"
                );
                if format == "json" {
                    let v: Value =
                        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!(v["rows"], *rows, "{what}");
                }
            }
        }
    }
}

/// Asserts one case four ways: the library loader, `summary`, `summary --format json`, `detect`.
fn assert_case(case: &str, path: &Path, outcome: &Outcome, check: Check) {
    let shown = path.to_str().unwrap();
    assert_detect(case, shown, outcome);
    let loaded = ingest::load_path(shown, LoadProgress::new());
    let text = threatlens(&["summary", shown]);
    let json = threatlens(&["summary", "--format", "json", shown]);
    for (run, how) in [(&text, "text"), (&json, "json")] {
        let what = format!("{case} ({how})");
        assert!(
            matches!(run.code, Some(0 | 2)),
            "{what}: exit {:?} (101 is a panic): {}",
            run.code,
            String::from_utf8_lossy(&run.stderr)
        );
        assert_inert(&what, "stdout", &run.stdout);
        assert_inert(&what, "stderr", &run.stderr);
    }
    match outcome {
        Loads { rows, rejects } => {
            let ds = loaded.unwrap_or_else(|e| panic!("{case}: the library refused it: {e}"));
            let want: BTreeMap<String, u64> =
                rejects.iter().map(|(k, n)| (k.to_string(), *n)).collect();
            let total: u64 = want.values().sum();
            assert_eq!(
                ds.rows, *rows,
                "{case}: rows; rejects {:?}",
                ds.rejects.details
            );
            assert_eq!(ds.rejects.by_kind, want, "{case}: {:?}", ds.rejects.details);
            for r in &ds.rejects.details {
                assert_inert(case, "a reject message", r.message.as_bytes());
            }
            for n in &ds.notes {
                assert_inert(case, "a note", n.as_bytes());
            }

            for run in [&text, &json] {
                assert_eq!(
                    run.code,
                    Some(0),
                    "{case}: {}",
                    String::from_utf8_lossy(&run.stderr)
                );
                assert!(
                    run.stderr.is_empty(),
                    "{case}: {}",
                    String::from_utf8_lossy(&run.stderr)
                );
            }
            let out = String::from_utf8(text.stdout).unwrap();
            assert!(
                out.contains(&format!("{rows} loaded, {total} rejected")),
                "{case}: {out}"
            );
            assert_no_nan_in_statistics(case, &out);
            let v: Value = serde_json::from_slice(&json.stdout)
                .unwrap_or_else(|e| panic!("{case}: JSON does not parse: {e}"));
            assert_eq!(v["rows"], *rows, "{case}");
            assert_eq!(v["rejected"]["total"], total, "{case}");
            assert_eq!(
                v["rejected"]["by_reason"],
                serde_json::to_value(&want).unwrap(),
                "{case}"
            );
            check(&ds, &v, &out);
        }
        Exit2(needle) => {
            let e = loaded
                .err()
                .unwrap_or_else(|| panic!("{case}: the library loaded it"));
            assert!(e.to_string().contains(needle), "{case}: library says {e}");
            assert_inert(case, "the library error", e.to_string().as_bytes());
            for run in [&text, &json] {
                let stderr = String::from_utf8_lossy(&run.stderr);
                assert_eq!(run.code, Some(2), "{case}: {stderr}");
                assert!(run.stdout.is_empty(), "{case}: output on stdout");
                assert_eq!(stderr.lines().count(), 1, "{case}: one line: {stderr:?}");
                assert!(
                    stderr.contains(needle),
                    "{case}: {stderr:?} should say {needle:?}"
                );
            }
        }
    }
}

#[test]
fn every_committed_case_behaves_as_written() {
    for (file, outcome, check) in committed_cases() {
        assert_case(file, &fixtures().join(file), &outcome, check);
    }
}

#[test]
fn preprocessing_options_survive_the_corpus() {
    // --outliers cap hands IQR fences to f64::clamp, --missing drop can leave no
    // row: every option on every file still exits 0 or 2, inert, JSON parsing.
    let options: [&[&str]; 2] = [
        &[
            "--trim-text",
            "--drop-duplicates",
            "--missing",
            "impute",
            "--outliers",
            "cap",
        ],
        &["--missing", "drop", "--outliers", "remove"],
    ];
    for (file, outcome, _) in committed_cases() {
        let path = fixtures().join(file);
        for opts in options {
            for format in ["text", "json"] {
                let mut args = vec!["summary", path.to_str().unwrap(), "--format", format];
                args.extend(opts);
                let run = threatlens(&args);
                let what = format!("{file} {}", args[2..].join(" "));
                let want = if matches!(outcome, Loads { .. }) {
                    0
                } else {
                    2
                };
                assert_eq!(
                    run.code,
                    Some(want),
                    "{what}: {}",
                    String::from_utf8_lossy(&run.stderr)
                );
                assert_inert(&what, "stdout", &run.stdout);
                assert_inert(&what, "stderr", &run.stderr);
                if want == 0 && format == "json" {
                    let v: Value = serde_json::from_slice(&run.stdout).unwrap();
                    assert!(
                        v["notes"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|n| { n.as_str().unwrap().starts_with("preprocessing:") }),
                        "{what}: the steps are reported"
                    );
                }
            }
        }
    }
}

#[test]
fn the_escapes_case_is_shown_inert_not_hidden() {
    // Guards the inertness checks above against passing on output that dropped the data.
    let out = threatlens(&[
        "summary",
        fixtures()
            .join("escapes_no_usable_column.csv")
            .to_str()
            .unwrap(),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(r"'name,\x1b]2;pwned\x07colour,\x1b[2J'"),
        "{stderr}"
    );
}

#[test]
fn the_folder_the_table_and_the_readme_agree() {
    let readme = std::fs::read_to_string(fixtures().join("README.md")).unwrap();
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "README.md")
        .collect();
    on_disk.sort();
    let mut in_table: Vec<String> = committed_cases().iter().map(|c| c.0.to_string()).collect();
    in_table.sort();
    assert_eq!(
        on_disk, in_table,
        "every committed file has a case, every case a file"
    );
    for name in in_table.iter().map(String::as_str).chain(GENERATED_NAMES) {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README.md does not list {name}"
        );
    }
}

/// The generated cases' names, as the README lists them.
const GENERATED_NAMES: [&str; 12] = [
    "field_1mb.csv",
    "line_10mb_no_newline.csv",
    "first_line_10mb.csv",
    "garbage.bin",
    "header_then_garbage.csv",
    "valid.csv.gz",
    "truncated.csv.gz",
    "truncated_in_header.csv.gz",
    "cr_only_17mb.csv",
    "(a directory)",
    "(a missing path)",
    "(an unreadable file)",
];

/// Deterministic pseudo-random bytes (a 64-bit LCG's high bytes).
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// What a gzip decoder gives before it fails: the bytes the loader sees.
fn gunzip_until_error(gz: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(gz);
    let mut buf = [0u8; 8192];
    while let Ok(n) = dec.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[test]
fn large_fields_and_lines_are_rejected_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    // A 1,000,000-byte text field: over the 64 KiB field limit, under the 1 MiB record limit.
    let mut field = b"bytes_in,bytes_out,note\n1,2,".to_vec();
    field.extend(std::iter::repeat_n(b'x', 1_000_000));
    field.extend(b"\n3,4,ok\n");
    let p = write(dir.path(), "field_1mb.csv", &field);
    assert_case(
        "field_1mb.csv",
        &p,
        &loads(1, &[("field too long", 1)]),
        |ds, _, _| {
            assert_reject(ds, 0, 2, Some("note"), "1000000 bytes");
        },
    );

    // A 10 MB last line and no newline at the end: one reject, the rest loads.
    let mut line = b"bytes_in,bytes_out\n1,2\n3,4\n".to_vec();
    line.extend(std::iter::repeat_n(b'x', 10_000_000));
    let p = write(dir.path(), "line_10mb_no_newline.csv", &line);
    assert_case(
        "line_10mb_no_newline.csv",
        &p,
        &loads(2, &[("record too long", 1)]),
        |ds, _, _| assert_reject(ds, 0, 4, None, "10000000 bytes"),
    );

    // 10 MB with no newline at all: there is no header to read.
    let p = write(dir.path(), "first_line_10mb.csv", &vec![b'a'; 10_000_000]);
    assert_case(
        "first_line_10mb.csv",
        &p,
        &Exit2("the first line is over 1 MiB long"),
        nothing_more,
    );
}

#[test]
fn binary_garbage_is_refused_or_rejected_row_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "garbage.bin", &garbage(1 << 20, 1));
    assert_case(
        "garbage.bin",
        &p,
        &Exit2("does not look like CSV text"),
        nothing_more,
    );

    // After a good header every garbage record is read and rejected with a reason.
    let bytes = [b"bytes_in,bytes_out\n".as_slice(), &garbage(1 << 20, 2)].concat();
    let p = write(dir.path(), "header_then_garbage.csv", &bytes);
    assert_case(
        "header_then_garbage.csv",
        &p,
        &Exit2("no row could be loaded: all 8154 data rows were rejected"),
        nothing_more,
    );
}

#[test]
fn gzip_whole_cut_off_and_cut_in_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("bytes_in,bytes_out,src_ip\n");
    for i in 0..20_000u64 {
        csv.push_str(&format!(
            "{},{},10.0.{}.{}\n",
            i * 7919 % 100_000,
            i,
            i / 256 % 256,
            i % 256
        ));
    }
    let gz = gzip(csv.as_bytes());
    let p = write(dir.path(), "valid.csv.gz", &gz);
    assert_case("valid.csv.gz", &p, &loads(20_000, &[]), nothing_more);

    // Cut in half: the complete records before the cut load, the cut one is rejected.
    let cut = gz.get(..gz.len() / 2).unwrap();
    let seen = gunzip_until_error(cut);
    let complete = seen.iter().filter(|&&b| b == b'\n').count() - 1;
    let tail = !seen.ends_with(b"\n");
    let rejects: &[(&str, u64)] = if tail {
        &[("incomplete record", 1)]
    } else {
        &[]
    };
    let p = write(dir.path(), "truncated.csv.gz", cut);
    assert_case(
        "truncated.csv.gz",
        &p,
        &loads(complete, rejects),
        |ds, _, text| {
            assert!(
                ds.notes.iter().any(|n| n.contains("ended early")),
                "{:?}",
                ds.notes
            );
            assert!(text.contains("the input ended early"), "{text}");
        },
    );
    assert!(complete > 1000 && complete < 20_000, "{complete}");

    let p = write(
        dir.path(),
        "truncated_in_header.csv.gz",
        gz.get(..10).unwrap(),
    );
    assert_case(
        "truncated_in_header.csv.gz",
        &p,
        &Exit2("cannot read: the data ends early"),
        nothing_more,
    );
}

#[test]
fn cr_only_line_ends_over_one_block_load() {
    // Over the 16 MiB read block, so the parallel splitter has to find CR ends.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = b"bytes_in,bytes_out,src_ip\r".to_vec();
    let mut rows = 0;
    while csv.len() < 17 << 20 {
        csv.extend(format!("{rows},1,10.0.0.{}\r", rows % 256).bytes());
        rows += 1;
    }
    let p = write(dir.path(), "cr_only_17mb.csv", &csv);
    assert_case("cr_only_17mb.csv", &p, &loads(rows, &[]), nothing_more);
}

#[test]
fn paths_that_are_not_readable_files() {
    // A folder is read whole (tests/it/ingest_flowlog.rs); one without a log file is refused.
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("notes.md"), "not a log").unwrap();
    assert_case(
        "(a directory)",
        empty.path(),
        &Exit2("no log file in this folder"),
        nothing_more,
    );
    assert_case(
        "(a missing path)",
        &fixtures().join("does-not-exist.csv"),
        &Exit2("no such file"),
        nothing_more,
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "unreadable.csv", b"bytes_in,bytes_out\n1,2\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&p).is_ok() {
        // Root (or CAP_DAC_OVERRIDE) reads it anyway: asserting a refusal would be false.
        eprintln!(
            "skipped: an unreadable file: this process can read a file with mode 000 (running as root?)"
        );
        return;
    }
    assert_case(
        "(an unreadable file)",
        &p,
        &Exit2("cannot read: permission denied"),
        nothing_more,
    );
}
