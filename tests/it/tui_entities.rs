//! The Anomalies tab's entity view (`b`): source IPs scored on their behaviour, their
//! drill-down, and Enter narrowing every tab to one of them, driven as key presses.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use threatlens::tui::app::{App, Popup, Source};
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

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 36)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..36 {
        let line: String = (0..120).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
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
