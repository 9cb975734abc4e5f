use super::*;
use crate::tui::action::Msg;
use crate::tui::app::Source;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;
use std::io::Write;
use std::path::Path;

fn demo_lines(rows: usize) -> Vec<String> {
    let mut csv = Vec::new();
    crate::demo::write_demo(&mut csv, rows, 3).unwrap();
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

/// Every row read, scored and in a finished view.
fn settled(n: usize) -> impl Fn(&App) -> bool {
    move |a: &App| {
        a.ds.as_ref().is_some_and(|d| d.rows == n)
            && a.view
                .as_ref()
                .is_some_and(|v| v.complete && v.rows.len() == n)
            && !a.view_stale
            && a.det.as_ref().is_some_and(|d| d.scored_rows() == n)
            && a.follow.as_ref().is_some_and(|f| f.keep.is_none())
    }
}

fn state(a: &App) -> String {
    format!(
        "ds {:?} view {:?} stale {} det {:?} keep {:?} status {:?} busy {}",
        a.ds.as_ref().map(|d| d.rows),
        a.view.as_ref().map(|v| (v.complete, v.rows.len())),
        a.view_stale,
        a.det.as_ref().map(|d| d.scored_rows()),
        a.follow.as_ref().map(|f| f.keep.clone()),
        a.follow_status(),
        a.busy()
    )
}

fn following(path: &Path, rows: usize) -> App {
    following_with(path, rows, Window::All)
}

fn press(app: &mut App, a: Action) {
    app.update(Msg::Key(a));
}

fn exfiltration(line: &str) -> String {
    let mut f: Vec<&str> = line.split(',').collect();
    f[0] = "987654321098";
    f[1] = "1";
    f.join(",")
}

#[test]
fn records_stay_put_unless_at_the_end_like_less_f() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(600);
    append(&path, &lines[..301]);
    let mut app = following(&path, 300);
    for _ in 0..5 {
        press(&mut app, Action::Down);
    }
    append(&path, &lines[301..401]);
    app.wait_follow(settled(400));
    assert!(settled(400)(&app), "{}", state(&app));
    assert_eq!(
        app.tabs.records.cursor, 5,
        "not at the end: the view stays put"
    );
    press(&mut app, Action::Bottom);
    assert_eq!(app.tabs.records.cursor, 399);
    append(&path, &lines[401..451]);
    app.wait_follow(settled(450));
    assert_eq!(
        app.tabs.records.cursor, 449,
        "at the end: it follows the end"
    );
    press(&mut app, Action::Up);
    append(&path, &lines[451..]);
    app.wait_follow(settled(600));
    assert!(settled(600)(&app));
    assert_eq!(app.tabs.records.cursor, 448, "moving up stops following");
}

#[test]
fn a_new_flagged_row_is_announced_and_marked_until_anomalies_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(500);
    append(&path, &lines[..401]);
    let mut app = following(&path, 400);
    assert!(app.follow.as_ref().unwrap().unseen.is_empty());
    let flagged_before = app.flagged_rows.len();
    // Select an anomaly: it stays selected across the refresh.
    press(&mut app, Action::GoTab(Tab::Anomalies));
    press(&mut app, Action::Down);
    let selected = app.flagged_rows[1];
    press(&mut app, Action::GoTab(Tab::Records));
    let mut more = lines[401..].to_vec();
    more[40] = exfiltration(&more[40]);
    append(&path, &more);
    app.wait_follow(settled(500));
    let f = app.follow.as_ref().unwrap();
    assert!(f.unseen.contains(&440), "{:?}", f.unseen);
    let status = app.follow_status().unwrap();
    assert!(status.contains("new flagged row"), "{status}");
    assert!(app.flagged_rows.len() > flagged_before);
    assert!(app.flagged_rows.contains(&440));
    let header = header_spans(&app)
        .iter()
        .map(|s| s.content.to_string())
        .collect::<String>();
    assert!(header.contains("new since you looked"), "{header}");
    let pos = app
        .flagged_rows
        .iter()
        .position(|&r| r == selected)
        .unwrap();
    assert_eq!(
        app.tabs.anomalies.cursor, pos,
        "the selected anomaly stays selected"
    );
    press(&mut app, Action::GoTab(Tab::Anomalies));
    assert!(app.follow.as_ref().unwrap().unseen.is_empty());
}

#[test]
fn pause_stops_reading_and_resume_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(400);
    append(&path, &lines[..301]);
    let mut app = following(&path, 300);
    press(&mut app, Action::FollowPause);
    assert!(app.follow.as_ref().unwrap().paused);
    assert!(app.follow_status().unwrap().contains("paused"));
    append(&path, &lines[301..]);
    // Paused, the feed reads nothing, however long it is given.
    let until = Instant::now() + 3 * TICK;
    while Instant::now() < until {
        app.poll_follow();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(app.ds.as_ref().unwrap().rows, 300);
    press(&mut app, Action::FollowPause);
    assert!(!app.follow.as_ref().unwrap().paused);
    app.wait_follow(settled(400));
    assert!(settled(400)(&app));
}

#[test]
fn r_refits_on_the_rows_so_far_and_new_rows_use_the_new_forest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(500);
    append(&path, &lines[..301]);
    let mut app = following(&path, 300);
    append(&path, &lines[301..401]);
    app.wait_follow(settled(400));
    assert_eq!(app.follow.as_ref().unwrap().installed_fit, 1);
    press(&mut app, Action::Refit);
    app.wait_follow(|a| a.follow.as_ref().is_some_and(|f| f.installed_fit == 2));
    let f = app.follow.as_ref().unwrap();
    assert_eq!(f.installed_fit, 2);
    assert_eq!(
        f.fit_index.as_ref().unwrap().len(),
        400,
        "fitted on the rows so far"
    );
    append(&path, &lines[401..]);
    app.wait_follow(settled(500));
    assert!(settled(500)(&app));
}

#[test]
fn a_file_with_another_header_is_reported_and_following_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let lines = demo_lines(300);
    append(&dir.path().join("a.csv"), &lines[..201]);
    let mut app = following(dir.path(), 200);
    append(
        &dir.path().join("b.csv"),
        &["x,y".to_string(), "1,2".to_string()],
    );
    app.wait_follow(|a| a.follow_status().is_some_and(|s| s.contains("b.csv")));
    let status = app.follow_status().unwrap().clone();
    assert!(
        status.contains("differs from the one being followed"),
        "{status}"
    );
    let mut c = vec![lines[0].clone()];
    c.extend_from_slice(&lines[201..]);
    append(&dir.path().join("c.csv"), &c);
    app.wait_follow(settled(300));
    assert!(settled(300)(&app));
}

fn following_with(path: &Path, rows: usize, window: Window) -> App {
    let mut app = App::new(
        Source::Follow(path.display().to_string(), window),
        Keymap::default(),
        Theme { color: false },
        None,
    );
    app.update(Msg::Resize(120, 36));
    app.wait_follow(settled(rows));
    assert!(settled(rows)(&app), "the first {rows} rows did not settle");
    app
}

fn header(app: &App) -> String {
    header_spans(app)
        .iter()
        .map(|s| s.content.to_string())
        .collect()
}

#[test]
fn the_explorer_swaps_in_the_rows_the_feed_built() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(400);
    append(&path, &lines[..301]);
    let mut app = following(&path, 300);
    append(&path, &lines[301..]);
    // Wait for the feed to offer the grown rows, then take them.
    let shared = app.follow.as_ref().unwrap().shared.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    let offered = loop {
        let ready = shared
            .lock()
            .unwrap()
            .snapshot
            .as_ref()
            .map(|s| s.ds.clone());
        if let Some(ds) = ready.filter(|d| d.rows == 400) {
            break ds;
        }
        assert!(Instant::now() < deadline, "no snapshot of 400 rows offered");
        std::thread::sleep(Duration::from_millis(10));
    };
    let before = Arc::downgrade(app.ds.as_ref().unwrap());
    assert!(app.poll_follow());
    assert!(
        Arc::ptr_eq(app.ds.as_ref().unwrap(), &offered),
        "the rows shown are the feed's, not a copy"
    );
    assert!(app.view_stale, "the views are asked for at once");
    app.wait_follow(settled(400));
    // The rows swapped out go back to the feed, which frees them.
    let deadline = Instant::now() + Duration::from_secs(60);
    while before.upgrade().is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(before.upgrade().is_none(), "the old rows were never freed");
}

#[test]
fn a_row_window_shows_the_last_rows_and_the_header_counts_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(700);
    append(&path, &lines[..301]);
    // Fitted on the 300 rows there at the start; then the views keep the last 200.
    let mut app = App::new(
        Source::Follow(path.display().to_string(), Window::Rows(200)),
        Keymap::default(),
        Theme { color: false },
        None,
    );
    app.update(Msg::Resize(120, 36));
    let windowed = |total: u64| {
        move |a: &App| settled(200)(a) && a.follow.as_ref().is_some_and(|f| f.total == total)
    };
    app.wait_follow(windowed(300));
    assert!(windowed(300)(&app), "{}", state(&app));
    let f = app.follow.as_ref().unwrap();
    assert_eq!(f.dropped, 100);
    // The 100 rows dropped as soon as the fit was adopted are counted by the fit's cut.
    let fit = f.fit_index.as_ref().unwrap();
    let sel = fit.select(app.threshold.rule());
    let expect = (0..100).filter(|&r| fit.is_flagged(&sel, r)).count() as u64;
    assert!(expect > 0, "the demo's first rows hold flagged rows");
    assert_eq!(f.dropped_flagged, expect);
    // The Records cursor on a row stays on that row as the window moves.
    for _ in 0..150 {
        press(&mut app, Action::Down);
    }
    let row = app.view_rows()[150];
    let text = app
        .ds
        .as_ref()
        .unwrap()
        .cell_text(row as usize, 0)
        .into_owned();
    let mut more = lines[301..].to_vec();
    more[50] = exfiltration(&more[50]);
    append(&path, &more[..100]);
    app.wait_follow(windowed(400));
    assert!(windowed(400)(&app), "{}", state(&app));
    let f = app.follow.as_ref().unwrap();
    assert_eq!(f.dropped, 200);
    assert_eq!(
        app.tabs.records.cursor, 50,
        "the row moved up by the 100 rows dropped"
    );
    let shown = app.view_rows()[50] as usize;
    assert_eq!(app.ds.as_ref().unwrap().cell_text(shown, 0), text);
    // The planted row is row 350 of every row read, row 150 of those shown.
    assert!(f.unseen.contains(&350), "{:?}", f.unseen);
    assert!(app.flagged_rows.contains(&150));
    let h = header(&app);
    assert!(h.contains("window: last 200 rows (200 shown)"), "{h}");
    let flagged = app.selection.unwrap().count as u64 + f.dropped_flagged;
    assert!(h.contains(&format!("{flagged} flagged so far")), "{h}");
    assert_eq!(super::rows_read(&app), Some(400));
    append(&path, &more[100..]);
    app.wait_follow(windowed(700));
    assert!(windowed(700)(&app), "{}", state(&app));
    assert_eq!(app.det.as_ref().unwrap().scored_rows(), 200);
    assert!(
        app.follow.as_ref().unwrap().dropped_flagged >= 1,
        "the planted row was dropped, and counted"
    );
}

#[test]
fn the_entity_view_refreshes_as_rows_arrive_and_keeps_its_entity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(900);
    append(&path, &lines[..601]);
    let mut app = following(&path, 600);
    press(&mut app, Action::GoTab(Tab::Anomalies));
    press(&mut app, Action::ToggleEntities);
    app.wait_idle();
    let rows_in = |a: &App| {
        a.entities
            .as_ref()
            .map_or(0, |e| (0..e.len()).map(|i| e.rows(i).len()).sum::<usize>())
    };
    assert_eq!(rows_in(&app), 600);
    press(&mut app, Action::Down);
    let key = app.selected_entity().expect("an entity is selected");
    // Later rows of the same sources, so every entity is still there.
    append(&path, &lines[601..]);
    app.wait_follow(|a| settled(900)(a) && !a.entities_stale && rows_in(a) == 900);
    assert_eq!(rows_in(&app), 900, "{}", state(&app));
    assert_eq!(
        app.selected_entity(),
        Some(key),
        "the selected entity stays selected"
    );
}
