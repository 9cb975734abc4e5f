//! Tests of the tail state machine, driven poll by poll (no sleeps, no clocks).

use super::*;
use crate::follow::lines::MAX_LINE;
use crate::follow::{Event, Header};
use std::io::Write;

fn poll(t: &mut FileTail) -> Vec<Event> {
    let mut out = Vec::new();
    t.poll(&mut |_, _| Ok(()), &mut out);
    out
}

/// The records' text, in order.
fn text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Records(r) => Some(String::from_utf8(r.bytes.clone()).unwrap()),
            _ => None,
        })
        .collect()
}

fn notices(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Notice { message, .. } => Some(message.clone()),
            Event::Problem { reason, .. } => Some(format!("problem: {reason}")),
            Event::Records(_) => None,
        })
        .collect()
}

fn append(path: &Path, text: &[u8]) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text)
        .unwrap();
}

#[test]
fn appends_are_read_once_and_a_partial_line_waits() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.csv");
    let mut t = FileTail::new(&p);
    assert!(poll(&mut t).is_empty(), "nothing there yet");
    append(&p, b"x,y\n1,2\n3,");
    let ev = poll(&mut t);
    assert_eq!(text(&ev), "1,2\n");
    let Event::Records(r) = &ev[0] else { panic!() };
    assert_eq!(
        (r.first_line, r.fresh, r.header.bytes.as_slice()),
        (2, true, b"x,y".as_slice())
    );
    assert!(poll(&mut t).is_empty(), "the partial line waits");
    append(&p, b"4\n5,6\n");
    let ev = poll(&mut t);
    assert_eq!(text(&ev), "3,4\n5,6\n");
    let Event::Records(r) = &ev[0] else { panic!() };
    assert_eq!((r.first_line, r.fresh), (3, false));
    assert!(poll(&mut t).is_empty());
}

#[test]
fn a_quoted_line_end_does_not_end_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("q.csv");
    append(&p, b"x,y\r\n1,\"a\nb");
    let mut t = FileTail::new(&p);
    assert_eq!(text(&poll(&mut t)), "");
    append(&p, b"\"\r\n2,c\r\n");
    let ev = poll(&mut t);
    assert_eq!(text(&ev), "1,\"a\nb\"\r\n2,c\r\n");
    let Event::Records(r) = &ev[0] else { panic!() };
    assert_eq!(r.first_line, 2);
}

#[test]
fn rotation_by_rename_reads_the_old_file_to_its_end_then_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.csv");
    append(&p, b"x,y\n1,1\n");
    let mut t = FileTail::new(&p);
    assert_eq!(text(&poll(&mut t)), "1,1\n");
    // The writer adds to the old file (a last line without its end), then it is moved away
    // and a new file takes the name.
    append(&p, b"2,2\n3,3");
    std::fs::rename(&p, dir.path().join("app.csv.1")).unwrap();
    append(&p, b"x,y\n4,4\n");
    let ev = poll(&mut t);
    assert_eq!(text(&ev), "2,2\n3,3\n4,4\n");
    assert!(
        notices(&ev).iter().any(|n| n.contains("rotated")),
        "{:?}",
        notices(&ev)
    );
    let fresh: Vec<bool> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Records(r) => Some(r.fresh),
            _ => None,
        })
        .collect();
    assert_eq!(fresh, vec![false, true]);
    assert!(poll(&mut t).is_empty());
    append(&p, b"5,5\n");
    assert_eq!(text(&poll(&mut t)), "5,5\n");
}

#[test]
fn a_removed_file_is_reported_and_a_new_one_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gone.csv");
    append(&p, b"x,y\n1,1\n");
    let mut t = FileTail::new(&p);
    assert_eq!(text(&poll(&mut t)), "1,1\n");
    std::fs::remove_file(&p).unwrap();
    let ev = poll(&mut t);
    assert!(notices(&ev)[0].contains("removed"), "{:?}", notices(&ev));
    assert!(poll(&mut t).is_empty());
    append(&p, b"x,y\n2,2\n");
    assert_eq!(text(&poll(&mut t)), "2,2\n");
}

#[test]
fn truncation_is_followed_from_the_start_without_reading_twice() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    append(&p, b"x,y\n1,1\n2,2\n");
    let mut t = FileTail::new(&p);
    assert_eq!(text(&poll(&mut t)), "1,1\n2,2\n");
    // `truncate -s 0`, then the writer goes on (no header).
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(0)
        .unwrap();
    let ev = poll(&mut t);
    assert!(notices(&ev)[0].contains("truncated"), "{:?}", notices(&ev));
    assert_eq!(text(&ev), "");
    append(&p, b"3,3\n");
    assert_eq!(text(&poll(&mut t)), "3,3\n");
}

#[test]
fn copytruncate_that_regrew_past_the_offset_is_noticed_and_its_header_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.csv");
    append(&p, b"x,y\n1,1\n");
    let mut t = FileTail::new(&p);
    assert_eq!(text(&poll(&mut t)), "1,1\n");
    // Copied away and truncated, then more written than was there before, header first.
    std::fs::write(&p, b"x,y\n7,7\n8,8\n9,9\n").unwrap();
    let ev = poll(&mut t);
    assert!(notices(&ev)[0].contains("rewritten"), "{:?}", notices(&ev));
    assert_eq!(text(&ev), "7,7\n8,8\n9,9\n");
    let Event::Records(r) = &ev[1] else { panic!() };
    assert_eq!((r.first_line, r.fresh), (2, true));
}

#[test]
fn a_refused_header_or_a_binary_file_is_reported_once_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.csv");
    append(&p, b"a,b,c\n1,2,3\n");
    let mut t = FileTail::new(&p);
    let mut out = Vec::new();
    let mut refuse = |_: &Path, h: &Header| -> Result<(), String> {
        Err(format!(
            "header {} differs",
            String::from_utf8_lossy(&h.bytes)
        ))
    };
    t.poll(&mut refuse, &mut out);
    assert_eq!(
        notices(&out),
        vec!["problem: header a,b,c differs".to_string()]
    );
    append(&p, b"4,5,6\n");
    out.clear();
    t.poll(&mut refuse, &mut out);
    assert!(out.is_empty(), "{:?}", notices(&out));

    let b = dir.path().join("b.bin");
    std::fs::write(&b, [0u8, 1, 2, 3, b'\n', 0, 0]).unwrap();
    let mut t = FileTail::new(&b);
    let ev = poll(&mut t);
    assert!(notices(&ev)[0].contains("binary"), "{:?}", notices(&ev));
    assert!(poll(&mut t).is_empty());
}

#[test]
fn a_gzip_file_is_read_once_when_complete() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("z.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"x,y\n1,1\n2,2").unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let mut t = FileTail::new(&p);
    assert!(poll(&mut t).is_empty(), "half a gzip file waits");
    std::fs::write(&p, &bytes).unwrap();
    assert_eq!(text(&poll(&mut t)), "1,1\n2,2\n");
    assert!(poll(&mut t).is_empty(), "read once");
}

#[test]
fn an_overlong_record_is_skipped_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.csv");
    append(&p, b"x,y\n1,1\n");
    let mut t = FileTail::new(&p);
    assert_eq!(text(&poll(&mut t)), "1,1\n");
    append(&p, &vec![b'9'; MAX_LINE + 10]);
    let ev = poll(&mut t);
    assert!(notices(&ev)[0].contains("1 MiB"), "{:?}", notices(&ev));
    append(&p, b"99\n2,2\n");
    assert_eq!(text(&poll(&mut t)), "2,2\n");
}
