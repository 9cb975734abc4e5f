//! The `:` command line: the explorer's actions typed by name (`:filter EXPR`,
//! `:sort COL`, `:top 20`, `:contamination 5%`, `:export PATH`, `:tab 5` …), with
//! Tab completing command, column and tab names and an error that lists the
//! commands. Part of `App` (an `impl App` block). A command is never a second
//! implementation: it is turned into the [`Action`] its key produces, or its
//! argument is submitted to the prompt that key opens (so `:top x` fails the
//! way `K x` does, in that prompt). The table here is also the help's section.

use super::action::{Action, Tab};
use super::app::{App, InputKind, InputLine, Mode};
use super::theme::Theme;
use super::widgets::pad;
use ratatui::text::{Line, Span};

/// One command: its name, what it takes and what it does (for the help and errors).
struct Spec {
    name: &'static str,
    args: &'static str,
    help: &'static str,
}

const COMMANDS: [Spec; 12] = [
    Spec {
        name: "filter",
        args: "EXPR",
        help: "filter every tab (as f; no EXPR opens the filter line)",
    },
    Spec {
        name: "search",
        args: "TEXT",
        help: "search the records (as /)",
    },
    Spec {
        name: "sort",
        args: "COL [desc]",
        help: "sort the records by a column (as s / S)",
    },
    Spec {
        name: "hide",
        args: "[COL]",
        help: "hide a column of the records (as -)",
    },
    Spec {
        name: "unhide",
        args: "",
        help: "show the hidden columns again (as U)",
    },
    Spec {
        name: "top",
        args: "K",
        help: "flag the top K sessions (as K)",
    },
    Spec {
        name: "contamination",
        args: "X",
        help: "flag a share of the sessions: 0.05, 5%, auto (as c)",
    },
    Spec {
        name: "export",
        args: "[PATH]",
        help: "export the current table to .csv or .json (as x)",
    },
    Spec {
        name: "report",
        args: "[PATH]",
        help: "write the findings report (.md, .html, .json) (as e)",
    },
    Spec {
        name: "tab",
        args: "N|NAME",
        help: "go to a tab by number or name (as 1–7)",
    },
    Spec {
        name: "help",
        args: "",
        help: "show the keys and these commands (as ?)",
    },
    Spec {
        name: "quit",
        args: "",
        help: "quit (as q; also :q)",
    },
];

/// The command names, for errors.
fn names() -> String {
    COMMANDS.map(|c| c.name).join(", ")
}

/// The command a word names: exactly, by `q`, or by a prefix only one command has.
fn resolve(word: &str) -> Result<&'static str, String> {
    let w = word.to_ascii_lowercase();
    if w == "q" {
        return Ok("quit");
    }
    let hits: Vec<&'static str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|n| n.starts_with(&w))
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        _ if hits.contains(&w.as_str()) => Ok(hits[0]),
        [] => Err(format!(
            "unknown command '{}'; commands: {} (Tab completes)",
            crate::sanitize::inert(word),
            names()
        )),
        many => Err(format!(
            "'{}' could be {}",
            crate::sanitize::inert(word),
            many.join(", ")
        )),
    }
}

/// A tab by number (1–7) or by a prefix of its title.
fn tab_named(arg: &str) -> Option<Tab> {
    if let Ok(n) = arg.parse::<usize>() {
        return n.checked_sub(1).and_then(|i| Tab::ALL.get(i)).copied();
    }
    let a = arg.to_ascii_lowercase();
    Tab::ALL
        .into_iter()
        .find(|t| !a.is_empty() && t.title().to_ascii_lowercase().starts_with(&a))
}

/// The help's section for the command line.
pub fn help_lines(t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        "command line (: opens it; Tab completes; Enter runs)",
        t.header(),
    )];
    for c in &COMMANDS {
        lines.push(Line::from(vec![
            Span::styled(pad(&format!(":{} {}", c.name, c.args), 24), t.key()),
            Span::raw(c.help),
        ]));
    }
    lines
}

impl App {
    /// Runs a submitted command line. Errors stay under the line, which stays open.
    pub(super) fn run_command(&mut self, line: &str) {
        let line = line.trim().trim_start_matches(':').trim_start();
        let (word, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let arg = arg.trim();
        if word.is_empty() {
            self.mode = Mode::Normal;
            return;
        }
        let name = match resolve(word) {
            Ok(n) => n,
            Err(e) => {
                self.input.error = Some(e);
                return;
            }
        };
        match (name, arg) {
            ("filter", "") => self.key_action(Action::OpenFilter),
            ("filter", a) => self.submit_as(InputKind::Filter, a),
            ("search", "") => self.on_tab(Tab::Records, Action::OpenSearch),
            ("search", a) => {
                self.tab = Tab::Records;
                self.submit_as(InputKind::Search, a)
            }
            ("sort", a) => self.sort_command(a),
            ("hide", a) => self.hide_command(a),
            ("unhide", _) => self.on_tab(Tab::Records, Action::ShowColumns),
            ("top", "") => self.on_tab(Tab::Anomalies, Action::TopK),
            ("top", a) => self.submit_as(InputKind::TopK, a),
            ("contamination", "") => self.on_tab(Tab::Anomalies, Action::TypeContamination),
            ("contamination", a) => self.submit_as(InputKind::Contamination, a),
            ("export", "") => self.key_action(Action::Export),
            ("export", a) => self.submit_as(InputKind::Export, a),
            ("report", "") => self.key_action(Action::ExportReport),
            ("report", a) => self.submit_as(InputKind::Report, a),
            ("tab", a) => match tab_named(a) {
                Some(t) => self.key_action(Action::GoTab(t)),
                None => {
                    let tabs: Vec<String> = Tab::ALL
                        .iter()
                        .map(|t| format!("{} {}", t.index() + 1, t.title().to_lowercase()))
                        .collect();
                    self.input.error = Some(format!(
                        "no tab '{}'; tabs: {}",
                        crate::sanitize::inert(a),
                        tabs.join(", ")
                    ));
                }
            },
            ("help", _) => self.key_action(Action::Help),
            _ => self.key_action(Action::Quit),
        }
    }

    /// Leaves the command line and does what a key press of `action` does.
    fn key_action(&mut self, action: Action) {
        self.mode = Mode::Normal;
        self.on_action(action);
    }

    /// [`Self::key_action`] on a tab (the tab's own keys act on the tab shown).
    fn on_tab(&mut self, tab: Tab, action: Action) {
        self.tab = tab;
        self.key_action(action);
    }

    /// Submits `arg` to the prompt of `kind`, as if typed there; an error leaves that prompt
    /// open with the argument and the message under it.
    fn submit_as(&mut self, kind: InputKind, arg: &str) {
        self.mode = Mode::Input(kind);
        self.input = InputLine::default();
        self.input.set(arg.to_string());
        self.submit_input(kind);
    }

    /// Moves the Records column cursor to a column named by the user; says so when there is none.
    fn point_at_column(&mut self, name: &str) -> bool {
        let Some(ds) = self.ds.clone() else {
            return false;
        };
        let Some(c) = ds.column_index(name) else {
            let cols: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
            self.input.error = Some(
                crate::sanitize::inert(&format!(
                    "no column '{name}'; columns: {}",
                    cols.join(", ")
                ))
                .into_owned(),
            );
            return false;
        };
        let records = &mut self.tabs.records;
        records.hidden.retain(|&h| h != c);
        let order = super::columns::order(&ds, &records.hidden);
        records.col = order.iter().position(|&o| o == c).unwrap_or(0);
        true
    }

    fn sort_command(&mut self, arg: &str) {
        let (col, dir) = arg.rsplit_once(char::is_whitespace).unwrap_or((arg, ""));
        let (col, desc) = match dir.to_ascii_lowercase().as_str() {
            "desc" => (col.trim(), true),
            "asc" => (col.trim(), false),
            _ => (arg, false),
        };
        if col.is_empty() {
            return self.on_tab(Tab::Records, Action::Sort);
        }
        if !self.point_at_column(col) {
            return;
        }
        let c = self.ds.as_ref().and_then(|ds| ds.column_index(col));
        if self
            .tabs
            .records
            .sort
            .zip(c)
            .is_some_and(|((s, d), c)| s == c && d == desc)
        {
            // The key would toggle the sort off; a command says what it wants.
            self.mode = Mode::Normal;
            self.tab = Tab::Records;
            return;
        }
        let action = if desc {
            Action::SortReverse
        } else {
            Action::Sort
        };
        self.on_tab(Tab::Records, action);
    }

    fn hide_command(&mut self, arg: &str) {
        if arg.is_empty() || self.point_at_column(arg) {
            self.on_tab(Tab::Records, Action::HideColumn);
        }
    }

    /// Tab on the command line: completes the command, or the column or tab name after it.
    pub(super) fn complete_command(&mut self) {
        let text = self.input.text.clone();
        let (word, arg) = match text.split_once(' ') {
            Some((w, a)) => (w, Some(a.trim_start())),
            None => (text.as_str(), None),
        };
        let (prefix, candidates): (String, Vec<String>) = match (arg, resolve(word)) {
            (None, _) => (
                String::new(),
                COMMANDS.iter().map(|c| c.name.to_string()).collect(),
            ),
            (Some(_), Ok("sort" | "hide")) => (
                format!("{word} "),
                self.ds
                    .as_ref()
                    .map(|ds| ds.columns.iter().map(|c| c.name.clone()).collect())
                    .unwrap_or_default(),
            ),
            (Some(_), Ok("tab")) => (
                format!("{word} "),
                Tab::ALL.iter().map(|t| t.title().to_lowercase()).collect(),
            ),
            _ => return,
        };
        let typed = arg.unwrap_or(word).to_ascii_lowercase();
        let hits: Vec<&String> = candidates
            .iter()
            .filter(|c| c.to_ascii_lowercase().starts_with(&typed))
            .collect();
        match hits.as_slice() {
            [] => self.input.error = Some(format!("nothing to complete; commands: {}", names())),
            [one] => {
                let space = if arg.is_none() { " " } else { "" };
                self.input.set(format!("{prefix}{one}{space}"));
                self.input.error = None;
            }
            many => {
                let common = common_prefix(many);
                if common.len() > typed.len() {
                    self.input.set(format!("{prefix}{common}"));
                }
                let list: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
                self.input.error = Some(crate::sanitize::inert(&list.join("  ")).into_owned());
            }
        }
    }
}

/// The longest prefix the names share (compared without case; the first name's spelling).
fn common_prefix(names: &[&String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut n = first.len();
    for s in names {
        n = n.min(
            first
                .bytes()
                .zip(s.bytes())
                .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                .count(),
        );
    }
    first.get(..n).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_named_in_full_by_a_unique_prefix_or_by_q() {
        assert_eq!(resolve("filter"), Ok("filter"));
        assert_eq!(resolve("cont"), Ok("contamination"));
        assert_eq!(resolve("q"), Ok("quit"));
        assert_eq!(resolve("TOP"), Ok("top"));
        let e = resolve("nope").unwrap_err();
        assert!(e.contains("unknown command 'nope'") && e.contains("contamination"));
        assert_eq!(resolve("s").unwrap_err(), "'s' could be search, sort");
    }

    #[test]
    fn tabs_are_named_by_number_or_title() {
        assert_eq!(tab_named("5"), Some(Tab::Anomalies));
        assert_eq!(tab_named("an"), Some(Tab::Anomalies));
        assert_eq!(tab_named("Flows"), Some(Tab::Flows));
        assert_eq!(tab_named("0"), None);
        assert_eq!(tab_named("8"), None);
        assert_eq!(tab_named(""), None);
    }

    #[test]
    fn common_prefixes_ignore_case() {
        let (a, b) = ("src_ip".to_string(), "SRC_ip_country".to_string());
        assert_eq!(common_prefix(&[&a, &b]), "src_ip");
    }
}
