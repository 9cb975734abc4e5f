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

fn run(ds: &threatlens::dataset::Dataset) -> threatlens::detect::pipeline::DetectionRun {
    let params = threatlens::detect::pipeline::DetectParams::defaults_for(ds);
    threatlens::detect::pipeline::DetectionRun::run(ds, &params, &Default::default()).unwrap()
}

fn first_pattern(
    ds: &threatlens::dataset::Dataset,
    det: &threatlens::detect::pipeline::DetectionRun,
    row: usize,
) -> Option<threatlens::detect::Pattern> {
    det.patterns(ds, row).first().copied()
}

#[test]
fn the_demos_ddos_sessions_are_not_called_exfiltration() {
    let ds = threatlens::ingest::load_bytes("<demo>", threatlens::demo::EMBEDDED).unwrap();
    let det = run(&ds);
    let obs = ds
        .columns
        .iter()
        .position(|c| c.name == "observation_name")
        .unwrap();
    let mut ddos = 0;
    for r in 0..ds.rows {
        if ds.cell_text(r, obs) == "Denial of Service" {
            ddos += 1;
            let first = first_pattern(&ds, &det, r);
            assert_ne!(
                first,
                Some(threatlens::detect::Pattern::Exfiltration),
                "row {r}: {:?}",
                det.patterns(&ds, r)
            );
        }
    }
    assert!(ddos > 50);
    let bursts = (0..ds.rows)
        .filter(|&r| first_pattern(&ds, &det, r) == Some(threatlens::detect::Pattern::Burst))
        .count();
    assert!(bursts > 0, "some DDoS sessions are labelled DDoS");
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn near_identical_real_rows_get_the_same_label() {
    let (csv, _) = crate::common::real_data("near_identical_real_rows_get_the_same_label");
    let ds = threatlens::ingest::load_path(
        csv.to_str().unwrap(),
        threatlens::ingest::LoadProgress::new(),
    )
    .unwrap();
    let det = run(&ds);
    // 155.91.45.242's sessions: 24–25 MB in, 1.5 MB out (257, 279, 267) and 18 MB in, 1.1 MB
    // out (211, 229, 169, 185): the first of each pair used to be told apart by a percentile.
    for group in [[257, 279, 267].as_slice(), &[211, 229, 169, 185, 200]] {
        let labels: Vec<_> = group.iter().map(|&r| first_pattern(&ds, &det, r)).collect();
        assert!(
            labels.iter().all(|l| *l == labels[0]),
            "{group:?}: {labels:?}"
        );
        assert_eq!(labels[0], Some(threatlens::detect::Pattern::Exfiltration));
    }
}

#[test]
fn the_anomaly_csv_carries_rank_pattern_why_line_and_rounded_scores() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(Source::Demo);
    keys(&mut a, "5");
    let csv = dir.path().join("anomalies.csv").display().to_string();
    prompt(&mut a, "x", &csv);
    let mut r = csv::Reader::from_path(&csv).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(&header[..2], ["row", "line"]);
    let n = header.len();
    assert_eq!(
        &header[n - 5..],
        ["rank", "score", "anomaly", "pattern", "why"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), a.flagged_rows.len());
    for (i, rec) in rows.iter().enumerate() {
        let row: u64 = rec[0].parse().unwrap();
        // The demo has one record a line after the header (line 1).
        assert_eq!(rec[1].parse::<u64>().unwrap(), row + 2);
        assert_eq!(
            rec[n - 5].parse::<usize>().unwrap(),
            i + 1,
            "unfiltered: rank = position"
        );
        let score = &rec[n - 4];
        assert_eq!(score.split('.').nth(1).map(str::len), Some(4), "{score}");
        assert_eq!(&rec[n - 3], "1");
    }
    // The demo's exfiltration source is labelled so, with a reason.
    let exfil = rows
        .iter()
        .find(|r| r.iter().any(|c| c == "185.220.101.47"))
        .unwrap();
    assert_eq!(&exfil[n - 2], "exfiltration");
    assert!(exfil[n - 1].contains("exfiltration"), "{:?}", &exfil[n - 1]);
}

#[test]
fn timeline_and_report_share_buckets_no_narrower_than_the_cadence() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(Source::Demo);
    keys(&mut a, "3");
    let series = a.view.as_ref().unwrap().series.clone();
    // The demo logs every 10 minutes: buckets are a multiple of that (not 15 minutes).
    assert_eq!(series.width_secs % 600, 0, "{}", series.width_secs);
    let busiest = series.buckets.iter().map(|b| b.sessions).max().unwrap();
    let json = dir.path().join("r.json").display().to_string();
    prompt(&mut a, "e", &json);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let time = &report["time"];
    assert_eq!(time["series"]["width_secs"], series.width_secs);
    assert_eq!(time["busiest_sessions"], busiest);
    let md = dir.path().join("r.md").display().to_string();
    prompt(&mut a, "e", &md);
    let text = std::fs::read_to_string(&md).unwrap();
    let name = threatlens::analysis::timeseries::width_name(series.width_secs);
    assert!(
        text.contains(&format!("Busiest {name} window by sessions")),
        "{text}"
    );
}
