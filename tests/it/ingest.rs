//! Ingest: formats, encodings and the parallel chunked parser agreeing with a plain sequential read.

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

/// Yields its bytes, then fails like a truncated gzip stream.
struct CutOff(std::io::Cursor<Vec<u8>>);

impl std::io::Read for CutOff {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => Ok(n),
        }
    }
}

fn load_cut_off(bytes: &[u8]) -> Result<Dataset, ingest::IngestError> {
    let reader = CutOff(std::io::Cursor::new(bytes.to_vec()));
    ingest::load_reader("<cut>", Box::new(reader), LoadProgress::new())
}

#[test]
fn a_record_cut_off_by_a_read_error_is_rejected_not_loaded_short() {
    // "3,45" may be the start of "3,4567": loading it would invent a value.
    let ds = load_cut_off(b"bytes_in,bytes_out\n1,2\n3,45").unwrap();
    assert_eq!(ds.rows, 1);
    assert_eq!(ds.rejects.total, 1);
    assert_eq!(ds.rejects.details[0].kind, "incomplete record");
    assert_eq!(ds.rejects.details[0].line, 3);
    // Cut right after a record: nothing is lost, nothing rejected.
    let ds = load_cut_off(b"bytes_in,bytes_out\n1,2\n3,4\n").unwrap();
    assert_eq!((ds.rows, ds.rejects.total), (2, 0));
    // Cut inside the header: nothing to load.
    let e = load_cut_off(b"bytes_in,bytes_o").unwrap_err();
    assert!(e.to_string().contains("inside the header"), "{e}");
}

#[test]
fn an_unclosed_quote_at_the_end_does_not_swallow_the_last_lines() {
    let ds = load(b"bytes_in,bytes_out,note\n1,2,ok\n3,4,\"open\n5,6,hidden\n7,8,hidden\n");
    assert_eq!(ds.rows, 1);
    assert_eq!(ds.rejects.details[0].kind, "unclosed quote");
    assert_eq!(ds.rejects.details[0].line, 3);
    assert!(
        ds.rejects.details[0].message.contains("3 lines"),
        "{:?}",
        ds.rejects.details[0]
    );
    // A closed quote on the last line without a newline loads.
    let ds = load(b"bytes_in,bytes_out,note\n1,2,\"closed, \"\"really\"\"\"");
    assert_eq!((ds.rows, ds.rejects.total), (1, 0));
    assert_eq!(texts(&ds, "note"), vec!["closed, \"really\""]);
}

#[test]
fn duplicate_header_names_get_names_of_their_own() {
    let ds = load(b"bytes_in,bytes_out,BYTES_IN,x,x.1,x,,\n1,2,100,a,b,c,d,e\n");
    let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bytes_in",
            "bytes_out",
            "BYTES_IN.1",
            "x",
            "x.1",
            "x.2",
            "column_7",
            "column_8"
        ]
    );
    assert_eq!(ds.role(Role::BytesIn).unwrap().name, "bytes_in");
    assert_eq!(ds.column("BYTES_IN.1").unwrap().data.number(0), Some(100.0));
    assert!(
        ds.notes
            .iter()
            .any(|n| n.contains("this one is called 'x.2'")),
        "{:?}",
        ds.notes
    );
}

#[test]
fn a_few_control_bytes_in_the_header_are_text_not_binary() {
    let ds = load(b"bytes_in,\x1b]2;pwned\x07note\n1,x\n");
    assert_eq!(ds.columns[1].name, "\x1b]2;pwned\x07note");
    let binary = [b"bytes_in,".as_slice(), &[1u8; 40], b"\n1,x\n"].concat();
    let e = ingest::load_bytes("<test>", &binary).unwrap_err();
    assert!(e.to_string().contains("control bytes"), "{e}");
}

#[test]
fn inf_among_numbers_is_a_rejected_row_not_a_text_column() {
    let ds = ingest::load_bytes(
        "<test>",
        b"f0,f1\n1.5,inf\n2.5,1\n3.5,-Infinity\n4.5,1e999\n",
    )
    .unwrap();
    assert!(ds.column("f1").unwrap().data.is_numeric());
    assert_eq!(ds.rows, 1);
    assert_eq!(ds.rejects.by_kind.get("not a finite number"), Some(&3));
    // Only non-finite values: no number to go by, so the column is text.
    let ds = load(b"f0,f1\n1.5,inf\n2.5,Infinity\n");
    assert!(!ds.column("f1").unwrap().data.is_numeric());
}

#[test]
fn line_numbers_count_crlf_blank_lines_and_lines_before_the_header() {
    let lines =
        |csv: &[u8]| -> Vec<u64> { load(csv).rejects.details.iter().map(|r| r.line).collect() };
    assert_eq!(lines(b"bytes_in,b\r\n1,2\r\nx,2\r\n1,2\r\ny,2"), [3, 5]);
    assert_eq!(lines(b"bytes_in,b\n1,2\n\n\nx,2\n"), [5]);
    assert_eq!(lines(b"\n\r\n\nbytes_in,b\n1,2\nx,2\n"), [6]);
    assert_eq!(lines(b"bytes_in,\"b\nc\"\r\nx,2\r\n1,2\n"), [3]);
}

#[test]
fn a_byte_order_mark_after_the_header_is_data() {
    let ds = load("note,bytes_in\n\u{feff}x,1\n".as_bytes());
    assert_eq!(texts(&ds, "note"), ["\u{feff}x"]);
}
