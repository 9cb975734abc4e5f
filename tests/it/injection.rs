//! Escape-sequence injection: a file whose fields carry an OSC 2 title change,
//! an OSC 52 clipboard write, CSI clear-screen, 8-bit CSI, DCS, bidi and
//! zero-width characters must never put a control character on the screen —
//! not in the TestBackend buffer of any tab or popup, not in the bytes crossterm
//! writes, not on stdout of the headless commands.

use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use threatlens::tui::app::{App, Source};
use threatlens::tui::keymap::Keymap;
use threatlens::tui::theme::Theme;
use threatlens::tui::{action::Msg, event_msg};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/injection.csv");

fn app() -> App {
    let mut a = App::new(
        Source::Path(FIXTURE.into()),
        Keymap::default(),
        Theme::default(),
        None,
    );
    a.update(Msg::Resize(120, 36));
    a.wait_idle();
    a
}

fn press(a: &mut App, c: KeyCode) {
    if let Some(act) = event_msg(a, Event::Key(KeyEvent::new(c, KeyModifiers::NONE))) {
        a.update(act);
    }
    a.wait_idle();
}

fn dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Every screen a user can reach, as (name, app state) snapshots of the buffer.
fn screens() -> Vec<(String, ratatui::buffer::Buffer)> {
    let mut a = app();
    assert_eq!(
        a.ds.as_ref().map(|d| d.rows),
        Some(4),
        "the row with an escape in bytes_in is rejected"
    );
    let mut out = Vec::new();
    let mut grab = |a: &App, name: &str| {
        let mut t = Terminal::new(TestBackend::new(120, 36)).unwrap();
        t.draw(|f| f.render_widget(a, f.area())).unwrap();
        out.push((name.to_string(), t.backend().buffer().clone()));
    };
    for (k, name) in [
        ('1', "records"),
        ('2', "summary"),
        ('3', "timeline"),
        ('4', "rankings"),
        ('5', "anomalies"),
    ] {
        press(&mut a, KeyCode::Char(k));
        grab(&a, name);
    }
    for _ in 0..3 {
        press(&mut a, KeyCode::Char('v'));
        grab(&a, "anomaly view");
    }
    press(&mut a, KeyCode::Char('v'));
    press(&mut a, KeyCode::Enter);
    grab(&a, "drill-down");
    press(&mut a, KeyCode::Esc);
    press(&mut a, KeyCode::Char('r'));
    grab(&a, "rejects");
    press(&mut a, KeyCode::Esc);
    press(&mut a, KeyCode::Char('4'));
    for _ in 0..6 {
        press(&mut a, KeyCode::Char('d'));
        grab(&a, "ranking dimension");
    }
    press(&mut a, KeyCode::Char('1'));
    press(&mut a, KeyCode::Char('l'));
    press(&mut a, KeyCode::Char('l'));
    press(&mut a, KeyCode::Char('l'));
    press(&mut a, KeyCode::Char('l'));
    press(&mut a, KeyCode::Char('l'));
    press(&mut a, KeyCode::Char('l'));
    grab(&a, "records scrolled right");
    out
}

#[test]
fn no_control_character_reaches_the_screen_buffer() {
    for (name, buf) in screens() {
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let sym = buf[(x, y)].symbol();
                assert!(
                    !sym.chars().any(dangerous),
                    "{name}: cell ({x},{y}) holds {sym:?}"
                );
            }
        }
    }
}

#[test]
fn the_attack_is_visible_as_text() {
    let (_, buf) = screens()
        .into_iter()
        .find(|(n, _)| n == "records scrolled right")
        .unwrap();
    let text: String = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .map(|(x, y)| buf[(x, y)].symbol().to_string())
        .collect();
    assert!(
        text.contains("\\x1b]2;pwned-title\\x07") || text.contains("\\x1b]2;pwned"),
        "the OSC is shown escaped"
    );
}

/// A writer whose bytes can be read after the terminal is done with it.
#[derive(Clone, Default)]
struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn crossterm_writes_no_sequence_from_the_data() {
    let mut a = app();
    for k in ['1', 'l', 'l', 'l', 'l', 'l', 'l'] {
        press(&mut a, KeyCode::Char(k));
    }
    let area = Rect::new(0, 0, 120, 36);
    let sink = Sink::default();
    let mut t = Terminal::with_options(
        CrosstermBackend::new(sink.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )
    .unwrap();
    t.draw(|f| f.render_widget(&a, f.area())).unwrap();
    drop(t);
    let bytes = sink.0.lock().unwrap().clone();
    let s = String::from_utf8_lossy(&bytes);
    assert!(!bytes.is_empty());
    for bad in ["\x1b]", "\x07", "\x1bP", "\x1b[2J", "\u{9b}", "\u{202e}"] {
        assert!(!s.contains(bad), "crossterm output contains {bad:?}");
    }
    assert!(s.contains("pwned"), "the data was drawn (escaped)");
}

#[test]
fn headless_output_is_inert() {
    for args in [
        vec!["summary", FIXTURE],
        vec!["summary", FIXTURE, "--format", "json"],
        vec!["detect", FIXTURE],
        vec!["detect", FIXTURE, "--format", "json"],
        vec!["detect", FIXTURE, "--format", "csv"],
        vec!["report", FIXTURE],
        vec!["report", FIXTURE, "--format", "html"],
    ] {
        let out = assert_cmd::Command::cargo_bin("threatlens")
            .unwrap()
            .args(&args)
            .output()
            .unwrap();
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let s = String::from_utf8_lossy(&all);
        assert!(
            !s.chars().any(|c| dangerous(c) && c != '\n'),
            "{args:?}: {s}"
        );
    }
}
