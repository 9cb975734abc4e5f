//! The explorer on a TestBackend, driven through the same path a key press takes
//! (event → keymap → `App::update`), with snapshots of every tab and popup.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use threatlens::tui::app::{App, Source};
use threatlens::tui::keymap::Keymap;
use threatlens::tui::theme::Theme;
use threatlens::tui::{self, event_msg};

fn app(source: Source) -> App {
    let mut app = App::new(source, Keymap::default(), Theme { color: false }, None);
    app.update(tui::action::Msg::Resize(120, 36));
    app.wait_idle();
    app
}

fn key(app: &mut App, code: KeyCode) {
    let ev = Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    if let Some(a) = event_msg(app, ev) {
        app.update(a);
    }
    app.wait_idle();
}

fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn every_tab_and_popup_on_the_demo_data() {
    let mut a = app(Source::Demo);
    insta::assert_snapshot!("demo_records", screen(&a, 120, 36));
    for (k, name) in [
        ('2', "demo_summary"),
        ('3', "demo_timeline"),
        ('4', "demo_rankings"),
        ('5', "demo_anomalies"),
    ] {
        keys(&mut a, &k.to_string());
        insta::assert_snapshot!(name, screen(&a, 120, 36));
    }
    keys(&mut a, "v");
    insta::assert_snapshot!("demo_anomalies_histogram", screen(&a, 120, 36));
    keys(&mut a, "vv");
    insta::assert_snapshot!("demo_anomalies_by_ip", screen(&a, 120, 36));
    keys(&mut a, "v");
    key(&mut a, KeyCode::Enter);
    insta::assert_snapshot!("demo_drilldown", screen(&a, 120, 36));
    key(&mut a, KeyCode::Esc);
    keys(&mut a, "F");
    insta::assert_snapshot!("demo_features_panel", screen(&a, 120, 36));
    key(&mut a, KeyCode::Esc);
    keys(&mut a, "?");
    insta::assert_snapshot!("demo_help", screen(&a, 120, 60));
    key(&mut a, KeyCode::Esc);
    keys(&mut a, "r");
    insta::assert_snapshot!("demo_rejects", screen(&a, 120, 36));
}

#[test]
fn help_lists_every_binding() {
    let mut a = app(Source::Demo);
    keys(&mut a, "?");
    let text: String = tui::render::help_lines(&a)
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
                + "\n"
        })
        .collect();
    for b in &a.keymap.bindings {
        assert!(text.contains(b.help), "help misses {}", b.name);
        for k in &b.keys {
            assert!(
                text.contains(&k.label()),
                "help misses key {} of {}",
                k.label(),
                b.name
            );
        }
    }
}

#[test]
fn small_terminals_degrade_gracefully() {
    let a = app(Source::Demo);
    let s = screen(&a, 40, 12);
    assert!(s.contains("threatlens"), "{s}");
    // The footer keeps whole hints, and the help key whatever the width (first when some must go).
    for w in [40u16, 52, 64, 80] {
        let footer = screen(&a, w, 20).lines().nth(19).unwrap_or("").to_string();
        assert!(footer.contains("? help"), "{w}: {footer:?}");
        assert!(w >= 64 || footer.starts_with("? help"), "{w}: {footer:?}");
        let words = [
            "? help",
            "s sort",
            "/ search",
            "q quit",
            "x export",
            "y copy",
            "f filter",
            "Enter open",
        ];
        let mut rest = footer.as_str().trim();
        while !rest.is_empty() {
            let hit = words.iter().find(|wd| rest.starts_with(**wd));
            assert!(hit.is_some(), "{w}: a cut hint in {footer:?}");
            rest = rest[hit.map_or(0, |h| h.len())..].trim_start();
        }
    }
    for (w, h) in [(39, 12), (40, 11), (10, 3)] {
        assert!(screen(&a, w, h).contains("too small"), "{w}x{h}");
    }
    // One cell cannot hold the message; drawing into it must still not panic.
    let _ = screen(&a, 1, 1);
}

#[test]
fn filter_line_applies_errors_and_clears() {
    let mut a = app(Source::Demo);
    keys(&mut a, "f");
    keys(&mut a, "country = RU");
    key(&mut a, KeyCode::Enter);
    let n = a.view.as_ref().unwrap().rows.len();
    assert!(n > 0 && n < 5000, "{n}");
    assert!(screen(&a, 120, 36).contains("filter: country = RU"));
    // A bad expression shows an error pointing at it and keeps the old filter.
    keys(&mut a, "f");
    key(&mut a, KeyCode::Home);
    keys(&mut a, "bytes_inn > 3 and ");
    key(&mut a, KeyCode::Enter);
    assert!(a.input.error.is_some());
    assert!(screen(&a, 120, 36).contains("bytes_inn"));
    key(&mut a, KeyCode::Esc);
    // Backspace on an empty line clears the filter.
    keys(&mut a, "f");
    for _ in 0..40 {
        key(&mut a, KeyCode::Backspace);
    }
    key(&mut a, KeyCode::Backspace);
    assert_eq!(a.filter, None);
    assert_eq!(a.view.as_ref().unwrap().rows.len(), 5000);
    // History brings the last filter back.
    keys(&mut a, "f");
    key(&mut a, KeyCode::Up);
    assert_eq!(a.input.text, "country = RU");
}

#[test]
fn sorting_and_search_in_records() {
    let mut a = app(Source::Demo);
    keys(&mut a, "lllS"); // bytes_in (after time, source, country), descending
    let ds = a.ds.clone().unwrap();
    let first = a.view.as_ref().unwrap().rows[0] as usize;
    let top = (0..ds.rows)
        .map(|r| ds.columns[0].data.number(r).unwrap())
        .fold(0.0, f64::max);
    assert_eq!(ds.columns[0].data.number(first), Some(top));
    keys(&mut a, "/");
    keys(&mut a, "198.51.100.23");
    key(&mut a, KeyCode::Enter);
    let row = a.view.as_ref().unwrap().rows[a.tabs.records.cursor] as usize;
    assert!(ds.cell_text(row, 4).contains("198.51.100.23"));
    // The search ran on the worker, which also counted the matching rows.
    let status = a.status.clone().unwrap_or_default();
    assert!(status.starts_with("match 1 of "), "{status}");
    keys(&mut a, "/");
    keys(&mut a, "no such text anywhere");
    key(&mut a, KeyCode::Enter);
    assert_eq!(
        a.status.as_deref(),
        Some("no match for 'no such text anywhere'")
    );
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn real_file_rankings_and_anomalies_match_the_notebooks() {
    let (csv, _) = crate::common::real_data("tui real file");
    let path = csv.display().to_string();
    // The header shows the path cut to 40 columns; redact it so snapshots do not depend on where shared/ is.
    let shown = threatlens::sanitize::truncate_to_width(&path, 40).into_owned();
    let redact = |s: String| {
        s.replace(&shown, "<real file>")
            .replace(&path, "<real file>")
    };
    let mut a = app(Source::Path(path.clone()));
    keys(&mut a, "4");
    let s = redact(screen(&a, 120, 36));
    insta::assert_snapshot!("real_rankings", s);
    let countries = &a.view.as_ref().unwrap().rankings[0];
    assert_eq!(
        (
            countries.rows[0].row.key.as_str(),
            countries.rows[0].row.sessions
        ),
        ("US", 113)
    );
    assert_eq!(
        (
            countries.rows[1].row.key.as_str(),
            countries.rows[1].row.sessions
        ),
        ("CA", 72)
    );
    keys(&mut a, "s"); // by bytes in
    keys(&mut a, "d"); // source IPs
    let s = screen(&a, 120, 36);
    let first_entity = s.lines().nth(4).unwrap_or("");
    assert!(first_entity.contains("155.91.45.242"), "{s}");

    keys(&mut a, "5");
    let s = redact(screen(&a, 120, 36));
    insta::assert_snapshot!("real_anomalies", s.clone());
    assert!(s.contains("15 flagged"), "{s}");
    for row in &a.flagged_rows {
        let ip = a.src_ip_text(*row as usize).unwrap();
        assert!(ip == "155.91.45.242" || ip == "165.225.240.79", "{ip}");
    }

    // + three times: 6.5%, and the count equals what `detect` returns.
    keys(&mut a, "+++");
    let out = assert_cmd::Command::cargo_bin("threatlens")
        .unwrap()
        .args([
            "detect",
            &path,
            "--contamination",
            "0.065",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = v["anomalies"].as_u64().unwrap();
    let s = screen(&a, 120, 36);
    assert!(s.contains("contamination 6.5%"), "{s}");
    assert!(
        s.contains(&format!("{expected} flagged")),
        "want {expected}: {s}"
    );
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn geo_and_flows_on_the_real_file() {
    let (csv, _) = crate::common::real_data("geo and flows");
    let path = csv.display().to_string();
    let shown = threatlens::sanitize::truncate_to_width(&path, 40).into_owned();
    let mut a = app(Source::Path(path.clone()));
    keys(&mut a, "6");
    let s = screen(&a, 120, 36).replace(&shown, "<real file>");
    insta::assert_snapshot!("real_geo", s.clone());
    assert!(s.contains("US United States"), "{s}");
    let list = tui::tabs::geo::countries(a.view.as_ref().unwrap());
    assert_eq!(
        (list[0].row.key.as_str(), list[1].row.key.as_str()),
        ("US", "CA")
    );
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.filter.as_deref(), Some("src_ip_country_code = \"CA\""));
    assert_eq!(a.view.as_ref().unwrap().rows.len(), 72);
    // Clear the filter, then the flows graph: every session goes to the one server.
    keys(&mut a, "f");
    key(&mut a, KeyCode::Char('u'));
    for _ in 0..60 {
        key(&mut a, KeyCode::Backspace);
    }
    assert_eq!(a.filter, None);
    keys(&mut a, "7");
    let s = screen(&a, 120, 36).replace(&shown, "<real file>");
    insta::assert_snapshot!("real_flows", s.clone());
    let f = a.view.as_ref().unwrap().flows.as_ref().unwrap();
    assert_eq!((f.unique_src, f.unique_dst, f.edges), (28, 1, 28));
    assert_eq!(f.pairs.iter().map(|p| p.sessions).sum::<u64>(), 282);
    assert_eq!(f.fan_in[0].peers, 28);
    key(&mut a, KeyCode::Enter);
    assert!(
        a.filter.as_deref().unwrap_or("").starts_with("src_ip = "),
        "{:?}",
        a.filter
    );
}

#[test]
fn export_and_report_ask_before_replacing_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rows.csv").display().to_string();
    let mut a = app(Source::Demo);
    keys(&mut a, "f");
    keys(&mut a, "country = RU");
    key(&mut a, KeyCode::Enter);
    keys(&mut a, "x");
    key(&mut a, KeyCode::Char('u'));
    let ev = Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    let act = event_msg(&a, ev.clone()).unwrap();
    a.update(act);
    keys(&mut a, &csv);
    key(&mut a, KeyCode::Enter);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.lines().count(),
        1 + a.view.as_ref().unwrap().rows.len(),
        "header + the filtered rows"
    );
    assert!(
        text.lines().skip(1).all(|l| l.contains(",RU,")),
        "only the filtered rows"
    );
    // Again: the explorer asks; 'n' keeps the file, 'y' replaces it.
    std::fs::write(&csv, "old").unwrap();
    for (answer, expect_old) in [('n', true), ('y', false)] {
        keys(&mut a, "x");
        a.update(event_msg(&a, ev.clone()).unwrap());
        keys(&mut a, &csv);
        key(&mut a, KeyCode::Enter);
        let asking = screen(&a, 120, 36);
        assert!(asking.contains("replace it? (y/n)"));
        // The footer says what the question takes, not the filter line's keys.
        assert!(asking.contains("y replace the file · any other key keeps it"));
        assert!(!asking.contains("history"), "{asking}");
        keys(&mut a, &answer.to_string());
        assert_eq!(
            std::fs::read_to_string(&csv).unwrap() == "old",
            expect_old,
            "answer {answer}"
        );
    }
    // The report of the filtered view, as HTML.
    let html = dir.path().join("r.html").display().to_string();
    keys(&mut a, "e");
    a.update(event_msg(&a, ev.clone()).unwrap());
    keys(&mut a, &html);
    key(&mut a, KeyCode::Enter);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("185.220.101.47"),
        "the report covers the filtered view"
    );
}

#[test]
fn long_reject_reasons_wrap_inside_the_popup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        "bytes_in,bytes_out,creation_time,end_time,src_ip\n\
         10,20,2024-04-25T00:00:00Z,2024-04-25T00:10:00Z,1.2.3.4\n\
         5,6,notatime,2024-04-25T00:10:00Z,1.2.3.5\n",
    )
    .unwrap();
    let mut a = app(Source::Path(path.display().to_string()));
    keys(&mut a, "r");
    let s = screen(&a, 100, 30);
    // The end of the hint, which a 100-column popup cannot hold on the reason's line.
    assert!(s.contains("epoch seconds/milliseconds)"), "{s}");
}

#[test]
fn drilldown_filter_narrows_the_users_filter_with_a_quoted_ip() {
    let mut a = app(Source::Demo);
    keys(&mut a, "f");
    keys(&mut a, "bytes_in > 0");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.filter.as_deref(), Some("bytes_in > 0"));
    keys(&mut a, "5");
    key(&mut a, KeyCode::Enter);
    keys(&mut a, "f");
    let f = a.filter.clone().unwrap_or_default();
    let ip = f
        .strip_prefix("(bytes_in > 0) and src_ip = \"")
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not narrowed with a quoted IP: {f:?}"));
    assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{f:?}");
    // Every row left is from that IP and matches the user's filter.
    let n = a.view.as_ref().unwrap().rows.len();
    assert!(n > 0 && n < 5000, "{n}");
}

#[test]
fn vim_keys_only_move_and_q_closes_a_popup() {
    let mut a = app(Source::Demo);
    keys(&mut a, "5jj");
    assert_eq!(a.tabs.anomalies.cursor, 2);
    // k moves up on the Anomalies tab too; it used to open the top-k prompt.
    keys(&mut a, "k");
    assert_eq!(a.mode, threatlens::tui::app::Mode::Normal);
    assert_eq!(a.tabs.anomalies.cursor, 1);
    keys(&mut a, "K");
    assert!(
        screen(&a, 120, 36).contains("top k"),
        "K opens the top-k prompt"
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Enter);
    let s = screen(&a, 120, 36);
    assert!(s.contains("session detail") && s.contains("q close"), "{s}");
    assert!(!s.contains("q quit"), "{s}");
    // q in the drill-down closes it; it used to quit the program.
    keys(&mut a, "q");
    assert!(!a.quit && a.popup.is_none());
    keys(&mut a, "?q");
    assert!(!a.quit && a.popup.is_none(), "q closes help too");
    keys(&mut a, "q");
    assert!(a.quit, "q still quits outside a popup");
}

#[test]
fn prompts_replace_a_prefill_and_keep_the_text_after_an_error() {
    let mut a = app(Source::Demo);
    keys(&mut a, "5c");
    let prefill = a.input.text.clone();
    assert!(
        !prefill.is_empty(),
        "the contamination prompt is pre-filled"
    );
    // Typing replaces the pre-filled value; it used to be appended to it (5%8%).
    keys(&mut a, "8%");
    assert_eq!(a.input.text, "8%");
    key(&mut a, KeyCode::Esc);
    keys(&mut a, "c");
    key(&mut a, KeyCode::Right);
    keys(&mut a, "x");
    assert_eq!(
        a.input.text,
        format!("{prefill}x"),
        "a movement key keeps the pre-fill"
    );
    key(&mut a, KeyCode::Enter);
    let s = screen(&a, 120, 36);
    let lines: Vec<&str> = s.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("contamination (0.05, 5%, auto)>"));
    let at = at.unwrap_or_else(|| panic!("the input stays open after an error: {s}"));
    assert!(lines[at].contains(&format!("{prefill}x")), "{s}");
    assert!(
        lines[at + 1].contains("not valid"),
        "the error is under the input: {s}"
    );
    let ev = Event::Key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
    a.update(event_msg(&a, ev).unwrap());
    assert_eq!(
        a.input.text, "",
        "Ctrl-W deletes the word before the cursor"
    );
    key(&mut a, KeyCode::Esc);
}

/// Runs of characters from `set` in `line`, with their starting column.
fn tokens(line: &str, keep: impl Fn(char) -> bool) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (i, c) in line.chars().chain([' ']).enumerate() {
        if keep(c) {
            if cur.is_empty() {
                start = i;
            }
            cur.push(c);
        } else if !cur.is_empty() {
            out.push((start, std::mem::take(&mut cur)));
        }
    }
    out
}

#[test]
fn chart_labels_are_cut_or_left_out_never_run_together() {
    let mut a = app(Source::Demo);
    for (w, h) in [(80u16, 24u16), (120, 36), (60, 16), (160, 45)] {
        keys(&mut a, "7");
        let s = screen(&a, w, h);
        let f = a.view.as_ref().unwrap().flows.as_ref().unwrap();
        let ips: Vec<&str> = f
            .pairs
            .iter()
            .flat_map(|p| [p.src.as_str(), p.dst.as_str()])
            .chain(f.fan_out.iter().chain(&f.fan_in).map(|n| n.ip.as_str()))
            .collect();
        for line in s.lines() {
            for (_, t) in tokens(line, |c| c.is_ascii_digit() || c == '.' || c == '…') {
                if t.matches('.').count() < 2 {
                    continue;
                }
                let ok = match t.strip_suffix('…') {
                    Some(cut) => ips.iter().any(|ip| ip.starts_with(cut)),
                    None => ips.contains(&t.as_str()),
                };
                assert!(ok, "{w}x{h}: `{t}` is no address of the data:\n{s}");
            }
        }
        keys(&mut a, "6");
        let s = screen(&a, w, h);
        let codes: Vec<String> = tui::tabs::geo::countries(a.view.as_ref().unwrap())
            .iter()
            .map(|e| e.row.key.clone())
            .collect();
        let map_width = usize::from(w) * 64 / 100;
        for line in s.lines().skip(3).take(usize::from(h) - 5) {
            for (col, t) in tokens(line, |c| c.is_ascii_uppercase()) {
                if col + t.chars().count() <= map_width {
                    assert!(
                        codes.contains(&t),
                        "{w}x{h}: `{t}` is no country of the data:\n{s}"
                    );
                }
            }
        }
    }
}

#[test]
fn headers_are_told_apart_and_the_sort_shows_its_direction() {
    let mut a = app(Source::Demo);
    // Records lead with the time, the source and its country: bytes_in is the fourth column.
    keys(&mut a, "lll");
    for (k, arrow) in [("S", "bytes_in▼"), ("s", "bytes_in▲")] {
        keys(&mut a, k);
        let s = screen(&a, 80, 24);
        let head = s
            .lines()
            .find(|l| l.trim_start().starts_with("row"))
            .unwrap();
        assert!(head.contains(arrow), "{k}: {head}");
    }
    // The correlation matrix: no two headers (nor two row labels) read the same.
    keys(&mut a, "2");
    let s = screen(&a, 120, 36);
    let names = a.view.as_ref().unwrap().summary.numeric.0.len();
    let at = s
        .lines()
        .position(|l| l.contains("correlation (Pearson)"))
        .unwrap();
    let head: Vec<&str> = s
        .lines()
        .nth(at + 1)
        .unwrap()
        .split('│')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(head.len() >= 2 && head.len() <= names, "{head:?}\n{s}");
    let mut seen = head.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen.len(),
        head.len(),
        "headers that read the same: {head:?}\n{s}"
    );
    assert!(
        head.contains(&"b_in") && head.contains(&"b_out"),
        "{head:?}"
    );
}

#[test]
fn every_tab_is_on_the_bar_and_reachable_at_40x12() {
    let mut a = app(Source::Demo);
    a.update(tui::action::Msg::Resize(40, 12));
    for (k, title) in [('5', "5 Anomalies"), ('6', "6 Geo"), ('7', "7 Flows")] {
        keys(&mut a, &k.to_string());
        let s = screen(&a, 40, 12);
        let bar = s.lines().nth(1).unwrap();
        assert!(bar.contains(title), "{k}: {bar:?}");
        for n in 1..=7 {
            let shown = bar.split_whitespace().any(|w| w == n.to_string());
            assert!(shown, "tab {n} missing from {bar:?}");
        }
    }
    // The full titles when they fit.
    let s = screen(&a, 120, 36);
    assert!(s.lines().nth(1).unwrap().contains("1 Records"), "{s}");
}

#[test]
fn timeline_has_time_ticks_under_the_charts() {
    let mut a = app(Source::Demo);
    keys(&mut a, "3");
    for (w, h) in [(120u16, 36u16), (80, 24)] {
        let s = screen(&a, w, h);
        let axis = s.lines().find(|l| l.contains('╵')).unwrap_or_default();
        let ticks: Vec<&str> = axis.split('╵').skip(1).map(str::trim).collect();
        assert!(ticks.len() >= 2, "{w}x{h}: {axis:?}\n{s}");
        for tk in &ticks {
            let clock = tk.rsplit(' ').next().unwrap_or("");
            let ok = clock.len() == 5 && clock.as_bytes()[2] == b':';
            assert!(ok, "{w}x{h}: tick {tk:?} is no time\n{s}");
        }
    }
}

#[test]
fn the_why_column_keeps_whole_pieces_at_80_columns() {
    let mut a = app(Source::Demo);
    a.update(tui::action::Msg::Resize(80, 24));
    keys(&mut a, "5");
    let s = screen(&a, 80, 24);
    let first = s
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("rank"))
        .nth(1)
        .unwrap_or_default();
    // The year and the country give way to the reason, which is whole or left out.
    assert!(first.contains("04-25 19:10:00"), "{s}");
    assert!(first.ends_with("bytes_in↑ 42%…"), "{first:?}");
    let wide = screen(&a, 160, 30);
    assert!(
        wide.contains("bytes_out↓ 26% · exfiltration, bulk transfer"),
        "{wide}"
    );
}

#[test]
fn flow_log_rankings_show_a_dash_for_the_bytes_out_they_do_not_have() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in threatlens::demo_flow::files(2_000, 1).unwrap() {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let mut a = app(Source::Path(dir.path().display().to_string()));
    keys(&mut a, "4");
    let s = screen(&a, 160, 36);
    let row = s
        .lines()
        .find(|l| l.starts_with("10.0.1.10 "))
        .unwrap_or_else(|| panic!("no row of 10.0.1.10:\n{s}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    // key, sessions, bar, bytes in, bytes out: a dash, not 0.
    assert!(cells.contains(&"—"), "{row}");
    assert!(!cells.contains(&"0"), "{row}");
}
