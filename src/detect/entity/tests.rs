//! Tests of per-entity detection on generated traffic with planted behaviours.

#![allow(clippy::unwrap_used)]

use super::planted::{self, BRUTE_FORCER, EXFILTRATOR, SCANNER};
use super::*;
use crate::detect::Contamination;

fn params(by: &[&str]) -> EntityParams {
    EntityParams {
        by: by.iter().map(|s| s.to_string()).collect(),
        features: Vec::new(),
        log1p: Vec::new(),
        trees: 100,
        sample: None,
        seed: 42,
    }
}

fn planted_dataset(sources: usize) -> Dataset {
    let mut csv = Vec::new();
    planted::write_planted(&mut csv, sources, 20, 3).unwrap();
    crate::ingest::load_bytes("<planted>", &csv).unwrap()
}

#[test]
fn planted_sources_are_the_top_flagged_with_their_behaviour() {
    let ds = planted_dataset(200);
    let run = EntityRun::run(&ds, &params(&["src_ip"]), &RunControl::default()).unwrap();
    assert_eq!(run.len(), 203);
    let sel = run.select(Rule::Contamination(Contamination::Fraction(0.05)));
    let top: Vec<EntityReport> = run.flagged(&sel, 3);
    let mut keys: Vec<(&str, Option<Behaviour>)> =
        top.iter().map(|r| (r.key.as_str(), r.behaviour)).collect();
    keys.sort_by_key(|k| k.0);
    assert_eq!(
        keys,
        vec![
            (EXFILTRATOR, Some(Behaviour::Exfiltration)),
            (BRUTE_FORCER, Some(Behaviour::BruteForce)),
            (SCANNER, Some(Behaviour::PortScan)),
        ]
    );
    // No ordinary source is named.
    let named = run.behaviours.iter().filter(|b| b.is_some()).count();
    assert_eq!(named, 3);
    let scanner = top.iter().find(|r| r.key == SCANNER).unwrap();
    assert!(scanner.anomaly);
    assert!(
        scanner.explanation.contains("(median"),
        "{}",
        scanner.explanation
    );
    let ports = scanner
        .features
        .0
        .iter()
        .find(|f| f.0 == "distinct_dst_ports");
    assert_eq!(ports.map(|p| p.1), Some(900.0));
}

#[test]
fn entity_rows_and_filter_clause_pick_one_entity() {
    let ds = planted_dataset(20);
    let run = EntityRun::run(&ds, &params(&["src_ip"]), &RunControl::default()).unwrap();
    let e = (0..run.len())
        .find(|&e| run.grouping.label(e) == BRUTE_FORCER)
        .unwrap();
    assert_eq!(run.rows(e).len(), 400);
    let clause = run.filter_clause(e).unwrap();
    assert_eq!(clause, format!("src_ip = \"{BRUTE_FORCER}\""));
    let total: usize = (0..run.len()).map(|e| run.rows(e).len()).sum();
    assert_eq!(total, ds.rows);
}

#[test]
fn composite_keys_split_entities() {
    let ds = planted_dataset(10);
    let run = EntityRun::run(
        &ds,
        &params(&["src_ip", "dst_port"]),
        &RunControl::default(),
    )
    .unwrap();
    let brute: Vec<String> = (0..run.len())
        .map(|e| run.grouping.label(e))
        .filter(|k| k.starts_with(BRUTE_FORCER))
        .collect();
    assert_eq!(brute.len(), 2, "{brute:?}");
    assert!(brute.contains(&format!("{BRUTE_FORCER},22")));
    let e = (0..run.len())
        .find(|&e| run.grouping.label(e) == format!("{BRUTE_FORCER},3389"))
        .unwrap();
    assert_eq!(run.rows(e).len(), 100);
    assert_eq!(
        run.filter_clause(e).unwrap(),
        format!("src_ip = \"{BRUTE_FORCER}\" and dst_port = \"3389\"")
    );
}

#[test]
fn features_degrade_with_the_schema_and_bad_names_are_refused() {
    let csv = b"src_ip,bytes_in\n1.1.1.1,5\n1.1.1.1,7\n2.2.2.2,9\n";
    let ds = crate::ingest::load_bytes("<t>", csv).unwrap();
    let run = EntityRun::run(&ds, &params(&["src_ip"]), &RunControl::default()).unwrap();
    let names: Vec<&str> = run.fitted.iter().map(|f| f.name()).collect();
    assert_eq!(names, ["sessions", "bytes_in_total", "bytes_in_median"]);
    assert_eq!(
        run.features.get(EntityFeature::BytesInMedian).unwrap(),
        &[6.0, 9.0]
    );
    let mut p = params(&["src_ip"]);
    p.features = vec!["distinct_dst_ports".into()];
    let e = EntityRun::run(&ds, &p, &RunControl::default()).unwrap_err();
    assert!(e.contains("choose from sessions, bytes_in_total"), "{e}");
    let e = EntityRun::run(&ds, &params(&["nope"]), &RunControl::default()).unwrap_err();
    assert!(e.contains("no column 'nope'"), "{e}");
}

#[test]
fn a_view_of_the_rows_scores_like_a_dataset_of_those_rows() {
    let ds = planted_dataset(120);
    // Every third row, as a filter might leave them.
    let rows: Vec<u32> = (0..ds.rows as u32).filter(|r| r % 3 != 1).collect();
    let p = params(&["src_ip"]);
    let view = EntityRun::run_in(&ds, Some(&rows), &p, &RunControl::default()).unwrap();
    let idx: Vec<usize> = rows.iter().map(|&r| r as usize).collect();
    let alone = EntityRun::run(&ds.select_rows(&idx), &p, &RunControl::default()).unwrap();
    assert_eq!(view.len(), alone.len());
    assert_eq!(view.scores(), alone.scores());
    for e in 0..view.len() {
        assert_eq!(view.grouping.label(e), alone.grouping.label(e));
        // Row numbers stay the dataset's: the view's rows map onto the subset's.
        let mapped: Vec<u32> = alone.rows(e).iter().map(|&r| rows[r as usize]).collect();
        assert_eq!(view.rows(e), mapped.as_slice());
    }
    assert_eq!(view.grouping.grouped_rows(), alone.grouping.grouped_rows());
    // A view with no rows is refused with a reason, not scored.
    assert!(EntityRun::run_in(&ds, Some(&[]), &p, &RunControl::default()).is_err());
}

#[test]
fn an_entity_s_activity_counts_each_session_once_between_its_first_and_last() {
    let ds = planted_dataset(60);
    let run = EntityRun::run(&ds, &params(&["src_ip"]), &RunControl::default()).unwrap();
    for e in [0, run.len() / 2, run.len() - 1] {
        let a = run.activity(&ds, e, 24).unwrap();
        assert_eq!(a.counts.len(), 24);
        assert_eq!(a.counts.iter().sum::<u64>() as usize, run.rows(e).len());
        assert!(a.first <= a.last);
        if a.first < a.last {
            assert!(a.counts[0] > 0 && a.counts[23] > 0, "{a:?}");
        }
    }
}
