//! Parquet input as a user meets it: S3's flow-log Parquet (gzip, snappy, zstd pages), a
//! CloudWatch-named table, many row groups, and bad files (wrong schema, truncated, a damaged
//! row group, bad values), alone and inside folders; plus `--input-format`. Every file is
//! written here with the parquet crate's writer.

use arrow_array::{
    ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, StructArray,
    TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Fields, Schema};
use assert_cmd::Command;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
use threatlens::dataset::{Dataset, Role, SchemaMode};
use threatlens::ingest::parquet::write::{Codec, flow_text_to_parquet};
use threatlens::ingest::{IngestError, LoadProgress, load_path};

const FLOWS: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags\n\
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK 2\n\
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK 18\n\
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA -\n\
2 123456789010 eni-11111111111111111 - - - - - - - 1431280900 1431281000 - SKIPDATA -\n\
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK -\n\
2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.16.139 443 51000 17 3 1200 1432917030 1432917090 ACCEPT OK -\n";

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn load(path: &Path) -> Result<Dataset, IngestError> {
    load_path(path.to_str().unwrap(), LoadProgress::new())
}

/// Every row of a role's column as text.
fn text(ds: &Dataset, role: Role) -> Vec<String> {
    let i = ds.role_index(role).unwrap();
    (0..ds.rows)
        .map(|r| ds.cell_text(r, i).into_owned())
        .collect()
}

fn parquet_of(schema: Schema, columns: Vec<ArrayRef>, rows_per_group: usize) -> Vec<u8> {
    let schema = Arc::new(schema);
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, schema.clone(), Some(props)).unwrap();
    w.write(&RecordBatch::try_new(schema, columns).unwrap())
        .unwrap();
    w.close().unwrap();
    out
}

#[test]
fn s3_flow_log_parquet_reads_as_its_text_form_with_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("flows.log");
    write(&txt, FLOWS.as_bytes());
    let from_text = load(&txt).unwrap();
    for codec in [Codec::Gzip, Codec::Snappy, Codec::Zstd, Codec::None] {
        for per_group in [100, 2] {
            let p = dir.path().join(format!("f-{codec:?}-{per_group}.parquet"));
            write(&p, &flow_text_to_parquet(FLOWS, codec, per_group).unwrap());
            let ds = load(&p).unwrap();
            assert_eq!(ds.mode(), SchemaMode::FlowLog, "{codec:?}");
            assert_eq!(ds.rows, 4, "{codec:?}: NODATA and SKIPDATA are not flows");
            assert_eq!(ds.facts.log_status, from_text.facts.log_status, "{codec:?}");
            assert_eq!(ds.rejects.total, 0, "{:?}", ds.rejects.details);
            for role in [
                Role::SrcIp,
                Role::DstIp,
                Role::SrcPort,
                Role::DstPort,
                Role::Protocol,
                Role::Packets,
                Role::BytesIn,
                Role::Start,
                Role::End,
                Role::Action,
                Role::LogStatus,
                Role::TcpFlags,
                Role::Interface,
                Role::Account,
            ] {
                assert_eq!(
                    text(&ds, role),
                    text(&from_text, role),
                    "{codec:?} {per_group} {role:?}"
                );
                assert_eq!(
                    ds.role(role).unwrap().data.kind(),
                    from_text.role(role).unwrap().data.kind(),
                    "{role:?} is stored as in the text form"
                );
            }
            assert!(ds.column("file").is_none(), "row groups are not files");
            assert_eq!(ds.facts.files, 1);
        }
    }
    let ds = load(&dir.path().join("f-Zstd-100.parquet")).unwrap();
    assert_eq!(text(&ds, Role::Protocol), ["TCP", "TCP", "ICMP", "UDP"]);
    assert_eq!(text(&ds, Role::TcpFlags), ["SYN", "SYN-ACK", "", ""]);
    assert!(
        ds.notes[0].contains("Parquet") && ds.notes[0].contains("zstd"),
        "{:?}",
        ds.notes
    );
    let bpp = ds.numeric_source("bytes_per_packet").unwrap();
    assert!((ds.value(bpp, 3).unwrap() - 400.0).abs() < 1e-9);
}

#[test]
fn a_cloudwatch_named_table_reads_in_cloudwatch_mode() {
    let schema = Schema::new(vec![
        Field::new("bytes_in", DataType::Int64, true),
        Field::new("bytes_out", DataType::Int64, true),
        Field::new(
            "creation_time",
            DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, None),
            true,
        ),
        Field::new("src_ip", DataType::Utf8, true),
        Field::new("src_ip_country_code", DataType::Utf8, true),
        Field::new("dst_port", DataType::Int32, true),
        Field::new("score", DataType::Int32, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![Some(10), Some(5000), None])),
        Arc::new(Int64Array::from(vec![1, 2, 3])),
        Arc::new(TimestampMillisecondArray::from(vec![
            1_714_086_000_000,
            1_714_086_600_000,
            1_714_087_200_000,
        ])),
        Arc::new(StringArray::from(vec![
            "10.0.0.1",
            "::ffff:10.0.0.2",
            "10.0.0.1",
        ])),
        Arc::new(StringArray::from(vec![Some("US"), None, Some("NL")])),
        Arc::new(Int32Array::from(vec![443, 443, 22])),
        Arc::new(Int32Array::from(vec![1, 2, 3])),
    ];
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cw.parquet");
    write(&p, &parquet_of(schema, cols, 2));
    let ds = load(&p).unwrap();
    assert_eq!(ds.mode(), SchemaMode::CloudWatch);
    assert_eq!(ds.rows, 3);
    assert_eq!(text(&ds, Role::BytesIn), ["10", "5000", ""]);
    assert_eq!(
        text(&ds, Role::SrcIp),
        ["10.0.0.1", "10.0.0.2", "10.0.0.1"],
        "IPv4-mapped addresses fold as in CSV"
    );
    assert_eq!(ds.start_time(1), Some(1_714_086_600_000));
    assert_eq!(text(&ds, Role::Country), ["US", "", "NL"]);
    let score = ds.column("score").unwrap();
    assert!(
        score.data.is_numeric(),
        "a number without a role is a numeric column"
    );
}

#[test]
fn bad_values_reject_their_record_with_row_group_and_column() {
    let schema = Schema::new(vec![
        Field::new("srcaddr", DataType::Utf8, true),
        Field::new("dstaddr", DataType::Utf8, true),
        Field::new("bytes", DataType::Int64, true),
        Field::new("packets", DataType::Int64, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![
            "10.0.0.1",
            "10.0.0.2",
            "nope\u{1b}[2J",
            "10.0.0.4",
        ])),
        Arc::new(StringArray::from(vec!["10.0.1.1"; 4])),
        Arc::new(Int64Array::from(vec![100, -5, 7, 8])),
        Arc::new(Int64Array::from(vec![1, 1, 1, 1])),
    ];
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.parquet");
    write(&p, &parquet_of(schema, cols, 2));
    let ds = load(&p).unwrap();
    assert_eq!(ds.rows, 2);
    assert_eq!(text(&ds, Role::SrcIp), ["10.0.0.1", "10.0.0.4"]);
    assert_eq!(ds.rejects.total, 2);
    let first = &ds.rejects.details[0];
    assert_eq!(first.line, 2);
    assert_eq!(first.column.as_deref(), Some("bytes"));
    assert!(
        first
            .message
            .starts_with("row group 1 of 2: record 2: negative byte count"),
        "{}",
        first.message
    );
    let second = &ds.rejects.details[1];
    assert!(
        second.message.starts_with("row group 2 of 2: record 3"),
        "{}",
        second.message
    );
    assert!(
        !second.message.contains('\u{1b}'),
        "attacker text stays inert"
    );
}

#[test]
fn wrong_schema_truncated_and_damaged_files_are_listed_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let good = flow_text_to_parquet(FLOWS, Codec::Snappy, 2).unwrap();
    write(&dir.path().join("logs/good.log.parquet"), &good);
    // Only a nested column and a text column: nothing to analyse.
    let inner = Fields::from(vec![Field::new("x", DataType::Int32, true)]);
    let schema = Schema::new(vec![
        Field::new("nested", DataType::Struct(inner.clone()), true),
        Field::new("name", DataType::Utf8, true),
    ]);
    let nested = StructArray::new(
        inner,
        vec![Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef],
        None,
    );
    let wrong = parquet_of(
        schema,
        vec![
            Arc::new(nested),
            Arc::new(StringArray::from(vec!["a", "b"])),
        ],
        10,
    );
    write(&dir.path().join("logs/wrong.parquet"), &wrong);
    write(
        &dir.path().join("logs/cut.parquet"),
        &good[..good.len() / 2],
    );
    // Damage the page header of the second row group's first column.
    let meta = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&bytes::Bytes::from(good.clone()))
        .unwrap();
    let col = meta.row_group(1).column(0);
    let at = col
        .dictionary_page_offset()
        .unwrap_or(col.data_page_offset()) as usize;
    let mut damaged = good.clone();
    damaged[at..at + 12].fill(0xff);
    write(&dir.path().join("logs/damaged.parquet"), &damaged);

    let e = load(&dir.path().join("logs/wrong.parquet")).unwrap_err();
    assert!(matches!(e, IngestError::NoUsableColumn { .. }), "{e}");
    assert!(e.to_string().contains("nested"), "{e}");
    let e = load(&dir.path().join("logs/cut.parquet")).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    let one = load(&dir.path().join("logs/damaged.parquet")).unwrap();
    assert_eq!(one.rows, 4, "row groups 1 and 3 hold the 4 flows");
    assert!(
        !one.facts.log_status.contains_key("NODATA"),
        "row group 2 held the NODATA record"
    );
    let listed = one
        .rejects
        .details
        .iter()
        .find(|r| r.kind == "unreadable row group")
        .unwrap();
    assert!(
        listed
            .message
            .starts_with("row group 2 of 3 (2 rows): cannot decode it"),
        "{}",
        listed.message
    );

    let ds = load(&dir.path().join("logs")).unwrap();
    assert_eq!(ds.rows, 4 + 4);
    let messages: Vec<&str> = ds
        .rejects
        .details
        .iter()
        .map(|r| r.message.as_str())
        .collect();
    for file in [
        "wrong.parquet",
        "cut.parquet",
        "damaged.parquet: row group 2 of 3",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(file)),
            "{file}: {messages:?}"
        );
    }
}

fn threatlens() -> Command {
    Command::cargo_bin("threatlens").unwrap()
}

fn summary_json(args: &[&str]) -> serde_json::Value {
    let out = threatlens()
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
fn demo_parquet_folder_summarises_as_the_text_demo_does() {
    let dir = tempfile::tempdir().unwrap();
    let text_dir = dir.path().join("text");
    let pq_dir = dir.path().join("pq");
    for (fmt, out) in [("vpc-flow", &text_dir), ("vpc-flow-parquet", &pq_dir)] {
        threatlens()
            .args(["demo", "--format", fmt, "--rows", "3000", "-o"])
            .arg(out)
            .assert()
            .success();
    }
    let a = summary_json(&[text_dir.to_str().unwrap()]);
    let b = summary_json(&[pq_dir.to_str().unwrap()]);
    assert!(b["rows"].as_u64().unwrap() > 3000);
    for key in ["rows", "files", "mode", "time_range", "src_ips"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    assert_eq!(
        a["data_quality"]["log_status"],
        b["data_quality"]["log_status"]
    );
    assert_eq!(a["numeric"], b["numeric"]);
}

#[test]
fn input_format_overrides_detection_and_bad_values_list_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    write(&csv, b"bytes_in,bytes_out,src_ip\n1,2,10.0.0.1\n");
    let out = threatlens()
        .args(["summary", "--input-format", "parquet"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not parquet") && err.contains("PAR1"),
        "{err}"
    );

    let out = threatlens()
        .args(["summary", "--input-format", "xml"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("csv, cloudwatch, vpc-flow, insights, waf, parquet"),
        "{err}"
    );

    // Flow records without a header line: read with the version 2 fields.
    let bare = dir.path().join("bare.txt");
    let body: String = FLOWS
        .lines()
        .skip(1)
        .map(|l| {
            // Drop the tcp-flags field: the default format has 14 fields.
            let mut f: Vec<&str> = l.split(' ').collect();
            f.pop();
            f.join(" ") + "\n"
        })
        .collect();
    write(&bare, body.as_bytes());
    let v = summary_json(&["--input-format", "vpc-flow", bare.to_str().unwrap()]);
    assert_eq!(v["rows"], 4);
    assert_eq!(v["mode"], "flowlog");
    // A flow log is not the CloudWatch CSV.
    let out = threatlens()
        .args([
            "summary",
            "--input-format",
            "cloudwatch",
            "--flow-format",
            "srcaddr dstaddr bytes packets",
        ])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flows = dir.path().join("flows.log");
    write(&flows, FLOWS.as_bytes());
    let out = threatlens()
        .args(["summary", "--input-format", "cloudwatch"])
        .arg(&flows)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reads as a flow log"));
}

#[test]
fn many_distinct_texts_and_addresses_load_as_their_csv_twin() {
    // 6,000 records: nearly every address and note distinct, addresses written several ways
    // (IPv6, IPv4-mapped, padded), missing ones, and a few bad values that reject their record,
    // as one row group and as several.
    let n = 6_000usize;
    let src: Vec<String> = (0..n)
        .map(|i| match i % 9 {
            0 => format!("2001:db8::{:x}", i),
            1 => format!("::ffff:10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256),
            2 => format!(" 10.{}.{}.{} ", i / 65_536, (i / 256) % 256, i % 256),
            // (`-` is a missing address in flow logs only: not here.)
            3 => String::new(),
            _ if i % 1_001 == 500 => "10.0.0.999".into(),
            _ => format!("172.{}.{}.{}", i % 32, (i / 97) % 256, i % 251),
        })
        .collect();
    let dst: Vec<String> = (0..n)
        .map(|i| format!("192.168.{}.{}", i % 7, i % 211))
        .collect();
    let note: Vec<String> = (0..n)
        .map(|i| match i % 5 {
            0 => format!("note {}", i % 1_500),
            1 => String::new(),
            _ => format!("sess-{i:06}-\u{e9}"),
        })
        .collect();
    let bytes: Vec<i64> = (0..n as i64)
        .map(|i| if i % 1_333 == 7 { -1 } else { i * 31 })
        .collect();
    let mut csv = String::from("src_ip,dst_ip,bytes_in,bytes_out,note\n");
    for i in 0..n {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            src[i],
            dst[i],
            bytes[i],
            i % 17,
            note[i]
        ));
    }
    let schema = Schema::new(vec![
        Field::new("src_ip", DataType::Utf8, true),
        Field::new("dst_ip", DataType::Utf8, true),
        Field::new("bytes_in", DataType::Int64, true),
        Field::new("bytes_out", DataType::Int64, true),
        Field::new("note", DataType::Utf8, true),
    ]);
    let cols = || -> Vec<ArrayRef> {
        vec![
            Arc::new(StringArray::from(src.clone())),
            Arc::new(StringArray::from(dst.clone())),
            Arc::new(Int64Array::from(bytes.clone())),
            Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| i % 17))),
            Arc::new(StringArray::from(note.clone())),
        ]
    };
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("twin.csv");
    write(&csv_path, csv.as_bytes());
    let from_csv = load(&csv_path).unwrap();
    assert!(from_csv.rejects.total > 0 && from_csv.rows > 5_000);
    for per_group in [n, 1_700] {
        let p = dir.path().join(format!("twin-{per_group}.parquet"));
        write(&p, &parquet_of(schema.clone(), cols(), per_group));
        let ds = load(&p).unwrap();
        assert_eq!(ds.rows, from_csv.rows, "{per_group}");
        assert_eq!(ds.rejects.total, from_csv.rejects.total, "{per_group}");
        assert_eq!(ds.rejects.by_kind, from_csv.rejects.by_kind, "{per_group}");
        for c in &from_csv.columns {
            let i = from_csv
                .columns
                .iter()
                .position(|x| x.name == c.name)
                .unwrap();
            let j = ds.columns.iter().position(|x| x.name == c.name).unwrap();
            let col = &ds.columns[j];
            assert_eq!(col.role, c.role, "{}", c.name);
            assert_eq!(col.data.kind(), c.data.kind(), "{}", c.name);
            let rows = |d: &Dataset, k: usize| -> Vec<String> {
                (0..d.rows)
                    .map(|r| d.cell_text(r, k).into_owned())
                    .collect()
            };
            assert_eq!(rows(&ds, j), rows(&from_csv, i), "{} {per_group}", c.name);
        }
        let distinct = |d: &Dataset, name: &str| match &d.column(name).unwrap().data {
            threatlens::dataset::ColumnData::Ip(x) => x.values.len(),
            threatlens::dataset::ColumnData::Text(x) => x.values.len(),
            _ => 0,
        };
        for name in ["src_ip", "dst_ip", "note"] {
            assert_eq!(distinct(&ds, name), distinct(&from_csv, name), "{name}");
        }
        assert!(
            distinct(&ds, "src_ip") > 3_000,
            "{}",
            distinct(&ds, "src_ip")
        );
    }
}
