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
    let mut app = App::new(
        Source::Follow(path.display().to_string()),
        Keymap::default(),
        Theme { color: false },
        None,
    );
    app.update(Msg::Resize(120, 36));
    app.wait_follow(settled(rows));
    assert!(settled(rows)(&app), "the first {rows} rows did not settle");
    app
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
