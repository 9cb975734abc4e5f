//! `threatlens --follow` in the explorer on a TestBackend: real key presses (event → keymap →
//! `App::update`) while rows are appended to a followed file, and what the screen then shows.
//! No snapshot of the header: its arrival rate depends on timing.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use std::io::Write;
use std::path::Path;
use threatlens::tui::app::{App, Source};
use threatlens::tui::keymap::Keymap;
use threatlens::tui::theme::Theme;
use threatlens::tui::{self, event_msg};

fn demo_lines(rows: usize) -> Vec<String> {
    let mut csv = Vec::new();
    threatlens::demo::write_demo(&mut csv, rows, 9).unwrap();
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

fn key(app: &mut App, code: KeyCode) {
    let ev = Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    if let Some(a) = event_msg(app, ev) {
        app.update(a);
    }
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(160, 36)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..36 {
        for x in 0..160 {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Until every row is read, scored and shown.
fn shows(app: &mut App, rows: usize) {
    app.wait_follow(|a| {
        a.ds.as_ref().is_some_and(|d| d.rows == rows)
            && a.det.as_ref().is_some_and(|d| d.scored_rows() == rows)
            && a.view
                .as_ref()
                .is_some_and(|v| v.complete && v.rows.len() == rows)
            && !a.view_stale
    });
    app.wait_idle();
}

#[test]
fn following_a_file_in_the_explorer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.csv");
    let lines = demo_lines(900);
    append(&path, &lines[..601]);
    let mut app = App::new(
        Source::Follow(path.display().to_string(), Default::default()),
        Keymap::default(),
        Theme { color: false },
        None,
    );
    app.update(tui::action::Msg::Resize(160, 36));
    shows(&mut app, 600);
    let s = screen(&app);
    assert!(s.contains("600 rows · following"), "{s}");
    // G follows the end; rows arrive, one of them an exfiltration.
    key(&mut app, KeyCode::Char('G'));
    let mut more = lines[601..].to_vec();
    let last = more.len() - 1;
    let mut f: Vec<&str> = more[last].split(',').collect();
    f[0] = "987654321098";
    f[1] = "1";
    more[last] = f.join(",");
    append(&path, &more);
    shows(&mut app, 900);
    let s = screen(&app);
    assert!(s.contains("900 rows · following"), "{s}");
    assert!(s.contains("new flagged row"), "{s}");
    assert!(
        s.contains("row 899"),
        "the planted row is the newest flagged: {s}"
    );
    assert!(s.contains("new since you looked"), "{s}");
    assert!(s.contains("987654321098"), "Records follows the end: {s}");
    // p pauses; the header says so.
    key(&mut app, KeyCode::Char('p'));
    let s = screen(&app);
    assert!(s.contains("paused (p)"), "{s}");
    // The Anomalies tab clears the marker and lists the planted row.
    key(&mut app, KeyCode::Char('5'));
    app.wait_idle();
    let s = screen(&app);
    assert!(!s.contains("new since you looked"), "{s}");
    // Help lists the follow keys.
    key(&mut app, KeyCode::Char('?'));
    let s = screen(&app);
    assert!(s.contains("pause or resume following"), "{s}");
    assert!(s.contains("refit the forest on the rows so far"), "{s}");
}
