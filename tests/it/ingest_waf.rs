//! AWS WAF logs and CloudWatch Logs Insights exports, generated here, as a user opens them.

use std::io::Write;
use threatlens::dataset::Role;
use threatlens::ingest::{LoadOptions, LoadProgress, describe_reject, load_path, load_path_with};

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p.display().to_string()
}

const WAF: &str = concat!(
    r#"{"timestamp":1714003200123,"terminatingRuleId":"SQLi","terminatingRuleType":"MANAGED_RULE_GROUP","action":"BLOCK","httpRequest":{"clientIp":"45.9.20.1","country":"RU","headers":[{"name":"Host","value":"shop.example"}],"uri":"/login?\u001b[2J\nx","args":"id=1' OR '1'='1","httpMethod":"POST"},"labels":[{"name":"awswaf:sqli"}]}"#,
    "\n[1,2]\n",
    r#"{"timestamp":1714003260000,"action":"ALLOW","terminatingRuleId":"Default_Action","httpRequest":{"clientIp":"not-an-ip","country":"GB","uri":"/"}}"#,
    "\n",
    r#"{"timestamp":1714003320000,"action":"ALLOW","terminatingRuleId":"Default_Action","httpRequest":{"clientIp":"81.2.69.142","country":"GB","uri":"/=HYPERLINK(\"x\")"}}"#,
    "\n"
);

#[test]
fn waf_json_lines_load_with_their_fields_and_bad_lines_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(WAF.as_bytes()).unwrap();
    let p = write(&dir, "waf.log.gz", &gz.finish().unwrap());
    let ds = load_path(&p, LoadProgress::new()).unwrap();
    assert_eq!(ds.rows, 2);
    let col = |role| ds.role_index(role).unwrap();
    assert_eq!(ds.cell_text(0, col(Role::SrcIp)), "45.9.20.1");
    assert_eq!(ds.cell_text(0, col(Role::Country)), "RU");
    assert_eq!(ds.cell_text(0, col(Role::Action)), "BLOCK");
    assert_eq!(ds.cell_text(0, col(Role::RuleNames)), "SQLi");
    assert_eq!(ds.cell_text(0, col(Role::Time)), "2024-04-25T00:00:00.123Z");
    let uri = ds.column_index("uri").unwrap();
    assert_eq!(
        ds.cell_text(0, uri),
        "/login?\u{1b}[2J\nx",
        "kept as text, never run"
    );
    assert_eq!(ds.cell_text(1, uri), "/=HYPERLINK(\"x\")");
    let host = ds.column_index("host").unwrap();
    assert_eq!(ds.cell_text(0, host), "shop.example");
    let rejects: Vec<String> = ds.rejects.details.iter().map(describe_reject).collect();
    assert_eq!(
        rejects,
        [
            "line 2: not a JSON object: '[1,2]' (a WAF log has one object per line)",
            "line 3, column src_ip: invalid IP address: 'not-an-ip' (expected an IPv4 or IPv6 address)",
        ]
    );
    // Shown on a terminal, the URI's escape is inert.
    let out = assert_cmd::Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", &p, "--filter", "uri ~ login"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b));
}

#[test]
fn insights_exports_split_their_messages_by_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let v2 = write(
        &dir,
        "insights.csv",
        b"@timestamp,@message,@logStream\n\
2024-04-25 10:00:00.000,2 123 eni-1 10.0.0.1 203.0.113.9 1000 22 6 3 300 1714039200 1714039260 REJECT OK,eni-1-all\n\
2024-04-25 10:01:00.000,2 123 eni-1 - - - - - - - 1714039200 1714039260 - NODATA,eni-1-all\n\
2024-04-25 10:02:00.000,2 123 eni-1 10.0.0.2,eni-1-all\n",
    );
    let ds = load_path(&v2, LoadProgress::new()).unwrap();
    assert_eq!(ds.rows, 1);
    assert_eq!(ds.facts.log_status["NODATA"].records, 1);
    assert_eq!(
        ds.cell_text(0, ds.role_index(Role::Protocol).unwrap()),
        "TCP"
    );
    assert!(
        ds.column_index("@logStream").is_some(),
        "other columns kept"
    );
    assert_eq!(ds.rejects.total, 1);
    assert_eq!(ds.rejects.details[0].line, 4);
    assert!(ds.rejects.details[0].message.contains("--flow-format"));

    let custom = write(
        &dir,
        "custom.csv",
        b"@timestamp,@message\n2024-04-25 10:00:00.000,10.0.0.1 10.0.0.2 22 600 1714039200 1714039230\n",
    );
    let opts = LoadOptions {
        flow_format: Some("srcaddr dstaddr dstport bytes start end".into()),
        ..LoadOptions::default()
    };
    let ds = load_path_with(&custom, LoadProgress::new(), &opts).unwrap();
    assert_eq!(ds.rows, 1);
    let dur = ds.numeric_source("session_duration").unwrap();
    assert_eq!(ds.value(dur, 0), Some(30.0));
    let out = assert_cmd::Command::cargo_bin("threatlens")
        .unwrap()
        .args(["summary", &custom, "--flow-format", "srcaddr nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'nonsense' is not a flow-log field"));
}

#[test]
fn a_waf_file_whose_first_line_is_not_an_object_still_loads_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("[1,2]\n{WAF}");
    let p = write(&dir, "first-bad.jsonl", text.as_bytes());
    let ds = load_path(&p, LoadProgress::new()).unwrap();
    assert_eq!(ds.rows, 2);
    let rejects: Vec<String> = ds.rejects.details.iter().map(describe_reject).collect();
    assert!(
        rejects[0].starts_with("line 1: not a JSON object: '[1,2]'"),
        "{rejects:?}"
    );
}
