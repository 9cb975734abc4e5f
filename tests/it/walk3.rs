//! Issue 19's remaining walkthrough items: the drill-down in plain facts, source rankings with
//! fan-out, the help and its keys, Records' columns, the Timeline's buckets after narrowing.

use crate::common::explorer::{app, screen};
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use threatlens::tui::app::{App, Source};
use threatlens::tui::event_msg;

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    if let Some(a) = event_msg(app, Event::Key(KeyEvent::new(code, mods))) {
        app.update(a);
    }
    app.wait_idle();
}

fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        press(app, KeyCode::Char(c), mods);
    }
}

#[test]
fn the_drilldown_leads_with_plain_facts() {
    let mut a = app(Source::Demo, 160, 45);
    // The most anomalous session: Anomalies tab, Enter.
    keys(&mut a, "5");
    press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    let s = screen(&a, 160, 45);
    insta::assert_snapshot!("walk3_drilldown_160x45", s);
    let at = |needle: &str| {
        s.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} on screen:\n{s}"))
    };
    // One sentence for the score against the threshold, before any field.
    assert!(at("is above the threshold") < at("creation_time"));
    assert!(at("of sessions") < at("creation_time"));
    assert!(s.contains("× the median"), "{s}");
    assert!(at("unlike its neighbours") < at("creation_time"));
    assert!(s.contains("Nearest not-flagged session"), "{s}");
    // The share of isolation is no longer the lead.
    assert!(!s.contains("share of isolation") || at("share of isolation") > at("creation_time"));
}

#[test]
fn source_rankings_count_destination_ports_and_find_the_scanner() {
    let mut a = app(Source::Demo, 160, 45);
    keys(&mut a, "4d");
    let s = screen(&a, 160, 45);
    assert!(s.contains("dst ports") && s.contains("dst addrs"), "{s}");
    // Sorted by distinct destination ports, the demo's port scanner leads.
    keys(&mut a, "sssss");
    let s = screen(&a, 160, 45);
    assert!(s.contains("(sorted by dst ports)"), "{s}");
    let after_head: Vec<&str> = s.lines().skip_while(|l| !l.starts_with("entity")).collect();
    assert!(after_head[1].starts_with("198.51.100.23"), "{s}");
    insta::assert_snapshot!("walk3_rankings_by_ports_160x45", s);
    // D goes back to the previous ranking (countries), which has no such columns.
    keys(&mut a, "D");
    let s = screen(&a, 160, 45);
    assert!(!s.contains("dst ports"), "{s}");
    assert!(s.contains("(sorted by sessions)"), "{s}");
}

#[test]
fn flows_fan_out_sorts_by_sessions_bytes_and_fan_out() {
    let mut a = app(Source::Demo, 160, 45);
    keys(&mut a, "7d");
    let s = screen(&a, 160, 45);
    assert!(s.contains("fan-out per source (by fan-out, s)"), "{s}");
    let first_ip = |s: &str| {
        s.lines()
            .skip_while(|l| !l.starts_with("ip "))
            .nth(1)
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_default()
            .to_string()
    };
    let by_fan = first_ip(&s);
    keys(&mut a, "s");
    let s = screen(&a, 160, 45);
    assert!(s.contains("fan-out per source (by sessions, s)"), "{s}");
    assert!(s.contains("fan-out per source sorted by sessions"), "{s}");
    let by_sessions = first_ip(&s);
    keys(&mut a, "s");
    let s = screen(&a, 160, 45);
    assert!(s.contains("(by bytes, s)"), "{s}");
    // The exfiltrating client moves the most bytes; the brute-forcer has the most sessions.
    assert_eq!(first_ip(&s), "185.220.101.47", "{s}");
    assert_ne!(by_sessions, "185.220.101.47", "{s}");
    keys(&mut a, "s");
    assert_eq!(first_ip(&screen(&a, 160, 45)), by_fan);
    // D steps back a list.
    keys(&mut a, "D");
    assert!(screen(&a, 160, 45).contains("source → destination"));
}

#[test]
fn timeline_buckets_follow_the_narrowed_range_never_below_the_cadence() {
    let mut a = app(Source::Demo, 160, 45);
    keys(&mut a, "3");
    let width = |a: &App| a.view.as_ref().unwrap().series.width_secs;
    let full = width(&a);
    // The demo logs every 10 minutes.
    assert_eq!(full % 600, 0, "{full}");
    let s = screen(&a, 160, 45);
    let name = threatlens::analysis::timeseries::width_name(full);
    assert!(s.contains(&format!("per {name} bucket")), "{s}");
    // Zoomed in, the bucket is chosen again for the shorter range.
    keys(&mut a, "llllllllllz");
    let zoomed = width(&a);
    assert!(
        zoomed < full && zoomed >= 600 && zoomed % 600 == 0,
        "{full} → {zoomed}"
    );
    let s = screen(&a, 160, 45);
    let name = threatlens::analysis::timeseries::width_name(zoomed);
    assert!(s.contains(&format!("per {name} bucket")), "{s}");
    // Narrower and narrower: never below the cadence.
    keys(&mut a, "------");
    assert_eq!(width(&a), 600);
    // A time filter (mark two buckets) re-chooses the width for the filtered range.
    keys(&mut a, "Z");
    assert_eq!(width(&a), full);
    keys(&mut a, "gmllm");
    let filtered = width(&a);
    assert!(filtered < full && filtered >= 600, "{full} → {filtered}");
}

#[test]
fn y_copies_the_selected_value_sanitised_through_osc52() {
    let mut a = app(Source::Demo, 160, 45);
    // Rankings of source IPs, sorted by distinct ports: the scanner's address.
    keys(&mut a, "4dsssss");
    keys(&mut a, "y");
    assert_eq!(
        a.clipboard.as_deref(),
        Some(threatlens::clipboard::osc52("198.51.100.23").as_str())
    );
    let s = screen(&a, 160, 45);
    assert!(
        s.contains("copied to the clipboard (OSC 52): '198.51.100.23'"),
        "{s}"
    );
    // In the drill-down, the whole row.
    keys(&mut a, "5");
    press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    keys(&mut a, "y");
    let seq = a.clipboard.clone().unwrap();
    assert!(seq.starts_with("\x1b]52;c;") && seq.ends_with('\x07'));
    assert_eq!(seq.bytes().filter(u8::is_ascii_control).count(), 2);
    assert!(screen(&a, 160, 45).contains("lines, starting 'row 3824'"));
}

#[test]
fn y_on_a_hostile_cell_copies_it_inert() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.csv");
    std::fs::write(
        &path,
        "bytes_in,bytes_out,creation_time,end_time,src_ip,rule_names\n\
         10,20,2024-04-25T00:00:00Z,2024-04-25T00:10:00Z,1.2.3.4,\"x\x1b]52;c;AAAA\x07\x1b[2Jy\"\n",
    )
    .unwrap();
    let mut a = app(Source::Path(path.display().to_string()), 160, 45);
    // rule_names: after the time, the source and the bytes.
    keys(&mut a, "llll");
    keys(&mut a, "y");
    assert!(a.status.clone().unwrap().contains("AAAA"), "{:?}", a.status);
    let seq = a.clipboard.clone().unwrap();
    assert_eq!(
        seq.bytes().filter(u8::is_ascii_control).count(),
        2,
        "{seq:?}"
    );
    let s = screen(&a, 160, 45);
    assert!(s.contains("copied to the clipboard"), "{s}");
    assert!(!s.contains('\x1b'));
}

#[test]
fn help_describes_enter_per_tab_and_pages_without_skipping() {
    for (w, h) in [(160u16, 45u16), (80, 24)] {
        let mut a = app(Source::Demo, w, h);
        keys(&mut a, "?");
        let mut seen: Vec<String> = Vec::new();
        let mut last = String::new();
        for _ in 0..40 {
            let s = screen(&a, w, h);
            if s == last {
                break;
            }
            let body: Vec<String> = s
                .lines()
                .filter(|l| l.contains('│'))
                .map(|l| {
                    l.split('│')
                        .nth(1)
                        .unwrap_or_default()
                        .trim_end()
                        .to_string()
                })
                .collect();
            assert!(
                body.iter().any(|l| !l.is_empty()),
                "a blank help page at {w}×{h}:\n{s}"
            );
            // Consecutive pages overlap: the first line of a page was on the one before.
            if !seen.is_empty() {
                assert!(
                    seen.contains(&body[0]),
                    "skipped before {:?} at {w}×{h}",
                    body[0]
                );
            }
            seen.extend(body);
            last = s;
            press(&mut a, KeyCode::PageDown, KeyModifiers::NONE);
        }
        let text = seen.join("\n");
        for needle in [
            "Records tab",
            "open the session's drill-down",
            "Rankings tab",
            "filter every tab to the entity under the cursor",
            "previous ranking",
            "Geo tab",
            "filter every tab to the country under the cursor",
            "Flows tab",
            "filter every tab to the pair, source or destination",
            "sort the fan-out list",
            "copy the selected value",
            "filter examples",
        ] {
            assert!(text.contains(needle), "{needle:?} at {w}×{h}:\n{text}");
        }
    }
}
