//! VPC flow logs and folders of them, as a user opens them: generated files of each kind
//! (default and custom formats, S3 and Hive layouts, bad files among good ones), read through
//! the library and the `summary`/`detect` commands.

use assert_cmd::Command;
use std::io::Write;
use std::path::Path;
use threatlens::dataset::{ColumnData, Dataset, Role, SchemaMode};
use threatlens::ingest::{LoadOptions, LoadProgress, load_path, load_path_with, window};

const V2: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n\
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK\n\
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n\
2 123456789010 eni-11111111111111111 - - - - - - - 1431280900 1431281000 - SKIPDATA\n\
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK\n";

const CUSTOM: &str = "vpc-id srcaddr dstaddr dstport protocol tcp-flags bytes packets start end action log-status flow-direction\n\
vpc-0a1 10.0.1.5 198.51.100.7 443 6 2 120 2 1700000000 1700000030 ACCEPT OK egress\n\
vpc-0a1 198.51.100.9 10.0.1.5 22 6 18 4000 10 1700000010 1700000040 REJECT OK ingress\n\
vpc-0a1 10.0.1.6 10.0.1.5 53 17 - 90 0 1700000020 1700000021 ACCEPT OK -\n";

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn load(path: &Path) -> Dataset {
    load_path(path.to_str().unwrap(), LoadProgress::new()).unwrap()
}

fn text(ds: &Dataset, role: Role) -> Vec<String> {
    let i = ds.role_index(role).unwrap();
    (0..ds.rows)
        .map(|r| ds.cell_text(r, i).into_owned())
        .collect()
}

fn summary_json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn default_format_reads_flows_and_counts_nodata_and_skipdata_apart() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("flows.log.gz");
    write(&p, &gzip(V2.as_bytes()));
    let ds = load(&p);
    assert_eq!(ds.mode(), SchemaMode::FlowLog);
    assert_eq!(ds.rows, 3, "NODATA and SKIPDATA are not flows");
    assert_eq!(text(&ds, Role::Protocol), ["TCP", "TCP", "ICMP"]);
    assert_eq!(text(&ds, Role::Action), ["ACCEPT", "REJECT", "ACCEPT"]);
    let nodata = ds.facts.log_status["NODATA"];
    assert_eq!(nodata.records, 1);
    assert_eq!(nodata.first, Some(1_431_280_876_000));
    assert_eq!(nodata.last, Some(1_431_280_934_000));
    assert_eq!(ds.facts.log_status["SKIPDATA"].records, 1);
    assert_eq!(ds.facts.log_status["OK"].records, 3);
    assert!(
        ds.notes
            .iter()
            .any(|n| n.contains("SKIPDATA") && n.contains("under-counted"))
    );
    // Start and end are Unix seconds; duration and rates follow.
    let dur = ds.numeric_source("session_duration").unwrap();
    assert_eq!(ds.value(dur, 0), Some(60.0));
    let rate = ds.numeric_source("bytes_per_sec").unwrap();
    assert!((ds.value(rate, 0).unwrap() - 4249.0 / 60.0).abs() < 1e-9);
    let bpp = ds.numeric_source("bytes_per_packet").unwrap();
    assert!((ds.value(bpp, 2).unwrap() - 84.0).abs() < 1e-9);

    let v = summary_json(&[p.to_str().unwrap()]);
    assert_eq!(v["rows"], 3);
    assert_eq!(v["mode"], "flowlog");
    assert_eq!(v["files"], 1);
    assert_eq!(
        v["data_quality"]["log_status"],
        serde_json::json!({"OK": 3, "NODATA": 1, "SKIPDATA": 1})
    );
    assert_eq!(v["src_ips"][0]["src_ip"], "172.31.16.139");
    assert_eq!(v["src_ips"][0]["sessions"], 1);
    assert_eq!(v["src_ips"][0]["bytes_in"], 4249);
}

#[test]
fn custom_formats_read_any_subset_in_any_order_with_dashes_missing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("custom.log");
    write(&p, CUSTOM.as_bytes());
    let ds = load(&p);
    assert_eq!(ds.rows, 3);
    assert_eq!(text(&ds, Role::TcpFlags), ["SYN", "SYN-ACK", ""]);
    assert_eq!(text(&ds, Role::Protocol), ["TCP", "TCP", "UDP"]);
    assert_eq!(text(&ds, Role::Vpc), ["vpc-0a1"; 3]);
    let dir_col = ds.column_index("flow-direction").unwrap();
    assert_eq!(ds.cell_text(2, dir_col), "", "'-' is missing");
    // Zero packets: bytes per packet is undefined, not infinite.
    let bpp = ds.numeric_source("bytes_per_packet").unwrap();
    assert_eq!(ds.value(bpp, 2), None);
    match &ds.role(Role::DstPort).unwrap().data {
        ColumnData::Float(v) => assert_eq!(v.get(1), Some(22.0)),
        other => panic!("dstport stored as {}", other.kind()),
    }
    let f = p.to_str().unwrap();
    for (expr, rows) in [
        ("dst_port = 22", 1),
        ("action = REJECT", 1),
        ("protocol = tcp", 2),
        ("src_ip in 10.0.0.0/8", 2),
        ("flags ~ SYN", 2),
        ("flags = SYN-ACK", 1),
    ] {
        let v = summary_json(&[f, "--filter", expr]);
        assert_eq!(v["rows"], rows, "{expr}");
    }
}

#[test]
fn a_csv_header_with_flow_names_is_still_csv() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.csv");
    write(&p, b"srcaddr,dstaddr,bytes\n10.0.0.1,10.0.0.2,5\n");
    let ds = load(&p);
    assert_eq!(ds.rows, 1);
    assert!(!ds.notes.iter().any(|n| n.contains("flow logs")));
}

/// A Hive-partitioned folder over three hours with one file per hour.
fn hive(root: &Path) {
    for hour in [3, 4, 5] {
        let start = 1_714_014_000 + (hour - 3) * 3600; // 2024-04-25T03:00:00Z + …
        let body = format!(
            "srcaddr dstaddr dstport protocol packets bytes start end action log-status\n\
             10.0.0.{hour} 10.0.1.1 22 6 3 300 {start} {} ACCEPT OK\n\
             10.0.0.{hour} 10.0.1.1 80 6 3 300 {} {} REJECT OK\n",
            start + 10,
            start + 60,
            start + 70
        );
        let p = root.join(format!(
            "aws-account-id=1/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=04/day=25/hour={hour:02}/f{hour}.log.gz"
        ));
        write(&p, &gzip(body.as_bytes()));
    }
}

#[test]
fn hive_folders_load_as_one_dataset_remembering_each_rows_file() {
    let dir = tempfile::tempdir().unwrap();
    hive(dir.path());
    let ds = load(dir.path());
    assert_eq!(ds.rows, 6);
    assert_eq!(ds.facts.files, 3);
    let file = ds.column_index("file").unwrap();
    assert!(ds.cell_text(0, file).ends_with("hour=03/f3.log.gz"));
    assert!(ds.cell_text(5, file).ends_with("hour=05/f5.log.gz"));
    assert_eq!(
        text(&ds, Role::SrcIp),
        [
            "10.0.0.3", "10.0.0.3", "10.0.0.4", "10.0.0.4", "10.0.0.5", "10.0.0.5"
        ]
    );
}

#[test]
fn since_and_until_skip_files_by_partition_then_filter_rows() {
    let dir = tempfile::tempdir().unwrap();
    hive(dir.path());
    let t = |s: &str| window::parse_bound(s, 0).unwrap();
    let opts = LoadOptions {
        window: window::TimeWindow {
            since: Some(t("2024-04-25T04:01:00Z")),
            until: None,
        },
        ..LoadOptions::default()
    };
    let ds = load_path_with(dir.path().to_str().unwrap(), LoadProgress::new(), &opts).unwrap();
    // hour=03 may hold records up to an hour late, so it is read; its rows are then dropped.
    assert_eq!(ds.rows, 3, "the 04:01 row and both 05:00 rows");
    let far = LoadOptions {
        window: window::TimeWindow {
            since: Some(t("2024-04-25T07:30:00Z")),
            until: None,
        },
        ..LoadOptions::default()
    };
    let err = load_path_with(dir.path().to_str().unwrap(), LoadProgress::new(), &far).unwrap_err();
    assert!(err.to_string().contains("all 3 files lie outside"), "{err}");
    // The command line takes the same bounds.
    let v = summary_json(&[
        dir.path().to_str().unwrap(),
        "--since",
        "2024-04-25T05:00:00Z",
        "--until",
        "2024-04-25T05:01:05Z",
    ]);
    assert_eq!(v["rows"], 2);
}

#[test]
fn bad_files_in_a_folder_are_listed_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir
        .path()
        .join("AWSLogs/123456789012/vpcflowlogs/us-east-1/2014/12/14");
    write(&day.join("good.log.gz"), &gzip(V2.as_bytes()));
    let mut cut = gzip(V2.repeat(50).as_bytes());
    cut.truncate(cut.len() / 2);
    write(&day.join("truncated.log.gz"), &cut);
    let wrong = format!("{V2}2 1 eni-1 10.0.0.1 10.0.0.2 1 2\n");
    write(&day.join("wrong-count.log"), wrong.as_bytes());
    write(&day.join("binary.log"), b"\x00\x01\x02\x03PK\x00\x00");
    #[cfg(unix)]
    std::os::unix::fs::symlink(day.join("gone.log"), day.join("dangling.log")).unwrap();
    write(&dir.path().join("README.md"), b"not a log");

    let ds = load(dir.path());
    assert!(
        ds.rows >= 6,
        "good and wrong-count load, the truncated file up to its cut"
    );
    let all: Vec<String> = ds
        .rejects
        .details
        .iter()
        .map(threatlens::ingest::describe_reject)
        .collect();
    let has = |file: &str, what: &str| all.iter().any(|m| m.contains(file) && m.contains(what));
    assert!(has("wrong-count.log", "expected 14 fields"), "{all:#?}");
    assert!(has("wrong-count.log", "line 7"), "{all:#?}");
    assert!(has("binary.log", "binary data"), "{all:#?}");
    assert!(has("truncated.log.gz", "ends early"), "{all:#?}");
    #[cfg(unix)]
    assert!(has("dangling.log", "no such file"), "{all:#?}");

    // Exit 0 while something loads; exit 2 when nothing does.
    let v = summary_json(&[dir.path().to_str().unwrap()]);
    assert!(v["rejected"]["total"].as_u64().unwrap() >= 3);
    let only_bad = tempfile::tempdir().unwrap();
    write(&only_bad.path().join("binary.log"), b"\x00\x01\x02");
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", only_bad.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("none of the log files could be loaded"),
        "{err}"
    );
    let empty = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", empty.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no log file in this folder"));
}

#[test]
fn only_nodata_records_are_an_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("quiet.log");
    let body = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
                2 1 eni-1 - - - - - - - 1431280876 1431280934 - NODATA\n";
    write(&p, body.as_bytes());
    let err = load_path(p.to_str().unwrap(), LoadProgress::new()).unwrap_err();
    assert!(
        err.to_string()
            .contains("every record is NODATA or SKIPDATA"),
        "{err}"
    );
}

#[test]
fn the_flow_demo_plants_its_attackers_where_detection_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    Command::cargo_bin("threatlens")
        .unwrap()
        .args(["demo", "--format", "vpc-flow", "--rows", "3000", "-o", d])
        .assert()
        .success();
    let labels: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("labels.json")).unwrap()).unwrap();
    assert_eq!(labels.as_array().unwrap().len(), 5);
    let v = summary_json(&[d, "--top", "5000"]);
    assert!(v["files"].as_u64().unwrap() > 40);
    assert_eq!(v["data_quality"]["log_status"]["NODATA"], 16);
    assert_eq!(v["data_quality"]["log_status"]["SKIPDATA"], 1);
    let srcs: Vec<&str> = v["src_ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["src_ip"].as_str().unwrap())
        .collect();
    for ip in ["198.51.100.23", "192.0.2.77", "192.0.2.78", "10.0.2.20"] {
        assert!(srcs.contains(&ip), "{ip} in the demo");
    }
    // Mostly REJECT scan.
    let scan = summary_json(&[d, "--filter", "src_ip = 198.51.100.23 and action = REJECT"]);
    assert!(scan["rows"].as_u64().unwrap() > 450);
    // The quiet gap holds no flow.
    let gap = summary_json(&[
        d,
        "--since",
        "2024-04-25T00:00:00Z",
        "--until",
        "2024-04-25T06:00:00Z",
    ]);
    assert!(gap["time_range"]["last"].as_str().unwrap() < "2024-04-25T02:00:00Z");
    // The exfiltration tops the anomaly ranking.
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["detect", d, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("10.0.2.20"), "exfiltration source flagged");
    // The report names each planted shape in flow words.
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(["report", d, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, String)> = report["flow_patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            (s("kind"), s("src_ip"), s("target"))
        })
        .collect();
    let has = |kind: &str, src: &str, target: &str| {
        found
            .iter()
            .any(|(k, s, t)| k == kind && s == src && t.contains(target))
    };
    assert!(has("rejected scan", "198.51.100.23", "ports"), "{found:?}");
    assert!(
        has("large transfer", "10.0.2.20", "203.0.113.50"),
        "{found:?}"
    );
    assert!(has("short sessions", "192.0.2.77", "SSH"), "{found:?}");
    assert!(has("short sessions", "192.0.2.78", "RDP"), "{found:?}");
    assert_eq!(
        found.len(),
        4,
        "no background traffic mistaken for an attack: {found:?}"
    );
    let recs = report["recommendations"].as_array().unwrap();
    assert!(
        recs[0]
            .as_str()
            .unwrap()
            .starts_with("Rejected port scan from 198.51.100.23")
    );
}
