//! Ingest: formats, encodings and the parallel chunked parser agreeing with a plain sequential read.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use threatlens::dataset::{ColumnData, Dataset, Role};
use threatlens::ingest::{self, LoadProgress};

fn load(bytes: &[u8]) -> Dataset {
    ingest::load_bytes("<test>", bytes).unwrap()
}

fn texts(ds: &Dataset, col: &str) -> Vec<String> {
    let i = ds.column_index(col).unwrap();
    (0..ds.rows)
        .map(|r| ds.cell_text(r, i).into_owned())
        .collect()
}

#[test]
fn chunked_parallel_parse_equals_sequential_read_with_quoted_newlines() {
    // ~6 MB, several blocks of chunks, with quoted fields spanning lines and commas.
    let mut csv = String::from("bytes_in,bytes_out,src_ip,note\n");
    let mut expect_notes = Vec::new();
    for i in 0..60_000u64 {
        let note = match i % 7 {
            0 => format!("\"multi\nline, {i}\""),
            3 => format!("\"say \"\"hi\"\" {i}\""),
            _ => format!("plain {i}"),
        };
        expect_notes.push(match i % 7 {
            0 => format!("multi\nline, {i}"),
            3 => format!("say \"hi\" {i}"),
            _ => format!("plain {i}"),
        });
        csv.push_str(&format!(
            "{},{},10.0.{}.{},{}\n",
            i,
            i * 2,
            (i / 256) % 256,
            i % 256,
            note
        ));
        if i == 30_000 {
            csv.push_str("oops,1,1.1.1.1,bad row\n");
        }
    }
    let ds = load(csv.as_bytes());
    assert_eq!(ds.rows, 60_000);
    assert_eq!(ds.rejects.total, 1);
    // Line numbers count the embedded newlines: row i starts after i + i/7 extra lines.
    let bad_line = ds.rejects.details[0].line;
    let extra = (0..=30_000u64).filter(|i| i % 7 == 0).count() as u64;
    assert_eq!(bad_line, 2 + 30_001 + extra);
    assert_eq!(texts(&ds, "note"), expect_notes);
    let ColumnData::UInt(b) = &ds.role(Role::BytesIn).unwrap().data else {
        panic!()
    };
    assert!(b.to_vec().iter().enumerate().all(|(i, &v)| v == i as u64));
}

#[test]
fn bom_crlf_semicolons_tabs_and_gzip_all_load_the_same() {
    let base = "bytes_in,bytes_out,creation_time,src_ip\n5,6,2024-04-25T23:00:00Z,1.2.3.4\n7,8,2024-04-25 23:10:00,::ffff:1.2.3.5\n";
    let reference = load(base.as_bytes());
    let variants: Vec<Vec<u8>> = vec![
        [
            b"\xef\xbb\xbf".as_slice(),
            base.replace('\n', "\r\n").as_bytes(),
        ]
        .concat(),
        base.replace(',', ";").into_bytes(),
        base.replace(',', "\t").into_bytes(),
        {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(base.as_bytes()).unwrap();
            gz.finish().unwrap()
        },
    ];
    for v in variants {
        let ds = load(&v);
        assert_eq!(ds.rows, 2);
        assert_eq!(ds.rejects.total, 0, "{:?}", ds.rejects.details);
        for c in ["bytes_in", "creation_time", "src_ip"] {
            assert_eq!(texts(&ds, c), texts(&reference, c), "{c}");
        }
    }
    assert_eq!(texts(&reference, "src_ip"), vec!["1.2.3.4", "1.2.3.5"]);
}

#[test]
fn truncated_gzip_keeps_the_rows_read_and_says_so() {
    let mut csv = String::from("bytes_in,bytes_out\n");
    for i in 0..20_000 {
        csv.push_str(&format!("{i},{}\n", i * 3 % 1000));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(csv.as_bytes()).unwrap();
    let full = gz.finish().unwrap();
    let cut = &full[..full.len() / 2];
    let ds = load(cut);
    assert!(ds.rows > 0 && ds.rows < 20_000, "{}", ds.rows);
    assert!(
        ds.notes.iter().any(|n| n.contains("ended early")),
        "{:?}",
        ds.notes
    );
}

#[test]
fn generic_mode_types_columns_and_keeps_text() {
    let ds = load(b"f0,f1,name,label\n1.5,2,a,0\n2.5,NaN,b,1\n");
    assert_eq!(ds.mode(), threatlens::dataset::SchemaMode::Generic);
    assert!(ds.column("f0").unwrap().data.is_numeric());
    assert!(ds.column("f1").unwrap().data.is_numeric());
    assert_eq!(
        ds.column("f1").unwrap().data.number(1),
        None,
        "NaN is missing"
    );
    assert!(!ds.column("name").unwrap().data.is_numeric());
    assert_eq!(ds.role(Role::Label).unwrap().name, "label");
}

#[test]
fn roles_map_in_any_order_and_case_and_extra_columns_stay() {
    let ds = load(b"Extra,SRC_IP,Bytes_Out,BYTES_IN,End_Time,Creation_Time\nx,1.2.3.4,10,20,2024-04-25T23:10:00Z,2024-04-25T23:00:00Z\n");
    assert_eq!(ds.role(Role::BytesIn).unwrap().name, "BYTES_IN");
    assert_eq!(ds.column("extra").unwrap().role, None);
    let src = ds.numeric_source("avg_packet_size").unwrap();
    assert_eq!(ds.value(src, 0), Some(30.0 / 600.0));
}

#[test]
fn zero_and_negative_durations_are_undefined_rates_with_a_note() {
    let ds = load(b"bytes_in,bytes_out,creation_time,end_time\n1,1,2024-04-25T23:00:00Z,2024-04-25T23:00:00Z\n1,1,2024-04-25T23:00:00Z,2024-04-25T22:00:00Z\n");
    let src = ds.numeric_source("bytes_per_sec").unwrap();
    assert_eq!(ds.value(src, 0), None);
    assert_eq!(ds.value(src, 1), None);
    assert!(
        ds.notes
            .iter()
            .any(|n| n.contains("1 sessions with zero duration and 1 ending before"))
    );
}

#[test]
fn a_huge_line_without_newline_is_rejected_not_buffered_forever() {
    let mut data = b"bytes_in,bytes_out\n1,2\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    data.extend(b"\n3,4\n");
    let ds = load(&data);
    assert_eq!(ds.rows, 2);
    assert_eq!(ds.rejects.total, 1);
    assert_eq!(ds.rejects.details[0].kind, "record too long");
    assert_eq!(ds.rejects.details[0].line, 3);
}

#[test]
fn cancellation_stops_the_load() {
    let progress = LoadProgress::new();
    progress
        .cancel
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let data = threatlens::demo::EMBEDDED.to_vec();
    let r = ingest::load_reader("<test>", Box::new(std::io::Cursor::new(data)), progress);
    assert!(matches!(r, Err(ingest::IngestError::Cancelled { .. })));
}
