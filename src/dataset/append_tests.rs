use super::*;
use crate::ingest::batch::BatchSchema;
use crate::source::local::LocalSource;
use crate::source::{RankingQuery, RecordsQuery, Scope, Source, TimelineQuery};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The demo file split after its header, and cut into `parts` batches at line ends.
fn demo_batches(rows: usize, parts: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut csv = Vec::new();
    crate::demo::write_demo(&mut csv, rows, 7).unwrap();
    let nl = csv.iter().position(|&b| b == b'\n').unwrap();
    let body = csv[nl + 1..].to_vec();
    let mut batches = Vec::new();
    let mut from = 0;
    for k in 1..=parts {
        let to = if k == parts {
            body.len()
        } else {
            let mid = body.len() * k / parts;
            mid + body[mid..].iter().position(|&b| b == b'\n').unwrap() + 1
        };
        batches.push(body[from..to].to_vec());
        from = to;
    }
    (csv, batches)
}

fn grown(csv: &[u8], batches: &[Vec<u8>]) -> Dataset {
    let nl = csv.iter().position(|&b| b == b'\n').unwrap();
    let schema = BatchSchema::new("t.csv", &csv[..nl], &batches[0]).unwrap();
    let mut line = 2;
    let mut parsed = batches.iter().map(|b| {
        let ds = schema.parse("t.csv", b, line);
        line += ds.rows as u64;
        ds
    });
    let mut app = Appender::new(parsed.next().unwrap());
    for batch in parsed {
        app.append(&batch).unwrap();
    }
    app.into_dataset()
}

#[test]
fn views_after_appends_are_those_of_the_whole_file() {
    let (csv, batches) = demo_batches(600, 4);
    let whole = crate::ingest::load_bytes("t.csv", &csv).unwrap();
    let grown = grown(&csv, &batches);
    assert_eq!(grown.rows, whole.rows);
    for r in 0..whole.rows {
        for c in 0..whole.columns.len() {
            assert_eq!(
                grown.cell_text(r, c),
                whole.cell_text(r, c),
                "row {r} col {c}"
            );
        }
    }
    let params = crate::detect::pipeline::DetectParams::defaults_for(&whole);
    let fit = |ds: &Dataset| {
        crate::detect::pipeline::DetectionRun::run(ds, &params, &Default::default()).unwrap()
    };
    let (a, b) = (fit(&whole), fit(&grown));
    assert_eq!(a.scores(), b.scores());
    let rule = Some(crate::detect::Rule::TopK(10));
    let a = LocalSource::new(Arc::new(whole), Some(Arc::new(a)));
    let b = LocalSource::new(Arc::new(grown), Some(Arc::new(b)));
    let no = AtomicBool::new(false);
    for filter in [None, Some("bytes_in > 1000".to_string())] {
        let scope = Scope { filter, rule };
        assert_eq!(
            a.summary(&scope, &no).unwrap(),
            b.summary(&scope, &no).unwrap()
        );
        let tq = TimelineQuery {
            scope: scope.clone(),
            bucket_secs: None,
            range: None,
        };
        assert_eq!(a.timeline(&tq, &no).unwrap(), b.timeline(&tq, &no).unwrap());
        let rq = RankingQuery {
            scope: scope.clone(),
            key: "src_ip".into(),
            by: Default::default(),
            top: 20,
        };
        assert_eq!(a.ranking(&rq, &no).unwrap(), b.ranking(&rq, &no).unwrap());
        let pq = RecordsQuery {
            scope: scope.clone(),
            sort: None,
            offset: 100,
            limit: 50,
        };
        assert_eq!(a.records(&pq, &no).unwrap(), b.records(&pq, &no).unwrap());
        let aq = crate::source::AnomalyQuery { scope, limit: 10 };
        assert_eq!(
            a.anomalies(&aq, &no).unwrap(),
            b.anomalies(&aq, &no).unwrap()
        );
    }
}

#[test]
fn codes_of_earlier_rows_never_change() {
    let (csv, batches) = demo_batches(300, 3);
    let nl = csv.iter().position(|&b| b == b'\n').unwrap();
    let schema = BatchSchema::new("t.csv", &csv[..nl], &batches[0]).unwrap();
    let first = schema.parse("t.csv", &batches[0], 2);
    let before = first.clone();
    let mut app = Appender::new(first);
    app.append(&schema.parse("t.csv", &batches[1], 2)).unwrap();
    app.append(&schema.parse("t.csv", &batches[2], 2)).unwrap();
    let after = app.dataset();
    for (old, new) in before.columns.iter().zip(&after.columns) {
        match (&old.data, &new.data) {
            (ColumnData::Ip(a), ColumnData::Ip(b)) => {
                assert_eq!(a.values[..], b.values[..a.values.len()]);
                assert!((0..before.rows).all(|r| a.codes.get(r) == b.codes.get(r)));
            }
            (ColumnData::Text(a), ColumnData::Text(b)) => {
                assert_eq!(a.values[..], b.values[..a.values.len()]);
                assert!((0..before.rows).all(|r| a.codes.get(r) == b.codes.get(r)));
            }
            _ => {}
        }
    }
    // A value seen again gets its old code, not a new entry.
    let ip = after.role_index(crate::dataset::Role::SrcIp).unwrap();
    let ColumnData::Ip(d) = &after.columns[ip].data else {
        panic!("src_ip is not an ip column")
    };
    let mut seen = std::collections::HashSet::new();
    assert!(d.values.iter().all(|v| seen.insert(*v)));
}

#[test]
fn a_batch_of_other_columns_is_refused_and_changes_nothing() {
    let schema = BatchSchema::new("t.csv", b"a,b", b"1,x\n").unwrap();
    let other = BatchSchema::new("u.csv", b"a,c", b"1,x\n").unwrap();
    let mut app = Appender::new(schema.parse("t.csv", b"1,x\n2,y\n", 2));
    let err = app.append(&other.parse("u.csv", b"3,z\n", 2)).unwrap_err();
    assert!(
        err.to_string().contains("'c' in the batch but 'b'"),
        "{err}"
    );
    assert_eq!(app.dataset().rows, 2);
    let narrow = BatchSchema::new("v.csv", b"a", b"1\n").unwrap();
    assert!(matches!(
        app.append(&narrow.parse("v.csv", b"3\n", 2)),
        Err(AppendError::ColumnCount {
            expected: 2,
            found: 1
        })
    ));
    // Rejects and their counts add up.
    let added = app
        .append(&schema.parse("t.csv", b"3,z\nbad,row,here\n", 4))
        .unwrap();
    assert_eq!(added, 1);
    assert_eq!(app.dataset().rows, 3);
    assert_eq!(app.dataset().rejects.total, 1);
    assert_eq!(app.dataset().cell_text(2, 1), "z");
}

#[test]
fn dropping_the_first_rows_keeps_the_rest_and_appends_go_on() {
    let (csv, batches) = demo_batches(400, 4);
    let whole = crate::ingest::load_bytes("t.csv", &csv).unwrap();
    let nl = csv.iter().position(|&b| b == b'\n').unwrap();
    let schema = BatchSchema::new("t.csv", &csv[..nl], &batches[0]).unwrap();
    let mut app = Appender::new(schema.parse("t.csv", &batches[0], 2));
    app.append(&schema.parse("t.csv", &batches[1], 2)).unwrap();
    let before = app.dataset().rows;
    app.drop_front(150);
    assert_eq!(app.dataset().rows, before - 150);
    assert!(app.dataset().origin.is_none(), "a window is not a subset");
    app.append(&schema.parse("t.csv", &batches[2], 2)).unwrap();
    app.append(&schema.parse("t.csv", &batches[3], 2)).unwrap();
    let kept = app.dataset();
    assert_eq!(kept.rows, whole.rows - 150);
    for r in [0, 1, 99, kept.rows - 1] {
        for c in 0..whole.columns.len() {
            assert_eq!(kept.cell_text(r, c), whole.cell_text(r + 150, c), "row {r}");
        }
    }
    app.drop_front(0);
    assert_eq!(app.dataset().rows, whole.rows - 150);
}
