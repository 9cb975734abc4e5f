//! The remote explorer's keys: a terminal key becomes a [`Key`], and [`RemoteApp::key`] applies
//! it. The footer's hints are generated from [`HINTS`], the one list of what each key does.

use super::{Answer, RemoteApp, TABS};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Quit,
    NextTab,
    PrevTab,
    Tab(usize),
    Up,
    Down,
    PageDown,
    PageUp,
    Left,
    Right,
    Enter,
    /// Esc: closes the prompt or the drill-down, else cancels the running query.
    Back,
    Filter,
    Retry,
    Char(char),
    Backspace,
}

/// (key, what it does): the footer.
pub const HINTS: [(&str, &str); 8] = [
    ("1-7/Tab", "tabs"),
    ("/", "filter"),
    ("Enter", "detail"),
    ("PgDn/PgUp", "page"),
    ("←/→", "ranking"),
    ("Esc", "cancel query"),
    ("r", "retry"),
    ("q", "quit"),
];

/// The key a terminal event means.
pub fn from_event(k: &KeyEvent) -> Option<Key> {
    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
        return Some(Key::Quit);
    }
    Some(match k.code {
        KeyCode::Tab => Key::NextTab,
        KeyCode::BackTab => Key::PrevTab,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Back,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Char(c) => Key::Char(c),
        _ => return None,
    })
}

impl RemoteApp {
    /// Applies a key.
    pub fn key(&mut self, key: Key) {
        if let Some(text) = self.input.as_mut() {
            match key {
                Key::Char(c) => text.push(c),
                Key::Backspace => {
                    text.pop();
                }
                Key::Back => self.input = None,
                Key::Enter => {
                    let text = self.input.take();
                    self.set_filter(text);
                }
                Key::Quit => self.quit = true,
                _ => {}
            }
            return;
        }
        let key = match key {
            Key::Char('q') => Key::Quit,
            Key::Char('/') => Key::Filter,
            Key::Char('r') => Key::Retry,
            Key::Char('j') => Key::Down,
            Key::Char('k') => Key::Up,
            Key::Char(c @ '1'..='7') => Key::Tab(c as usize - '1' as usize),
            k => k,
        };
        match key {
            Key::Quit => self.quit = true,
            Key::NextTab => self.go(self.tab.wrapping_add(1) % TABS.len()),
            Key::PrevTab => self.go((self.tab + TABS.len() - 1) % TABS.len()),
            Key::Tab(t) => self.go(t),
            Key::Up => self.move_by(-1),
            Key::Down => self.move_by(1),
            Key::PageDown => self.page_by(1),
            Key::PageUp => self.page_by(-1),
            Key::Left | Key::Right if self.tab == 3 && !self.dims.is_empty() => {
                let n = self.dims.len();
                self.dim = if key == Key::Left {
                    (self.dim + n - 1) % n
                } else {
                    (self.dim + 1) % n
                };
                self.cursor = 0;
            }
            Key::Enter => self.open_detail(),
            Key::Back if self.detail.take().is_none() && self.cancel_by_user() => return,
            Key::Filter => self.input = Some(self.filter.clone().unwrap_or_default()),
            Key::Retry => return self.retry(),
            _ => {}
        }
        self.request();
    }

    fn go(&mut self, tab: usize) {
        if tab != self.tab {
            self.tab = tab;
            self.cursor = 0;
            self.scroll = 0;
            self.detail = None;
            self.error = None;
        }
    }

    fn move_by(&mut self, d: isize) {
        if self.detail.is_some() || matches!(self.tab, 1 | 2) {
            self.scroll = self.scroll.saturating_add_signed(d);
            return;
        }
        self.cursor = self.cursor.saturating_add_signed(d);
        self.clamp();
    }

    fn page_by(&mut self, d: isize) {
        if self.tab != 0 || self.detail.is_some() {
            return self.move_by(d * 10);
        }
        let total = match self.answer() {
            Some(Answer::Records(p)) => p.total,
            _ => usize::MAX,
        };
        let next = self.offset.saturating_add_signed(d * self.page as isize);
        if next < total {
            self.offset = next;
            self.cursor = 0;
        }
    }

    fn open_detail(&mut self) {
        let id = match self.answer() {
            Some(Answer::Records(p)) if self.tab == 0 => p.rows.get(self.cursor).map(|r| r.id),
            Some(Answer::Anomalies(a)) if self.tab == 4 => a.rows.get(self.cursor).map(|r| r.id),
            _ => None,
        };
        if let Some(id) = id {
            self.detail = Some(id);
            self.scroll = 0;
        }
    }
}
