//! The input line under the tabs: what is being typed (filter, search, a number,
//! a path, a y/n question), the line editor (cursor, selection of a pre-fill,
//! Ctrl-U/Ctrl-W, Home/End) and the filter history. Pure state and editing; what a
//! submitted line does is decided by the app.

use super::action::InputEdit;

/// How keys are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Input(InputKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Search,
    Contamination,
    TopK,
    /// A path to export the current table to.
    Export,
    /// A path to write the findings report of the current view to.
    Report,
    /// y/n: replace the existing file a pending write would overwrite.
    ConfirmOverwrite,
    /// The `:` command line (`super::command`).
    Command,
}

/// A line being typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputLine {
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
    pub error: Option<String>,
    /// A pre-filled value is selected: typing replaces it, a movement key keeps it.
    pub selected: bool,
}

fn byte_at(s: &str, c: usize) -> usize {
    s.char_indices().nth(c).map_or(s.len(), |(i, _)| i)
}

impl InputLine {
    /// A line pre-filled with `text` (selected, so typing replaces it).
    pub fn prefilled(text: String) -> InputLine {
        InputLine {
            cursor: text.chars().count(),
            selected: !text.is_empty(),
            text,
            error: None,
        }
    }

    /// Replaces the text, the cursor at its end.
    pub fn set(&mut self, text: String) {
        self.cursor = text.chars().count();
        self.text = text;
    }

    /// Applies an edit to the line. Returns the edits the line does not handle itself
    /// (submit, cancel, history, and Backspace on an empty line) for the caller.
    pub fn edit(&mut self, edit: InputEdit) -> Option<InputEdit> {
        if std::mem::take(&mut self.selected) {
            match edit {
                // Typing or deleting replaces the selected pre-fill.
                InputEdit::Char(_) | InputEdit::KillToStart | InputEdit::KillWord => {
                    self.text.clear();
                    self.cursor = 0;
                }
                InputEdit::Backspace | InputEdit::Delete if !self.text.is_empty() => {
                    self.text.clear();
                    self.cursor = 0;
                    self.error = None;
                    return None;
                }
                _ => {}
            }
        }
        match edit {
            InputEdit::Char(c) => {
                let at = byte_at(&self.text, self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                self.error = None;
            }
            InputEdit::Backspace if self.text.is_empty() => return Some(edit),
            InputEdit::Backspace => {
                if self.cursor > 0 {
                    let at = byte_at(&self.text, self.cursor - 1);
                    self.text.remove(at);
                    self.cursor -= 1;
                }
            }
            InputEdit::Delete => {
                if self.cursor < self.text.chars().count() {
                    let at = byte_at(&self.text, self.cursor);
                    self.text.remove(at);
                }
            }
            InputEdit::Left => self.cursor = self.cursor.saturating_sub(1),
            InputEdit::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            InputEdit::Home => self.cursor = 0,
            InputEdit::End => self.cursor = self.text.chars().count(),
            InputEdit::KillToStart => {
                let at = byte_at(&self.text, self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            InputEdit::KillWord => self.kill_word(),
            InputEdit::HistoryUp
            | InputEdit::HistoryDown
            | InputEdit::Cancel
            | InputEdit::Complete
            | InputEdit::Submit => {
                return Some(edit);
            }
        }
        None
    }

    fn kill_word(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = self.cursor.min(chars.len());
        while start > 0 && chars.get(start - 1).is_some_and(|c| c.is_whitespace()) {
            start -= 1;
        }
        while start > 0 && chars.get(start - 1).is_some_and(|c| !c.is_whitespace()) {
            start -= 1;
        }
        let (a, b) = (byte_at(&self.text, start), byte_at(&self.text, self.cursor));
        self.text.replace_range(a..b, "");
        self.cursor = start;
    }
}

/// The filters applied, newest last (↑/↓ on the filter line walk it).
#[derive(Debug, Clone, Default)]
pub struct History {
    items: Vec<String>,
    pos: Option<usize>,
}

impl History {
    const MAX: usize = 50;

    /// Remembers a filter (not twice in a row; the oldest go past 50).
    pub fn push(&mut self, text: String) {
        if self.items.last() != Some(&text) {
            self.items.push(text);
            if self.items.len() > Self::MAX {
                self.items.remove(0);
            }
        }
    }

    /// A new line is being typed: the walk starts again from the newest.
    pub fn rewind(&mut self) {
        self.pos = None;
    }

    /// The filter one step older (`up`) or newer, if there is one.
    pub fn step(&mut self, up: bool) -> Option<String> {
        let n = self.items.len();
        if n == 0 {
            return None;
        }
        let pos = match (up, self.pos) {
            (true, None) => n - 1,
            (true, Some(p)) => p.saturating_sub(1),
            (false, None) => return None,
            (false, Some(p)) => (p + 1).min(n - 1),
        };
        self.pos = Some(pos);
        self.items.get(pos).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefill_is_replaced_by_typing_and_kept_by_moving() {
        let mut l = InputLine::prefilled("abc".into());
        assert_eq!(l.edit(InputEdit::Left), None);
        assert_eq!(l.edit(InputEdit::Char('x')), None);
        assert_eq!(l.text, "abxc");
        let mut l = InputLine::prefilled("abc".into());
        l.edit(InputEdit::Char('z'));
        assert_eq!(l.text, "z");
        assert_eq!(l.edit(InputEdit::Backspace), None);
        assert_eq!(l.edit(InputEdit::Backspace), Some(InputEdit::Backspace));
    }

    #[test]
    fn ctrl_w_deletes_the_word_before_the_cursor() {
        let mut l = InputLine::default();
        for c in "country = US  ".chars() {
            l.edit(InputEdit::Char(c));
        }
        l.edit(InputEdit::KillWord);
        assert_eq!(l.text, "country = ");
        l.edit(InputEdit::KillToStart);
        assert_eq!((l.text.as_str(), l.cursor), ("", 0));
    }

    #[test]
    fn history_walks_back_and_forth_and_skips_repeats() {
        let mut h = History::default();
        assert_eq!(h.step(true), None);
        for f in ["a", "b", "b", "c"] {
            h.push(f.into());
        }
        assert_eq!(h.step(true).as_deref(), Some("c"));
        assert_eq!(h.step(true).as_deref(), Some("b"));
        assert_eq!(h.step(true).as_deref(), Some("a"));
        assert_eq!(h.step(true).as_deref(), Some("a"));
        assert_eq!(h.step(false).as_deref(), Some("b"));
        h.rewind();
        assert_eq!(h.step(false), None);
    }
}
