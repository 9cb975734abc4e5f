//! Issue 19's last items: Records chooses its columns by importance and lets the user hide and
//! show them; the `:` command line runs the same actions as the keys.

use crate::common::explorer::{app, key, screen};
use ratatui::crossterm::event::KeyCode;
use threatlens::tui::app::Source;

/// The Records header line (the third line of the screen).
fn header(s: &str) -> String {
    s.lines().nth(2).unwrap_or_default().to_string()
}

fn chars(a: &mut threatlens::tui::app::App, keys: &str) {
    for c in keys.chars() {
        key(a, KeyCode::Char(c));
    }
}

/// The whole help text, as `?` shows it page by page.
fn help_text(a: &threatlens::tui::app::App) -> String {
    threatlens::tui::render::help_lines(a)
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect()
}

#[test]
fn records_at_80x24_lead_with_time_source_country_and_bytes() {
    let a = app(Source::Demo, 80, 24);
    let s = screen(&a, 80, 24);
    insta::assert_snapshot!("walk4_demo_records_80x24", s);
    let h = header(&s);
    let at = |name: &str| h.find(name).unwrap_or_else(|| panic!("{name} in {h:?}"));
    // Before: file order (bytes_in, bytes_out, creation_time, end_time, src_ip …) with src_ip
    // past the right edge at 80 columns.
    assert!(at("creation_time") < at("src_ip"));
    assert!(at("src_ip") < at("s_i_c_code"));
    assert!(at("s_i_c_code") < at("bytes_in"));
}

#[test]
fn records_at_160x45_show_the_destination_and_what_happened_next() {
    let a = app(Source::Demo, 160, 45);
    let s = screen(&a, 160, 45);
    insta::assert_snapshot!("walk4_demo_records_160x45", s);
    let h = header(&s);
    let at = |name: &str| h.find(name).unwrap_or_else(|| panic!("{name} in {h:?}"));
    assert!(at("creation_time") < at("src_ip"));
    assert!(at("bytes_out") < at("dst_ip"));
    assert!(at("dst_ip") < at("dst_port"));
    assert!(at("dst_port") < at("protocol"));
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn real_records_at_80x24_show_src_ip_without_scrolling() {
    let (csv, _) = crate::common::real_data("real_records_at_80x24_show_src_ip_without_scrolling");
    let a = app(Source::Path(csv.display().to_string()), 80, 24);
    let s = screen(&a, 80, 24);
    // The title line names the file's path, which differs between machines.
    let body: String = s.lines().skip(1).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!("walk4_real_records_80x24", body);
    let h = header(&s);
    for name in ["creation_time", "src_ip", "s_i_c_code", "bytes_in"] {
        assert!(h.contains(name), "{name} in {h:?}");
    }
}

#[test]
fn minus_hides_the_column_under_the_cursor_and_u_shows_them_again() {
    let mut a = app(Source::Demo, 80, 24);
    // The cursor starts on the time column: hide it, then the next one (src_ip).
    chars(&mut a, "-");
    let s = screen(&a, 80, 24);
    assert!(!header(&s).contains("creation_time"), "{s}");
    assert!(
        s.contains("hid creation_time (1 hidden; U shows them again)"),
        "{s}"
    );
    chars(&mut a, "-");
    let h = header(&screen(&a, 80, 24));
    assert!(!h.contains("src_ip ") && h.contains("s_i_c_code"), "{h}");
    // The columns further right move in: dst_ip was off screen before.
    assert!(h.contains("dst_ip"), "{h}");
    // Sorting and copying follow the cursor's column (the country now).
    chars(&mut a, "y");
    assert!(screen(&a, 80, 24).contains("copied"), "copy status");
    chars(&mut a, "U");
    let s = screen(&a, 80, 24);
    let h = header(&s);
    assert!(h.contains("creation_time") && h.contains("src_ip"), "{h}");
    assert!(s.contains("showing the 2 hidden columns again"), "{s}");
    // The help lists both keys.
    assert!(help_text(&a).contains("hide the column under the cursor"));
    assert!(help_text(&a).contains("show the hidden columns again"));
}

#[test]
fn the_last_column_cannot_be_hidden() {
    let mut a = app(Source::Demo, 80, 24);
    chars(&mut a, &"-".repeat(40));
    let s = screen(&a, 80, 24);
    assert!(s.contains("is the only column shown"), "{s}");
    chars(&mut a, "U");
    // The cursor stays on the column it was on (far right); h walks back to the first.
    chars(&mut a, &"h".repeat(20));
    assert!(header(&screen(&a, 80, 24)).contains("creation_time"));
}

/// Types `:` and a command line, then Enter.
fn command(a: &mut threatlens::tui::app::App, line: &str) {
    chars(a, ":");
    chars(a, line);
    key(a, KeyCode::Enter);
}

#[test]
fn colon_commands_do_what_their_keys_do() {
    use threatlens::tui::action::Tab;
    use threatlens::tui::app::{Mode, Threshold};
    let mut a = app(Source::Demo, 160, 45);
    command(&mut a, "tab 5");
    assert_eq!(a.tab, Tab::Anomalies);
    command(&mut a, "top 20");
    assert_eq!(a.threshold, Threshold::TopK(20));
    assert!(screen(&a, 160, 45).contains("top 20"));
    command(&mut a, "cont 8%");
    assert_eq!(a.threshold, Threshold::Contamination(0.08));
    command(&mut a, "tab records");
    assert_eq!(a.tab, Tab::Records);
    command(&mut a, "sort bytes_in desc");
    assert!(header(&screen(&a, 160, 45)).contains("bytes_in▼"));
    // Sorting again the same way keeps the sort (the key would toggle it off).
    command(&mut a, "sort bytes_in desc");
    assert!(header(&screen(&a, 160, 45)).contains("bytes_in▼"));
    command(&mut a, "hide dst_ip");
    assert!(!header(&screen(&a, 160, 45)).contains("dst_ip"));
    command(&mut a, "unhide");
    assert!(header(&screen(&a, 160, 45)).contains("dst_ip"));
    command(&mut a, "filter src_ip_country_code = RU");
    assert_eq!(a.filter.as_deref(), Some("src_ip_country_code = RU"));
    let rows = a.view.as_ref().unwrap().rows.len();
    assert!(rows > 0 && rows < 5000, "{rows}");
    command(&mut a, "help");
    assert!(screen(&a, 160, 45).contains("command line"));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::Normal);
    command(&mut a, "q");
    assert!(a.quit);
}

#[test]
fn a_bad_command_lists_the_commands_and_stays_editable() {
    use threatlens::tui::app::{InputKind, Mode};
    let mut a = app(Source::Demo, 80, 24);
    command(&mut a, "frobnicate");
    assert_eq!(a.mode, Mode::Input(InputKind::Command));
    let s = screen(&a, 80, 24);
    assert!(s.contains(":frobnicate"), "the line keeps the text:\n{s}");
    let e = a.input.error.clone().unwrap();
    assert!(e.contains("unknown command 'frobnicate'"), "{e}");
    for name in [
        "filter",
        "sort",
        "top",
        "contamination",
        "export",
        "report",
        "tab",
    ] {
        assert!(e.contains(name), "{name} in {e}");
    }
    // A bad value fails in the prompt of the key, with the value to fix.
    key(&mut a, KeyCode::Esc);
    command(&mut a, "top x");
    assert_eq!(a.mode, Mode::Input(InputKind::TopK));
    assert!(screen(&a, 80, 24).contains("'x' is not a positive whole number"));
    key(&mut a, KeyCode::Esc);
    command(&mut a, "tab 9");
    assert!(a.input.error.clone().unwrap().contains("1 records"));
    key(&mut a, KeyCode::Esc);
    command(&mut a, "sort nosuchcolumn");
    assert!(
        a.input
            .error
            .clone()
            .unwrap()
            .contains("no column 'nosuchcolumn'")
    );
}

#[test]
fn tab_completes_commands_and_column_names() {
    let mut a = app(Source::Demo, 80, 24);
    chars(&mut a, ":con");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text, "contamination ");
    key(&mut a, KeyCode::Esc);
    chars(&mut a, ":sort bytes_o");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text, "sort bytes_out");
    key(&mut a, KeyCode::Esc);
    // Several candidates: the common part is completed and the candidates listed.
    chars(&mut a, ":sort src");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text, "sort src_ip");
    assert!(
        a.input
            .error
            .clone()
            .unwrap()
            .contains("src_ip_country_code")
    );
}

#[test]
fn colon_export_writes_the_file_the_x_prompt_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anomalies.csv");
    let mut a = app(Source::Demo, 160, 45);
    command(&mut a, "tab 5");
    command(&mut a, &format!("export {}", path.display()));
    let text = std::fs::read_to_string(&path).unwrap();
    let head = text.lines().next().unwrap();
    assert!(head.contains("score"), "the anomaly list: {head}");
    assert_eq!(text.lines().count(), 1 + a.flagged_rows.len());
}

#[test]
fn y_on_the_anomalies_list_copies_the_session() {
    let mut a = app(Source::Demo, 160, 45);
    chars(&mut a, "5j");
    let row = a.flagged_rows[1];
    chars(&mut a, "y");
    let s = screen(&a, 160, 45);
    assert!(
        s.contains("copied to the clipboard (OSC 52): ") && s.contains(&format!("'row {row}'")),
        "{s}"
    );
    let osc = a.clipboard.clone().unwrap();
    assert!(osc.starts_with("\x1b]52;c;"), "{osc:?}");
}
