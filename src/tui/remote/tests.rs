//! Tests of the remote explorer over fake sources: one answering canned views, one that blocks
//! until cancelled, one whose connection is lost and comes back. Driven through the same key path
//! a terminal takes, drawn on a `TestBackend`.

use super::*;
use crate::analysis::timeseries::{Bucket, Series};
use crate::source::{
    Anomaly, ColumnInfo, RankedRow, Ranking, Record, SameSource, SourceInfo, Timeline,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::atomic::AtomicUsize;

/// How the fake behaves.
#[derive(Default)]
struct Fake {
    /// Views block until cancelled.
    block: bool,
    /// Calls that fail with a lost connection before the fake answers again.
    lose: AtomicUsize,
    calls: AtomicUsize,
    summaries: AtomicUsize,
    saw_cancel: AtomicBool,
    filters: Mutex<Vec<Option<String>>>,
    detected: AtomicBool,
}

impl Fake {
    fn enter(&self, scope: &Scope, cancel: &AtomicBool) -> Result<(), SourceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut f) = self.filters.lock() {
            f.push(scope.filter.clone());
        }
        if self.block {
            while !cancel.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            self.saw_cancel.store(true, Ordering::SeqCst);
            return Err(SourceError::Cancelled);
        }
        if self
            .lose
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(SourceError::Unavailable(
                "cannot reach the Spark Connect server at sc://127.0.0.1:15002: connection refused"
                    .into(),
            ));
        }
        Ok(())
    }
}

fn record(id: u64, ip: &str) -> Record {
    Record {
        id,
        line: None,
        cells: vec![ip.into(), "443".into()],
        score: None,
        flagged: false,
    }
}

impl Source for Fake {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: "sc://127.0.0.1:15002 logs".into(),
            rows: 3,
            columns: ["src_ip", "dst_port"]
                .map(|n| ColumnInfo {
                    name: n.into(),
                    kind: "text",
                    numeric: false,
                })
                .to_vec(),
            ..SourceInfo::default()
        }
    }
    fn version(&self) -> u64 {
        1
    }
    fn records(&self, q: &RecordsQuery, c: &AtomicBool) -> Result<RecordsPage, SourceError> {
        self.enter(&q.scope, c)?;
        let rows = if q.scope.filter.is_some() {
            vec![record(7, "10.9.9.9")]
        } else {
            vec![record(1, "10.0.0.1"), record(2, "10.0.0.2")]
        };
        Ok(RecordsPage {
            total: rows.len(),
            offset: q.offset,
            rows,
        })
    }
    fn summary(&self, scope: &Scope, c: &AtomicBool) -> Result<Summary, SourceError> {
        self.enter(scope, c)?;
        self.summaries.fetch_add(1, Ordering::SeqCst);
        Ok(Summary {
            source: "fake-summary-source".into(),
            rows: 3,
            ..crate::analysis::summary::summarize(
                &crate::ingest::load_bytes("<demo>", crate::demo::EMBEDDED).unwrap(),
                crate::analysis::Rows::All(0),
                Default::default(),
            )
        })
    }
    fn timeline(&self, q: &TimelineQuery, c: &AtomicBool) -> Result<Timeline, SourceError> {
        self.enter(&q.scope, c)?;
        Ok(Timeline {
            series: Series {
                width_secs: 3600,
                buckets: vec![Bucket {
                    start: 0,
                    sessions: 42,
                    bytes_in: 1,
                    bytes_out: 2,
                }],
            },
            flagged: vec![0],
        })
    }
    fn ranking(&self, q: &RankingQuery, c: &AtomicBool) -> Result<Ranking, SourceError> {
        self.enter(&q.scope, c)?;
        Ok(Ranking {
            key: q.key.clone(),
            distinct: 9,
            rows: vec![RankedRow {
                key: format!("top-of-{}", q.key),
                sessions: 5,
                bytes_in: Some(10),
                bytes_out: None,
                flagged: 0,
                max_score: None,
                dst_ports: None,
                dst_addrs: None,
            }],
        })
    }
    fn anomalies(&self, q: &AnomalyQuery, c: &AtomicBool) -> Result<AnomalyList, SourceError> {
        self.enter(&q.scope, c)?;
        if !self.detected.load(Ordering::SeqCst) {
            return Err(SourceError::NoModel);
        }
        Ok(AnomalyList {
            threshold: 0.6,
            total: 1,
            rows: vec![Anomaly {
                cells: vec!["10.6.6.6".into(), "22".into()],
                id: 66,
                score: 0.71,
                rank: 1,
                patterns: Vec::new(),
                why: "bytes_in far above the median".into(),
            }],
        })
    }
    fn detail(
        &self,
        id: RowId,
        scope: &Scope,
        _: usize,
        c: &AtomicBool,
    ) -> Result<RecordDetail, SourceError> {
        self.enter(scope, c)?;
        Ok(RecordDetail {
            record: record(id, "10.0.0.1"),
            fields: vec![("src_ip".into(), format!("detail-of-{id}"))],
            derived: Vec::new(),
            rank: None,
            explanation: None,
            patterns: Vec::new(),
            same_source: Some(SameSource {
                ip: "10.0.0.1".into(),
                total: 12,
                ..SameSource::default()
            }),
            facts: None,
        })
    }
}

fn app(fake: Arc<Fake>) -> RemoteApp {
    let marker = fake.clone();
    let detector: Detector = Arc::new(move |_| {
        marker.detected.store(true, Ordering::SeqCst);
        Ok(())
    });
    let dims = vec![
        ("source IPs".to_string(), "src_ip".to_string()),
        ("destination ports".to_string(), "dst_port".to_string()),
    ];
    RemoteApp::new(fake, detector, dims)
}

/// Takes answers until no query runs (bounded so that a hang fails instead of blocking).
fn wait_idle(app: &mut RemoteApp) {
    for _ in 0..2000 {
        app.poll();
        if !app.busy() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the query never finished");
}

fn screen(app: &RemoteApp) -> String {
    let mut t = Terminal::new(TestBackend::new(110, 30)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    let buf = t.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn press(app: &mut RemoteApp, keys: &str) {
    for c in keys.chars() {
        app.key(Key::Char(c));
    }
}

#[test]
fn every_tab_shows_its_remote_view_or_says_it_cannot() {
    let fake = Arc::new(Fake::default());
    let mut app = app(fake.clone());
    wait_idle(&mut app);
    assert!(screen(&app).contains("10.0.0.2"), "{}", screen(&app));
    let expect = [
        (2, "fake-summary-source"),
        (3, "42"),
        (3, "bucket start"),
        (4, "top-of-src_ip"),
        (5, "bytes_in far above the median"),
        (6, "not computed over an engine yet"),
        (7, "not computed over an engine yet"),
    ];
    for (tab, text) in expect {
        press(&mut app, &tab.to_string());
        wait_idle(&mut app);
        let s = screen(&app);
        assert!(s.contains(text), "tab {tab}:\n{s}");
        assert!(!s.contains("Not answered"), "tab {tab}:\n{s}");
    }
    // The other ranking, then the first again from the cache.
    press(&mut app, "4");
    app.key(Key::Right);
    wait_idle(&mut app);
    assert!(screen(&app).contains("top-of-dst_port"));
}

#[test]
fn going_back_to_a_tab_is_answered_from_the_cache() {
    let fake = Arc::new(Fake::default());
    let mut app = app(fake.clone());
    wait_idle(&mut app);
    press(&mut app, "2");
    wait_idle(&mut app);
    press(&mut app, "1");
    wait_idle(&mut app);
    let calls = fake.calls.load(Ordering::SeqCst);
    press(&mut app, "2");
    // No query: the answer is on screen at once.
    assert!(!app.busy());
    assert!(screen(&app).contains("fake-summary-source"));
    assert_eq!(fake.calls.load(Ordering::SeqCst), calls);
    assert_eq!(fake.summaries.load(Ordering::SeqCst), 1);
}

#[test]
fn the_filter_bar_scopes_every_view() {
    let fake = Arc::new(Fake::default());
    let mut app = app(fake.clone());
    wait_idle(&mut app);
    press(&mut app, "/src_ip = 10.9.9.9");
    assert!(screen(&app).contains("filter> src_ip = 10.9.9.9"));
    app.key(Key::Enter);
    wait_idle(&mut app);
    let s = screen(&app);
    assert!(s.contains("10.9.9.9") && !s.contains("10.0.0.2"), "{s}");
    press(&mut app, "2");
    wait_idle(&mut app);
    let filters = fake.filters.lock().unwrap().clone();
    assert_eq!(
        filters.last().cloned().flatten().as_deref(),
        Some("src_ip = 10.9.9.9")
    );
}

#[test]
fn esc_cancels_the_running_query_and_the_engine_sees_it() {
    let fake = Arc::new(Fake {
        block: true,
        ..Fake::default()
    });
    let mut app = app(fake.clone());
    app.tick();
    assert!(app.busy());
    assert!(screen(&app).contains("querying Spark… (Esc cancels)"));
    app.key(Key::Back);
    assert!(!app.busy());
    // The loop asks for the screen's view after every draw: a cancelled one stays cancelled.
    app.request();
    assert!(!app.busy());
    let s = screen(&app);
    assert!(
        s.contains("query cancelled") && s.contains("Not answered: cancelled"),
        "{s}"
    );
    for _ in 0..2000 {
        if fake.saw_cancel.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(fake.saw_cancel.load(Ordering::SeqCst));
    // Switching tab asks the new view (and cancels it in turn).
    press(&mut app, "2");
    assert!(app.busy());
    app.key(Key::Back);
}

#[test]
fn a_lost_connection_is_said_and_the_next_request_retries() {
    let fake = Arc::new(Fake {
        lose: AtomicUsize::new(1),
        ..Fake::default()
    });
    let mut app = app(fake.clone());
    wait_idle(&mut app);
    let s = screen(&app);
    assert!(s.contains("connection lost"), "{s}");
    assert!(s.contains("r retries"), "{s}");
    // Not asked again by itself: one failed call, then quiet until r.
    std::thread::sleep(std::time::Duration::from_millis(50));
    app.poll();
    assert!(!app.busy());
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
    app.key(Key::Char('r'));
    wait_idle(&mut app);
    let s = screen(&app);
    assert!(
        s.contains("10.0.0.1") && !s.contains("connection lost"),
        "{s}"
    );
}

#[test]
fn enter_opens_the_record_with_its_sources_sessions() {
    let fake = Arc::new(Fake::default());
    let mut app = app(fake.clone());
    wait_idle(&mut app);
    app.key(Key::Down);
    app.key(Key::Enter);
    wait_idle(&mut app);
    let s = screen(&app);
    assert!(s.contains("detail-of-2"), "{s}");
    assert!(s.contains("Sessions of 10.0.0.1 in the table: 12"), "{s}");
    app.key(Key::Back);
    assert!(screen(&app).contains("10.0.0.2"));
    // The anomaly's drill-down is the flagged row's.
    press(&mut app, "5");
    wait_idle(&mut app);
    app.key(Key::Enter);
    wait_idle(&mut app);
    assert!(screen(&app).contains("detail-of-66"));
}

#[test]
fn hostile_cells_are_drawn_inert() {
    struct Hostile(Fake);
    impl Source for Hostile {
        fn info(&self) -> SourceInfo {
            self.0.info()
        }
        fn version(&self) -> u64 {
            1
        }
        fn records(&self, q: &RecordsQuery, c: &AtomicBool) -> Result<RecordsPage, SourceError> {
            let mut p = self.0.records(q, c)?;
            p.rows[0].cells[0] = "\u{1b}[2J\u{1b}]52;c;AAAA\u{7}evil".into();
            Ok(p)
        }
        fn summary(&self, s: &Scope, c: &AtomicBool) -> Result<Summary, SourceError> {
            self.0.summary(s, c)
        }
        fn timeline(&self, q: &TimelineQuery, c: &AtomicBool) -> Result<Timeline, SourceError> {
            self.0.timeline(q, c)
        }
        fn ranking(&self, q: &RankingQuery, c: &AtomicBool) -> Result<Ranking, SourceError> {
            self.0.ranking(q, c)
        }
        fn anomalies(&self, q: &AnomalyQuery, c: &AtomicBool) -> Result<AnomalyList, SourceError> {
            self.0.anomalies(q, c)
        }
        fn detail(
            &self,
            id: RowId,
            s: &Scope,
            n: usize,
            c: &AtomicBool,
        ) -> Result<RecordDetail, SourceError> {
            self.0.detail(id, s, n, c)
        }
    }
    let detector: Detector = Arc::new(|_| Ok(()));
    let mut app = RemoteApp::new(Arc::new(Hostile(Fake::default())), detector, Vec::new());
    wait_idle(&mut app);
    let s = screen(&app);
    assert!(s.contains("\\x1b[2J"), "{s}");
    assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s}");
}

#[test]
fn a_ranking_without_bytes_out_shows_a_dash_not_zero() {
    let fake = Arc::new(Fake::default());
    let mut app = app(fake);
    wait_idle(&mut app);
    press(&mut app, "4");
    wait_idle(&mut app);
    let s = screen(&app);
    let line = s
        .lines()
        .find(|l| l.contains("top-of-src_ip"))
        .unwrap_or_else(|| panic!("no ranking row:\n{s}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert!(cells.ends_with(&["5", "10", "—"]), "{line}");
}
