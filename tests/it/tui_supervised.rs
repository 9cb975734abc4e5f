//! The explorer's supervised side and the entity view under a filter, driven as key presses:
//! `E` on Anomalies sets the isolation forest and the cross-validated classifier against the
//! label; the list gains each row's out-of-fold probability; the entity view scores the rows of
//! the current filter only.

use crate::common::explorer::key;
use ratatui::crossterm::event::KeyCode;
use threatlens::tui::app::{App, Popup, Source};

fn app(source: Source) -> App {
    crate::common::explorer::app(source, 140, 40)
}

fn screen(app: &App) -> String {
    crate::common::explorer::screen(app, 140, 40)
}

#[test]
fn the_evaluation_panel_sets_both_detectors_against_the_demo_label() {
    let mut a = app(Source::Demo);
    key(&mut a, KeyCode::Char('5'));
    assert!(screen(&a).contains("E: vs label"), "the demo has a label");
    key(&mut a, KeyCode::Char('E'));
    assert_eq!(a.popup, Some(Popup::Evaluation { scroll: 0 }));
    let run = a
        .supervised
        .run
        .clone()
        .expect("classifier trained on the worker");
    let s = screen(&a);
    assert!(s.contains("isolation forest (unsupervised"), "{s}");
    assert!(
        s.contains("random-forest classifier (supervised: 5-fold"),
        "{s}"
    );
    assert!(
        s.contains(&format!("ROC AUC {:.4}", run.classifier.roc_auc)),
        "{s}"
    );
    // The forest's figures are those of the threshold on screen.
    let forest = a.supervised.forest.expect("forest evaluated");
    let det = a.det.clone().unwrap();
    let sel = a.selection.unwrap();
    assert_eq!(
        forest,
        threatlens::detect::evaluate(&run.y, &det.detection.index, &sel).unwrap()
    );
    // The demo's planted attacks are learnable from its columns.
    assert!(run.classifier.roc_auc > 0.9, "{}", run.classifier.roc_auc);
    assert_eq!(
        run.classifier.probability.len(),
        a.ds.as_ref().unwrap().rows
    );
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.popup, None);
    // The list now shows each flagged row's out-of-fold probability.
    let s = screen(&a);
    let head = s.lines().find(|l| l.contains("rank time")).unwrap();
    assert!(head.contains("score     P  why"), "{head}");
    let row = a.flagged_rows[0] as usize;
    let p = format!("{:.2}", run.classifier.probability[row]);
    let first = s
        .lines()
        .find(|l| l.trim_start().starts_with("1 20"))
        .unwrap();
    assert!(first.contains(&p), "{first} should show {p}");
    assert!(s.contains("classifier ROC AUC"), "{s}");
}

#[test]
fn without_a_label_the_panel_says_what_is_missing() {
    // The demo without its label column.
    let text = std::str::from_utf8(threatlens::demo::EMBEDDED).unwrap();
    let csv: String = text
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string() + "\n")
        .collect();
    assert!(csv.starts_with("bytes_in,") && !csv.lines().next().unwrap().contains("label"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nolabel.csv");
    std::fs::write(&path, csv).unwrap();
    let mut a = app(Source::Path(path.display().to_string()));
    key(&mut a, KeyCode::Char('5'));
    assert!(!screen(&a).contains("vs label"));
    key(&mut a, KeyCode::Char('E'));
    let s = screen(&a);
    assert!(s.contains("no evaluation: no label column"), "{s}");
    assert!(a.supervised.run.is_none());
}

#[test]
fn the_entity_view_scores_the_rows_of_the_current_filter() {
    let mut a = app(Source::Demo);
    key(&mut a, KeyCode::Char('5'));
    key(&mut a, KeyCode::Char('b'));
    let all = a.entities.clone().unwrap();
    assert_eq!(all.grouping.grouped_rows(), 5000);
    a.set_filter(Some("dst_port = 22 or dst_port = 443".into()));
    a.wait_idle();
    let view = a.view.clone().unwrap();
    assert!(view.filtered && view.rows.len() < 5000);
    let run = a.entities.clone().unwrap();
    assert!(
        !std::sync::Arc::ptr_eq(&all, &run),
        "recomputed for the filter"
    );
    assert_eq!(run.grouping.grouped_rows(), view.rows.len());
    // Every entity's rows are rows of the view.
    let member = view.member.clone().unwrap();
    for e in 0..run.len() {
        assert!(run.rows(e).iter().all(|&r| member[r as usize]));
    }
    let s = screen(&a);
    assert!(
        s.contains(&format!("in {} sessions of this filter", view.rows.len())),
        "{s}"
    );
    // Clearing the filter brings back the whole file's entities.
    a.set_filter(None);
    a.wait_idle();
    assert_eq!(a.entities.clone().unwrap().grouping.grouped_rows(), 5000);
}

#[test]
fn an_entity_drill_down_shows_its_timeline() {
    let mut a = app(Source::Demo);
    key(&mut a, KeyCode::Char('5'));
    key(&mut a, KeyCode::Char('b'));
    key(&mut a, KeyCode::Enter);
    let s = screen(&a);
    let line = s.lines().find(|l| l.contains("timeline: ")).expect(&s);
    assert!(line.contains("60 intervals of"), "{line}");
    assert!(
        s.contains('│') && s.chars().any(|c| ('▁'..='█').contains(&c)),
        "{s}"
    );
}
