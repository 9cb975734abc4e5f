//! The remote source over a fake engine: answered views, and a lost connection that drops the
//! session so the next view reconnects (the opener runs again).

use super::*;
use std::sync::atomic::AtomicUsize;

/// Answers the queries of an open and a records page with canned tables; `dead` fails every call
/// as a lost connection would.
struct FakeEngine {
    dead: Arc<AtomicBool>,
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

impl crate::source::engine::SqlEngine for FakeEngine {
    fn shown(&self) -> String {
        "sc://fake:1".into()
    }
    fn query(&self, sql: &str, _: &AtomicBool) -> Result<Table, EngineError> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(EngineError::Unreachable {
                at: self.shown(),
                cause: "connection refused".into(),
            });
        }
        let columns = |c: &[&str]| c.iter().map(|s| s.to_string()).collect();
        Ok(if sql.starts_with("CREATE") {
            Table::default()
        } else if sql.contains("COUNT(*)") {
            Table {
                columns: columns(&["n"]),
                rows: vec![vec![Cell::Int(2)]],
            }
        } else if sql.contains("OFFSET") {
            Table {
                columns: columns(&[pages::ID, "src_ip", "bytes_in"]),
                rows: vec![
                    vec![Cell::Int(-5), text("10.0.0.1"), Cell::Int(10)],
                    vec![Cell::Int(7), text("10.0.0.2"), Cell::Int(20)],
                ],
            }
        } else {
            Table {
                columns: columns(&["src_ip", "bytes_in"]),
                rows: vec![
                    vec![text("10.0.0.1"), Cell::Int(10)],
                    vec![text("10.0.0.2"), Cell::Int(20)],
                ],
            }
        })
    }
    fn columns(&self, _: &str) -> Result<Vec<String>, EngineError> {
        Ok(vec!["src_ip".into(), "bytes_in".into()])
    }
}

fn page(s: &RemoteSource) -> Result<RecordsPage, SourceError> {
    s.records(
        &RecordsQuery {
            scope: Scope::default(),
            sort: None,
            offset: 0,
            limit: 10,
        },
        &AtomicBool::new(false),
    )
}

#[test]
fn a_lost_connection_drops_the_session_and_the_next_view_reconnects() {
    let dead = Arc::new(AtomicBool::new(false));
    let opens = Arc::new(AtomicUsize::new(0));
    let (d, o) = (dead.clone(), opens.clone());
    let opener: Opener = Box::new(move |cancel| {
        o.fetch_add(1, Ordering::SeqCst);
        Remote::open(
            Box::new(FakeEngine { dead: d.clone() }),
            "logs",
            &[],
            cancel,
        )
    });
    let source = RemoteSource::open(opener, &AtomicBool::new(false)).unwrap();
    let p = page(&source).unwrap();
    assert_eq!(p.total, 2);
    assert_eq!(p.rows[0].cells, vec!["10.0.0.1", "10"]);
    // The engine's signed hash is the row id's bits.
    assert_eq!(p.rows[0].id, (-5i64) as u64);
    assert_eq!(source.info().rows, 2);

    dead.store(true, Ordering::SeqCst);
    let e = page(&source).unwrap_err();
    assert!(e.to_string().contains("cannot reach"), "{e}");
    // Still down: the reconnect fails the same way, and does not panic or hang.
    assert!(
        page(&source)
            .unwrap_err()
            .to_string()
            .contains("cannot reach")
    );
    dead.store(false, Ordering::SeqCst);
    assert_eq!(page(&source).unwrap().total, 2);
    assert_eq!(opens.load(Ordering::SeqCst), 3);
    assert_eq!(
        source.anomalies(
            &AnomalyQuery {
                scope: Scope::default(),
                limit: 5
            },
            &AtomicBool::new(false)
        ),
        Err(SourceError::NoModel)
    );
}
