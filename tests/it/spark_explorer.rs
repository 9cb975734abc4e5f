//! The explorer's views over a real Spark table (feature `spark`): the remote source the explorer
//! asks (`source::remote_source`) gives the same records, summary, ranking, timeline and
//! drill-down as the local source over the same generated CSV; after a lost session it
//! reconnects. Needs THREATLENS_SPARK; ignored by default, loud when asked for without it.

use super::bin;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use threatlens::analysis::rankings::RankBy;
use threatlens::source::engine::{EngineError, connect};
use threatlens::source::local::LocalSource;
use threatlens::source::remote::Remote;
use threatlens::source::remote_source::RemoteSource;
use threatlens::source::{RankingQuery, RecordsQuery, Scope, Source, TimelineQuery};
use threatlens::sql::Dialect;

const ROWS: usize = 5_000;

fn spark() -> String {
    match std::env::var("THREATLENS_SPARK") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "explorer over Spark: THREATLENS_SPARK is not set; start a cluster with tests/spark/start.sh and export what it prints"
        ),
    }
}

fn scope(filter: Option<&str>) -> Scope {
    Scope {
        filter: filter.map(String::from),
        rule: None,
    }
}

#[test]
#[ignore = "needs a Spark Connect server (CI starts one)"]
fn the_explorers_views_over_spark_equal_the_local_ones() {
    let url = spark();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cw.csv");
    let csv_s = csv.to_str().unwrap().to_string();
    bin()
        .args(["demo", "--rows", &ROWS.to_string(), "-o", &csv_s])
        .assert()
        .success();
    let d = Dialect::Spark;
    let table = format!("tl_explorer_{}", std::process::id());
    let setup = connect(&url, Duration::from_secs(120)).unwrap();
    let never = AtomicBool::new(false);
    setup
        .query(
            &format!("DROP TABLE IF EXISTS {}", d.ident(&table).unwrap()),
            &never,
        )
        .unwrap();
    setup
        .query(
            &format!(
                "CREATE TABLE {} USING csv OPTIONS (path {}, header 'true')",
                d.ident(&table).unwrap(),
                d.string(&csv_s)
            ),
            &never,
        )
        .unwrap();
    let (u, t) = (url.clone(), table.clone());
    let opens = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = opens.clone();
    let opener = Box::new(move |cancel: &AtomicBool| -> Result<Remote, EngineError> {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Remote::open(connect(&u, Duration::from_secs(120))?, &t, &[], cancel)
    });
    let remote = RemoteSource::open(opener, &never).unwrap();
    let ds = threatlens::ingest::load_bytes("cw.csv", &std::fs::read(&csv).unwrap()).unwrap();
    let local = LocalSource::new(Arc::new(ds), None);

    // Records: the same rows, page by page, under a filter.
    let ip = local
        .ranking(
            &RankingQuery {
                scope: scope(None),
                key: "src_ip".into(),
                by: RankBy::Sessions,
                top: 1,
            },
            &never,
        )
        .unwrap()
        .rows[0]
        .key
        .clone();
    let filter = format!("src_ip = {ip}");
    let page = |s: &dyn Source, f: Option<&str>| {
        let p = s
            .records(
                &RecordsQuery {
                    scope: scope(f),
                    sort: None,
                    offset: 0,
                    limit: 10_000,
                },
                &never,
            )
            .unwrap();
        let rows: BTreeSet<Vec<String>> = p.rows.iter().map(|r| r.cells.clone()).collect();
        (p.total, rows)
    };
    let (lt, lrows) = page(&local, Some(&filter));
    let (rt, rrows) = page(&remote, Some(&filter));
    assert_eq!(lt, rt);
    assert_eq!(lrows, rrows);
    assert_eq!(page(&remote, None).0, ROWS);

    // Summary, ranking, timeline.
    let (ls, rs) = (
        local.summary(&scope(None), &never).unwrap(),
        remote.summary(&scope(None), &never).unwrap(),
    );
    assert_eq!(ls.rows, rs.rows);
    assert_eq!(ls.unique_src_ips, rs.unique_src_ips);
    for ((ln, l), (rn, r)) in ls.numeric.0.iter().zip(&rs.numeric.0) {
        assert_eq!(ln, rn);
        let (a, b) = (l.mean.unwrap_or(0.0), r.mean.unwrap_or(0.0));
        assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{ln}: {a} vs {b}");
    }
    let rank = |s: &dyn Source| {
        let r = s
            .ranking(
                &RankingQuery {
                    scope: scope(None),
                    key: "dst_port".into(),
                    by: RankBy::Sessions,
                    top: 5,
                },
                &never,
            )
            .unwrap();
        (
            r.distinct,
            r.rows
                .iter()
                .map(|x| (x.key.clone(), x.sessions, x.bytes_in))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(rank(&local), rank(&remote));
    let timeline = |s: &dyn Source| {
        s.timeline(
            &TimelineQuery {
                scope: scope(None),
                bucket_secs: Some(3600),
                range: None,
            },
            &never,
        )
        .unwrap()
        .series
        .buckets
    };
    assert_eq!(timeline(&local), timeline(&remote));

    // A record's drill-down: its fields and every session of its source address.
    let (_, rows) = page(&remote, Some(&filter));
    let first = remote
        .records(
            &RecordsQuery {
                scope: scope(Some(&filter)),
                sort: None,
                offset: 0,
                limit: 1,
            },
            &never,
        )
        .unwrap()
        .rows[0]
        .clone();
    assert!(rows.contains(&first.cells));
    let detail = remote.detail(first.id, &scope(None), 10, &never).unwrap();
    assert_eq!(
        detail
            .fields
            .iter()
            .map(|f| f.1.clone())
            .collect::<Vec<_>>(),
        first.cells
    );
    let same = detail.same_source.unwrap();
    assert_eq!(same.ip, ip);
    assert_eq!(same.total, lt);
    assert_eq!(same.sessions.len(), lt.min(10));

    // Detection in the engine: the anomaly list is the highest scores, above the threshold.
    remote
        .detect(
            &Default::default(),
            threatlens::detect::Contamination::Fraction(0.05),
            20,
            &never,
        )
        .unwrap();
    let a = remote
        .anomalies(
            &threatlens::source::AnomalyQuery {
                scope: Scope::default(),
                limit: 20,
            },
            &never,
        )
        .unwrap();
    assert!(a.total > ROWS / 40 && a.total <= ROWS / 10, "{}", a.total);
    assert_eq!(a.rows.len(), 20);
    assert!(a.rows.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(a.rows.iter().all(|r| r.score > a.threshold));
    let top = remote
        .detail(a.rows[0].id, &scope(None), 5, &never)
        .unwrap();
    assert_eq!(top.fields.len(), a.rows[0].cells.len());
    assert!(top.record.flagged);
    let score = top.record.score.unwrap();
    assert!((score - a.rows[0].score).abs() < 1e-12, "{score}");
    assert_eq!(opens.load(std::sync::atomic::Ordering::SeqCst), 1);
}
