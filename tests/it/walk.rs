//! Issue 19's walkthrough: what the explorer writes for a ticket agrees with what it shows.

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

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    if let Some(a) = event_msg(app, Event::Key(KeyEvent::new(code, mods))) {
        app.update(a);
    }
    app.wait_idle();
}

fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

/// Types `text` into the prompt `key` opens (clearing any pre-fill) and presses Enter.
fn prompt(app: &mut App, key: &str, text: &str) {
    keys(app, key);
    press(app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    keys(app, text);
    press(app, KeyCode::Enter, KeyModifiers::NONE);
}

#[test]
fn a_filtered_report_uses_the_screens_model_threshold_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(Source::Demo);
    let filter = "src_ip = 185.220.101.47";
    prompt(&mut a, "f", filter);
    let on_screen: Vec<u32> = a.flagged_rows.clone();
    assert!(
        !on_screen.is_empty(),
        "the demo's attacker has flagged rows"
    );
    let threshold = a.selection.unwrap().threshold;
    let in_view = a.view.as_ref().unwrap().rows.len();

    let json = dir.path().join("r.json").display().to_string();
    prompt(&mut a, "e", &json);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let an = &report["anomalies"];
    assert_eq!(an["flagged"], on_screen.len(), "the screen's flagged count");
    assert_eq!(an["threshold"].as_f64().unwrap(), threshold, "no refit");
    assert_eq!(report["overview"]["rows"], in_view);
    assert_eq!(report["overview"]["filter"], filter);
    // Example rows are the screen's row numbers, flagged on screen.
    let examples: Vec<u64> = report["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["examples"].as_array().unwrap().clone())
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert!(!examples.is_empty());
    for r in examples {
        assert!(
            on_screen.contains(&(r as u32)),
            "row {r} is flagged on screen"
        );
    }

    // The Markdown names the filter and the screen's threshold.
    let md = dir.path().join("r.md").display().to_string();
    prompt(&mut a, "e", &md);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("Filtered view: src"), "{text}");
    assert!(text.contains("(25 of the file's 5000 sessions)"), "{text}");
    assert!(text.contains(&format!("{threshold:.4}")), "{text}");
}
