//! Driving the explorer in tests: an app on a TestBackend size, key presses through the same
//! keymap path the terminal takes (waiting for the worker after each), and the screen as text.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use threatlens::tui::app::{App, Source};
use threatlens::tui::keymap::Keymap;
use threatlens::tui::theme::Theme;
use threatlens::tui::{self, event_msg};

/// An explorer on `source`, `w`×`h`, colourless, with its first jobs done.
pub fn app(source: Source, w: u16, h: u16) -> App {
    let mut app = App::new(source, Keymap::default(), Theme { color: false }, None);
    app.update(tui::action::Msg::Resize(w, h));
    app.wait_idle();
    app
}

/// Presses a key and waits until the work it started has arrived.
pub fn key(app: &mut App, code: KeyCode) {
    let ev = Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    if let Some(a) = event_msg(app, ev) {
        app.update(a);
    }
    app.wait_idle();
}

/// The screen at `w`×`h` as lines of text (trailing spaces trimmed).
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
