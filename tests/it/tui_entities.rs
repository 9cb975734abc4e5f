//! The Anomalies tab's entity view (`b`): source IPs scored on their behaviour, their
//! drill-down, and Enter narrowing every tab to one of them, driven as key presses.

use crate::common::explorer::key;
use ratatui::crossterm::event::KeyCode;
use threatlens::tui::app::{App, Popup, Source};

fn app(source: Source) -> App {
    crate::common::explorer::app(source, 120, 36)
}

fn screen(app: &App) -> String {
    crate::common::explorer::screen(app, 120, 36)
}

#[test]
fn entities_view_drills_down_and_filters_every_tab() {
    let mut a = app(Source::Demo);
    key(&mut a, KeyCode::Char('5'));
    assert!(a.entities.is_none(), "computed only when asked for");
    key(&mut a, KeyCode::Char('b'));
    let run = a
        .entities
        .clone()
        .expect("entity run computed on the worker");
    let s = screen(&a);
    assert!(s.contains("source IPs flagged on their behaviour"), "{s}");
    insta::assert_snapshot!("demo_anomalies_entities", s);
    // The first entity listed is the most anomalous flagged one.
    let sel = run.select(a.threshold.rule());
    let first = run.detection.index.flagged(&sel).next().unwrap();
    key(&mut a, KeyCode::Enter);
    assert_eq!(
        a.popup,
        Some(Popup::Entity {
            entity: first,
            scroll: 0
        })
    );
    let s = screen(&a);
    assert!(s.contains("behaviour:"), "{s}");
    assert!(s.contains(&run.grouping.label(first)), "{s}");
    insta::assert_snapshot!("demo_entity_drilldown", s);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.popup, None);
    assert_eq!(a.filter, run.filter_clause(first));
    // Every row of the view belongs to the entity.
    let view = a.view.clone().unwrap();
    assert_eq!(view.rows.len(), run.rows(first).len());
    // `b` goes back to rows.
    key(&mut a, KeyCode::Char('b'));
    assert!(!screen(&a).contains("source IPs flagged on their behaviour"));
}

#[test]
fn a_refit_recomputes_the_entities_shown() {
    let mut a = app(Source::Demo);
    key(&mut a, KeyCode::Char('5'));
    key(&mut a, KeyCode::Char('b'));
    let before = a.entities.clone().unwrap();
    a.params.seed += 1;
    a.request_detection();
    a.wait_idle();
    let after = a.entities.clone().unwrap();
    assert!(!std::sync::Arc::ptr_eq(&before, &after));
    assert_eq!(after.len(), before.len());
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn the_real_files_top_source_is_first_in_the_entity_view() {
    let (csv, _) = crate::common::real_data("tui entities");
    let mut a = app(Source::Path(csv.display().to_string()));
    key(&mut a, KeyCode::Char('5'));
    key(&mut a, KeyCode::Char('b'));
    let run = a.entities.clone().unwrap();
    let first = run.ranked().next().unwrap();
    assert_eq!(run.grouping.label(first), "155.91.45.242");
    let row = screen(&a)
        .lines()
        .find(|l| l.contains("155.91.45.242"))
        .unwrap_or_default()
        .to_string();
    let rank = row.trim_start_matches(['│', ' ']);
    assert!(rank.starts_with("1 "), "{row}");
}
