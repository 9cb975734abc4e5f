use super::*;
use crate::detect::pipeline::DetectParams;
use crate::source::{RecordsQuery, Scope, Source};
use std::io::Write;
use std::sync::atomic::AtomicBool;

fn demo_lines(rows: usize) -> Vec<String> {
    let mut csv = Vec::new();
    crate::demo::write_demo(&mut csv, rows, 11).unwrap();
    String::from_utf8(csv)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn append(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

/// Polls until nothing more is waiting.
fn drain(feed: &mut FollowFeed) -> Vec<String> {
    let mut notes = Vec::new();
    while feed.poll(&mut notes) {}
    notes
}

/// A demo row made an exfiltration no forest can miss.
fn outlier(line: &str) -> String {
    let mut f: Vec<&str> = line.split(',').collect();
    f[0] = "987654321098";
    f[1] = "1";
    f.join(",")
}

#[test]
fn a_growing_file_is_a_growing_dataset_scored_by_the_fitted_forest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(700);
    append(&path, &lines[..401]);
    let mut feed = FollowFeed::new(&path).unwrap();
    assert!(drain(&mut feed).is_empty());
    assert_eq!(feed.rows(), 400);
    let first = feed.snapshot().unwrap();
    assert!(first.det.is_none() && !feed.changed());
    let params = DetectParams::defaults_for(&first.ds);
    let run = DetectionRun::run(&first.ds, &params, &Default::default()).unwrap();
    feed.adopt(1, run.clone(), 0).unwrap();
    // More rows, one of them planted, and a half-written last line.
    let mut more: Vec<String> = lines[401..].to_vec();
    more[150] = outlier(&more[150]);
    append(&path, &more);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"12,34,2024-")
        .unwrap();
    assert!(drain(&mut feed).is_empty());
    assert!(feed.changed());
    let snap = feed.snapshot().unwrap();
    assert_eq!(snap.ds.rows, 700);
    assert_eq!((snap.fit, snap.fit_rows), (1, 400));
    let det = snap.det.as_ref().unwrap();
    assert_eq!(det.scores().len(), 700);
    assert_eq!(det.scores()[..400], run.scores()[..]);
    let planted = 400 + 150;
    let rank = det.detection.index.rank_of(planted).unwrap();
    assert!(
        rank < 7,
        "the planted row ranks {rank} of 700 (the demo plants a few more)"
    );
    // The snapshot answers the views as the same rows loaded whole do.
    let mut whole_csv = lines[..401].join("\n");
    whole_csv.push('\n');
    whole_csv.push_str(&more.join("\n"));
    whole_csv.push('\n');
    let mut whole = crate::ingest::load_bytes("w.csv", whole_csv.as_bytes()).unwrap();
    whole.source = snap.ds.source.clone();
    let local = LocalSource::new(Arc::new(whole), Some(det.clone()));
    let no = AtomicBool::new(false);
    let q = RecordsQuery {
        scope: Scope {
            filter: Some("bytes_in > 5000".into()),
            rule: Some(crate::detect::Rule::TopK(5)),
        },
        sort: None,
        offset: 0,
        limit: 1000,
    };
    let followed = snap.source();
    assert_eq!(
        followed.records(&q, &no).unwrap(),
        local.records(&q, &no).unwrap()
    );
    assert_eq!(
        followed.summary(&q.scope, &no).unwrap(),
        local.summary(&q.scope, &no).unwrap()
    );
}

#[test]
fn a_file_with_another_header_is_noted_and_following_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let lines = demo_lines(50);
    append(&dir.path().join("a.csv"), &lines);
    let mut feed = FollowFeed::new(dir.path()).unwrap();
    assert!(drain(&mut feed).is_empty());
    assert_eq!(feed.rows(), 50);
    append(
        &dir.path().join("b.csv"),
        &["x,y,z".to_string(), "1,2,3".to_string()],
    );
    std::fs::write(dir.path().join("c.csv"), [0u8, 159, 146, 150, 0, 1, 2, 10]).unwrap();
    append(&dir.path().join("d.csv"), &lines[..11]);
    let notes = drain(&mut feed);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("b.csv") && n.contains("differs from the one being followed")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("c.csv")), "{notes:?}");
    assert_eq!(feed.rows(), 60, "the file with the same header is read");
    assert_eq!(feed.snapshot().unwrap().ds.facts.files, 2);
}

#[test]
fn a_run_fitted_on_more_rows_than_were_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    let lines = demo_lines(120);
    append(&path, &lines[..61]);
    let mut feed = FollowFeed::new(&path).unwrap();
    drain(&mut feed);
    let mut csv = lines.join("\n");
    csv.push('\n');
    let all = crate::ingest::load_bytes("x.csv", csv.as_bytes()).unwrap();
    let run =
        DetectionRun::run(&all, &DetectParams::defaults_for(&all), &Default::default()).unwrap();
    let err = feed.adopt(1, run, 0).unwrap_err();
    assert!(err.contains("fitted on 120 rows but only 60"), "{err}");
    assert!(feed.snapshot().unwrap().det.is_none());
}

/// A feed over `rows` demo rows with a window, fitted on them (nothing is trimmed before).
fn fitted(
    path: &Path,
    lines: &[String],
    rows: usize,
    window: Window,
) -> (FollowFeed, DetectionRun) {
    append(path, &lines[..=rows]);
    let mut feed = FollowFeed::new(path).unwrap().with_window(window);
    drain(&mut feed);
    feed.trim(Duration::ZERO, true).unwrap();
    assert_eq!(feed.kept(), rows, "nothing is dropped before a fit");
    let ds = feed.snapshot().unwrap().ds;
    let run =
        DetectionRun::run(&ds, &DetectParams::defaults_for(&ds), &Default::default()).unwrap();
    feed.adopt(1, run.clone(), 0).unwrap();
    (feed, run)
}

#[test]
fn a_row_window_keeps_the_last_rows_and_the_counts_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(1000);
    let (mut feed, _) = fitted(&path, &lines, 400, Window::Rows(250));
    append(&path, &lines[401..601]);
    drain(&mut feed);
    let all = feed.snapshot().unwrap();
    assert_eq!((all.ds.rows, all.total, all.dropped), (600, 600, 0));
    let scores = all.det.as_ref().unwrap().scores().to_vec();
    let cut = all
        .det
        .as_ref()
        .unwrap()
        .detection
        .index
        .score_at_rank(30)
        .unwrap();
    feed.set_cut(Some(cut));
    feed.trim(Duration::ZERO, true).unwrap();
    let snap = feed.snapshot().unwrap();
    assert_eq!((snap.ds.rows, snap.total, snap.dropped), (250, 600, 350));
    assert_eq!(snap.fit_rows, 50, "the fit's rows past those dropped");
    assert_eq!(snap.det.as_ref().unwrap().scores(), &scores[350..]);
    let flagged = scores[..350].iter().filter(|&&s| s > cut).count() as u64;
    assert_eq!(snap.dropped_flagged, flagged);
    for c in 0..snap.ds.columns.len() {
        assert_eq!(snap.ds.cell_text(0, c), all.ds.cell_text(350, c));
        assert_eq!(snap.ds.cell_text(249, c), all.ds.cell_text(599, c));
    }
    // Between snapshots it trims only once it holds twice the window.
    append(&path, &lines[601..701]);
    drain(&mut feed);
    feed.trim(Duration::ZERO, false).unwrap();
    assert_eq!((feed.kept(), feed.rows()), (350, 700));
    append(&path, &lines[701..]);
    drain(&mut feed);
    feed.trim(Duration::ZERO, false).unwrap();
    assert_eq!((feed.kept(), feed.rows()), (250, 1000));
    let last = feed.snapshot().unwrap();
    assert_eq!(last.det.as_ref().unwrap().scored_rows(), 250);
    assert_eq!(last.dropped, 750);
}

#[test]
fn a_time_window_drops_rows_by_when_they_arrived() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(600);
    let window = Window::Time(Duration::from_secs(10));
    let (mut feed, _) = fitted(&path, &lines, 400, window);
    append(&path, &lines[401..501]);
    drain(&mut feed);
    feed.trim(Duration::from_secs(5), true).unwrap();
    assert_eq!(feed.kept(), 500, "nothing is older than 10 s yet");
    feed.trim(Duration::from_secs(12), true).unwrap();
    assert_eq!(
        (feed.kept(), feed.rows()),
        (100, 500),
        "the rows there at 0 s are gone"
    );
    append(&path, &lines[501..]);
    drain(&mut feed);
    feed.trim(Duration::from_secs(14), true).unwrap();
    assert_eq!(feed.kept(), 200);
    feed.trim(Duration::from_secs(16), true).unwrap();
    assert_eq!(feed.kept(), 100, "the rows of 5 s are gone");
    feed.trim(Duration::from_secs(60), true).unwrap();
    assert_eq!(
        (feed.kept(), feed.rows()),
        (1, 600),
        "one row is always kept"
    );
}

#[test]
fn a_fit_on_rows_the_window_has_since_dropped_scores_the_rows_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(700);
    let (mut feed, _) = fitted(&path, &lines, 400, Window::Rows(300));
    // A refit asked for on the 400 rows at dropped = 0 arrives after the window moved on.
    let ds = feed.snapshot().unwrap().ds;
    let mut params = DetectParams::defaults_for(&ds);
    params.seed += 1;
    let refit = DetectionRun::run(&ds, &params, &Default::default()).unwrap();
    append(&path, &lines[401..]);
    drain(&mut feed);
    feed.trim(Duration::ZERO, true).unwrap();
    assert_eq!(feed.snapshot().unwrap().dropped, 400);
    feed.adopt(2, refit.clone(), 0).unwrap();
    let snap = feed.snapshot().unwrap();
    let det = snap.det.as_ref().unwrap();
    assert_eq!((snap.fit, snap.fit_rows, det.scored_rows()), (2, 0, 300));
    // Its forest scored every kept row.
    let mut whole = lines.join("\n");
    whole.push('\n');
    let all = crate::ingest::load_bytes("w.csv", whole.as_bytes()).unwrap();
    let mut expect = refit.clone();
    expect.score_appended(&all, &Default::default()).unwrap();
    assert_eq!(det.scores(), &expect.scores()[400..]);
    let err = feed.adopt(3, refit, 500).unwrap_err();
    assert!(err.contains("from row 500 on"), "{err}");
}
