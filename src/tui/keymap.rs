//! The keymap as data: every binding is a named entry with its keys, the tabs
//! where it applies and a line of help. The help screen and footer hints are
//! generated from it, so they cannot drift from what the keys do. Overrides come
//! from the `[keys]` table of the config file (`name = ["x", "ctrl-y"]`); a bad
//! entry is reported and the default kept.

use super::action::{Action, InputEdit, Tab};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Tab(Tab),
    Drilldown,
}

/// A key with modifiers, as written in the config (`q`, `ctrl-c`, `shift-tab`, `pgdn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::NONE,
        }
    }
    pub const fn code(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    /// Parses `a`, `A`, `ctrl-c`, `shift-tab`, `enter`, `esc`, `pgup`, `f1`, `space`, `up` ….
    pub fn parse(s: &str) -> Option<Key> {
        let lower = s.trim().to_ascii_lowercase();
        let (mods, name) = if let Some(rest) = lower.strip_prefix("ctrl-") {
            (KeyModifiers::CONTROL, rest)
        } else if let Some(rest) = lower.strip_prefix("alt-") {
            (KeyModifiers::ALT, rest)
        } else {
            (KeyModifiers::NONE, lower.as_str())
        };
        let code = match name {
            "enter" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            f if f.starts_with('f') && f.len() > 1 => KeyCode::F(f[1..].parse().ok()?),
            _ => {
                // Keep the case the user wrote for single characters: the name is the same
                // number of bytes at the end of the trimmed text (lower-casing ASCII keeps
                // lengths), so "-", "ctrl--" and "alt-X" all name one character.
                let trimmed = s.trim();
                let raw = &trimmed[trimmed.len() - name.len()..];
                let (raw, shifted) = match raw.get(..6) {
                    Some(p) if p.eq_ignore_ascii_case("shift-") && raw.len() > 6 => {
                        (&raw[6..], true)
                    }
                    _ => (raw, false),
                };
                let mut chars = raw.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(if shifted { c.to_ascii_uppercase() } else { c })
            }
        };
        Some(Key { code, mods })
    }

    /// How the key is shown in help and the footer.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::F(n) => format!("F{n}"),
            _ => "?".into(),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("Alt-{base}")
        } else {
            base
        }
    }

    fn matches(&self, ev: &KeyEvent) -> bool {
        let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        match (self.code, ev.code) {
            // Letters typed with shift arrive as upper-case chars.
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b && self.mods == mods,
            (a, b) => a == b && self.mods == mods,
        }
    }
}

/// One binding.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The name used in the config file.
    pub name: &'static str,
    pub action: Action,
    pub keys: Vec<Key>,
    pub scope: Scope,
    pub help: &'static str,
    /// Short label shown in the footer of its scope ("" = not shown).
    pub hint: &'static str,
}

/// All bindings.
#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

fn b(
    name: &'static str,
    action: Action,
    keys: &[Key],
    scope: Scope,
    help: &'static str,
    hint: &'static str,
) -> Binding {
    Binding {
        name,
        action,
        keys: keys.to_vec(),
        scope,
        help,
        hint,
    }
}

impl Default for Keymap {
    fn default() -> Self {
        use KeyCode as K;
        use Scope::*;
        let c = Key::plain;
        let k = Key::code;
        let ctrl_c = Key {
            code: K::Char('c'),
            mods: KeyModifiers::CONTROL,
        };
        let rec = Tab(super::action::Tab::Records);
        let sum = Tab(super::action::Tab::Summary);
        let tl = Tab(super::action::Tab::Timeline);
        let rk = Tab(super::action::Tab::Rankings);
        let an = Tab(super::action::Tab::Anomalies);
        use super::action::Tab as T;
        let bindings = vec![
            b(
                "quit",
                Action::Quit,
                &[c('q'), ctrl_c],
                Global,
                "quit; in a popup, close it (Ctrl-C always quits)",
                "quit",
            ),
            b(
                "help",
                Action::Help,
                &[c('?'), k(K::F(1))],
                Global,
                "show this help",
                "help",
            ),
            b(
                "close",
                Action::Close,
                &[k(K::Esc)],
                Global,
                "close the popup / cancel loading",
                "",
            ),
            b(
                "next_tab",
                Action::NextTab,
                &[k(K::Tab)],
                Global,
                "next tab",
                "",
            ),
            b(
                "prev_tab",
                Action::PrevTab,
                &[k(K::BackTab)],
                Global,
                "previous tab",
                "",
            ),
            b(
                "tab_records",
                Action::GoTab(T::Records),
                &[c('1')],
                Global,
                "Records tab",
                "",
            ),
            b(
                "tab_summary",
                Action::GoTab(T::Summary),
                &[c('2')],
                Global,
                "Summary tab",
                "",
            ),
            b(
                "tab_timeline",
                Action::GoTab(T::Timeline),
                &[c('3')],
                Global,
                "Timeline tab",
                "",
            ),
            b(
                "tab_rankings",
                Action::GoTab(T::Rankings),
                &[c('4')],
                Global,
                "Rankings tab",
                "",
            ),
            b(
                "tab_anomalies",
                Action::GoTab(T::Anomalies),
                &[c('5')],
                Global,
                "Anomalies tab",
                "",
            ),
            b(
                "tab_geo",
                Action::GoTab(T::Geo),
                &[c('6')],
                Global,
                "Geo tab (world map)",
                "",
            ),
            b(
                "tab_flows",
                Action::GoTab(T::Flows),
                &[c('7')],
                Global,
                "Flows tab (source → destination)",
                "",
            ),
            b(
                "export",
                Action::Export,
                &[c('x')],
                Global,
                "export the current table (the anomaly list on tab 5) to CSV or JSON",
                "export",
            ),
            b(
                "report",
                Action::ExportReport,
                &[c('e')],
                Global,
                "write the findings report of the current view (.md, .html, .json)",
                "",
            ),
            b(
                "save_params",
                Action::SaveConfig,
                &[c('W')],
                Tab(T::Anomalies),
                "save the detection parameters to config.toml",
                "",
            ),
            b(
                "copy",
                Action::Copy,
                &[c('y')],
                Global,
                "copy the selected value (the whole row in the drill-down) to the clipboard (OSC 52, works over SSH)",
                "copy",
            ),
            b(
                "records_open",
                Action::Enter,
                &[k(K::Enter)],
                rec,
                "open the session's drill-down: why it is flagged, its source's other sessions",
                "",
            ),
            b(
                "rankings_open",
                Action::Enter,
                &[k(K::Enter)],
                rk,
                "filter every tab to the entity under the cursor",
                "",
            ),
            b(
                "anomalies_open",
                Action::Enter,
                &[k(K::Enter)],
                an,
                "open the drill-down of the flagged session (or entity) under the cursor",
                "",
            ),
            b(
                "geo_open",
                Action::Enter,
                &[k(K::Enter)],
                Tab(T::Geo),
                "filter every tab to the country under the cursor",
                "",
            ),
            b(
                "flows_open",
                Action::Enter,
                &[k(K::Enter)],
                Tab(T::Flows),
                "filter every tab to the pair, source or destination under the cursor",
                "",
            ),
            b(
                "follow_pause",
                Action::FollowPause,
                &[c('p')],
                Global,
                "pause or resume following the file (--follow)",
                "",
            ),
            b(
                "refit",
                Action::Refit,
                &[c('R')],
                Global,
                "refit the forest on the rows so far (new rows are scored with it)",
                "",
            ),
            b(
                "command",
                Action::CommandLine,
                &[c(':')],
                Global,
                "command line: :filter EXPR, :sort COL, :top 20, :contamination 5%, :export PATH, :tab 5 … (Tab completes)",
                "",
            ),
            b(
                "filter",
                Action::OpenFilter,
                &[c('f')],
                Global,
                "filter every tab (e.g. src_ip in 10.0.0.0/8 and bytes_in > 1e6)",
                "filter",
            ),
            b(
                "rejects",
                Action::ShowRejects,
                &[c('r')],
                Global,
                "list rejected rows (line, column, reason)",
                "",
            ),
            b("up", Action::Up, &[c('k'), k(K::Up)], Global, "move up", ""),
            b(
                "down",
                Action::Down,
                &[c('j'), k(K::Down)],
                Global,
                "move down",
                "",
            ),
            b(
                "page_up",
                Action::PageUp,
                &[k(K::PageUp)],
                Global,
                "page up",
                "",
            ),
            b(
                "page_down",
                Action::PageDown,
                &[k(K::PageDown)],
                Global,
                "page down",
                "",
            ),
            b(
                "top",
                Action::Top,
                &[c('g'), k(K::Home)],
                Global,
                "go to the first row",
                "",
            ),
            b(
                "bottom",
                Action::Bottom,
                &[c('G'), k(K::End)],
                Global,
                "go to the last row",
                "",
            ),
            b(
                "open",
                Action::Enter,
                &[k(K::Enter)],
                Global,
                "open the detail / apply the selection",
                "open",
            ),
            b(
                "left",
                Action::Left,
                &[c('h'), k(K::Left)],
                rec,
                "previous column",
                "",
            ),
            b(
                "right",
                Action::Right,
                &[c('l'), k(K::Right)],
                rec,
                "next column",
                "",
            ),
            b(
                "sort",
                Action::Sort,
                &[c('s')],
                rec,
                "sort by the column under the cursor",
                "sort",
            ),
            b(
                "sort_reverse",
                Action::SortReverse,
                &[c('S')],
                rec,
                "sort by it, descending",
                "",
            ),
            b(
                "hide_column",
                Action::HideColumn,
                &[c('-')],
                rec,
                "hide the column under the cursor (columns come time, source, country, bytes first)",
                "",
            ),
            b(
                "show_columns",
                Action::ShowColumns,
                &[c('U')],
                rec,
                "show the hidden columns again",
                "",
            ),
            b(
                "search",
                Action::OpenSearch,
                &[c('/')],
                rec,
                "search the visible columns",
                "search",
            ),
            b(
                "search_next",
                Action::SearchNext,
                &[c('n')],
                rec,
                "next match",
                "",
            ),
            b(
                "search_prev",
                Action::SearchPrev,
                &[c('N')],
                rec,
                "previous match",
                "",
            ),
            b(
                "summary_prev",
                Action::Left,
                &[c('h'), k(K::Left)],
                sum,
                "previous column for the histogram",
                "",
            ),
            b(
                "summary_next",
                Action::Right,
                &[c('l'), k(K::Right)],
                sum,
                "next column for the histogram",
                "",
            ),
            b(
                "log_scale",
                Action::ToggleLog,
                &[c('L')],
                sum,
                "linear / log histogram",
                "log/linear",
            ),
            b(
                "wider",
                Action::WiderBuckets,
                &[c('+'), c('=')],
                tl,
                "wider time buckets",
                "wider",
            ),
            b(
                "narrower",
                Action::NarrowerBuckets,
                &[c('-')],
                tl,
                "narrower time buckets",
                "narrower",
            ),
            b(
                "pan_left",
                Action::Left,
                &[c('h'), k(K::Left)],
                tl,
                "move the cursor to an earlier bucket",
                "",
            ),
            b(
                "pan_right",
                Action::Right,
                &[c('l'), k(K::Right)],
                tl,
                "move the cursor to a later bucket",
                "",
            ),
            b(
                "zoom_in",
                Action::ZoomIn,
                &[c('z')],
                tl,
                "zoom in around the cursor",
                "",
            ),
            b("zoom_out", Action::ZoomOut, &[c('Z')], tl, "zoom out", ""),
            b(
                "busiest",
                Action::JumpBusiest,
                &[c('b')],
                tl,
                "move the cursor to the busiest bucket",
                "",
            ),
            b(
                "mark",
                Action::MarkRange,
                &[c('m')],
                tl,
                "mark start, then end bucket: filters to that time range",
                "mark range",
            ),
            b(
                "dimension",
                Action::NextDimension,
                &[c('d'), c('l'), k(K::Right)],
                rk,
                "next ranking (country, IP, port, rule …)",
                "next ranking",
            ),
            b(
                "prev_dimension",
                Action::PrevDimension,
                &[c('D'), c('h'), k(K::Left)],
                rk,
                "previous ranking",
                "",
            ),
            b(
                "rank_sort",
                Action::NextSortKey,
                &[c('s')],
                rk,
                "sort by sessions / bytes in / bytes out / flagged / max score / dst ports / dst addrs",
                "sort by",
            ),
            b(
                "more",
                Action::ContaminationStep(5),
                &[c('+'), c('=')],
                an,
                "contamination +0.5 points (no refit)",
                "+0.5%",
            ),
            b(
                "less",
                Action::ContaminationStep(-5),
                &[c('-')],
                an,
                "contamination −0.5 points",
                "−0.5%",
            ),
            b(
                "more_fine",
                Action::ContaminationStep(1),
                &[c('>')],
                an,
                "contamination +0.1 points",
                "",
            ),
            b(
                "less_fine",
                Action::ContaminationStep(-1),
                &[c('<')],
                an,
                "contamination −0.1 points",
                "",
            ),
            b(
                "contamination",
                Action::TypeContamination,
                &[c('c')],
                an,
                "type a contamination (0.05, 5%, auto)",
                "contamination",
            ),
            b(
                "top_k",
                Action::TopK,
                &[c('K')],
                an,
                "flag the top k rows instead",
                "",
            ),
            b(
                "features",
                Action::FeaturesPanel,
                &[c('F')],
                an,
                "features, trees, sample size, seed (refits in the background)",
                "features",
            ),
            b(
                "anomaly_view",
                Action::NextView,
                &[c('v')],
                an,
                "list / score histogram / scatter / per-IP",
                "view",
            ),
            b(
                "entities",
                Action::ToggleEntities,
                &[c('b')],
                an,
                "rows / entities: per-source-IP behaviour detection (Enter opens one)",
                "entities",
            ),
            b(
                "evaluation",
                Action::Evaluation,
                &[c('E')],
                an,
                "against the label: isolation forest vs random-forest classifier (adds P to the list)",
                "",
            ),
            b(
                "flows_list",
                Action::NextDimension,
                &[c('d')],
                Tab(T::Flows),
                "pairs / fan-out per source / fan-in per destination",
                "list",
            ),
            b(
                "flows_prev_list",
                Action::PrevDimension,
                &[c('D')],
                Tab(T::Flows),
                "previous list",
                "",
            ),
            b(
                "fan_sort",
                Action::NextFanSort,
                &[c('s')],
                Tab(T::Flows),
                "sort the fan-out list by fan-out / sessions / bytes",
                "sort",
            ),
            b(
                "toggle",
                Action::Toggle,
                &[c(' ')],
                Drilldown,
                "toggle the feature (features panel)",
                "",
            ),
            b(
                "panel_log",
                Action::ToggleLog,
                &[c('L')],
                Drilldown,
                "toggle log1p for the feature (features panel)",
                "",
            ),
            b(
                "panel_less",
                Action::Left,
                &[c('h'), k(K::Left)],
                Drilldown,
                "decrease the value (features panel)",
                "",
            ),
            b(
                "panel_more",
                Action::Right,
                &[c('l'), k(K::Right)],
                Drilldown,
                "increase the value (features panel)",
                "",
            ),
            b(
                "filter_to",
                Action::FilterToSelection,
                &[c('f')],
                Drilldown,
                "filter everything to this source IP",
                "filter to IP",
            ),
        ];
        Keymap { bindings }
    }
}

impl Keymap {
    /// The action for a key in a scope (the tab's own bindings win over global ones).
    pub fn action(&self, ev: &KeyEvent, scope: Scope) -> Option<Action> {
        let find = |s: Scope| {
            self.bindings
                .iter()
                .find(|b| b.scope == s && b.keys.iter().any(|k| k.matches(ev)))
                .map(|b| b.action.clone())
        };
        find(scope).or_else(|| find(Scope::Global))
    }

    /// Applies overrides `name → ["key", …]`; returns a warning per bad entry.
    pub fn apply_overrides(&mut self, overrides: &[(String, Vec<String>)]) -> Vec<String> {
        let mut warnings = Vec::new();
        for (name, keys) in overrides {
            let parsed: Option<Vec<Key>> = keys.iter().map(|k| Key::parse(k)).collect();
            let matching: Vec<&mut Binding> = self
                .bindings
                .iter_mut()
                .filter(|b| b.name == name.as_str())
                .collect();
            match (parsed, matching.is_empty()) {
                (_, true) => warnings.push(format!(
                    "config: unknown key binding '{name}'; kept the defaults"
                )),
                (None, _) | (Some(_), _) if keys.is_empty() => warnings.push(format!(
                    "config: key binding '{name}' has no keys; kept the default"
                )),
                (None, _) => warnings.push(format!(
                    "config: key binding '{name}' has a key that is not understood ({}); kept the default",
                    keys.join(", ")
                )),
                (Some(ks), false) => {
                    for b in matching {
                        b.keys = ks.clone();
                    }
                }
            }
        }
        warnings
    }

    /// Footer hints for a scope: `key label` pairs.
    pub fn hints(&self, scope: Scope) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = self
            .bindings
            .iter()
            .filter(|b| !b.hint.is_empty() && b.scope == scope)
            .filter_map(|b| Some((b.keys.first()?.label(), b.hint)))
            .collect();
        out.extend(
            self.bindings
                .iter()
                .filter(|b| !b.hint.is_empty() && b.scope == Scope::Global)
                .filter_map(|b| Some((b.keys.first()?.label(), b.hint))),
        );
        out
    }
}

/// How a key is read while an input line is open.
pub fn input_edit(ev: &KeyEvent) -> Option<InputEdit> {
    if ev.modifiers.contains(KeyModifiers::CONTROL) {
        return match ev.code {
            KeyCode::Char('u') => Some(InputEdit::KillToStart),
            KeyCode::Char('w') => Some(InputEdit::KillWord),
            KeyCode::Char('a') => Some(InputEdit::Home),
            KeyCode::Char('e') => Some(InputEdit::End),
            _ => None,
        };
    }
    Some(match ev.code {
        KeyCode::Char(c) => InputEdit::Char(c),
        KeyCode::Backspace => InputEdit::Backspace,
        KeyCode::Delete => InputEdit::Delete,
        KeyCode::Left => InputEdit::Left,
        KeyCode::Right => InputEdit::Right,
        KeyCode::Home => InputEdit::Home,
        KeyCode::End => InputEdit::End,
        KeyCode::Up => InputEdit::HistoryUp,
        KeyCode::Down => InputEdit::HistoryDown,
        KeyCode::Enter => InputEdit::Submit,
        KeyCode::Tab => InputEdit::Complete,
        KeyCode::Esc => InputEdit::Cancel,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_label_round_trip() {
        for s in [
            "q",
            "G",
            "ctrl-c",
            "shift-tab",
            "enter",
            "pgdn",
            "f1",
            "space",
            "+",
        ] {
            let k = Key::parse(s).unwrap_or_else(|| panic!("{s}"));
            assert!(!k.label().is_empty());
        }
        assert_eq!(
            Key::parse("ctrl-c").map(|k| k.mods),
            Some(KeyModifiers::CONTROL)
        );
        assert!(Key::parse("nonsense-key").is_none());
    }

    #[test]
    fn punctuation_keys_parse_including_the_minus_sign() {
        for (s, c, m) in [
            ("-", '-', KeyModifiers::NONE),
            (" - ", '-', KeyModifiers::NONE),
            ("ctrl--", '-', KeyModifiers::CONTROL),
            ("alt-X", 'X', KeyModifiers::ALT),
            ("shift-x", 'X', KeyModifiers::NONE),
            ("=", '=', KeyModifiers::NONE),
        ] {
            assert_eq!(
                Key::parse(s),
                Some(Key {
                    code: KeyCode::Char(c),
                    mods: m
                }),
                "{s:?}"
            );
        }
        assert!(Key::parse("").is_none());
        assert!(Key::parse("ctrl-").is_none());
        let mut km = Keymap::default();
        let w = km.apply_overrides(&[("narrower".into(), vec!["-".into()])]);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn overrides_apply_and_bad_ones_warn() {
        let mut km = Keymap::default();
        let w = km.apply_overrides(&[
            ("quit".into(), vec!["x".into()]),
            ("nope".into(), vec!["y".into()]),
            ("help".into(), vec!["not a key".into()]),
        ]);
        assert_eq!(w.len(), 2, "{w:?}");
        let ev = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(km.action(&ev, Scope::Global), Some(Action::Quit));
        let ev = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE);
        assert_eq!(km.action(&ev, Scope::Global), Some(Action::Help));
    }

    #[test]
    fn tab_bindings_win_over_global_ones() {
        let km = Keymap::default();
        let plus = KeyEvent::new(KeyCode::Char('+'), KeyModifiers::NONE);
        assert_eq!(
            km.action(&plus, Scope::Tab(Tab::Anomalies)),
            Some(Action::ContaminationStep(5))
        );
        assert_eq!(
            km.action(&plus, Scope::Tab(Tab::Timeline)),
            Some(Action::WiderBuckets)
        );
    }

    #[test]
    fn every_binding_has_a_key_and_help() {
        for b in Keymap::default().bindings {
            assert!(!b.keys.is_empty() && !b.help.is_empty(), "{}", b.name);
        }
    }
}
