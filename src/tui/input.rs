//! What the input line does when the user types into it and submits it: a filter
//! (checked before it is applied, errors shown under the line), a search, a
//! contamination or top k, an export or report path, the y/n of replacing a
//! file, or a `:` command (`super::command`). Part of `App` (an `impl App` block); the line editor and the history
//! themselves are in [`super::prompt`].

use super::action::InputEdit;
use super::app::{App, InputKind, InputLine, Mode, Threshold};
use crate::detect::Contamination;

impl App {
    /// Opens the input line of a kind, pre-filled with `text`.
    pub(super) fn open_input(&mut self, kind: InputKind, text: String) {
        self.mode = Mode::Input(kind);
        self.input = InputLine::prefilled(text);
        self.history.rewind();
    }

    pub(super) fn on_input(&mut self, edit: InputEdit) {
        let Mode::Input(kind) = self.mode else { return };
        if kind == InputKind::ConfirmOverwrite {
            self.mode = Mode::Normal;
            let pending = self.pending_write.take();
            match (edit, pending) {
                (InputEdit::Char('y' | 'Y'), Some((path, bytes))) => {
                    self.write_file(&path, &bytes, true)
                }
                _ => self.status = Some("not written".into()),
            }
            return;
        }
        let Some(edit) = self.input.edit(edit) else {
            return;
        };
        match edit {
            // Backspace on an empty filter line clears the filter.
            InputEdit::Backspace if kind == InputKind::Filter => {
                self.mode = Mode::Normal;
                self.set_filter(None);
            }
            InputEdit::HistoryUp | InputEdit::HistoryDown if kind == InputKind::Filter => {
                if let Some(text) = self.history.step(edit == InputEdit::HistoryUp) {
                    self.input.set(text);
                }
            }
            InputEdit::Complete if kind == InputKind::Command => self.complete_command(),
            InputEdit::Cancel => self.mode = Mode::Normal,
            InputEdit::Submit => self.submit_input(kind),
            _ => {}
        }
    }

    pub(super) fn submit_input(&mut self, kind: InputKind) {
        let text = self.input.text.trim().to_string();
        match kind {
            InputKind::Filter => self.submit_filter(text),
            InputKind::Search => {
                self.mode = Mode::Normal;
                self.tabs.records.search = (!text.is_empty()).then_some(text);
                self.search(true, true);
            }
            InputKind::Contamination => match text.parse::<Contamination>() {
                Ok(Contamination::Auto) => {
                    self.mode = Mode::Normal;
                    self.set_threshold(Threshold::Auto);
                }
                Ok(Contamination::Fraction(c)) => {
                    self.mode = Mode::Normal;
                    self.set_threshold(Threshold::Contamination(c));
                }
                Err(e) => self.input.error = Some(e.to_string()),
            },
            InputKind::Export | InputKind::Report => {
                self.mode = Mode::Normal;
                if text.is_empty() {
                    return;
                }
                match super::export::Request::from_app(self, kind == InputKind::Report, &text) {
                    Ok(request) => self.request_write(request),
                    Err(e) => self.status = Some(e),
                }
            }
            InputKind::ConfirmOverwrite => {}
            InputKind::Command => self.run_command(&text),
            InputKind::TopK => match text.parse::<usize>() {
                Ok(k) if k > 0 => {
                    self.mode = Mode::Normal;
                    self.set_threshold(Threshold::TopK(k));
                }
                _ => self.input.error = Some(format!("'{text}' is not a positive whole number")),
            },
        }
    }

    fn submit_filter(&mut self, text: String) {
        if text.is_empty() {
            self.mode = Mode::Normal;
            return self.set_filter(None);
        }
        // Check the expression now so errors show under the line.
        if let Some(ds) = &self.ds
            && let Err(e) = crate::filter::parse(&text)
                .and_then(|ast| crate::filter::compile(&ast, ds).map(|_| ()))
        {
            self.input.error = Some(e.one_line(&text));
            return;
        }
        self.mode = Mode::Normal;
        self.history.push(text.clone());
        self.set_filter(Some(text));
    }
}
