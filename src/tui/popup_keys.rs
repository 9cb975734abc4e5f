//! What keys do while a popup is open, and the two things the user asks the app to hand
//! outside: a value for the clipboard and the detection parameters for the config file.
//!
//! Part of `App` (an `impl App` block), kept apart so `app.rs` reads as the state and its
//! update. Nothing here draws; the terminal write of a copy is the event loop's.

use super::action::Action;
use super::app::{App, Popup};
use crate::dataset::Role;

impl App {
    pub(super) fn save_config(&mut self) {
        self.status = Some(match &self.config_path {
            Some(p) => match super::config::save_params(p, &self.params, self.threshold) {
                Ok(()) => format!(
                    "detection parameters saved to {}",
                    crate::sanitize::inert(&p.display().to_string())
                ),
                Err(e) => crate::sanitize::inert(&e).into_owned(),
            },
            None => "no config directory on this system: pass --config PATH".into(),
        });
    }

    pub(super) fn on_popup(&mut self, popup: Popup, action: Action) {
        match (popup, action) {
            (_, Action::Close) => self.popup = None,
            (Popup::Help { .. }, Action::Help) => self.popup = None,
            (Popup::Detail { row, .. }, Action::Copy) => {
                if let Some((_, d)) = self.detail.as_ref().filter(|(k, _)| k.row == row) {
                    let text = super::detail::row_text(d);
                    self.copy(&text);
                }
            }
            (Popup::Detail { row, .. }, Action::FilterToSelection) => {
                let field = self
                    .ds
                    .as_ref()
                    .and_then(|ds| ds.role(Role::SrcIp))
                    .map(|c| c.name.clone());
                if let (Some(ip), Some(field)) = (self.src_ip_text(row), field) {
                    self.popup = None;
                    self.narrow_filter(crate::filter::clause::equals(&field, &ip));
                }
            }
            (Popup::Entity { entity, .. }, Action::FilterToSelection | Action::Enter) => {
                self.filter_to_entity(entity)
            }
            (Popup::Features { cursor }, a) => {
                let Some(ds) = self.ds.clone() else { return };
                let effects = super::features::update(cursor, a, &ds, &mut self.params);
                self.apply(effects);
            }
            (p, a) => self.popup = Some(p.scrolled(&a, self.popup_page())),
        }
    }

    /// Puts `text` on the clipboard (the loop writes the OSC 52 sequence) and says what was copied.
    pub fn copy(&mut self, text: &str) {
        self.clipboard = Some(crate::clipboard::osc52(text));
        let first = text.lines().next().unwrap_or_default();
        let lines = text.lines().count();
        let what = if lines > 1 {
            format!(
                "{lines} lines, starting '{}'",
                super::widgets::cell(first, 40)
            )
        } else {
            format!("'{}'", super::widgets::cell(first, 60))
        };
        self.status = Some(format!("copied to the clipboard (OSC 52): {what}"));
    }

    /// The source IP of a row as text.
    pub fn src_ip_text(&self, row: usize) -> Option<String> {
        let ds = self.ds.as_ref()?;
        let i = ds.role_index(Role::SrcIp)?;
        let t = ds.cell_text(row, i);
        (!t.is_empty()).then(|| t.into_owned())
    }
}
